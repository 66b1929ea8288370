"""Golden pattern cases (tests/golden/patterns/<id>/) run through the real reader, normaliser and matcher.

These pin what a pattern's own message examples cannot: conditions on the log id, the HTTP
status, the resource type and messages the normaliser synthesises.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rca import api
from rca.engine.match import match_events
from rca.library.loader import load_library

GOLDEN = Path(__file__).resolve().parent / "golden" / "patterns"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


@pytest.mark.parametrize("pattern_id", CASES)
def test_golden_case(pattern_id: str) -> None:
    """The pattern matches exactly the expected entries of its golden file, with the expected fields."""
    expected = json.loads((GOLDEN / pattern_id / "expected.json").read_text())
    loaded = api.load([str(GOLDEN / pattern_id / "entries.json")])
    api.build_events(loaded)
    pattern = load_library().by_id(pattern_id)
    hits = match_events(loaded.store.con, [pattern])
    ids = loaded.store.con.execute(
        "SELECT insert_id FROM events WHERE event_id IN (SELECT unnest(?::BIGINT[])) ORDER BY insert_id",
        [[h.event_id for h in hits]],
    ).fetchall()
    fields: dict[str, set[str]] = {}
    for h in hits:
        for name, value in h.fields.items():
            fields.setdefault(name, set()).add(value)
    assert expected["matched_insert_ids"] == [i for (i,) in ids]
    assert expected["fields"] == {k: sorted(v) for k, v in sorted(fields.items())}


def test_every_golden_folder_names_a_pattern() -> None:
    """A golden folder is named after an existing pattern id (one name through every layer)."""
    known = {p.id for p in load_library().patterns}
    assert set(CASES) <= known
