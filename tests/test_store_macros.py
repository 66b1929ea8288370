"""The connection's macros: every count of failed requests and error entries asks them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rca.engine.store import Store

# Cloud Run's own answer when no instance could take the request (Knowledge.refused_requests)
REFUSED = "The request was aborted because there was no available instance."


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    s = Store()
    yield s
    s.close()


@pytest.mark.parametrize(
    ("status", "text", "failed"),
    [
        (503, "", True),
        (500, None, True),
        (429, REFUSED, True),  # the platform refused it: failed, though no 5xx
        (429, "Too Many Requests", False),  # the app's own rate limit answered
        (429, None, False),
        (404, REFUSED, False),
        (200, "", False),
        (None, REFUSED, None),  # no request: neither failed nor served, so `NOT ...` keeps it out
    ],
)
def test_request_failed(store: Store, status: int | None, text: str | None, failed: bool | None) -> None:
    row = store.con.execute(
        "SELECT request_failed(?::INTEGER, ?), NOT request_failed(?::INTEGER, ?)", [status, text] * 2
    ).fetchone()
    assert row == (failed, None if failed is None else not failed)


@pytest.mark.parametrize(
    ("severity_num", "text", "error"),
    [
        (500, "boom", True),
        (800, "panic: runtime error", True),
        (500, "   ", False),  # Cloud Run logs stderr's blank lines at ERROR too
        (500, None, False),
        (400, "boom", False),
        (0, "boom", False),
        (None, "boom", None),
    ],
)
def test_error_entry(store: Store, severity_num: int | None, text: str | None, error: bool | None) -> None:
    row = store.con.execute("SELECT error_entry(?::SMALLINT, ?)", [severity_num, text]).fetchone()
    assert row == (error,)
