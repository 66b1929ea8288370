"""BigQuery and Log Analytics sources: the real google-cloud-bigquery client against a local fake.

The fake (tests/fakes/bigquery_server.py) executes the GoogleSQL rca sends by transpiling it with
sqlglot to DuckDB, over an `_AllLogs` view and over sink tables (partitioned and `_YYYYMMDD`
sharded) built from the samples. Nothing of the client or of rca is mocked.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("google.cloud.bigquery")
sqlglot = pytest.importorskip("sqlglot")

from click.testing import CliRunner  # noqa: E402
from fakes.bigquery_server import FakeBigQueryServer  # noqa: E402

import rca  # noqa: E402
from rca import api  # noqa: E402
from rca.cli.main import main  # noqa: E402
from rca.errors import SourceError, UsageError  # noqa: E402
from rca.library.loader import load_library  # noqa: E402
from rca.report.render import render  # noqa: E402
from rca.sources.bigquery import cost, shapes  # noqa: E402
from rca.sources.bigquery.cost import CostRefused  # noqa: E402
from rca.sources.bigquery.pushdown import (  # noqa: E402
    collapsed_sql,
    pushdown_scan_sql,
    recovery_sql,
    rows_sql,
)
from rca.sources.bigquery.sql import FUNCTIONS, pattern_counts_sql, window_sql  # noqa: E402
from rca.sources.bigquery.target import parse_bigquery, parse_log_analytics  # noqa: E402
from rca.timeutil import rfc3339  # noqa: E402
from tests.suite import SLOW, split  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SAMPLES = {
    "netra-backend-staging-2025-09-15.json": "netra-backend-staging",
    "billing-api-2025-10-02.json": "billing-api",
    "image-resizer-2025-11-04.json": "image-resizer",
    "search-api-unknown-2025-07-30.json": "search-api",
}
PROJECT = "netra-staging"
BIG = "1TiB"


def _entries(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBigQueryServer]:
    """One fake holding every sample three ways: `_AllLogs`, partitioned sink, sharded sink."""
    with FakeBigQueryServer() as server:
        for i, name in enumerate(SAMPLES):
            entries = _entries(name)
            server.add_log_analytics(PROJECT, f"la_{i}", entries, link=("global", f"bucket_{i}"))
            server.add_sink(PROJECT, f"sink_{i}", entries)
            server.add_sink(PROJECT, f"shards_{i}", entries, sharded=True)
        yield server


@pytest.fixture
def endpoint(fake: FakeBigQueryServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeBigQueryServer:
    """Point the real client (and link resolution) at the fake; a private cache directory."""
    monkeypatch.setenv("RCA_BIGQUERY_ENDPOINT", fake.url)
    monkeypatch.setenv("RCA_LOGGING_ENDPOINT", fake.url)
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "cache"))
    return fake


def _essence(result: Any) -> dict[str, Any]:
    """What must agree between sources: verdict, findings and counts, chain, root cause, hypotheses."""
    report = json.loads(render(result, "json"))
    return {
        "status": report["status"],
        "findings": [
            (f["pattern_id"], f["count"], f["first_seen"], f["last_seen"], f.get("fields"))
            for f in report["findings"]
        ],
        "chain": [(c["pattern_id"], c["statement"]) for c in report["chain"]],
        "root_cause": report["root_cause"],
        "hypotheses": report["hypotheses"],
        "entries": report["stats"].get("entries"),
        "requests": report["stats"].get("requests"),
    }


def _bq_stats(loaded: Any) -> dict[str, Any]:
    """The BigQuery figures of a load (``stats.bigquery`` in the JSON report)."""
    figures = loaded.bigquery
    assert figures is not None, "a BigQuery load carries its figures"
    stats: dict[str, Any] = figures.to_json()
    return stats


@functools.cache
def _window(name: str) -> tuple[str, str]:
    """The file path's window (1 h back from the newest entry), as RFC 3339 --since/--until."""
    loaded = api.load([EXAMPLES / name], since="1h", service=SAMPLES[name])
    start, end = rfc3339(loaded.start), rfc3339(loaded.end)
    assert start and end
    return start, end


@functools.cache
def _file_run(name: str) -> tuple[Any, str, str]:
    loaded = api.load([EXAMPLES / name], since="1h", service=SAMPLES[name])
    return api.analyze(loaded).result, *_window(name)


