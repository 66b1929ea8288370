"""The matcher's prefilter: relaxed counted repetitions keep every event a pattern can match."""

from __future__ import annotations

import duckdb
import pytest

from rca.engine.match import prefilter_chunks, relax_repeats
from rca.engine.prefilter import pack
from rca.library.loader import load_library


@pytest.mark.parametrize(("expr", "relaxed"), [
    (r"a[^\n]{0,200}b", r"a[^\n]{0,}b"),
    (r"x{1,300}?y", r"x{1,}?y"),
    (r"(?:ab){40,}", r"(?:ab)*"),
    (r"\d{2,5}", r"\d{2,5}"),  # small counts stay
    (r"\{1,200}", r"\{1,200}"),  # an escaped brace is text
    (r"[{]{0,50}", r"[{]{0,}"),
    (r"[]{1,50}]", r"[]{1,50}]"),  # `]` first in a class is a literal: the braces are inside it
    (r"[[:alpha:]{]{0,20}", r"[[:alpha:]{]{0,}"),
])
def test_relax_repeats(expr: str, relaxed: str) -> None:
    """Counts above the limit lose their upper bound; escapes and classes are left alone."""
    assert relax_repeats(expr) == relaxed


def test_prefilter_keeps_every_example_line_of_the_library() -> None:
    """Every sourced example line a pattern's regexes match passes the (relaxed, chunked) prefilter,
    in DuckDB's RE2 as the matcher runs it."""
    patterns = load_library().patterns
    con = duckdb.connect()
    con.execute("CREATE TABLE m (id INTEGER, message VARCHAR)")
    lines = [line for p in patterns for line in p.examples_match]
    con.executemany("INSERT INTO m VALUES (?, ?)", list(enumerate(lines)))
    chunks = prefilter_chunks(patterns)
    where = " OR ".join("regexp_matches(message, ?)" for _ in chunks)
    exact = {p.id: [*p.match.any, *p.match.all] for p in patterns}
    any_regex = " OR ".join("regexp_matches(message, ?)" for p in patterns for _ in exact[p.id])
    params = [e for p in patterns for e in exact[p.id]]
    matchable = {i for (i,) in con.execute(f"SELECT id FROM m WHERE {any_regex}", params).fetchall()}
    kept = {i for (i,) in con.execute(f"SELECT id FROM m WHERE {where}", chunks).fetchall()}
    assert len(matchable) > 100
    assert matchable <= kept


def test_alternations_are_as_few_as_the_limit_allows_and_balanced() -> None:
    """Parts that fill three alternations and spill a little into a fourth are packed into four of
    about equal length, none over the limit, every part once and in order: a pass over the messages
    costs about the same whatever it holds, so no pass is spent on a few leftovers."""
    parts = [f"atom{i:04d}" + "x" * 90 for i in range(250)]  # 250 parts of 98 chars: 24,750 with the bars
    chunks = pack(parts, 8000)
    assert len(chunks) == 4
    assert max(len(c) for c in chunks) - min(len(c) for c in chunks) <= 200
    assert all(len(c) <= 8000 for c in chunks)
    assert "|".join(chunks).split("|") == parts
    assert pack(["a" * 9000, "b"], 8000) == ["a" * 9000, "b"]  # a longer part alone
