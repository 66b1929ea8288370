"""Small constructed incidents, one per failure family, each on an hour of healthy baseline.

They are built here, not taken from examples/, so the chain is exercised on shapes the sample
exports do not have: the expected category is the one the construction injected.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from rca import api
from tests.suite import split

T0 = datetime(2025, 6, 1, 10, 0, 0)
RES = {
    "type": "cloud_run_revision",
    "labels": {
        "service_name": "api",
        "revision_name": "api-00007-abc",
        "location": "europe-west1",
        "project_id": "acme",
    },
}
Entry = dict[str, Any]


class Log:
    """Builds Cloud Run LogEntry dicts with unique insertIds."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(
        self,
        at: float,
        log: str,
        text: str | None = None,
        severity: str | None = None,
        instance: str = "inst-1",
        **extra: Any,
    ) -> None:
        """One entry `at` seconds after T0."""
        entry: Entry = {
            "insertId": f"id{len(self.entries)}",
            "timestamp": (T0 + timedelta(seconds=at)).isoformat() + "Z",
            "logName": f"projects/acme/logs/{log.replace('/', '%2F')}",
            "resource": RES,
            "labels": {"instanceId": instance},
        }
        if text is not None:
            entry["textPayload"] = text
        if severity:
            entry["severity"] = severity
        entry.update(extra)
        self.entries.append(entry)

    def request(
        self, at: float, status: int, text: str | None = None, instance: str = "inst-1", path: str = "/v1/x"
    ) -> None:
        """A request log."""
        self.add(
            at,
            "run.googleapis.com/requests",
            text,
            "ERROR" if status >= 500 else ("WARNING" if status >= 400 else "INFO"),
            instance,
            httpRequest={
                "requestMethod": "GET",
                "requestUrl": f"https://api.run.app{path}",
                "status": status,
                "latency": "0.2s",
            },
        )

    def traceback(self, at: float, lines: list[str], instance: str = "inst-1") -> None:
        """A Python traceback split one line per entry, as Cloud Run writes stderr."""
        for i, line in enumerate(lines):
            self.add(at + i / 1000, "run.googleapis.com/stderr", line, instance=instance)


def healthy() -> Log:
    """An hour of 200s and access lines."""
    log = Log()
    for s in range(0, 3600, 20):
        log.request(s, 200)
        log.add(s, "run.googleapis.com/stdout", 'INFO:     169.254.1.1:1234 - "GET /v1/x HTTP/1.1" 200 OK')
    return log


def tb(*last: str) -> list[str]:
    """A traceback ending in the given lines."""
    return ["Traceback (most recent call last):", '  File "/app/main.py", line 12, in handler', *last]


def missing_env(log: Log) -> None:
    """New instances crash at import on a missing variable; the probe fails; requests get 503."""
    for k in range(10):
        s, inst = 3600 + k * 60, f"new-{k}"
        log.traceback(s, tb("    url = os.environ['DATABASE_URL']", "KeyError: 'DATABASE_URL'"), inst)
        log.add(
            s + 1,
            "run.googleapis.com/varlog/system",
            "Default STARTUP TCP probe failed 1 time consecutively "
            'for container "api-1" on port 8080. The instance was not started.',
            "ERROR",
            inst,
        )
        log.add(s + 1.1, "run.googleapis.com/varlog/system", "Container called exit(1).", "WARNING", inst)
        log.request(s + 2, 503, "The request failed because the instance could not start successfully.", inst)


def per_request(*lines: str, status: int = 500) -> Callable[[Log], None]:
    """An injector: every failing request logs a traceback ending in ``lines``."""

    def inject(log: Log) -> None:
        for k in range(40):
            log.traceback(3600 + k * 45, tb(*lines))
            log.request(3600 + k * 45, status)

    return inject


def oom(log: Log) -> None:
    """Instances breach their memory limit, are killed, and the requests on them fail."""
    for k in range(20):
        s, inst = 3600 + k * 90, f"i{k}"
        log.add(
            s,
            "run.googleapis.com/varlog/system",
            "Memory limit of 1024 MiB exceeded with 1089 MiB used. Consider "
            "increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits",
            "ERROR",
            inst,
        )
        log.add(
            s + 0.2, "run.googleapis.com/varlog/system", "Container terminated on signal 9.", "WARNING", inst
        )
        log.request(
            s + 0.1,
            503,
            "The request failed because either the HTTP response was malformed or connection "
            "to the instance had an error.",
            inst,
        )


CASES = {
    "missing-configuration": missing_env,
    "memory-limit-exceeded": oom,
    "database-unavailable": per_request(
        'psycopg2.OperationalError: connection to server at "10.1.0.3", port 5432 failed: FATAL:  remaining '
        "connection slots are reserved for non-replication superuser connections"
    ),
    "permission-denied": per_request(
        "google.api_core.exceptions.Forbidden: 403 POST https://storage.googleapis.com/upload/storage/v1/b/up/o"
        ": api@acme.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud "
        "Storage object. Permission 'storage.objects.create' denied on resource (or it may not exist)."
    ),
    "network-connectivity": per_request(
        "httpx.ConnectError: [Errno -2] Name or service not known", status=502
    ),
    "tls-certificate": per_request(
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
        "certificate has expired (_ssl.c:1006)"
    ),
}


@pytest.mark.parametrize("category", split(sorted(CASES), ("memory-limit-exceeded", "permission-denied")))
def test_constructed_incident_gets_its_injected_cause(category: str, tmp_path: Path) -> None:
    """The root cause is the category the construction injected, and every link cites entries."""
    log = healthy()
    CASES[category](log)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(sorted(log.entries, key=lambda e: e["timestamp"], reverse=True)))
    result = api.analyze([str(path)], since="1h", service="api").result
    assert result.root_cause.category.value == category
    assert result.root_cause.confidence >= 0.5
    assert all(link.evidence for link in result.chain)
    assert "<" not in result.root_cause.summary


def _export(log: Log, tmp_path: Path) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(sorted(log.entries, key=lambda e: e["timestamp"], reverse=True)))
    return str(path)


REDIS_DOWN = "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.7:6379. Connection refused."


def test_noise_that_was_already_there_loses_to_the_new_cause(tmp_path: Path) -> None:
    """Redis errors at the same rate before and during; the OOM that starts with the incident wins."""
    log = healthy()
    for k in range(8):  # the same trickle of Redis errors before and during the incident
        log.traceback(300 + k * 900, tb(REDIS_DOWN))
    oom(log)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "memory-limit-exceeded"
    redis = [h for h in result.hypotheses if h.pattern_id == "redis-connection-failed"]
    assert redis and "present before the incident" in redis[0].why_not


def test_a_dependency_failing_far_more_often_than_before_can_be_the_cause(tmp_path: Path) -> None:
    """One Redis error in the baseline does not make a Redis outage 'noise' when it jumps 40-fold."""
    log = healthy()
    log.traceback(600, tb(REDIS_DOWN))
    per_request(REDIS_DOWN)(log)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.pattern_id == "redis-connection-failed"


def test_a_failure_that_starts_after_the_symptom_is_not_its_cause(tmp_path: Path) -> None:
    """Pool exhaustion explains the 500s; DNS errors that begin 20 minutes later are ruled out by time."""
    log = healthy()
    per_request(
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection "
        "timed out, timeout 30.00"
    )(log)
    for k in range(10):
        log.traceback(3600 + 1500 + k * 60, tb("httpx.ConnectError: [Errno -2] Name or service not known"))
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "db-connection-pool-exhausted"
    dns = [h for h in result.hypotheses if h.pattern_id == "dns-resolution-failed"]
    assert dns and ("after" in dns[0].why_not or "no causal path" in dns[0].why_not)


