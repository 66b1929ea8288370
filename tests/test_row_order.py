"""The analysis does not depend on the physical order of the `entries` table.

`Store.finalise` writes `entries` without sorting the wide rows (the sort cost more than the
normalising at a million entries), so every reader that needs an order must ask for one. Here the
table is rewritten in a scrambled order between loading and analysis; the JSON report must be the
same, byte for byte, as from the table as loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rca import api
from rca.errors import NoEntriesError
from rca.report.render import json_report
from tests.incidents import all_cases
from tests.suite import split

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLES = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in {".json", ".log"})
INCIDENTS = all_cases()


def _report(loaded: api.Loaded, scramble: bool) -> str:
    if scramble:
        con = loaded.store.con
        before = con.execute("SELECT list(entry_id) FROM entries").fetchone()
        con.execute(
            "CREATE OR REPLACE TABLE entries AS SELECT * FROM entries ORDER BY hash(entry_id), entry_id"
        )
        after = con.execute("SELECT list(entry_id) FROM entries").fetchone()
        assert before is not None and after is not None
        if len(before[0]) > 2:
            assert before[0] != after[0], "the scramble must change the order"
    analysis = api.analyze(loaded)
    return json.dumps(json_report(analysis.result), sort_keys=True)


def _both(load: Any) -> tuple[str, str]:
    return _report(load(), scramble=False), _report(load(), scramble=True)


@pytest.mark.parametrize("name", split(SAMPLES, {"billing-api-2025-10-02.json"}))
def test_samples_do_not_depend_on_row_order(name: str) -> None:
    """A bundled sample gives the same report from a scrambled `entries` table."""
    plain, scrambled = _both(lambda: api.load([EXAMPLES / name], since="1h"))
    assert plain == scrambled


@pytest.mark.parametrize("name", split(sorted(INCIDENTS), {"py_inner_sqlalchemy_refused"}))
def test_incidents_do_not_depend_on_row_order(name: str, tmp_path: Path) -> None:
    """A constructed incident gives the same report from a scrambled `entries` table."""
    entries, expected = INCIDENTS[name]()
    path = tmp_path / "incident.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    service = expected.get("service_arg", expected["service"])
    if expected.get("exit_code", 0) != 0:  # a mistyped service: loading stops, whatever the order
        with pytest.raises(NoEntriesError):
            api.load([path], since="2h", service=service)
        return
    plain, scrambled = _both(lambda: api.load([path], since="2h", service=service))
    assert plain == scrambled
