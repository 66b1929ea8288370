"""Cost guards for BigQuery scans: sizes, prices, and the run / confirm / refuse decision. Pure."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from rca.errors import SourceError, UsageError

KIB = 1024
MIB = KIB**2
GIB = KIB**3
TIB = KIB**4

DEFAULT_MAX_BYTES = 20 * GIB
"""Refuse scans estimated above this (about $0.12 at on-demand prices): a conservative default."""
DEFAULT_CONFIRM_ABOVE = 2 * GIB
"""Ask (or require --yes) above this estimate."""
PRICE_PER_TIB = 6.25
"""On-demand GoogleSQL price in USD per TiB processed (https://cloud.google.com/bigquery/pricing)."""
MIN_BILLED = 10 * MIB
"""BigQuery bills at least 10 MiB per query; a cap below that would fail a small job."""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(i?B?)?\s*$", re.IGNORECASE)
_UNITS = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4, "P": 5}


class CostRefused(SourceError):
    """A scan was not run because of its estimated cost (exit 3, like other cloud refusals)."""


def parse_size(text: str, flag: str = "--max-bytes-billed") -> int:
    """``20GiB``, ``500MB``, ``1.5T``, ``1048576`` -> bytes (binary units: 1 GB = 1 GiB)."""
    m = _SIZE.match(str(text))
    if not m:
        raise UsageError(f"{flag} {text!r}: expected a size such as 500MiB, 20GiB or 1TiB")
    return int(float(m.group(1)) * KIB ** _UNITS[m.group(2).upper()])


def human(n: int) -> str:
    """Bytes for people: ``1.5 GiB``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.2f} {unit}"
        value /= 1024
    return f"{n} B"


def price(n: int, per_tib: float = PRICE_PER_TIB) -> float:
    """On-demand price in USD of processing ``n`` bytes (BigQuery bills at least 10 MiB)."""
    return max(n, MIN_BILLED) / TIB * per_tib if n else 0.0


@dataclass(frozen=True)
class Estimate:
    """A dry run's answer, in words."""

    bytes: int
    per_tib: float = PRICE_PER_TIB

    def describe(self) -> str:
        """``12.40 GiB, about $0.08 at $6.25/TiB on demand``."""
        return (
            f"{human(self.bytes)} ({self.bytes} bytes), about ${price(self.bytes, self.per_tib):.2f} "
            f"at ${self.per_tib:g}/TiB on demand"
        )


NARROW_HINT = (
    "narrow the scan: a shorter --since (sink tables bill whole day partitions, so a window inside "
    "one UTC day costs the same as the whole day), name a single log table (--bigquery "
    "PROJECT.DATASET.run_googleapis_com_stderr), or keep a per-minute rollup for fleets this large "
    "(docs/scale-out.md); or raise --max-bytes-billed if the price is acceptable"
)


def decide(estimate: int, max_bytes: int, confirm_above: int | None, yes: bool) -> str:
    """``run``, ``confirm`` (ask the user) or ``refuse``, in that order of leniency."""
    if estimate > max_bytes:
        return "refuse"
    if confirm_above is not None and estimate > confirm_above and not yes:
        return "confirm"
    return "run"


def refusal(estimate: Estimate, max_bytes: int, target: str) -> CostRefused:
    """The error for a scan above the cap: bytes, price, and how to narrow."""
    return CostRefused(
        f"BigQuery scan of {target} refused: the dry run estimates {estimate.describe()}, above "
        f"--max-bytes-billed {human(max_bytes)}; {NARROW_HINT}"
    )


def job_cap(estimate: int, max_bytes: int) -> int:
    """``maximum_bytes_billed`` for the job: the estimate plus 10% (never above the user's cap).

    BigQuery fails a job that would bill more, without charge, so a wrong estimate costs nothing.
    """
    return min(max_bytes, max(math.ceil(estimate * 1.1), MIN_BILLED))
