"""Malformed input that was skipped: counted, and the first few reported with line numbers."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

SHOWN = 5


class ProblemKind(str, enum.Enum):
    """What went wrong with a piece of input; the report counts problems by kind
    (``stats.skipped_by_kind``), and a cut input (``TRUNCATED``) is a gap in the window."""

    MALFORMED = "malformed"
    TRUNCATED = "truncated"
    INVALID_UTF8 = "invalid-utf8"
    NUL_BYTES = "nul-bytes"
    COLLAPSED = "collapsed"


@dataclass(frozen=True)
class Problem:
    """One skipped or repaired piece of input."""

    source: str
    line: int | None
    reason: str
    kind: ProblemKind = ProblemKind.MALFORMED

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.reason}"


@dataclass
class Problems:
    """Every problem met while reading, by kind; keeps only the first few of each source."""

    kept: list[Problem] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    per_source: Counter[str] = field(default_factory=Counter)

    def add(
        self, source: str, line: int | None, reason: str, kind: ProblemKind = ProblemKind.MALFORMED
    ) -> None:
        """Record one problem; the first SHOWN per source keep their text."""
        self.counts[kind.value] += 1
        self.per_source[source] += 1
        if self.per_source[source] <= SHOWN:
            self.kept.append(Problem(source, line, reason, kind))

    @property
    def total(self) -> int:
        """How many problems were met in all."""
        return sum(self.counts.values())
