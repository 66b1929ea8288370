"""Live mode tells the truth: loud about gaps, the library pushed down, sampled numbers scaled back.

Every test drives the real google-cloud-logging client (REST) against the local fake
(tests/fakes/logging_server.py), with faults injected by call number: 400, 429, 5xx, a 401
mid-fetch, connection refused, unknown host, slow answers. Nothing of rca is mocked.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes.logging_server import FakeLoggingServer

from rca import api
from rca.cli.main import main
from rca.errors import SourceError
from rca.sources.cloud import fetch as cloud
from rca.sources.cloud import queries
from rca.sources.cloud.client import metered
from rca.sources.cloud.fetch import RateLimiter, RetryPolicy, fetch_entries
from rca.sources.cloud.queries import Query

REPO = Path(__file__).resolve().parent.parent
PROJECT = "netra-staging"
SERVICE = "netra-backend-staging"
NOW = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=10)
END = NOW
START = END - timedelta(hours=1)
WINDOW = ["--since", START.strftime("%Y-%m-%dT%H:%M:%SZ"), "--until", END.strftime("%Y-%m-%dT%H:%M:%SZ")]


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def resource(revision: str = "netra-backend-staging-00042-abc") -> dict[str, Any]:
    return {
        "type": "cloud_run_revision",
        "labels": {"service_name": SERVICE, "revision_name": revision, "project_id": PROJECT},
    }


def request(n: int, at: datetime, status: int) -> dict[str, Any]:
    """A Cloud Run request log."""
    return {
        "insertId": f"req-{n:07d}",
        "logName": f"projects/{PROJECT}/logs/run.googleapis.com%2Frequests",
        "resource": resource(),
        "timestamp": ts(at),
        "severity": "ERROR" if status >= 500 else "INFO",
        "httpRequest": {
            "requestMethod": "GET",
            "requestUrl": "https://x.run.app/api/items",
            "status": status,
            "latency": "0.05s",
        },
        "labels": {"instanceId": "inst-1"},
    }


def line(
    n: int,
    at: datetime,
    text: str,
    *,
    severity: str | None = None,
    log: str = "stdout",
    res: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A text entry (DEFAULT severity unless given)."""
    data: dict[str, Any] = {
        "insertId": f"line-{n:07d}",
        "logName": f"projects/{PROJECT}/logs/{log.replace('/', '%2F')}",
        "resource": res or resource(),
        "timestamp": ts(at),
        "textPayload": text,
        "labels": {"instanceId": "inst-1"},
    }
    if severity:
        data["severity"] = severity
    return data


def incident(healthy_per_min: int = 10, failing_per_min: int = 6) -> list[dict[str, Any]]:
    """Two hours of a service: healthy traffic throughout, 503s and a DB timeout in the last 30 min."""
    out: list[dict[str, Any]] = []
    n = 0
    for minute in range(120):
        base = END - timedelta(minutes=120 - minute)
        for k in range(healthy_per_min):
            out.append(request(n, base + timedelta(seconds=60 * k / healthy_per_min, microseconds=n), 200))
            n += 1
        if minute >= 90:
            for k in range(failing_per_min):
                out.append(request(n, base + timedelta(seconds=5 + 50 * k / failing_per_min), 503))
                n += 1
            out.append(
                line(
                    n,
                    base + timedelta(seconds=30),
                    "psycopg2.OperationalError: connection to server "
                    'at "10.107.1.3", port 5432 failed: Connection timed out',
                    log="run.googleapis.com/stderr",
                )
            )
            n += 1
        out.append(line(n, base + timedelta(seconds=1), "GET /api/items served from cache", severity="INFO"))
        n += 1
    return out


def invoke(*args: str) -> Any:
    """Run the CLI in-process; stdout and stderr apart."""
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLoggingServer]:
    """A fake serving the synthetic incident; rca pointed at it, retries without real sleeps."""
    monkeypatch.setattr(
        cloud, "RetryPolicy", functools.partial(RetryPolicy, max_retries=2, sleep=lambda s: None)
    )
    with FakeLoggingServer(incident()) as fake:
        monkeypatch.setenv("RCA_LOGGING_ENDPOINT", fake.url)
        monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
        yield fake


