"""Live faults: the real Cloud Logging client against the local fake, with faults injected by call number.

429 storms, 5xx, dropped connections and empty pages are retried and resumed without losing or
repeating an entry; when retries run out the result names the uncovered part of the window and
analysis runs on what arrived (`load_live`, and `rca analyze` through RCA_LOGGING_ENDPOINT);
credentials expiring mid-fetch end with the documented exit code; the cache never keeps a
half-written file. Sleeps are injected so no test waits for real.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fakes.logging_server import FakeLoggingServer

from rca import api
from rca.errors import SourceError
from rca.sources.cloud import cache
from rca.sources.cloud import fetch as cloud
from rca.sources.cloud.fetch import FetchResult, RateLimiter, RetryPolicy, fetch_entries, fetch_window
from rca.sources.cloud.queries import Query
from tests.suite import SLOW

REPO = Path(__file__).resolve().parent.parent
PROJECT = "netra-staging"
SERVICE = "netra-backend-staging"
T0 = datetime(2024, 8, 6, 10, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=1)


def entry(
    n: int, at: datetime | None = None, text: str = "psycopg2.OperationalError: connection refused"
) -> dict[str, Any]:
    """A canonical stderr entry ``n`` seconds after T0 (or at ``at``)."""
    moment = at or T0 + timedelta(seconds=n)
    return {
        "insertId": f"id-{n:06d}",
        "logName": f"projects/{PROJECT}/logs/run.googleapis.com%2Fstderr",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"service_name": SERVICE, "revision_name": "r-1"},
        },
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "severity": "ERROR",
        "textPayload": text,
    }


def stderr_query() -> Query:
    """The service's stderr over [T0, T1)."""
    body = f'resource.labels.service_name="{SERVICE}" AND log_id("run.googleapis.com/stderr")'
    return Query("stderr", body, T0, T1, None)


def fetch(fake: FakeLoggingServer, retries: int = 6) -> tuple[FetchResult, list[float]]:
    """fetch_entries with the real client, 50-entry pages and recorded (not slept) sleeps."""
    slept: list[float] = []
    result = fetch_entries(
        fake.client(PROJECT),
        [stderr_query()],
        rate=RateLimiter(sleep=slept.append),
        retry=RetryPolicy(max_retries=retries, sleep=slept.append),
    )
    return result, slept


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLoggingServer]:
    """A fake serving 500 entries in pages of 50 (the client asks for 1000; the fake caps it)."""
    monkeypatch.setattr(cloud, "PAGE_SIZE", 50)
    with FakeLoggingServer([entry(i) for i in range(500)]) as server:
        yield server


def served_ids(fake: FakeLoggingServer) -> list[str]:
    """Insert ids the fake holds, in time order."""
    return [e["insertId"] for e in fake.entries]


STORMS = {
    "429 storm": {n: "429" for n in range(2, 8)},
    "5xx mix": {2: "500", 3: "503", 5: "504", 6: "503"},
    "connection resets": {3: "reset", 4: "reset", 7: "reset"},
    "empty pages": {2: "empty", 3: "empty", 5: "empty"},
    "everything": {2: "429", 3: "reset", 4: "empty", 6: "503", 8: "429", 9: "reset", 11: "500"},
}


@pytest.mark.parametrize("storm", sorted(STORMS))
def test_faults_are_retried_and_resumed_without_loss_or_repeat(fake: FakeLoggingServer, storm: str) -> None:
    """Under each storm every served entry arrives exactly once and the result says it is complete."""
    for call, fault in STORMS[storm].items():
        fake.fail(call, fault)
    result, slept = fetch(fake)
    ids = [e["insertId"] for e in result.entries]
    assert ids == served_ids(fake)
    assert len(set(ids)) == len(ids)
    assert result.complete
    if storm != "empty pages":
        assert slept, "retries must back off"


def test_retries_exhausted_names_the_missing_range_and_keeps_what_arrived(fake: FakeLoggingServer) -> None:
    """When the API keeps failing, entries so far are kept and the gap starts at the last one that arrived."""
    for call in range(4, 40):
        fake.fail(call, "503")
    result, _ = fetch(fake, retries=3)
    arrived = [e["insertId"] for e in result.entries]
    assert arrived == served_ids(fake)[: len(arrived)] and len(arrived) >= 100
    (gap,) = result.missing
    last = datetime.strptime(result.entries[-1]["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc
    )
    assert datetime.fromisoformat(gap.start.replace("Z", "+00:00")) == last  # resumes at the last arrival
    assert gap.end.startswith("2024-08-06T11:00:00")
    assert "gave up after 3 retries" in gap.reason
    assert not result.complete


def test_credentials_expiring_mid_fetch_keep_what_arrived(fake: FakeLoggingServer) -> None:
    """A 401 after some pages keeps the entries that arrived and names the missing range and the fix."""
    fake.fail(4, "401")
    result, _ = fetch(fake)
    arrived = [e["insertId"] for e in result.entries]
    assert arrived and arrived == served_ids(fake)[: len(arrived)]
    assert result.missing and "gcloud auth application-default login" in result.missing[0].reason
    assert not result.complete


def test_credentials_rejected_before_anything_arrived_is_a_source_error(fake: FakeLoggingServer) -> None:
    """A 401 on the first call is an error (exit 3) telling the user how to log in again."""
    fake.fail(1, "401")
    with pytest.raises(SourceError, match="gcloud auth application-default login") as info:
        fetch(fake)
    assert info.value.exit_code == 3


def test_load_live_marks_truncated_and_missing(
    fake: FakeLoggingServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`load_live` on a fetch that ran out of retries still loads what arrived and lists the gaps."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    fake.load([entry(i, at=now - timedelta(minutes=50) + timedelta(seconds=5 * i)) for i in range(500)])
    for call in range(7, 200):  # deploys, cloudsql, cloudsql-health, then three pages of signals
        fake.fail(call, "503")
    monkeypatch.setattr(
        cloud, "RetryPolicy", functools.partial(RetryPolicy, max_retries=2, sleep=lambda s: None)
    )
    monkeypatch.setenv("RCA_LOGGING_ENDPOINT", fake.url)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path))
    loaded = api.load_live(service=SERVICE, since="1h", max_entries=1000)
    assert loaded.window_count() >= 50
    assert any(m.startswith("signals: ") and "gave up after 2 retries" in m for m in loaded.missing)
    assert any(m.startswith("requests: ") and "not run" in m for m in loaded.missing)
    stats = loaded.load_stats()
    assert stats.missing_ranges == loaded.missing
    assert stats.complete is False and loaded.warning() is not None
    assert {g.query for g in stats.missing} >= {"signals", "requests"}
    fake.faults.clear()
    budget = api.load_live(service=SERVICE, since="1h", max_entries=20, refresh=True)
    assert budget.truncated


