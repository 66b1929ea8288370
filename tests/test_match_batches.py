"""The matcher and the unexplained signals read big results a batch at a time and share repeated
values (a storm brings a million matches): what they return must not depend on either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rca import api
from rca.engine import match
from rca.library.loader import load_library
from rca.mining import signals

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ["netra-backend-staging-2025-09-15.json", "search-api-unknown-2025-07-30.json"]
PATTERNS = load_library().patterns


def _events(sample: str) -> Any:
    """A connection whose `events` hold one sample export, re-joined tracebacks included."""
    loaded = api.load([str(ROOT / "examples" / sample)])
    api.build_events(loaded)
    return loaded.store.con


@pytest.mark.parametrize("sample", SAMPLES)
def test_hits_do_not_depend_on_the_batch_size(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows fetched three at a time give the same hits, in the same order, as one batch."""
    whole = match.match_events(_events(sample), PATTERNS)
    monkeypatch.setattr(match, "ROW_BATCH", 3)
    assert match.match_events(_events(sample), PATTERNS) == whole
    assert len(whole) > 10


@pytest.mark.parametrize("sample", SAMPLES)
def test_hit_members_are_the_entries_of_its_event(sample: str) -> None:
    """`Hit.members` is the event's `n_members` (what the stats count as matched entries)."""
    con = _events(sample)
    hits = match.match_events(con, PATTERNS)
    members = dict(con.execute("SELECT event_id, n_members FROM events").fetchall())
    assert all(h.members == members[h.event_id] for h in hits)
    assert any(h.members > 1 for h in hits)  # a re-joined traceback stands for several lines


def test_repeated_values_are_one_object_and_survivor_tables_are_dropped() -> None:
    """Hits on one instance share its name; a done time equal to the start is the start's object;
    the matcher's temporary tables are gone once it returns."""
    con = _events(SAMPLES[0])
    hits = match.match_events(con, PATTERNS)
    by_value: dict[str, str] = {}
    for h in hits:
        if h.instance_id is not None:
            assert by_value.setdefault(h.instance_id, h.instance_id) is h.instance_id
        if h.done_ts is not None and h.done_ts == h.ts:
            assert h.done_ts is h.ts
    assert len(by_value) >= 1 and len(hits) > len(by_value)
    left = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not left & {"survivors", "survivor_messages", "survivor_rows"}


@pytest.mark.parametrize("sample", SAMPLES)
def test_signal_candidates_do_not_depend_on_the_batch_size(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Candidates fetched two at a time, explained ones dropped per batch, are the same rows; an
    explained list and an explained set drop the same events."""
    con = _events(sample)
    explained = sorted({h.event_id for h in match.match_events(con, PATTERNS)})
    everything = list(signals.candidate_rows(con, []))
    whole = list(signals.candidate_rows(con, set(explained)))
    monkeypatch.setattr(signals, "CANDIDATE_BATCH", 2)
    assert list(signals.candidate_rows(con, explained)) == whole
    assert list(signals.candidate_rows(con, [])) == everything
    assert len(whole) < len(everything)


@pytest.mark.parametrize("sample", SAMPLES)
def test_hits_do_not_depend_on_where_the_facts_are_worked_out(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fields and match positions from the Python side (few messages) and from DuckDB (many) give
    the same hits."""
    monkeypatch.setattr(match, "FACTS_IN_SQL_FROM", 10**9)
    in_python = match.match_events(_events(sample), PATTERNS)
    monkeypatch.setattr(match, "FACTS_IN_SQL_FROM", 0)
    assert match.match_events(_events(sample), PATTERNS) == in_python
    assert any(h.fields for h in in_python) and any(h.pos > 0 for h in in_python)


@pytest.mark.parametrize("sample", SAMPLES)
def test_hits_do_not_depend_on_the_prefilter_chosen(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The literal-atom prefilter (big inputs), the regex one (middling) and none (small: every
    event survives) keep supersets of the same matches: the hits are equal."""
    monkeypatch.setattr(match, "PREFILTER_FROM_ENTRIES", 0)
    monkeypatch.setattr(match, "ATOMS_FROM_ENTRIES", 0)
    with_atoms = match.match_events(_events(sample), PATTERNS)
    monkeypatch.setattr(match, "ATOMS_FROM_ENTRIES", 10**12)
    assert match.match_events(_events(sample), PATTERNS) == with_atoms
    monkeypatch.setattr(match, "PREFILTER_FROM_ENTRIES", 10**12)
    assert match.match_events(_events(sample), PATTERNS) == with_atoms
    assert len(with_atoms) > 10


@pytest.mark.parametrize("sample", SAMPLES)
def test_plain_patterns_hits_are_those_of_the_row_path(sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern with no own-frame rule and no absence takes its fetched tuples straight to hits
    (`_plain_hits`); through `Row`s and `_hits`, the general path, they are the same hits."""
    fast = match.match_events(_events(sample), PATTERNS)
    general = match._hits

    def plain_via_rows(p: Any, batches: Any, facts: Any, shared: Any) -> Any:
        rows = (match._row(r, shared) for batch in batches for r in batch)
        return general(p, rows, facts, None)  # type: ignore[arg-type]  # no own frames: unused

    monkeypatch.setattr(match, "_plain_hits", plain_via_rows)
    assert match.match_events(_events(sample), PATTERNS) == fast
    assert len(fast) > 10