def analyze_json(*extra: str) -> tuple[int, dict[str, Any] | None, str]:
    result = invoke("analyze", "--service", SERVICE, *WINDOW, "--format", "json", *extra)
    body = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result.exit_code, body, result.stderr


# --------------------------------------------------------------------------- unreachable endpoints


def test_refused_connection_exits_3_fast_naming_the_endpoint_and_the_fix(tmp_path: Path) -> None:
    """Nothing listens on 127.0.0.1:9: exit 3 in seconds, not minutes of retries, naming the URL and fix."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RCA_LOGGING_ENDPOINT": "http://127.0.0.1:9",
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "RCA_CACHE_DIR": str(tmp_path),
    }
    for command in (["analyze"], ["fetch", "--out", str(tmp_path / "x.json")]):
        began = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "rca", *command, "--service", SERVICE, "--since", "1h"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert time.monotonic() - began < 30
        assert proc.returncode == 3, proc.stderr
        assert "http://127.0.0.1:9" in proc.stderr and "connection refused" in proc.stderr
        assert "RCA_LOGGING_ENDPOINT" in proc.stderr
        assert "no log entries" not in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_host_is_a_source_error_naming_it() -> None:
    """A name that does not resolve fails at once with the endpoint named, not after retries."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import logging as gcl

    client = gcl.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options={"api_endpoint": "http://no-such-host.invalid:8089"},
        _use_grpc=False,
    )
    slept: list[float] = []
    began = time.monotonic()
    with pytest.raises(SourceError, match=r"no-such-host\.invalid") as info:
        fetch_entries(
            client,
            [Query("q", 'log_id("x")', START, END)],
            retry=RetryPolicy(sleep=slept.append),
            rate=RateLimiter(sleep=slept.append),
        )
    assert info.value.exit_code == 3 and not slept and time.monotonic() - began < 30


def test_slow_answer_beyond_the_read_timeout_is_retried_without_loss(live: FakeLoggingServer) -> None:
    """A page slower than the read timeout is asked again; a slow page within it just arrives."""
    client = live.client(PROJECT)
    metered(client).timeout = (5.0, 0.5)
    live.slow_seconds = 1.5
    live.fail(1, "slow")
    query = Query("requests", queries.service_scope(SERVICE), START, END)
    slept: list[float] = []
    result = fetch_entries(client, [query], retry=RetryPolicy(sleep=slept.append))
    expected = [e for e in live.entries if START.strftime("%Y-%m-%dT%H:%M:%S") <= e["timestamp"] < ts(END)]
    assert result.complete and len(result.entries) == len(expected)
    assert slept == [2.0] and live.calls == 2 + len(expected) // 1000

    calm = live.client(PROJECT)
    live.faults.clear()
    live.slow_seconds = 0.3
    live.fail(live.calls + 1, "slow")
    assert fetch_entries(calm, [query], retry=RetryPolicy(sleep=slept.append)).complete and slept == [2.0]


# --------------------------------------------------------------------------- partial data is loud


def _call_numbers() -> dict[str, int]:
    """Call number of each query's first page in a fault-free run of the synthetic incident (one page
    each, in `analysis_queries` order, which grows with the library); the tests check the faulted
    call really was that query's."""
    from rca.library.loader import load_library

    built = queries.analysis_queries(
        SERVICE, START - (END - START), END, project=PROJECT, patterns=load_library().patterns
    )
    return {q.name: i for i, q in enumerate(built, start=1)}


CALL_OF = _call_numbers()


def query_of(fake: FakeLoggingServer, call: int) -> str:
    """Name of the analysis query whose filter the ``call``-th request carried."""
    from rca.library.loader import load_library

    bodies = {
        q.body: q.name
        for q in queries.analysis_queries(
            SERVICE, START - (END - START), END, project=PROJECT, patterns=load_library().patterns
        )
    }
    sent = fake.requests[call - 1].body["filter"]
    return next(name for body, name in bodies.items() if sent.startswith(f"({body})"))


