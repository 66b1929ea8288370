"""Re-join tracebacks split one line per entry: the `entries` table in, the `events` table out.

Cloud Run writes one log entry per stderr line and text readers one entry per line, so a
Python traceback arrives as twenty entries. This module puts them back together.

Why the work is split between SQL and Python: a regex and a window in DuckDB pick the few
*candidate* rows (traceback-looking lines and their neighbours, in the same stream); only those
become Python objects and go through the grammar scan below; `events` is then built in SQL as
`entries` joined to a small mapping table. A million ordinary entries never leave DuckDB.

The scan follows each runtime's grammar rather than bare adjacency: two tracebacks printed back
to back on one instance stay apart, and the `ERROR:    Application startup failed. Exiting.`
after a traceback is not swallowed by it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby

import duckdb

MAX_GAP_US = 2_000_000  # consecutive lines of one traceback: at most 2 s apart
MAX_TEXT_LINE_GAP = 25  # text sources: blank lines the reader dropped, lines of interleaved streams
FREE_TEXT_GAP_US = 1_000  # unmarked message continuation: written by the same write() call
CONTEXT_BEFORE, CONTEXT_AFTER = 2, 4  # neighbours of traceback-looking rows that the scan also sees

# Chaining words as Python prints them; the key is what `RaisedException.via` holds.
CHAIN_WORDS = {
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
}

# RE2 (runs in DuckDB): rows that may belong to a traceback of any runtime.
CANDIDATE_RE2 = "|".join(
    (
        r"Traceback \(most recent call last\)",
        r"^\s", r"^$", r"^[|+]",
        r"^During handling of the above exception", r"^The above exception was the direct cause",
        r"^(?:panic|fatal error): ", r"^goroutine \d+ \[", r"^created by ", r"^\[signal ", r"^exit status \d",
        r"^Exception in thread ", r"^Caused by: ", r"^Node\.js v\d", r"^}$",
        r"^(?:/\S+\.[cm]?[jt]s|node:internal/\S+):\d+$",
        r"^(?:Uncaught )?[\w.$]*(?:Error|Exception|Exit|Interrupt|Warning)\b",
        r"\n\s*at \S", r"\ngoroutine \d+ \[",
    )
)  # fmt: skip

_PY_HEAD = re.compile(r"Traceback \(most recent call last\):\s*$")
_BARE_HEAD = re.compile(r"^\s*(?:\+ Exception Group )?Traceback \(most recent call last\):\s*$")
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_CHAIN = re.compile(
    rf"^\s*(?:(?P<cause>{re.escape(CHAIN_WORDS['cause'])})|(?P<context>{re.escape(CHAIN_WORDS['context'])}))\s*$"
)
_CARET = re.compile(r"^\s*[\^~]+[\^~\s]*$")
_BOX = re.compile(r"^(?P<indent> *)(?P<bar>[|+])(?P<rest>.*)$")
_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?::(?: (?P<msg>.*))?)?$")
_MSG_CONTINUES = re.compile(
    r"^(?:\(Background on this error at: |\[SQL: |\[parameters: |DETAIL: |HINT: |CONTEXT: )"
)
_RECORD = re.compile(
    r"""(?x)^(?:
      \[?\d{4}-\d\d-\d\d[T\ ]\d\d:\d\d                        # leading timestamp
    | \[?(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|CRITICAL|FATAL|ALERT|EMERGENCY)\]?[:\s]  # level word
    | [A-Z][a-z]{2}\ {1,2}\d{1,2}\ \d\d:\d\d                  # syslog
    | [{\[]                                                   # JSON line
    | (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\ \S         # request line
    )"""
)
_INTRO = re.compile(r"(?i)\b(?:error|exception|critical|fatal|failed|failure|unhandled|uncaught|traceback)\b")
_EXC_LIKE = re.compile(r"^(?:Uncaught )?[\w.$]*(?:Error|Exception|Throwable)\b")
_JAVA_HEAD = re.compile(r'^Exception in thread "[^"]*" ')
_JAVA_AT = re.compile(r"^\s*at (?P<func>[\w$./<>-]+)\((?P<loc>[^()]*)\)\s*$")
_JAVA_MORE = re.compile(r"^\s*(?:\.\.\. \d+ (?:more|common frames omitted)|Caused by: |Suppressed: )")
_NODE_AT = re.compile(r"^\s+at (?:(?P<func>.+?) \((?P<loc>[^()]+)\)|(?P<bare>\S+))(?:\s*\{)?\s*$")
_NODE_PRELUDE = re.compile(r"^(?:/\S+\.[cm]?[jt]s|node:internal/\S+):\d+$")
_NODE_TAIL = re.compile(r"^(?:[{}\]]|Node\.js v\d)")
_GO_HEAD = re.compile(r"^(?:panic|fatal error): ")
_GO_LINE = re.compile(r"^(?:goroutine \d+ \[.*\]:|created by |\[signal |exit status \d+|[^\s(]+\(.*\)$)")
_GO_FILE = re.compile(r"^\t(?P<file>\S+\.go):(?P<line>\d+)")


# ---------------------------------------------------------------- parsed tracebacks


@dataclass(frozen=True)
class RaisedException:
    """One exception of a chain: its type, message, own frames and the words that chained it.

    `via` holds the words that introduced it where it was printed: "cause" (the exception
    printed before it was its direct cause, `raise ... from`), "context" (it was raised while
    handling that one), "group" (printed as a member of an exception group) or None.
    """

    type: str
    message: str
    frames: tuple[str, ...] = ()
    via: str | None = None


@dataclass(frozen=True)
class ParsedTraceback:
    """A traceback's exception chain (innermost first), all frames in printed order, and its runtime."""

    runtime: str
    chain: tuple[RaisedException, ...] = ()
    frames: tuple[str, ...] = ()
    intro: str = ""

    @property
    def exc_types(self) -> list[str]:
        """Exception types, innermost first."""
        return [exc.type for exc in self.chain]

    @property
    def exc_messages(self) -> list[str]:
        """Exception messages, innermost first."""
        return [exc.message for exc in self.chain]


@dataclass
class _Printed:
    """An exception as printed, before the chain is put innermost first."""

    depth: int
    via: str | None
    frames: list[str]
    type: str = ""
    lines: list[str] = field(default_factory=list)
    children: list[_Printed] = field(default_factory=list)

    def freeze(self) -> RaisedException:
        return RaisedException(self.type, "\n".join(self.lines).rstrip(), tuple(self.frames), self.via)


def _frame(file: str, line: str | None, func: str | None) -> str:
    """The `file:line in func` form shared by every runtime."""
    where = f"{file}:{line}" if line else file
    return f"{where} in {func}" if func else where


def _unbox(raw: str) -> tuple[int, str | None]:
    """Strip an exception-group box prefix: (nesting depth, content); content None for a separator."""
    box = _BOX.match(raw)
    if not box:
        return 0, raw
    depth = max(len(box["indent"]) // 2 - 1, 0)
    rest = box["rest"]
    if box["bar"] == "+" and not rest.strip("-+ 0123456789"):
        return depth, None
    return depth, rest[1:] if rest.startswith(" ") else rest


def _split_exc(line: str) -> tuple[str, str]:
    """`pkg.ExcType: message` -> (type, message); a line of another shape is all message."""
    match = _EXC_LINE.match(line.strip())
    if not match:
        return "", line.strip()
    return match["type"], match["msg"] or ""


def _python_lines(text: str) -> Iterator[tuple[int, str | None]]:
    """Lines with their exception-group depth (0 outside groups); None marks a box separator."""
    grouped = "Exception Group Traceback" in text
    for raw in text.splitlines():
        yield _unbox(raw) if grouped else (0, raw)


def parse_python_traceback(text: str) -> ParsedTraceback:
    """Parse Python traceback text: exception chain innermost first, with its chaining words, and frames.

    Python prints a chain from the innermost cause to the outermost exception, so printed order
    is kept; exception-group members are placed before the group that holds them.
    """
    printed: list[_Printed] = []
    intro: list[str] = []
    state: str = "intro"
    via: str | None = None
    frames: list[str] = []
    all_frames: list[str] = []
    for depth, line in _python_lines(text):
        if line is None:
            state, frames, via = "frames", [], "group"
            continue
        chain, frame, head = _CHAIN.match(line), _PY_FRAME.match(line), _PY_HEAD.search(line)
        if head:
            if state == "intro":
                intro.append(line[: head.start()].rstrip())
            state, frames = "frames", []
        elif chain:
            state, via = "between", "cause" if chain["cause"] else "context"
        elif state == "intro":
            intro.append(line)
        elif state == "frames" and frame:
            frames.append(_frame(frame["file"], frame["line"], frame["func"]))
            all_frames.append(frames[-1])
        elif state == "frames" and line.strip() and not line[:1].isspace():
            exc_type, message = _split_exc(line)
            printed.append(_Printed(depth, via, frames, exc_type, [message]))
            state, via = "exc", None
        elif state == "exc":
            printed[-1].lines.append(line)
    chain_out = tuple(exc.freeze() for exc in _innermost_first(printed))
    return ParsedTraceback("python", chain_out, tuple(all_frames), "\n".join(s for s in intro if s))


def _innermost_first(printed: Sequence[_Printed]) -> list[_Printed]:
    """Nest exception-group members under their group, then list each group after its members."""
    roots: list[_Printed] = []
    stack: list[_Printed] = []
    for item in printed:
        while stack and stack[-1].depth >= item.depth:
            stack.pop()
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)

    def flatten(items: list[_Printed]) -> Iterator[_Printed]:
        for item in items:
            yield from flatten(item.children)
            yield item

    return list(flatten(roots))


def _header_index(lines: Sequence[str], frame_re: re.Pattern[str]) -> int | None:
    """The line just before the first frame (the exception header), None when frames come first."""
    first = next((i for i, line in enumerate(lines) if frame_re.match(line)), len(lines))
    return first - 1 if first > 0 else None


def _parse_java(text: str) -> ParsedTraceback:
    """Java: the header exception is the outermost, each `Caused by:` one level further in."""
    lines = text.splitlines()
    head = _header_index(lines, _JAVA_AT)
    printed: list[_Printed] = []
    frames: list[str] = []
    for line in lines[head or 0 :]:
        at = _JAVA_AT.match(line)
        if at:
            file, _, number = at["loc"].partition(":")
            frames.append(_frame(file, number or None, at["func"]))
            if printed:
                printed[-1].frames.append(frames[-1])
        elif (head is not None and not printed) or line.startswith("Caused by: "):
            exc_type, message = _split_exc(_JAVA_HEAD.sub("", line.removeprefix("Caused by: ")))
            printed.append(_Printed(0, None, [], exc_type, [message]))
    chain = tuple(
        RaisedException(p.type, p.lines[0], tuple(p.frames), "cause" if i else None)
        for i, p in enumerate(reversed(printed))
    )
    return ParsedTraceback("java", chain, tuple(frames), "\n".join(lines[: head or 0]))


def _parse_node(text: str) -> ParsedTraceback:
    """Node: one `Error: message` line followed by `    at fn (file:line:col)` frames."""
    lines = text.splitlines()
    head = _header_index(lines, _NODE_AT)
    frames: list[str] = []
    for line in lines[(head or 0) :]:
        at = _NODE_AT.match(line)
        if at:
            loc = at["loc"] or at["bare"]
            file, line_no = loc.rsplit(":", 2)[:2] if loc.count(":") >= 2 else (loc, None)
            func = at["func"].removeprefix("async ") if at["func"] else None
            frames.append(_frame(file, line_no, func))
    exc_type, message = _split_node_error(lines[head]) if head is not None else ("", "")
    chain = (RaisedException(exc_type, message, tuple(frames)),) if exc_type else ()
    return ParsedTraceback("node", chain, tuple(frames), "\n".join(lines[: head or 0]))


def _split_node_error(line: str) -> tuple[str, str]:
    """`TypeError: msg`, `Error [ERR_X]: msg` or `Uncaught Error: msg` -> (type, message)."""
    body = line.strip().removeprefix("Uncaught ")
    exc_type, sep, message = body.partition(": ")
    return (exc_type, message) if sep and " " not in exc_type.replace(" [", "[") else ("", body)


def _parse_go(text: str) -> ParsedTraceback:
    """Go: `panic: msg` (and nested `panic:` lines when recovered and re-panicked), goroutine frames."""
    chain: list[RaisedException] = []
    frames: list[str] = []
    func: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        head = _GO_HEAD.match(stripped)
        file = _GO_FILE.match(line)
        if head:
            kind = head.group(0)[:-2]
            message = stripped[len(head.group(0)) :].removesuffix(" [recovered]")
            chain.append(RaisedException(kind, message, (), "context" if chain else None))
        elif file:
            frames.append(_frame(file["file"], file["line"], func))
        elif line.startswith("created by "):
            func = line.removeprefix("created by ").split(" in goroutine ")[0]
        elif _GO_LINE.match(line) and line.endswith(")") and not line.startswith("goroutine"):
            func = line[: line.rfind("(")]
    return ParsedTraceback("go", tuple(chain), tuple(frames))


_PARSERS = {"python": parse_python_traceback, "java": _parse_java, "node": _parse_node, "go": _parse_go}


def detect_runtime(text: str) -> str | None:
    """Which runtime printed this multi-line text as a traceback, or None when it is not one."""
    if "Traceback (most recent call last):" in text:
        return "python"
    lines = text.splitlines()
    if any(_GO_HEAD.match(line) for line in lines) and any(line.startswith("goroutine ") for line in lines):
        return "go"
    if any(_JAVA_AT.match(line) for line in lines[1:]):
        return "java"
    if any(_NODE_AT.match(line) for line in lines[1:]):
        return "node"
    return None


def parse_traceback(text: str, runtime: str | None = None) -> ParsedTraceback | None:
    """Parse a traceback of any supported runtime (detected when not given); None when not one."""
    runtime = runtime or detect_runtime(text)
    return _PARSERS[runtime](text) if runtime in _PARSERS else None


# ---------------------------------------------------------------- grouping scan


@dataclass(frozen=True)
class _Row:
    """One candidate row as the scan sees it."""

    entry_id: int
    key: tuple[object, ...]
    pos: int
    linked: bool  # close enough in time / line to the previous row of its stream
    gap_us: int | None
    severity_num: int
    text: str


@dataclass
class _Group:
    """A traceback being assembled: its rows, runtime and where in the grammar it stands."""

    runtime: str
    phase: str
    rows: list[_Row]
    boxed: bool = False

    def accepts(self, row: _Row, nxt: _Row | None) -> bool:
        """Whether `row` continues this traceback; advances the grammar state when it does."""
        return bool(_ACCEPT[self.runtime](self, row.text, row, nxt))


def _follows(prev: _Row | None, row: _Row) -> bool:
    """`row` comes right after `prev` in the same stream, close in time (or line, for text)."""
    return prev is not None and row.linked and prev.key == row.key and prev.pos + 1 == row.pos


def _py_accept(group: _Group, text: str, row: _Row, nxt: _Row | None) -> bool:
    if group.boxed and _BOX.match(text):
        return True
    if group.phase == "marker":
        if _PY_HEAD.search(text):
            group.phase, group.boxed = "frames", group.boxed or "Exception Group" in text
            return True
        return False
    if _CHAIN.match(text):
        group.phase = "marker"
        return True
    if group.phase == "exc" and _MSG_CONTINUES.match(text):
        return True
    if _PY_HEAD.search(text) or _RECORD.match(text) or _starts_other_runtime(text):
        return False
    if group.phase == "frames":
        if not text[:1].isspace():
            group.phase = "exc"
        return True
    return _py_message_continues(text, row, nxt)


def _py_message_continues(text: str, row: _Row, nxt: _Row | None) -> bool:
    """After the exception line: indented or marked continuation, or text of the same write()."""
    if text[:1].isspace():
        return True
    same_write = row.gap_us is not None and row.gap_us <= FREE_TEXT_GAP_US
    next_starts = nxt is not None and _follows(row, nxt) and bool(_PY_HEAD.search(nxt.text))
    return same_write and not next_starts and not _EXC_LIKE.match(text)


def _java_accept(group: _Group, text: str, row: _Row, nxt: _Row | None) -> bool:
    return bool(_JAVA_AT.match(text) or _JAVA_MORE.match(text))


def _node_accept(group: _Group, text: str, row: _Row, nxt: _Row | None) -> bool:
    if group.phase == "prelude":
        if _EXC_LIKE.match(text):
            group.phase = "frames"
            return True
        return text[:1].isspace() or bool(_CARET.match(text))
    return bool(_NODE_AT.match(text) or _NODE_TAIL.match(text)) or (text[:2] == "  " and ":" in text)


def _go_accept(group: _Group, text: str, row: _Row, nxt: _Row | None) -> bool:
    return text.startswith("\t") or bool(_GO_LINE.match(text))


_ACCEPT = {"python": _py_accept, "java": _java_accept, "node": _node_accept, "go": _go_accept}


def _starts_other_runtime(text: str) -> bool:
    return bool(_JAVA_HEAD.match(text) or _GO_HEAD.match(text))


def _start(row: _Row, prev: _Row | None, prev_free: bool, nxt: _Row | None) -> _Group | None:
    """A new traceback starting at `row` (adopting the line before it when that introduces it)."""
    text = row.text
    adopt = prev is not None and prev_free and _follows(prev, row)
    head = _PY_HEAD.search(text)
    if head or _PY_FRAME.match(text):
        intro = adopt and _BARE_HEAD.match(text) is not None and _introduces(prev)
        rows = [prev, row] if intro and prev else [row]
        return _Group("python", "frames", rows, boxed="Exception Group" in text)
    if _JAVA_HEAD.match(text):
        return _Group("java", "frames", [row])
    if _GO_HEAD.match(text):
        return _Group("go", "frames", [row])
    if _NODE_PRELUDE.match(text) and nxt is not None and _follows(row, nxt) and nxt.text[:1].isspace():
        return _Group("node", "prelude", [row])
    java, node = _JAVA_AT.match(text), _NODE_AT.match(text)
    if java or node:
        header = [prev] if adopt and prev is not None and _EXC_LIKE.match(prev.text.strip()) else []
        return _Group("java" if java else "node", "frames", [*header, row])
    return None


def _introduces(row: _Row | None) -> bool:
    """A log line such as `ERROR:app:Failed to X` or `Exception in ASGI application`."""
    if row is None or not row.text.strip() or _PY_HEAD.search(row.text):
        return False
    return row.severity_num >= 500 or bool(_INTRO.search(row.text))


def _scan(rows: Sequence[_Row]) -> Iterator[_Group]:
    """Group the candidate rows of one stream into tracebacks, in order."""
    group: _Group | None = None
    pending: list[_Row] = []  # blank lines held until the traceback continues
    prev: _Row | None = None
    prev_free = False
    for index, row in enumerate(rows):
        nxt = rows[index + 1] if index + 1 < len(rows) else None
        multi = "\n" in row.text.strip("\n")
        if group is not None and (multi or not _follows(prev, row)):
            yield group
            group, pending = None, []
        if group is not None and not row.text.strip():
            pending.append(row)
        elif group is not None and group.accepts(row, nxt):
            group.rows.extend([*pending, row])
            pending = []
        else:
            if group is not None:
                yield group
            free_prev = prev_free and not pending
            group, pending = (None if multi else _start(row, prev, free_prev, nxt)), []
        prev_free = group is None
        prev = row
    if group is not None:
        yield group


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


# Stream order is time order; lines with equal times keep file order, read backwards when the
# file runs newest first (gcloud exports do), told by the sign of corr(line_no, ts) per source.
_CANDIDATES_SQL = f"""
WITH d AS (
  SELECT source, CASE WHEN corr(line_no::DOUBLE, epoch_us(ts)::DOUBLE) < 0 THEN -1 ELSE 1 END AS dir
  FROM entries GROUP BY source
), k AS (
  SELECT entry_id, source, log_id, instance_id, revision, ts, line_no * dir AS seq, severity_num, message,
         regexp_matches(message, $re) AS strong,
         log_id LIKE 'local/%' AS text_source
  FROM entries JOIN d USING (source)
), w AS (
  SELECT *,
    row_number() OVER p AS pos,
    epoch_us(ts) - lag(epoch_us(ts)) OVER p AS gap_us,
    seq - lag(seq) OVER p AS line_gap,
    lag(entry_id) OVER p IS NOT NULL AND lag(ts IS NULL) OVER p = (ts IS NULL) AS has_prev,
    max(strong::INTEGER) OVER (
      PARTITION BY source, log_id, instance_id, revision ORDER BY ts NULLS LAST, seq, entry_id
      ROWS BETWEEN {CONTEXT_AFTER} PRECEDING AND {CONTEXT_BEFORE} FOLLOWING) AS near
  FROM k
  WINDOW p AS (PARTITION BY source, log_id, instance_id, revision ORDER BY ts NULLS LAST, seq, entry_id)
)
SELECT entry_id, source, log_id, instance_id, revision, pos,
       has_prev AND CASE
         WHEN ts IS NULL OR text_source THEN line_gap BETWEEN 1 AND {MAX_TEXT_LINE_GAP}
              AND coalesce(gap_us BETWEEN 0 AND {MAX_GAP_US}, TRUE)
         ELSE gap_us BETWEEN 0 AND {MAX_GAP_US} END AS linked,
       CASE WHEN text_source THEN 0 ELSE gap_us END AS gap_us,
       severity_num, message
FROM w WHERE near = 1
ORDER BY source, log_id, instance_id NULLS FIRST, revision NULLS FIRST, ts NULLS LAST, seq, entry_id
"""


def _candidates(con: duckdb.DuckDBPyConnection) -> list[_Row]:
    """The rows that may belong to a traceback, ordered by stream, then as printed."""
    rows = con.execute(_CANDIDATES_SQL, {"re": CANDIDATE_RE2}).fetchall()
    return [
        _Row(int(r[0]), (r[1], r[2], r[3], r[4]), int(r[5]), bool(r[6]),
             None if r[7] is None else int(r[7]), int(r[8] or 0), str(r[9] or ""))
        for r in rows
    ]  # fmt: skip


def _events(rows: Sequence[_Row]) -> Iterator[_Event]:
    """Re-joined tracebacks and single entries that embed a whole traceback."""
    for _key, stream in groupby(rows, key=lambda row: row.key):
        members = list(stream)
        grouped: set[int] = set()
        for group in _scan(members):
            if len(group.rows) < 2:
                continue  # a lone header line is an ordinary event
            grouped.update(row.entry_id for row in group.rows)
            yield _joined(group)
        for row in members:
            if row.entry_id not in grouped and "\n" in row.text.strip():
                parsed = parse_traceback(row.text)
                if parsed is not None:
                    yield _Event((row.entry_id,), row.text, parsed)


def _joined(group: _Group) -> _Event:
    """One event from a scanned group, parsed with the grammar the scan recognised."""
    text = "\n".join(row.text for row in group.rows)
    parsed = parse_traceback(text, group.runtime) or ParsedTraceback(group.runtime)
    return _Event(tuple(row.entry_id for row in group.rows), text, parsed)


_TB_EVENT_TYPE = (
    "STRUCT(event_id BIGINT, message VARCHAR, member_ids BIGINT[], exc_types VARCHAR[], "
    "exc_messages VARCHAR[], frames VARCHAR[], runtime VARCHAR)[]"
)

_EVENTS_SQL = """
CREATE OR REPLACE TABLE events AS
WITH absorbed AS (
  SELECT id AS entry_id FROM (SELECT event_id, unnest(member_ids) AS id FROM tb_events) WHERE id <> event_id
)
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
WHERE e.entry_id NOT IN (SELECT entry_id FROM absorbed)
ORDER BY e.entry_id
"""


def _event_json(event: _Event) -> dict[str, object]:
    parsed = event.parsed
    return {
        "event_id": event.member_ids[0], "message": event.message, "member_ids": list(event.member_ids),
        "exc_types": parsed.exc_types, "exc_messages": parsed.exc_messages, "frames": list(parsed.frames),
        "runtime": parsed.runtime,
    }  # fmt: skip


def build_events(con: duckdb.DuckDBPyConnection) -> EventStats:
    """Create the `events` table from `entries`: one row per entry, each traceback's lines as one row.

    The mapping table travels to DuckDB as one JSON parameter: tracebacks are few, and this
    keeps pandas and per-row inserts out of the way.
    """
    rows = _candidates(con)
    events = list(_events(rows))
    payload = json.dumps([_event_json(event) for event in events], ensure_ascii=False)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE tb_events AS "
        f"SELECT unnest(CAST($p AS JSON)::{_TB_EVENT_TYPE}, recursive := true)",
        {"p": payload},
    )
    con.execute(_EVENTS_SQL)
    con.execute("DROP TABLE tb_events")
    return _stats(con, events, len(rows))


def _stats(con: duckdb.DuckDBPyConnection, events: Sequence[_Event], candidates: int) -> EventStats:
    row = con.execute("SELECT count(*) FROM events").fetchone()
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
