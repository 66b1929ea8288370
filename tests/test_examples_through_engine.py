"""Every pattern's sourced example lines, read by the real reader and matched by the real engine.

tests/test_patterns.py runs the regexes in Python; this runs the same lines as Cloud Logging
entries through the DuckDB reader, normaliser, traceback re-joining and the SQL matcher, with the
log id, resource type, HTTP status and severity each pattern requires, so a pattern whose conditions
its own examples could never meet, or a regex DuckDB's RE2 reads differently, fails here.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from rca import api
from rca.engine.match import match_events
from rca.library.loader import load_library
from rca.model import Pattern

LIBRARY = load_library()
T0 = datetime(2025, 1, 1)


def entry(pattern: Pattern, line: str, n: int) -> dict[str, Any]:
    """One LogEntry carrying ``line`` that meets the pattern's own conditions, alone on its instance."""
    m = pattern.match
    log_id = (m.log_id[0].rstrip("*") + ("x" if m.log_id[0].endswith("*") else "")) if m.log_id else (
        "run.googleapis.com/stderr")
    out: dict[str, Any] = {
        "insertId": f"{pattern.id}-{n}",
        "timestamp": (T0 + timedelta(hours=n)).isoformat() + "Z",
        "logName": "projects/p/logs/" + log_id.replace("/", "%2F"),
        "resource": {"type": m.resource_type[0] if m.resource_type else "cloud_run_revision",
                     "labels": {"service_name": "svc"}},
        "labels": {"instanceId": f"instance-{n}"},
        "severity": "CRITICAL",
        "textPayload": line,
    }
    if m.http_status is not None:
        out["httpRequest"] = {"requestMethod": "GET", "requestUrl": "https://svc/x",
                              "status": m.http_status[0]}
    return out


CASES = [(p, i, line) for p in LIBRARY.patterns if p.absence is None and p.frames is None
         for i, line in enumerate(p.examples_match)]


@pytest.fixture(scope="module")
def matched(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """insertIds each pattern matched when every example line is loaded as one export."""
    path = tmp_path_factory.mktemp("examples") / "examples.ndjson"
    entries = [entry(p, line, n) for n, (p, _, line) in enumerate(CASES)]
    path.write_text("\n".join(json.dumps(e) for e in entries) + "\n", encoding="utf-8")
    loaded = api.load([str(path)])
    api.build_events(loaded)
    hits = match_events(loaded.store.con, LIBRARY.patterns)
    ids = dict(loaded.store.con.execute("SELECT event_id, insert_id FROM events").fetchall())
    return {f"{h.pattern_id}|{ids[h.event_id]}" for h in hits}


@pytest.mark.parametrize(("pattern", "index", "line"), CASES, ids=[f"{p.id}[{i}]" for p, i, _ in CASES])
def test_example_matches_through_the_engine(
    matched: set[str], pattern: Pattern, index: int, line: str
) -> None:
    """The example, as a real entry, is matched by its pattern in DuckDB."""
    n = CASES.index((pattern, index, line))
    assert f"{pattern.id}|{pattern.id}-{n}" in matched
