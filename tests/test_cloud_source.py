"""The live Cloud Logging source: the real google-cloud-logging client against a local fake API.

Nothing of the client or of rca is mocked: the fake answers HTTP like Cloud Logging does, so
paging, entry classes, timestamp parsing and error mapping are the library's own. Sleeps and
clocks are injected so no test waits for real.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fakes.filter_eval import parse
from fakes.logging_server import FakeLoggingServer

from rca.errors import SourceError, UsageError
from rca.sources.cloud import cache, queries
from rca.sources.cloud.fetch import (
    FetchResult,
    Progress,
    RateLimiter,
    RetryPolicy,
    entry_key,
    fetch_entries,
    fetch_window,
    make_client,
)
from rca.sources.cloud.queries import Query

PROJECT = "netra-staging"
SERVICE = "netra-backend-staging"
T0 = datetime(2024, 8, 6, 10, 0, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=1)
LATER = T1 + timedelta(days=1)  # a "now" after which [T0, T1) is a closed window


# --------------------------------------------------------------------------- builders


def entry(
    n: int,
    *,
    log: str = "run.googleapis.com/stderr",
    severity: str | None = "ERROR",
    text: str | None = "boom",
    service: str = SERVICE,
    status: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """A canonical LogEntry ``n`` s + 500 µs + 789 ns after T0 (or at ``at``), nanoseconds included."""
    moment = at or T0 + timedelta(seconds=n, microseconds=500)
    data: dict[str, Any] = {
        "insertId": f"id-{n:06d}",
        "logName": f"projects/{PROJECT}/logs/{log.replace('/', '%2F')}",
        "receiveTimestamp": (moment + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"service_name": service, "revision_name": "r-1"},
        },
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "789Z",
    }
    if severity:
        data["severity"] = severity
    if text is not None:
        data["textPayload"] = text
    if status is not None:
        data["httpRequest"] = {"requestMethod": "GET", "requestUrl": "https://x/a", "status": status}
    return data


def errors(count: int, start: int = 0) -> list[dict[str, Any]]:
    """``count`` stderr ERROR entries one second apart."""
    return [entry(start + i) for i in range(count)]


def one_query(name: str = "q", limit: int | None = None) -> Query:
    """A query over the service's stderr for [T0, T1)."""
    body = f'resource.labels.service_name="{SERVICE}" AND log_id("run.googleapis.com/stderr")'
    return Query(name, body, T0, T1, limit)


