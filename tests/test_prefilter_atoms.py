"""The atom prefilter (rca/engine/prefilter.py) is sound: whatever a library regex matches passes it.

Two levels are checked. Per expression, in RE2 (google-re2, the engine DuckDB embeds): a line an
expression matches also matches that expression's own prefilter alternatives (its atoms, or its
relaxed regex when it has none), so no expression leans on another's atoms. As a whole, in DuckDB:
a line any library regex matches passes the matcher's prefilter chunks as `_survivors` runs them.
Lines: every library example, every sample's messages as the readers and `build_events` make them,
and Loghub's 2k lines of 16 systems (skipped when absent), plus generated strings (hypothesis).
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb
import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rca.engine import prefilter
from rca.engine.match import prefilter_chunks, relax_repeats, strip_names
from rca.engine.prefilter import Atom, atoms
from rca.engine.store import Store
from rca.engine.tracebacks import build_events
from rca.library.loader import load_library
from rca.model import Pattern
from rca.sources.files import read_input
from rca.sources.problems import Problems

ROOT = Path(__file__).resolve().parents[1]
LOGHUB = ROOT.parent / "shared" / "data" / "loghub2k"
SAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix in (".json", ".log", ".ndjson"))


def _exprs(p: Pattern) -> list[str]:
    """A pattern's expressions, as the prefilter takes them (relaxed, unnamed)."""
    own = [*p.match.any, *p.match.all, *([p.absence.expect] if p.absence is not None else [])]
    return [relax_repeats(strip_names(e)) for e in own]


@functools.cache
def _library() -> tuple[list[str], list[str]]:
    """Every library expression (exact, as the patterns run it) and the relaxed form of each."""
    exact: list[str] = []
    relaxed: list[str] = []
    for p in load_library().patterns:
        own = [*p.match.any, *p.match.all, *([p.absence.expect] if p.absence is not None else [])]
        exact.extend(own)
        relaxed.extend(relax_repeats(strip_names(e)) for e in own)
    return exact, relaxed


@functools.cache
def _own_filter(expr: str) -> re2._Regexp:
    """One expression's prefilter alternatives as one RE2 regex."""
    return re2.compile("|".join(prefilter.alternation_parts([expr])))


def _exact_set() -> re2.Set:
    """Every exact library expression in one RE2 set, to find which ones match a line."""
    exact, _ = _library()
    options = re2.Options()
    options.max_mem = 1 << 30  # the default budget is too small for 667 expressions at once
    found = re2.Set.SearchSet(options)
    for expr in exact:
        found.Add(expr)
    found.Compile()
    return found


def _unsound(lines: list[str]) -> list[tuple[str, str]]:
    """(expression, line) pairs where the expression matches the line but its own prefilter misses."""
    exact, relaxed = _library()
    matcher = _exact_set()
    misses: list[tuple[str, str]] = []
    for line in lines:
        for i in matcher.Match(line) or ():
            if not _own_filter(relaxed[i]).search(line):
                misses.append((exact[i], line))
    return misses


def _duckdb_misses(lines: list[str]) -> list[str]:
    """Lines some library regex matches (RE2) that the matcher's whole prefilter drops (DuckDB)."""
    matcher = _exact_set()
    matchable = [line for line in lines if matcher.Match(line)]
    chunks = prefilter_chunks(load_library().patterns)
    con = duckdb.connect()
    con.execute("CREATE TABLE m (id INTEGER, message VARCHAR)")
    con.executemany("INSERT INTO m VALUES (?, ?)", list(enumerate(matchable)))
    where = " OR ".join("regexp_matches(message, ?)" for _ in chunks)
    kept = {i for (i,) in con.execute(f"SELECT id FROM m WHERE {where}", chunks).fetchall()}
    return [line for i, line in enumerate(matchable) if i not in kept]


def _sample_messages() -> list[str]:
    """The `message` of every event of every sample, read and re-joined as an analysis does."""
    messages: list[str] = []
    for path in SAMPLES:
        store = Store()
        try:
            read_input(str(path), store, Problems(), store.scratch)
            store.finalise(None, None, None, None)
            build_events(store.con)
            rows = store.con.execute("SELECT message FROM events WHERE message IS NOT NULL").fetchall()
            messages.extend(str(m) for (m,) in rows)
        finally:
            store.close()
    return messages


def _loghub_lines() -> list[str]:
    """Loghub's 2k-line logs, one message per line."""
    files = sorted(LOGHUB.glob("*/*_2k.log"))
    if not files:
        pytest.skip(f"Loghub data not present at {LOGHUB}")
    return [line for f in files for line in f.read_text(encoding="utf-8", errors="replace").splitlines()]


