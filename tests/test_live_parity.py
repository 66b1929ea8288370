"""One library, two executions: live analysis through the fake Cloud Logging equals the file analysis.

Every bundled sample (examples/*.json) and every constructed incident is served from the local
fake (the real google-cloud-logging client, rca's own pushdown filters) and analysed live; the
same entries are analysed from an export file over the same window. Both must give the same root
cause, the same findings with the same statuses, and an impact within 2 points. A second pass
forces the healthy requests to be sampled: the findings still agree and the scaled, labelled
estimate of the error rate stays within 2 points of the measured one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fakes.logging_server import FakeLoggingServer, load_export
from test_constructed_incidents import CASES as CONSTRUCTED
from test_constructed_incidents import healthy

from rca import api
from tests.suite import split

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SAMPLES = sorted(p.name for p in EXAMPLES.glob("*.json"))
FORCED_SAMPLING = {"exact_requests": 100, "sample_target": 200}


def constructed(category: str) -> list[dict[str, Any]]:
    log = healthy()
    CONSTRUCTED[category](log)
    return log.entries


def incident(name: str) -> list[dict[str, Any]]:
    if name in CONSTRUCTED:
        return constructed(name)
    return load_export(EXAMPLES / name)


def window(entries: list[dict[str, Any]]) -> tuple[str, str]:
    """The hour ending one second after the newest entry, as RFC 3339 bounds."""
    newest = max(datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")) for e in entries)
    newest = newest.replace(tzinfo=timezone.utc) if newest.tzinfo is None else newest
    end = newest.replace(microsecond=0) + timedelta(seconds=1)
    return (end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def service_and_project(entries: list[dict[str, Any]]) -> tuple[str, str]:
    labels = [e.get("resource", {}).get("labels", {}) for e in entries]
    services = sorted({str(x["service_name"]) for x in labels if x.get("service_name")})
    projects = sorted({str(x["project_id"]) for x in labels if x.get("project_id")})
    return services[0], (projects[0] if projects else "netra-staging")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("RCA_CACHE_DIR", str(tmp_path / "cache"))
    yield monkeypatch


def both(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sampling: dict[str, int] | None = None
) -> tuple[dict[str, Any], dict[str, Any], FakeLoggingServer]:
    """(file report, live report, the fake) for one incident over the same window."""
    entries = incident(name)
    service, project = service_and_project(entries)
    since, until = window(entries)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(sorted(entries, key=lambda e: e["timestamp"], reverse=True)))
    from_file = api.analyze([str(export)], since=since, until=until, service=service).result.to_json()
    with FakeLoggingServer(entries) as fake:
        monkeypatch.setenv("RCA_LOGGING_ENDPOINT", fake.url)
        monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", project)
        loaded = api.load_live(service=service, since=since, until=until, sampling=sampling)
        from_live = api.analyze(loaded).result.to_json()
    return from_file, from_live, fake


def findings(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["pattern_id"], f["status"]) for f in report["findings"])


def rate(value: float | None) -> float:
    return float(value or 0.0)


# The default suite runs one sample per parity check; the full suite (--run-slow, CI) every sample
# and constructed incident.
FAST = ["billing-api-2025-10-02.json"]


@pytest.mark.parametrize("name", split(SAMPLES + sorted(CONSTRUCTED), FAST))
def test_live_equals_file(name: str, tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    """Same root cause, findings and statuses, verdict, and impact within 2 points; the fetch is a
    fraction of the window and complete."""
    from_file, from_live, _ = both(name, tmp_path, env)
    assert from_live["complete"] is True and from_live["missing"] == []
    assert from_live["root_cause"]["category"] == from_file["root_cause"]["category"]
    assert from_live["root_cause"]["pattern_id"] == from_file["root_cause"]["pattern_id"]
    assert findings(from_live) == findings(from_file)
    assert from_live["status"]["state"] == from_file["status"]["state"]
    assert abs(rate(from_live["status"]["error_rate"]) - rate(from_file["status"]["error_rate"])) <= 0.02
    assert abs(rate(from_live["stats"]["error_rate"]) - rate(from_file["stats"]["error_rate"])) <= 0.02
    assert from_live["stats"]["entries"] <= from_file["stats"]["entries"]


@pytest.mark.parametrize("name", split(SAMPLES, FAST))
def test_live_with_sampled_requests_keeps_the_answer(
    name: str, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    """Healthy requests forced into a sample: the same root cause and findings, and the error rate
    the report shows is a scaled estimate, labelled, within 2 points of the measured one."""
    from_file, from_live, _ = both(name, tmp_path, env, sampling=FORCED_SAMPLING)
    assert from_live["root_cause"]["category"] == from_file["root_cause"]["category"]
    assert from_live["root_cause"]["pattern_id"] == from_file["root_cause"]["pattern_id"]
    assert findings(from_live) == findings(from_file)
    stats = from_live["stats"]
    assert stats["estimated"] is True and stats["sample"]["size"] > 0
    assert abs(rate(stats["error_rate"]) - rate(from_file["stats"]["error_rate"])) <= 0.02
    assert stats["server_errors"] == from_file["stats"]["server_errors"]


FORCED_STORM = {"exact_failing": 20, "failing_sample_target": 40}


@pytest.mark.parametrize("name", split(SAMPLES + sorted(CONSTRUCTED), FAST))
def test_live_with_a_sampled_storm_keeps_the_answer(
    name: str, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    """The bare failing requests forced into a sample after their first 20 (the budget a dense
    incident meets): the same root cause, findings and statuses, verdict, and an error rate
    within 2 points, labelled as an estimate whenever the storm was sampled."""
    from_file, from_live, _ = both(name, tmp_path, env, sampling=FORCED_STORM)
    assert from_live["root_cause"]["category"] == from_file["root_cause"]["category"]
    assert from_live["root_cause"]["pattern_id"] == from_file["root_cause"]["pattern_id"]
    assert findings(from_live) == findings(from_file)
    assert from_live["status"]["state"] == from_file["status"]["state"]
    assert abs(rate(from_live["status"]["error_rate"]) - rate(from_file["status"]["error_rate"])) <= 0.02
    stats = from_live["stats"]
    assert abs(rate(stats["error_rate"]) - rate(from_file["stats"]["error_rate"])) <= 0.02
    storm_sampled = any(st["query"] == "failing-sampled" for st in stats.get("sample", {}).get("strata", []))
    if storm_sampled:
        assert stats["estimated"] is True
        assert {"server_errors", "rate_limited"} & set(stats["estimated_fields"])
    else:
        assert stats["server_errors"] == from_file["stats"]["server_errors"]


NOT_AUTHORIZED = (
    "The request was not authorized to invoke this service. Read more at "
    "https://cloud.google.com/run/docs/securing/authenticating Additional troubleshooting documentation "
    "can be found at: https://cloud.google.com/run/docs/troubleshooting#unauthorized-client"
)


def test_refused_callers_are_counted_once_when_healthy_requests_are_sampled(
    tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    """A push subscription's invoker grant removed: IAM refuses its deliveries with a 403 beside
    healthy traffic that the live fetch samples. The refusals are read exactly (a pattern reads
    their text) before the sample: each stands for itself, not for 1/fraction, and they stay
    failed requests in the scaled totals, as in the file analysis."""
    log = healthy()
    for s in range(3600, 7200, 4):
        if s < 6000:
            log.request(s, 200)
        elif s % 60 == 0:
            log.request(s, 403, NOT_AUTHORIZED)  # the subscription's deliveries, refused from 6000 s
    since, until = window(log.entries)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(sorted(log.entries, key=lambda e: e["timestamp"], reverse=True)))
    from_file = api.analyze([str(export)], since=since, until=until, service="api").result.to_json()
    with FakeLoggingServer(log.entries) as fake:
        env.setenv("RCA_LOGGING_ENDPOINT", fake.url)
        env.setenv("GOOGLE_CLOUD_PROJECT", "acme")
        loaded = api.load_live(service="api", since=since, until=until, sampling=FORCED_SAMPLING)
        from_live = api.analyze(loaded).result.to_json()
    assert from_live["stats"]["estimated"] is True
    refusals = {f["pattern_id"]: f["count"] for f in from_file["findings"]}["run-request-not-authorized"]
    assert refusals == 20
    assert {f["pattern_id"]: f["count"] for f in from_live["findings"]}["run-request-not-authorized"] == 20
    assert from_file["status"]["failed_requests"] == 20
    assert from_live["status"]["failed_requests"] == 20
    assert from_live["status"]["state"] == from_file["status"]["state"]
