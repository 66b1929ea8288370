"""Re-join tracebacks split one line per entry: the `entries` table in, the `events` view out.

Cloud Run writes one log entry per stderr line and text readers one entry per line, so a
Python traceback arrives as twenty entries. This module puts them back together.

Why the work is split between SQL and Python: a regex and a window in DuckDB pick the few
*candidate* rows (traceback-looking lines and their neighbours, in the same stream, in runs where
a traceback can start); only those become Python objects and go through the grammar scan of
rca/engine/traceback_grammar.py; `events` is then a view in SQL: `entries` joined to a small
mapping table. A million ordinary entries never leave DuckDB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import duckdb

from rca.engine.store import STREAM_DIRECTION
from rca.engine.traceback_grammar import (
    CANDIDATE_RE2,
    START_RE2,
    Group,
    ParsedTraceback,
    Row,
    parse_traceback,
    scan,
)
from rca.severity import SEVERITY_NUM

MAX_GAP_US = 2_000_000  # consecutive lines of one traceback: at most 2 s apart
MAX_TEXT_LINE_GAP = 25  # text sources: blank lines the reader dropped, lines of interleaved streams
CONTEXT_BEFORE, CONTEXT_AFTER = 2, 4  # neighbours of traceback-looking rows that the scan also sees
# Which rows look like a traceback line (CANDIDATE_RE2) and where one can start (START_RE2), both
# run in DuckDB, is the grammar's to say: rca/engine/traceback_grammar.py.

# ---------------------------------------------------------------- the events table


@dataclass(frozen=True)
class EventStats:
    """What re-joining did, for the coverage section of the report."""

    events: int = 0  # rows of `events`
    candidates: int = 0  # rows the Python scan looked at (the rest never left DuckDB)
    rejoined: int = 0  # tracebacks put back together from two or more entries
    absorbed: int = 0  # entries folded into another entry's event
    embedded: int = 0  # single entries (jsonPayload, multi-line text) that hold a whole traceback
    by_runtime: dict[str, int] = field(default_factory=dict)  # traceback events (both kinds) per runtime


@dataclass(frozen=True)
class _Event:
    """One row of the mapping table: a traceback event and its members."""

    member_ids: tuple[int, ...]
    message: str
    parsed: ParsedTraceback
    level: str | None = None  # the severity the record states for all its lines (`Group.level`)


# Stream order is time order; lines with equal times keep file order, read backwards when the
# file runs newest first (gcloud exports do), told by the sign of corr(line_no, ts) per source,
# unless the file's own tracebacks say how its ties run: a header (`Traceback (most recent call
# last):`, `goroutine 1 [running]:`) logged at the same moment as indented frame lines comes
# before them as printed, so frames after it in the file mean ties keep print order even in a
# newest-first file (an export sorted by time alone, blind set 6G06), frames before it the reverse.
# The votes are counted over traceback-looking rows only.
# - The regex runs once, into a narrow `k` (entry_id, strong); no copy of the key strings is made.
#   A request's one-line record (a platform request log, an access-log line read as a request) is
#   never a line of a traceback, and is over half of a busy hour's rows: the regex skips those
#   (0.6 of 2.2 CPU-s at 1M on a slow host). One with more lines (an App Engine request log
#   keeps what the app logged while serving it) may embed one, and still runs it.
# - Each stream with a traceback-looking row gets a number (`sid`, in the order of its key), and
#   the windows partition on that integer: sorting a million rows on the four key strings (a
#   source is a long file path, compared in full on every tie) cost more than the rest together.
# - A row is near a strong one when one lies within CONTEXT_AFTER rows before it or CONTEXT_BEFORE
#   after it: lag/lead ride on the sort the other windows share (a sliding max sorted again).
# - Candidates form islands (runs of adjacent rows, `island` constant along one). The scan never
#   carries a traceback across a gap, so an island without a row where one can start (START_RE2)
#   yields nothing and stays in DuckDB: in a storm most candidates are lone error lines and their
#   neighbours, and fetching them into Python cost more than finding them.
# - The message text joins back for the candidates alone.
_NEAR = " OR ".join(
    ["strong"]
    + [f"lag(strong, {i}, false) OVER p" for i in range(1, CONTEXT_AFTER + 1)]
    + [f"lead(strong, {i}, false) OVER p" for i in range(1, CONTEXT_BEFORE + 1)]
)
_CANDIDATES_SQL = f"""
WITH k AS MATERIALIZED (
  SELECT entry_id,
         CASE WHEN http_status IS NULL OR contains(message, chr(10)) THEN regexp_matches(message, $re)
              ELSE FALSE END AS strong
  FROM entries
), t AS (
  SELECT e.source, e.log_id, e.instance_id, e.ts, e.line_no, regexp_matches(e.message, $head) AS head
  FROM entries e SEMI JOIN (SELECT entry_id FROM k WHERE strong) USING (entry_id)
  WHERE e.ts IS NOT NULL AND (regexp_matches(e.message, $head) OR regexp_matches(e.message, $frame))
), v AS (
  SELECT h.source, sum(sign(f.line_no - h.line_no)) AS votes
  FROM t h JOIN t f ON f.source IS NOT DISTINCT FROM h.source AND f.log_id IS NOT DISTINCT FROM h.log_id
    AND f.instance_id IS NOT DISTINCT FROM h.instance_id AND f.ts = h.ts AND NOT f.head
  WHERE h.head GROUP BY h.source
), d AS (
  SELECT e.source, CASE WHEN any_value(v.votes) > 0 THEN 1 WHEN any_value(v.votes) < 0 THEN -1
                        ELSE {STREAM_DIRECTION} END AS dir
  FROM entries e LEFT JOIN v ON v.source IS NOT DISTINCT FROM e.source GROUP BY e.source
), s AS (
  SELECT DISTINCT source, log_id, instance_id, revision
  FROM entries SEMI JOIN (SELECT entry_id FROM k WHERE strong) USING (entry_id)
), n AS (
  SELECT s.*, d.dir, s.log_id LIKE 'local/%' AS text_source,
         row_number() OVER (ORDER BY source, log_id, instance_id NULLS FIRST, revision NULLS FIRST) AS sid
  FROM s JOIN d USING (source)
), w AS (
  SELECT e.entry_id, n.sid, e.ts, e.line_no * n.dir AS seq, k.strong, n.text_source
  FROM entries e JOIN n ON e.source IS NOT DISTINCT FROM n.source
    AND e.log_id IS NOT DISTINCT FROM n.log_id AND e.instance_id IS NOT DISTINCT FROM n.instance_id
    AND e.revision IS NOT DISTINCT FROM n.revision
  JOIN k ON k.entry_id = e.entry_id
), x AS (
  SELECT w.*,
    row_number() OVER p AS pos,
    epoch_us(ts) - lag(epoch_us(ts)) OVER p AS gap_us,
    seq - lag(seq) OVER p AS line_gap,
    lag(entry_id) OVER p IS NOT NULL AND lag(ts IS NULL) OVER p = (ts IS NULL) AS has_prev,
    {_NEAR} AS near
  FROM w
  WINDOW p AS (PARTITION BY sid ORDER BY ts NULLS LAST, seq, entry_id)
), c AS (
  SELECT entry_id, sid, pos,
         coalesce(has_prev AND CASE
           WHEN ts IS NULL OR text_source THEN line_gap BETWEEN 1 AND {MAX_TEXT_LINE_GAP}
                AND coalesce(gap_us BETWEEN 0 AND {MAX_GAP_US}, TRUE)
           ELSE gap_us BETWEEN 0 AND {MAX_GAP_US} END, FALSE) AS linked,
         CASE WHEN text_source THEN 0 ELSE gap_us END AS gap_us,
         pos - row_number() OVER (PARTITION BY sid ORDER BY pos) AS island
  FROM x WHERE near
), m AS MATERIALIZED (
  SELECT c.entry_id, c.sid, c.pos, c.linked, c.gap_us, c.island,
         coalesce(e.severity_num, 0) AS severity_num, coalesce(e.message, '') AS message
  FROM c JOIN entries e ON e.entry_id = c.entry_id
), kept AS (
  SELECT sid, island FROM m GROUP BY sid, island HAVING bool_or(regexp_matches(message, $start))
)
SELECT entry_id, sid, pos, linked, gap_us, severity_num, message
FROM m SEMI JOIN kept USING (sid, island)
ORDER BY sid, pos
"""
# The columns come in the order and types of `Row` (BIGINT as int, BOOLEAN as bool, NULLs
# replaced), so a fetched tuple becomes a Row without a per-field copy.


_BATCH = 10_000  # candidate rows fetched at a time
# A traceback's first line and its indented frames, which tell how a file orders lines logged at
# the same moment (see the comment over _CANDIDATES_SQL).
_TIE_HEAD_RE2 = r'^(?:Traceback \(most recent call last\):|goroutine \d+ \[|Exception in thread ")'
_TIE_FRAME_RE2 = r'^\s+(?:File "|at )'


@dataclass
class _Counted:
    """How many candidate rows the scan has seen (a stream of them is never held whole)."""

    rows: int = 0


def _candidates(con: duckdb.DuckDBPyConnection, seen: _Counted) -> Iterator[Row]:
    """The rows that may belong to a traceback, ordered by stream, then as printed.

    Fetched in batches: a storm at ten million entries brings over a million candidates, which
    as one list of rows held hundreds of megabytes at the run's peak.
    """
    cursor = con.execute(_CANDIDATES_SQL, {"re": CANDIDATE_RE2, "start": START_RE2, "head": _TIE_HEAD_RE2,
                                           "frame": _TIE_FRAME_RE2})
    while batch := cursor.fetchmany(_BATCH):
        seen.rows += len(batch)
        yield from map(Row._make, batch)


def _events(rows: Iterable[Row]) -> Iterator[_Event]:
    """Re-joined tracebacks and single entries that embed a whole traceback."""
    for _key, stream in groupby(rows, key=lambda row: row.key):
        members = list(stream)
        grouped: set[int] = set()
        for group in scan(members):
            if len(group.rows) < 2 or group.phase == "jul-message":
                continue  # a lone header line is an ordinary event, as is a record with no throwable
            grouped.update(row.entry_id for row in group.rows)
            yield _joined(group)
        for row in members:
            if row.entry_id not in grouped and "\n" in row.text.strip():
                parsed = parse_traceback(row.text)
                if parsed is not None:
                    yield _Event((row.entry_id,), row.text, parsed)


def _joined(group: Group) -> _Event:
    """One event from a scanned group, parsed with the grammar the scan recognised."""
    text = "\n".join(row.text for row in group.rows)
    parsed = parse_traceback(text, group.runtime) or ParsedTraceback(group.runtime)
    return _Event(tuple(row.entry_id for row in group.rows), text, parsed, group.level)


# The mapping table's columns, each sent as one list parameter (a column of tracebacks is small;
# lists convert in DuckDB's C++ without pandas, per-row inserts or a JSON text to parse).
_TB_EVENTS_SQL = """
CREATE OR REPLACE TEMP TABLE tb_events AS
SELECT unnest($event_id::BIGINT[]) AS event_id, unnest($message::VARCHAR[]) AS message,
       unnest($member_ids::BIGINT[][]) AS member_ids, unnest($exc_types::VARCHAR[][]) AS exc_types,
       unnest($exc_messages::VARCHAR[][]) AS exc_messages, unnest($frames::VARCHAR[][]) AS frames,
       unnest($runtime::VARCHAR[]) AS runtime