# Every sample through `_AllLogs` and through sharded sink tables (the two schemas); the partitioned
# sink and the bucket-path resolution on one sample each (an analysis takes ~15 s here).
CASES = [(n, layout) for n in sorted(SAMPLES) for layout in ("log-analytics", "sharded")] + [
    ("netra-backend-staging-2025-09-15.json", "bucket"),
    ("image-resizer-2025-11-04.json", "sink"),
    ("billing-api-2025-10-02.json", "full-fetch"),
]


# The default suite runs one push-down parity case; the full suite (--run-slow, CI) all of them.
FAST_CASE = ("billing-api-2025-10-02.json", "log-analytics")


@pytest.mark.parametrize(("name", "layout"), [
    c if c == FAST_CASE else pytest.param(*c, marks=SLOW) for c in CASES])
def test_parity_with_the_file_path(endpoint: FakeBigQueryServer, name: str, layout: str) -> None:
    """Each sample gives the same verdict, findings, counts, chain and root cause from BigQuery."""
    i = list(SAMPLES).index(name)
    want, start, end = _file_run(name)
    options = {
        "log-analytics": api.BigQueryOptions(log_analytics=f"{PROJECT}.la_{i}", max_bytes_billed=BIG),
        "bucket": api.BigQueryOptions(log_analytics=f"{PROJECT}/global/bucket_{i}", max_bytes_billed=BIG),
        "sink": api.BigQueryOptions(bigquery=f"{PROJECT}.sink_{i}", max_bytes_billed=BIG),
        "sharded": api.BigQueryOptions(bigquery=f"{PROJECT}.shards_{i}", max_bytes_billed=BIG),
        "full-fetch": api.BigQueryOptions(log_analytics=f"{PROJECT}.la_{i}", max_bytes_billed=BIG,
                                          pushdown=False),
    }[layout]
    loaded = api.load_bigquery(options, service=SAMPLES[name], since=start, until=end)
    got = api.analyze(loaded).result
    assert _essence(got) == _essence(want)
    assert loaded.sources[0].startswith("bigquery:")
    stats = _bq_stats(loaded)
    assert stats["rows_returned"] > 0
    if options.pushdown:
        # what came back whole plus the groups stand for every entry the scan read
        assert stats["plan"] == "pushdown"
        assert stats["rows_returned"] == stats["rows_kept_whole"] + stats["rows_collapsed"]
        assert stats["rows_returned"] < stats["entries_represented"]
        assert [f["name"] for f in stats["follow_ups"]] == [
            "pushdown-recovery", "pushdown-rows", "pushdown-collapsed"]
    else:
        assert "plan" not in stats


@SLOW
def test_python_api_takes_the_same_sources(endpoint: FakeBigQueryServer) -> None:
    """rca.analyze(log_analytics=...) and rca.analyze(bigquery=...) run the BigQuery path."""
    name = "billing-api-2025-10-02.json"
    want, start, end = _file_run(name)
    i = list(SAMPLES).index(name)
    for kwargs in ({"log_analytics": f"{PROJECT}.la_{i}"}, {"bigquery": f"{PROJECT}.sink_{i}"}):
        got = rca.analyze(None, since=start, until=end, service=SAMPLES[name], max_bytes_billed=BIG, **kwargs)
        assert _essence(got.result) == _essence(want)


# --------------------------------------------------------------------------- cost guards


def _netra(i: int = 0) -> api.BigQueryOptions:
    return api.BigQueryOptions(log_analytics=f"{PROJECT}.la_{i}")


@SLOW
def test_dry_run_is_free_and_prints_estimate_and_sql(endpoint: FakeBigQueryServer) -> None:
    start, end = _window("netra-backend-staging-2025-09-15.json")
    before = len(endpoint.query_jobs(dry_run=False))
    plan = api.plan_bigquery(_netra(), service="netra-backend-staging", since=start, until=end)
    assert plan.estimated_bytes > 0
    assert len(endpoint.query_jobs(dry_run=False)) == before  # no billed job
    text = plan.describe()
    assert "nothing billed" in text and "FROM `netra-staging.la_0._AllLogs`" in text
    assert "@baseline_start" in text


