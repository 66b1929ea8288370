"""The public Python API (rca.load, rca.analyze, rca.try_pattern, ...) and the `Analysis` it returns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import rca
from rca.api.exploration import EVIDENCE_COLUMNS, FINDING_COLUMNS, Analysis
from rca.cli.main import main
from rca.errors import PatternError, UsageError
from rca.library.loader import load_library, load_pattern_text
from tests.suite import SLOW

ROOT = Path(__file__).resolve().parent.parent
NETRA = str(ROOT / "examples" / "netra-backend-staging-2025-09-15.json")
SERVICE = "netra-backend-staging"
LOAD_ONLY_STATS = {"read", "duplicates_dropped", "outside_window", "other_services", "skipped_lines",
                   "skipped_by_kind"}
EXIT_DRAFT: dict[str, Any] = {
    "id": "draft-container-exit",
    "title": "Container exited with a code",
    "category": "application-exception",
    "layer": "platform",
    "severity": "error",
    "role": "symptom",
    "match": {"any": [r"Container called exit\((?P<code>\d+)\)"]},
    "extract": {"code": {"type": "int"}},
    "why": "The container exited with code {code}",
    "examples": {"match": ["Container called exit(3)."], "no_match": ["Container started"]},
}


@pytest.fixture(scope="module")
def entries() -> pd.DataFrame:
    """The netra incident's last hour (plus baseline), as rca.load returns it."""
    return rca.load(NETRA, since="1h", service=SERVICE)


@pytest.fixture(scope="module")
def netra(entries: pd.DataFrame) -> Analysis:
    """The netra incident analysed from its DataFrame."""
    return rca.analyze(entries)


def _without_load_stats(report: dict[str, Any]) -> dict[str, Any]:
    return report | {"stats": {k: v for k, v in report["stats"].items() if k not in LOAD_ONLY_STATS}}


def test_load_returns_normalised_entries_with_raw_json_and_window(entries: pd.DataFrame) -> None:
    """rca.load gives one row per kept entry: architecture columns, UTC times, canonical JSON, the window."""
    for column in ("entry_id", "ts", "severity", "message", "log_id", "revision", "http_status", "in_window",
                   "raw"):
        assert column in entries.columns
    assert str(entries["ts"].dt.tz) == "UTC"
    assert entries["entry_id"].is_unique
    assert entries["in_window"].any() and not entries["in_window"].all()
    assert json.loads(entries["raw"].iloc[0])["insertId"] == entries["insert_id"].iloc[0]
    window = entries.attrs["rca"]
    assert window["service"] == SERVICE
    assert pd.Timestamp(window["end"]) == entries["ts"].max()


@SLOW
def test_analyze_on_the_dataframe_equals_analyze_on_the_paths(netra: Analysis) -> None:
    """A DataFrame from rca.load analyses like its files (only what loading dropped is unknown to it)."""
    from_paths = rca.analyze([NETRA], since="1h", service=SERVICE)
    assert _without_load_stats(netra.to_json()) == _without_load_stats(from_paths.to_json())
    assert from_paths.to_json()["stats"]["outside_window"] > 0


def test_analyze_on_a_row_subset_sees_only_that_subset(entries: pd.DataFrame) -> None:
    """Slicing the frame with pandas (here: dropping the Cloud SQL logs) changes what the analysis sees."""
    subset = entries[entries["resource_type"] != "cloudsql_database"]
    analysis = rca.analyze(subset)
    assert analysis.result.stats.entries == int(subset["in_window"].sum())
    assert "cloudsql-postgres-healthy" not in set(analysis.findings["pattern_id"])


def test_analyze_rejects_a_frame_without_raw_json(entries: pd.DataFrame) -> None:
    """A DataFrame that lost the canonical entries cannot be re-analysed; the error says what is needed."""
    with pytest.raises(UsageError, match="raw"):
        rca.analyze(entries.drop(columns=["raw"]))


