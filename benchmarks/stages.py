"""Benchmark: where one `rca analyze` spends its CPU, stage by stage, in one process.

Wraps the pipeline's stage functions with a timer (``time.process_time``: CPU of every thread,
DuckDB's included) and runs the same analysis the CLI runs, then prints each stage's CPU and
wall seconds and the peak RSS. Stages nest (``run`` contains ``match_events``); the imports are
timed first. Asserts nothing.

    python benchmarks/stages.py /tmp/rca-bench-busy-300000.ndjson --service bench --since 1h
"""

from __future__ import annotations

import argparse
import importlib
import resource
import sys
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

TIMES: dict[str, list[float]] = {}


def _timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            spent = TIMES.setdefault(name, [0.0, 0.0, 0])
            spent[0] += time.process_time() - cpu
            spent[1] += time.perf_counter() - wall
            spent[2] += 1

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
    args = parser.parse_args()
    cpu, wall = time.process_time(), time.perf_counter()
    from rca import api
    from rca.report.render import render

    TIMES["imports"] = [time.process_time() - cpu, time.perf_counter() - wall, 1]
    _wrap()
    outcome = api.analyze([args.file], since=args.since, service=args.service)
    render(outcome.result, "json")
    total = [time.process_time() - cpu, time.perf_counter() - wall]
    print(f"{'stage':34} {'CPU s':>8} {'wall s':>8} {'calls':>6}")
    for name, (c, w, n) in TIMES.items():
        print(f"{name:34} {c:8.2f} {w:8.2f} {n:6d}")
    print(f"{'total (this process)':34} {total[0]:8.2f} {total[1]:8.2f}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
