"""Run the pattern library over the `events` table and aggregate matches into findings.

Two phases keep matching linear in the input: one combined RE2 prefilter of every pattern's
expressions selects the few events that can match anything, then each pattern runs only on
those survivors. Field extraction happens in Python (RE2 too) on matched events only.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from rca.engine import prefilter
from rca.engine.traceback_grammar import CARET_LINE
from rca.library import cache
from rca.library.knowledge import Knowledge, load_knowledge
from rca.library.loader import extract_fields, match_position
from rca.library.re2check import compile_re2, regex_set
from rca.model import Finding, Pattern, Role, Sample
from rca.severity import SEVERITY_NUM
from rca.timeutil import rfc3339

_NAMED_GROUP = re.compile(r"\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>")
SAMPLES_PER_FINDING = 3
# Cloud Run stamps a request log with the time the request ARRIVED; it failed `latency` later,
# which is the moment to compare with the application's own error lines.
_DONE_TS = (
    "CASE WHEN http_latency_s IS NOT NULL AND ts IS NOT NULL "
    "THEN ts + to_microseconds(CAST(http_latency_s * 1000000 AS BIGINT)) ELSE ts END AS done_ts"
)
_EVENT_COLUMNS = (
    "event_id, ts, insert_id, log_name, log_id, revision, instance_id, message, member_ids, in_window, "
    f"service, {_DONE_TS}, trace, runtime, exc_types, exc_messages, frames"
)


class Row(NamedTuple):
    """One survivor event as `match_events` reads it (`_ROW_COLUMNS`, `_STACK_COLUMNS`, by name): only
    what a hit, an own-code frame or an absence scope needs, since a storm brings a million."""

    event_id: int
    ts: datetime | None
    revision: str | None
    instance_id: str | None
    mid: int  # the message's number in `survivor_messages`
    n_members: int
    in_window: bool
    service: str | None
    done_ts: datetime | None
    trace: str | None
    runtime: str | None
    exc_types: list[str] | None
    exc_messages: list[str] | None
    frames: list[str] | None


class Hit(NamedTuple):
    """One event matched by one pattern, with the fields extracted from it.

    A named tuple, not a dataclass: a storm makes a hundred thousand of them per million entries,
    and a frozen dataclass's constructor cost as much as the rest of building one."""

    pattern_id: str
    event_id: int
    ts: datetime | None
    in_window: bool
    instance_id: str | None
    revision: str | None
    fields: dict[str, str]
    done_ts: datetime | None = None
    trace: str | None = None
    pos: int = -1  # where in the message the pattern matched (inner errors print later, or earlier)
    runtime: str | None = None
    members: int = 1  # the log entries the event stands for (a re-joined traceback's lines)


def strip_names(expr: str) -> str:
    """Turn named groups into plain groups, so many patterns can share one alternation."""
    return _NAMED_GROUP.sub("(?:", expr)


# DuckDB's RE2 runs out of DFA memory on one huge alternation and falls back to a slow NFA.
# Measured with the counted repetitions relaxed (below), over 100k busy-service messages and over
# every sample's messages: 16,000-char chunks were as fast as 8,000 and 24,000 was 100x slower;
# 8,000 keeps a factor of two from that cliff.
PREFILTER_CHUNK_CHARS = 8000
# The atoms' alternations (literals, rca/engine/prefilter.py), balanced by `prefilter.pack`, may
# be longer: one of 24,700 chars fell off the same cliff (over 9 s a pass over a million
# busy-service messages, against 0.2), so at most half that keeps the factor of two. Measured
# (benchmarks/prefilter.py, single thread, 2026-12-03, library of 420 files): the busy bench's 1M
# messages 0.85 CPU-s in 4 alternations of 6,200 chars, 0.64 in 3 of 8,300 (this); Loghub's 16
# systems with the samples and the library's examples, 223k lines, 0.42 and 0.48 (a longer
# alternation costs more per pass over such varied text), both below the 0.57 of the four
# alternations filled to 8,000 one after the other (the last of 756 chars) before balancing.
ATOM_CHUNK_CHARS = 12_000


# A counted repetition such as `[^\n]{0,200}` makes each DFA state count positions; a few dozen of
# them in one alternation blew RE2's DFA budget in DuckDB (measured: two chunks took 90 % of the
# prefilter's time, on request-log lines that match nothing). The prefilter only has to keep every
# event a pattern can match, so it repeats without an upper bound instead (a superset); the exact
# regexes then run on the survivors' distinct messages.
MAX_COUNTED_REPEAT = 10
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")