def test_server_listening_on_another_port_than_the_probe_is_a_port_mismatch(tmp_path: Path) -> None:
    """uvicorn comes up on 8080 while Cloud Run probes 8000: a rule over both findings names port-mismatch."""
    log = healthy()
    for k in range(8):
        s, inst = 3600 + k * 240, f"new-{k}"
        log.add(s, "run.googleapis.com/stderr", "INFO:     Started server process [1]", instance=inst)
        log.add(
            s + 0.5, "run.googleapis.com/stderr", "INFO:     Application startup complete.", instance=inst
        )
        log.add(
            s + 0.6,
            "run.googleapis.com/stderr",
            "INFO:     Uvicorn running on http://0.0.0.0:8080 (Press CTRL+C to quit)",
            instance=inst,
        )
        log.add(
            s + 240,
            "run.googleapis.com/varlog/system",
            "Default STARTUP TCP probe failed 1 time consecutively "
            'for container "api-1" on port 8000. The instance was not started.',
            "ERROR",
            inst,
        )
        log.request(
            s + 241, 503, "The request failed because the instance could not start successfully.", inst
        )
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "port-mismatch"
    assert "8000" in result.root_cause.summary
    assert any(s.pattern_id == "server-listening" for s in result.chain[-1].evidence)


def test_same_port_on_both_sides_is_not_a_port_mismatch(tmp_path: Path) -> None:
    """When the server listens on the probed port, the port rule stays silent."""
    log = healthy()
    for k in range(8):
        s, inst = 3600 + k * 240, f"new-{k}"
        log.add(
            s,
            "run.googleapis.com/stderr",
            "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
            instance=inst,
        )
        log.add(
            s + 240,
            "run.googleapis.com/varlog/system",
            "Default STARTUP TCP probe failed 1 time consecutively "
            'for container "api-1" on port 8000. The instance was not started.',
            "ERROR",
            inst,
        )
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value != "port-mismatch"


POOL_TIMEOUT = ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection "
                "timed out, timeout 30.00")


def _no_baseline(log: Log, tmp_path: Path) -> Any:
    """The analysis of the whole input (no --since: no baseline before the window)."""
    return api.analyze([_export(log, tmp_path)], service="api").result


def test_sparse_noise_failing_its_own_requests_is_old_noise_even_without_a_baseline(tmp_path: Path) -> None:
    """No baseline: a Redis error every nine minutes from minute 17 to the end, each failing its
    request, ran all along (sparse noise first shows up after the input's first tenth: it is
    judged by its own interval); the pool exhaustion that begins at minute 45 is the cause."""
    log = Log()
    for s in range(0, 5100, 20):
        log.request(s, 200)
    for k in range(9):
        log.traceback(1020 + k * 540, tb(REDIS_DOWN))
        log.request(1020 + k * 540 + 0.01, 500)
    for s in range(2700, 5100, 20):
        log.traceback(s + 5, tb(POOL_TIMEOUT), instance="inst-2")
        log.request(s + 5.01, 500, instance="inst-2")
    result = _no_baseline(log, tmp_path)
    redis = [h for h in result.hypotheses if h.pattern_id == "redis-connection-failed"]
    assert (result.root_cause.category.value, bool(redis) and "present before" in redis[0].why_not) == (
        "db-connection-pool-exhausted", True)


DISALLOWED_HOST = ("ERROR django.security.DisallowedHost Invalid HTTP_HOST header: '10.8.3.80:8000'. "
                   "You may need to add '10.8.3.80' to ALLOWED_HOSTS.")


@pytest.mark.parametrize("noise_from, noise, cause", [(60, "pre-existing", "unknown"),
                                                      (1800, "active", "missing-configuration")])
def test_an_error_logged_steadily_before_the_failures_began_from_none_is_not_their_cause(
    noise_from: int, noise: str, cause: str, tmp_path: Path
) -> None:
    """No baseline (`kubectl logs --timestamps` of a Django pod): Django rejects a health
    checker's Host header every three minutes from the first minute, and from minute 30 a third of
    the orders fail with a bare "Internal Server Error" and nothing else logged. The failures began
    from none, with no step in a trickle and no new cause to date them: their start splits the
    window, the rejections ran at the same rate on both sides, and the cause is unknown, not the
    Host header (held-out SY01). Rejections that began with the failures are not set aside."""
    lines = []

    def line(at: float, text: str) -> None:
        ts = T0 + timedelta(seconds=at)
        lines.append((at, f"{ts.isoformat()}.000000000Z {text}\n"))

    for s in range(0, 3600, 10):
        failed = s >= 1800 and s % 30 == 0
        stamp = (T0 + timedelta(seconds=s)).strftime("%d/%b/%Y:%H:%M:%S +0000")
        if failed:
            line(s, f"{(T0 + timedelta(seconds=s)):%Y-%m-%d %H:%M:%S},000 ERROR django.request "
                    "Internal Server Error: /api/orders/")
        line(s + 0.1, f'10.8.1.7 - - [{stamp}] "POST /api/orders/ HTTP/1.1" {500 if failed else 201} 38 '
                      '"-" "orders-web/5.2.1"')
    for s in range(noise_from, 3600, 180):
        line(s + 5, f"{(T0 + timedelta(seconds=s + 5)):%Y-%m-%d %H:%M:%S},000 {DISALLOWED_HOST}")
    path = tmp_path / "orders-api.log"
    path.write_text("".join(text for _, text in sorted(lines)), encoding="utf-8")
    result = api.analyze([path], service="orders-api").result
    status = {f.pattern_id: f.status.value for f in result.findings}
    assert (status["django-disallowed-host"], result.root_cause.category.value,
            result.verdict.state.value) == (noise, cause, "degraded")


def test_revisions_that_never_start_split_the_window_when_no_new_cause_is_logged(tmp_path: Path) -> None:
    """No baseline and no cause logged for the new failure: two deploys whose instances fail the
    startup probe while the old revision serves on with the Redis errors it always had. The first
    new symptom splits the window, so the steady Redis errors are old noise, not the root cause."""
    log = Log()
    for s in range(0, 5400, 20):
        log.request(s, 200)
    for s in range(90, 5400, 120):
        log.traceback(s, tb(REDIS_DOWN))
        log.request(s + 0.01, 500)
    for k, s in enumerate((2400, 2430, 3900, 3930)):
        log.add(s, "run.googleapis.com/varlog/system",
                'Default STARTUP TCP probe failed 1 time consecutively for container "api-1" on port 8080. '
                "The instance was not started.", "ERROR", f"new-{k}")
    result = _no_baseline(log, tmp_path)
    redis = [h for h in result.hypotheses if h.pattern_id == "redis-connection-failed"]
    assert (result.root_cause.pattern_id != "redis-connection-failed",
            bool(redis) and "present before" in redis[0].why_not) == (True, True)


# Cloud Run's answer to a caller without an identity token at a service that requires one
# (https://github.com/firebase/firebase-functions-python/issues/193)
NOT_AUTHENTICATED = (
    "The request was not authenticated. Either allow unauthenticated invocations or set the proper "
    "Authorization header. Read more at https://cloud.google.com/run/docs/securing/authenticating "
    "Additional troubleshooting documentation can be found at: "
    "https://cloud.google.com/run/docs/troubleshooting#unauthorized-client"
)


def test_a_scanner_refused_beside_the_traffic_the_service_serves_is_no_incident(tmp_path: Path) -> None:
    """A burst of probes at a private URL (`/.env`, `/wp-login.php`, and the served route too) that
    Cloud Run refuses while every real call is answered as before: no failed request, no incident."""
    log = healthy()
    for s in range(3600, 7200, 20):
        log.request(s, 200)
    for k in range(120):  # a scanner's ten minutes, new in the window
        path = ("/.env", "/wp-login.php", "/.git/config", "/v1/x")[k % 4]
        log.request(5000 + k * 5, 403, NOT_AUTHENTICATED, path=path)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.verdict.state.value, result.verdict.failed_requests) == ("ok", 0)
    refusals = [h for h in result.hypotheses if h.pattern_id == "run-request-not-authorized"]
    assert not refusals or "not part of the incident" in refusals[0].why_not


def test_callers_refused_in_place_of_the_traffic_served_before_are_failed_requests(tmp_path: Path) -> None:
    """The invoker grant of the service's caller removed: its calls, answered until then, are
    refused from then on: failed requests, and the refusal is the root cause."""
    log = healthy()
    for s in range(3600, 7200, 20):
        if s < 5400:
            log.request(s, 200)
        else:
            log.request(s, 403, NOT_AUTHENTICATED)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.verdict.state.value, result.verdict.failed_requests) == ("down", 90)
    assert result.root_cause.pattern_id == "run-request-not-authorized"