def test_refused_above_max_bytes_billed(endpoint: FakeBigQueryServer) -> None:
    start, end = _window("netra-backend-staging-2025-09-15.json")
    before = len(endpoint.query_jobs(dry_run=False))
    options = api.BigQueryOptions(log_analytics=f"{PROJECT}.la_0", max_bytes_billed="1MiB")
    with pytest.raises(CostRefused) as err:
        api.load_bigquery(options, service="netra-backend-staging", since=start, until=end)
    text = str(err.value)
    assert err.value.exit_code == 3
    assert "bytes" in text and "$" in text and "--since" in text and "--max-bytes-billed" in text
    assert len(endpoint.query_jobs(dry_run=False)) == before


@SLOW
def test_confirmation_asked_declined_and_yes(endpoint: FakeBigQueryServer) -> None:
    start, end = _window("netra-backend-staging-2025-09-15.json")
    options = api.BigQueryOptions(log_analytics=f"{PROJECT}.la_0", max_bytes_billed=BIG, confirm_above="1KiB")
    asked: list[str] = []
    with pytest.raises(CostRefused, match="not confirmed"):
        api.load_bigquery(options, service="netra-backend-staging", since=start, until=end,
                          confirm=lambda q: asked.append(q) or False)
    assert asked and "run it?" in asked[0].lower()
    with pytest.raises(CostRefused, match="--yes"):  # no terminal to ask: refused, says --yes
        api.load_bigquery(options, service="netra-backend-staging", since=start, until=end)
    ok = api.load_bigquery(options, service="netra-backend-staging", since=start, until=end,
                           confirm=lambda q: True)
    assert ok.window_count() > 0
    forced = api.BigQueryOptions(log_analytics=f"{PROJECT}.la_0", max_bytes_billed=BIG, confirm_above="1KiB",
                                 yes=True, refresh=True)
    assert api.load_bigquery(forced, service="netra-backend-staging", since=start, until=end).window_count()


@SLOW
def test_every_job_carries_the_cap_and_labels(endpoint: FakeBigQueryServer) -> None:
    start, end = _window("image-resizer-2025-11-04.json")
    before = len(endpoint.jobs)
    options = api.BigQueryOptions(bigquery=f"{PROJECT}.sink_2", max_bytes_billed="5GiB", refresh=True)
    loaded = api.load_bigquery(options, service="image-resizer", since=start, until=end)
    jobs = list(endpoint.jobs.values())[before:]
    # the scan, then three follow-ups over its result: each dry-run (free) before it runs
    assert [j.dry_run for j in jobs] == [True, False] * 4
    scan = jobs[1]
    cap = int(scan.config["query"]["maximumBytesBilled"])
    assert cap == cost.job_cap(jobs[0].bytes_processed, 5 * cost.GIB) <= 5 * cost.GIB
    assert scan.config["query"]["queryParameters"]
    for dry, real in zip(jobs[::2], jobs[1::2], strict=True):
        assert real.config["labels"]["tool"] == "rca" and real.config["labels"]["rca_query"]
        cap_of = int(real.config["query"]["maximumBytesBilled"])
        assert cap_of == cost.job_cap(dry.bytes_processed, 5 * cost.GIB)
    for follow_up in jobs[3::2]:  # they read the scan's result table, never the log tables
        text = follow_up.config["query"]["query"]
        assert f"`{PROJECT}._anon.{scan.job_id}`" in text and "sink_2" not in text
    stats = _bq_stats(loaded)
    assert stats["maximum_bytes_billed"] == cap
    assert scan.cache_hit or stats["bytes_billed"] >= cost.MIN_BILLED  # an identical earlier query: free


def test_cap_stops_a_job_whose_estimate_was_wrong(endpoint: FakeBigQueryServer) -> None:
    """BigQuery fails a job over maximum_bytes_billed without charge: rca says so (exit 3)."""
    from rca.sources.bigquery import fetch

    start, end = _window("image-resizer-2025-11-04.json")
    plan = fetch.prepare(parse_bigquery(f"{PROJECT}.sink_2"), service="image-resizer",
                         start=datetime.fromisoformat(start.replace("Z", "+00:00")),
                         end=datetime.fromisoformat(end.replace("Z", "+00:00")))
    plan.estimate = 1  # an estimate far too low: the job's cap (10 MiB floor) is too small
    plan.query = type(plan.query)(plan.query.name, plan.query.sql + " ", plan.query.params)  # no cache hit
    with pytest.raises(CostRefused, match="maximum_bytes_billed"):
        fetch.run(plan, max_bytes=cost.MIN_BILLED - 1)