@functools.lru_cache(maxsize=4096)  # one process may analyse many times (API, tests)
def relax_repeats(expr: str, limit: int = MAX_COUNTED_REPEAT) -> str:
    """``expr`` with every counted repetition above ``limit`` unbounded: `{0,200}` -> `{0,}`, `{40,}`
    -> `*`. Whatever ``expr`` matches, the result matches too. Escapes and classes are kept."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(expr):
        ch = expr[i]
        if ch == "\\":
            out.append(expr[i : i + 2])
            i += 2
            continue
        if in_class:
            if expr.startswith("[:", i) and (end := expr.find(":]", i + 2)) != -1:  # [[:alpha:]]
                out.append(expr[i : end + 2])
                i = end + 2
                continue
            in_class = ch != "]"
        elif ch == "[":
            j = i + 1 + expr.startswith("^", i + 1)
            j += expr.startswith("]", j)  # `[]` and `[^]` open with a literal ]
            out.append(expr[i:j])
            in_class, i = True, j
            continue
        elif ch == "{" and (m := _REPEAT.match(expr, i)) is not None:
            low = int(m.group(1))
            high = low if m.group(2) is None else (int(m.group(3)) if m.group(3) else None)
            if high is None or high > limit or low > limit:
                out.append(f"{{{low},}}" if low <= limit else "*")
            else:
                out.append(m.group(0))
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


# Deriving the atoms costs about 0.09 CPU-s per run (Python's regex parser over the library);
# they save about 0.9 CPU-s per million messages scanned (3 RE2 passes instead of 7). Below this
# many entries the regexes themselves are the cheaper prefilter; the matches are the same.
ATOMS_FROM_ENTRIES = 150_000
# Below this many entries no prefilter runs: every event survives, and the regex set sorts the
# messages. Compiling the prefilter's regexes costs about 0.05 CPU-s, more than it saves the
# matching on a few thousand messages (measured: 1,500-5,000 entries 0.06-0.09 s less without it,
# 10,000 even, 20,000 0.04 s more). The matches are the same.
PREFILTER_FROM_ENTRIES = 10_000


def prefilter_chunks(
    patterns: Sequence[Pattern], max_chars: int = PREFILTER_CHUNK_CHARS, atoms: bool = True
) -> list[str]:
    """RE2 alternations, each under ``max_chars``, that every matchable event satisfies one of.

    With ``atoms`` (rca/engine/prefilter.py), an expression that cannot match without one of a few
    long literals is tested by those literals instead of its regex: a literal alternation is as fast
    per pass and much shorter, so fewer passes are needed (7 -> 3 over the library). Without, every
    expression's relaxed regex: the issue's definition of DuckDB's floor (benchmarks/load.py)."""
    if not atoms:
        return [chunk for chunk, _ in _chunks(patterns, max_chars)]
    key = _chunks_key(patterns, max_chars)
    stored = cache.read_value(key, kind="prefilter")
    if isinstance(stored, list) and all(isinstance(chunk, str) for chunk in stored):
        return stored
    exprs = [expr for p in patterns for expr in _prefilter_exprs(p)]
    chunks = prefilter.pack(prefilter.alternation_parts(exprs), max_chars)
    cache.write_value(key, chunks, kind="prefilter")
    return chunks


# The code that derives the prefilter's alternations and the regexes' atoms: part of their cache keys.
_DERIVING = (Path(__file__).resolve(), Path(prefilter.__file__).resolve())


def _chunks_key(patterns: Sequence[Pattern], max_chars: int) -> str:
    """The cache key of the atoms' alternations of ``patterns``: deriving them parses every regex
    with Python's parser (0.09 CPU-s a run); the key covers what they depend on, the expressions,
    the size and the code that derives them (this module and rca/engine/prefilter.py)."""
    return cache.value_key(_DERIVING, (str(max_chars), *(expr for p in patterns for expr in (
        "\0pattern", *p.match.any, *p.match.all, *([p.absence.expect] if p.absence else [])))))


def _prefilter_exprs(p: Pattern) -> list[str]:
    """What the prefilter tests for a pattern: its `any` and `all` regexes and an absence's
    expected companion, named groups plain and counted repeats relaxed."""
    exprs = [*p.match.any, *p.match.all, *([p.absence.expect] if p.absence is not None else [])]
    return [relax_repeats(strip_names(e)) for e in exprs]


def _chunks(patterns: Sequence[Pattern], max_chars: int) -> list[tuple[str, set[int]]]:
    """The prefilter's alternations, each with the positions (in ``patterns``) of the patterns in it."""
    parts = [(n, f"(?:{expr})") for n, p in enumerate(patterns) for expr in _prefilter_exprs(p)]
    chunks: list[tuple[str, set[int]]] = []
    current: list[str] = []
    members: set[int] = set()
    for n, part in parts:
        if current and sum(len(x) + 1 for x in current) + len(part) > max_chars:
            chunks.append(("|".join(current), members))
            current, members = [], set()
        current.append(part)
        members.add(n)
    if current:
        chunks.append(("|".join(current), members))
    return chunks


def prefilter_where(patterns: Sequence[Pattern]) -> tuple[str, list[str]]:
    """The prefilter as a SQL condition on `message` and its parameters (the relaxed regexes
    themselves, no atoms: what benchmarks/load.py's floor runs)."""
    chunks = prefilter_chunks(patterns, atoms=False)
    return " OR ".join("regexp_matches(message, ?)" for _ in chunks) or "FALSE", chunks