def test_callers_refused_on_every_page_of_a_quiet_portal_are_failed_requests(tmp_path: Path) -> None:
    """A portal of ten pages, each asked for every ten minutes: from minute 60 every caller is
    refused on every page. No page's own few requests say so beyond chance; the service's, taken
    as one route, do (held-out GI07: every request of an HR portal refused after its identity
    proxy's audience changed): failed requests, down."""
    log = Log()
    for s in range(0, 5400, 60):
        path = f"/page{s // 60 % 10}"
        if s < 3600:
            log.request(s, 200, path=path)
        else:
            log.request(s, 403, NOT_AUTHENTICATED, path=path)
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert (result.verdict.state.value, result.verdict.failed_requests) == ("down", 30)


def test_the_fix_is_checked_on_a_route_that_failed(tmp_path: Path) -> None:
    """The verification calls the GET route whose requests failed, not a /health the service may
    not serve, and leaves the query string (which can carry a token) out."""
    log = healthy()
    for k in range(40):
        log.traceback(3600 + k * 45, tb(REDIS_DOWN))
        log.request(3600 + k * 45, 500, path="/v1/report?token=abc")
        log.request(3610 + k * 45, 200)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    calls = [v.command for v in result.verification if v.command and v.command.startswith("curl")]
    assert len(calls) == 1 and calls[0].endswith("')\"/v1/report") and "abc" not in calls[0]


@pytest.mark.parametrize(("failing", "other", "state"), [
    (3, "/v1/search?q=x", "down"), (3, "/static/app.3f9c.js", "down"), (3, "/v1/items/9", "down"),
    (1, "/v1/search?q=x", "degraded"),
])
def test_a_route_that_kept_serving_every_request_does_not_make_an_outage_a_degradation(
        tmp_path: Path, failing: int, other: str, state: str) -> None:
    """Every read of an item fails on Redis from minute 60 while another route answers each of its
    calls: three failures to one answered is down whatever the route that answered (engineers
    judged ten held-out incidents down at 67-86% failing beside a route that answered every call,
    one, GG06, degraded); one to one is a service that still answers half its callers, degraded."""
    log = healthy()
    for k in range(60):
        at = 3600 + k * 20
        log.traceback(at, tb(REDIS_DOWN))
        for j in range(failing):
            log.request(at + j * 0.5, 500, path=f"/v1/items/{1000 * (j + 1) + k}")
        log.request(at + 2, 200, path=other)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == state


@pytest.mark.parametrize(("asset", "state"), [("/static/app.3f9c.js", "down"), ("/v1/search", "degraded"),
                                             ("/v1/media/4361c99e/40109.jpg", "degraded")])
def test_static_files_served_say_nothing_of_whether_a_service_works(
        tmp_path: Path, asset: str, state: str) -> None:
    """From minute 60 every API call fails while the page's scripts load, one for each call: half
    the requests succeed, but only static files; the service's work fails in full, down
    (held-out GM04). The same share answered by an API route is a part of the service working,
    and so is a file an API route serves (`/v1/media/<id>/<n>.jpg`: a media service's downloads
    are its callers' work, held-out RV07)."""
    log = healthy()
    for k in range(60):
        at = 3600 + k * 20
        log.traceback(at, tb(REDIS_DOWN))
        log.request(at, 500, path=f"/v1/items/{k}")
        log.request(at + 1, 200, path=asset)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == state


def test_static_files_that_fail_too_are_what_the_service_serves(tmp_path: Path) -> None:
    """A tile server's work is static-looking paths (`/tiles/3/4/2.pbf`): one in five failing there
    beside a style file answered each time is a degradation, not every call failing with the
    tiles answered set aside (held-out GZ10). Static files are set aside only on routes where
    none failed."""
    log = healthy()
    for k in range(60):
        at = 3600 + k * 20
        log.traceback(at, tb(REDIS_DOWN))
        log.request(at, 500 if k % 5 == 0 else 200, path=f"/tiles/{k % 7}/{k % 5}/{k}.pbf")
        log.request(at + 1, 200, path=f"/tiles/{k % 6}/{k % 4}/{k + 1}.pbf")
        log.request(at + 2, 200, path="/styles/streets/style.json")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == "degraded"


def test_a_breaker_opened_by_the_guarded_code_s_own_bug_is_that_bug(tmp_path: Path) -> None:
    """opossum counts any throw of the function it wraps as a failed call: the BFF's own TypeError
    mapping an answer the upstream gave with 200 opens the breaker, whose refusals then fill the
    logs (held-out GB05). The bug is the cause, not an upstream outage the breaker usually means."""
    log = healthy()
    for k in range(40):
        at = 3600 + k * 30
        if k % 8 == 0:
            log.add(at, "run.googleapis.com/stderr",
                    "TypeError: Cannot read properties of undefined (reading 'map')\n"
                    "    at mapOffers (/app/dist/offers.js:41:29)", "ERROR")
        else:
            log.add(at, "run.googleapis.com/stderr", "Error: Breaker is open", "ERROR")
        log.request(at + 0.1, 503)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "application-exception"


@pytest.mark.parametrize(("back_at", "state"), [(3000, "recovered"), (None, "down")])
def test_traffic_moved_back_to_the_old_revision_ends_a_rollout_that_never_started(
        tmp_path: Path, back_at: int | None, state: str) -> None:
    """A new revision whose workers never boot takes all the traffic at minute 30 and fails every
    request; at minute 50 the traffic is moved back to the old revision, silent meanwhile, which
    answers again: recovered, though the new revision never started (held-out GA06). Left on the
    new revision to the end, down."""
    new = {"type": "cloud_run_revision", "labels": {**RES["labels"], "revision_name": "api-00008-new"}}
    log = Log()
    end = 4200
    for t in range(0, end, 20):
        failing = t >= 1800 and (back_at is None or t < back_at)
        if failing:
            log.add(t, "run.googleapis.com/stderr", "[2025-06-01 10:30:00 +0000] [1] [ERROR] Reason: Worker "
                    "failed to boot.", "ERROR", resource=new)
            refused = {"requestMethod": "GET", "requestUrl": "https://api.run.app/v1/x", "status": 503}
            log.add(t + 0.5, "run.googleapis.com/requests", None, "ERROR", resource=new, httpRequest=refused)
        else:
            log.request(t, 200)
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert result.verdict.state.value == state


@pytest.mark.parametrize(("served_after", "state"), [(False, "down"), (True, "ok")])
def test_404s_in_place_of_every_page_the_service_served_are_failed_requests(
        tmp_path: Path, served_after: bool, state: str) -> None:
    """The load balancer's backend points at a service that was deleted: from minute 60 every
    request is answered 404 where the same pages were answered 200 before (held-out GI03): the
    callers lost the service, down, not a quiet window. A scanner's 404s beside pages still
    served are no lost traffic."""
    log = healthy()
    for k in range(60):
        at = 3600 + k * 20
        log.request(at, 404, path="/v1/x" if not served_after else f"/wp-admin/{k}.php")
        if served_after:
            log.request(at + 1, 200)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == state


def test_a_framework_logging_a_scanner_s_404s_at_error_is_no_incident(tmp_path: Path) -> None:
    """Symfony logs every request for a missing route at ERROR: a scanner's ten minutes of 404s
    make hundreds of ERROR entries and no failed request. A client's business, not an incident;
    the same entries are still listed, as context."""
    log = healthy()
    for s in range(3600, 7200, 20):
        log.request(s, 200)
    for k in range(200):
        path = ("/wp-login.php", "/.env", "/xmlrpc.php")[k % 3]
        log.request(5000 + k * 3, 404, path=path)
        log.add(5000 + k * 3, "run.googleapis.com/stderr",
                "request.ERROR: Uncaught PHP Exception Symfony\\Component\\HttpKernel\\Exception\\"
                f'NotFoundHttpException: "No route found for "GET {path}"" at /app/vendor/symfony/'
                "http-kernel/EventListener/RouterListener.php line 127", "ERROR")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    found = {f.pattern_id: f.role.value for f in result.findings}
    assert (result.verdict.state.value, found.get("http-client-not-found-logged")) == ("ok", "context")