@pytest.mark.parametrize(("expr", "expected"), [
    (r"(?i)too many (clients|conn)", {Atom("too many clients", True), Atom("too many conn", True)}),
    (r"ConnectionDoesNotExistError", {Atom("ConnectionDoesNotExistError", False)}),
    (r"\bstart-?up timed out", {Atom("start-up timed out", False), Atom("startup timed out", False)}),
    (r"x(?i:Deadline Exceeded)", {Atom("xDeadline Exceeded", True)}),  # folding spreads: a superset
    (r"(?:abc|defghij)klmnopq", {Atom("abcklmnopq", False), Atom("defghijklmnopq", False)}),
    (r"(?:ab|\d)klmnopq", {Atom("klmnopq", False)}),  # a digit is not a known text: the run restarts
    (r"(?:SIGKILL|SIGTERM): (?P<x>\w+)", {Atom("SIGKILL: ", False), Atom("SIGTERM: ", False)}),
])
def test_atoms_of_known_shapes(expr: str, expected: set[Atom]) -> None:
    """Literal runs, small alternations, optional parts and case folding give the atoms they imply."""
    assert atoms(expr) == expected


@pytest.mark.parametrize("expr", [
    r"\pL+ failed to connect",  # RE2-only class
    r"[[:alpha:]]+ failed to connect",  # POSIX class, which Python reads as a set and a "]"
    r"\Qa.b\E failed to connect",  # RE2 quoting
    r"failed (?i)to connect anywhere",  # flags mid-pattern
    r"x{,3}failed to connect",  # RE2 reads `{,3}` as text, Python as a repeat
    r"(?:connection refused|ab)",  # a branch without a long literal
    r"\d+ \w+ [a-z]+",  # no literal at all
    r"(?x) failed to connect",  # verbose mode
    r"failed(?=x) to connect",  # not RE2 at all
    r"(",  # not a regex
])
def test_unsure_or_weak_regexes_get_no_atoms(expr: str) -> None:
    """A construct the parser and RE2 may read differently, or a too-short literal, keeps the regex."""
    assert atoms(expr) is None
    assert prefilter.alternation_parts([expr]) == [f"(?:{expr})"]


def test_most_library_expressions_have_atoms() -> None:
    """The atoms are worth having: all but a few library expressions are tested by literals."""
    _, relaxed = _library()
    without = [e for e in relaxed if atoms(e) is None]
    assert len(relaxed) > 500
    assert len(without) < len(relaxed) // 20


def test_library_examples_pass_their_own_atoms() -> None:
    """Every sourced example line a pattern's expression matches passes that expression's filter."""
    patterns = load_library().patterns
    lines = [line for p in patterns for line in p.examples_match]
    assert len(lines) > 300
    misses = [
        (e, line) for p in patterns for line in p.examples_match for e in _exprs(p)
        if re2.search(e, line) and not _own_filter(e).search(line)
    ]
    assert misses == []
    assert _unsound(lines) == []


def test_library_examples_pass_the_prefilter_in_duckdb() -> None:
    """And the matcher's prefilter, as DuckDB runs it, keeps every one of them."""
    lines = [line for p in load_library().patterns for line in (*p.examples_match, *p.examples_no_match)]
    assert _duckdb_misses(lines) == []


def test_sample_messages_are_kept() -> None:
    """Every sample event any library regex matches passes its expressions' filters and the prefilter."""
    messages = _sample_messages()
    assert len(messages) > 1000
    assert _unsound(messages) == []
    assert _duckdb_misses(messages) == []


def test_loghub_lines_are_kept() -> None:
    """The same over 32k lines of 16 real systems, text the library was not written for."""
    lines = _loghub_lines()
    assert _unsound(lines) == []
    assert _duckdb_misses(lines) == []


# Texts RE2 folds onto ASCII letters under (?i): the long s, the Kelvin sign, the Angstrom sign.
_FOLDS = {"s": "ſ", "S": "ſ", "k": "\u212a", "K": "\u212a", "å": "\u212b", "Å": "\u212b"}


@st.composite
def _around(draw: st.DrawFn) -> tuple[str, str]:
    """A library expression with atoms and a text built around a string it matches: noise on both
    sides, and letters re-cased or swapped for their non-ASCII case folds."""
    _, relaxed = _library()
    expr = draw(st.sampled_from([e for e in relaxed if atoms(e) is not None]))
    core = draw(st.from_regex(expr, fullmatch=False, alphabet=st.characters(codec="utf-8")))
    flips = draw(st.lists(st.booleans(), min_size=len(core), max_size=len(core)))
    swapped = "".join(
        (_FOLDS.get(c, c.swapcase()) if flip else c) for c, flip in zip(core, flips, strict=True)
    )
    noise = st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
    return expr, draw(noise) + draw(st.sampled_from([core, swapped])) + draw(noise)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(_around())
def test_generated_texts_a_regex_matches_pass_its_atoms(case: tuple[str, str]) -> None:
    """Property: for text built around an expression's matches, RE2 matching the expression implies
    RE2 matching its prefilter alternatives."""
    expr, text = case
    if re2.search(expr, text):
        assert _own_filter(expr).search(text), (expr, text)