class Sleeps:
    """Records requested sleeps instead of sleeping; also a fake clock that the sleeps advance."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 0.0

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def run(
    fake: FakeLoggingServer, qs: list[Query], *, max_entries: int = 100_000, retries: int = 6
) -> tuple[FetchResult, Sleeps]:
    """Fetch with the real client against ``fake``, with injected sleeps."""
    sleeps = Sleeps()
    result = fetch_entries(
        fake.client(PROJECT),
        qs,
        max_entries=max_entries,
        rate=RateLimiter(clock=sleeps.clock, sleep=sleeps),
        retry=RetryPolicy(max_retries=retries, sleep=sleeps),
    )
    return result, sleeps


def ids(result: FetchResult) -> list[str]:
    """Insert ids of the fetched entries, in result order."""
    return [e["insertId"] for e in result.entries]


@pytest.fixture
def fake() -> Any:
    """A started fake Cloud Logging server."""
    with FakeLoggingServer() as server:
        yield server


# --------------------------------------------------------------------------- queries: exact strings

SCOPE = f'(resource.type="cloud_run_revision" AND resource.labels.service_name="{SERVICE}")'
BOUNDS = ' AND timestamp>="2024-08-06T10:00:00Z" AND timestamp<"2024-08-06T11:00:00Z"'


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (T0, "2024-08-06T10:00:00Z"),  # whole seconds: no fraction
        (T0 + timedelta(microseconds=18142), "2024-08-06T10:00:00.018142Z"),  # resume points keep micros
        (datetime(2024, 8, 6, 12, 0, tzinfo=timezone(timedelta(hours=2))), "2024-08-06T10:00:00Z"),  # to UTC
        (datetime(2024, 8, 6, 10, 0), "2024-08-06T10:00:00Z"),  # naive is UTC
    ],
)
def test_format_ts(moment: datetime, text: str) -> None:
    """Filter timestamps are RFC 3339 UTC with Z, with microseconds only when present."""
    assert text == queries.format_ts(moment)


def test_quote_escapes_backslash_and_quote() -> None:
    """String literals escape backslashes and double quotes, so a regex reaches the API intact."""
    assert queries.quote(r'a\d+ "q"') == r'"a\\d+ \"q\""'


def test_deploy_query_exact() -> None:
    """Deploy and revision audit entries are looked up 24 h before the window."""
    expected = (
        f'({SCOPE} AND ((log_id("cloudaudit.googleapis.com/activity") AND '
        'protoPayload.serviceName="run.googleapis.com") OR log_id("cloudaudit.googleapis.com/system_event")))'
        ' AND timestamp>="2024-08-05T10:00:00Z" AND timestamp<"2024-08-06T11:00:00Z"'
    )
    assert expected == queries.deploy_query(SERVICE, T0, T1).filter()


@pytest.mark.parametrize(
    ("instances", "expected_ids"),
    [
        (["main-db"], '(resource.labels.database_id="netra-staging:main-db")'),  # project added
        (
            ["other:db", "main-db", "main-db"],
            '(resource.labels.database_id="netra-staging:main-db" OR resource.labels.database_id="other:db")',
        ),  # sorted, de-duplicated, explicit project kept
    ],
)
def test_cloudsql_query_exact(instances: list[str], expected_ids: str) -> None:
    """Cloud SQL postgres warnings for the named instances, by database_id."""
    expected = (
        f'((resource.type="cloudsql_database" AND {expected_ids} AND '
        'log_id("cloudsql.googleapis.com/postgres.log") AND '
        '(severity>=WARNING OR textPayload=~" (WARNING|ERROR|FATAL|PANIC):  ")))' + BOUNDS
    )
    query = queries.cloudsql_query(PROJECT, instances, T0, T1)
    assert query is not None
    assert expected == query.filter()


@pytest.mark.parametrize(
    ("text", "severity", "selected"),
    [
        ("[1-1] db=app,user=app FATAL:  sorry, too many clients already", "INFO", True),  # level in the text
        ("[2-1] db=,user= LOG:  checkpoint starting: time", "INFO", False),  # routine line
        ("[3-1] db=app,user=app LOG:  unexpected EOF", "WARNING", True),  # severity alone suffices
    ],
)
def test_cloudsql_filter_selects(text: str, severity: str, selected: bool) -> None:
    """Postgres problems are kept by severity or by their own level; routine LOG lines are not."""
    query = queries.cloudsql_query(PROJECT, ["main-db"], T0, T1)
    assert query is not None
    line = entry(1, log="cloudsql.googleapis.com/postgres.log", severity=severity, text=text)
    line["resource"] = {"type": "cloudsql_database", "labels": {"database_id": "netra-staging:main-db"}}
    assert selected == parse(query.filter())(line)


def test_cloudsql_queries_without_instances_cover_the_project() -> None:
    """No instance named: problems and a small health sample of every Cloud SQL instance in the project."""
    problems = queries.cloudsql_query(PROJECT, [], T0, T1).filter()
    health = queries.cloudsql_health_query(PROJECT, [], T0, T1)
    assert "database_id" not in problems and "database_id" not in health.filter()
    assert 'resource.type="cloudsql_database"' in problems
    assert "sample(insertId, 0.05)" in health.filter()
    assert health.limit == 100


def test_baseline_query_exact() -> None:
    """The baseline is a 2% sample of the service's entries."""
    assert f"({SCOPE} AND sample(insertId, 0.02)){BOUNDS}" == queries.baseline_query(SERVICE, T0, T1).filter()


def test_signal_query_exact() -> None:
    """The signal query ORs platform, failing-request, warning, traceback and pattern clauses."""
    app = '(log_id("run.googleapis.com/stdout") OR log_id("run.googleapis.com/stderr"))'
    traceback = queries.quote(queries.TRACEBACK_LINE_RE)
    expected = (
        f'({SCOPE} AND (log_id("run.googleapis.com/varlog/system")'
        ' OR (log_id("run.googleapis.com/requests") AND (httpRequest.status>=500 OR httpRequest.status=429))'
        f" OR ({app} AND severity>=WARNING)"
        f" OR ({app} AND severity=DEFAULT AND textPayload=~{traceback})"
        r' OR textPayload=~"(?:Memory limit of \\d+ MiB)|(?:too many clients)"))' + BOUNDS
    )
    [query] = queries.signal_queries(SERVICE, T0, T1, [r"Memory limit of \d+ MiB", "too many clients"])
    assert expected == query.filter()


@pytest.mark.parametrize(
    ("regexes", "max_chars", "expected"),
    [
        (["a", "b", "a"], 100, ["(?:a)|(?:b)"]),  # duplicates dropped, order kept
        (["aaaa", "bbbb", "cccc"], 17, ["(?:aaaa)|(?:bbbb)", "(?:cccc)"]),  # split at the size bound
        (["x" * 30], 10, ["(?:" + "x" * 30 + ")"]),  # an over-long regex is kept alone, never dropped
        ([], 10, []),
    ],
)
def test_regex_alternations(regexes: list[str], max_chars: int, expected: list[str]) -> None:
    """Regexes combine into a bounded number of alternations of bounded length."""
    assert expected == queries.regex_alternations(regexes, max_chars)


