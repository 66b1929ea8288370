"""Pytest fixtures around the fake Cloud Logging server; import them into a test module to use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.logging_server import FakeLoggingServer


@pytest.fixture
def fake_logging() -> Iterator[FakeLoggingServer]:
    """A started, empty fake; tests give it entries with ``fake.load(...)``."""
    with FakeLoggingServer() as fake:
        yield fake
