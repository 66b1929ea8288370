"""Unexplained signals: error-like events no specific pattern explains, new or bursting now.

This is how rca stays useful on failures its library does not know: the messages are mined
into templates, each template's rate in the incident is compared with the baseline, and the
templates that began (or jumped) with the incident are ranked by Poisson surprise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rca.mining.novelty import novelty
from rca.mining.templates import TemplateMiner
from rca.timeutil import rfc3339

if TYPE_CHECKING:
    from rca.analysis import Signal

TOP = 5
MAX_TEXT = 300
# Error-shaped text, for entries that carry no severity (plain stderr lines are DEFAULT).
ERRORISH = (
    r"(?i)\b(?:error|exception|failed|failure|fatal|panic|critical|traceback|refused|denied|"
    r"timed? ?out|unavailable|mismatch|invalid|corrupt)\b"
)


def candidate_rows(con: Any, explained: Collection[int]) -> list[tuple[Any, ...]]:
    """Error-like events (window and baseline) that no specific pattern matched."""
    rows = con.execute(
        f"""
        SELECT event_id, ts, in_window, message, exc_types, exc_messages, is_traceback
        FROM events
        WHERE ts IS NOT NULL AND http_status IS NULL
          AND (severity_num >= 400 OR is_traceback OR regexp_matches(message, '{ERRORISH}'))
        ORDER BY event_id
        """
    ).fetchall()
    skip = set(explained)
    return [r for r in rows if int(r[0]) not in skip]


def signal_text(message: str, exc_types: list[str] | None, exc_messages: list[str] | None) -> str:
    """What to mine: a traceback's outermost exception, else the first line of the message."""
    if exc_types:
        detail = (exc_messages or [""])[-1]
        return f"{exc_types[-1]}: {detail}"[:MAX_TEXT]
    return message.strip().split("\n", 1)[0][:MAX_TEXT]


def unexplained_signals(con: Any, meta: Mapping[str, Any], explained: Collection[int]) -> list[Signal]:
    """The top templates among unexplained error-like events, most surprising first."""
    from rca.analysis import Signal

    rows = candidate_rows(con, explained)
    if not rows:
        return []
    miner = TemplateMiner()
    observations: list[tuple[int, float, bool]] = []
    examples: dict[int, str] = {}
    first: dict[int, datetime] = {}
    for _, ts, in_window, message, exc_types, exc_messages, _ in rows:
        text = signal_text(str(message), exc_types, exc_messages)
        tid = miner.add(text)
        observations.append((tid, _epoch(ts), bool(in_window)))
        examples.setdefault(tid, text)
        if in_window and (tid not in first or ts < first[tid]):
            first[tid] = ts
    texts = {t.id: t.text for t in miner.templates()}
    spans = _spans(meta)
    ranked = novelty(observations, *spans)
    out = []
    for item in ranked:
        tid = int(item.key)  # type: ignore[call-overload]
        if item.incident_count == 0 or not (item.new or item.log_ratio > 1.0):
            continue
        out.append(Signal(texts[tid], item.incident_count, item.baseline_count, rfc3339(first.get(tid)),
                          round(float(item.surprise), 2), examples[tid], bool(item.new)))
        if len(out) == TOP:
            break
    return out


def _epoch(ts: datetime) -> float:
    from datetime import timezone

    return (ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)).timestamp()


def _spans(meta: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Baseline and incident spans in seconds, when the window is known."""
    start, end, base = meta.get("start"), meta.get("end"), meta.get("baseline_start")
    earliest = meta.get("earliest")
    if start is None or end is None:
        return None, None
    lo = max(x for x in (base, earliest) if x is not None) if (base or earliest) else start
    return max(1.0, (start - lo).total_seconds()), max(1.0, (end - start).total_seconds())
