"""End to end, live: `rca analyze` and `rca fetch` against a local fake Cloud Logging serving an incident.

The real google-cloud-logging client talks HTTP to the fake (tests/fakes/logging_server.py),
pointed there by RCA_LOGGING_ENDPOINT; nothing of rca is mocked. The live answer must be the
one reading the export file gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes.logging_server import FakeLoggingServer, load_export

from rca.cli.main import main
from tests.suite import SLOW

NETRA = Path(__file__).resolve().parent.parent / "examples" / "netra-backend-staging-2025-09-15.json"
WINDOW = ["--since", "2025-09-15T14:15:42Z", "--until", "2025-09-15T15:15:42Z"]


@pytest.fixture()
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLoggingServer]:
    """A fake serving the netra export, with rca's endpoint and cache pointed at it and at tmp."""
    with FakeLoggingServer(load_export(NETRA)) as fake:
        monkeypatch.setenv("RCA_LOGGING_ENDPOINT", fake.url)
        monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "netra-staging")
        yield fake


def run(*args: str) -> tuple[int, str]:
    """Invoke the CLI and return (exit code, stdout)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def report(*args: str) -> dict[str, Any]:
    """`rca analyze ... --format json` parsed."""
    code, out = run("analyze", "--service", "netra-backend-staging", *args, "--format", "json")
    assert code == 0, out
    parsed: dict[str, Any] = json.loads(out)
    return parsed


@SLOW
def test_live_analysis_reaches_the_same_root_cause_as_the_file(live: FakeLoggingServer) -> None:
    """The live path (queries, paging, cache file, loader) concludes what reading the export concludes."""
    from_live = report(*WINDOW, "--project", "netra-staging")
    from_file = report("--since", "1h", "--input", str(NETRA))
    assert (
        from_live["root_cause"]["category"] == from_file["root_cause"]["category"] == "network-connectivity"
    )
    assert from_live["root_cause"]["pattern_id"] == from_file["root_cause"]["pattern_id"]
    assert [c["pattern_id"] for c in from_live["chain"]][-3:] == [
        c["pattern_id"] for c in from_file["chain"]
    ][-3:]
    assert from_live["stats"]["truncated"] is False


@SLOW
def test_live_fetch_uses_a_fraction_of_a_full_pull(live: FakeLoggingServer) -> None:
    """Server-side filters: far fewer entries than the window holds, every filter time-bounded."""
    report(*WINDOW, "--project", "netra-staging")
    bodies = [r.body for r in live.requests if r.path.startswith("/v2/entries:list")]
    assert bodies and all('timestamp>="' in b["filter"] and 'timestamp<"' in b["filter"] for b in bodies)
    assert all(b["pageSize"] == 1000 and b["orderBy"] == "timestamp asc" for b in bodies)


@SLOW
def test_second_analysis_of_a_closed_window_reads_the_cache(live: FakeLoggingServer) -> None:
    """A closed window is fetched once; the same analysis again makes no API call; --refresh does."""
    report(*WINDOW)
    calls = live.calls
    report(*WINDOW)
    assert live.calls == calls
    report(*WINDOW, "--refresh")
    assert live.calls > calls


def test_fetch_writes_a_gcloud_style_export(live: FakeLoggingServer, tmp_path: Path) -> None:
    """`rca fetch --out` saves a newest-first JSON array that `rca analyze --input` reads back."""
    out = tmp_path / "incident.json"
    code, _ = run("fetch", "--service", "netra-backend-staging", *WINDOW, "--out", str(out))
    assert code == 0
    saved = json.loads(out.read_text())
    assert saved and saved[0]["timestamp"] >= saved[-1]["timestamp"]
    again = report("--since", "1h", "--input", str(out))
    assert again["root_cause"]["category"] == "network-connectivity"


def test_permission_denied_names_the_role(live: FakeLoggingServer) -> None:
    """A 403 from Cloud Logging exits 3 and says which role is missing."""
    live.fail(1, "403")
    result = CliRunner().invoke(main, ["analyze", "--service", "netra-backend-staging", *WINDOW, "--refresh"])
    assert result.exit_code == 3
    assert "roles/logging.viewer" in result.output