"""

# `events` is a view: `entries` with each traceback's members folded into its first one. No
# second copy of the wide table is made; readers that need an order ask for it (ORDER BY).
_EVENTS_SQL = """
CREATE OR REPLACE TEMP VIEW events AS
SELECT e.entry_id AS event_id,
       e.* REPLACE (coalesce(g.message, e.message) AS message),
       coalesce(g.member_ids, [e.entry_id]) AS member_ids,
       g.event_id IS NOT NULL AS is_traceback,
       coalesce(g.exc_types, []::VARCHAR[]) AS exc_types,
       coalesce(g.exc_messages, []::VARCHAR[]) AS exc_messages,
       coalesce(g.frames, []::VARCHAR[]) AS frames,
       coalesce(len(g.member_ids), 1)::INTEGER AS n_members,
       g.runtime AS runtime
FROM entries e
LEFT JOIN tb_events g ON g.event_id = e.entry_id
WHERE e.entry_id NOT IN (SELECT entry_id FROM tb_absorbed)
"""


def _columns(events: Sequence[_Event]) -> dict[str, list[Any]]:
    """The parameters of _TB_EVENTS_SQL: one list per column of `tb_events`."""
    return {
        "event_id": [e.member_ids[0] for e in events],
        "message": [e.message for e in events],
        "member_ids": [list(e.member_ids) for e in events],
        "exc_types": [e.parsed.exc_types for e in events],
        "exc_messages": [e.parsed.exc_messages for e in events],
        "frames": [list(e.parsed.frames) for e in events],
        "runtime": [e.parsed.runtime for e in events],
    }


def build_events(con: duckdb.DuckDBPyConnection) -> EventStats:
    """Create the `events` view over `entries`: one row per entry, each traceback's lines as one row."""
    seen = _Counted()
    events = list(_events(_candidates(con, seen)))
    con.execute(_TB_EVENTS_SQL, _columns(events))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tb_absorbed AS SELECT id AS entry_id "
        "FROM (SELECT event_id, unnest(member_ids) AS id FROM tb_events) WHERE id <> event_id"
    )
    _stated_levels(con, events)
    con.execute(_EVENTS_SQL)
    return _stats(con, events, seen.rows)


