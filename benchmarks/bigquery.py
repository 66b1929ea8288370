"""What does the BigQuery source read, bill and return for 1 h and 24 h windows, with and without push-down?

Builds the local fake BigQuery (tests/fakes/bigquery_server.py) from a sample export three ways
(Log Analytics `_AllLogs`, a day-partitioned sink, a `_YYYYMMDD`-sharded sink), optionally with
healthy traffic added (``--healthy-rps``: a 200 request log and an access line per request, the
generator of benchmarks/live_fetch.py, over the two hours before the newest entry: the 1 h
window and its baseline), then runs rca's
BigQuery source through the real google-cloud-bigquery client for a 1 h and a 24 h window ending at
the newest entry, both plans:

* ``full``: the scan returns every entry of the window and baseline;
* ``pushdown``: the scan runs the library and stays in BigQuery; three follow-up queries over its
  result return the recovery time, the entries read one by one (whole) and the rest as counted groups.

Per run it prints rows scanned (rows of the partitions/shards the scan touches), bytes processed
(scan plus follow-ups: the named columns of what each reads), bytes billed (10 MiB minimum a
query), rows returned, the entries they stand for, and API round trips (metadata, dry runs, jobs,
result pages). ``--analyse`` also analyses both plans' 1 h `_AllLogs` load and prints each root
cause and the counts the parity tests compare. A last line dry-runs the per-minute pattern-count
query of the whole library (the rollup shape of docs/scale-out.md). Byte sizes are the fake's
approximation of BigQuery's (strings and JSON by their text length, numbers and times 8 bytes).

    .venv/bin/python benchmarks/bigquery.py [EXPORT] [--healthy-rps 20] [--analyse]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from fakes.bigquery_server import FakeBigQueryServer  # noqa: E402
from live_fetch import healthy_traffic  # noqa: E402

from rca import api  # noqa: E402
from rca.sources.bigquery import fetch  # noqa: E402
from rca.sources.bigquery.cost import human  # noqa: E402
from rca.sources.bigquery.sql import pattern_counts_sql  # noqa: E402
from rca.sources.bigquery.target import Target, parse_bigquery, parse_log_analytics  # noqa: E402
from rca.timeutil import rfc3339  # noqa: E402

PROJECT = "bench-project"


def _entries(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return [e for e in json.loads(text) if isinstance(e, dict)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _newest(entries: list[dict[str, Any]]) -> datetime:
    return max(
        datetime.fromisoformat(str(e["timestamp"]).replace("Z", "+00:00")[:26] + "+00:00")
        if "." in str(e["timestamp"])
        else datetime.fromisoformat(str(e["timestamp"]).replace("Z", "+00:00"))
        for e in entries
    )


def _service(entries: list[dict[str, Any]]) -> str | None:
    names = [((e.get("resource") or {}).get("labels") or {}).get("service_name") for e in entries]
    counts: dict[str, int] = {}
    for n in names:
        if n:
            counts[n] = counts.get(n, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else None


def _library_regexes() -> list[str]:
    from rca.library.loader import load_library

    return [r for p in load_library().patterns for r in (p.match.any or p.match.all[:1])]


def run(
    fake: FakeBigQueryServer, target: Target, service: str | None, end: datetime, hours: int, plan_name: str
) -> dict[str, Any]:
    """One load through the real client: the figures of what it read, billed and returned."""
    start = end - timedelta(hours=hours)
    before = len(fake.requests)
    spec = api.bigquery._pushdown(api.BigQueryOptions(pushdown=plan_name == "pushdown"))
    plan = fetch.prepare(target, service=service, start=start, end=end, pushdown=spec)
    outcome = (fetch.run_pushdown if spec else fetch.run)(plan, max_bytes=1 << 50)
    represented = outcome.extra.get("entries_represented", outcome.rows)
    return {
        "layout": target.describe(),
        "window": f"{hours}h",
        "plan": plan_name,
        "tables": len(plan.tables),
        "rows_scanned": outcome.rows_scanned,
        "bytes_processed": outcome.bytes_processed,
        "bytes_billed": outcome.bytes_billed,
        "rows_returned": outcome.rows,
        "represented": represented,
        "round_trips": len(fake.requests) - before,
    }


def _essence(service: str | None, start: datetime, end: datetime, pushdown: bool) -> dict[str, Any]:
    """Root cause and the counts the parity tests compare, from one plan's load of `_AllLogs`."""
    options = api.BigQueryOptions(log_analytics=f"{PROJECT}.la", max_bytes_billed="1TiB", pushdown=pushdown)
    loaded = api.load_bigquery(options, service=service, since=rfc3339(start) or "", until=rfc3339(end))
    report = api.analyze(loaded).result.to_json()
    return {
        "root_cause": report["root_cause"]["category"],
        "state": (report["status"] or {}).get("state"),
        "findings": [(f["pattern_id"], f["count"], f["status"]) for f in report["findings"]],
        "entries": report["stats"]["entries"],
        "requests": report["stats"]["requests"],
        "error_rate": report["stats"]["error_rate"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "export", nargs="?", default=str(ROOT / "examples/netra-backend-staging-2025-09-15.json")
    )
    parser.add_argument("--healthy-rps", type=float, default=0.0,
                        help="add healthy traffic at N requests/s over the 2 h before the newest entry")
    parser.add_argument("--analyse", action="store_true",
                        help="also analyse both plans' 1 h _AllLogs load and compare the answers")
    args = parser.parse_args(argv)
    entries = _entries(Path(args.export))
    service = _service(entries)
    end = _newest(entries)
    sample = len(entries)
    entries += healthy_traffic(entries, args.healthy_rps, end - timedelta(hours=2), end)
    rows: list[dict[str, Any]] = []
    answers: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, FakeBigQueryServer() as fake:
        os.environ["RCA_BIGQUERY_ENDPOINT"] = fake.url
        os.environ["RCA_CACHE_DIR"] = tmp
        fake.add_log_analytics(PROJECT, "la", entries)
        fake.add_sink(PROJECT, "sink", entries)
        fake.add_sink(PROJECT, "shards", entries, sharded=True)
        targets = [
            parse_log_analytics(f"{PROJECT}.la"),
            parse_bigquery(f"{PROJECT}.sink"),
            parse_bigquery(f"{PROJECT}.shards"),
        ]
        for target in targets:
            for hours in (1, 24):
                for plan_name in ("full", "pushdown"):
                    rows.append(run(fake, target, service, end, hours, plan_name))
        regexes = _library_regexes()
        plan = fetch.prepare(targets[0], service=service, start=end - timedelta(hours=1), end=end)
        counts = pattern_counts_sql(
            plan.tables[0], regexes, window_start=end - timedelta(hours=1), window_end=end
        )
        rollup = fetch.dry_run(plan.client, counts)
        if args.analyse:
            for plan_name in ("full", "pushdown"):
                answers[plan_name] = _essence(service, end - timedelta(hours=1), end, plan_name == "pushdown")
    print(
        f"sample: {args.export} ({sample} entries + {len(entries) - sample} healthy-traffic entries at "
        f"{args.healthy_rps:g}/s, service {service}, newest {end:%Y-%m-%dT%H:%M:%SZ})"
    )
    head = (
        f"{'layout':28} {'window':>6} {'plan':>8} {'tables':>6} {'rows scanned':>12} {'bytes processed':>16} "
        f"{'billed':>10} {'rows returned':>13} {'entries':>8} {'round trips':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['layout']:28} {r['window']:>6} {r['plan']:>8} {r['tables']:>6} {r['rows_scanned']:>12} "
            f"{human(r['bytes_processed']):>16} {human(r['bytes_billed']):>10} {r['rows_returned']:>13} "
            f"{r['represented']:>8} {r['round_trips']:>11}"
        )
    print(
        f"\nper-minute counts of all {len(regexes)} library regexes over {targets[0].describe()}, 1h "
        f"(dry run only): {human(rollup)} processed"
    )
    for plan_name, answer in answers.items():
        print(f"{plan_name:>8}: {answer}")
    if answers:
        print("same answer:", answers["full"] == answers["pushdown"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