@SLOW
def test_cli_reports_the_missing_range_and_exits_zero(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """`rca analyze` against a fake that rejects one query exits 0, warns on stderr, and says in the
    JSON that the data is incomplete (``complete: false``, ``missing`` with the range and reason)."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    fake.load([entry(i, at=now - timedelta(minutes=40) + timedelta(seconds=3 * i)) for i in range(300)])
    fake.fail(2, "400")  # a rejected query is recorded as missing without retries (and without real sleeps)
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RCA_LOGGING_ENDPOINT": fake.url,
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "RCA_CACHE_DIR": str(tmp_path / "cache"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "rca", "analyze", "--service", SERVICE, "--since", "1h", "--format", "json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)["stats"]
    assert stats["missing_ranges"] and "rejected by the API" in stats["missing_ranges"][0]
    assert stats["read"] >= 300
    report = json.loads(proc.stdout)
    assert report["complete"] is False
    [gap] = report["missing"]
    assert gap["query"] == "cloudsql" and "HTTP 400" in gap["reason"] and gap["start"] < gap["end"]
    assert "rca: warning: INCOMPLETE DATA" in proc.stderr and "cloudsql" in proc.stderr


def test_fetch_window_resumes_into_the_cache_without_duplicates(
    fake: FakeLoggingServer, tmp_path: Path
) -> None:
    """A faulty closed-window fetch stores each entry once; its metadata never holds credentials."""
    for call, fault in STORMS["everything"].items():
        fake.fail(call, fault)
    path, result = fetch_window(
        SERVICE,
        T0,
        T1,
        PROJECT,
        client=fake.client(PROJECT),
        cache_dir=tmp_path,
        now=T1 + timedelta(days=1),
        rate=RateLimiter(sleep=lambda s: None),
        retry=RetryPolicy(sleep=lambda s: None),
    )
    assert result.complete
    stored = [json.loads(line)["insertId"] for line in path.read_text().splitlines()]
    assert sorted(stored) == sorted(set(stored)) and set(served_ids(fake)) <= set(stored)
    meta = path.with_name(path.name.replace(".ndjson", ".meta.json")).read_text()
    for word in ("token", "Authorization", "private_key", "Bearer"):
        assert word not in meta


# --------------------------------------------------------------------------- the cache under a crash


def _entries_then_crash(count: int) -> Iterator[dict[str, Any]]:
    """Yield ``count`` entries, then fail as a crash mid-write would."""
    for i in range(count):
        yield entry(i)
    raise KeyboardInterrupt("crash while writing")


def test_crash_during_cache_write_keeps_the_previous_window(tmp_path: Path) -> None:
    """An exception halfway through a cache write leaves the old file and metadata, and no temp files."""
    key = "k" * 32
    cache.store(tmp_path, key, [entry(1), entry(2)], {"errors": [], "missing": []}, closed=True)
    before = cache.lookup(tmp_path, key, 100)
    assert before is not None
    with pytest.raises(KeyboardInterrupt):
        cache.store(tmp_path, key, _entries_then_crash(50), {"errors": [], "missing": []}, closed=True)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    after = cache.lookup(tmp_path, key, 100)
    assert after is None or [e["insertId"] for e in after.load()] == ["id-000001", "id-000002"]


def test_killed_process_mid_write_leaves_no_usable_half_file(tmp_path: Path) -> None:
    """A process killed (os._exit) mid-write leaves no cache hit: the half file never took the real name."""
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from rca.sources.cloud import cache\n"
        "def gen():\n"
        "    for i in range(100000):\n"
        "        if i == 5000:\n"
        "            os._exit(9)\n"
        "        yield {'insertId': str(i), 'timestamp': '2024-08-06T10:00:00Z', 'textPayload': 'x' * 50}\n"
        "cache.store(Path(sys.argv[1]), 'a' * 32, gen(), {'errors': [], 'missing': []}, closed=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 9
    data, meta = cache.paths(tmp_path, "a" * 32)
    assert not data.exists() and not meta.exists()
    assert cache.lookup(tmp_path, "a" * 32, 10) is None