def test_signal_queries_split_under_limit() -> None:
    """Many long regexes spread over several filters, each under the limit, none lost."""
    regexes = [f"error number {i} " + "y" * 200 for i in range(200)]
    result = queries.signal_queries(SERVICE, T0, T1, regexes)
    assert len(result) > 1
    assert all(len(q.filter()) <= queries.MAX_FILTER_CHARS for q in result)
    assert all('timestamp>="' in q.filter() and 'timestamp<"' in q.filter() for q in result)
    joined = " ".join(q.filter() for q in result)
    assert all(f"(?:{r})" in joined for r in regexes)
    assert ["signals", *(f"signals-{i}" for i in range(2, len(result) + 1))] == [q.name for q in result]


def test_build_queries_order_and_empty_window() -> None:
    """Queries run cheapest and most telling first; an empty window is refused."""
    names = [q.name for q in queries.build_queries(SERVICE, T0, T1, project=PROJECT, sql_instances=["db"])]
    assert names == ["deploys", "cloudsql", "cloudsql-health", "signals", "baseline"]
    with pytest.raises(ValueError, match="empty window"):
        queries.build_queries(SERVICE, T1, T0, project=PROJECT)


@pytest.mark.parametrize(
    ("case", "selected"),
    [
        (entry(1, log="run.googleapis.com/requests", severity="ERROR", text=None, status=503), True),
        (entry(2, log="run.googleapis.com/requests", severity="WARNING", text=None, status=429), True),
        (entry(3, log="run.googleapis.com/requests", severity="INFO", text=None, status=200), False),
        (entry(4, log="run.googleapis.com/varlog/system", severity="INFO", text="Starting"), True),
        (
            entry(
                5, log="run.googleapis.com/stdout", severity=None, text="Traceback (most recent call last):"
            ),
            True,
        ),
        (
            entry(
                6, log="run.googleapis.com/stderr", severity=None, text='  File "/app/db.py", line 88, in get'
            ),
            True,
        ),
        (
            entry(
                7,
                log="run.googleapis.com/stderr",
                severity=None,
                text="asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients",
            ),
            True,
        ),
        (entry(8, log="run.googleapis.com/stdout", severity="INFO", text="GET /health 200"), False),
        (
            entry(
                9, log="run.googleapis.com/stdout", severity="INFO", text="Memory limit of 512 MiB exceeded"
            ),
            True,
        ),
        (entry(10, log="run.googleapis.com/stderr", severity="ERROR", service="other-service"), False),
        (entry(11, at=T1), False),  # the upper bound is exclusive
    ],
)
def test_signal_filter_selects(case: dict[str, Any], selected: bool) -> None:
    """The signal filter (evaluated with the language's precedence) keeps trouble and skips noise."""
    [query] = queries.signal_queries(SERVICE, T0, T1, [r"Memory limit of \d+ MiB"])
    assert selected == parse(query.filter())(case)


# --------------------------------------------------------------------------- fetch: paging and requests


def test_paging_and_request_shape(fake: FakeLoggingServer) -> None:
    """Pages of 1000, ascending, with the exact filter and a page token; no auth header, nothing lost."""
    fake.load(errors(2500))
    query = one_query()
    result, _ = run(fake, [query])
    assert [f"id-{i:06d}" for i in range(2500)] == ids(result)
    assert 3 == result.calls == fake.calls
    bodies = [r.body for r in fake.requests]
    expected = {
        "resourceNames": [f"projects/{PROJECT}"],
        "filter": query.filter(),
        "orderBy": "timestamp asc",
        "pageSize": 1000,
    }
    assert [expected, {**expected, "pageToken": "1000"}, {**expected, "pageToken": "2000"}] == bodies
    assert all("authorization" not in r.headers for r in fake.requests)
    assert result.per_query == {"q": 2500}
    assert result.complete


def test_canonical_entry_shape(fake: FakeLoggingServer) -> None:
    """Entries come back in API camelCase with receiveTimestamp, nanoseconds cut to microseconds."""
    fake.load([entry(0, log="run.googleapis.com/requests", status=503)])
    result, _ = run(fake, [Query("q", f'resource.labels.service_name="{SERVICE}"', T0, T1)])
    [got] = result.entries
    assert got["timestamp"] == "2024-08-06T10:00:00.000500Z"
    assert got["receiveTimestamp"] == "2024-08-06T10:00:01.000500Z"
    assert got["httpRequest"]["status"] == 503
    assert got["logName"] == "projects/netra-staging/logs/run.googleapis.com%2Frequests"


