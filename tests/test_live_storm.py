"""A dense incident live: the failing-request storm is sampled beyond what the reasoning needs.

A constructed storm (thousands of bare 503 request logs, the application's pool errors logged
under the same traces for some of them, Cloud Run's own messages on some failing request logs
and on 429s) is served from the local fake Cloud Logging and read with the real
google-cloud-logging client. The bare failing request logs are read exactly up to a cut and
sampled after it; everything a pattern reads by its text is read in full. The live analysis
must give the file analysis's root cause, findings, statuses and verdict, with counts scaled
back and labelled as estimates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fakes.logging_server import FakeLoggingServer

from rca import api
from rca.sources.cloud import queries

# A 6,000-request storm served by the fake: the full suite (--run-slow, CI); the default suite
# keeps one sampled-storm parity case (tests/test_live_parity.py).
pytestmark = pytest.mark.slow

PROJECT = "acme"
SERVICE = "shop"
END = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
START = END - timedelta(hours=1)
ONSET = START + timedelta(minutes=10)
POOL = (
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, "
    "timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)"
)
NO_INSTANCE = "The request was aborted because there was no available instance."
NOT_STARTED = "The request failed because the instance could not start successfully."
SMALL_BUDGET = {"exact_failing": 600, "failing_sample_target": 400}


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Storm:
    """Cloud Run entries of one service, with unique insertIds."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, at: datetime, log: str, instance: str, **fields: Any) -> dict[str, Any]:
        entry = {
            "insertId": f"s{len(self.entries):06d}",
            "timestamp": _ts(at),
            "logName": f"projects/{PROJECT}/logs/{log.replace('/', '%2F')}",
            "resource": {
                "type": "cloud_run_revision",
                "labels": {"service_name": SERVICE, "revision_name": "shop-00012-xyz", "project_id": PROJECT},
            },
            "labels": {"instanceId": instance},
            **fields,
        }
        self.entries.append(entry)
        return entry

    def request(self, at: datetime, status: int, instance: str, trace: str, text: str | None = None) -> None:
        extra = {"textPayload": text} if text else {}
        self.add(
            at,
            "run.googleapis.com/requests",
            instance,
            severity="ERROR" if status >= 500 else ("WARNING" if status == 429 else "INFO"),
            trace=trace,
            httpRequest={"requestMethod": "GET", "requestUrl": "https://shop.run.app/cart", "status": status,
                         "latency": "0.5s"},
            **extra,
        )