def pattern_where(p: Pattern) -> tuple[str, list[Any]]:
    """SQL condition (over the survivors table) for one pattern, with its parameters."""
    text, text_params = message_where(p)
    rest, rest_params = row_where(p)
    conds = [c for c in (text, rest) if c != "TRUE"]
    return " AND ".join(conds) or "FALSE", text_params + rest_params


def message_where(p: Pattern) -> tuple[str, list[Any]]:
    """The part of a pattern's condition that reads only `message` (its regexes); TRUE when none."""
    conds: list[str] = []
    params: list[Any] = []
    if p.match.any:
        conds.append("(" + " OR ".join("regexp_matches(message, ?)" for _ in p.match.any) + ")")
        params.extend(p.match.any)
    for expr in p.match.all:
        conds.append("regexp_matches(message, ?)")
        params.append(expr)
    for expr in p.match.none:
        conds.append("NOT regexp_matches(message, ?)")
        params.append(expr)
    return " AND ".join(conds) or "TRUE", params


TEXT_LOG_PREFIX = "local/"  # the log name of a text input's lines (rca/sources/text.py)
TEXT_RESOURCE = "local"  # and their resource type
JOURNAL_LOG = "local/journal"  # the log name of a text line under a syslog or journald header


def row_where(p: Pattern) -> tuple[str, list[Any]]:
    """The rest of a pattern's condition: log id, resource type, HTTP status, severity; TRUE when none."""
    conds: list[str] = []
    params: list[Any] = []
    if p.match.log_id:
        ids = [x for x in p.match.log_id if not x.endswith("*")]
        prefixes = [x[:-1] for x in p.match.log_id if x.endswith("*")]
        alts = [f"log_id IN ({', '.join('?' for _ in ids)})"] if ids else []
        alts += ["starts_with(coalesce(log_id, ''), ?)" for _ in prefixes]
        # A text log (a paste, `kubectl logs`) lost its log names (`local/<stream>`): the log a
        # line came from cannot be told, so it does not rule the line out. Cloud Run's startup
        # probe line pasted from the Logs Explorer is still Cloud Run's.
        alts.append(f"starts_with(coalesce(log_id, ''), '{TEXT_LOG_PREFIX}')")
        conds.append("(" + " OR ".join(alts) + ")")
        params.extend(ids)
        params.extend(prefixes)
    if p.match.resource_type:
        # A text log's lines name no platform (`local`): where they ran cannot be told, so it does
        # not rule them out, as for the log name; a request line of a paste is still no load
        # balancer's (a pattern on the status as well keeps the platform's own entries), nor is a
        # line a host's syslog or journald wrote a serverless platform's (held-out TS05: gunicorn
        # bound to 127.0.0.1 behind the VM's own nginx is no Cloud Run server out of the probe's reach).
        local = "" if p.match.http_status is not None else (
            f" OR (resource_type = '{TEXT_RESOURCE}' AND log_id IS DISTINCT FROM '{JOURNAL_LOG}')")
        conds.append(f"(resource_type IN ({', '.join('?' for _ in p.match.resource_type)}){local})")
        params.extend(p.match.resource_type)
    if p.match.http_status is not None:
        conds.append("http_status BETWEEN ? AND ?")
        params.extend(p.match.http_status)
    if p.match.min_severity:
        conds.append("severity_num >= ?")
        params.append(SEVERITY_NUM[p.match.min_severity.upper()])
    if p.match.min_stated_severity:
        conds.append("NOT (severity_num BETWEEN 1 AND ? - 1)")
        params.append(SEVERITY_NUM[p.match.min_stated_severity.upper()])
    return " AND ".join(conds) or "TRUE", params


# What the per-pattern queries read of a survivor: the columns of a `Row` (the message by its
# number in `survivor_messages`) and those `row_where` tests.
_SURVIVOR_COLUMNS = (
    "event_id, ts, revision, instance_id, n_members, in_window, service, http_latency_s, trace, runtime, "
    "exc_types, exc_messages, frames, log_id, resource_type, http_status, severity_num, message"
)
_ROW_COLUMNS = (
    f"event_id, ts, revision, instance_id, mid, n_members, in_window, service, {_DONE_TS}, trace, runtime"
)
# A stack's columns, read for ``frames: own`` patterns only (lists are slow to turn into Python).
_STACK_COLUMNS = {True: "exc_types, exc_messages, frames", False: "NULL, NULL, NULL"}


