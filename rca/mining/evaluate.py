"""Grouping accuracy of a template miner against labelled logs (Loghub-2k format).

Shared by ``benchmarks/templates.py`` and the tests so both measure the same thing.
The Loghub data is research-only: it is read from where it lies, never copied here.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

LOGHUB_SYSTEMS: tuple[str, ...] = (
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "HPC",
    "Hadoop",
    "HealthApp",
    "Linux",
    "Mac",
    "OpenSSH",
    "OpenStack",
    "Proxifier",
    "Spark",
    "Thunderbird",
    "Windows",
    "Zookeeper",
)


@dataclass(frozen=True)
class LabelledLog:
    """One system's messages and their ground-truth template labels, in file order."""

    system: str
    contents: tuple[str, ...]
    labels: tuple[str, ...]


def load_loghub(data_dir: Path, system: str) -> LabelledLog:
    """Read ``<data_dir>/<system>/<system>_2k.log_structured_corrected.csv`` (Content, EventTemplate)."""
    path = data_dir / system / f"{system}_2k.log_structured_corrected.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return LabelledLog(
        system=system,
        contents=tuple(row["Content"] for row in rows),
        labels=tuple(row["EventTemplate"] for row in rows),
    )


def _groups(assignment: Sequence[Hashable]) -> dict[Hashable, frozenset[int]]:
    """Map each group label to the set of message positions it holds."""
    members: dict[Hashable, set[int]] = defaultdict(set)
    for index, label in enumerate(assignment):
        members[label].add(index)
    return {label: frozenset(indices) for label, indices in members.items()}


def grouping_accuracy(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> float:
    """Share of messages whose predicted group holds exactly the messages of their true group.

    This is the Loghub GA: a message counts as correct only when the set of messages in its
    predicted cluster is identical to the set in its ground-truth cluster.
    """
    if len(predicted) != len(truth):
        raise ValueError(f"predicted has {len(predicted)} labels, truth has {len(truth)}")
    if not truth:
        return 1.0
    true_groups = _groups(truth)
    correct = sum(
        len(members)
        for members in _groups(predicted).values()
        if true_groups[truth[next(iter(members))]] == members
    )
    return correct / len(truth)
