"""Benchmark: rca end to end (CLI process start to report written) beside DuckDB's own floor.

Generates (or reuses) a request-heavy NDJSON export of one busy Cloud Run hour, then runs, each
in its own process and in the same run, so a loaded machine slows both alike:

- the **floor**: DuckDB alone reading the fields an analysis needs into a table (a typed
  ``read_json``) and running one pass of the pattern library's RE2 alternation over the messages;
- **rca**: ``rca analyze --service bench --since 1h --input FILE --format json``.

Prints CPU seconds (user + system), wall seconds and peak RSS of each, and rca's ratio to the
floor. Asserts nothing: speed is a goal measured here, never a timed test.

    python benchmarks/load.py --entries 300000            # one size
    python benchmarks/load.py --entries 100000 300000     # a growth curve
    python benchmarks/load.py --before ../rca-old          # also another checkout's rca, same run
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

SERVICE = "bench"
STORM_FROM = 0.8  # the last fifth of the hour: a 503 storm (upstream pool exhausted)

# (weight, level, message) for the app's own jsonPayload logs and stderr text lines.
APP_LOGS = [
    (40, "INFO", "request handled path=/api/orders/{n} user={u} in {ms}ms"),
    (20, "INFO", "cache hit key=order:{n}"),
    (8, "DEBUG", "db query took {ms}ms rows={n}"),
    (6, "WARNING", "slow request path=/api/orders/{n} took {ms}ms"),
    (3, "WARNING", "DeprecationWarning: websockets.legacy is deprecated; see https://websockets.readthedocs.io/"),
    (2, "ERROR", "upstream request failed: connection reset by peer (order {n})"),
]
STORM_LOGS = [
    (30, "ERROR", "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, "
     "connection timed out, timeout 30.00"),
    (10, "ERROR", "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already"),
]
TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py", line 1049, in _connect_addr',
    "    return await __connect_addr(params, True, *args)",
    '  File "/app/orders/db.py", line 88, in get_order',
    "    row = await conn.fetchrow(QUERY, order_id)",
    "asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already",
]


def _entry(i: int, n: int, rng: random.Random) -> dict[str, object]:
    """Entry i of n: 55 % request logs, 33 % jsonPayload app logs, the rest stderr text."""
    frac = i / n
    us = i * 3_600_000_000 // n
    sec, micro = divmod(us, 1_000_000)
    ts = f"2025-09-15T14:{sec // 60:02d}:{sec % 60:02d}.{micro:06d}Z"
    storm = frac >= STORM_FROM
    instance = f"00{rng.randrange(12):04x}ab"
    entry: dict[str, object] = {
        "insertId": f"{i:020x}",
        "labels": {"instanceId": instance},
        "receiveTimestamp": ts,
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"configuration_name": SERVICE, "location": "us-central1", "project_id": "bench-proj",
                       "revision_name": f"{SERVICE}-00042-abc", "service_name": SERVICE},
        },
        "timestamp": ts,
    }
    trace = f"projects/bench-proj/traces/{rng.getrandbits(64):016x}"
    roll = rng.random()
    if roll < 0.55:
        status = 503 if storm and rng.random() < 0.6 else rng.choice([200, 200, 200, 200, 201, 304, 404])
        entry |= {
            "logName": "projects/bench-proj/logs/run.googleapis.com%2Frequests",
            "severity": "ERROR" if status >= 500 else "INFO",
            "trace": trace,
            "spanId": f"{rng.getrandbits(32):08x}",
            "httpRequest": {
                "requestMethod": rng.choice(["GET", "GET", "POST"]),
                "requestUrl": f"https://{SERVICE}-xyz.a.run.app/api/orders/{rng.randrange(5000)}",
                "status": status,
                "latency": f"{rng.uniform(0.002, 30 if status == 503 else 0.5):.9f}s",
                "requestSize": "512", "responseSize": "1024", "userAgent": "python-requests/2.32",
                "remoteIp": f"10.0.{rng.randrange(255)}.{rng.randrange(255)}", "protocol": "HTTP/1.1",
            },
        }
        if status == 503 and rng.random() < 0.5:
            entry["textPayload"] = (
                "The request failed because either the HTTP response was malformed or connection to the "
                "instance had an error. Additional troubleshooting documentation can be found at: "
                "https://cloud.google.com/run/docs/troubleshooting#malformed-response-or-connection-error"
            )
    elif roll < 0.88:
        table = STORM_LOGS + APP_LOGS if storm else APP_LOGS
        level, text = rng.choices([t[1:] for t in table], [t[0] for t in table])[0]
        entry |= {
            "logName": "projects/bench-proj/logs/run.googleapis.com%2Fstdout",
            "severity": level,
            "trace": trace,
            "jsonPayload": {"message": text.format(n=rng.randrange(5000), u=rng.randrange(900),
                                                   ms=rng.randrange(2, 900)),
                            "logger": "orders.api", "module": "handlers"},
        }
    else:
        line = TRACEBACK[i % len(TRACEBACK)] if storm else "INFO: worker heartbeat ok"
        entry |= {"logName": "projects/bench-proj/logs/run.googleapis.com%2Fstderr", "textPayload": line}
    return entry


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Write n entries of one busy hour as NDJSON (deterministic)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            out.write(json.dumps(_entry(i, n, rng)) + "\n")


# The floor: the fields an analysis reads, typed, into a table; then one pass of the library's RE2.
# (The statements come in files: the library's prefilter outgrew what one argument may hold, 128 KiB.)
_FLOOR = """
import sys, duckdb
from pathlib import Path
con = duckdb.connect()
con.execute(Path(sys.argv[2]).read_text())
con.execute(Path(sys.argv[3]).read_text()).fetchall()
"""

_FLOOR_READ = """
CREATE TABLE t AS SELECT timestamp, severity, logName, insertId, trace,
  resource.labels.service_name AS service, labels.instanceId AS instance_id,
  httpRequest.status AS status, httpRequest.latency AS latency,
  coalesce(textPayload, json_extract_string(jsonPayload, '$.message')) AS message