@pytest.mark.parametrize(
    ("fault", "query", "reason"),
    [
        ("400", "signals-2", "HTTP 400"),
        ("429", "signals-2", "gave up after 2 retries: TooManyRequests"),
        ("503", "requests", "gave up after 2 retries: ServiceUnavailable"),
        ("500", "requests", "gave up after 2 retries: InternalServerError"),
        ("401", "requests", "gcloud auth application-default login"),
    ],
)
def test_partial_data_warns_marks_json_and_fails_strict(
    live: FakeLoggingServer, fault: str, query: str, reason: str
) -> None:
    """A rejected query, a quota or server error after retries, credentials expiring mid-fetch: the
    analysis runs on what arrived, stderr warns, the JSON says complete false with the missing range
    and reason, and --strict turns it into exit 4 (the report is still written)."""
    call = CALL_OF[query]
    times = 1 if fault in ("400", "401") else 3
    for n in range(call, call + times):
        live.fail(n, fault)
    code, report, stderr = analyze_json()
    assert query_of(live, call) == query
    assert code == 0, stderr
    assert report is not None and report["complete"] is False
    gap = next(g for g in report["missing"] if g["query"] == query)
    assert reason in gap["reason"] and gap["start"] < gap["end"]
    assert "rca: warning: INCOMPLETE DATA" in stderr and query in stderr
    live.requests.clear()
    live.faults = {n: fault for n in range(call, call + times)}
    code, strict, stderr = analyze_json("--refresh", "--strict")
    assert code == 4 and strict is not None and strict["complete"] is False
    assert "--strict" in stderr


def test_complete_fetch_says_so(live: FakeLoggingServer) -> None:
    """Without faults: complete true, no missing ranges, nothing on stderr, --strict exits 0."""
    code, report, stderr = analyze_json("--strict")
    assert code == 0 and report is not None and report["complete"] is True and report["missing"] == []
    assert "warning" not in stderr
    assert [r.body["filter"] for r in live.requests][CALL_OF["requests"] - 1].startswith(
        "(" + queries.healthy_requests_query(SERVICE, START, END).body
    )


def test_entry_budget_is_incomplete_data(live: FakeLoggingServer) -> None:
    """--max-entries reached: warned, complete false with the uncovered range, exit 4 under --strict."""
    code, report, stderr = analyze_json("--max-entries", "300")
    assert code == 0 and report is not None and report["complete"] is False
    assert any("--max-entries" in g["reason"] for g in report["missing"])
    assert "INCOMPLETE DATA" in stderr
    assert analyze_json("--max-entries", "300", "--strict")[0] == 4


def test_every_query_failing_is_a_source_error_not_an_empty_window(live: FakeLoggingServer) -> None:
    """Quota exhausted from the first call on: exit 3 with the API's reason, never 'no log entries'."""
    for n in range(1, 400):
        live.fail(n, "429")
    result = invoke("analyze", "--service", SERVICE, *WINDOW)
    assert result.exit_code == 3 and "TooManyRequests" in result.stderr
    assert "no log entries" not in result.stderr


def test_truncated_file_is_incomplete_data(tmp_path: Path) -> None:
    """An export cut mid-array: analysed, warned, complete false naming the file, exit 4 under --strict."""
    entries = sorted(incident(), key=lambda e: e["timestamp"], reverse=True)
    text = json.dumps(entries, indent=2)
    cut = tmp_path / "cut.json"
    cut.write_text(text[: int(len(text) * 0.6)])
    args = ["analyze", "--service", SERVICE, "--since", "1h", "--input", str(cut), "--format", "json"]
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["complete"] is False and str(cut) in report["missing"][0]["source"]
    assert "cut short" in report["missing"][0]["reason"] and "INCOMPLETE DATA" in result.stderr
    assert report["stats"]["data_warning"].startswith("INCOMPLETE DATA")
    assert invoke(*args, "--strict").exit_code == 4
    whole = tmp_path / "whole.json"
    whole.write_text(text)
    again = json.loads(invoke(*args[:-4], "--input", str(whole), "--format", "json", "--strict").stdout)
    assert again["complete"] is True and again["missing"] == []


# --------------------------------------------------------------------------- unbiased numbers


