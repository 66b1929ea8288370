"""How much does live analysis pull compared with a full pull of the window, and is the answer the same?

Serves each export (default: every examples/*.json) from the local fake Cloud Logging API, with
optional healthy traffic added (``--healthy-rps``: a request log and an access line per request,
as a mostly healthy service writes them) and an optional failing-request storm (``--storm N``: N
more failing request logs like the export's own, without a message, spread evenly from its first
failing request to the end of the window: a dense incident), then

* runs ``rca analyze``'s live path (``api.load_live``: the library pushed down, healthy requests
  exact up to a cut then sampled and scaled back) and analyses what it fetched, and
* pulls every entry of the same range (window and baseline) in one query, as
  ``gcloud logging read`` would, and analyses that,

both with the real client, and prints entries and API calls of each, the share, the root cause of
each and the error rate each reports (the live one marked ``~`` when it is a scaled estimate),
and how much of the storm (bare failing request logs) rca read.

    .venv/bin/python benchmarks/live_fetch.py --healthy-rps 20
    .venv/bin/python benchmarks/live_fetch.py --storm 20000
    .venv/bin/python benchmarks/live_fetch.py examples/netra-backend-staging-2025-09-15.json
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.filter_eval import log_id, parse_ts  # noqa: E402
from fakes.logging_server import FakeLoggingServer, load_export  # noqa: E402

from rca.sources.cloud.fetch import FetchResult, RateLimiter, RetryPolicy, fetch_entries  # noqa: E402
from rca.sources.cloud.queries import Query, stream_of  # noqa: E402


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


def storm_traffic(entries: list[dict[str, Any]], count: int, end: datetime) -> list[dict[str, Any]]:
    """``count`` failing request logs copied from the export's own (status, revision, instance,
    URL), without their message, each with its own trace, evenly from the first failure to ``end``."""
    failing = sorted(
        (e for e in entries if str(e.get("logName", "")).endswith("%2Frequests")
         and int((e.get("httpRequest") or {}).get("status") or 0) in (429, *range(500, 600))),
        key=lambda e: str(e["timestamp"]),
    )
    if count <= 0 or not failing:
        return []
    onset = parse_ts(failing[0]["timestamp"])[0]
    step = (end - onset) / count
    out: list[dict[str, Any]] = []
    for i in range(count):
        template = failing[i % len(failing)]
        entry = {k: v for k, v in template.items() if k not in ("textPayload", "jsonPayload")}
        entry.update(
            insertId=f"storm-{i}",
            timestamp=(onset + step * i).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            trace=f"projects/{template['logName'].split('/')[1]}/traces/storm{i:08x}",
        )
        out.append(entry)
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


def by_log(entries: list[dict[str, Any]]) -> str:
    """Counts per log id, largest first."""
    counts = collections.Counter(log_id(e) for e in entries)
    return ", ".join(f"{name}={n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def analyse_file(entries: list[dict[str, Any]], service: str, since: str, until: str) -> dict[str, Any]:
    """The JSON report of a file analysis of ``entries``."""
    from rca import api

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "full.ndjson"
        path.write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
        return api.analyze([str(path)], since=since, until=until, service=service).result.to_json()


def one(
    export: Path,
    rps: float,
    hours: float,
    service_override: str | None,
    storm: int = 0,
    sampling: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Run both fetches and analyses for one export; return the figures."""
    from rca import api
    from rca.sources.cloud import client

    client.DEFAULT_TIMEOUT = (10.0, 1800.0)  # the fake evaluates each filter in Python, slowly
    entries = load_export(export)
    service, project, first, last, _ = infer(entries)
    service = service_override or service
    end = last.replace(microsecond=0) + timedelta(seconds=1)
    start = end - timedelta(hours=hours)
    since, until = (t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in (start, end))
    fetched_from = start - (end - start)  # the analysis reads an equal baseline before the window
    entries += healthy_traffic(entries, rps, min(first, fetched_from), end)
    entries += storm_traffic(entries, storm, end)
    in_range = [e for e in entries if fetched_from <= parse_ts(e["timestamp"])[0] < end]
    with FakeLoggingServer(entries) as fake, tempfile.TemporaryDirectory() as cache:
        os.environ.update(RCA_LOGGING_ENDPOINT=fake.url, GOOGLE_CLOUD_PROJECT=project, RCA_CACHE_DIR=cache)
        began = time.monotonic()
        loaded = api.load_live(service=service, since=since, until=until, sampling=sampling)
        live = api.analyze(loaded).result.to_json()
        live_calls, live_s = fake.calls, time.monotonic() - began
        read = _cached_entries(loaded)  # the store reads the cache file back, before it is removed
        full = fetch(fake, project, [Query("all", 'logName:"/logs/"', fetched_from, end)])
    stats = live["stats"]
    return {
        "export": export.name,
        "service": service,
        "window": f"{since} .. {until} (+ equal baseline)",
        "range_entries": len(full.entries),
        "in_range": len(in_range),
        "full_calls": full.calls,
        "live_entries": int(stats["read"]),
        "live_calls": live_calls,
        "live_seconds": round(live_s, 1),
        "live_by_log": by_log(read),
        "storm_in_range": sum(1 for e in in_range if stream_of(e, service) == "failing"),
        "storm_read": sum(1 for e in read if stream_of(e, service) == "failing"),
        "full": analyse_file(full.entries, service, since, until),
        "live": live,
    }