def _stated_levels(con: duckdb.DuckDBPyConnection, events: Sequence[_Event]) -> None:
    """Give every line of a record that states its level (`_Event.level`: java.util.logging's
    `INFO: Transport failed` on the line after its time) that level: the platform logged each line
    at the stream's (stderr's ERROR), the record's own level is what the software meant."""
    stated = [(e.level, list(e.member_ids)) for e in events if e.level is not None]
    for level in sorted({level for level, _ in stated}):
        ids = [i for lv, members in stated if lv == level for i in members]
        con.execute("UPDATE entries SET severity = $level, severity_num = $num "
                    "WHERE entry_id IN (SELECT unnest($ids::BIGINT[]))",
                    {"level": level, "num": SEVERITY_NUM[level], "ids": ids})


def _stats(con: duckdb.DuckDBPyConnection, events: Sequence[_Event], candidates: int) -> EventStats:
    # The rows of `events`, counted without the view's join to the tracebacks it does not need.
    row = con.execute("SELECT count(*) FROM entries ANTI JOIN tb_absorbed USING (entry_id)").fetchone()
    by_runtime: dict[str, int] = {}
    for event in events:
        by_runtime[event.parsed.runtime] = by_runtime.get(event.parsed.runtime, 0) + 1
    joined = [e for e in events if len(e.member_ids) > 1]
    return EventStats(
        events=int(row[0]) if row else 0,
        candidates=candidates,
        rejoined=len(joined),
        absorbed=sum(len(e.member_ids) - 1 for e in joined),
        embedded=len(events) - len(joined),
        by_runtime=dict(sorted(by_runtime.items())),
    )