def test_sampled_requests_are_scaled_back_and_labelled(live: FakeLoggingServer) -> None:
    """Healthy requests read exactly up to a cut then sampled: the request count and error rate are
    scaled estimates labelled as such (with the sample size), close to the truth from the export."""
    truth = [e for e in live.entries if "httpRequest" in e and START <= _at(e) < END]
    truth_5xx = sum(1 for e in truth if e["httpRequest"]["status"] >= 500)
    loaded = api.load_live(
        service=SERVICE,
        since=WINDOW[1],
        until=WINDOW[3],
        sampling={"exact_requests": 200, "sample_target": 300},
    )
    stats = api.analyze(loaded).result.to_json()["stats"]
    assert stats["estimated"] is True and "requests" in stats["estimated_fields"]
    assert stats["sample"]["size"] > 100 and 0 < stats["sample"]["fraction"] < 1
    assert abs(stats["requests"] - len(truth)) / len(truth) < 0.1
    assert abs(stats["error_rate"] - truth_5xx / len(truth)) < 0.02
    assert stats["server_errors"] == truth_5xx  # failing requests are counted exactly
    assert "server_errors" not in stats["estimated_fields"]  # and not labelled as estimates
    exact = api.load_live(service=SERVICE, since=WINDOW[1], until=WINDOW[3], refresh=True)
    exact_stats = api.analyze(exact).result.to_json()["stats"]
    assert "estimated" not in exact_stats
    assert exact_stats["requests"] == len(truth)


def _at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))


# --------------------------------------------------------------------------- one library


def test_user_pack_absence_companion_and_cloudsql_lines_are_fetched(
    live: FakeLoggingServer, tmp_path: Path
) -> None:
    """User packs, absence companions and a pattern's log id reach the server: lines at DEFAULT
    severity that no built-in base clause selects still arrive and become findings."""
    sql = {
        "type": "cloudsql_database",
        "labels": {"database_id": f"{PROJECT}:main-db", "project_id": PROJECT},
    }
    extra = [
        line(9_000_001, END - timedelta(minutes=20), "frobnicator jammed on spindle 7"),
        line(9_000_002, END - timedelta(minutes=19), "Application startup complete."),
        line(
            9_000_003,
            END - timedelta(minutes=18),
            'connection to server at "10.107.1.3", port 5432 failed: Connection timed out',
            log="cloudsql.googleapis.com/postgres.log",
            res=sql,
            severity="INFO",
        ),
    ]
    live.load(live.entries + extra)
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "frobnicator-jammed.yaml").write_text(
        "id: frobnicator-jammed\ntitle: The frobnicator jammed\ncategory: application-exception\n"
        "layer: application\nseverity: error\nrole: cause\nmatch:\n  any: ['frobnicator jammed']\n"
        "why: The frobnicator jammed\nexamples:\n  match: ['frobnicator jammed on spindle 7']\n"
        "  no_match: ['frobnicator fine']\n"
    )
    code, report, stderr = analyze_json("--patterns", str(pack))
    assert code == 0, stderr
    assert report is not None
    fetched = {json.loads(x)["insertId"] for x in _cache_lines(live)}
    assert {"line-9000001", "line-9000002", "line-9000003"} <= fetched
    ids = {f["pattern_id"] for f in report["findings"]}
    assert "frobnicator-jammed" in ids and "postgres-connection-timeout" in ids


def _cache_lines(fake: FakeLoggingServer) -> list[str]:
    root = Path(os.environ["RCA_CACHE_DIR"])
    return [row for path in root.rglob("*.ndjson") for row in path.read_text().splitlines() if row]


def test_pattern_terms_follow_the_library() -> None:
    """Each pattern's log id, resource type, status range and absence companion shape the filter."""
    from rca.library.loader import load_library

    scope = queries.read_scope(SERVICE, PROJECT)
    terms = " ".join(queries.pattern_terms(load_library().patterns, scope))
    assert "Application startup complete" in terms
    assert 'log_id("cloudsql.googleapis.com/postgres.log")' in terms
    assert "httpRequest.status>=500 AND httpRequest.status<=599" in terms
    assert "jsonPayload.message=~" in terms and "(?P<" not in terms


def test_the_error_shape_clause_is_the_library_s() -> None:
    """The live fetch asks for error-shaped text as the library's knowledge spells it (the words
    the unexplained-signal miner reads), so an edit of `error_shaped` reaches both."""
    from rca.library.knowledge import load_knowledge

    shape = load_knowledge().error_shaped
    assert shape.startswith(r"(?i)\b(?:error|") and "undefined method" in shape
    start = datetime(2025, 9, 15, 14, tzinfo=timezone.utc)
    bodies = " ".join(q.body for q in queries.analysis_queries(SERVICE, start, start + timedelta(hours=1),
                                                               project=PROJECT))
    assert queries.message_matches(shape) in bodies