def _cached_entries(loaded: Any) -> list[dict[str, Any]]:
    """The canonical entries the live path read (from the store's staging table)."""
    rows = loaded.store.con.execute("SELECT j::VARCHAR FROM staging").fetchall()
    return [json.loads(r[0]) for r in rows]


def cause(report: dict[str, Any]) -> str:
    root = report["root_cause"]
    return f"{root['category']}/{root['pattern_id']}"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison for each export and print a table, then the totals."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("exports", type=Path, nargs="*", help="default: every examples/*.json")
    parser.add_argument("--service")
    parser.add_argument("--hours", type=float, default=1.0, help="analysis window (the --since), in hours")
    parser.add_argument(
        "--healthy-rps",
        type=float,
        default=0.0,
        help="add healthy traffic at this many requests/s (request log + access line each): "
        "the samples are incident-dense, real services are mostly healthy traffic",
    )
    parser.add_argument(
        "--storm",
        type=int,
        default=0,
        help="add this many failing request logs without a message (a dense incident's storm), "
        "evenly from the export's first failing request to the end of the window",
    )
    parser.add_argument(
        "--exact-failing",
        type=int,
        help="read this many bare failing request logs exactly before sampling the rest (default: "
        "rca's; a huge number reads the storm whole, as before it was sampled)",
    )
    args = parser.parse_args(argv)
    sampling = {"exact_failing": args.exact_failing} if args.exact_failing is not None else None
    exports = args.exports or sorted((ROOT / "examples").glob("*.json"))
    print(
        f"healthy traffic added: {args.healthy_rps:g} requests/s; storm added: {args.storm} failing "
        f"requests; window {args.hours:g} h + equal baseline"
    )
    print(f"{'export':40}{'range':>9}{'calls':>7}{'rca':>8}{'calls':>7}{'share':>8}  root cause (rca | full)")
    rows = [one(p, args.healthy_rps, args.hours, args.service, args.storm, sampling) for p in exports]
    for r in rows:
        same = "same" if cause(r["live"]) == cause(r["full"]) else "DIFFERENT"
        share = r["live_entries"] / max(r["range_entries"], 1)
        print(
            f"{r['export'][:39]:40}{r['range_entries']:>9}{r['full_calls']:>7}{r['live_entries']:>8}"
            f"{r['live_calls']:>7}{share:>8.1%}  {cause(r['live'])} | {cause(r['full'])} ({same})"
        )
    print()
    for r in rows:
        live, full = r["live"]["stats"], r["full"]["stats"]
        mark = "~" if live.get("estimated") else ""
        sample = live.get("sample") or {}
        print(
            f"{r['export'][:39]:40}error rate rca {mark}{float(live['error_rate'] or 0):.1%} "
            f"of {mark}{live['requests']} | full {float(full['error_rate'] or 0):.1%} of {full['requests']}"
            + (f"  (sample {sample.get('size')} at {sample.get('fraction')})" if sample else "")
            + f"; storm read {r['storm_read']} of {r['storm_in_range']}"
            + f"; 5xx rca {'~' if 'server_errors' in live.get('estimated_fields', []) else ''}"
            + f"{live['server_errors']} | full {full['server_errors']}"
            + f"; state {r['live']['status']['state']} | {r['full']['status']['state']}"
            + f"; {r['live_seconds']} s"
        )
    for r in rows:
        print(f"{r['export'][:39]:40}rca read: {r['live_by_log']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