def test_a_database_logging_duplicate_keys_the_service_handled_is_no_incident(tmp_path: Path) -> None:
    """Cloud SQL logs each refused duplicate insert at ERROR while the service reads the existing
    row and answers 200: the database's statement errors, with no failed request and nothing the
    service logged at ERROR, are no incident."""
    log = healthy()
    for s in range(3600, 7200, 20):
        log.request(s, 200)
    sql = {"type": "cloudsql_database", "labels": {"database_id": "acme:orders-db", "region": "us-central"}}
    for k in range(40):
        log.add(4000 + k * 60, "cloudsql.googleapis.com/postgres.log",
                f'2025-06-01 12:{k % 60:02d}:00.000 UTC [2{k:03d}]: [1-1] db=orders,user=orders_app ERROR:  '
                'duplicate key value violates unique constraint "reservations_order_id_key"', "ERROR",
                resource=sql)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == "ok"


def test_redis_timeouts_then_loading_are_redis_failing_over_not_the_network(tmp_path: Path) -> None:
    """ioredis times out (`Error: connect ETIMEDOUT`, no host named) while Memorystore fails over,
    then Redis answers LOADING once back: the dependency restarted, so the cause is Redis down, not
    the network path; and the statement names no port borrowed from the server's own listen line."""
    log = healthy()
    log.add(3590, "run.googleapis.com/stdout", "Server listening on port 8080", "INFO")
    log.add(3591, "run.googleapis.com/stdout", "connecting to PostgreSQL host=10.107.1.3 database=cart",
            "INFO")
    for k in range(40):
        log.add(3600 + k * 30, "run.googleapis.com/stderr",
                "[ioredis] Unhandled error event: Error: connect ETIMEDOUT", "ERROR")
        log.request(3600 + k * 30, 500)
    for k in range(10):
        log.add(4900 + k * 20, "run.googleapis.com/stderr",
                "ReplyError: LOADING Redis is loading the dataset in memory", "ERROR")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "upstream-service-failure"
    assert ":8080" not in result.root_cause.summary


@pytest.mark.parametrize("gave_up", [
    "Timeout of 30.0s exceeded",  # api_core 2.11 and later
    "Deadline of 60.0s exceeded while calling target function",  # before 2.11 (blind set BZ06)
])
def test_a_google_api_client_that_could_connect_to_no_address_is_the_network_path(
    gave_up: str, tmp_path: Path
) -> None:
    """api_core's RetryError wrapping gRPC's 503 'failed to connect to all addresses': the calls
    never reached the API (egress without Private Google Access or NAT), so the cause is the
    network path, not the API failing or timing out (blind set BX10)."""
    log = healthy()
    per_request(
        f"google.api_core.exceptions.RetryError: {gave_up}, last exception: 503 failed to "
        "connect to all addresses; last error: UNKNOWN: ipv4:142.251.33.74:443: Failed to connect to "
        "remote host: Timeout occurred: FD Shutdown"
    )(log)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.root_cause.category.value, result.root_cause.pattern_id) == (
        "network-connectivity", "gcp-retry-timeout")


GO_REDIS_TIMEOUT = ("redis: connection pool: failed to dial after 5 attempts: "
                    "dial tcp 10.112.0.4:6379: i/o timeout")


def _firewall_insert(log: Log, at: float, method: str = "v1.compute.firewalls.insert") -> None:
    """An Admin Activity audit entry of a firewall rule change, as Compute Engine writes it."""
    log.add(at, "cloudaudit.googleapis.com/activity", severity="NOTICE",
            resource={"type": "gce_firewall_rule",
                      "labels": {"project_id": "acme", "firewall_rule_id": "81"}},
            protoPayload={"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                          "methodName": method, "resourceName": "projects/acme/global/firewalls/deny-egress",
                          "authenticationInfo": {"principalEmail": "netops@acme.iam.gserviceaccount.com"}})


def _redis_unreachable(log: Log, start: float) -> None:
    for k in range(40):
        log.add(start + k * 30, "run.googleapis.com/stderr", GO_REDIS_TIMEOUT, "ERROR")
        log.request(start + k * 30, 500)


SECRET_DENIED = ("google.api_core.exceptions.PermissionDenied: 403 Permission "
                 "'secretmanager.versions.access' denied for resource "
                 "'projects/123/secrets/stripe-key/versions/latest' (or it may not exist).")


def _secret_reads_denied(log: Log, start: float) -> None:
    """Every 30 s from ``start`` for 20 minutes, a secret read denied and the request it failed."""
    for k in range(40):
        log.add(start + k * 30, "run.googleapis.com/stderr", SECRET_DENIED, "ERROR")
        log.request(start + k * 30, 500)


