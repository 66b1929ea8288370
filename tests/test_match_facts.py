"""The fields and match position the matcher works out in DuckDB (`match.message_facts`) are the
ones the Python side gives for one line (`extract_fields`, `match_position`): on the library's
example lines, for every pattern that extracts fields or is a cause, and on the edges of the
position trick (text before the match in other scripts, several lines, groups that take no part)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import duckdb
import pytest

from rca.engine import match
from rca.library.loader import load_library, message_matches
from rca.model import Category, Layer, Match, Pattern, Role, Severity

PATTERNS = load_library().patterns
LINES = sorted({line for p in PATTERNS for line in (*p.examples_match, *p.examples_no_match)})


def _messages(lines: list[str]) -> Any:
    """A connection whose survivor tables hold ``lines`` (message number = position + 1), with no
    row values: the patterns given to `message_facts` here have no row conditions."""
    con = duckdb.connect()
    con.execute("CREATE TABLE survivor_messages AS SELECT unnest(range(1, ?)) AS mid, unnest(?) AS message",
                [len(lines) + 1, lines])
    con.execute("CREATE TABLE survivors AS SELECT mid FROM survivor_messages")
    return con


def _text_only(p: Pattern) -> Pattern:
    """``p`` without its log id, resource, status and severity conditions."""
    text = replace(p.match, log_id=(), resource_type=(), http_status=None, min_severity=None,
                   min_stated_severity=None)
    return replace(p, match=text)


def _compare(con: Any, patterns: list[Pattern], lines: list[str], mids: list[int]) -> int:
    """Assert SQL and Python agree for every pattern on the lines numbered ``mids`` (in
    `_messages(lines)`) that it accepts, as `message_facts` is called; return how many pairs had
    a fact."""
    found = 0
    for p in patterns:
        accepted = [mid for mid in mids if message_matches(p, lines[mid - 1])]
        facts = match.message_facts(con, _text_only(p), accepted)
        for mid in accepted:
            expected = match._python_facts(p, lines[mid - 1])  # the reference
            assert facts.get(mid, ({}, -1)) == expected, (p.id, lines[mid - 1])
            found += expected != ({}, -1)
    return found


def test_library_lines_get_the_python_facts_of_every_pattern() -> None:
    """Each pattern on its own example lines and on every fifth line of the library."""
    con = _messages(LINES)
    number = {line: n for n, line in enumerate(LINES, start=1)}
    found = 0
    for p in PATTERNS:
        if p.extract or p.role is Role.CAUSE:
            own = {number[line] for line in (*p.examples_match, *p.examples_no_match)}
            found += _compare(con, [p], LINES, sorted(own | set(range(1, len(LINES) + 1, 5))))
    assert found > 200  # the comparison saw real fields and positions


def _pattern(*any_: str, role: Role = Role.CAUSE, extract: bool = True) -> Pattern:
    return Pattern(
        id="t", area="t", title="t", category=Category.UNKNOWN, layer=Layer.APPLICATION,
        severity=Severity.ERROR, role=role, match=Match(any=any_), why="t",
        extract={"x": "str"} if extract else {},
    )


@pytest.mark.parametrize(
    ("exprs", "line"),
    [
        (("(?P<x>refused)",), "Verbindung für Ä🙂 e\u0301: refused"),  # code points, not bytes or glyphs
        (("^(?P<x>a)", "(?P<x>b)"), "a\nb"),  # `^` inside the prefix regex is still the text's start
        (("(?m)^(?P<x>b)",), "a\nb"),
        (("a.(?P<x>b)", "(?P<x>b)"), "a\nb"),  # `.` does not cross a line: only the second matches
        (("(?s)a.(?P<x>b)",), "a\nb"),
        (("(?P<x> +)z", "(?P<x>y)"), "  z y"),  # a blank value gives way to the next regex's
        (("(?P<x>q)|(?P<y>z)",), "only z"),  # a group that takes no part
        (("(a)(?P<x>b)", "(?i)(?P<y>C)"), "xxab abc"),  # unnamed groups count in the numbering
        (("qqq(?P<x>a)", "(?P<x>b)"), "ab"),  # one of several `any` regexes did not match
        (("b", "a"), "ab"),  # the earliest of several
    ],
)
def test_edges_of_fields_and_positions(exprs: tuple[str, ...], line: str) -> None:
    assert message_matches(_pattern(*exprs), line)  # else the comparison below would be empty
    for role in (Role.CAUSE, Role.SYMPTOM):
        for extract in (True, False):
            lines = [line, "padding " + line]
            _compare(_messages(lines), [_pattern(*exprs, role=role, extract=extract)], lines, [1, 2])


def test_messages_with_the_same_facts_share_one_mapping() -> None:
    p = _pattern("status (?P<x>5\\d\\d)", role=Role.SYMPTOM)
    con = _messages(["GET / status 503 1.2s", "GET / status 503 9.9s", "GET / status 502 0.1s"])
    facts = match.message_facts(con, p, [1, 2, 3])
    assert facts[1] == ({"x": "503"}, -1) and facts[1][0] is facts[2][0]
    assert facts[3] == ({"x": "502"}, -1)