# --------------------------------------------------------------------------- rca fetch


def test_fetch_saves_the_whole_window_and_relevant_only_the_subset(
    live: FakeLoggingServer, tmp_path: Path
) -> None:
    """`rca fetch` saves every entry of the service's window and baseline, like gcloud logging read;
    --relevant-only saves the pushdown subset; analysing the full file gives the live answer."""
    full, subset = tmp_path / "full.json", tmp_path / "subset.json"
    result = invoke("fetch", "--service", SERVICE, *WINDOW, "--out", str(full))
    assert result.exit_code == 0, result.stderr
    expected = [e for e in live.entries if START - (END - START) <= _at(e) < END]
    assert len(json.loads(full.read_text())) == len(expected)
    assert "\r" not in result.stderr
    result = invoke("fetch", "--service", SERVICE, *WINDOW, "--out", str(subset), "--relevant-only")
    assert result.exit_code == 0
    assert 0 < len(json.loads(subset.read_text())) < len(expected)
    code, from_live, _ = analyze_json()
    from_file = json.loads(
        invoke("analyze", "--service", SERVICE, *WINDOW, "--input", str(full), "--format", "json").stdout
    )
    assert from_live is not None and code == 0
    assert from_file["root_cause"] == from_live["root_cause"]
    assert from_file["status"]["error_rate"] == from_live["status"]["error_rate"]


def test_progress_bar_is_rich() -> None:
    """The terminal progress display is a rich.progress bar fed by the fetch's events."""
    from rich.progress import Progress

    from rca.api.loading import _ProgressBar
    from rca.sources.cloud.fetch import Progress as Event

    bar = _ProgressBar()
    assert isinstance(bar.progress, Progress)
    bar(Event("signals", 10, 10, 1, "started", 3))
    bar(Event("signals", 10, 10, 1, "done", 3))
    task = bar.progress.tasks[0]
    assert task.total == 3 and task.completed == 1 and task.fields["entries"] == 10


def test_gapped_fetch_resumes_only_the_missing_range(live: FakeLoggingServer, tmp_path: Path) -> None:
    """An outage mid-window leaves a gap; the next run of the same request keeps what arrived and
    asks only for the missing part: the file ends complete, every entry once."""
    out = tmp_path / "full.json"
    for n in (4, 5, 6):  # the second page of the `service` query, and its two retries
        live.fail(n, "503")
    result = invoke("fetch", "--service", SERVICE, *WINDOW, "--out", str(out))
    assert result.exit_code == 0 and "INCOMPLETE DATA" in result.stderr and "service" in result.stderr
    first = json.loads(out.read_text())
    live.faults.clear()
    live.requests.clear()
    result = invoke("fetch", "--service", SERVICE, *WINDOW, "--out", str(out), "--strict")
    assert result.exit_code == 0, result.stderr
    assert "complete" in result.stderr and "INCOMPLETE" not in result.stderr
    scope = "(" + queries.service_scope(SERVICE)
    assert [r.body["filter"].startswith(scope) for r in live.requests] == [True]
    saved = json.loads(out.read_text())
    expected = [e for e in live.entries if START - (END - START) <= _at(e) < END]
    assert len(saved) == len(expected) > len(first)
    assert len({(e["insertId"], e["timestamp"]) for e in saved}) == len(saved)


def test_gapped_analysis_resumes_the_adaptive_query_whole(live: FakeLoggingServer) -> None:
    """A gap in the healthy-request query is filled by asking that query again whole (its exact and
    sampled ranges stay consistent); the other queries are not asked again."""
    for n in range(CALL_OF["requests"], CALL_OF["requests"] + 3):
        live.fail(n, "503")
    code, report, _ = analyze_json()
    assert code == 0 and report is not None and report["complete"] is False
    live.faults.clear()
    live.requests.clear()
    code, again, _ = analyze_json("--strict")
    assert code == 0 and again is not None and again["complete"] is True
    healthy = "(" + queries.healthy_requests_query(SERVICE, START, END).body
    assert live.requests and all(r.body["filter"].startswith(healthy) for r in live.requests)
    truth = [e for e in live.entries if "httpRequest" in e and START <= _at(e) < END]
    assert again["stats"]["requests"] == len(truth)