def match_events(con: Any, patterns: Sequence[Pattern], knowledge: Knowledge | None = None) -> list[Hit]:
    """Every (pattern, event) match over `events`, absence patterns included; deterministic order.

    Busy services repeat themselves: the events the prefilter keeps hold few distinct messages
    (173k survivors, 43 messages in a measured 1M-entry hour). So each pattern's regexes run once
    per distinct message (`survivor_messages`, all in one RE2 set), only the patterns that match a
    message query the survivors (by message number, with their non-text conditions), and the fields
    and match position a message yields are worked out once per pattern and message (in DuckDB for a
    pattern that accepts many messages, `message_facts`).

    A pattern with ``frames: own`` keeps only stacks with a frame of the service's own code (per
    ``knowledge``'s runtime rules), and names the exception and that frame as its fields.
    """
    knowledge = knowledge if knowledge is not None else load_knowledge()
    if not patterns:
        return []
    row = con.execute("SELECT count(*) FROM entries").fetchone()
    entries = int(row[0]) if row else 0
    chunks = (None if entries < PREFILTER_FROM_ENTRIES
              else prefilter_chunks(patterns, ATOM_CHUNK_CHARS, atoms=True) if entries >= ATOMS_FROM_ENTRIES
              else prefilter_chunks(patterns, atoms=False))
    _survivors(con, chunks)
    accepted = _matching_messages(con, patterns)
    facts = _all_facts(con, patterns, accepted)
    shared: dict[str | None, str | None] = {}
    hits: list[Hit] = []
    for n, p in enumerate(patterns):
        mids = accepted.get(n)
        if not mids:
            continue
        if p.absence is None and p.frames != "own":
            hits.extend(_plain_hits(p, _batches(con, p, mids), facts.get(n, {}), shared))
            continue
        rows = _rows(con, p, mids, shared)
        if p.absence is not None:
            rows = iter(_without_companion(con, p, rows))
        hits.extend(_hits(p, rows, facts.get(n, {}), knowledge))
    con.execute("DROP TABLE survivors")  # the rest of the analysis reads `events`: free DuckDB's memory
    con.execute("DROP TABLE survivor_messages")
    return hits


def _survivors(con: Any, chunks: list[str] | None) -> None:
    """`survivors`: the events the prefilter ``chunks`` keep (every event when None), each with the
    number (`mid`) of its message in `survivor_messages`, which holds each distinct message once."""
    any_chunk = " OR ".join("regexp_matches(message, ?)" for _ in chunks or []) or "FALSE"
    where = "TRUE" if chunks is None else any_chunk
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE survivor_rows AS SELECT {_SURVIVOR_COLUMNS} FROM events WHERE {where}",
        chunks or [],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE survivor_messages AS SELECT row_number() OVER () AS mid, "
        "message FROM (SELECT DISTINCT message FROM survivor_rows)"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE survivors AS SELECT r.* EXCLUDE (message), m.mid "
        "FROM survivor_rows r JOIN survivor_messages m USING (message)"
    )
    con.execute("DROP TABLE survivor_rows")


# Distinct survivor messages are read into Python this many at a time for the regex set.
MESSAGE_BATCH = 10_000


def _matching_messages(con: Any, patterns: Sequence[Pattern]) -> dict[int, list[int]]:
    """Per pattern index: the numbers of the distinct survivor messages its regexes accept
    (`message_where`: any of its ``any``, all of its ``all``, none of its ``none``), ascending.

    Every regex of the library runs in one RE2 set over each message (`regex_set`), so a message
    costs one DFA pass whatever the library's size: a busy service's 503 request lines are distinct
    by their latency (35,000 in a 1M-entry hour), and DuckDB's regexes, a query per few dozen
    patterns over every message, cost 0.75 CPU-s there against 0.06 for the set. Only the patterns
    that use a regex the message matched are then decided; a pattern with no ``any`` or ``all``
    regex is decided on every message."""
    exprs = sorted({e for p in patterns for e in (*p.match.any, *p.match.all, *p.match.none)})
    position = {e: i for i, e in enumerate(exprs)}
    users: dict[int, list[int]] = defaultdict(list)  # a regex -> the patterns whose any/all hold it
    everywhere: list[int] = []  # patterns with no any/all regex
    for n, p in enumerate(patterns):
        for expr in dict.fromkeys((*p.match.any, *p.match.all)):
            users[position[expr]].append(n)
        if not p.match.any and not p.match.all:
            everywhere.append(n)
    kept = _present_exprs(con, exprs)
    compiled = regex_set(tuple(kept))
    back = [position[expr] for expr in kept]  # a position in the set -> its position in ``exprs``
    rules = [_Accepts.of(p, position) for p in patterns]
    out: dict[int, list[int]] = defaultdict(list)
    result = con.execute("SELECT mid, message FROM survivor_messages ORDER BY mid")
    while batch := result.fetchmany(MESSAGE_BATCH):
        for mid, message in batch:
            found = {back[i] for i in compiled.matches(message)}
            asked = {n for i in found for n in users.get(i, ())}
            for n in sorted(asked.union(everywhere)):
                if rules[n].accepts(found):
                    out[n].append(int(mid))
    return dict(out)


