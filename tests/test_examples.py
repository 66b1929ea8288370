"""The sample incident exports in examples/: reproducible, well-formed, and faithful to the worklog."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the generator lives outside the installed package, beside the samples
    sys.path.insert(0, str(ROOT))

from examples.generate.__main__ import GENERATORS, main  # noqa: E402

EXAMPLES = ROOT / "examples"
JSON_FILES = sorted(name for name in GENERATORS if name.endswith(".json"))
NETRA = "netra-backend-staging-2025-09-15.json"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def load(name: str) -> list[dict[str, Any]]:
    """Return the parsed entries of one committed JSON export."""
    data: list[dict[str, Any]] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the generator once into a temporary folder."""
    out = tmp_path_factory.mktemp("examples")
    assert main(["--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_committed_file_matches_a_fresh_run(regenerated: Path, name: str) -> None:
    """Regenerating gives byte-identical files, so the committed samples are reproducible."""
    assert (regenerated / name).read_bytes() == (EXAMPLES / name).read_bytes()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_files_stay_small(name: str) -> None:
    """Each sample stays near the 5 MB budget so the repository stays light."""
    assert (EXAMPLES / name).stat().st_size < 5_300_000


@pytest.mark.parametrize("name", JSON_FILES)
def test_json_export_is_printed_like_gcloud(name: str) -> None:
    """Each JSON file is exactly gcloud's printer output: sorted keys, indent 2, no ASCII escaping."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", JSON_FILES)
def test_json_export_entries_are_well_formed_and_newest_first(name: str) -> None:
    """Every entry has logName, a Z timestamp and a resource, and entries run newest first."""
    entries = load(name)
    assert entries
    for entry in entries:
        assert entry["logName"].startswith("projects/")
        assert TS.match(entry["timestamp"]), entry["timestamp"]
        assert TS.match(entry["receiveTimestamp"]), entry["receiveTimestamp"]
        assert entry["receiveTimestamp"] >= entry["timestamp"]
        assert entry["resource"]["type"] and isinstance(entry["resource"]["labels"], dict)
    stamps = [e["timestamp"] for e in entries]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize("name", JSON_FILES)
def test_insert_ids_are_unique_per_log(name: str) -> None:
    """No two entries of one log share an insertId, as Cloud Logging would deduplicate them."""
    keys = Counter((e["logName"], e["insertId"]) for e in load(name))
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("name", JSON_FILES)
def test_request_logs_have_real_http_request_types(name: str) -> None:
    """Request logs carry an int status, a seconds latency string and sizes as strings."""
    requests = [e for e in load(name) if e["logName"].endswith("run.googleapis.com%2Frequests")]
    assert requests
    for entry in requests:
        http = entry["httpRequest"]
        assert isinstance(http["status"], int)
        assert re.fullmatch(r"\d+\.\d{9}s", http["latency"])
        assert isinstance(http["requestSize"], str) and isinstance(http["responseSize"], str)


def netra_text(entries: list[dict[str, Any]]) -> list[str]:
    """Return the stderr text lines of the netra export, oldest first."""
    lines = [e for e in entries if e["logName"].endswith("run.googleapis.com%2Fstderr")]
    return [e["textPayload"] for e in reversed(lines)]


def test_netra_traceback_is_split_one_entry_per_line() -> None:
    """The asyncpg start-up traceback arrives as one DEFAULT-severity entry per line on one instance."""
    entries = list(reversed(load(NETRA)))
    head = "ERROR:    Traceback (most recent call last):"
    heads = [i for i, e in enumerate(entries) if e.get("textPayload") == head]
    assert len(heads) >= 10
    first = entries[heads[0]]
    instance = first["labels"]["instanceId"]
    following = [
        e
        for e in entries[heads[0] :]
        if e.get("labels", {}).get("instanceId") == instance and e["logName"] == first["logName"]
    ][:120]
    texts = [e["textPayload"] for e in following]
    assert "asyncio.exceptions.CancelledError" in texts
    assert any("in _connect_addr" in t for t in texts) and any("in __connect_addr" in t for t in texts)
    assert "    await connected" in texts
    assert "TimeoutError" in texts
    assert "During handling of the above exception, another exception occurred:" in texts
    assert "The above exception was the direct cause of the following exception:" in texts
    assert "ERROR:    Application startup failed. Exiting." in texts
    assert all("severity" not in e for e in following)


def test_netra_carries_the_worklog_facts() -> None:
    """The netra export shows 10.107.1.3, an 8.0s timeout in every failure and the 15:15:38 failure."""
    entries = load(NETRA)
    text = "\n".join(netra_text(entries))
    assert "host=10.107.1.3" in text
    timeouts = set(re.findall(r"Database initialization timeout after ([\d.]+)s in staging", text))
    assert timeouts == {"8.0"}
    assert "AgentService dependency is None - falling back to degraded mode" in text
    exiting = "ERROR:    Application startup failed. Exiting."
    failed = [e["timestamp"] for e in entries if e.get("textPayload") == exiting]
    assert max(failed).startswith("2025-09-15T15:15:38")
    assert entries[0]["timestamp"] > max(failed)
    assert entries[0]["timestamp"] < "2025-09-15T15:17:00Z"


def test_netra_deploys_and_failed_revisions() -> None:
    """At least six ReplaceService deploys by the deploy account, and Ready=False for failed revisions."""
    entries = load(NETRA)
    deploys = [
        e
        for e in entries
        if e["logName"].endswith("cloudaudit.googleapis.com%2Factivity")
        and e["protoPayload"]["methodName"] == "google.cloud.run.v1.Services.ReplaceService"
    ]
    assert len(deploys) >= 6
    principals = {e["protoPayload"]["authenticationInfo"]["principalEmail"] for e in deploys}
    assert principals == {"netra-staging-deploy@netra-staging.iam.gserviceaccount.com"}
    events = [e for e in entries if e["logName"].endswith("cloudaudit.googleapis.com%2Fsystem_event")]
    failed = {e["resource"]["labels"]["revision_name"] for e in events}
    assert "netra-backend-staging-00691-xl2" in failed
    assert all("HealthCheckContainerError" in json.dumps(e["protoPayload"]["response"]) for e in events)


def test_netra_cloud_sql_is_healthy_and_nothing_names_the_root_cause() -> None:
    """Cloud SQL logs only INFO lines throughout, and no line states the network root cause outright."""
    entries = load(NETRA)
    sql = [e for e in entries if e["resource"]["type"] == "cloudsql_database"]
    assert len(sql) > 100 and {e["severity"] for e in sql} == {"INFO"}
    assert (
        min(e["timestamp"] for e in sql)
        < "2025-09-15T12:30:00Z"
        < "2025-09-15T15:10:00Z"
        < max(e["timestamp"] for e in sql)
    )
    blob = json.dumps(entries).lower()
    for phrase in ("vpc connector broken", "vpc connector is down", "firewall", "connector unhealthy"):
        assert phrase not in blob


def test_netra_503s_grow_to_all_traffic() -> None:
    """Every request in the last ten minutes answers 503, while the first hour has none."""
    requests = [e for e in load(NETRA) if "httpRequest" in e]
    late = [e["httpRequest"]["status"] for e in requests if e["timestamp"] >= "2025-09-15T15:05:00Z"]
    early = [e["httpRequest"]["status"] for e in requests if e["timestamp"] < "2025-09-15T13:15:00Z"]
    assert late and set(late) == {503}
    assert 503 not in early and 200 in early


def test_orders_log_is_compose_prefixed_text_with_the_permission_error() -> None:
    """The plain-text sample has compose prefixes, a baseline, and the Secret Manager 403 crash loop."""
    lines = (EXAMPLES / "orders-worker-2025-08-21.log").read_text(encoding="utf-8").splitlines()
    assert all(re.match(r"^[a-z0-9-]+-1( +\| | exited with code \d+$)", line) for line in lines)
    marker = "PermissionDenied: 403 Permission 'secretmanager.versions.access'"
    denied = [line for line in lines if marker in line]
    assert len(denied) >= 5
    assert sum(line.endswith("exited with code 1") for line in lines) == len(denied)
    assert lines.index(next(line for line in lines if "Processed order" in line)) < lines.index(denied[0])
