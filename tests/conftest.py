"""Suite-wide options: the default run is the fast suite; ``--run-slow`` (what CI runs) adds the rest.

Tests marked ``slow`` are end-to-end runs over whole corpora (every sample and constructed incident
through the file, live and BigQuery paths, the CLI in subprocesses, a real browser). They are
deselected by default so that ``python -m pytest -q`` (spread over every core by pytest-xdist's
``-n auto`` in pyproject's addopts) stays under 90 s on two cores, and they are
deselected, not skipped: nothing reports them as passed. ``.ci/run`` and the README's test command
pass ``--run-slow``, so every merge runs everything.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

RUN_SLOW = "--run-slow"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register ``--run-slow``."""
    parser.addoption(RUN_SLOW, action="store_true", default=False,
                     help="also run the slow end-to-end tests (CI does)")


def pytest_configure(config: pytest.Config) -> None:
    """Declare the ``slow`` marker so that a typo in it is an error under ``--strict-markers``, and
    keep rca's caches (the checked library, fetched windows) out of the user's home: unless the
    caller chose a directory, each test process gets a fresh one, which the CLIs it starts share."""
    config.addinivalue_line("markers", "slow: an end-to-end run deselected unless --run-slow is given")
    if "RCA_CACHE_DIR" not in os.environ:
        os.environ["RCA_CACHE_DIR"] = config.stash[_OWN_CACHE] = tempfile.mkdtemp(prefix="rca-test-cache-")


_OWN_CACHE = pytest.StashKey[str]()  # the cache directory this process made (removed at the end)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the cache directory ``pytest_configure`` made."""
    own = config.stash.get(_OWN_CACHE, None)
    if own:
        shutil.rmtree(own, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the ``slow`` tests unless ``--run-slow`` was given."""
    if config.getoption(RUN_SLOW):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


def pytest_report_header(config: pytest.Config) -> str:
    """Say which suite runs, at the top, so a fast run is never mistaken for the full one."""
    if config.getoption(RUN_SLOW):
        return "suite: full (--run-slow)"
    return "suite: fast (slow end-to-end tests deselected; add --run-slow to run everything, as CI does)"