def _present_exprs(con: Any, exprs: Sequence[str]) -> list[str]:
    """The regexes of ``exprs`` that some survivor message could match: those without atoms, and
    those one of whose atoms (rca/engine/prefilter.py: literals one of which every text a regex
    matches contains) occurs in a message. The others cannot match anything here.

    An RE2 set's compile grows with the library (2,470 regexes: 0.43 CPU-s) and so does the cost of
    each DFA state a message visits (1,811 distinct messages of a bundled sample: 0.29 CPU-s); the
    set of the library's ~3,900 literal atoms compiles and scans in 0.04, and the ~100 regexes whose
    atoms a sample holds compile and run in 0.03. The matches are the same (the atoms' soundness is
    what tests/test_prefilter_atoms.py checks)."""
    table = _atom_table(exprs)
    literals = sorted({atom for own in table if own is not None for atom in own})
    scan = regex_set(tuple(literals))
    seen: set[int] = set()
    result = con.execute("SELECT message FROM survivor_messages")
    while batch := result.fetchmany(MESSAGE_BATCH):
        for (message,) in batch:
            seen.update(scan.matches(message))
    present = {literals[i] for i in seen}
    return [expr for expr, own in zip(exprs, table, strict=True)
            if own is None or not present.isdisjoint(own)]


def _atom_table(exprs: Sequence[str]) -> list[list[str] | None]:
    """For each of ``exprs``, in order, its atoms (`prefilter.atoms`) as RE2 literals (folded ones
    under ``(?i:...)``), or None when it has none; kept in the library cache: deriving them parses
    every regex with Python's parser (0.24 CPU-s over the library), more than a small analysis
    takes to match."""
    key = cache.value_key(_DERIVING, exprs)
    stored = cache.read_value(key, kind="atoms")
    if _is_atom_table(stored, len(exprs)):
        return list(stored)
    table = [_literals(prefilter.atoms(expr)) for expr in exprs]
    cache.write_value(key, table, kind="atoms")
    return table


def _literals(atoms: frozenset[prefilter.Atom] | None) -> list[str] | None:
    """``atoms`` as sorted RE2 literals: escaped text, under ``(?i:...)`` when folded."""
    if atoms is None:
        return None
    return sorted(f"(?i:{prefilter.escape(a.text)})" if a.fold else prefilter.escape(a.text) for a in atoms)


def _is_atom_table(value: Any, size: int) -> bool:
    """Whether ``value`` (read from the cache) is a list of ``size`` string lists or nulls."""
    return isinstance(value, list) and len(value) == size and all(
        own is None or (isinstance(own, list) and all(isinstance(a, str) for a in own)) for own in value)


class _Accepts(NamedTuple):
    """A pattern's message condition over the positions of the regexes a message matched."""

    any: frozenset[int]
    all: frozenset[int]
    none: frozenset[int]

    @classmethod
    def of(cls, p: Pattern, position: dict[str, int]) -> _Accepts:
        m = p.match
        return cls(*(frozenset(position[e] for e in exprs) for exprs in (m.any, m.all, m.none)))

    def accepts(self, found: set[int]) -> bool:
        return ((not self.any or not self.any.isdisjoint(found)) and self.all <= found
                and self.none.isdisjoint(found))


# Survivor rows are turned into Python a batch at a time: a busy service's storm pattern matches
# a million events at 10M entries, and all of them as row tuples at once cost more than the hits.
ROW_BATCH = 10_000


def _batches(con: Any, p: Pattern, mids: list[int]) -> Iterator[list[tuple[Any, ...]]]:
    """The pattern's survivors (message among ``mids``, non-text conditions met), by event id, as
    fetched tuples (`_ROW_COLUMNS`, then `_STACK_COLUMNS`), a batch at a time."""
    where, params = row_where(p)
    result = con.execute(
        f"SELECT {_ROW_COLUMNS}, {_STACK_COLUMNS[p.frames == 'own']} FROM survivors "
        f"WHERE mid IN (SELECT unnest(?::BIGINT[])) AND {where} ORDER BY event_id",
        [mids, *params],
    )
    while batch := result.fetchmany(ROW_BATCH):
        yield batch


def _rows(con: Any, p: Pattern, mids: list[int], shared: dict[str | None, str | None]) -> Iterator[Row]:
    """The pattern's survivors as `Row`s (see `_batches`).

    ``shared`` holds one copy of each instance, revision, runtime and service (a million hits name
    a dozen instances), and a request's done time is its start time's object when they are equal.
    """
    for batch in _batches(con, p, mids):
        for r in batch:
            yield _row(r, shared)


def _row(r: tuple[Any, ...], shared: dict[str | None, str | None]) -> Row:
    """One fetched survivor (`_ROW_COLUMNS`) as a `Row`, its repeated strings shared."""
    (event_id, ts, revision, instance_id, mid, n_members, in_window, service, done_ts, trace, runtime,
     exc_types, exc_messages, frames) = r
    one = shared.setdefault
    return Row(
        event_id, ts, one(revision, revision), one(instance_id, instance_id), mid, n_members,
        in_window, one(service, service), ts if done_ts == ts else done_ts, trace, one(runtime, runtime),
        exc_types, exc_messages, frames,
    )