@SLOW
def test_closed_window_is_cached(endpoint: FakeBigQueryServer) -> None:
    start, end = _window("billing-api-2025-10-02.json")
    options = api.BigQueryOptions(bigquery=f"{PROJECT}.shards_1", max_bytes_billed=BIG)
    api.load_bigquery(options, service="billing-api", since=start, until=end)
    runs = len(endpoint.query_jobs(dry_run=False))
    again = api.load_bigquery(options, service="billing-api", since=start, until=end)
    assert len(endpoint.query_jobs(dry_run=False)) == runs
    figures = again.load_stats().bigquery
    assert figures is not None and figures.cached
    assert figures.to_json()["bytes_billed"] == 0


@SLOW
def test_sql_out_writes_the_queries(endpoint: FakeBigQueryServer, tmp_path: Path) -> None:
    start, end = _window("billing-api-2025-10-02.json")
    options = api.BigQueryOptions(bigquery=f"{PROJECT}.sink_1", sql_out=tmp_path / "sql")
    api.plan_bigquery(options, service="billing-api", since=start, until=end)
    text = (tmp_path / "sql" / "pushdown-scan.sql").read_text()
    assert "@service" in text and "'billing-api'" in text and "pattern_ids" in text
    for follow_up in ("pushdown-recovery", "pushdown-rows", "pushdown-collapsed"):
        assert "FROM `SCAN_RESULT`" in (tmp_path / "sql" / f"{follow_up}.sql").read_text()
    full = api.BigQueryOptions(bigquery=f"{PROJECT}.sink_1", sql_out=tmp_path / "full", pushdown=False)
    api.plan_bigquery(full, service="billing-api", since=start, until=end)
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["window.sql"]


# --------------------------------------------------------------------------- CLI


def _cli(args: list[str]) -> Any:
    return CliRunner().invoke(main, ["analyze", *args], catch_exceptions=False)