def test_a_firewall_change_just_before_the_network_failures_is_the_deepest_why(tmp_path: Path) -> None:
    """A firewall rule inserted two minutes before Redis became unreachable: the change is the last
    why, the root cause restates it, `status.change` names who changed what, and its steps are
    checked by the failure going away (blind set BU05)."""
    log = healthy()
    _firewall_insert(log, 3480)
    _redis_unreachable(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    change = result.verdict.change
    assert change is not None and result.verdict.trigger is None
    assert (change.method, change.resource, change.by) == (
        "v1.compute.firewalls.insert", "projects/acme/global/firewalls/deny-egress",
        "netops@acme.iam.gserviceaccount.com")
    assert (result.root_cause.category.value, result.root_cause.pattern_id) == (
        "network-connectivity", "deploy-network-changed")
    assert result.chain[-1].pattern_id == "deploy-network-changed"
    assert result.chain[-2].pattern_id == "go-redis-dial-failed"
    assert "deny-egress" in result.root_cause.summary
    steps = [r for r in result.remediation if r.pattern_id == "deploy-network-changed"]
    assert steps and all("go-redis-dial-failed" in (r.verify or "") for r in steps)


@pytest.mark.parametrize("resource, command", [
    ("projects/123/secrets/stripe-key",
     "gcloud secrets add-iam-policy-binding stripe-key --project 123 "
     "--member serviceAccount:api@acme.iam.gserviceaccount.com --role roles/secretmanager.secretAccessor"),
    ("projects/_/buckets/acme-uploads",
     "gcloud storage buckets add-iam-policy-binding gs://acme-uploads "
     "--member serviceAccount:api@acme.iam.gserviceaccount.com --role roles/secretmanager.secretAccessor"),
])
def test_an_iam_change_that_removed_the_services_binding_is_undone_first(
    resource: str, command: str, tmp_path: Path
) -> None:
    """A SetIamPolicy on one secret (or bucket) removed the service's binding, another person's too,
    and the service's reads were denied from then on: the change names what it removed, and the
    first step grants the service's binding again on that resource, not a look at the project's
    bindings (blind sets CW06, CX08, DE03, DF07, CZ02)."""
    log = healthy()
    accessor = "roles/secretmanager.secretAccessor"
    deltas = [{"action": "REMOVE", "role": accessor, "member": "user:old@acme.example"},
              {"action": "REMOVE", "role": "roles/secretmanager.secretAccessor",
               "member": "serviceAccount:api@acme.iam.gserviceaccount.com"},
              {"action": "ADD", "role": "roles/viewer", "member": "user:new@acme.example"}]
    log.add(3480, "cloudaudit.googleapis.com/activity", severity="NOTICE",
            resource={"type": "audited_resource", "labels": {"project_id": "acme"}},
            protoPayload={"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                          "methodName": "google.iam.v1.IAMPolicy.SetIamPolicy", "resourceName": resource,
                          "authenticationInfo": {"principalEmail": "ops@acme.example"},
                          "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                                          "policyDelta": {"bindingDeltas": deltas}}})
    _secret_reads_denied(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    change = result.verdict.change
    assert change is not None and ("roles/secretmanager.secretAccessor",
                                   "serviceAccount:api@acme.iam.gserviceaccount.com") in change.removed
    assert "it removed roles/secretmanager.secretAccessor from user:old@acme.example, " \
           "roles/secretmanager.secretAccessor from serviceAccount:api@" in change.statement
    assert result.remediation[0].command == command


@pytest.mark.parametrize("by, member, named", [("dev@acme.example", "allUsers", False),
                                              ("ops@acme.example", "allUsers", True),
                                              ("dev@acme.example", "serviceAccount:web@acme.example", True)])
def test_an_iam_policy_the_deploy_of_the_same_service_set_is_that_deploy_s_step(
    by: str, member: str, named: bool, tmp_path: Path
) -> None:
    """`gcloud run deploy --allow-unauthenticated` replaces the service, then sets its IAM policy to
    let allUsers in: set by the deploy's own principal on the same service seconds later, it is a
    step of that deploy, not an IAM change that took access away (held-out HQ09: a first deploy
    whose container never listened on its port read as permission denied). Set by someone else, or
    setting a policy without allUsers (public access taken away), it is a change."""
    log = healthy()
    audit = {"type": "audited_resource", "labels": {"project_id": "acme"}}
    log.add(3470, "cloudaudit.googleapis.com/activity", severity="NOTICE", resource=audit,
            protoPayload={"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                          "methodName": "google.cloud.run.v1.Services.ReplaceService",
                          "resourceName": "namespaces/acme/services/api",
                          "authenticationInfo": {"principalEmail": "dev@acme.example"}})
    log.add(3473, "cloudaudit.googleapis.com/activity", severity="NOTICE", resource=audit,
            protoPayload={"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                          "methodName": "google.cloud.run.v1.Services.SetIamPolicy",
                          "resourceName": "projects/acme/locations/us-central1/services/api",
                          "authenticationInfo": {"principalEmail": by},
                          "request": {"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest",
                                      "policy": {"bindings": [{"role": "roles/run.invoker",
                                                               "members": [member]}]}}})
    _secret_reads_denied(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.verdict.change is not None) is named


@pytest.mark.parametrize("when, method", [
    (3700, "v1.compute.firewalls.insert"),  # after the failures began
    (3480, "google.iam.v1.IAMPolicy.SetIamPolicy"),  # a change of another kind
    (3600 - 2 * 3600, "v1.compute.firewalls.insert"),  # long before: not what set it off
])
def test_a_change_after_the_cause_or_of_another_kind_is_not_its_why(
    when: float, method: str, tmp_path: Path
) -> None:
    """The order of events and the kind of change decide: a change logged after the cause began, one
    whose kind brings another failure, or one hours before, is not named as what set it off."""
    log = healthy()
    _firewall_insert(log, when, method)
    _redis_unreachable(log, 3600)
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert result.verdict.change is None
    assert result.root_cause.pattern_id == "go-redis-dial-failed"


def test_a_cause_already_there_before_the_change_was_not_set_off_by_it(tmp_path: Path) -> None:
    """Redis timeouts logged before the firewall change too: the change did not begin them."""
    log = healthy()
    log.add(1000, "run.googleapis.com/stderr", GO_REDIS_TIMEOUT, "ERROR")
    _firewall_insert(log, 3480)
    _redis_unreachable(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.change is None


def test_an_error_quoted_at_the_end_of_a_one_line_error_is_the_cause_of_it(tmp_path: Path) -> None:
    """A Go image built without CA certificates: the payments fail on x509, and the trace exporter's
    gRPC calls fail with 'connection error ... authentication handshake failed: tls: ... x509'. The
    gRPC failure prints the TLS failure it wraps last (the library's `one_line_cause_order`), so
    the chain reaches the certificate, not an upstream being down (blind set CB10)."""
    log = healthy()
    x509 = "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    for k in range(40):
        at = 3600 + k * 30
        log.add(at, "run.googleapis.com/stdout", severity="ERROR", trace=f"projects/acme/traces/t{k}",
                jsonPayload={"message": "psp authorise failed",
                             "error": f'Post "https://psp.example.com/v71/payments": {x509}'})
        log.request(at + 0.01, 502)
        log.entries[-1]["trace"] = f"projects/acme/traces/t{k}"
        if k % 2 == 0:
            log.add(at + 1, "run.googleapis.com/stderr",
                    "2026/11/29 09:37:56 traces export: context deadline exceeded: rpc error: code = "
                    f'Unavailable desc = connection error: desc = "transport: authentication handshake '
                    f'failed: {x509}"')
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "tls-certificate"


def test_the_403_page_another_service_answered_is_this_service_s_permission_failure(tmp_path: Path) -> None:
    """The service's calls to a private Cloud Run service get Google's 403 page, which it logs: its
    identity may not invoke that service. That is its own permission failure, not the platform
    refusing its callers (a scanner's probes, noise) (blind set CC03)."""
    log = healthy()
    page = ("pricing: unexpected status 403 Forbidden: <html><head><title>403 Forbidden</title></head>"
            "<body><h1>Error: Forbidden</h1><h2>Your client does not have permission to get URL "
            "<code>/v1/quote</code> from this server.</h2></body></html>")
    for k in range(40):
        log.add(3600 + k * 30, "run.googleapis.com/stdout", page, "ERROR")
        log.request(3600 + k * 30, 502)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.root_cause.category.value, result.root_cause.pattern_id) == (
        "permission-denied", "run-invoke-forbidden-page")


@pytest.mark.parametrize("level, state", [("WARN", "ok"), ("ERROR", "degraded")])
def test_failures_the_service_logged_as_warnings_while_serving_every_request(
    level: str, state: str, tmp_path: Path
) -> None:
    """A ranker timing out, caught, a fallback served and logged at WARN, every request answered
    200: the service says it coped, so no incident (blind sets CC07, BQ10). The same lines logged
    at ERROR are the service saying it failed: an incident with no failed request."""
    log = healthy()
    for k in range(12):
        log.add(3600 + k * 20, "run.googleapis.com/stdout", severity="DEFAULT",
                jsonPayload={"level": level, "message": "ml-ranker unavailable, serving fallback: "
                             "java.net.SocketTimeoutException: timeout",
                             "stack_trace": "java.net.SocketTimeoutException: timeout\n\tat "
                             "okio.SocketAsyncTimeout.newTimeoutException(JvmOkio.kt:147)\n\tat "
                             "com.acme.recs.RankerClient.rank(RankerClient.java:88)"})
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == state


@pytest.mark.parametrize("prefix, state", [("INFO:docs.search:", "ok"), ("ERROR:docs.search:", "degraded")])
def test_a_plain_line_s_own_level_word_says_whether_the_service_coped(
    prefix: str, state: str, tmp_path: Path
) -> None:
    """A plain stderr line has no severity (DEFAULT); Python logging's default format starts it with
    the level: 'INFO:...served cached results: ... Read timed out.' beside requests that all
    succeeded is the service coping (blind set CF08); the same at ERROR is an incident."""
    log = healthy()
    for s in range(3600, 5600, 20):  # the requests go on as long as the lines do
        log.request(s, 200)
    for k in range(4):
        log.add(3700 + k * 600, "run.googleapis.com/stderr",
                f"{prefix}search backend slow, served cached results: "
                "HTTPSConnectionPool(host='search.internal', port=443): Read timed out. (read timeout=2)")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == state


CONTENTION = ("google.api_core.exceptions.Aborted: 409 Too much contention on these documents. "
              "Please try again.")
REVOKED = ("google.auth.exceptions.RefreshError: ('invalid_grant: Token has been expired or revoked.', "
           "{'error': 'invalid_grant', 'error_description': 'Token has been expired or revoked.'})")


@pytest.mark.parametrize("noise_from, noise", [(700, "pre-existing"), (1500, "active")])
def test_noise_that_began_well_before_the_failures_at_the_same_rate_is_not_their_cause(
    noise_from: int, noise: str, tmp_path: Path
) -> None:
    """No baseline (the whole input is the window). Firestore contention logged every 200 s from
    minute 12, the failures from minute 25 with a revoked token: the contention ran at the same
    rate before and after, so it is noise and the token is the cause (blind set CC04). Contention
    that began with the failures is not set aside."""
    log = healthy()
    for t in range(noise_from, 3600, 200):
        log.add(t, "run.googleapis.com/stderr", CONTENTION, "ERROR")
    for t in range(1500, 3600, 30):
        log.add(t, "run.googleapis.com/stderr", REVOKED, "ERROR")
        log.request(t + 0.5, 500)
    result = api.analyze([_export(log, tmp_path)], service="api").result
    status = {f.pattern_id: f.status.value for f in result.findings}
    assert status["firestore-transaction-contention"] == noise
    if noise == "pre-existing":
        assert result.root_cause.category.value == "missing-configuration"


def test_the_symptom_s_why_carries_the_root_cause_s_category(tmp_path: Path) -> None:
    """Users' 500s from a service whose Redis is unreachable: the 5xx why is the network's doing,
    not 'application-exception', the bare 5xx pattern's own reading (blind sets CC, CE, CG)."""
    log = healthy()
    _redis_unreachable(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.chain[0].pattern_id == "run-request-5xx"
    assert result.chain[0].category is result.root_cause.category
    assert result.root_cause.category.value == "network-connectivity"


LEAK = ("WARN 1 --- [ousekeeper] com.zaxxer.hikari.pool.ProxyLeakTask   : Connection leak detection "
        "triggered for org.postgresql.jdbc.PgConnection@5e3f2a1 on thread http-nio-8080-exec-3, "
        "stack trace follows")


@pytest.mark.parametrize("rollout, leak", [(True, "active"), (False, "pre-existing")])
def test_a_steady_warning_that_came_with_a_rollout_is_that_rollout_s_failure(
    rollout: bool, leak: str, tmp_path: Path
) -> None:
    """Hikari's leak warnings run steadily from minute 12, and the pool runs dry from minute 25. On
    a revision first seen at minute 12 the leak came with that rollout: its failure, however steady
    (benchmarks' java_deploy_slow_leak); on the revision that served all along it is noise that was
    there before, like the contention of blind set CC04."""
    revision = "api-00008-new" if rollout else RES["labels"]["revision_name"]
    res = {"type": "cloud_run_revision", "labels": {**RES["labels"], "revision_name": revision}}
    log = healthy()
    for t in range(700, 3600, 20):
        log.add(t, "run.googleapis.com/requests", None, "INFO", resource=res,
                httpRequest={"requestMethod": "GET", "requestUrl": "https://api.run.app/v1/x", "status": 200})
    for t in range(700, 3600, 200):
        log.add(t, "run.googleapis.com/stdout", LEAK, "WARNING", resource=res)
    for t in range(1500, 3600, 30):
        log.add(t, "run.googleapis.com/stderr", "java.sql.SQLTransientConnectionException: HikariPool-1 - "
                "Connection is not available, request timed out after 30000ms.", "ERROR", resource=res)
        log.add(t + 0.5, "run.googleapis.com/requests", None, "ERROR", resource=res,
                httpRequest={"requestMethod": "GET", "requestUrl": "https://api.run.app/v1/x", "status": 500})
    result = api.analyze([_export(log, tmp_path)], service="api").result
    status = {f.pattern_id: f.status.value for f in result.findings}
    assert status["java-hikari-connection-leak"] == leak


def test_a_1st_gen_function_s_executions_are_the_work_it_served(tmp_path: Path) -> None:
    """A Pub/Sub-triggered 1st gen function logs no request, only one line per execution: 'ok' for
    seven in ten, 'error' for the rest, each error with its exception. Those lines are its work:
    degraded, not down because 'no request was logged' (blind set CH10)."""
    fn = {"type": "cloud_function", "labels": {"function_name": "sync", "region": "us-central1",
                                               "project_id": "acme"}}
    log = Log()
    for k in range(200):
        status = "error" if k % 10 < 3 and k >= 60 else "ok"
        if status == "error":
            log.add(k * 15, "cloudfunctions.googleapis.com/cloud-functions",
                    "TypeError: 'NoneType' object is not subscriptable", "ERROR", resource=fn)
        log.add(k * 15 + 1, "cloudfunctions.googleapis.com/cloud-functions",
                f"Function execution took 212 ms, finished with status: '{status}'", "DEBUG", resource=fn)
    result = api.analyze([_export(log, tmp_path)], service="sync").result
    assert (result.verdict.requests, result.verdict.state.value) == (200, "degraded")


def test_a_change_the_api_refused_changed_nothing(tmp_path: Path) -> None:
    """A firewall insert whose audit entry is at ERROR (the API refused it) set nothing off."""
    log = healthy()
    _firewall_insert(log, 3480)
    log.entries[-1]["severity"] = "ERROR"
    _redis_unreachable(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.change is None


def test_the_findings_a_rule_stood_on_bring_their_remediation(tmp_path: Path) -> None:
    """node-postgres' connections closed while Postgres was in recovery: the rule names the database
    restarting, and the steps of the database's own finding (its operations) are in the
    remediation, not only the pool tuning of the client's (blind set CI06)."""
    log = healthy()
    for k in range(30):
        log.add(3600 + k * 20, "run.googleapis.com/stderr", "Error: Connection terminated unexpectedly",
                "ERROR")
        log.request(3600 + k * 20, 500)
        log.add(3601 + k * 20, "run.googleapis.com/stderr",
                "2022-01-19 13:38:37.846 GMT [361] FATAL:  the database system is in recovery mode", "ERROR")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "database-unavailable"
    assert "postgres-starting-up" in {r.pattern_id for r in result.remediation}


def test_ruby_pg_dialling_libpq_s_default_socket_is_an_unset_database_url(tmp_path: Path) -> None:
    """PG::ConnectionBad on libpq's default socket, in a container where no Postgres runs: the
    connection named no host, so the database URL is unset; as the pgx and libpq patterns read it."""
    log = healthy()
    per_request('PG::ConnectionBad: connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" '
                "failed: No such file or directory")(log)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.root_cause.category.value, result.root_cause.pattern_id) == (
        "missing-configuration", "ruby-pg-connection-bad")
    assert "<" not in result.root_cause.summary


IOREDIS_RESET = ("[ioredis] Unhandled error event: Error: read ECONNRESET",
                 "    at TCP.onStreamRead (node:internal/stream_base_commons:217:20)")
SECRET_DENIED = ("google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions."
                 "access' denied for resource 'projects/acme/secrets/stripe-key/versions/latest' (or it "
                 "may not exist).")


@pytest.mark.parametrize("lines, times, state", [
    (IOREDIS_RESET, (1800, 2400), "ok"),
    (IOREDIS_RESET, (1800, 2400, 3300), "not ok"),
    ((SECRET_DENIED,), (1800, 2400), "not ok"),
])
def test_a_dependency_reset_the_service_rode_through_while_serving_every_request_is_no_incident(
    lines: tuple[str, ...], times: tuple[int, ...], state: str, tmp_path: Path
) -> None:
    """Memorystore resets ioredis' connection twice (the stack's line a stderr entry of its own, at
    ERROR like the first) and the client reconnects; every request before, between and after is
    answered: the service rode through it, no incident (blind sets CE08, CI02). Resets still
    logged in the last ten minutes are not yet ridden through, and a failure that lasts until
    someone changes something (a secret it may not read) is no blip however it ended."""
    log = healthy()
    for at in times:
        for i, line in enumerate(lines):
            log.add(at + i / 10_000, "run.googleapis.com/stderr", line, "ERROR")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.verdict.state.value == "ok") is (state == "ok")
    if state == "ok":
        assert "rode through" in result.root_cause.summary
        assert "peer reset the connection" in result.root_cause.summary


PROXY_DENIED = ('2025/06/10 13:37:09 [acme:europe-west1:orders-pg] failed to connect to instance: failed to '
                'get instance: Refresh error: failed to get instance metadata (connection name = '
                '"acme:europe-west1:orders-pg"): googleapi: Error 403: boss::NOT_AUTHORIZED: Not authorized '
                'to access resource. Possibly missing permission cloudsql.instances.get on resource '
                'instances/orders-pg., forbidden')


def test_a_proxy_sidecar_denied_the_instance_explains_the_connections_it_closed(tmp_path: Path) -> None:
    """A Cloud SQL Auth Proxy sidecar on a revision whose identity lacks cloudsql.client: it
    accepts each connection, cannot fetch the instance (403) and closes it, so the app's driver
    reports the server closing the connection. The proxy's denial is the root cause, not the
    network (blind set CL01)."""
    log = healthy()
    for k in range(40):
        at = 3600 + k * 30
        log.add(at, "run.googleapis.com/stderr", PROXY_DENIED)  # plain stderr lines: no level
        closed = ('psycopg2.OperationalError: connection to server at "127.0.0.1", port 5432 failed: '
                  "server closed the connection unexpectedly")
        log.traceback(at + 0.01, ["[2025-06-10 13:37:09 +0000] [7] [ERROR] Exception on /api/orders [POST]",
                                  *tb(closed)])
        log.request(at + 0.02, 500)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.root_cause.category.value, result.root_cause.pattern_id) == (
        "permission-denied", "cloudsql-not-authorized")


@pytest.mark.parametrize("served_after, state", [(True, "ok"), (False, "not ok")])
def test_errors_logged_refusing_a_client_beside_the_callers_served_are_no_incident(
    served_after: bool, state: str, tmp_path: Path
) -> None:
    """A mobile client with an expired token: each of its requests answered 401 and, in the same
    trace, the service's ERROR 'authentication failed' (golang-jwt's 'token is expired'), while
    the route serves everyone else: the client's failure, told at ERROR by the app's choice (blind
    set CN04). When the 401s take the place of every caller served before (token checks broken for
    all), the errors are the incident's."""
    log = Log()
    for s in range(0, 3600, 20):
        if served_after or s < 1800:
            log.request(s, 200)
    for k, at in enumerate(range(1800, 3600, 30)):
        log.request(at, 401)
        log.entries[-1]["trace"] = f"projects/acme/traces/c{k}"
        log.add(at + 0.002, "run.googleapis.com/stdout", severity="ERROR", trace=f"projects/acme/traces/c{k}",
                jsonPayload={"message": "authentication failed",
                             "err": "token has invalid claims: token is expired"})
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.verdict.state.value == "ok") is (state == "ok")


OTEL_GO = ('2025/06/01 10:31:26 failed to upload metrics: context deadline exceeded: rpc error: code = '
           'Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp '
           '10.8.0.9:4317: connect: connection refused"')


def test_a_telemetry_exporter_s_failures_are_not_the_service_s(tmp_path: Path) -> None:
    """The OpenTelemetry SDK cannot reach its collector from minute 30 to the end and says so at
    ERROR every minute, quoting gRPC's Unavailable and the refused connection, while every request
    is served: telemetry is being lost, the service is not failing (blind sets CL09, CN05, CI05).
    The exporter's pattern claims the line, so neither gRPC's nor the network's reading counts."""
    log = healthy()
    for at in range(1800, 3600, 60):
        log.add(at + 5, "run.googleapis.com/stderr", OTEL_GO, "ERROR")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == "ok"
    assert {f.pattern_id for f in result.findings} == {"otel-go-export-failed"}


def test_a_canary_whose_failures_step_up_with_its_traffic_is_the_deploy_s_failure(tmp_path: Path) -> None:
    """A canary from minute 12 fails one call a minute with a bare 500 and no line of its own, then,
    given more traffic at minute 30, most of its calls, while the old revision serves cleanly: the
    failures step up at minute 30, but they began with the new revision, so the deploy is the
    answer (blind set CQ07), not a steady warning nothing ties to them."""
    new = {"type": "cloud_run_revision", "labels": {**RES["labels"], "revision_name": "api-00008-new"}}
    log = healthy()
    for s in range(720, 3600, 10):
        fails = s % 60 == 0 if s < 1800 else s % 20 != 0  # one a minute, then two in three calls
        log.add(s + 5, "run.googleapis.com/requests", None, "ERROR" if fails else "INFO", resource=new,
                httpRequest={"requestMethod": "POST", "requestUrl": "https://api.run.app/v1/quote",
                             "status": 500 if fails else 200, "latency": "0.004s"})
    for s in range(275, 3600, 150):  # a slow cache refresh, steady from minute 4 on both revisions
        log.add(s, "run.googleapis.com/stdout", "rules cache refresh took 2140 ms (threshold 1500 ms)",
                "WARNING")
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert result.root_cause.category.value == "deployment-change"


def test_noise_that_ran_all_along_supports_no_rule_about_the_incident(tmp_path: Path) -> None:
    """A statsd host that has not resolved all hour (every 4 minutes from the input's start), then
    a partner API that stops answering at minute 25: the axios timeouts' rule "connections were
    failing at the network level too" must not stand on the steady DNS noise, so the upstream is
    the cause, not the network (blind set CS05)."""
    log = healthy()
    for t in range(60, 3600, 240):
        log.add(t, "run.googleapis.com/stderr",
                "Error: getaddrinfo ENOTFOUND statsd.monitoring.svc.cluster.local", "ERROR")
    for k, t in enumerate(range(1500, 3600, 20)):
        log.add(t, "run.googleapis.com/stdout", severity="ERROR",
                jsonPayload={"message": "quote upstream failed",
                             "err": "AxiosError: timeout of 15000ms exceeded"})
        log.request(t + 0.01, 500)
        log.entries[-1]["trace"] = f"projects/acme/traces/q{k}"
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert result.root_cause.category.value == "upstream-service-failure"


def test_a_window_without_a_failure_offers_no_fix_to_verify(tmp_path: Path) -> None:
    """'Re-run rca after the fix' and 'call a route that failed' mean nothing for a healthy window
    (testers of blind sets CQ05, CQ10, CR10): its reports carry no verification step or heading."""
    from rca.report.render import render

    result = api.analyze([_export(healthy(), tmp_path)], since="1h", service="api").result
    assert result.verdict.state.value == "ok" and result.verification == ()
    assert "Verify" not in render(result, "text") and "## Verification" not in render(result, "markdown")
    assert 'id="verification"' not in render(result, "html")


NGINX_REFUSED = ('2025/03/20 13:12:09 [error] 31#31: *21675 connect() failed (111: Connection refused) while '
                 'connecting to upstream, client: 10.128.0.47, server: shop.example.com, request: "GET /cart '
                 'HTTP/1.1", upstream: "http://10.52.2.17:8080/cart", host: "shop.example.com"')


@pytest.mark.parametrize("listens_on, category", [(8000, "port-mismatch"), (None, "network-connectivity")])
def test_nginx_refused_by_its_upstream_names_the_port_the_app_does_not_listen_on(
    listens_on: int | None, category: str, tmp_path: Path
) -> None:
    """A rollout's uvicorn starts on its default 8000 while the ingress still forwards to 8080: nginx
    logs each refused connection with the upstream it tried (blind set CQ03). With the app's own
    'Uvicorn running on' line the ports disagree; without it, a refused upstream is all that is known."""
    log = healthy()
    if listens_on:
        log.add(1490, "run.googleapis.com/stderr",
                f"INFO:     Uvicorn running on http://0.0.0.0:{listens_on} (Press CTRL+C to quit)")
    for t in range(1500, 3600, 20):
        log.add(t, "run.googleapis.com/stderr", NGINX_REFUSED, "ERROR")
        log.request(t + 0.01, 502)
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert result.root_cause.category.value == category


def test_a_lasting_failure_that_began_long_before_the_requests_failed_is_their_cause(tmp_path: Path) -> None:
    """A secret's grant is revoked at minute 15: each new instance fails to read it (one a minute)
    while the old ones keep serving, until at minute 40 too few are left and requests fail. The
    denial ran steadily for 25 minutes before any symptom, but a failure that lasts until someone
    changes something and began inside the window is a change, not noise (blind set CT02)."""
    log = healthy()
    for t in range(900, 3600, 60):
        log.add(t, "run.googleapis.com/stderr", SECRET_DENIED, "ERROR")
    for t in range(2400, 3600, 30):
        log.request(t + 0.5, 503)
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert result.root_cause.category.value == "permission-denied"


def test_a_networkpolicy_created_just_before_the_network_failures_is_the_deepest_why(tmp_path: Path) -> None:
    """On GKE the change that cuts egress is a NetworkPolicy (Config Sync's default-deny-egress,
    blind set CT08): its Kubernetes API call in the audit log is the last why, as a firewall rule's
    is for a VM network."""
    log = healthy()
    _firewall_insert(log, 3480, "io.k8s.networking.v1.networkpolicies.create")
    _redis_unreachable(log, 3600)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    change = result.verdict.change
    assert change is not None and change.method == "io.k8s.networking.v1.networkpolicies.create"
    assert result.root_cause.pattern_id == "deploy-k8s-networkpolicy-changed"


FORBIDDEN = ("googleapi: Error 403: orders-api@acme.iam.gserviceaccount.com does not have "
             "storage.objects.get access to the Google Cloud Storage object. Permission "
             "'storage.objects.get' denied on resource (or it may not exist)., forbidden")


@pytest.mark.parametrize("every, state", [(25, "down"), (125, "degraded"), (375, "ok"), (1000, "ok")])
def test_failures_at_the_baseline_s_rate_are_an_incident_when_many_requests_fail(
    every: int, state: str, tmp_path: Path
) -> None:
    """Two hours, the last analysed (`--since 1h`): a bucket permission removed before the input
    began fails four requests in five in both hours. The hour before failed as much, so it is no
    healthy reference but the same incident, begun earlier: down, not 'no incident' (blind set
    EA02). One request in twenty-five failing so in both hours is an ongoing incident, degraded
    (EA05, EA06 failed 2-4 %). A trickle of the same 403s, one request in seventy-five or two
    hundred, at the same rate in both hours is the service's steady background: no incident
    (held-out windows failing 1.2-1.6 % steadily were all healthy, QC08, UC06, VD10, WD09)."""
    log = Log()
    for s in range(0, 7200, 5):
        failed = s % every == 0 or (every == 25 and s % 25 != 10)
        if failed:
            log.add(s, "run.googleapis.com/stderr", FORBIDDEN, "ERROR")
        log.request(s + 0.1, 500 if failed else 200)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert (result.verdict.state.value, result.root_cause.category.value) == (
        state, "unknown" if state == "ok" else "permission-denied")


SECRET_DENIED = ('Could not fetch secret "projects/123/secrets/API_KEYS/versions/2" for environment variable '
                 '"API_KEYS". Instance startup will now abort: Permission \'secretmanager.versions.access\' '
                 "denied for resource 'projects/123/secrets/API_KEYS/versions/2' (or it may not exist).")


def test_a_warning_only_on_a_revision_that_served_nothing_is_a_failed_rollout(tmp_path: Path) -> None:
    """The old revision answers every request; a new one's instances abort at start-up on a secret
    they may not read, which the platform logs at WARNING (blind set EB04). Beside requests that all
    succeeded a warning is the service coping, but not on a revision that answered none of them:
    that is a rollout that failed, an incident, never 'ok'."""
    log = healthy()
    for k in range(12):
        log.add(1800 + k * 120, "run.googleapis.com/varlog/system", SECRET_DENIED, "WARNING")
        log.entries[-1]["resource"] = {**RES, "labels": {**RES["labels"], "revision_name": "api-00008-new"}}
    result = api.analyze([_export(log, tmp_path)], service="api").result
    assert (result.verdict.state.value, result.root_cause.category.value) == ("degraded", "permission-denied")


MEMORY = ("Memory limit of 1024 MiB exceeded with 1089 MiB used. Consider increasing the memory limit, "
          "see https://cloud.google.com/run/docs/configuring/memory-limits")


@pytest.mark.parametrize(("kills_until", "state"), [(5400, "recovered"), (7200, "degraded")])
def test_failures_that_fall_back_to_the_baseline_s_trickle_recovered(
    tmp_path: Path, kills_until: int, state: str
) -> None:
    """Two hours of a renderer whose slow pages time out (504) one request in fifty, before and
    through the window; twenty minutes into the analysed hour instances start being killed for
    memory every half minute, each kill failing the requests in flight. When the kills stop half
    an hour before the end, the timeouts that go on are the baseline's: the incident recovered,
    from the first kill to the last (blind set WB09), not from the first timeout of the window.
    Kills that run to the end are no recovery."""
    log = Log()
    for s in range(0, 7200, 5):
        log.request(s, 504 if s % 250 == 0 else 200, path="/render" if s % 250 == 0 else "/v1/x")
    for k, s in enumerate(range(4800, kills_until, 30)):
        inst = f"i{k}"
        log.add(s, "run.googleapis.com/varlog/system", MEMORY, "ERROR", inst)
        for n in range(3):
            log.request(s + 0.1 + n / 10, 503, "The request failed because either the HTTP response was "
                        "malformed or connection to the instance had an error.", inst)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    v = result.verdict
    assert (v.state.value, result.root_cause.category.value) == (state, "memory-limit-exceeded")
    assert v.onset is not None and v.onset.startswith("2025-06-01T11:20:00")
    if state == "recovered":
        assert v.recovered_at is not None and v.recovered_at.startswith("2025-06-01T11:29:3")


def test_a_few_more_failed_requests_than_the_hour_before_is_chance_not_an_incident(tmp_path: Path) -> None:
    """A search service whose `page=undefined` bug fails four requests one hour and ten the next
    among three thousand (blind set SG10): at that count ten is what a rate of four gives by
    chance, so the window is its steady background; forty would not be."""
    def window(failed_in_window: int) -> str:
        log = Log()
        fails = {*range(100, 3600, 3600 // 4)} | {*range(3700, 7200, 3500 // failed_in_window)}
        for s in range(0, 7200, 2):
            log.request(s, 500 if s in fails else 200)
        return api.analyze([_export(log, tmp_path)], since="1h", service="api").result.verdict.state.value

    assert (window(10), window(40)) == ("ok", "degraded")



def test_a_secret_the_service_could_not_read_at_start_explains_the_exceptions_of_the_route_needing_it(
        tmp_path: Path) -> None:
    """A .NET service starts, is refused its payment key by Secret Manager once and goes on
    without it; from then on every capture request throws ArgumentNullException on the missing key
    while the other routes serve (held-out EA08). The refused permission is why the code that needs
    it fails, not a bug of its own."""
    log = healthy()
    refused = ("Failed to load secret adyen-api-key into Payments:Adyen:ApiKey; continuing without it\n"
               "Grpc.Core.RpcException: Status(StatusCode=\"PermissionDenied\", Detail=\"Permission "
               "'secretmanager.versions.access' denied for resource "
               "'projects/shop/secrets/adyen-api-key/versions/latest' (or it may not exist).\")")
    log.add(3600, "run.googleapis.com/stdout", refused, "WARNING")
    thrown = ("An unhandled exception has occurred while executing the request.\n"
              "System.ArgumentNullException: Value cannot be null. (Parameter 'apiKey')\n"
              "   at Shop.Payments.AdyenClient..ctor(String apiKey) in /src/Payments/AdyenClient.cs:line 21")
    for k in range(25):
        at = 3630 + k * 60
        log.add(at, "run.googleapis.com/stdout", thrown, "ERROR")
        log.request(at, 500, path="/api/checkout/c1/capture")
        log.request(at + 5, 200)
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "permission-denied"


def test_a_called_service_failing_is_why_a_process_that_gives_up_on_it_exits(tmp_path: Path) -> None:
    """A sync run asks a partner API, gets 503, logs it and exits 1, three runs in a row (held-out
    DZ09): the called service failing is why the process ended (`_knowledge.yaml` kinds.crash)."""
    log = healthy()
    for k in range(3):
        at = 3600 + k * 600
        log.add(at, "run.googleapis.com/stderr", "Sync failed; exiting with code 1\n"
                "System.Net.Http.HttpRequestException: Response status code does not indicate success: "
                "503 (Service Unavailable).", "ERROR")
        log.add(at + 0.3, "run.googleapis.com/varlog/system", "Container called exit(1).", "WARNING")
    result = api.analyze([_export(log, tmp_path)], since="1h", service="api").result
    assert result.root_cause.category.value == "upstream-service-failure"