def test_empty_page_with_token_is_followed(fake: FakeLoggingServer) -> None:
    """An empty page that carries a token means 'search not finished': the fetch continues."""
    fake.load(errors(1500))
    fake.fail(1, "empty")
    result, _ = run(fake, [one_query()])
    assert len(result.entries) == 1500
    assert result.calls == 3


@pytest.mark.parametrize("fault", ["429", "503", "500", "504", "reset"])
def test_mid_stream_failure_resumes_without_loss_or_repeat(fake: FakeLoggingServer, fault: str) -> None:
    """A throttle, outage or dropped connection on page 2 is retried from the last timestamp."""
    fake.load(errors(2500))
    fake.fail(2, fault)
    result, sleeps = run(fake, [one_query()])
    assert [f"id-{i:06d}" for i in range(2500)] == ids(result)
    assert sleeps.calls == [2.0]
    resumed = fake.requests[2].body
    assert 'timestamp>="2024-08-06T10:16:39.000500Z"' in resumed["filter"]  # entry 999, micro-truncated
    assert "pageToken" not in resumed
    assert result.complete and not result.errors


def test_same_timestamp_entries_survive_resume(fake: FakeLoggingServer) -> None:
    """Entries sharing the resume timestamp are re-read and de-duplicated, not skipped."""
    fake.load([entry(i, at=T0 + timedelta(seconds=i // 10)) for i in range(2000)])
    fake.fail(2, "429")
    result, _ = run(fake, [one_query()])
    assert sorted(f"id-{i:06d}" for i in range(2000)) == sorted(ids(result))
    assert len(set(ids(result))) == len(result.entries)


def test_backoff_is_exponential_and_capped(fake: FakeLoggingServer) -> None:
    """Consecutive failures back off 2, 4, 8 ... seconds, capped at 60."""
    fake.load(errors(10))
    for call in range(1, 8):
        fake.fail(call, "429")
    result, sleeps = run(fake, [one_query()], retries=7)
    assert sleeps.calls == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert len(result.entries) == 10


def test_retries_exhausted_keeps_what_arrived(fake: FakeLoggingServer) -> None:
    """When retries run out the entries so far are kept and the uncovered ranges are named."""
    fake.load(errors(2500))
    for call in range(2, 10):
        fake.fail(call, "503")
    result, _ = run(fake, [one_query("first"), one_query("second")], retries=3)
    assert len(result.entries) == 1000
    assert not result.complete and not result.truncated
    first, second = result.missing
    assert (first.query, first.start, first.end) == (
        "first",
        "2024-08-06T10:16:39.000500Z",
        "2024-08-06T11:00:00Z",
    )
    assert (second.query, second.start) == ("second", "2024-08-06T10:00:00Z")
    assert len(result.errors) == 1 and "ServiceUnavailable" in result.errors[0]
    assert fake.calls == 5  # 1 good page, 1 failure, 3 retries; the second query never called


def test_overlapping_queries_are_deduplicated(fake: FakeLoggingServer) -> None:
    """An entry matched by two queries is kept once and counted for the first."""
    fake.load(errors(30))
    result, _ = run(fake, [one_query("a"), one_query("b")])
    assert len(result.entries) == 30
    assert result.per_query == {"a": 30, "b": 0}


# --------------------------------------------------------------------------- fetch: budget and rate


def test_budget_truncates_and_names_uncovered_range(fake: FakeLoggingServer) -> None:
    """The entry budget stops the fetch, marks it truncated, and says from when it is missing."""
    fake.load(errors(2500))
    result, _ = run(fake, [one_query("a"), one_query("b")], max_entries=1500)
    assert [f"id-{i:06d}" for i in range(1500)] == ids(result)
    assert result.truncated
    cut, skipped = result.missing
    assert (cut.query, cut.start, cut.end) == ("a", "2024-08-06T10:25:00.000500Z", "2024-08-06T11:00:00Z")
    assert (skipped.query, skipped.start) == ("b", "2024-08-06T10:00:00Z")
    assert fake.calls == 2  # the second query is not called once the budget is spent


def test_per_query_limit(fake: FakeLoggingServer) -> None:
    """A query's own limit caps its share without stopping the next query."""
    fake.load([*errors(50), entry(100, log="run.googleapis.com/varlog/system")])
    system = Query("system", 'log_id("run.googleapis.com/varlog/system")', T0, T1)
    result, _ = run(fake, [one_query("capped", limit=10), system])
    assert result.per_query == {"capped": 10, "system": 1}
    assert [m.query for m in result.missing] == ["capped"]


def test_rate_limiter_sliding_window() -> None:
    """No more than max_calls start in any period; the limiter sleeps until the oldest leaves."""
    sleeps = Sleeps()
    limiter = RateLimiter(max_calls=3, period=60.0, clock=sleeps.clock, sleep=sleeps)
    for _ in range(7):
        limiter.acquire()
    assert sleeps.calls == [60.0, 60.0]  # calls 4 and 7 wait for a full window


def test_rate_limiter_shared_across_queries(fake: FakeLoggingServer) -> None:
    """One limiter paces every call of every query of a fetch."""
    fake.load(errors(2500))
    sleeps = Sleeps()
    limiter = RateLimiter(max_calls=2, period=60.0, clock=sleeps.clock, sleep=sleeps)
    fetch_entries(
        fake.client(PROJECT), [one_query("a"), one_query("b")], rate=limiter, retry=RetryPolicy(sleep=sleeps)
    )
    assert fake.calls == 6
    assert len(sleeps.calls) == 2  # calls 3 and 5 waited


def test_progress_reports(fake: FakeLoggingServer) -> None:
    """Progress is reported at query start, per 1000 entries, on retries and at the end."""
    fake.load(errors(1200))
    fake.fail(2, "429")
    seen: list[Progress] = []
    fetch_entries(
        fake.client(PROJECT),
        [one_query()],
        rate=RateLimiter(sleep=lambda s: None),
        retry=RetryPolicy(sleep=lambda s: None),
        progress=seen.append,
    )
    messages = [p.message for p in seen]
    assert messages[0] == "started" and messages[-1] == "done"
    assert "page" in messages
    assert any(m.startswith("TooManyRequests") and "retry 1 in 2s" in m for m in messages)
    assert seen[-1].fetched == 1200


# --------------------------------------------------------------------------- errors


def test_permission_denied_names_role_and_project(fake: FakeLoggingServer) -> None:
    """HTTP 403 becomes a SourceError (exit 3) naming roles/logging.viewer and the project."""
    fake.fail(1, "403")
    with pytest.raises(SourceError) as info:
        run(fake, [one_query()])
    assert info.value.exit_code == 3
    assert "roles/logging.viewer" in str(info.value) and PROJECT in str(info.value)


def test_unauthenticated_says_how_to_log_in(fake: FakeLoggingServer) -> None:
    """HTTP 401 becomes a SourceError telling the user to refresh ADC."""
    fake.fail(1, "401")
    with pytest.raises(SourceError, match="gcloud auth application-default login"):
        run(fake, [one_query()])


def test_rejected_filter_is_recorded_not_fatal(fake: FakeLoggingServer) -> None:
    """A 400 on one query records the gap and an error, and the next query still runs."""
    fake.load(errors(5))
    fake.fail(1, "400")
    result, _ = run(fake, [one_query("bad"), one_query("good")])
    assert result.per_query == {"bad": 0, "good": 5}
    assert [m.query for m in result.missing] == ["bad"]
    assert "filter rejected" in result.errors[0]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No project, no endpoint, no reachable ADC, no metadata server probing."""
    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "RCA_LOGGING_ENDPOINT", "CLOUDSDK_CORE_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing-key.json"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    monkeypatch.setenv("NO_GCE_CHECK", "True")
    return monkeypatch


def test_make_client_loopback_endpoint_is_anonymous(
    clean_env: pytest.MonkeyPatch, fake: FakeLoggingServer
) -> None:
    """RCA_LOGGING_ENDPOINT on loopback http needs no credentials and sends no token."""
    clean_env.setenv("RCA_LOGGING_ENDPOINT", fake.url + "/")
    fake.load(errors(3))
    client = make_client(PROJECT)
    result = fetch_entries(client, [one_query()], rate=RateLimiter(sleep=lambda s: None))
    assert len(result.entries) == 3
    assert client.project == PROJECT
    assert "authorization" not in fake.requests[0].headers


def test_make_client_project_from_env(clean_env: pytest.MonkeyPatch, fake: FakeLoggingServer) -> None:
    """GOOGLE_CLOUD_PROJECT is used when no project is passed."""
    clean_env.setenv("RCA_LOGGING_ENDPOINT", fake.url)
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "from-env")
    assert make_client(None).project == "from-env"


def test_make_client_without_project(clean_env: pytest.MonkeyPatch, fake: FakeLoggingServer) -> None:
    """No project anywhere is a usage error that names --project and GOOGLE_CLOUD_PROJECT."""
    clean_env.setenv("RCA_LOGGING_ENDPOINT", fake.url)
    with pytest.raises(UsageError, match="--project") as info:
        make_client(None)
    assert "GOOGLE_CLOUD_PROJECT" in str(info.value)


def test_make_client_without_credentials(clean_env: pytest.MonkeyPatch) -> None:
    """Missing ADC is a SourceError (exit 3) with the login command."""
    with pytest.raises(SourceError, match="gcloud auth application-default login") as info:
        make_client(PROJECT)
    assert info.value.exit_code == 3


@pytest.mark.parametrize("value", ["127.0.0.1:8089", "ftp://127.0.0.1:1", "http://"])
def test_make_client_bad_endpoint(clean_env: pytest.MonkeyPatch, value: str) -> None:
    """An endpoint that is not an http(s) URL with a host is refused up front."""
    clean_env.setenv("RCA_LOGGING_ENDPOINT", value)
    with pytest.raises(UsageError, match="RCA_LOGGING_ENDPOINT"):
        make_client(PROJECT)


# --------------------------------------------------------------------------- cache


def window(fake: FakeLoggingServer, tmp_path: Path, **kw: Any) -> tuple[Path, FetchResult]:
    """fetch_window against the fake with a cache under tmp_path."""
    options: dict[str, Any] = {
        "client": fake.client(PROJECT),
        "cache_dir": tmp_path / "cache",
        "now": LATER,
        "rate": RateLimiter(sleep=lambda s: None),
        "retry": RetryPolicy(sleep=lambda s: None),
    }
    options.update(kw)
    return fetch_window(SERVICE, T0, T1, PROJECT, **options)


def incident() -> list[dict[str, Any]]:
    """A small incident: a deploy the day before, 503s, an OOM, plus normal traffic."""
    deploy = entry(
        0, log="cloudaudit.googleapis.com/activity", severity="NOTICE", text=None, at=T0 - timedelta(hours=3)
    )
    deploy["protoPayload"] = {
        "serviceName": "run.googleapis.com",
        "methodName": "google.cloud.run.v1.Services.ReplaceService",
    }
    failing = [entry(10 + i, log="run.googleapis.com/requests", text=None, status=503) for i in range(5)]
    oom = entry(
        9, log="run.googleapis.com/varlog/system", text="Memory limit of 512 MiB exceeded with 530 MiB used."
    )
    normal = [
        entry(100 + i, log="run.googleapis.com/requests", severity="INFO", text=None, status=200)
        for i in range(300)
    ]
    return [deploy, oom, *failing, *normal]


def test_cache_hit_refresh(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """A closed window is fetched once, then served from the cache until refresh is asked for."""
    fake.load(incident())
    path, first = window(fake, tmp_path)
    calls = fake.calls
    again_path, again = window(fake, tmp_path)
    assert calls == fake.calls and again.from_cache and path == again_path
    assert first.entries == again.entries
    _, refreshed = window(fake, tmp_path, refresh=True)
    assert fake.calls > calls and not refreshed.from_cache
    assert [e["insertId"] for e in first.entries] == [
        json.loads(x)["insertId"] for x in path.read_text().splitlines()
    ]


@pytest.mark.slow
def test_open_window_is_not_cached(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """A window ending less than 5 minutes ago is fetched each time and kept out of the cache."""
    fake.load(incident())
    path, _ = window(fake, tmp_path, now=T1 + timedelta(minutes=2))
    calls = fake.calls
    window(fake, tmp_path, now=T1 + timedelta(minutes=2))
    assert fake.calls == 2 * calls
    assert path.parent.name == "open"
    assert not list((tmp_path / "cache").glob("*.meta.json"))


def test_cache_metadata_has_request_and_outcome_only(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """The metadata records the request and outcome, and nothing credential-like."""
    fake.load(incident())
    path, result = window(fake, tmp_path)
    meta = json.loads(path.with_name(path.name.replace(".ndjson", ".meta.json")).read_text())
    assert {
        "calls",
        "end",
        "entries",
        "errors",
        "format",
        "max_entries",
        "missing",
        "origins",
        "per_query",
        "project",
        "queries",
        "service",
        "sha256",
        "start",
        "strata",
        "truncated",
    } == set(meta)
    assert len(result.entries) == meta["entries"]
    assert not any(word in json.dumps(meta).lower() for word in ("token", "credential", "secret", "bearer"))


def test_gapped_window_is_not_reused(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """A window with gaps from errors is fetched again next time instead of served from cache."""
    fake.load(incident())
    for call in range(1, 20):
        fake.fail(call, "503")
    _, first = window(fake, tmp_path, retry=RetryPolicy(max_retries=1, sleep=lambda s: None))
    assert first.errors
    fake.faults.clear()
    _, second = window(fake, tmp_path)
    assert not second.from_cache and second.complete


@pytest.mark.slow
def test_corrupted_cache_file_is_a_miss(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """A cached NDJSON that no longer matches its metadata checksum is refetched, not trusted."""
    fake.load(incident())
    path, _ = window(fake, tmp_path)
    path.write_text(path.read_text()[:50])
    _, again = window(fake, tmp_path)
    assert not again.from_cache


def test_atomic_write_keeps_old_file_on_failure(tmp_path: Path) -> None:
    """A write that fails half-way leaves the previous file intact and no temporary file behind."""
    target = tmp_path / "w.ndjson"
    cache.write_ndjson([{"a": 1}], target)

    def broken() -> Any:
        yield {"a": 2}
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        cache.write_ndjson(broken(), target)
    assert target.read_text() == '{"a":1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["w.ndjson"]


def test_cache_dir_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """RCA_CACHE_DIR wins; otherwise the user's cache directory holds rca/."""
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "c"))
    assert tmp_path / "c" == cache.cache_dir()
    monkeypatch.delenv("RCA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert tmp_path / "xdg" / "rca" == cache.cache_dir()


def test_cache_key_depends_on_request() -> None:
    """The key changes with project, filters or window, and is stable otherwise."""
    base = cache.cache_key(PROJECT, ["f"], T0, T1)
    assert base == cache.cache_key(PROJECT, ["f"], T0, T1)
    assert (
        len(
            {
                base,
                cache.cache_key("p2", ["f"], T0, T1),
                cache.cache_key(PROJECT, ["g"], T0, T1),
                cache.cache_key(PROJECT, ["f"], T0, LATER),
            }
        )
        == 4
    )


def test_write_gcloud_json_format(tmp_path: Path) -> None:
    """The export matches gcloud's printer: array, newest first, indent 2, sorted keys, UTF-8 kept."""
    older = {"timestamp": "2024-08-06T10:00:00.9Z", "textPayload": "é", "logName": "l"}
    newer = {"timestamp": "2024-08-06T10:00:00.95Z", "logName": "l"}
    target = tmp_path / "out.json"
    cache.write_gcloud_json([older, newer], target)
    expected = json.dumps([newer, older], indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert expected == target.read_text(encoding="utf-8")
    cache.write_gcloud_json([], target)
    assert target.read_text() == "[]\n"


# --------------------------------------------------------------------------- end to end


def test_fetched_window_loads_in_the_store(fake: FakeLoggingServer, tmp_path: Path) -> None:
    """The NDJSON a live fetch returns is read by the file reader like a user's export."""
    from rca.engine.store import Store
    from rca.sources.files import read_input
    from rca.sources.problems import Problems

    fake.load(incident())
    path, result = window(fake, tmp_path)
    # The five bare 503 request logs are the failing-request stream, read exactly (few of them).
    assert {"deploys": 1, "cloudsql": 0, "cloudsql-health": 0, "signals": 1, "failing": 5,
            "requests": len(result.entries) - 7} == result.per_query
    assert [(s.query, s.fraction) for s in result.strata] == [("failing", 1.0), ("requests", 1.0)]
    store = Store()
    try:
        problems = Problems()
        assert len(result.entries) == read_input(str(path), store, problems, tmp_path)
        assert problems.total == 0
        store.finalise(T0, T1, SERVICE, T0 - timedelta(days=1))
        rows = store.con.execute(
            "SELECT http_status, count(*) FROM entries WHERE log_id = 'run.googleapis.com/requests' "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        store.close()
    assert rows[-1][0] == 503 and rows[-1][1] == 5


# --------------------------------------------------------------------------- the failing-request storm


def _request(n: int, status: int, text: str | None = None, service: str = SERVICE) -> dict[str, Any]:
    return entry(n, log="run.googleapis.com/requests", text=text, status=status, service=service)


PARTITION_CASES = [
    (_request(1, 503), "failing"),  # bare: only a status
    (_request(2, 429), "failing"),
    (_request(3, 503, "The request failed because the instance could not start successfully."), None),
    (_request(4, 429, "The request was aborted because there was no available instance."), None),
    (_request(5, 200), "requests"),
    (_request(6, 404), "requests"),
    (_request(7, 503, service="other"), None),
    (entry(8, text="QueuePool limit of size 5 overflow 10 reached"), None),
]


@pytest.mark.parametrize(("line", "stream"), PARTITION_CASES)
def test_each_entry_has_one_reader(line: dict[str, Any], stream: str | None) -> None:
    """The storm query reads exactly the bare failing request logs (``stream_of``'s "failing"), the
    healthy-request query the healthy ones, and the signals read every other failing request log
    (the ones that carry a message a pattern may name) and none of the storm."""
    from rca.library.loader import load_library

    plan = queries.analysis_queries(SERVICE, T0, T1, project=PROJECT, patterns=load_library().patterns)
    readers = {q.name.split("-")[0] for q in plan if parse(q.filter())(line)}
    assert queries.stream_of(line, SERVICE) == stream
    if stream is not None:
        assert readers == {stream}
    elif line["resource"]["labels"]["service_name"] == SERVICE:
        assert readers == {"signals"}
    else:
        assert readers == set()


def test_resuming_the_storm_query_drops_only_its_own_entries() -> None:
    """A gap in the sampled storm: the storm query is asked again whole, its earlier entries and
    strata dropped; failing requests that carry a message (read by the signals) and healthy
    requests (their own query, complete) are kept."""
    from rca.model import Stratum
    from rca.sources.cloud.fetch import MissingRange, resume_plan

    bare, texted, ok = _request(1, 503), _request(2, 503, "The request failed because ..."), _request(3, 200)
    plan = queries.analysis_queries(SERVICE, T0, T1, project=PROJECT)
    mid = queries.format_ts(T0 + timedelta(minutes=30))
    previous = FetchResult(
        [bare, texted, ok], 5, {"signals": 1, "failing": 1, "failing-sampled": 0, "requests": 1}, False,
        (MissingRange("failing-sampled", mid, queries.format_ts(T1), "gave up after 6 retries"),),
        strata=(Stratum("failing", queries.format_ts(T0), mid, 1.0, 1),
                Stratum("requests", queries.format_ts(T0), queries.format_ts(T1), 1.0, 1)),
        origins={entry_key(bare): "failing", entry_key(ok): "requests"},
    )
    seed, redo = resume_plan(previous, plan)
    assert [q.name for q in redo] == ["failing"] and redo[0].start == T0
    assert seed.entries == [texted, ok] and seed.origins == {entry_key(ok): "requests"}
    assert [s.query for s in seed.strata] == ["requests"]
    assert "failing" not in seed.per_query and seed.per_query["requests"] == 1


def test_sampled_entries_weigh_one_over_the_fraction() -> None:
    """Only an entry a sampled query read, inside its stratum's time range, stands for 1/F; one of
    the same stream that another query read first (a text a pattern reads) stands for itself."""
    from rca.model import Stratum

    mid = T0 + timedelta(minutes=30)
    early, late = _request(10, 503), _request(2000, 503)  # before and after the cut
    texted = entry(2001, log="run.googleapis.com/requests", text="The request failed because ...", status=503)
    healthy = _request(2002, 200)
    refused = entry(2003, log="run.googleapis.com/requests", status=403,
                    text="The request was not authorized to invoke this service. Read more at "
                         "https://cloud.google.com/run/docs/securing/authenticating")
    result = FetchResult(
        [early, late, texted, healthy, refused], 3, {}, False,
        strata=(Stratum("failing", queries.format_ts(T0), queries.format_ts(mid), 1.0, 1),
                Stratum("failing-sampled", queries.format_ts(mid), queries.format_ts(T1), 0.25, 1),
                Stratum("requests", queries.format_ts(T0), queries.format_ts(mid), 1.0, 0),
                Stratum("requests-sampled", queries.format_ts(mid), queries.format_ts(T1), 0.5, 1)),
        origins={entry_key(early): "failing", entry_key(late): "failing-sampled",
                 entry_key(healthy): "requests-sampled"},
    )
    assert result.weights() == {(late["logName"], late["insertId"]): 4.0,
                                (healthy["logName"], healthy["insertId"]): 2.0}


def test_a_pattern_that_singles_out_failures_keeps_the_storm_whole(tmp_path: Path) -> None:
    """A user pattern on the 429s alone (a few of a storm, which a sample could lose): no storm
    query, and the signals read every failing request log; the built-in library samples it."""
    import yaml

    from rca.library.loader import load_library

    pattern = {
        "id": "shop-throttled", "title": "Shop requests throttled", "category": "quota-or-rate-limit",
        "layer": "platform", "severity": "error", "role": "symptom", "why": "Requests were throttled",
        "match": {"any": [r"^(?:GET|POST) \S+ 429\b"], "log_id": ["run.googleapis.com/requests"],
                  "http_status": [429, 429]},
        "examples": {"match": [{"line": "GET /cart 429 0.01s",
                                "source": "https://cloud.google.com/run/docs/troubleshooting"}],
                     "no_match": ["GET /cart 200 0.01s"]},
    }
    (tmp_path / "pack" / "shop").mkdir(parents=True)
    (tmp_path / "pack" / "shop" / "shop-throttled.yaml").write_text(yaml.safe_dump(pattern))
    built_in = load_library().patterns
    with_pack = load_library([tmp_path / "pack"]).patterns
    assert not any(queries.singles_out_failures(p) for p in built_in)
    assert [p.id for p in with_pack if queries.singles_out_failures(p)] == ["shop-throttled"]
    sampled = queries.analysis_queries(SERVICE, T0, T1, project=PROJECT, patterns=built_in)
    whole = queries.analysis_queries(SERVICE, T0, T1, project=PROJECT, patterns=with_pack)
    assert "failing" in [q.name for q in sampled] and "failing" not in [q.name for q in whole]
    for line in (_request(1, 429), _request(2, 503)):
        assert {q.name.split("-")[0] for q in whole if parse(q.filter())(line)} == {"signals"}
