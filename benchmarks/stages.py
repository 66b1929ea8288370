"""Benchmark: where one `rca analyze` spends its CPU, stage by stage, in one process.

Wraps the pipeline's stage functions with a timer (``time.process_time``: CPU of every thread,
DuckDB's included) and runs the same analysis the CLI runs, then prints each stage's CPU and
wall seconds, the process's resident memory when the stage ended and the highest seen while it
ran (sampled every 20 ms from /proc/self/statm, so a brief spike can be missed), and the peak
RSS. Stages nest (``run`` contains ``match_events``); the imports are timed first. Asserts
nothing.

    python benchmarks/stages.py /tmp/rca-bench-busy-300000.ndjson --service bench --since 1h
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

# (module, attribute): the functions timed, as the pipeline calls them (looked up by module name).
STAGES = [
    ("rca.library.loader", "load_library"),
    ("rca.api.loading", "load"),
    ("rca.api.loading", "read_input"),
    ("rca.engine.store", "Store.finalise"),
    ("rca.engine.tracebacks", "build_events"),
    ("rca.reasoning.analysis", "run"),
    ("rca.reasoning.analysis", "match_events"),
    ("rca.engine.match", "_survivors"),
    ("rca.reasoning.analysis", "aggregate"),
    ("rca.reasoning.analysis", "_nodes"),
    ("rca.reasoning.analysis", "collect"),
    ("rca.reasoning.analysis", "_signals"),
    ("rca.reasoning.analysis", "_timeline"),
    ("rca.reasoning.analysis", "_stats"),
    ("rca.reasoning.whys", "conclude"),
    ("rca.reasoning.impact", "decide"),
    ("rca.report.render", "render"),
]

TIMES: dict[str, list[float]] = {}  # name -> CPU s, wall s, calls, RSS MB at the end, highest RSS MB
ACTIVE: list[str] = []  # the stages running now, outermost first
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def _rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE_MB


def _sample(stop: threading.Event) -> None:
    """Raise each running stage's highest RSS to the current one, every 20 ms."""
    while not stop.wait(0.02):
        rss = _rss_mb()
        for name in list(ACTIVE):
            spent = TIMES.get(name)
            if spent is not None:
                spent[4] = max(spent[4], rss)


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        spent = TIMES.setdefault(name, [0.0, 0.0, 0, 0.0, 0.0])
        ACTIVE.append(name)
        try:
            return func(*args, **kwargs)
        finally:
            ACTIVE.remove(name)
            spent[0] += time.process_time() - cpu
            spent[1] += time.perf_counter() - wall
            spent[2] += 1
            spent[3] = _rss_mb()
            spent[4] = max(spent[4], spent[3])

    return wrapper


def _wrap() -> None:
    for module_name, attr in STAGES:
        module = importlib.import_module(module_name)
        owner: Any = module
        *path, last = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        if hasattr(owner, last):
            setattr(owner, last, _timed(f"{module_name.rsplit('.', 1)[-1]}.{attr}", getattr(owner, last)))


def main() -> None:
    """Time one analysis of ``FILE`` stage by stage."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--service")
    parser.add_argument("--since")
    parser.add_argument("--json", type=Path, help="also write the JSON report here (to compare runs)")
    args = parser.parse_args()
    cpu, wall = time.process_time(), time.perf_counter()
    from rca import api
    from rca.report.render import render

    TIMES["imports"] = [time.process_time() - cpu, time.perf_counter() - wall, 1, _rss_mb(), _rss_mb()]
    _wrap()
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(stop,), daemon=True)
    sampler.start()
    outcome = api.analyze([args.file], since=args.since, service=args.service)
    report = render(outcome.result, "json")
    if args.json:
        args.json.write_text(report, encoding="utf-8")
    stop.set()
    sampler.join()
    total = [time.process_time() - cpu, time.perf_counter() - wall]
    print(f"{'stage':34} {'CPU s':>8} {'wall s':>8} {'calls':>6} {'RSS MB':>7} {'high MB':>7}")
    for name, (c, w, n, rss, high) in TIMES.items():
        print(f"{name:34} {c:8.2f} {w:8.2f} {n:6d} {rss:7.0f} {high:7.0f}")
    print(f"{'total (this process)':34} {total[0]:8.2f} {total[1]:8.2f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