def _own_code_hit(hit: Hit, row: Row, knowledge: Knowledge) -> Hit | None:
    """``hit`` when the event's stack has a frame of the service's own code (with the exception
    and that frame as its fields); None otherwise."""
    rules = knowledge.runtimes.get(row.runtime or "")
    if rules is None or not row.exc_types or rules.is_consequence(row.exc_types):
        return None
    frame = rules.own_frame(row.frames or ())
    if frame is None:
        return None
    message = (row.exc_messages or [""])[0].strip().split("\n", 1)[0][:200]
    fields = {"exc_type": row.exc_types[0], "frame": frame} | ({"exc_message": message} if message else {})
    return hit._replace(fields=fields)


def _without_companion(con: Any, p: Pattern, rows: Iterable[Row]) -> list[Row]:
    """Keep the openers whose expected companion never came in the same scope in time."""
    assert p.absence is not None
    scope_col = {"instance": "instance_id", "revision": "revision", "service": "service"}[p.absence.scope]
    companions = con.execute(
        f"SELECT {scope_col}, ts FROM survivors WHERE mid IN "
        "(SELECT mid FROM survivor_messages WHERE regexp_matches(message, ?))",
        [p.absence.expect],
    ).fetchall()
    by_scope: dict[Any, list[datetime | None]] = defaultdict(list)
    for scope, ts in companions:
        by_scope[scope].append(ts)
    within = timedelta(seconds=p.absence.within_s)
    kept = []
    for row in rows:
        opened = row.ts
        seen = by_scope.get(getattr(row, scope_col), [])
        if opened is None:
            # untimed (a paste): absent when the companion is nowhere in its scope
            if not seen:
                kept.append(row)
            continue
        if not any(t is not None and opened <= t <= opened + within for t in seen):
            kept.append(row)
    return kept


Facts = dict[int, tuple[dict[str, str], int]]  # message number -> (fields, match position)
_NO_FACTS: tuple[dict[str, str], int] = ({}, -1)
# A pattern that accepts fewer messages than this gets its facts from the Python side
# (`extract_fields`, `match_position`: a search takes microseconds); one that accepts more, from
# DuckDB (`message_facts`: a query and its regex compiles cost milliseconds, then each message a
# fraction of a Python search). Measured on netra (25 patterns, up to 48 messages each): 0.11-0.15 s
# in DuckDB against a few hundredths in Python.
FACTS_IN_SQL_FROM = 200


def _all_facts(con: Any, patterns: Sequence[Pattern], accepted: dict[int, list[int]]) -> dict[int, Facts]:
    """Per pattern index: the facts of the messages it accepted (none for a pattern that neither
    extracts nor is a cause)."""
    wanted = {n: mids for n, mids in accepted.items()
              if mids and (patterns[n].extract or patterns[n].role is Role.CAUSE)}
    few = {n: mids for n, mids in wanted.items() if len(mids) < FACTS_IN_SQL_FROM}
    needed = sorted({mid for mids in few.values() for mid in mids})
    texts = dict(con.execute(
        "SELECT mid, message FROM survivor_messages WHERE mid IN (SELECT unnest(?::BIGINT[]))", [needed]
    ).fetchall()) if needed else {}
    out = {n: {mid: _python_facts(patterns[n], texts[mid]) for mid in mids} for n, mids in few.items()}
    out.update((n, message_facts(con, patterns[n], mids)) for n, mids in wanted.items() if n not in few)
    return out


def _python_facts(p: Pattern, message: str) -> tuple[dict[str, str], int]:
    """The fields a pattern extracts from a message, and where in it the pattern matched, as the
    Python side (`extract_fields`, `match_position`) gives them: `message_facts`' reference."""
    return (extract_fields(p, message) if p.extract else {},
            match_position(p, message) if p.role is Role.CAUSE else -1)


def _hits(p: Pattern, rows: Iterable[Row], facts: Facts, knowledge: Knowledge) -> Iterator[Hit]:
    """One hit per row (``frames: own``: per row with an own-code frame); hits of one message
    share its fields mapping, which nothing mutates."""
    pid = p.id
    own = p.frames == "own"
    for row in rows:
        fields, pos = facts.get(row.mid, _NO_FACTS)
        hit = Hit(pid, row.event_id, row.ts, row.in_window, row.instance_id, row.revision, fields,
                  row.done_ts, row.trace, pos, row.runtime, row.n_members)
        if not own:
            yield hit
        elif (found := _own_code_hit(hit, row, knowledge)) is not None:
            yield found


