"""Benchmark: the matcher's prefilter alone, relaxed regexes against atoms (rca/engine/prefilter.py).

Loads messages into a one-column DuckDB table (single thread, so CPU seconds compare), then runs
`SELECT count(*) WHERE regexp_matches(message, chunk) OR ...` with `prefilter_chunks(atoms=False)`
(every pattern's relaxed regex, the floor's definition) and with the atom chunks the matcher uses;
prints the best CPU seconds of ``--repeat`` runs, the chunk count and the lines kept. Asserts nothing.

    python benchmarks/prefilter.py /tmp/rca-bench-busy-1000000.ndjson
    python benchmarks/prefilter.py --loghub /work/shared/data/loghub2k --times 5

An NDJSON export gives the message as the busy benchmark spells it (text, JSON message or the
request line); ``--loghub DIR`` takes every `*/*_2k.log` line under DIR, the samples' messages and
the library's example lines instead, ``--times`` copies of them (real logs of many systems).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

from rca.engine.match import prefilter_chunks  # noqa: E402
from rca.library.loader import load_library  # noqa: E402

_NDJSON = (
    "CREATE TABLE t AS SELECT coalesce(textPayload, json_extract_string(jsonPayload, '$.message'), "
    "concat_ws(' ', httpRequest.requestMethod, httpRequest.requestUrl, httpRequest.status::VARCHAR, "
    "httpRequest.latency)) AS message FROM read_json(?, format='newline_delimited', columns={"
    "textPayload: 'VARCHAR', jsonPayload: 'JSON', httpRequest: 'STRUCT(requestMethod VARCHAR, "
    "requestUrl VARCHAR, status VARCHAR, latency VARCHAR)'})"
)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _mix(loghub: Path) -> list[str]:
    """Loghub's lines, the samples' messages and the library's example lines."""
    lines = [x for f in sorted(loghub.glob("*/*_2k.log")) for x in f.read_text(errors="replace").splitlines()]
    for sample in sorted((ROOT / "examples").glob("*.json")):
        entries: Any = json.loads(sample.read_text())
        for e in entries if isinstance(entries, list) else []:
            message = e.get("textPayload") or (e.get("jsonPayload") or {}).get("message")
            if isinstance(message, str):
                lines.append(message)
    for p in load_library().patterns:
        lines.extend((*p.examples_match, *p.examples_no_match))
    return lines


def main() -> None:
    import duckdb

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ndjson", nargs="?", type=Path)
    parser.add_argument("--loghub", type=Path)
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    con = duckdb.connect()
    con.execute("SET threads=1")
    if args.loghub is not None:
        copies = f"CREATE TABLE t AS SELECT unnest(?) AS message FROM range({args.times})"
        con.execute(copies, [_mix(args.loghub)])
    elif args.ndjson is not None:
        con.execute(_NDJSON, [str(args.ndjson)])
    else:
        parser.error("give an NDJSON file or --loghub DIR")
    (total,) = con.execute("SELECT count(*) FROM t").fetchone() or (0,)
    print(f"{total:,} messages")
    patterns = load_library().patterns
    for atoms in (False, True):
        chunks = prefilter_chunks(patterns, atoms=atoms)
        where = " OR ".join("regexp_matches(message, ?)" for _ in chunks)
        best, kept = float("inf"), 0
        for _ in range(args.repeat):
            start = _cpu()
            (kept,) = con.execute(f"SELECT count(*) FROM t WHERE {where}", chunks).fetchone() or (0,)
            best = min(best, _cpu() - start)
        name = "atoms" if atoms else "relaxed regexes"
        print(f"{name:16} {len(chunks)} chunks  {best:6.3f} CPU-s  {kept:,} kept")


if __name__ == "__main__":
    main()