def test_findings_frame_has_one_row_per_finding_with_the_documented_columns(netra: Analysis) -> None:
    """findings: the documented columns, in report order, counts and times as in the Result."""
    frame = netra.findings
    assert list(frame.columns) == list(FINDING_COLUMNS)
    assert list(frame["pattern_id"]) == [f.pattern_id for f in netra.result.findings]
    assert list(frame["count"]) == [f.count for f in netra.result.findings]
    assert str(frame["first_seen"].dt.tz) == "UTC"


@pytest.mark.parametrize("freq", ["1min", "5min"])
def test_timeline_sums_equal_finding_counts_and_request_classes(netra: Analysis, entries: pd.DataFrame,
                                                                freq: str) -> None:
    """Each finding's timeline column sums to its count; http columns sum to the requests per class."""
    timeline = netra.timeline(freq)
    for finding in netra.result.findings:
        assert timeline[finding.pattern_id].sum() == finding.count
    requests = entries[entries["in_window"] & entries["http_status"].notna()]
    for cls in ("2xx", "4xx", "5xx"):
        first = int(cls[0])
        expected = int((requests["http_status"] // 100 == first).sum())
        assert timeline[f"http {cls}"].sum() == expected
    index = pd.DatetimeIndex(timeline.index)
    assert index.freq is not None and index.is_monotonic_increasing
    assert index[0] <= pd.Timestamp(str(netra.result.window.start)) < index[1]


def test_plot_timeline_draws_the_findings(netra: Analysis) -> None:
    """plot_timeline returns matplotlib Axes with one legend entry per plotted series."""
    import matplotlib

    matplotlib.use("Agg")
    ax = netra.plot_timeline(top=3)
    labels = ax.get_legend_handles_labels()[1]
    plotted = [x for x in labels if not x.startswith("http ")]
    assert plotted == [f.pattern_id for f in netra.result.findings[:3]]


def test_evidence_rows_are_the_findings_events_with_traceback_members(netra: Analysis) -> None:
    """evidence(id) lists exactly the finding's events, each re-joined traceback expanded to its entries."""
    finding = netra.finding("asyncpg-connect-cancelled")
    frame = netra.evidence(finding.pattern_id)
    assert list(frame.columns) == list(EVIDENCE_COLUMNS)
    assert set(frame["event_id"]) == set(finding.event_ids)
    assert len(frame) > len(finding.event_ids)  # tracebacks arrive one entry per line
    for _, members in frame.groupby("event_id"):
        assert list(members["member"]) == list(range(len(members)))
    assert frame["message"].str.contains("CancelledError").any()


def test_evidence_of_an_unknown_finding_names_the_known_ones(netra: Analysis) -> None:
    """Asking for a finding that is not there raises KeyError listing the ids that are."""
    with pytest.raises(KeyError, match="app-db-init-timeout"):
        netra.evidence("no-such-pattern")


def test_chain_hypotheses_and_report_views(netra: Analysis) -> None:
    """chain_frame, hypotheses and report() are views of the same Result the CLI renders."""
    from rca.report.render import render

    chain = netra.chain_frame()
    assert list(chain["why"]) == [link.why for link in netra.chain]
    assert list(netra.hypotheses["pattern_id"]) == [h.pattern_id for h in netra.result.hypotheses]
    assert netra.report("markdown") == render(netra.result, "markdown")
    assert netra.root_cause.category.value == "network-connectivity"


@SLOW
def test_cli_renders_the_same_analysis_as_the_api(netra: Analysis) -> None:
    """One code path: `rca analyze --format json` prints what Analysis.report('json') returns."""
    out = CliRunner().invoke(main, ["analyze", "--service", SERVICE, "--since", "1h", "--input", NETRA,
                                    "--format", "json"])
    assert out.exit_code == 0, out.output
    from_api = rca.analyze(NETRA, since="1h", service=SERVICE)
    assert json.loads(out.output) == json.loads(from_api.report("json"))


def test_repr_html_escapes_log_text(tmp_path: Path) -> None:
    """A `<script>` in a logged URL reaches the HTML summary only as escaped text."""
    rows = [_request(i, f"2025-09-15T14:{i:02d}:30Z", 200, "https://svc.run.app/ok") for i in range(0, 60, 3)]
    rows += [_request(100 + i, f"2025-09-15T14:{i:02d}:40Z", 500, "https://svc.run.app/q?<script>alert(1)</script>")
             for i in range(40, 60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    analysis = rca.analyze(path, since="30m")
    page = analysis._repr_html_()
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>" not in analysis._repr_markdown_()


def _request(i: int, ts: str, status: int, url: str) -> dict[str, Any]:
    return {"insertId": f"r{i}", "logName": "projects/p/logs/run.googleapis.com%2Frequests", "timestamp": ts,
            "resource": {"type": "cloud_run_revision",
                         "labels": {"service_name": "svc", "revision_name": "svc-1"}},
            "httpRequest": {"requestMethod": "GET", "requestUrl": url, "status": status, "latency": "0.01s"},
            "severity": "ERROR" if status >= 500 else "INFO"}


def test_patterns_frame_lists_the_library() -> None:
    """rca.patterns() has one row per loaded pattern with the documented columns."""
    frame = rca.patterns()
    assert list(frame.columns) == ["id", "area", "title", "category", "layer", "role", "severity", "generic",
                                   "causes", "caused_by", "kind", "frames", "persistent", "refuses_requests",
                                   "runtime", "surface", "path"]
    assert sorted(frame["id"]) == sorted(p.id for p in load_library().patterns)
    overrides = frame[frame["persistent"].notna()].set_index("id")["persistent"]
    assert (overrides["container-crash-loop"], overrides["datastore-index-missing"]) == (True, False)


def test_try_pattern_returns_matches_with_extracted_fields(entries: pd.DataFrame) -> None:
    """A draft dict matches the same events on a DataFrame and on the paths, with its fields as columns."""
    on_frame = rca.try_pattern(entries, EXIT_DRAFT)
    expected = entries["message"].str.contains(r"Container called exit\(\d+\)", regex=True)
    assert len(on_frame) == int(expected.sum()) > 0
    assert set(on_frame["code"]) == {"3"}
    yaml_text = __import__("yaml").safe_dump(EXIT_DRAFT)
    on_paths = rca.try_pattern([NETRA], yaml_text)
    assert len(on_paths) >= len(on_frame)  # the files hold entries outside the loaded window too


def test_try_pattern_matches_across_rejoined_traceback_lines(entries: pd.DataFrame) -> None:
    """Drafts run over events, so a regex spanning traceback lines matches the joined traceback."""
    draft = EXIT_DRAFT | {"id": "draft-tb", "match": {"any": [r"CancelledError[\s\S]*TimeoutError"]},
                          "extract": {}, "why": "timeout"}
    frame = rca.try_pattern(entries, draft)
    assert len(frame) > 0 and (frame["n_members"] > 1).all()


def test_try_pattern_rejects_a_non_re2_draft_naming_the_field(entries: pd.DataFrame) -> None:
    """A lookahead is not RE2: PatternError names match.any[0], as the loader does for files."""
    draft = EXIT_DRAFT | {"match": {"any": [r"Container called exit(?=\()"]}, "extract": {}}
    with pytest.raises(PatternError) as err:
        rca.try_pattern(entries, draft)
    assert err.value.field == "match.any[0]"


def test_load_pattern_text_checks_examples_like_the_library() -> None:
    """A draft's own examples run through the same test as the library's files."""
    from rca.library.loader import Library

    pattern = load_pattern_text(EXIT_DRAFT)
    assert Library((pattern,)).test() == []
    broken = load_pattern_text(EXIT_DRAFT | {"examples": {"match": ["Container started"], "no_match": []}})
    assert [f.kind for f in Library((broken,)).test()] == ["match"]
    with pytest.raises(PatternError, match="unknown pattern id"):
        load_pattern_text(EXIT_DRAFT | {"causes": ["no-such-pattern"]})


def test_import_rca_stays_light() -> None:
    """`import rca` loads neither pandas nor DuckDB, so the CLI starts fast."""
    code = "import sys, rca; print(sorted(m for m in ('pandas', 'duckdb') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