def _plain_hits(
    p: Pattern, batches: Iterable[list[tuple[Any, ...]]], facts: Facts, shared: dict[str | None, str | None]
) -> Iterator[Hit]:
    """`_hits` of a pattern that needs no `Row` (no ``frames: own``, no absence): each fetched tuple
    straight to its `Hit`, as `_row` and `_hits` would make it. A storm's symptom patterns match
    tens of thousands of request lines each, and the `Row` between cost a third of building them."""
    pid = p.id
    one = shared.setdefault
    for batch in batches:
        for (event_id, ts, revision, instance_id, mid, n_members, in_window, _service, done_ts, trace,
             runtime, *_stack) in batch:
            fields, pos = facts.get(mid, _NO_FACTS)
            yield Hit(pid, event_id, ts, in_window, one(instance_id, instance_id), one(revision, revision),
                      fields, ts if done_ts == ts else done_ts, trace, pos, one(runtime, runtime), n_members)


def message_facts(con: Any, p: Pattern, mids: Sequence[int]) -> Facts:
    """Per message number in ``mids`` (messages ``p``'s regexes accept) that a survivor of ``p``
    carries: the fields ``p`` extracts from the message (only if it has an ``extract``) and where
    in it ``p`` matched (only for a cause; -1 otherwise).

    The same answers as the Python side's `extract_fields` and `match_position` (a test holds
    them equal on the library's examples), from DuckDB's RE2 in one query: a busy service's
    request lines are all distinct (35,000 pattern-message pairs in a 1M-entry hour), and Python's
    regex calls on each cost more than a second. Messages with the same facts come back as one
    row, so they share one fields mapping.

    Each regex is compiled as few times as it can be, since DuckDB compiles per query and a
    regex with counted repeats takes milliseconds: one extraction returns all its groups; the
    position of its first match is the length of the shortest prefix after which it matches
    (``^((?s:.*?))(?:expr)``, whose lazy prefix RE2 tries shortest first), which is '' both at 0
    and with no match, so a regex that need not have matched (one of several ``any``) is also
    tested. An accepted message matched every ``all`` regex and a lone ``any``.
    """
    want_fields, want_pos = bool(p.extract), p.role is Role.CAUSE
    if not (want_fields or want_pos) or not mids:
        return {}
    columns: list[str] = []
    params: list[Any] = []
    groups: list[dict[str, int]] = []  # per extraction column: its named groups' numbers
    exprs = (*p.match.all, *p.match.any)
    for expr in exprs if want_fields else ():
        compiled = compile_re2(expr)
        if compiled.groupindex:
            numbers = ", ".join(f"'g{i}'" for i in range(1, compiled.groups + 1))
            columns.append(f"regexp_extract(message, ?, [{numbers}])")
            params.append(expr)
            groups.append(dict(compiled.groupindex))
    for n, expr in enumerate(exprs) if want_pos else ():
        at = "length(regexp_extract(message, ?, 1))"
        if n >= len(p.match.all) and len(p.match.any) > 1:
            columns.append(f"CASE WHEN regexp_matches(message, ?) THEN {at} END")
            params.append(expr)
        else:
            columns.append(at)
        params.append(f"^((?s:.*?))(?:{expr})")
    where, where_params = row_where(p)
    rows = con.execute(
        f"SELECT list(mid), {', '.join(columns)} FROM survivor_messages WHERE mid IN ("
        f"SELECT mid FROM survivors WHERE mid IN (SELECT unnest(?::BIGINT[])) AND {where}) GROUP BY ALL",
        [*params, list(mids), *where_params],
    ).fetchall()
    facts: Facts = {}
    for r in rows:
        found = _facts(groups, r[1 : 1 + len(groups)], r[1 + len(groups) :])
        facts.update(dict.fromkeys(r[0], found))
    return facts


def _facts(
    groups: list[dict[str, int]], extracted: Sequence[dict[str, str]], starts: Sequence[int | None]
) -> tuple[dict[str, str], int]:
    """Fields (the first non-blank value of each name, in the regexes' order, stripped, sorted by
    name) and the earliest match position (-1 when none), as `extract_fields` and
    `match_position` give them."""
    fields: dict[str, str] = {}
    for named, values in zip(groups, extracted, strict=True):
        for name, number in named.items():
            value = values[f"g{number}"]
            if name not in fields and value and value.strip():
                fields[name] = value.strip()
    return dict(sorted(fields.items())), min((int(s) for s in starts if s is not None), default=-1)


def aggregate(con: Any, patterns: Sequence[Pattern], hits: Sequence[Hit]) -> list[Finding]:
    """Group hits by pattern into findings (incident window only for counts; baseline kept apart)."""
    by_pattern: dict[str, list[Hit]] = defaultdict(list)
    for h in hits:
        by_pattern[h.pattern_id].append(h)
    lookup = {p.id: p for p in patterns}
    weights = entry_weights(con)
    in_window = {pid: [h for h in by_pattern[pid] if h.in_window] for pid in sorted(by_pattern)}
    in_window = {pid: window for pid, window in in_window.items() if window}
    # Every finding's evidence in one query: the `events` view costs a few ms per query.
    wanted = sorted({i for window in in_window.values() for i in _sample_ids(window)})
    loaded = {s.event_id: s for s in samples(con, wanted)}
    findings = []
    for pid, window in in_window.items():
        baseline = _weighed([h for h in by_pattern[pid] if not h.in_window], weights)
        findings.append(_finding(lookup[pid], window, baseline, weights, loaded))
    return findings


