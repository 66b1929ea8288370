"""Parsing of --since/--until values and RFC 3339 formatting, always in UTC.

Every time rca prints or stores is UTC with a ``Z``: the same input must give the same
report byte for byte, whatever the machine's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rca.errors import UsageError

# The epoch, UTC-naive, as the `entries` table stores times: ``EPOCH + timedelta(...)`` and
# ``(ts - EPOCH).total_seconds()`` convert without making each time zone-aware.
EPOCH = datetime(1970, 1, 1)

_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<unit>s|m|h|d|w)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta | None:
    """Return the duration ``30m``/``1h``/``2d`` denotes, or None when ``text`` is no duration."""
    m = _DURATION.match(text.strip())
    if not m:
        return None
    return timedelta(seconds=float(m["n"]) * _UNITS[m["unit"]])


def parse_time(text: str, flag: str = "--until") -> datetime:
    """Parse an RFC 3339 time (a naive one is taken as UTC) into an aware UTC datetime."""
    raw = text.strip()
    candidate = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        value = datetime.fromisoformat(candidate.replace(" ", "T", 1))
    except ValueError as exc:
        raise UsageError(
            f"{flag}: {text!r} is not a time (expected RFC 3339 such as 2025-09-15T15:15:38Z)"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def resolve_window(since: str, until: str | None, anchor: datetime) -> tuple[datetime, datetime]:
    """Turn --since/--until into (start, end); durations count back from ``until`` or ``anchor``."""
    end = parse_time(until) if until else anchor
    duration = parse_duration(since)
    start = end - duration if duration is not None else parse_time(since, "--since")
    if start >= end:
        raise UsageError(f"--since {since!r} is not before the end of the window ({rfc3339(end)})")
    return start, end


def rfc3339(value: datetime | None) -> str | None:
    """Format an aware or UTC-naive datetime as RFC 3339 UTC with microseconds trimmed when zero."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"



def naive_utc(value: datetime) -> datetime:
    """UTC without tzinfo, as the entries table stores times."""
    return value if value.tzinfo is None else value.astimezone(timezone.utc).replace(tzinfo=None)


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time as an aware UTC datetime: times are compared as times, never as strings
    (``'…00.500000Z' <= '…00Z'`` is True as text)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


MIN_BASELINE_SECONDS = 60.0


@dataclass(frozen=True)
class Periods:
    """Seconds of log actually covered by the baseline and by the incident window."""

    baseline_s: float
    window_s: float

    @property
    def has_baseline(self) -> bool:
        """Whether the input reaches far enough back to judge what was there before."""
        return self.baseline_s >= MIN_BASELINE_SECONDS


def periods(
    baseline_start: datetime | None, start: datetime | None, end: datetime | None, earliest: datetime | None
) -> Periods:
    """Covered durations: the baseline begins no earlier than the first entry of the input."""
    if start is None or end is None:
        return Periods(0.0, 0.0)
    lo = (
        max(x for x in (baseline_start, earliest) if x is not None) if (baseline_start or earliest) else start
    )
    return Periods(max(0.0, (start - lo).total_seconds()), max(1.0, (end - start).total_seconds()))
