"""Golden scenarios: each sample incident gets its true root cause, with cited evidence and red herrings.

The expectations come from examples/README.md (the story each export was generated from), not
from running the tool: they are what an SRE reading the logs by hand concludes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rca import api
from rca.reasoning.analysis import Result
from rca.report.render import render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def analyse(name: str, service: str, since: str = "1h") -> Result:
    """Run the full pipeline on one sample export."""
    out = api.analyze([str(EXAMPLES / name)], since=since, service=service)
    return out.result if hasattr(out, "result") else out


@pytest.fixture(scope="module")
def netra() -> dict[str, Any]:
    """The worklog's incident, as the contract's JSON."""
    return analyse("netra-backend-staging-2025-09-15.json", "netra-backend-staging").to_json()


def chain_ids(report: dict[str, Any]) -> list[str | None]:
    """Pattern ids along the chain, symptom first."""
    return [link["pattern_id"] for link in report["chain"]]


def test_netra_root_cause_is_the_network_path_to_cloud_sql(netra: dict[str, Any]) -> None:
    """The worklog's conclusion: Cloud Run cannot reach Cloud SQL's private IP; the database is healthy."""
    root = netra["root_cause"]
    assert root["category"] == "network-connectivity"
    assert root["confidence"] >= 0.6
    assert "network path" in root["summary"]


def test_netra_chain_reads_like_the_worklog(netra: dict[str, Any]) -> None:
    """503 <- start-up failed <- DB init timeout 8.0s <- asyncpg cancelled, in that order."""
    ids = chain_ids(netra)
    assert netra["chain"][0]["why"] == 1
    for earlier, later in [
        ("uvicorn-startup-failed", "app-db-init-timeout"),
        ("app-db-init-timeout", "asyncpg-connect-cancelled"),
    ]:
        assert ids.index(earlier) < ids.index(later)
    # the 503s are the network's doing: the symptom's why carries the root cause's category
    assert netra["chain"][0]["category"] == "network-connectivity"
    statements = " ".join(link["statement"] for link in netra["chain"])
    assert "8.0" in statements
    assert "10.107.1.3" in statements


def test_netra_every_link_cites_entries(netra: dict[str, Any]) -> None:
    """Each why carries log entries (timestamp and insertId) that prove it."""
    for link in netra["chain"]:
        assert link["evidence"], link["statement"]
        assert all(e["insert_id"] and e["timestamp"] for e in link["evidence"])


def test_netra_timeout_is_consistent_across_attempts(netra: dict[str, Any]) -> None:
    """The 8.0 s timeout is the same in every start-up attempt."""
    finding = next(f for f in netra["findings"] if f["pattern_id"] == "app-db-init-timeout")
    counts = finding["field_counts"]["timeout_s"]
    assert list(counts) == ["8.0"]


def test_netra_red_herrings_are_reported_as_such(netra: dict[str, Any]) -> None:
    """Deprecation and auth warnings predate the incident; AgentService/degraded mode is downstream.
    A deprecation warning is context (never a candidate cause), so it shows as a finding seen before."""
    why_not = {h["pattern_id"]: h["why_not"] for h in netra["hypotheses"]}
    status = {f["pattern_id"]: f["status"] for f in netra["findings"]}
    deprecation = "python-deprecation-warning"
    assert (status[deprecation] in ("pre-existing", "elevated"), deprecation in why_not) == (True, False)
    assert "present before the incident" in why_not["auth-token-rejected"]
    for downstream in ("app-dependency-none", "app-degraded-mode"):
        assert why_not[downstream].startswith("downstream of the chosen cause")
    db = [h for h in netra["hypotheses"] if h["category"] == "database-unavailable"]
    assert db and "no supporting evidence" in db[0]["why_not"]


def test_netra_remediation_names_the_network_checks(netra: dict[str, Any]) -> None:
    """Remediation carries the VPC connector and firewall checks with real values, each with a way to
    verify it, and no IAM check: the cause is the network path, not a permission."""
    commands = "\n".join(r["command"] or "" for r in netra["remediation"])
    assert "vpc-access connectors describe staging-connector" in commands
    assert "firewall-rules list" in commands
    assert "get-iam-policy" not in commands
    assert all(r["verify"] for r in netra["remediation"])
    assert "<" not in commands.split("vpc-access")[1].split("\n")[0]


def test_netra_deploy_churn_is_counted(netra: dict[str, Any]) -> None:
    """Six or more revisions and their deploys are visible in the report."""
    assert len(netra["stats"]["revisions"]) >= 6
    assert netra["stats"]["deploys"] >= 6


@pytest.mark.parametrize(
    "name, service, category, pattern",
    [
        (
            "billing-api-2025-10-02.json",
            "billing-api",
            "db-connection-pool-exhausted",
            "sqlalchemy-queuepool-exhausted",
        ),
        ("image-resizer-2025-11-04.json", "image-resizer", "memory-limit-exceeded", None),
        ("orders-worker-2025-08-21.log", "orders-worker", "permission-denied", None),
        (
            "search-api-unknown-2025-07-30.json",
            "search-api",
            "application-exception",
            "app-unhandled-exception",
        ),
    ],
)
def test_other_incidents_get_their_true_root_cause(
    name: str, service: str, category: str, pattern: str | None
) -> None:
    """Each other sample (structured JSON, OOM, plain text, unknown) reaches the cause its story describes."""
    report = analyse(name, service).to_json()
    assert report["root_cause"]["category"] == category
    if pattern:
        assert report["root_cause"]["pattern_id"] == pattern


def test_novel_exception_in_own_code_is_named_and_still_a_signal() -> None:
    """An exception no pattern knows, raised in the app's own frames with the incident, is the root cause
    (type, message and frame named), and its template still surfaces as a new unexplained signal."""
    report = analyse("search-api-unknown-2025-07-30.json", "search-api").to_json()
    top = report["unexplained_signals"][0]
    summary = report["root_cause"]["summary"]
    assert (top["new"], "checksum mismatch" in top["template"]) == (True, True)
    frame = "/srv/search_api/ranking/shards.py:91 in _verify"
    assert ("RankerShardMapError" in summary, frame in summary) == (True, True)


RUN_SVC_1 = {"type": "cloud_run_revision", "labels": {"service_name": "svc", "revision_name": "svc-1"}}


def _entry(i: int, ts: str, revision: str, status: int) -> dict[str, Any]:
    return {
        "insertId": f"r{i}",
        "logName": "projects/p/logs/run.googleapis.com%2Frequests",
        "timestamp": ts,
        "resource": {
            "type": "cloud_run_revision",
            "labels": {"service_name": "svc", "revision_name": revision},
        },
        "httpRequest": {
            "requestMethod": "GET",
            "requestUrl": "https://svc.run.app/x",
            "status": status,
            "latency": "0.01s",
        },
        "severity": "ERROR" if status >= 500 else "INFO",
    }


def test_failures_that_begin_with_a_new_revision_blame_the_deploy(tmp_path: Path) -> None:
    """Nothing explains the 500s, but only the new revision fails while the old serves: deployment-change."""
    rows = [_entry(i, f"2025-09-15T14:{i:02d}:00Z", "svc-00001-old", 200) for i in range(0, 60, 2)]
    rows += [_entry(100 + i, f"2025-09-15T14:{i:02d}:30Z", "svc-00002-new", 500) for i in range(40, 60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    report = api.analyze([str(path)], since="30m")
    result = report.result if hasattr(report, "result") else report
    assert result.root_cause.category.value == "deployment-change"
    assert "svc-00002-new" in result.root_cause.summary


def test_a_new_revision_that_served_well_for_long_before_failing_is_not_blamed(tmp_path: Path) -> None:
    """The new revision answered for twenty minutes without an error before its 500s began: the
    deploy did not start them (blind set X3), so the cause stays unknown."""
    rows = [_entry(i, f"2025-09-15T14:{i:02d}:00Z", "svc-00001-old", 200) for i in range(0, 60, 2)]
    rows += [_entry(100 + i, f"2025-09-15T14:{i:02d}:30Z", "svc-00002-new", 200) for i in range(20, 40)]
    rows += [_entry(200 + i, f"2025-09-15T14:{i:02d}:40Z", "svc-00002-new", 500) for i in range(40, 60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], since="45m").result
    assert result.root_cause.category.value == "unknown"


def test_same_input_gives_the_same_json_byte_for_byte() -> None:
    """Determinism: two runs on the same input serialise identically."""
    one = json.dumps(analyse("image-resizer-2025-11-04.json", "image-resizer").to_json(), sort_keys=True)
    two = json.dumps(analyse("image-resizer-2025-11-04.json", "image-resizer").to_json(), sort_keys=True)
    assert one == two


def test_netra_coverage_counts_rejoined_tracebacks(netra: dict[str, Any]) -> None:
    """The coverage says how many split tracebacks were put back together, and what was read by log."""
    stats = netra["stats"]
    assert stats["tracebacks_rejoined"] >= 23
    assert stats["entries_absorbed"] > stats["tracebacks_rejoined"]
    assert stats["by_log_id"]["run.googleapis.com/stderr"] > 0


def _deploy(i: int, ts: str, concurrency: int) -> dict[str, Any]:
    """A v1 ReplaceService audit entry carrying the deployed spec."""
    spec = {
        "containerConcurrency": concurrency,
        "containers": [{"image": "img@sha256:1", "resources": {"limits": {"memory": "512Mi"}}}],
    }
    return {
        "insertId": f"d{i}",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "timestamp": ts,
        "severity": "NOTICE",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "svc"}},
        "protoPayload": {
            "methodName": "google.cloud.run.v1.Services.ReplaceService",
            "request": {"service": {"spec": {"template": {"spec": spec}}}},
        },
    }


def test_deploy_that_changed_a_setting_is_named(tmp_path: Path) -> None:
    """Two deploys in the input: the one that changed concurrency says from what to what."""
    rows = [
        _deploy(1, "2025-09-15T13:00:00Z", 8),
        _deploy(2, "2025-09-15T14:20:00Z", 40),
        _entry(3, "2025-09-15T14:30:00Z", "svc-2", 200),
    ]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], since="1h").result
    assert result.deploys.changes == ("the deploy at 2025-09-15T14:20:00Z changed concurrency from 8 to 40",)


def test_a_deploy_s_revision_is_the_one_it_created_not_its_stale_status(tmp_path: Path) -> None:
    """The activity entry's response.status still names the revision serving before the deploy
    (generation 8, observedGeneration 7: shared/docs/gcp-logging.md 3.7(e)); the deploy created
    the revision first seen right after it."""
    deploy = _deploy(1, "2025-09-15T14:20:00Z", 80)
    deploy["protoPayload"]["response"] = {
        "metadata": {"name": "svc", "generation": 8},
        "status": {"observedGeneration": 7, "latestCreatedRevisionName": "svc-00007-old"},
    }
    rows = [
        _entry(2, "2025-09-15T14:00:00Z", "svc-00007-old", 200),
        deploy,
        _entry(3, "2025-09-15T14:20:30Z", "svc-00008-new", 200),
        _entry(4, "2025-09-15T14:40:00Z", "svc-00008-new", 200),
    ]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], since="1h").result
    assert [d.revision for d in result.deploys.deploys] == ["svc-00008-new"]


def test_a_shared_resource_s_failure_explains_by_being_there_at_the_same_moments(tmp_path: Path) -> None:
    """Cloud NAT's drop records name no instance of the service; they come shortly before each
    dial timeout, and so explain them (the port exhaustion), deeper than the timeouts alone."""
    rows: list[dict[str, Any]] = []
    for i in range(40):
        minute = 20 + i // 2
        second = (i % 2) * 30
        ts = f"2025-09-15T14:{minute:02d}:{second:02d}Z"
        later = f"2025-09-15T14:{minute:02d}:{second + 5:02d}Z"
        rows.append({
            "insertId": f"n{i}", "timestamp": ts,
            "logName": "projects/p/logs/compute.googleapis.com%2Fnat_flows",
            "resource": {"type": "nat_gateway", "labels": {"gateway_name": "egress-nat"}},
            "jsonPayload": {"allocation_status": "DROPPED", "connection": {
                "dest_ip": "203.0.113.45", "dest_port": 443, "protocol": 6, "src_port": 40000 + i}},
        })
        rows.append({
            "insertId": f"e{i}", "timestamp": later, "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
            "severity": "ERROR", "labels": {"instanceId": f"inst{i % 3}"},
            "resource": RUN_SVC_1,
            "textPayload": 'quote fetch failed: Get "https://api.fx.example/v2/quotes": '
                           "dial tcp 203.0.113.45:443: i/o timeout",
            "trace": f"projects/p/traces/t{i}",
        })
        request = _entry(100 + i, later, "svc-1", 502)
        request.update(trace=f"projects/p/traces/t{i}", labels={"instanceId": f"inst{i % 3}"})
        rows.append(request)
    for i in range(20):
        rows.append(_entry(200 + i, f"2025-09-15T14:{i:02d}:10Z", "svc-1", 200))
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], service="svc").result
    assert (result.root_cause.pattern_id, result.root_cause.category.value) == (
        "cloud-nat-allocation-dropped", "network-connectivity")


def test_the_unknown_cause_is_named_by_the_error_in_the_failed_requests_traces(tmp_path: Path) -> None:
    """Nothing in the library explains the 503s. A watchdog WARNING runs more often beside them; the
    application's ERROR is logged in the failed requests' own traces, and it names the incident."""
    rows: list[dict[str, Any]] = []

    def app_line(i: int, ts: str, severity: str, text: str, trace: str | None) -> dict[str, Any]:
        entry = {"insertId": f"a{i}", "timestamp": ts, "severity": severity,
                 "logName": "projects/p/logs/run.googleapis.com%2Fstdout",
                 "resource": RUN_SVC_1, "jsonPayload": {"message": text}}
        if trace:
            entry["trace"] = trace
        return entry

    for i in range(30):
        ts = f"2025-09-15T14:{20 + i:02d}:05Z"
        trace = f"projects/p/traces/f{i}"
        failed = _entry(i, ts, "svc-1", 503)
        failed["trace"] = trace
        rows.append(failed)
        stalled = f"ORP-5032 order pipeline stalled: stage=pricing order={1000 + i}"
        rows.append(app_line(i, ts, "ERROR", stalled, trace))
        for k in range(3):
            rows.append(app_line(100 + 3 * i + k, f"2025-09-15T14:{20 + i:02d}:{20 + 10 * k:02d}Z", "WARNING",
                                 "stage watchdog: lag over budget", None))
    for i in range(20):
        rows.append(_entry(200 + i, f"2025-09-15T14:{i:02d}:10Z", "svc-1", 200))
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], service="svc").result
    assert (result.root_cause.category.value, "order pipeline stalled" in result.root_cause.summary) == (
        "unknown", True)


@pytest.mark.parametrize(("addresses", "found"), [
    (["127.0.0.1", "169.254.8.1"], False),  # Fastify 5 on 0.0.0.0: one line per interface
    (["127.0.0.1"], True),  # localhost only: the probes cannot reach it
])
def test_a_loopback_listening_line_means_localhost_only_when_no_other_address_follows(
    tmp_path: Path, addresses: list[str], found: bool
) -> None:
    rows = [
        {"insertId": f"l{i}", "timestamp": f"2025-09-15T14:00:0{i}Z",
         "logName": "projects/p/logs/run.googleapis.com%2Fstdout", "labels": {"instanceId": "inst1"},
         "resource": RUN_SVC_1,
         "jsonPayload": {"level": 30, "msg": f"Server listening at http://{address}:8080"}}
        for i, address in enumerate(addresses)
    ]
    rows.append(_entry(1, "2025-09-15T14:05:00Z", "svc-1", 200))
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], service="svc").result
    assert any(f.pattern_id == "server-bound-to-localhost" for f in result.findings) is found


def test_a_new_revision_listening_on_another_port_than_the_old_is_a_port_mismatch(tmp_path: Path) -> None:
    """The old revision's server listens on 8080, the new one's on 8000, and the probe checks 8080:
    the listening ports of both revisions are one finding, and its other value is the mismatch."""
    def line(i: int, ts: str, revision: str, text: str, log: str = "stderr") -> dict[str, Any]:
        return {"insertId": f"s{i}", "timestamp": ts,
                "logName": f"projects/p/logs/run.googleapis.com%2F{log}",
                "labels": {"instanceId": f"i-{revision}"},
                "resource": {"type": "cloud_run_revision",
                             "labels": {"service_name": "svc", "revision_name": revision}},
                "textPayload": text}

    running = "INFO:     Uvicorn running on http://0.0.0.0:{} (Press CTRL+C to quit)"
    rows = [
        line(1, "2025-09-15T14:00:00Z", "svc-1", running.format(8080)),
        line(2, "2025-09-15T14:30:00Z", "svc-2", running.format(8000)),
        line(3, "2025-09-15T14:34:00Z", "svc-2", 'Default STARTUP TCP probe failed 1 time consecutively for '
             'container "svc-1" on port 8080. The instance was not started.', "varlog%2Fsystem"),
        *[_entry(10 + i, f"2025-09-15T14:{i:02d}:30Z", "svc-1", 200) for i in range(50)],
    ]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    root = api.analyze([str(path)], service="svc").result.root_cause
    assert (root.category.value, "(8000) than 8080" in root.summary) == ("port-mismatch", True)


def test_what_the_input_cannot_tell_is_said_beside_the_verdict(tmp_path: Path) -> None:
    """Request logs alone cannot say why requests failed, and failures present from the input's
    first entry began then or earlier: both are said, in the report's opening lines."""
    rows = [_entry(i, f"2025-09-15T14:{i:02d}:00Z", "svc-1", 503 if i % 2 else 200) for i in range(30)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    result = api.analyze([str(path)], service="svc").result
    markdown = render(result, "markdown")
    head = markdown.split("## Verdict", 1)[0]
    assert (len(result.notes), "request logs only" in head, "from the input's first entry" in head) == (
        2, True, True)


def test_the_onset_is_when_failures_stepped_up_not_the_first_of_a_steady_trickle(tmp_path: Path) -> None:
    """Read without a baseline, another endpoint's 500s trickle from the first minutes beside
    steady noise; the outage's 500s start later, many times as often: its onset is theirs."""
    def text(i: int, ts: str, message: str) -> dict[str, Any]:
        return {"insertId": f"t{i}", "timestamp": ts, "severity": "ERROR", "resource": RUN_SVC_1,
                "logName": "projects/p/logs/run.googleapis.com%2Fstderr", "labels": {"instanceId": "i1"},
                "textPayload": message}

    rows: list[dict[str, Any]] = []
    for i, minute in enumerate(range(1, 60, 6)):  # the trickle, and noise at the same rate throughout
        rows.append(_entry(i, f"2025-09-15T14:{minute:02d}:00Z", "svc-1", 500))
        rows.append(text(i, f"2025-09-15T14:{minute:02d}:00Z", "Error: read ECONNRESET"))
    for i in range(120):  # the outage: from 14:40, two a minute
        ts = f"2025-09-15T14:{40 + i // 6:02d}:{(i % 6) * 10:02d}Z"
        rows.append(_entry(100 + i, ts, "svc-1", 503))
        rows.append(text(100 + i, ts, "Error: connect ETIMEDOUT 10.0.0.5:5432"))
    rows += [_entry(500 + i, f"2025-09-15T14:{i:02d}:30Z", "svc-1", 200) for i in range(60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    verdict = api.analyze([str(path)], service="svc").result.verdict
    assert verdict is not None and verdict.onset is not None and verdict.onset.startswith("2025-09-15T14:4")


def test_a_job_update_is_one_of_the_window_s_deploys(tmp_path: Path) -> None:
    """Updating a Cloud Run job rolls out its next executions' image and settings: the library
    names Jobs.UpdateJob a deploy (patterns/_knowledge.yaml), so the report lists it."""
    job = {"type": "cloud_run_job", "labels": {"job_name": "etl", "location": "us-central1"}}
    rows = [
        {"insertId": "d1", "timestamp": "2025-09-15T14:10:00Z", "severity": "NOTICE", "resource": job,
         "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
         "protoPayload": {"methodName": "google.cloud.run.v2.Jobs.UpdateJob",
                          "authenticationInfo": {"principalEmail": "ci@p.iam.gserviceaccount.com"}}},
        {"insertId": "e1", "timestamp": "2025-09-15T14:20:00Z", "severity": "ERROR", "resource": job,
         "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
         "textPayload": "ModuleNotFoundError: No module named 'google.cloud.storage'"},
    ]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(rows))
    deploys = api.analyze([str(path)], service="etl").result.deploys.deploys
    assert [(d.method, d.service) for d in deploys] == [("UpdateJob", "etl")]


def _dns_error(i: int, ts: str, revision: str) -> dict[str, Any]:
    """Laravel's PDO line for a database host that does not resolve (blind set AU07's wording)."""
    return {
        "insertId": f"e{i}", "timestamp": ts, "severity": "ERROR",
        "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "svc", "revision_name": revision}},
        "textPayload": "production.ERROR: SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo for "
                       "billing-db.prod.internl failed: Name or service not known (Connection: mysql)",
    }


@pytest.mark.parametrize(("dns_before_deploy", "category"),
                         [(False, "missing-configuration"), (True, "network-connectivity")])
def test_a_host_that_stops_resolving_with_a_deploy_is_the_deploy_s_configuration(
    tmp_path: Path, dns_before_deploy: bool, category: str
) -> None:
    """A successful deploy, then the new revision's database host does not resolve: the deploy's
    configuration names a wrong host (the rule 'failures began with a deploy'). When the old
    revision could not resolve it before the deploy, the deploy did not start it: a DNS problem."""
    rows = [_entry(i, f"2025-09-15T14:{i:02d}:00Z", "svc-00001-old", 200) for i in range(0, 40, 2)]
    rows.append(_deploy(1, "2025-09-15T14:39:00Z", 80))
    if dns_before_deploy:
        rows += [_dns_error(300 + i, f"2025-09-15T14:{i:02d}:10Z", "svc-00001-old") for i in range(20, 38, 2)]
    rows += [_entry(100 + i, f"2025-09-15T14:{i:02d}:30Z", "svc-00002-new", 500) for i in range(40, 60)]
    rows += [_dns_error(200 + i, f"2025-09-15T14:{i:02d}:29Z", "svc-00002-new") for i in range(40, 60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(sorted(rows, key=lambda r: r["timestamp"])))
    result = api.analyze([str(path)], since="1h").result
    root = result.root_cause
    assert (root.pattern_id, root.category.value) == ("dns-resolution-failed", category)


def _app_error(i: int, ts: str, revision: str, text: str) -> dict[str, Any]:
    return {
        "insertId": f"a{i}", "timestamp": ts, "severity": "ERROR",
        "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "svc", "revision_name": revision}},
        "textPayload": text,
    }


def test_a_cause_on_the_revision_with_most_failures_wins_over_a_canary_s_own_bug(tmp_path: Path) -> None:
    """Held-out AN-04's shape: a canary's bug fails its tenth of the traffic from its deploy on;
    minutes later the stable revision's quota errors fail many more. Both causes precede the 5xx on
    their own revision; the quota explains most of them and is the root cause, and the canary's bug
    loses as a second failure on its revision alone."""
    nonetype = "AttributeError: 'NoneType' object has no attribute 'get'"
    quota = ("google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for "
             "aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model")
    rows = [_entry(i, f"2025-09-15T14:{i // 2:02d}:{30 * (i % 2):02d}Z", "svc-00001-old", 200)
            for i in range(0, 60)]
    rows.append(_deploy(1, "2025-09-15T14:19:00Z", 80))
    for k, minute in enumerate(range(20, 60, 4)):  # the canary: one failure every four minutes
        rows.append(_app_error(100 + k, f"2025-09-15T14:{minute:02d}:05Z", "svc-00002-new", nonetype))
        rows.append(_entry(100 + k, f"2025-09-15T14:{minute:02d}:06Z", "svc-00002-new", 500))
    for k, minute in enumerate(range(30, 60)):  # the stable revision's quota, every minute
        rows.append(_app_error(200 + k, f"2025-09-15T14:{minute:02d}:40Z", "svc-00001-old", quota))
        rows.append(_entry(200 + k, f"2025-09-15T14:{minute:02d}:41Z", "svc-00001-old", 500))
    path = tmp_path / "x.json"
    path.write_text(json.dumps(sorted(rows, key=lambda r: r["timestamp"])))
    result = api.analyze([str(path)], since="1h").result
    assert result.root_cause.pattern_id == "gcp-quota-exhausted"
    losing = {h.pattern_id: h.why_not for h in result.hypotheses}
    assert "only on svc-00002-new" in losing["python-nonetype-attribute"]


@pytest.mark.parametrize(("recovers", "rollback_first"), [(False, True), (True, False)])
def test_a_deploy_that_began_failures_still_running_is_rolled_back_first(
    tmp_path: Path, recovers: bool, rollback_first: bool
) -> None:
    """The new revision's database host does not resolve from its deploy on: the first step sends
    the traffic back to the revision that served before, by name, and the fix of the setting comes
    after it (blind set CB01: a wrong secret, where resetting the password was the only advice).
    Once the failures have stopped, there is nothing to roll back."""
    rows = [_entry(i, f"2025-09-15T14:{i:02d}:00Z", "svc-00001-old", 200) for i in range(0, 40, 2)]
    rows.append(_deploy(1, "2025-09-15T14:39:00Z", 80))
    end = 50 if recovers else 60
    rows += [_entry(100 + i, f"2025-09-15T14:{i:02d}:30Z", "svc-00002-new", 500) for i in range(40, end)]
    rows += [_dns_error(200 + i, f"2025-09-15T14:{i:02d}:29Z", "svc-00002-new") for i in range(40, end)]
    rows += [_entry(300 + i, f"2025-09-15T14:{i:02d}:40Z", "svc-00003-fix", 200) for i in range(end, 60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(sorted(rows, key=lambda r: r["timestamp"])))
    result = api.analyze([str(path)], since="1h").result
    first = result.remediation[0]
    rollback = ("gcloud run services update-traffic svc --to-revisions svc-00001-old=100 "
                "--region <location> --project p")
    rolled_back = first.command == rollback
    assert rolled_back is rollback_first


def test_no_rollback_is_offered_for_a_revision_that_never_took_traffic(tmp_path: Path) -> None:
    """The new revision cannot resolve its database host and never serves a request, while the old
    one answers everything as before: the traffic is still where a rollback would send it, so the
    first step is not 'send all traffic back' (blind sets CV01, CV10)."""
    rows = [_entry(i, f"2025-09-15T14:{i:02d}:00Z", "svc-00001-old", 200) for i in range(0, 60)]
    rows.append(_deploy(1, "2025-09-15T14:39:00Z", 80))
    rows += [_dns_error(200 + i, f"2025-09-15T14:{i:02d}:29Z", "svc-00002-new") for i in range(40, 60)]
    path = tmp_path / "x.json"
    path.write_text(json.dumps(sorted(rows, key=lambda r: r["timestamp"])))
    result = api.analyze([str(path)], since="1h").result
    assert result.verdict.state.value in ("degraded", "down")
    assert not any("update-traffic" in (r.command or "") for r in result.remediation)