FROM read_json('{path}', format='newline_delimited', columns={{
  timestamp: 'VARCHAR', severity: 'VARCHAR', logName: 'VARCHAR', insertId: 'VARCHAR', trace: 'VARCHAR',
  textPayload: 'VARCHAR', jsonPayload: 'JSON',
  resource: 'STRUCT(type VARCHAR, labels STRUCT(service_name VARCHAR))',
  labels: 'STRUCT(instanceId VARCHAR)', httpRequest: 'STRUCT(status VARCHAR, latency VARCHAR)'}})
"""


def compiled(roots: list[Path]) -> None:
    """Compile each checkout's `rca/` to bytecode, so it is measured as installed: pip compiles a
    wheel's modules when it installs it, and a checkout run with PYTHONDONTWRITEBYTECODE set (as
    this sandbox's shell is) would otherwise compile all of rca's source in every run (0.2 CPU-s),
    which no user's run does."""
    for root in roots:
        compileall.compile_dir(root / "rca", quiet=1)


def run_process(argv: list[str], cwd: Path | None = None) -> tuple[float, float, float]:
    """Run a process to completion; its CPU seconds, wall seconds and peak RSS (MB)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]}... failed ({proc.returncode}): {err[-2000:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def _floor_sql(path: Path) -> tuple[str, str]:
    from rca.engine import match
    from rca.library.loader import load_library

    where, params = match.prefilter_where(load_library().patterns)
    parts = where.split("?")  # inline the RE2 chunks as string literals
    literals = ["'" + str(value).replace("'", "''") + "'" for value in params] + [""]
    where = "".join(part + literal for part, literal in zip(parts, literals, strict=True))
    return _FLOOR_READ.format(path=path), f"SELECT count(*) FROM t WHERE {where}"


def bench(n: int, path: Path | None, repeat: int, before: Path | None) -> tuple[float, float, float]:
    """Generate (or reuse) an n-entry export; print floor and rca figures; return rca's last
    (CPU s, wall s, peak MB)."""
    if path is None:
        path = Path(tempfile.gettempdir()) / f"rca-bench-busy-{n}.ndjson"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, n)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s")
    size_mb = path.stat().st_size / 1e6
    rca_argv = [sys.executable, "-m", "rca", "analyze", "--service", SERVICE, "--since", "1h",
                "--input", str(path), "--format", "json"]
    print(f"\n{n:,} entries, {size_mb:.0f} MB ({path})")
    print(f"{'':26} {'CPU s':>8} {'wall s':>8} {'peak MB':>8}")
    mine = (0.0, 0.0, 0.0)
    with tempfile.TemporaryDirectory(prefix="rca-floor-") as statements:
        floor_argv = _floor_argv(path, Path(statements))
        for _ in range(repeat):
            mine = _round(floor_argv, rca_argv, before)
    return mine


def _floor_argv(path: Path, statements: Path) -> list[str]:
    """The floor's command: its two statements written into ``statements`` (`_FLOOR` reads them)."""
    read_sql, match_sql = _floor_sql(path)
    (statements / "read.sql").write_text(read_sql, encoding="utf-8")
    (statements / "match.sql").write_text(match_sql, encoding="utf-8")
    return [sys.executable, "-c", _FLOOR, str(path), str(statements / "read.sql"),
            str(statements / "match.sql")]


def _round(floor_argv: list[str], rca_argv: list[str], before: Path | None) -> tuple[float, float, float]:
    """One run of the floor, then of rca (and of the ``before`` checkout's), each printed; rca's figures."""
    floor = run_process(floor_argv)
    print(f"{'floor (DuckDB + RE2)':26} {floor[0]:8.2f} {floor[1]:8.2f} {floor[2]:8.0f}")
    mine = (0.0, 0.0, 0.0)
    runs = [("rca analyze (CLI)", ROOT)] + ([(f"before: {before.name}", before)] if before else [])
    for label, root in runs:
        ours = run_process(rca_argv, cwd=root)
        mine = ours if root == ROOT else mine
        print(f"{label[:26]:26} {ours[0]:8.2f} {ours[1]:8.2f} {ours[2]:8.0f}"
              f"   ratio to floor {ours[0] / floor[0]:.1f}x CPU, {ours[1] / floor[1]:.1f}x wall")
    return mine


def growth(results: dict[int, tuple[float, float, float]]) -> None:
    """The growth curve: rca's CPU per 100k entries and peak at each size (linear time: a flat line)."""
    if len(results) < 2:
        return
    print(f"\ngrowth curve (rca)\n{'entries':>12} {'CPU s':>8} {'CPU s/100k':>11} {'peak MB':>8}")
    for n, (cpu, _, peak) in sorted(results.items()):
        print(f"{n:12,} {cpu:8.2f} {cpu / n * 100_000:11.2f} {peak:8.0f}")


def main() -> None:
    """Parse arguments and run the benchmark for each size."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, nargs="+", default=[300_000])
    parser.add_argument("--file", type=Path, help="reuse this NDJSON file instead of generating one")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (the machine may be shared)")
    parser.add_argument("--before", type=Path, help="also run the rca of this checkout (e.g. a git worktree)")
    args = parser.parse_args()
    compiled([ROOT] + ([args.before.resolve()] if args.before else []))
    results = {n: bench(n, args.file, args.repeat, args.before) for n in args.entries}
    growth(results)


if __name__ == "__main__":
    main()
