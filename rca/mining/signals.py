"""Unexplained signals: error-like events no specific pattern explains, new or bursting now.

This is how rca stays useful on failures its library does not know: the messages are mined
into templates, each template's rate in the incident is compared with the baseline, and the
templates that began (or jumped) with the incident are ranked by Poisson surprise.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rca.engine.match import TEXT_LOG_PREFIX
from rca.engine.store import ACCESS_LOG
from rca.library.knowledge import load_knowledge
from rca.mining.novelty import Novelty, novelty
from rca.mining.templates import TemplateMiner
from rca.timeutil import EPOCH, rfc3339

if TYPE_CHECKING:
    from rca.model import Pattern, Signal, Window

TOP = 5
MAX_TEXT = 300
# Access-log lines (rca/engine/store.py's ACCESS_LOG, left text beside a request log) restate a
# request's outcome, which the request logs already count: `candidate_rows` leaves them out.


# Candidates are fetched a batch at a time, the explained ones dropped as they come, and mined as
# they arrive: a busy hour brings hundreds of thousands of error-like events, and holding them all
# as rows first cost more than the mining itself.
CANDIDATE_BATCH = 10_000


def candidate_rows(con: Any, explained: Collection[int], untimed: bool = False) -> Iterator[tuple[Any, ...]]:
    """Error-like events (window and baseline) that no specific pattern matched, by event id:
    logged at WARNING or above, tracebacks, and lines worded as failures, unless a text log's line
    states a level below WARNING itself (a Pub/Sub client's `INFO:...:Observed recoverable stream
    error 503` is the library saying it coped; a platform's INFO on an unstructured line is not the
    line's own word, and still counts):
    ``(event_id, ts_us, in_window, message, exc_type, exc_message, trace, severity_num)``; with
    ``untimed`` (an input with no time at all, such as a paste) the events without a time too,
    their ``ts_us`` None.

    Only what `signal_text` reads crosses into Python: a traceback's outermost exception type
    and message rather than its whole text and lists, the time as epoch microseconds rather than a
    datetime. Streams from ``con``: consume it before running another query on the connection.
    A line is worded as a failure once its counters of none are removed (`Knowledge.worded_as_failure`).
    """
    knowledge = load_knowledge()
    result = con.execute(
        """
        SELECT event_id, epoch_us(ts), in_window,
               CASE WHEN len(exc_types) = 0 THEN message END,
               CASE WHEN len(exc_types) > 0 THEN exc_types[-1] END,
               CASE WHEN len(exc_types) = 0 THEN NULL WHEN len(exc_messages) = 0 THEN ''
                    ELSE exc_messages[-1] END,
               trace, severity_num
        FROM events
        WHERE (ts IS NOT NULL OR ?) AND http_status IS NULL
          AND (severity_num >= 400 OR is_traceback
               OR (CASE WHEN regexp_matches(message, ?)
                        THEN regexp_matches(regexp_replace(message, ?, ' ', 'g'), ?) ELSE false END
                   AND NOT (severity_num BETWEEN 1 AND 399 AND starts_with(log_id, ?))))
          AND NOT regexp_matches(message, ?)
        ORDER BY event_id
        """,
        [untimed, knowledge.error_shaped, knowledge.zero_count, knowledge.error_shaped, TEXT_LOG_PREFIX,
         ACCESS_LOG],
    )
    skip = explained if isinstance(explained, AbstractSet) else set(explained)
    while batch := result.fetchmany(CANDIDATE_BATCH):
        yield from (r for r in batch if r[0] not in skip)


def signal_text(message: str, exc_types: Sequence[str] | None, exc_messages: Sequence[str] | None) -> str:
    """What to mine: a traceback's outermost exception, else the first line of the message (an
    `events` row's ``message``, ``exc_types`` and ``exc_messages``, as the notebooks read them)."""
    if exc_types:
        return _exception_text(exc_types[-1], (exc_messages or [""])[-1])
    return _first_line(message)


def _exception_text(exc_type: str, exc_message: str | None) -> str:
    return f"{exc_type}: {exc_message}"[:MAX_TEXT]


def _first_line(message: str) -> str:
    return message.strip().split("\n", 1)[0][:MAX_TEXT]


@dataclass(frozen=True)
class Mined:
    """What mining the unexplained error-like events found: the signals (new or bursting), and
    every template with how it ran in the baseline and the window and the events that are its, so
    that the reasoning can tell which of them ran as before (noise, like a steady finding)."""

    signals: list[Signal]
    templates: tuple[tuple[Novelty, tuple[int, ...]], ...]


def unexplained_signals(
    con: Any, window: Window, explained: Collection[int], patterns: Sequence[Pattern] = (),
    top: int = TOP,
) -> list[Signal]:
    """The top templates among unexplained error-like events, most surprising first (`mine`'s)."""
    return mine(con, window, explained, patterns, top).signals


def mine(
    con: Any, window: Window, explained: Collection[int], patterns: Sequence[Pattern] = (),
    top: int = TOP,
) -> Mined:
    """The unexplained error-like events mined into templates: the top signals, most surprising
    first, and every template with its events.

    Each signal carries the nearest library pattern (TF-IDF cosine over masked words), so a reader
    can tell "a variant of something known" from "something new".
    """
    from rca.model import Signal

    miner = TemplateMiner()
    observations: list[tuple[int, float, bool]] = []
    events: dict[int, list[int]] = {}  # template id -> its event ids
    members: dict[int, list[str]] = {}
    first: dict[int, int] = {}  # template id -> its earliest in-window time, epoch microseconds
    failed = _failed_traces(con)
    tied: dict[int, int] = {}  # template id -> its in-window events in the trace of a failed request
    worst: dict[int, int] = {}  # template id -> its highest severity
    for row in candidate_rows(con, explained, window.untimed):
        event_id, ts_us, in_window, message, exc_type, exc_message, trace, severity_num = row
        # `signal_text` of the row, from the outermost exception `candidate_rows` fetched
        text = _first_line(str(message)) if exc_type is None else _exception_text(exc_type, exc_message)
        tid = miner.add(text)
        observations.append((tid, (ts_us or 0) / 1_000_000, in_window))
        events.setdefault(tid, []).append(int(event_id))
        members.setdefault(tid, []).append(text)
        worst[tid] = max(worst.get(tid, 0), int(severity_num or 0))
        if in_window and trace is not None and trace in failed:
            tied[tid] = tied.get(tid, 0) + 1
        if in_window and ts_us is not None and (tid not in first or ts_us < first[tid]):
            first[tid] = ts_us
    if not observations:
        return Mined([], ())
    texts = {t.id: t.text for t in miner.templates()}
    scored = novelty(observations, *_spans(window))
    ranked = [item for item in scored if item.incident_count and (item.new or item.log_ratio > 1.0)]
    chosen = _telling_first(ranked, tied, worst)[:top]
    nearest = _nearest_patterns([texts[int(i.key)] for i in chosen], patterns)  # type: ignore[call-overload]
    signals = [
        Signal(texts[tid], item.incident_count, item.baseline_count, rfc3339(_from_epoch_us(first.get(tid))),
               round(float(item.surprise), 2), members[tid][0], bool(item.new), *nearest[n],
               tuple(members[tid]), worst.get(tid, 0))
        for n, item in enumerate(chosen)
        for tid in [int(item.key)]  # type: ignore[call-overload]
    ]
    return Mined(signals, tuple((item, tuple(events[int(item.key)])) for item in scored))  # type: ignore[call-overload]


def _failed_traces(con: Any) -> set[str]:
    """The traces of the window's failed requests (5xx, or refused by the platform)."""
    return {str(t) for (t,) in con.execute(
        "SELECT DISTINCT trace FROM entries "
        "WHERE in_window AND request_failed(http_status, message) AND trace IS NOT NULL"
    ).fetchall()}


def _telling_first(ranked: Sequence[Novelty], tied: dict[int, int], worst: dict[int, int]) -> list[Novelty]:
    """The surprising templates, those that say why requests failed first: logged in failed
    requests' own traces, then at ERROR or above, then in the most failed requests; otherwise in
    order of surprise. A warning that runs beside an outage (a watchdog's lag) or a wrapper
    restating the failed status (a request logger's 'request errored') says less than the
    application's error in the same requests."""
    def key(item: Novelty) -> tuple[bool, bool, int]:
        tid = int(item.key)  # type: ignore[call-overload]
        return (not tied.get(tid), worst.get(tid, 0) < 500, -tied.get(tid, 0))

    return sorted(ranked, key=key)  # stable: surprise order within each group


def _nearest_patterns(
    templates: Sequence[str], patterns: Sequence[Pattern]
) -> list[tuple[str | None, float, int]]:
    """Group the templates (TF-IDF + agglomerative clustering); per template: the group's nearest
    library pattern (by title and examples), its similarity, and the group number."""
    if not templates:
        return []
    from rca.mining.cluster import group_messages

    descriptors = [(p.id, " ".join((p.title, *p.examples_match[:2]))) for p in patterns]
    out: list[tuple[str | None, float, int]] = [(None, 0.0, 0)] * len(templates)
    for group in group_messages(list(templates), descriptors):
        for position in group.members:
            out[position] = (group.nearest_pattern, round(group.similarity, 2), group.id)
    return out


def _from_epoch_us(us: int | None) -> datetime | None:
    """The UTC-naive time ``us`` microseconds after the epoch, as `entries` stores times (exactly:
    no float on the way)."""
    return None if us is None else EPOCH + timedelta(microseconds=us)


def _spans(window: Window) -> tuple[float | None, float | None]:
    """Baseline and incident spans in seconds, when the window is known."""
    if window.start is None or window.end is None:
        return None, None
    covered = window.periods()
    return max(1.0, covered.baseline_s), covered.window_s
