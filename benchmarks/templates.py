"""Grouping accuracy and speed of rca's template miner against drain3 on the Loghub-2k systems.

Usage: ``python benchmarks/templates.py [--data DIR]`` (default ``../shared/data/loghub2k``
relative to the repository root). Prints a table; asserts nothing. The Loghub data is
research-only and is read in place, never copied into this repository.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from drain3 import TemplateMiner as Drain3Miner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from rca.mining.evaluate import LOGHUB_SYSTEMS, grouping_accuracy, load_loghub
from rca.mining.mask import clear_cache
from rca.mining.templates import TemplateMiner

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "loghub2k"

# The masking of drain3's example configuration (examples/drain3.ini), drain3's "usual masking".
DRAIN3_MASKING: tuple[tuple[str, str], ...] = (
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
    (r"(?<=executed cmd )(\".+?\")", "CMD"),
)


def ours(messages: Sequence[str]) -> list[int]:
    """Template id per message from rca's miner, default configuration."""
    miner = TemplateMiner()
    return [miner.add(message) for message in messages]


def drain3(messages: Sequence[str]) -> list[int]:
    """Cluster id per message from drain3 with its default config plus the example masking."""
    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(rx, name) for rx, name in DRAIN3_MASKING]
    config.profiling_enabled = False
    miner = Drain3Miner(config=config)
    return [int(miner.add_log_message(message)["cluster_id"]) for message in messages]


def _run(miner: Callable[[Sequence[str]], list[int]], messages: Sequence[str]) -> tuple[list[int], float]:
    """Labels and messages per second of one miner over ``messages`` (best of 3 timings)."""
    best = float("inf")
    labels: list[int] = []
    for _ in range(3):
        clear_cache()  # every run starts cold, as a fresh process would
        start = time.perf_counter()
        labels = miner(messages)
        best = min(best, time.perf_counter() - start)
    return labels, len(messages) / best


def main(argv: Sequence[str] | None = None) -> int:
    """Print GA and throughput of both miners per system, then the means."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Loghub-2k directory")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no Loghub-2k data at {args.data}; pass --data DIR", file=sys.stderr)
        return 2
    rows = []
    print(f"| {'system':<12}| GA ours | GA drain3 | msgs/s ours | msgs/s drain3 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for system in LOGHUB_SYSTEMS:
        log = load_loghub(args.data, system)
        mine, mine_speed = _run(ours, log.contents)
        theirs, their_speed = _run(drain3, log.contents)
        row = (
            grouping_accuracy(mine, log.labels),
            grouping_accuracy(theirs, log.labels),
            mine_speed,
            their_speed,
        )
        rows.append(row)
        print(f"| {system:<12}| {row[0]:.3f} | {row[1]:.3f} | {row[2]:,.0f} | {row[3]:,.0f} |")
    means = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
    print(
        f"| {'**mean**':<12}| **{means[0]:.3f}** | **{means[1]:.3f}** | {means[2]:,.0f} | {means[3]:,.0f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
