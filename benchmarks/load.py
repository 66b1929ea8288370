"""Benchmark: generate an N-entry NDJSON export, then time each stage of rca on it.

Prints figures, asserts nothing: speed is a goal measured here, never a timed test.
Compares loading with `grep -c` over the same file (the issue's yardstick) and reports peak RSS.

    python benchmarks/load.py --entries 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

# (weight, message): mostly healthy traffic, a few warnings and errors, as in a real incident hour.
MESSAGES = [
    (60, 'INFO:     169.254.1.{n}:5{n} - "GET /api/threads/{n} HTTP/1.1" 200 OK'),
    (25, "2025-09-15 14:{m:02d}:01,118 INFO app.agents: agent run {n} completed in 0.{n}s"),
    (5, "DeprecationWarning: websockets.legacy is deprecated; see https://websockets.readthedocs.io/"),
    (3, "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already"),
    (
        3,
        'File "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py", line 1049, '
        "in _connect_addr",
    ),
    (2, "Traceback (most recent call last):"),
    (2, 'Default STARTUP TCP probe failed 1 time consecutively for container "backend-1" on port 8000.'),
]


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Write n realistic Cloud Run entries as NDJSON (deterministic)."""
    rng = random.Random(seed)
    weights, texts = zip(*MESSAGES, strict=True)
    resource_ = {
        "type": "cloud_run_revision",
        "labels": {
            "configuration_name": "bench",
            "location": "us-central1",
            "project_id": "bench-proj",
            "revision_name": "bench-00042-abc",
            "service_name": "bench",
        },
    }
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            sec = i * 3600 // n
            ts = f"2025-09-15T14:{sec // 60:02d}:{sec % 60:02d}.{i % 1000000:06d}Z"
            entry = {
                "insertId": f"{i:020x}",
                "logName": "projects/bench-proj/logs/run.googleapis.com%2Fstderr",
                "labels": {"instanceId": f"00{i % 7:04x}ab"},
                "receiveTimestamp": ts,
                "resource": resource_,
                "timestamp": ts,
                "textPayload": rng.choices(texts, weights)[0].format(n=i % 250, m=sec // 60),
            }
            if i % 10 == 0:
                entry.pop("textPayload")
                entry["logName"] = "projects/bench-proj/logs/run.googleapis.com%2Frequests"
                entry["httpRequest"] = {
                    "requestMethod": "GET",
                    "requestUrl": f"https://bench.run.app/api/{i}",
                    "status": rng.choice([200, 200, 200, 503]),
                    "latency": "0.0123s",
                }
            out.write(json.dumps(entry) + "\n")


def timed(label: str, func, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Run func, print its wall time, return its result."""
    t0 = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"{label:34} {time.perf_counter() - t0:8.2f} s")
    return result


def main() -> None:
    """Generate (or reuse) the export and time each stage."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--file", type=Path, help="reuse this NDJSON file instead of generating one")
    args = parser.parse_args()
    from rca import api
    from rca.library.loader import load_library
    from rca.reasoning.analysis import run

    path = args.file or Path(tempfile.gettempdir()) / f"rca-bench-{args.entries}.ndjson"
    if not path.exists():
        timed(f"generate {args.entries} entries", generate, path, args.entries)
    size_mb = path.stat().st_size / 1e6
    print(f"file: {path} ({size_mb:.0f} MB)")
    t0 = time.perf_counter()
    subprocess.run(["grep", "-c", "Traceback", str(path)], capture_output=True, check=False)
    grep_s = time.perf_counter() - t0
    print(f"{'grep -c (yardstick)':34} {grep_s:8.2f} s")
    loaded = timed("load + normalise (DuckDB)", api.load, [path], since="2h")
    load_s = time.perf_counter() - t0 - grep_s
    timed("re-join tracebacks (events)", api.build_events, loaded)
    library = load_library()
    meta = {
        "service": None,
        "start": loaded.start,
        "end": loaded.end,
        "baseline_start": loaded.baseline_start,
        "earliest": loaded.earliest(),
        "load_stats": loaded.load_stats(),
    }
    from rca.engine import match

    con = loaded.store.con
    t1 = time.perf_counter()
    where, params = match.prefilter_where(library.patterns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE survivors AS SELECT * FROM events WHERE {where}", params)
    survivors = con.execute("SELECT count(*) FROM survivors").fetchone()[0]
    print(
        f"{'prefilter (' + str(len(params)) + ' RE2 chunks, one pass)':34} {time.perf_counter() - t1:8.2f} s"
        f"   {survivors} of {loaded.window_count()} events survive"
    )
    per_pattern = []
    for p in library.patterns:
        cond, args = match.pattern_where(p)
        t2 = time.perf_counter()
        con.execute(f"SELECT count(*) FROM survivors WHERE {cond}", args).fetchone()
        per_pattern.append((time.perf_counter() - t2, p.id))
    total = sum(t for t, _ in per_pattern)
    print(
        f"{'per-pattern pass over survivors':34} {total:8.2f} s   slowest: "
        + ", ".join(f"{pid} {t * 1000:.0f} ms" for t, pid in sorted(per_pattern, reverse=True)[:3])
    )
    hits = timed(
        f"match_events ({len(library.patterns)} patterns)", match.match_events, con, library.patterns
    )
    print(f"  matches: {len(hits)}")
    timed("full analysis (match + chain)", run, con, library.patterns, meta)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB; load vs grep: {load_s / max(grep_s, 1e-9):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
