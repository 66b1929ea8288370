"""How much does the live source pull compared with a full pull of the window?

Serves a gcloud-JSON (or NDJSON) export from the local fake Cloud Logging API, then runs

* rca's queries (deploys, Cloud SQL, signals with the pattern library's regexes, 2% baseline)
  through ``fetch_entries``, and
* one query for everything in the window (what ``gcloud logging read`` with only a time bound does),

both with the real client, and prints entries fetched and API calls made by each. The fake
evaluates the filters it is sent, so the counts are those the queries select.

    /work/venv/bin/python benchmarks/live_fetch.py examples/netra-backend-staging-2025-09-15.json
"""

from __future__ import annotations

import argparse
import collections
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.filter_eval import log_id, parse_ts  # noqa: E402
from fakes.logging_server import FakeLoggingServer, load_export  # noqa: E402

from rca.sources.cloud.fetch import FetchResult, RateLimiter, RetryPolicy, fetch_entries  # noqa: E402
from rca.sources.cloud.queries import Query, build_queries  # noqa: E402


def pattern_regexes() -> list[str]:
    """The library's ``any`` regexes (or the first ``all`` one), as the CLI would pass them."""
    from rca.errors import RcaError
    from rca.library.loader import load_library

    try:
        library = load_library()
    except RcaError as exc:
        print(f"warning: pattern library not loadable, signals run without pattern regexes: {exc}")
        return []
    out: list[str] = []
    for pattern in library.patterns:
        out.extend(pattern.match.any or pattern.match.all[:1])
    return out


def infer(entries: list[dict[str, Any]]) -> tuple[str, str, datetime, datetime, list[str]]:
    """Service, project, window and Cloud SQL instances as they appear in an export."""
    labels = [e.get("resource", {}).get("labels", {}) for e in entries]
    services = collections.Counter(lab["service_name"] for lab in labels if lab.get("service_name"))
    projects = collections.Counter(
        str(e.get("logName", "")).split("/")[1] for e in entries if "/" in e.get("logName", "")
    )
    times = sorted(parse_ts(e["timestamp"])[0] for e in entries)
    sql = sorted({lab["database_id"] for lab in labels if lab.get("database_id")})
    return (
        services.most_common(1)[0][0],
        projects.most_common(1)[0][0],
        times[0],
        times[-1] + timedelta(seconds=1),
        sql,
    )


def healthy_traffic(
    entries: list[dict[str, Any]], rps: float, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Deterministic 200 OK request logs and uvicorn access lines on the export's busiest revision."""
    if rps <= 0:
        return []
    template = next(e for e in entries if str(e.get("logName", "")).endswith("%2Frequests"))
    resource, project = template["resource"], template["logName"].split("/")[1]
    out: list[dict[str, Any]] = []
    step = 1.0 / rps
    t, i = 0.0, 0
    span = (end - start).total_seconds()
    while t < span:
        ts = (start + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        out.append(
            {
                "insertId": f"pad-r{i}",
                "logName": f"projects/{project}/logs/run.googleapis.com%2Frequests",
                "resource": resource,
                "timestamp": ts,
                "severity": "INFO",
                "httpRequest": {
                    "requestMethod": "GET",
                    "requestUrl": f"https://svc.run.app/api/items/{i % 97}",
                    "status": 200,
                    "latency": "0.012s",
                },
            }
        )
        out.append(
            {
                "insertId": f"pad-s{i}",
                "logName": f"projects/{project}/logs/run.googleapis.com%2Fstdout",
                "resource": resource,
                "timestamp": ts,
                "textPayload": f'INFO:     169.254.1.1:4{i % 1000:03d} - "GET /api/items/{i % 97} HTTP/1.1" '
                "200 OK",
            }
        )
        t += step
        i += 1
    return out


def fetch(fake: FakeLoggingServer, project: str, queries: list[Query]) -> FetchResult:
    """Fetch with the real client, pacing with a clock that never waits (the fake has no quota)."""
    return fetch_entries(
        fake.client(project),
        queries,
        max_entries=10_000_000,
        rate=RateLimiter(clock=lambda: 0.0, sleep=lambda s: None, max_calls=10**9),
        retry=RetryPolicy(sleep=lambda s: None),
    )


def by_log(result: FetchResult) -> str:
    """Counts per log id, largest first."""
    counts = collections.Counter(log_id(e) for e in result.entries)
    return ", ".join(f"{name}={n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def main(argv: list[str] | None = None) -> int:
    """Run the comparison for one export file and print a small table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--service")
    parser.add_argument("--no-patterns", action="store_true", help="signals without the pattern regexes")
    parser.add_argument("--since", default="1h", help="analysis window for the root-cause comparison")
    parser.add_argument(
        "--healthy-rps",
        type=float,
        default=0.0,
        help="add healthy traffic at this many requests/s (request log + access line each): "
        "the samples are incident-dense, real services are mostly healthy traffic",
    )
    args = parser.parse_args(argv)
    entries = load_export(args.export)
    service, project, start, end, sql = infer(entries)
    entries += healthy_traffic(entries, args.healthy_rps, start, end)
    service = args.service or service
    regexes = [] if args.no_patterns else pattern_regexes()
    ours = build_queries(
        service, start, end, project=project, regexes=regexes, sql_instances=[s.split(":")[-1] for s in sql]
    )
    everything = [Query("all", 'logName:"/logs/"', start, end)]
    with FakeLoggingServer(entries) as fake:
        mine = fetch(fake, project, ours)
        full = fetch(fake, project, everything)
    print(f"export      {args.export} ({len(entries)} entries)")
    print(f"service     {service}  project {project}")
    print(f"window      {start:%Y-%m-%dT%H:%M:%SZ} .. {end:%Y-%m-%dT%H:%M:%SZ}")
    signal_queries = sum(q.name.startswith("signals") for q in ours)
    print(f"patterns    {len(regexes)} regexes in {signal_queries} signal queries")
    print(f"{'':12}{'entries':>9}{'calls':>7}")
    print(f"{'rca queries':12}{len(mine.entries):>9}{mine.calls:>7}   {dict(sorted(mine.per_query.items()))}")
    print(f"{'full pull':12}{len(full.entries):>9}{full.calls:>7}")
    print(
        f"share       {len(mine.entries) / max(len(full.entries), 1):.1%} of entries, "
        f"{mine.calls / max(full.calls, 1):.0%} of calls"
    )
    print(f"rca by log  {by_log(mine)}")
    print(f"full by log {by_log(full)}")
    ours_rc, full_rc = (
        root_cause(mine.entries, service, args.since),
        root_cause(full.entries, service, args.since),
    )
    verdict = "same" if ours_rc == full_rc else "DIFFERENT"
    print(f"root cause  rca queries: {ours_rc}; full pull: {full_rc} ({verdict}, --since {args.since})")
    return 0


def root_cause(entries: list[dict[str, Any]], service: str, since: str) -> str:
    """The root cause (category and pattern) rca reaches on these entries."""
    import json
    import tempfile

    from rca import api

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fetched.ndjson"
        path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
        root = api.analyze([str(path)], since=since, service=service).result.root_cause
    return f"{root.category.value}/{root.pattern_id}"


if __name__ == "__main__":
    sys.exit(main())
