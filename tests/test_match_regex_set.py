"""The matcher's RE2 set (`match._matching_messages`) accepts exactly the messages each pattern's own
regexes accept in DuckDB (`match.message_where`, RE2 inside DuckDB), on the library's example lines
(matching and not), on lines that hold several patterns' words at once, and on Loghub's real logs
where the data is there: the set is a faster way to the same answer, never another answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
import re2

from rca.engine import match
from rca.library.loader import load_library
from rca.library.re2check import RegexSet
from rca.model import Match, Pattern

PATTERNS = load_library().patterns
LOGHUB = Path(__file__).resolve().parents[2] / "shared" / "data" / "loghub2k"


def _lines() -> list[str]:
    examples = {line for p in PATTERNS for line in (*p.examples_match, *p.examples_no_match)}
    ordered = sorted(examples)
    # several failures in one message (a traceback's chain, a line quoting another)
    joined = ["\n".join(ordered[i : i + 5]) for i in range(0, len(ordered), 5)]
    loghub = sorted({line for f in sorted(LOGHUB.glob("*/*_2k.log")) for line in f.read_text(
        encoding="utf-8", errors="replace").splitlines()}) if LOGHUB.is_dir() else []
    return ordered + joined + loghub


def _connection(lines: list[str]) -> Any:
    con = duckdb.connect()
    con.execute("CREATE TABLE survivor_messages AS SELECT unnest(range(1, ?)) AS mid, unnest(?) AS message",
                [len(lines) + 1, lines])
    return con


def _in_duckdb(con: Any, p: Pattern) -> list[int]:
    where, params = match.message_where(p)
    return [int(m) for (m,) in con.execute(
        f"SELECT mid FROM survivor_messages WHERE {where} ORDER BY mid", params).fetchall()]


def test_the_set_accepts_what_duckdb_accepts_for_every_pattern() -> None:
    lines = _lines()
    con = _connection(lines)
    accepted = match._matching_messages(con, PATTERNS)
    compared = 0
    for n, p in enumerate(PATTERNS):
        expected = _in_duckdb(con, p)
        assert accepted.get(n, []) == expected, p.id
        compared += len(expected)
    assert compared >= len({line for p in PATTERNS for line in p.examples_match})


def _pattern(any_: tuple[str, ...] = (), all_: tuple[str, ...] = (), none: tuple[str, ...] = ()) -> Pattern:
    base = PATTERNS[0]
    return replace(base, match=Match(any=any_, all=all_, none=none))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (_pattern(any_=("alpha", "beta")), [1, 2, 3]),
        (_pattern(all_=("alpha", "beta")), [3]),
        (_pattern(any_=("alpha",), none=("beta",)), [1]),
        (_pattern(none=("alpha",)), [2, 4]),  # no any/all regex: decided on every message
        (_pattern(), [1, 2, 3, 4]),
    ],
)
def test_any_all_and_none_combine_as_in_sql(pattern: Pattern, expected: list[int]) -> None:
    con = _connection(["alpha", "beta", "alpha beta", "gamma"])
    assert match._matching_messages(con, [pattern]).get(0, []) == expected == _in_duckdb(con, pattern)


def test_a_set_compile_failure_raises_instead_of_matching_nothing() -> None:
    with pytest.raises(re2.error):
        RegexSet(["(unclosed"])