def entry_weights(con: Any) -> dict[int, float]:
    """Entries read as a sample and how many each stands for (the store's `entry_weights`, set by
    a sampled live fetch); empty when every entry was read."""
    found = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'entry_weights'").fetchone()
    if not found or not found[0]:
        return {}
    rows = con.execute("SELECT entry_id, weight FROM entry_weights").fetchall()
    return {int(i): float(w) for i, w in rows}


def _weighed(hits: Sequence[Hit], weights: dict[int, float]) -> int:
    """How many matches the hits stand for: each sampled one counts as its weight."""
    if not weights:
        return len(hits)
    return round(sum(weights.get(h.event_id, 1.0) for h in hits))


def _finding(
    p: Pattern, hits: list[Hit], baseline: int, weights: dict[int, float], loaded: dict[int, Sample]
) -> Finding:
    timed = [h.ts for h in hits if h.ts is not None]
    field_counts: dict[str, dict[str, float]] = defaultdict(dict)
    for h in hits:
        for k, v in h.fields.items():
            field_counts[k][v] = field_counts[k].get(v, 0.0) + weights.get(h.event_id, 1.0)
    return Finding(
        pattern_id=p.id,
        category=p.category,
        layer=p.layer,
        role=p.role,
        title=p.title,
        count=_weighed(hits, weights),
        first_seen=rfc3339(min(timed)) if timed else None,
        last_seen=rfc3339(max(timed)) if timed else None,
        samples=tuple(_with_excerpt(p, loaded[i]) for i in _sample_ids(hits) if i in loaded),
        fields={k: tuple(v for v, _ in sorted(c.items(), key=lambda vn: vn[1], reverse=True))
                for k, c in sorted(field_counts.items())},
        field_counts={k: {v: round(n) for v, n in c.items()} for k, c in sorted(field_counts.items())},
        revisions=tuple(sorted({h.revision for h in hits if h.revision})),
        instances=tuple(sorted({h.instance_id for h in hits if h.instance_id})),
        event_ids=tuple(h.event_id for h in hits),
        baseline_count=baseline,
        incident_count=_weighed(hits, weights),
    )


def _sample_ids(hits: list[Hit]) -> list[int]:
    """First, last, and the first on a revision not yet shown: representative, deterministic."""
    chosen = [hits[0].event_id]
    shown = {hits[0].revision}
    for h in hits[1:]:
        if len(chosen) >= SAMPLES_PER_FINDING - 1:
            break
        if h.revision not in shown:
            chosen.append(h.event_id)
            shown.add(h.revision)
    if hits[-1].event_id not in chosen:
        chosen.append(hits[-1].event_id)
    return chosen


def excerpt(p: Pattern, text: str, context: int = 1) -> str:
    """The lines of a multi-line event where the pattern matched: the proof, not the whole dump.

    A match spanning a traceback shows its first and last lines (with one line of context
    each) and elides the frames between; caret marker lines are left out.
    """
    if "\n" not in text:
        return ""
    for expr in (*p.match.any, *p.match.all):
        m = compile_re2(expr).search(text)
        if m is None:
            continue
        lines = text.split("\n")
        first = text.count("\n", 0, m.start())
        last = text.count("\n", 0, max(m.start(), m.end() - 1))
        if last - first <= 2 * context + 1:
            return "\n".join(_lines(lines, first - context, last + context))
        return "\n".join([*_lines(lines, first - context, first + context), "…",
                          *_lines(lines, last - context, last + context)])
    return ""


def _lines(lines: list[str], lo: int, hi: int) -> list[str]:
    """lines[lo..hi] (inclusive, clipped), without caret marker lines."""
    return [ln for ln in lines[max(0, lo) : hi + 1] if not CARET_LINE.match(ln)]


def _with_excerpt(p: Pattern, s: Sample) -> Sample:
    return replace(s, excerpt=excerpt(p, s.message), pattern_id=p.id)


def samples(con: Any, event_ids: Sequence[int]) -> tuple[Sample, ...]:
    """Load the events with these ids as evidence samples, in the order given."""
    if not event_ids:
        return ()
    rows = con.execute(
        f"SELECT {_EVENT_COLUMNS} FROM events WHERE event_id IN ({', '.join('?' for _ in event_ids)})",
        list(event_ids),
    ).fetchall()
    by_id = {int(r[0]): r for r in rows}
    return tuple(_sample(by_id[i]) for i in event_ids if i in by_id)


def _sample(r: tuple[Any, ...]) -> Sample:
    return Sample(
        event_id=int(r[0]),
        timestamp=rfc3339(r[1]),
        insert_id=r[2],
        log_name=r[3],
        log_id=r[4],
        revision=r[5],
        instance_id=r[6],
        message=str(r[7]),
        member_ids=tuple(int(x) for x in (r[8] or [r[0]])),
    )
