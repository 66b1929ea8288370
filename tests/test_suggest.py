"""`rca patterns suggest`: drafts for unexplained signals lint clean and match the signal."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rca.cli.main import main
from rca.library.loader import load_library, message_matches

SEARCH = str(Path(__file__).resolve().parent.parent / "examples" / "search-api-unknown-2025-07-30.json")


def test_suggested_pattern_lints_and_matches_the_new_signal(tmp_path: Path) -> None:
    """The draft for the unknown incident's new exception passes lint and matches that exception."""
    out = tmp_path / "drafts"
    result = CliRunner().invoke(main, ["patterns", "suggest", "--input", SEARCH, "--since", "1h",
                                       "--service", "search-api", "--out", str(out)])
    assert result.exit_code == 0, result.output
    library = load_library([out], include_builtin=False)
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


def test_a_suggested_draft_becomes_the_finding_and_root_cause(tmp_path: Path) -> None:
    """Added with --patterns, the draft shows as a finding and the root cause is at least as specific
    as before: the drafted failure mode itself, not a catch-all or unknown."""
    out = tmp_path / "drafts"
    runner = CliRunner()
    runner.invoke(main, ["patterns", "suggest", "--input", SEARCH, "--since", "1h", "--service", "search-api",
                         "--out", str(out)])
    drafted = {p.id for p in load_library([out], include_builtin=False).patterns}
    result = runner.invoke(main, ["analyze", "--input", SEARCH, "--since", "1h", "--service", "search-api",
                                  "--patterns", str(out), "--format", "json"])
    report = json.loads(result.stdout)
    findings = {f["pattern_id"] for f in report["findings"]}
    assert (bool(drafted & findings), report["root_cause"]["pattern_id"] in drafted) == (True, True)
