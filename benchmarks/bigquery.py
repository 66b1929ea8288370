"""What does the BigQuery source read and bill, and how many round trips, for 1 h and 24 h windows?

Builds the local fake BigQuery (tests/fakes/bigquery_server.py) from a sample export three ways
(Log Analytics `_AllLogs`, a day-partitioned sink, a `_YYYYMMDD`-sharded sink), then runs rca's
BigQuery source through the real google-cloud-bigquery client for a 1 h and a 24 h window ending at
the newest entry, and prints per run: rows scanned (rows of the partitions/shards the query touches),
bytes processed (the dry run's estimate: the named columns of those rows), bytes billed (10 MiB
minimum), rows returned, and API round trips (metadata, dry run, job, result pages). A last line
per layout dry-runs the per-minute pattern-count query of the whole library (the rollup shape of
docs/scale-out.md) for comparison. Byte sizes are the fake's approximation of BigQuery's
(strings and JSON by their text length, numbers and times 8 bytes).

    .venv/bin/python benchmarks/bigquery.py [examples/netra-backend-staging-2025-09-15.json]
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.bigquery_server import FakeBigQueryServer  # noqa: E402

from rca.sources.bigquery import fetch  # noqa: E402
from rca.sources.bigquery.cost import human  # noqa: E402
from rca.sources.bigquery.sql import pattern_counts_sql  # noqa: E402
from rca.sources.bigquery.target import Target, parse_bigquery, parse_log_analytics  # noqa: E402

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
    fake: FakeBigQueryServer, target: Target, service: str | None, end: datetime, hours: int
) -> dict[str, Any]:
    start = end - timedelta(hours=hours)
    before = len(fake.requests)
    plan = fetch.prepare(target, service=service, start=start, end=end)
    outcome = fetch.run(plan, max_bytes=1 << 50)
    job = list(fake.jobs.values())[-1]
    return {
        "layout": target.describe(),
        "window": f"{hours}h",
        "tables": len(plan.tables),
        "rows_scanned": job.rows_scanned,
        "bytes_processed": outcome.bytes_processed,
        "bytes_billed": outcome.bytes_billed,
        "rows_returned": outcome.rows,
        "round_trips": len(fake.requests) - before,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "export", nargs="?", default=str(ROOT / "examples/netra-backend-staging-2025-09-15.json")
    )
    args = parser.parse_args(argv)
    entries = _entries(Path(args.export))
    service = _service(entries)
    end = _newest(entries)
    rows: list[dict[str, Any]] = []
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
                rows.append(run(fake, target, service, end, hours))
        regexes = _library_regexes()
        plan = fetch.prepare(targets[0], service=service, start=end - timedelta(hours=1), end=end)
        counts = pattern_counts_sql(
            plan.tables[0], regexes, window_start=end - timedelta(hours=1), window_end=end
        )
        pushdown = fetch.dry_run(plan.client, counts)
    print(
        f"sample: {args.export} ({len(entries)} entries, service {service}, newest {end:%Y-%m-%dT%H:%M:%SZ})"
    )
    head = (
        f"{'layout':34} {'window':>6} {'tables':>6} {'rows scanned':>12} {'bytes processed':>16} "
        f"{'billed':>10} {'rows returned':>13} {'round trips':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['layout']:34} {r['window']:>6} {r['tables']:>6} {r['rows_scanned']:>12} "
            f"{human(r['bytes_processed']):>16} {human(r['bytes_billed']):>10} {r['rows_returned']:>13} "
            f"{r['round_trips']:>11}"
        )
    print(
        f"\nper-minute counts of all {len(regexes)} library regexes over {targets[0].describe()}, 1h "
        f"(dry run only): {human(pushdown)} processed"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
