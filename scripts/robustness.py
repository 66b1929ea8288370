"""Run rca against everything hostile we have and print the figures (no timed assertions).

    /work/venv/bin/python scripts/robustness.py [--lines 1000000] [--skip-big]

* every file of tests/data/nasty, plus a generated 10 MB line, through `python -m rca analyze` in a
  subprocess: a crash is a traceback, an "internal error", or an exit code outside {0, 1, 2};
* the fault storms of tests/test_faults.py against the fake Cloud Logging server: entries served
  minus entries fetched (lost) must be 0;
* the secret corpus of tests/test_hostile.py rendered in every format: secrets leaked must be 0;
* a streamed NDJSON input of --lines short lines through stdin, with the child's peak RSS
  (resource.getrusage(RUSAGE_CHILDREN) after it exits, before any other child runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

DOCUMENTED = {0, 1, 2}


def cli(args: list[str], stdin: Any = None) -> subprocess.CompletedProcess[bytes]:
    """`python -m rca ...` from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "rca", *args],
        cwd=REPO,
        env=env,
        stdin=stdin,
        capture_output=True,
        timeout=1800,
        check=False,
    )


def crashed(proc: subprocess.CompletedProcess[bytes]) -> bool:
    """A traceback, an internal error, or an undocumented exit code."""
    err = proc.stderr.decode("utf-8", "replace")
    return "Traceback" in err or "internal error" in err or proc.returncode not in DOCUMENTED


def corpus(tmp: Path) -> tuple[int, list[str], dict[int, int]]:
    """Run every nasty file (and a 10 MB line); return inputs tried, crashes, exit-code histogram."""
    files = sorted(p for p in (REPO / "tests" / "data" / "nasty").iterdir() if p.is_file())
    long_line = tmp / "ten_mb_line.ndjson"
    entry = {
        "timestamp": "2025-09-15T14:00:00Z",
        "logName": "projects/p/logs/x",
        "textPayload": "x" * 10_485_760,
    }
    long_line.write_text(json.dumps(entry) + "\n")
    files.append(long_line)
    crashes: list[str] = []
    codes: dict[int, int] = {}
    for path in files:
        proc = cli(["analyze", "--input", str(path), "--since", "1h", "--format", "json"])
        codes[proc.returncode] = codes.get(proc.returncode, 0) + 1
        if crashed(proc):
            crashes.append(f"{path.name}: exit {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return len(files), crashes, codes


def faults() -> tuple[int, int, int]:
    """Fault storms against the fake: (storms run, entries served in all, entries lost)."""
    import test_faults as tf
    from fakes.logging_server import FakeLoggingServer

    from rca.sources.cloud import fetch as cloud

    cloud.PAGE_SIZE = 50
    served = lost = 0
    for name in sorted(tf.STORMS):
        with FakeLoggingServer([tf.entry(i) for i in range(500)]) as fake:
            for call, fault in tf.STORMS[name].items():
                fake.fail(call, fault)
            result, _ = tf.fetch(fake)
            want = {e["insertId"] for e in fake.entries}
            got = [e["insertId"] for e in result.entries]
            served += len(want)
            lost += len(want - set(got)) + (len(got) - len(set(got)))
    return len(tf.STORMS), served, lost


def secrets(tmp: Path) -> tuple[int, int, list[str]]:
    """Render the secret export in every format: (secrets, outputs checked, leaks)."""
    import test_hostile as th

    data = th.export(tmp / "secrets.json")
    leaks: list[str] = []
    for fmt in th.FORMATS:
        proc = cli(["analyze", "--input", str(data), "--since", "1h", "--format", fmt])
        out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
        leaks += [f"{fmt}: {kind}" for kind, (_, needle) in th.SECRETS.items() if needle in out]
    return len(th.SECRETS), len(th.FORMATS), leaks


def streamed(tmp: Path, lines: int) -> dict[str, Any]:
    """Pipe ``lines`` NDJSON lines through stdin; report exit, size, wall time and the child's peak RSS."""
    path = tmp / "stream.ndjson"
    line = (
        '{{"timestamp":"2025-09-15T{h:02d}:{m:02d}:{s:02d}.{i:06d}Z","insertId":"{i}",'
        '"logName":"projects/p/logs/run.googleapis.com%2Fstderr","severity":"{sev}","textPayload":"{t}"}}\n'
    )
    with path.open("w") as out:
        for i in range(lines):
            error = i % 200 == 0
            out.write(
                line.format(
                    h=12 + i // 3600 % 3,
                    m=i // 60 % 60,
                    s=i % 60,
                    i=i % 1_000_000,
                    sev="ERROR" if error else "INFO",
                    t="psycopg2.OperationalError: connection refused" if error else "GET /x 200",
                )
            )
    started = time.monotonic()
    with path.open("rb") as stdin:
        proc = cli(["analyze", "--input", "-", "--since", "3h", "--format", "json"], stdin=stdin)
    wall = time.monotonic() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    read = json.loads(proc.stdout)["stats"]["read"] if proc.returncode == 0 else None
    return {
        "lines": lines,
        "bytes": path.stat().st_size,
        "exit": proc.returncode,
        "read": read,
        "crashed": crashed(proc),
        "peak_rss_mib": round(peak_kib / 1024),
        "wall_s": round(wall, 1),
    }


def main() -> int:
    """Run everything and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of the streamed input")
    parser.add_argument("--skip-big", action="store_true", help="skip the streamed input")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rca-robustness-") as name:
        tmp = Path(name)
        # First, so that RUSAGE_CHILDREN's peak is this child's own and no other's.
        big = None if options.skip_big else streamed(tmp, options.lines)
        tried, crashes, codes = corpus(tmp)
        storms, served, lost = faults()
        kinds, formats, leaks = secrets(tmp)
    print(f"inputs tried:                  {tried} (exit codes {dict(sorted(codes.items()))})")
    print(f"crashes:                       {len(crashes)}")
    for crash in crashes:
        print(f"  {crash}")
    print(f"fault storms:                  {storms} ({served} entries served)")
    print(f"entries lost under faults:     {lost}")
    print(f"secret kinds x formats:        {kinds} x {formats}")
    print(f"secrets leaked:                {len(leaks)}")
    for leak in leaks:
        print(f"  {leak}")
    if big is not None:
        print(
            f"streamed input:                {big['lines']} lines, {big['bytes'] / 1e6:.0f} MB on stdin, "
            f"exit {big['exit']}, {big['read']} entries read, crashed {big['crashed']}"
        )
        print(f"peak RSS of the analyze child: {big['peak_rss_mib']} MiB")
        print(f"wall time (not asserted):      {big['wall_s']} s")
    bad = crashes or lost or leaks or (big is not None and big["crashed"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
