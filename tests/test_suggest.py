"""`rca patterns suggest`: drafts for unexplained signals lint clean and match the signal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from rca.cli.main import main
from rca.library.loader import Library, load_library, message_matches
from tests.suite import SLOW

SEARCH = str(Path(__file__).resolve().parent.parent / "examples" / "search-api-unknown-2025-07-30.json")


def _drafts(folder: Path) -> Library:
    """The drafted patterns of ``folder``, loaded beside the built-in library their edges name."""
    drafted = {path.stem for path in folder.glob("*.yaml")}
    return Library(tuple(p for p in load_library([folder]).patterns if p.id in drafted))


def test_suggested_pattern_lints_and_matches_the_new_signal(tmp_path: Path) -> None:
    """The draft for the unknown incident's new exception passes lint and matches that exception."""
    out = tmp_path / "drafts"
    result = CliRunner().invoke(main, ["patterns", "suggest", "--input", SEARCH, "--since", "1h",
                                       "--service", "search-api", "--out", str(out)])
    assert result.exit_code == 0, result.output
    library = _drafts(out)
    assert library.lint() == []
    assert library.test() == []
    draft = library.patterns[0]
    assert message_matches(draft, "search_api.ranking.shards.RankerShardMapError: ranker shard map checksum "
                                  "mismatch: expected 0badf00d, got 12345678 (shard_map_version=9)")
    assert not message_matches(draft, "GET /v2/search?q=lamp 200 0.05s")


def test_suggest_with_nothing_unexplained_says_so(tmp_path: Path) -> None:
    """A window whose errors are all explained produces no drafts and says why."""
    path = tmp_path / "x.ndjson"
    path.write_text('{"logName": "projects/p/logs/run.googleapis.com%2Fstdout", '
                    '"timestamp": "2025-09-15T15:00:00Z", "textPayload": "all good", "insertId": "1"}\n')
    result = CliRunner().invoke(main, ["patterns", "suggest", "--input", str(path)])
    assert result.exit_code == 0
    assert "nothing to suggest" in result.output


@SLOW
def test_a_suggested_draft_becomes_the_finding_and_root_cause(tmp_path: Path) -> None:
    """Added with --patterns, the draft shows as a finding and the root cause is at least as specific
    as before: the drafted failure mode itself, not a catch-all or unknown."""
    out = tmp_path / "drafts"
    runner = CliRunner()
    runner.invoke(main, ["patterns", "suggest", "--input", SEARCH, "--since", "1h", "--service", "search-api",
                         "--out", str(out)])
    drafted = {p.id for p in _drafts(out).patterns}
    result = runner.invoke(main, ["analyze", "--input", SEARCH, "--since", "1h", "--service", "search-api",
                                  "--patterns", str(out), "--format", "json"])
    report = json.loads(result.stdout)
    findings = {f["pattern_id"] for f in report["findings"]}
    assert (bool(drafted & findings), report["root_cause"]["pattern_id"] in drafted) == (True, True)


def _license_incident(path: Path) -> None:
    """A constructed Cloud Run incident: from 14:00 an exception no pattern knows is raised on each
    instance, and seconds later that instance's own health check reports a failing dependency. The
    library's knowledge does not link an application exception to that health check."""
    labels = {"service_name": "billing-sync", "revision_name": "billing-sync-00007-kab"}
    resource = {"type": "cloud_run_revision", "labels": labels}
    entries: list[dict[str, object]] = []

    def add(t: datetime, severity: str, text: str, instance: str, log: str = "stdout") -> None:
        entries.append({"insertId": f"e{len(entries):05d}", "resource": resource, "severity": severity,
                        "logName": f"projects/acme-prod/logs/run.googleapis.com%2F{log}", "textPayload": text,
                        "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "labels": {"instanceId": instance}})

    start = datetime(2026, 11, 30, 13, 0, 0)
    for k in range(0, 7200, 60):
        for j, instance in enumerate(("00f1a9c3e2d4", "00b7e6d5c4a3")):
            t = start + timedelta(seconds=k + j)
            add(t, "INFO", f"synced {40 + k % 7} invoices for tenant t-{k % 13}", instance)
            if k >= 3600:
                rejected = f"license server rejected key lk-{k % 97:04x} (status=revoked)"
                add(t + timedelta(seconds=5), "ERROR", f"billing_sync.license.LicenseKeyRejected: {rejected}",
                    instance, "stderr")
                add(t + timedelta(seconds=7), "WARNING", "Health check failed: billing dependency unhealthy",
                    instance)
    path.write_text(json.dumps(entries))


@SLOW
def test_drafted_causes_edge_carries_the_chain_to_the_draft(tmp_path: Path) -> None:
    """The draft gets a `causes` edge to the symptom that follows it on the same instance, and with it
    the root cause goes from unknown to the drafted failure; the same draft without the drafted edge
    leaves the symptom unexplained and the signal gone, so the edge is what makes the report better."""
    data, out, bare = tmp_path / "incident.json", tmp_path / "drafts", tmp_path / "bare"
    _license_incident(data)
    runner = CliRunner()

    def root(*extra: str) -> str | None:
        args = ["analyze", "--input", str(data), "--since", "1h", "--format", "json", *extra]
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["root_cause"]["pattern_id"]  # type: ignore[no-any-return]

    before = root()
    runner.invoke(main, ["patterns", "suggest", "--input", str(data), "--since", "1h", "--out", str(out)])
    (draft,) = _drafts(out).patterns
    assert (before, draft.causes, draft.category.value) == (
        None, ("app-health-check-failing",), "application-exception")
    bare.mkdir()
    text = (out / f"{draft.id}.yaml").read_text()
    (bare / f"{draft.id}.yaml").write_text(text.replace("causes:\n- app-health-check-failing\n", ""))
    assert (root("--patterns", str(out)), root("--patterns", str(bare))) == (draft.id, None)