def dense_incident(per_second: float = 2.0) -> list[dict[str, Any]]:
    """Healthy traffic over the baseline and the window; from ONSET a storm of bare 503s at
    ``per_second``, every 10th with the pool error under its trace; a 429 with Cloud Run's
    "no available instance" every 30 s and a 503 with "could not start" every 45 s."""
    log = Storm()
    t = START - timedelta(hours=1)
    n = 0
    while t < END:
        log.request(t, 200, f"inst-{n % 4}", f"projects/{PROJECT}/traces/ok{n:06d}")
        t += timedelta(seconds=3)
        n += 1
    step = timedelta(seconds=1 / per_second)
    t, k = ONSET, 0
    while t < END:
        instance, trace = f"inst-{k % 4}", f"projects/{PROJECT}/traces/bad{k:06d}"
        if k % 10 == 0:
            log.add(t, "run.googleapis.com/stderr", instance, textPayload=POOL, trace=trace)
        log.request(t + timedelta(milliseconds=5), 503, instance, trace)
        if k % int(30 * per_second) == 0:
            log.request(t, 429, instance, trace + "r", NO_INSTANCE)
        if k % int(45 * per_second) == 0:
            log.request(t, 503, instance, trace + "s", NOT_STARTED)
        t += step
        k += 1
    return log.entries


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The file report, the live report, the live store's insertIds and the fake's request log."""
    entries = dense_incident()
    tmp = tmp_path_factory.mktemp("storm")
    since, until = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (START, END))
    export = tmp / "export.json"
    export.write_text(json.dumps(sorted(entries, key=lambda e: e["timestamp"], reverse=True)))
    from_file = api.analyze([str(export)], since=since, until=until, service=SERVICE).result.to_json()
    patch = pytest.MonkeyPatch()
    patch.setenv("RCA_CACHE_DIR", str(tmp / "cache"))
    try:
        with FakeLoggingServer(entries) as fake:
            patch.setenv("RCA_LOGGING_ENDPOINT", fake.url)
            patch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
            loaded = api.load_live(service=SERVICE, since=since, until=until, sampling=SMALL_BUDGET)
            con = loaded.store.con
            ids = {r[0] for r in con.execute("SELECT insert_id FROM entries").fetchall()}
            read_5xx = con.execute(
                "SELECT count(*) FROM entries WHERE in_window AND http_status >= 500"
            ).fetchone()
            from_live = api.analyze(loaded).result.to_json()
            filters = [r.body["filter"] for r in fake.requests]
        yield {"entries": entries, "file": from_file, "live": from_live, "ids": ids, "filters": filters,
               "read_5xx": int(read_5xx[0]) if read_5xx else 0}
    finally:
        patch.undo()


def _in_window(entry: dict[str, Any]) -> bool:
    at = datetime.strptime(entry["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return START <= at <= END


def _count(report: dict[str, Any], pattern_id: str) -> int:
    return int(next(f["count"] for f in report["findings"] if f["pattern_id"] == pattern_id))


def test_the_storm_is_sampled_and_the_answer_is_the_file_answer(storm: dict[str, Any]) -> None:
    """Same root cause, findings and statuses, verdict; far fewer entries read than in the range."""
    live, full = storm["live"], storm["file"]
    assert live["complete"] is True
    assert full["root_cause"]["pattern_id"] == "sqlalchemy-queuepool-exhausted"
    assert live["root_cause"]["pattern_id"] == full["root_cause"]["pattern_id"]
    assert live["root_cause"]["category"] == full["root_cause"]["category"]
    assert sorted((f["pattern_id"], f["status"]) for f in live["findings"]) == sorted(
        (f["pattern_id"], f["status"]) for f in full["findings"]
    )
    assert [c["pattern_id"] for c in live["chain"]] == [c["pattern_id"] for c in full["chain"]]
    assert live["status"]["state"] == full["status"]["state"]
    assert live["status"]["onset"] == full["status"]["onset"]
    entries = storm["entries"]
    storm_size = sum(1 for e in entries if queries.stream_of(e, SERVICE) == "failing")
    assert live["stats"]["read"] < len(entries) - storm_size / 2  # most of the storm was not read


def close(estimate: int, truth: int, fraction: float) -> bool:
    """Within three standard deviations of a count scaled back from a ``fraction`` sample."""
    return abs(estimate - truth) <= 3 * math.sqrt(truth * (1 - fraction) / fraction) + 1


def test_counts_are_scaled_back_and_labelled(storm: dict[str, Any]) -> None:
    """Request totals, 5xx, error entries and the 5xx finding's count: estimates within sampling
    error of the truth, labelled with the sample that made them; the sample is of the failing
    requests."""
    live, full = storm["live"], storm["file"]
    stats = live["stats"]
    assert stats["estimated"] is True and live["status"]["estimated"] is True
    assert "failing request logs" in stats["sample"]["what"]
    assert {"server_errors", "requests", "error_entries"} <= set(stats["estimated_fields"])
    fraction = stats["sample"]["fraction"]
    assert 0 < fraction < 1 and stats["sample"]["size"] > 0
    for key in ("server_errors", "requests", "error_entries", "recent_requests"):
        assert close(stats[key], full["stats"][key], fraction), (key, stats[key], full["stats"][key])
    assert abs(stats["error_rate"] - full["stats"]["error_rate"]) <= 0.02
    assert close(live["status"]["failed_requests"], full["status"]["failed_requests"], fraction)
    assert close(_count(live, "run-request-5xx"), _count(full, "run-request-5xx"), fraction)
    # Unscaled, the sample would say far fewer: the scaling is what brings the count back.
    assert storm["read_5xx"] < 0.5 * full["stats"]["server_errors"]


def test_what_a_pattern_reads_by_its_text_is_read_in_full(storm: dict[str, Any]) -> None:
    """The application's errors, and failing request logs that carry Cloud Run's own message (the
    429 "no available instance", the 503 "could not start"), all arrive: their findings' counts
    and the rate-limited count are exact, not estimates."""
    live, full = storm["live"], storm["file"]
    texted = [e for e in storm["entries"] if _in_window(e) and ("textPayload" in e)]
    assert texted and all(e["insertId"] in storm["ids"] for e in texted)
    for pattern in ("sqlalchemy-queuepool-exhausted", "run-request-no-available-instance",
                    "run-request-instance-failed-to-start"):
        assert _count(live, pattern) == _count(full, pattern), pattern
    assert live["stats"]["rate_limited"] == full["stats"]["rate_limited"] > 0


def test_only_the_bare_failing_requests_are_sampled(storm: dict[str, Any]) -> None:
    """The signals leave the storm out, the storm query reads it exactly then as a sample, and the
    healthy requests (few here) are read exactly."""
    storm_filter = queries.storm(SERVICE)
    signals = [f for f in storm["filters"] if f"NOT {storm_filter}" in f]
    assert signals, "the signals must leave the storm out"
    sampled = [f for f in storm["filters"] if f.startswith(f"(({storm_filter}) AND sample(insertId, ")]
    assert sampled, "the rest of the storm is read as a sample"