@SLOW
def test_cli_dry_run_refusal_and_run(endpoint: FakeBigQueryServer) -> None:
    start, end = _window("netra-backend-staging-2025-09-15.json")
    base = ["--service", "netra-backend-staging", "--since", start, "--until", end,
            "--log-analytics", f"{PROJECT}/global/bucket_0"]
    dry = _cli([*base, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "SELECT" in dry.output and "nothing billed" in dry.output
    refused = _cli([*base, "--max-bytes-billed", "1MiB"])
    assert refused.exit_code == 3
    assert "refused" in refused.output
    ran = _cli([*base, "--max-bytes-billed", "1TiB", "--yes", "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["root_cause"]["category"] == "network-connectivity"
    assert json.loads(ran.output)["stats"]["bigquery"]["plan"] == "pushdown"
    full = _cli([*base, "--max-bytes-billed", "1TiB", "--yes", "--full-fetch", "--format", "json"])
    assert full.exit_code == 0, full.output
    assert json.loads(full.output)["root_cause"] == json.loads(ran.output)["root_cause"]
    assert "plan" not in json.loads(full.output)["stats"]["bigquery"]


def test_cli_rejects_two_sources(endpoint: FakeBigQueryServer) -> None:
    res = _cli(["--since", "1h", "--bigquery", "p-roject.d", "--input", "x.json"])
    assert res.exit_code == 2


# --------------------------------------------------------------------------- targets, shapes, SQL


@pytest.mark.parametrize(
    ("text", "project", "dataset", "table", "bucket"),
    [
        ("my-proj.my_logs", "my-proj", "my_logs", "_AllLogs", None),
        ("my-proj.my_logs._AllLogs", "my-proj", "my_logs", "_AllLogs", None),
        ("`my-proj.my_logs`", "my-proj", "my_logs", "_AllLogs", None),
        ("my-proj/global/_Default", "my-proj", "", "_AllLogs", "_Default"),
        ("projects/my-proj/locations/us-central1/buckets/app/views/_AllLogs",
         "my-proj", "", "_AllLogs", "app"),
    ],
)
def test_log_analytics_targets(text: str, project: str, dataset: str, table: str, bucket: str | None) -> None:
    t = parse_log_analytics(text)
    assert (t.project, t.dataset, t.table, t.bucket) == (project, dataset, table, bucket)


def test_bigquery_targets() -> None:
    assert parse_bigquery("my-proj.sink").table is None
    t = parse_bigquery("my-proj.sink.run_googleapis_com_stderr_20250915")
    assert (t.project, t.dataset, t.table) == ("my-proj", "sink", "run_googleapis_com_stderr_20250915")
    for bad in ("nodots", "my-proj", "a/b", "my-proj.sink.t.extra"):
        with pytest.raises(UsageError):
            parse_bigquery(bad)


def test_shard_names() -> None:
    assert shapes.shard_of("run_googleapis_com_stderr_20250915") is not None
    assert shapes.shard_of("run_googleapis_com_stderr") is None
    assert shapes.shard_of("x_20251399") is None


def test_sizes() -> None:
    assert cost.parse_size("20GiB") == 20 * cost.GIB
    assert cost.parse_size("1.5T") == int(1.5 * cost.TIB)
    assert cost.parse_size("1048576") == cost.MIB
    with pytest.raises(UsageError):
        cost.parse_size("lots")
    assert cost.decide(10, 5, None, False) == "refuse"
    assert cost.decide(4, 5, 3, False) == "confirm"
    assert cost.decide(4, 5, 3, True) == "run"


def _tables(fake: FakeBigQueryServer) -> list[shapes.Table]:
    out = []
    for (p, d, n), info in sorted(fake.tables.items()):
        if d in ("la_0", "sink_0", "shards_0"):
            cols = tuple(shapes.column_from_api(f) for f in info["schema"])
            out.append(shapes.Table(p, d, n, cols, kind=shapes.detect_kind(cols) or "other"))
    return out


def _function_names(sql: str) -> set[str]:
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="bigquery")
    names = set()
    for node in tree.find_all(exp.Func):
        # A call renders as NAME(...); operators (AND, =, a.b, NOT) render otherwise.
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\(", node.sql(dialect="bigquery"))
        if m:
            names.add(m.group(1).upper())
    return names


def test_builders_sql_is_googlesql_with_no_pasted_values(fake: FakeBigQueryServer) -> None:
    """Every builder's SQL parses as BigQuery SQL, calls only GoogleSQL functions, and holds no
    regex, time or service literal: those are parameters."""
    t0 = datetime(2025, 9, 15, 14, tzinfo=timezone.utc)
    tables = _tables(fake)
    assert {t.kind for t in tables} == {shapes.LA, shapes.SINK}
    queries = [
        window_sql(tables, service="svc-name", baseline_start=t0, window_end=t0 + timedelta(hours=1),
                   audit_start=t0 - timedelta(days=1)),
        window_sql(tables[:1], service=None, baseline_start=t0, window_end=t0 + timedelta(hours=1),
                   audit_start=t0),
    ]
    queries += [pattern_counts_sql(t, [r"Connection refused", r"(?i)timeout \d+"], window_start=t0,
                                   window_end=t0 + timedelta(hours=1)) for t in tables[:2]]
    library = [p for p in load_library().patterns if p.id in ("run-request-5xx", "postgres-too-many-clients")]
    assert len(library) == 2
    queries += [
        pushdown_scan_sql(tables, library, service="svc-name", window_start=t0, recent_start=t0,
                          baseline_start=t0 - timedelta(hours=1), window_end=t0 + timedelta(hours=1),
                          audit_start=t0 - timedelta(days=1), signal_res=[r"(?i)\bConnection refused"]),
        recovery_sql("`p.d.scan`"),
        rows_sql("`p.d.scan`", t0),
        collapsed_sql("`p.d.scan`", t0),
    ]
    for q in queries:
        names = _function_names(q.sql)
        assert names <= FUNCTIONS, names - FUNCTIONS
        for p in q.params:
            assert str(p.value) not in q.sql
            assert f"@{p.name}" in q.sql
        assert "svc-name" not in q.sql and "Connection refused" not in q.sql


def test_non_googlesql_function_is_caught() -> None:
    """The lint itself: a DuckDB-only function is reported."""
    assert "REGEXP_MATCHES" in _function_names("SELECT REGEXP_MATCHES(x, 'a') FROM t") - FUNCTIONS


def test_missing_target_table_is_a_source_error(endpoint: FakeBigQueryServer) -> None:
    with pytest.raises(SourceError):
        api.load_bigquery(api.BigQueryOptions(bigquery=f"{PROJECT}.nope"), service="x", since="1h")
    with pytest.raises(SourceError, match="no linked BigQuery dataset"):
        api.load_bigquery(api.BigQueryOptions(log_analytics=f"{PROJECT}/global/unlinked"), service="x",
                          since="1h")


# --------------------------------------------------------------------------- constructed incidents


@SLOW
def test_parity_on_constructed_incidents(fake: FakeBigQueryServer, endpoint: FakeBigQueryServer,
                                         tmp_path: Path) -> None:
    """The constructed incidents (one per failure family) give the file path's answer from BigQuery."""
    from test_constructed_incidents import CASES, healthy

    for n, category in enumerate(sorted(CASES)):
        log = healthy()
        CASES[category](log)
        entries = sorted(log.entries, key=lambda e: e["timestamp"], reverse=True)
        path = tmp_path / f"{category}.json"
        path.write_text(json.dumps(entries))
        loaded = api.load([str(path)], since="1h", service="api")
        want = api.analyze(loaded).result
        assert want.root_cause.category.value == category
        start, end = rfc3339(loaded.start), rfc3339(loaded.end)
        assert start and end
        fake.add_log_analytics("acme-proj", f"c_la_{n}", entries)
        fake.add_sink("acme-proj", f"c_sink_{n}", entries, sharded=n % 2 == 0)
        for options in (api.BigQueryOptions(log_analytics=f"acme-proj.c_la_{n}", max_bytes_billed=BIG),
                        api.BigQueryOptions(bigquery=f"acme-proj.c_sink_{n}", max_bytes_billed=BIG)):
            got = api.analyze(api.load_bigquery(options, service="api", since=start, until=end)).result
            assert _essence(got) == _essence(want), (category, options)


def test_permission_denied_says_which_roles(endpoint: FakeBigQueryServer) -> None:
    endpoint.faults[r"/tables/_AllLogs$"] = (403, "accessDenied", "Access Denied: Table la_0._AllLogs")
    try:
        with pytest.raises(SourceError, match=r"roles/bigquery\.dataViewer") as err:
            api.load_bigquery(_netra(), service="netra-backend-staging", since="1h")
        assert err.value.exit_code == 3
    finally:
        endpoint.faults.clear()


def test_bigquery_flags_need_a_bigquery_source() -> None:
    res = CliRunner().invoke(main, ["analyze", "--since", "1h", "--input", "x.json", "--dry-run"])
    assert res.exit_code == 2 and "--dry-run only apply" in res.output


# --------------------------------------------------------------------------- the library in GoogleSQL


def _library_scan(fake: FakeBigQueryServer, dataset: str, name: str) -> tuple[set[Any], set[Any], Any]:
    """(local hits, BigQuery hits) as (insert_id, pattern_id) on single-entry events, and the query."""
    from fakes.bigquery_server import decode_params

    from rca.engine.match import match_events
    from rca.library.loader import load_library
    from rca.sources.bigquery.fetch import query_parameters
    from rca.sources.bigquery.pushdown import library_scan_sql

    loaded = api.load([EXAMPLES / name], since="1h", service=SAMPLES[name])
    api.build_events(loaded)
    patterns = [p for p in load_library().patterns if p.absence is None and p.frames != "own"]
    events = {e: (i, n) for e, i, n in loaded.store.con.execute(
        "SELECT event_id, insert_id, n_members FROM events").fetchall()}
    local = {(events[h.event_id][0], h.pattern_id) for h in match_events(loaded.store.con, patterns)
             if events[h.event_id][1] == 1}
    singles = {i for i, n in events.values() if n == 1}
    tables = []
    for (p, d, n), info in fake.tables.items():
        if (p, d) == (PROJECT, dataset):
            cols = tuple(shapes.column_from_api(f) for f in info["schema"])
            tables.append(shapes.Table(p, d, n, cols, kind=shapes.detect_kind(cols) or "other"))
    assert loaded.baseline_start and loaded.end
    query = library_scan_sql(tables, patterns, service=SAMPLES[name], baseline_start=loaded.baseline_start,
                             window_end=loaded.end, audit_start=loaded.baseline_start - timedelta(days=1))
    params = decode_params([q.to_api_repr() for q in query_parameters(query.params)])
    schema, rows = fake.execute(query.sql, params)
    cols = [f["name"] for f in schema]
    iid, pids = cols.index("insert_id"), cols.index("pattern_ids")
    remote = {(r[iid], p) for r in rows for p in (r[pids] or []) if r[iid] in singles}
    return local, remote, query


@SLOW
@pytest.mark.parametrize("name", split(sorted(SAMPLES), ["billing-api-2025-10-02.json"]))
def test_library_in_googlesql_agrees_with_the_engine(fake: FakeBigQueryServer, name: str) -> None:
    """Every pattern's conditions, run in (transpiled) GoogleSQL per entry, hit exactly the entries the
    local engine hits (single-entry events; absence and own-frame patterns need re-joined events)."""
    i = list(SAMPLES).index(name)
    local, remote, query = _library_scan(fake, f"la_{i}", name)
    assert local and remote == local
    if i == 0:
        local, remote, _ = _library_scan(fake, f"shards_{i}", name)
        assert remote == local
    assert _function_names(query.sql) <= FUNCTIONS
    from sqlglot import exp

    literals = {lit.this for lit in sqlglot.parse_one(query.sql, read="bigquery").find_all(exp.Literal)}
    regexes = {p.value for p in query.params if p.name.startswith("re_")}
    assert len(regexes) > 100 and not literals & regexes  # every regex is a parameter, none a literal


@SLOW
def test_an_empty_window_says_where_it_looked(endpoint: FakeBigQueryServer) -> None:
    from rca.errors import NoEntriesError

    options = api.BigQueryOptions(bigquery=f"{PROJECT}.sink_0")
    with pytest.raises(NoEntriesError, match=r"netra-staging\.sink_0 has no entries of service 'nobody'"):
        api.load_bigquery(options, service="nobody", since="2025-09-15T10:00:00Z",
                          until="2025-09-15T11:00:00Z")


# --------------------------------------------------------------------------- the push-down at scale


def _busy(category: str) -> list[dict[str, Any]]:
    """A constructed incident on a busy service: two instances serving a request a second each
    (a request log and an access line per request) through the baseline and the window."""
    from test_constructed_incidents import CASES, healthy

    log = healthy()
    for second in range(0, 7200):
        for instance in ("inst-1", "inst-2"):
            log.request(second + 0.25, 200, instance=instance)
            log.add(second + 0.25, "run.googleapis.com/stdout",
                    'INFO:     169.254.1.1:1234 - "GET /v1/x HTTP/1.1" 200 OK', instance=instance)
    CASES[category](log)
    return sorted(log.entries, key=lambda e: e["timestamp"], reverse=True)


@SLOW
def test_pushdown_returns_far_fewer_rows_than_it_scans_with_the_same_answer(
    fake: FakeBigQueryServer, endpoint: FakeBigQueryServer, tmp_path: Path
) -> None:
    """On a busy service the healthy traffic comes back as counted groups, not entry by entry, and
    the analysis still equals the file path's: root cause, findings, statuses and counts."""
    entries = _busy("database-unavailable")
    path = tmp_path / "busy.json"
    path.write_text(json.dumps(entries))
    loaded = api.load([str(path)], since="1h", service="api")
    want = api.analyze(loaded).result
    assert want.root_cause.category.value == "database-unavailable"
    start, end = rfc3339(loaded.start), rfc3339(loaded.end)
    assert start and end
    fake.add_log_analytics("acme-proj", "busy_la", entries)
    options = api.BigQueryOptions(log_analytics="acme-proj.busy_la", max_bytes_billed=BIG)
    got_loaded = api.load_bigquery(options, service="api", since=start, until=end)
    got = api.analyze(got_loaded).result
    assert _essence(got) == _essence(want)
    assert [f.status for f in got.findings] == [f.status for f in want.findings]
    assert got.timeline == want.timeline
    stats = _bq_stats(got_loaded)
    assert stats["entries_represented"] == got_loaded.store.stats.read > 20_000
    assert stats["rows_returned"] * 10 < stats["entries_represented"]
    full = api.load_bigquery(api.BigQueryOptions(log_analytics="acme-proj.busy_la", max_bytes_billed=BIG,
                                                 pushdown=False), service="api", since=start, until=end)
    assert _bq_stats(full)["rows_returned"] == stats["entries_represented"]
