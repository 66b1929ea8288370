"""Reasoning that generalises: symptom kinds, wrapped errors, worsening, likely causes, the verdict,
the trigger deploy and times compared as times. Small constructed values, no fixture answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from rca.cli.main import main
from rca.library.knowledge import Knowledge, RuntimeFrames, load_knowledge
from rca.model import Category, Estimate, LikelyCause, RemediationStep, RequestSample, Role, State
from rca.reasoning import baseline, chain, hypotheses, impact, verdict, whys
from rca.reasoning.deploys import Deploy, DeployInfo, RevisionStats, creator
from rca.timeutil import Periods, parse_rfc3339
from tests.incidents.builder import Incident, day
from tests.test_chain import T0, node, pattern

ROOT = Path(__file__).resolve().parent.parent
KINDS = Knowledge(kinds={"request-failure": ("category:tls-certificate", "kind:crash")})


def symptom(pid: str = "run-5xx", kind: str | None = "request-failure") -> chain.Node:
    """A user-facing 5xx symptom of the given kind, at 100..150 s."""
    return node(replace(pattern(pid, Role.SYMPTOM, http=True), kind=kind), [100, 110, 120, 130, 150])


def test_a_symptom_kind_links_a_cause_of_a_listed_category_when_the_clock_agrees() -> None:
    """A TLS failure first seen before the 5xx explains them through the kind, with no named edge."""
    cause = node(pattern("tls-expired", Role.CAUSE, Category.TLS_CERTIFICATE), [90, 105])
    found = chain.edge(cause, symptom(), KINDS)
    assert (found is not None and found.score > 0, found and "usually comes from" in found.support[0]) == (
        True,
        True,
    )


def test_a_symptom_kind_makes_no_link_without_time_order() -> None:
    """General knowledge alone, with no timestamps to agree, invents no link."""
    cause = node(pattern("tls-expired", Role.CAUSE, Category.TLS_CERTIFICATE), [])
    assert chain.edge(cause, symptom(), KINDS) is None


@pytest.mark.parametrize(("role", "persistent", "linked"), [
    (Role.SYMPTOM, False, False), (Role.SYMPTOM, None, True), (Role.CAUSE, False, True)])
def test_a_symptom_that_passes_explains_no_failure_that_outlived_it(
        role: Role, persistent: bool | None, linked: bool) -> None:
    """A probe refused once as a pod booted (a symptom its pattern says passes, `persistent:
    false`), logged before the 5xx began, explains none of them when most came ten minutes or more
    after its last line (`chain.STALE_PASSING`, held-out EX05); one that does not say it passes
    still may. A cause's single line may announce a state that holds until cleared (a broker's
    memory alarm blocking publishers, held-out GQ03): it still may too."""
    refused = replace(pattern("refused", role, Category.STARTUP_TIMEOUT, causes=("run-5xx",)),
                      persistent=persistent)
    late = node(replace(pattern("run-5xx", Role.SYMPTOM, http=True), kind=None), [60, 700, 900, 1500, 2000])
    found = chain.edge(node(refused, [30]), late, Knowledge())
    assert (found is not None and not found.rejected, found is not None and "passed" in found.rejected) == (
        linked, not linked)


def test_a_catch_all_explains_nothing_it_only_printed() -> None:
    """Spring's "Request processing failed: ...CallNotPermittedException: CircuitBreaker 'inventory'
    is OPEN" matches a catch-all in the very entries of the open breaker: the servlet printing the
    refusal, not what opened the breaker (held-out GB01). In entries of its own it names no failure
    mode either, so a `caused_by` naming a category does not take it for one (held-out TM05: it
    outranked the provider's 503s); one naming it by its id still links it."""
    breaker = node(pattern("breaker-open", Role.SYMPTOM, caused_by=("category:application-exception",)),
                   [100, 110, 120], events=[7, 8, 9])
    catch_all = replace(pattern("servlet-failed", Role.CAUSE), generic=True)
    printed, apart = node(catch_all, [100, 110], events=[7, 8]), node(catch_all, [90, 95], events=[3, 4])
    named = node(pattern("breaker-open", Role.SYMPTOM, caused_by=("servlet-failed",)), [100, 110, 120],
                 events=[7, 8, 9])
    assert (chain.edge(printed, breaker, Knowledge()), chain.edge(apart, breaker, Knowledge()),
            chain.edge(apart, named, Knowledge()) is not None) == (None, None, True)


def test_a_category_the_kind_does_not_list_makes_no_link() -> None:
    """A disk failure is not among the listed usual causes of this kind: no edge."""
    cause = node(pattern("disk-full", Role.CAUSE, Category.DISK_OR_FILESYSTEM), [90])
    assert chain.edge(cause, symptom(), KINDS) is None


def test_the_inner_error_of_a_wrapped_pair_explains_the_outer_one() -> None:
    """Two causes in one stack: the one the runtime prints as the cause (Java: after) is the inner."""
    knowledge = Knowledge(runtimes={"java": RuntimeFrames("first", "last", ())})
    outer_p, inner_p = pattern("pool-timeout", Role.CAUSE), pattern("slots-reserved", Role.CAUSE)
    at_0 = (chain.Occurrence(T0, "i1", "r", 7, None, 0, "java"),)
    at_300 = (chain.Occurrence(T0, "i1", "r", 7, None, 300, "java"),)
    outer = replace(node(outer_p, [10], events=[7]), occurrences=at_0)
    inner = replace(node(inner_p, [10], events=[7]), occurrences=at_300)
    forward, backward = chain.edge(inner, outer, knowledge), chain.edge(outer, inner, knowledge)
    assert (forward is not None, backward) == (True, None)


def test_a_named_failure_in_the_entries_of_a_catch_all_explains_it() -> None:
    """.NET prints `Unhandled exception. Npgsql.PostgresException ...: 28P01: password authentication
    failed` on one line, with no traceback to read a runtime from: the named failure explains the
    catch-all, never the other way round, and a named one elsewhere (not in its entry, nor in the
    next few entries of its instance) does not."""
    catch_all = node(replace(pattern("unhandled", Role.CAUSE), generic=True), [10], events=[7])
    named = node(pattern("auth-failed", Role.CAUSE, Category.MISSING_CONFIGURATION), [10], events=[7])
    elsewhere = node(pattern("auth-failed", Role.CAUSE, Category.MISSING_CONFIGURATION), [10], events=[30])
    found = chain.edge(named, catch_all, Knowledge())
    assert (found is not None and "inner cause" in found.support[0],
            chain.edge(catch_all, named, Knowledge()), chain.edge(elsewhere, catch_all, Knowledge())) == (
        True, None, None)


def test_a_title_that_opens_with_an_acronym_keeps_its_capitals_inside_a_sentence() -> None:
    """"... explains it: ASP.NET Core ...", never "aSP.NET Core ...", "App Engine ...", never "app
    Engine ...", and no "the" before a title's own article."""
    catch_all = node(replace(pattern("unhandled", Role.CAUSE), generic=True), [10])
    titled = [replace(catch_all, finding=replace(catch_all.finding, title=t))
              for t in ("ASP.NET Core logged an unhandled exception", "A Rust thread panicked",
                        "App Engine answered requests with HTTP 5xx")]
    assert [hypotheses.unexplained(n).summary for n in titled] == [
        "No known failure mode explains it: ASP.NET Core logged an unhandled exception.",
        "No known failure mode explains it: a Rust thread panicked.",
        "No known failure mode explains it: App Engine answered requests with HTTP 5xx.",
    ]


def test_a_symptom_that_worsens_after_a_later_cause_is_explained_by_it() -> None:
    """Slow answers began first, but the 503s pile up after the OOM: the OOM can explain them."""
    oom = node(pattern("oom", Role.CAUSE, Category.MEMORY_LIMIT_EXCEEDED, causes=("run-5xx",)), [600])
    s = node(replace(pattern("run-5xx", Role.SYMPTOM, http=True)), [0, 300, *range(600, 660, 5)])
    found = chain.edge(oom, s)
    assert (found is not None and found.score > 0) is True


def test_a_lone_symptom_answers_with_its_documented_meaning_said_as_inferred() -> None:
    """With only the platform's symptom in the logs, the root cause is its likely cause, not unknown."""
    p = replace(
        pattern("no-instance", Role.SYMPTOM, http=True),
        likely_cause=LikelyCause(Category.QUOTA_OR_RATE_LIMIT, 0.45, "max instances reached"),
    )
    links, root, _, _ = whys.conclude({"no-instance": node(p, [1, 2, 3])}, {}, {}, load_knowledge())
    assert (root.category, root.confidence, "inferred" in links[-1].statement) == (
        Category.QUOTA_OR_RATE_LIMIT,
        0.45,
        True,
    )


def traffic(failed: int, base_failed: int, recent: int, recent_failed: int) -> verdict.Traffic:
    """Traffic of 1000 requests in the window and the baseline, with the given failures."""
    first = T0 if failed else None
    after = T0 + timedelta(minutes=40) if failed and not recent_failed else None
    return verdict.Traffic(1000, failed, 1000, base_failed, recent, recent_failed, failed, base_failed, 0,
                           first, first, first, after)


def test_a_step_counts_failures_by_the_moment_not_by_the_requests_one_moment_failed() -> None:
    """An instance killed every 13 minutes takes the requests in flight with it, one or two, the
    last kill three: a steady trickle, no step (blind set BP07). Forty failures a minute after a
    trickle is a step all the same."""
    start, end = T0, T0 + timedelta(hours=1)
    kills = [start + timedelta(minutes=m) for m in (14, 28, 41, 51, 59)]
    failed = [k + timedelta(microseconds=n) for k, taken in zip(kills, (2, 1, 1, 1, 3), strict=True)
              for n in range(taken)]
    assert baseline.step_change(failed, start, end) is None
    storm = [start + timedelta(minutes=45, seconds=1.5 * k) for k in range(400)]
    assert baseline.step_change([*kills[:4], *storm], start, end) is not None


def test_the_verdict_states() -> None:
    """ok with no failures; ok with a trickle of failures (under one in a hundred) at the baseline's
    rate; degraded with 2 % failing at the baseline's rate (an incident begun earlier); down now;
    recovered; degraded."""
    p = Periods(3600.0, 3600.0)
    states = [
        verdict.decide(traffic(0, 0, 100, 0), p, 0, None).state,
        verdict.decide(traffic(5, 5, 100, 1), p, 0, None).state,
        verdict.decide(traffic(20, 20, 100, 2), p, 0, None).state,
        verdict.decide(traffic(600, 0, 100, 90), p, 1, None).state,
        verdict.decide(traffic(200, 0, 100, 0), p, 1, None).state,
        verdict.decide(traffic(50, 0, 100, 5), p, 1, None).state,
    ]
    assert states == [State.OK, State.OK, State.DEGRADED, State.DOWN, State.RECOVERED, State.DEGRADED]


def test_failures_that_stopped_while_the_answers_stayed_many_times_slower_are_no_recovery() -> None:
    """An upstream's 503s stopped 40 minutes in, but the answers since take 7 s where they took
    80 ms: degraded, not recovered (blind set BX08); at 0.3 s (under `SLOW_BY_S` slower), recovered."""
    p = Periods(3600.0, 3600.0)
    stopped = traffic(200, 0, 100, 0)
    assert verdict.decide(stopped, p, 1, None).state is State.RECOVERED
    assert verdict.decide(replace(stopped, latencies=(7.0, 0.08)), p, 1, None).state is State.DEGRADED
    assert verdict.decide(replace(stopped, latencies=(0.3, 0.08)), p, 1, None).state is State.RECOVERED


def test_requests_iam_refused_stay_failed_when_a_sampled_fetch_scales_the_counts() -> None:
    """A sampled live fetch replaces the request counts by scaled 5xx estimates; the callers IAM
    refused (read in full, as a pattern reads their text) are failed requests all the same."""
    denied = replace(traffic(300, 0, 100, 80), denied=(300, 0, 80))
    sample = RequestSample("healthy request logs", (0.1,), 100, "2025-06-01T11:00Z", "2025-06-01T12:00Z")
    estimate = Estimate(requests=5000, server_errors=20, rate_limited=0, error_entries=20,
                        recent_requests=900, recent_server_errors=5, baseline_requests=5000,
                        baseline_server_errors=10, baseline_error_entries=10,
                        error_rate=0.004, recent_error_rate=0.0056, fields=("requests",), sample=sample)
    scaled = impact._scaled(denied, estimate)
    counts = (scaled.requests, scaled.failed, scaled.recent_failed, scaled.baseline_failed)
    assert counts == (5000, 320, 85, 10)


def test_down_is_two_requests_in_three_failing_now_not_half() -> None:
    """55 of the last 100 requests failing is a service still answering almost half its callers:
    degraded. 70 of 100 is down."""
    p = Periods(3600.0, 3600.0)
    assert [verdict.decide(traffic(300, 0, 100, n), p, 1, None).state for n in (55, 70)] == [
        State.DEGRADED, State.DOWN]


def test_a_quiet_ten_minutes_is_recovery_only_when_the_failures_ran_faster_than_that() -> None:
    """200 failed requests over 30 minutes, then a quiet recent period: recovered. 14 over 87
    minutes (one every six), then the same quiet: still degraded, for that much quiet is chance."""
    p = Periods(0.0, 6000.0)
    dense = replace(traffic(200, 0, 100, 0), last_failure=T0 + timedelta(minutes=30))
    sparse = replace(traffic(14, 0, 100, 0), last_failure=T0 + timedelta(minutes=87))
    assert [verdict.decide(t, p, 1, None).state for t in (dense, sparse)] == [State.RECOVERED, State.DEGRADED]


@pytest.mark.parametrize("end_minute, state", [(90, State.RECOVERED), (27, State.DEGRADED)])
def test_the_quiet_that_proves_recovery_is_all_of_it_since_the_last_failure(
    end_minute: int, state: State
) -> None:
    """Three failed requests in 16 minutes (a memory limit hit now and then), then none until the
    window ends 74 minutes later: they stopped (blind set CO10), though the last ten minutes alone
    would not have held three at that rate. Ending 11 minutes after the last, they may not have."""
    p = Periods(0.0, 5400.0)
    end = T0 + timedelta(minutes=end_minute)
    sparse = replace(traffic(3, 0, 30, 0), last_failure=T0 + timedelta(minutes=16),
                     first_success_after_failures=T0 + timedelta(minutes=17),
                     recent_since=end - timedelta(seconds=verdict.RECENT))
    assert verdict.decide(sparse, p, 1, None).state is state


@pytest.mark.parametrize(("failed", "span_s", "answered", "quiet_s", "state"), [
    (42, 113, 22, 216, State.RECOVERED),   # 42 failures in two minutes, then 22 answered over 3.6 (GD03)
    (42, 113, 6, 216, State.DEGRADED),     # too few answered requests since to say so
    (42, 113, 22, 20, State.DEGRADED),     # twenty seconds would have held only seven at their rate
    (8, 3000, 60, 300, State.DEGRADED),    # a trickle over fifty minutes: five quiet ones are chance
])
def test_failures_that_stopped_inside_the_last_ten_minutes_recovered_when_the_quiet_proves_it(
        failed: int, span_s: int, answered: int, quiet_s: int, state: State) -> None:
    """A paste of a few minutes (or an export that ends soon after the fix) never holds ten quiet
    minutes: the failures stopped when enough answered requests followed the last one over a quiet
    that, at the rate they ran, would have held ten more of them."""
    first = T0
    last = first + timedelta(seconds=span_s)
    end = last + timedelta(seconds=quiet_s)
    t = replace(traffic(failed, 0, 99, failed), first_failure=first, last_failure=last,
                first_success_after_failures=last + timedelta(seconds=5), answered_after_failures=answered,
                recent_since=end - timedelta(seconds=verdict.RECENT))
    assert verdict.decide(t, Periods(0.0, 600.0), 1, None).state is state


def test_unexplained_errors_are_never_ok() -> None:
    """Error entries with no failing request still make an incident (no false all-clear)."""
    t = replace(traffic(0, 0, 100, 0), errors=30, baseline_errors=0, first_error=T0)
    assert verdict.decide(t, Periods(3600.0, 3600.0), 0, None).state is State.DEGRADED


def test_the_trigger_is_the_deploy_that_created_the_revision_not_the_first() -> None:
    """Two deploys: the one naming the revision wins; failing that, the closest before its first entry."""
    first = Deploy("2025-01-01T10:00:00Z", "ReplaceService", "a@x", "svc", False, None)
    second = Deploy("2025-01-01T11:00:00Z", "ReplaceService", "b@x", "svc", False, None)
    named = Deploy("2025-01-01T11:30:00Z", "ReplaceService", "c@x", "svc", False, "svc-00002")
    rev = RevisionStats("svc-00002", "2025-01-01T11:05:00Z", None, 1, 0, 0, 0)
    unnamed = DeployInfo((first, second), (rev,), {})
    assert creator(unnamed, "svc-00002", rev.first_seen) == second
    assert creator(DeployInfo((first, second, named), (rev,), {}), "svc-00002", rev.first_seen) == named


def test_a_later_call_naming_the_same_revision_did_not_create_it() -> None:
    """A rollback by traffic keeps the template, so its audit entry names the bad revision again:
    the deploy that created the revision is the one before its first entry (blind set CB05)."""
    created = Deploy("2025-01-01T10:12:18Z", "ReplaceService", "a@x", "svc", False, "svc-00002")
    rolled_back = Deploy("2025-01-01T10:41:02Z", "ReplaceService", "b@x", "svc", False, "svc-00002")
    rev = RevisionStats("svc-00002", "2025-01-01T10:12:30Z", None, 1, 0, 0, 0)
    assert creator(DeployInfo((created, rolled_back), (rev,), {}), "svc-00002", rev.first_seen) == created


def test_times_are_compared_as_times() -> None:
    """Half a second past the minute is after the minute, though as text it sorts first."""
    assert parse_rfc3339("2025-01-01T10:00:00.500000Z") > parse_rfc3339("2025-01-01T10:00:00Z")


def test_a_mistyped_service_exits_1_naming_the_services_present() -> None:
    """Entries without a service (Cloud SQL, audit) must not make a typo look like a quiet window."""
    sample = str(ROOT / "examples" / "netra-backend-staging-2025-09-15.json")
    result = CliRunner().invoke(main, ["analyze", "--service", "netra-backend-stagin", "--since", "1h",
                                       "--input", sample, "--format", "json"])
    assert (result.exit_code, "services in the input: netra-backend-staging" in result.output) == (1, True)


def test_own_frames_follow_the_runtime_rules() -> None:
    """The app's frame nearest the raise: Python prints it last, Node and .NET first; libraries (and
    .NET's frames without a file, a function alone) are skipped."""
    k = load_knowledge()
    py = k.runtimes["python"].own_frame(["/app/main.py:3 in handler",
                                         "/usr/local/lib/python3.12/site-packages/x/y.py:9 in call"])
    node_frame = k.runtimes["node"].own_frame(["/usr/src/app/node_modules/pg/lib/client.js:1 in f",
                                               "/usr/src/app/src/users.js:42 in getUser"])
    own = "/src/Orders.Api/Stock/StockRepository.cs:41 in Orders.Api.Stock.StockRepository.GetLevelsAsync"
    dotnet = k.runtimes["dotnet"].own_frame([
        "System.Net.Sockets.Socket.AwaitableSocketAsyncEventArgs.ThrowException",
        own,
        "/_/Dapper/SqlMapper.Async.cs:434 in Dapper.SqlMapper.QueryAsync[T]",
    ])
    assert (py, node_frame) == ("/app/main.py:3 in handler", "/usr/src/app/src/users.js:42 in getUser")
    assert dotnet == own
    # a buildpack's layers hold the interpreter, the dependencies and their scripts, not the app's
    # code (held-out JQ03: the Functions Framework's own script read as the service's code)
    buildpack = k.runtimes["python"].own_frame(["/layers/google.python.pip/pip/bin/functions-framework:8 in "
                                                "<module>", "/workspace/main.py:12 in handle_invoice"])
    assert buildpack == "/workspace/main.py:12 in handle_invoice"
    assert k.runtimes["python"].own_frame(["/layers/google.python.pip/pip/bin/functions-framework:8 in "
                                           "<module>"]) is None


def _python_stack(tmp_path: Path, last_line: str) -> list[str]:
    """The pattern ids rca finds in one Python traceback through the app's own frame, split one
    line per entry as Cloud Run writes stderr, whose last line is ``last_line``."""
    import json

    import rca

    lines = [
        "Traceback (most recent call last):",
        '  File "/app/quote/carrierhub.py", line 61, in get_rates',
        "    resp = session.get(url)",
        '  File "/usr/local/lib/python3.11/ssl.py", line 1167, in read',
        "    return self._sslobj.read(len, buffer)",
        '  File "/usr/local/lib/python3.11/site-packages/gunicorn/workers/base.py", line 204, '
        "in handle_abort",
        "    sys.exit(1)",
        last_line,
    ]
    path = tmp_path / "stack.ndjson"
    path.write_text("".join(
        json.dumps({"timestamp": f"2025-07-15T18:43:05.{k:06d}Z", "severity": "ERROR", "textPayload": text,
                    "insertId": f"i{k}", "logName": "projects/p/logs/run.googleapis.com%2Fstderr",
                    "resource": {"type": "cloud_run_revision", "labels": {
                        "service_name": "quote-svc", "revision_name": "quote-svc-00001-abc"}},
                    "labels": {"instanceId": "inst-1"}}) + "\n"
        for k, text in enumerate(lines)), encoding="utf-8")
    return [f.pattern_id for f in rca.analyze([path]).result.findings]


def test_an_exception_that_reports_a_failure_elsewhere_is_no_bug_of_the_app(tmp_path: Path) -> None:
    """The runtime's `consequences` (patterns/_knowledge.yaml) keep a worker aborted by gunicorn
    (SystemExit raised under the app's own frame) out of the own-code exceptions; the same stack
    ending in an ordinary exception is one, and the knowledge file declares the exception."""
    aborted = _python_stack(tmp_path, "SystemExit: 1")
    failed = _python_stack(tmp_path, "ValueError: bad rate")
    rules = load_knowledge().runtimes["python"]
    assert ("app-unhandled-exception" in aborted, "app-unhandled-exception" in failed,
            rules.is_consequence(["SystemExit"]), rules.is_consequence(["ValueError"])) == (
        False, True, True, False)


def _paste_report(tmp_path: Path, text: str, service: str | None = None) -> dict[str, Any]:
    """The JSON report of a pasted log (of ``service`` when given)."""
    import json

    path = tmp_path / "paste.txt"
    path.write_text(text, encoding="utf-8")
    named = ["--service", service] if service else []
    result = CliRunner().invoke(main, ["analyze", *named, "--input", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output[result.output.index("{"):])
    return report


def test_a_pasted_failure_without_time_or_level_is_an_incident(tmp_path: Path) -> None:
    """A failure the library names is an incident even when the paste gives it no time and no
    level (it cannot be said to have been there before); never 'no incident'. (Down: a refused
    connection fails every attempt until something changes, and no request shows one served.)"""
    report = _paste_report(tmp_path, "Starting worker\nLoading config\n"
                           'psycopg2.OperationalError: connection to server at "10.0.0.5", port 5432 '
                           "failed: Connection refused\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == (
        "down", "network-connectivity")


@pytest.mark.parametrize(("failure", "category"), [
    ("javax.net.ssl.SSLHandshakeException: PKIX path validation failed: "
     "java.security.cert.CertPathValidatorException: validity check failed", "tls-certificate"),
    ("google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions.access' denied for "
     "resource 'projects/p/secrets/carrier-key/versions/latest' (or it may not exist).", "permission-denied"),
])
def test_a_health_check_failing_is_explained_by_whatever_fails_the_dependency_it_tests(
        tmp_path: Path, failure: str, category: str) -> None:
    """The app's own health check reports its dependency failing; the calls to that dependency
    fail on an expired certificate (blind set 7F05), or on a permission: that is why, not an
    unexplained health check."""
    lines = [f"2024-06-11 00:{m:02d}:{s:02d} INFO label created" for m in range(0, 50) for s in (5, 35)]
    for m in range(20, 50):
        lines.append(f"2024-06-11 00:{m:02d}:10 ERROR {failure}")
        if m % 5 == 0:
            lines.append(f"2024-06-11 00:{m:02d}:12 WARN health check failed: carrier api")
    report = _paste_report(tmp_path, "\n".join(sorted(lines)) + "\n")
    assert report["root_cause"]["category"] == category


@pytest.mark.parametrize(("upstream", "oom", "category"), [
    ("172.18.0.3", False, "port-mismatch"),  # nginx in another container: the loopback binding refuses it
    ("127.0.0.1", False, "network-connectivity"),  # a sidecar on the same network reaches the loopback
    ("127.0.0.1", True, "memory-limit-exceeded"),  # the server behind it was killed for memory
])
def test_a_loopback_binding_explains_nginx_refused_only_where_nginx_connects_from_outside(
        tmp_path: Path, upstream: str, oom: bool, category: str) -> None:
    """The app says it listens on 127.0.0.1 and nginx is refused: that is the binding where nginx
    connects to another address (compose), but not where it connects to the loopback itself (a
    sidecar in the same pod, blind set 7G01): the rule says why it lost. A server killed for
    memory just before refuses nginx until it restarts: that is why."""
    lines = ["[2025-03-11 15:00:01 +0000] [1] [INFO] Listening at: http://127.0.0.1:8000 (1)"]
    if oom:
        lines.append("2025-03-11T15:00:05.000000+00:00 node-7 kernel: Out of memory: Killed process 4242 "
                     "(gunicorn) total-vm:2100000kB, anon-rss:1048000kB, file-rss:0kB, shmem-rss:0kB")
    for k in range(10, 600, 10):
        lines.append(f"2025/03/11 15:{k // 60:02d}:{k % 60:02d} [error] 29#29: *{k} connect() failed "
                     "(111: Connection refused) while connecting to upstream, client: 10.52.1.1, server: _, "
                     f'request: "GET /p/{k} HTTP/1.1", upstream: "http://{upstream}:8000/p/{k}", '
                     'host: "shop.example.com"')
    report = _paste_report(tmp_path, "\n".join(lines) + "\n")
    assert report["root_cause"]["category"] == category
    if category == "network-connectivity":
        lost = [h["why_not"] for h in report["hypotheses"] if h["category"] == "port-mismatch"]
        assert f"its upstream_host says otherwise (upstream_host={upstream})" in lost


@pytest.mark.parametrize("listening, category", [(True, "port-mismatch"), (False, "startup-timeout")])
def test_a_build_step_that_exited_1_is_no_broken_build_behind_a_flex_deploy_nginx_was_refused_for(
        listening: bool, category: str, tmp_path: Path) -> None:
    """An App Engine flexible deploy: nginx is refused at 172.17.0.1:8080 for twenty minutes
    while the new version's app says it listens on 3000; the deploy fails to become healthy and
    the Cloud Build step that ran it exits 1. The step's category is only what it usually means
    (`likely_cause`: a broken build), no broken build the refusals came from: the port the app
    listens on is the cause (held-out SW07). Without that line the app had not started listening
    in time. The reading of a rule that held beside the one that decided is a losing hypothesis,
    not a why."""
    def entry(k: int, log: str, text: str, severity: str) -> str:
        return json.dumps({
            "insertId": f"f{k}", "timestamp": f"2024-06-12T10:{20 + k // 60:02d}:{k % 60:02d}Z",
            "logName": f"projects/shop/logs/appengine.googleapis.com%2F{log}", "severity": severity,
            "resource": {"type": "gae_app", "labels": {"module_id": "storefront", "project_id": "shop",
                                                       "version_id": "20240612t101500"}},
            "textPayload": text}) + "\n"

    lines = [entry(1, "stdout", "storefront listening on http://0.0.0.0:3000", "INFO")] if listening else []
    for k in range(10, 1200, 20):
        refused = (f"2024/06/12 10:{20 + k // 60:02d}:{k % 60:02d} [error] 33#33: *{k} connect() failed "
                   "(111: Connection refused) while connecting to upstream, client: 169.254.1.1, server: , "
                   'request: "GET /liveness_check HTTP/1.1", upstream: "http://172.17.0.1:8080/liveness_check"')
        lines.append(entry(k, "nginx.error", refused, "ERROR"))
    logs = tmp_path / "flex.ndjson"
    logs.write_text("".join(lines), encoding="utf-8")
    build = tmp_path / "build.txt"
    build.write_text(
        'Step #2 - "deploy": ERROR: (gcloud.app.deploy) Error Response: [4] Flex operation '
        "projects/shop/regions/us-east1/operations/20ede5d8 error [DEADLINE_EXCEEDED]: An internal error "
        "occurred while processing task /app-engine-flex/flex_await_healthy/flex_await_healthy>"
        "2024-06-12T10:42:52.200Z3314.xi.0: Your deployment has failed to become healthy in the allotted "
        "time and therefore was rolled back. If you believe this was an error, try adjusting the "
        "'app_start_timeout_sec' setting in the 'readiness_check' section.\n"
        'Finished Step #2 - "deploy"\nERROR\n'
        'ERROR: build step 2 "gcr.io/google.com/cloudsdktool/cloud-sdk" failed: step exited with '
        "non-zero status: 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "storefront", "--input", str(logs), "--input",
                                       str(build), "--format", "json"])
    report = json.loads(result.output)
    whys = {link["category"] for link in report["chain"][1:]}
    assert (report["root_cause"]["category"], whys - {category}) == (category, set()), report["chain"]
    losing = [h["category"] for h in report["hypotheses"] if "earlier rule" in h["why_not"]]
    said = [link["statement"] for link in report["chain"]]
    assert (any("not yet started listening" in s for s in said), losing) == (
        (False, ["startup-timeout"]) if listening else (True, [])), said


def test_a_catch_all_that_printed_the_breaker_s_refusals_is_not_why_the_breaker_opened(
        tmp_path: Path) -> None:
    """`kubectl logs` of a Spring checkout: the payment provider answers 503 for a quarter of an
    hour, its client logs each, the Resilience4j breaker opens and the servlet prints its
    refusals ("Request processing failed: ...CallNotPermittedException"), and a few of the 503s
    themselves. A catch-all (an exception of any kind) names no failure mode, so the breaker's
    `caused_by` naming a category does not take it for one: the provider's 503s are why the
    breaker opened (held-out TM05, read "unknown" through the servlet's stack)."""
    stamp = "2025-10-07T14:{:02d}:{:02d}.{:03d}Z"
    lines = []
    for k in range(0, 3600, 4):
        minute, second = divmod(k, 60)
        at = stamp.format(minute, second, 0)
        if 1800 <= k < 2700:
            if k % 12 == 0:
                lines.append(f"{at}  WARN 1 --- [checkout-service] [io-8080-exec-31] c.k.checkout.payments."
                             f"PaymentsClient     : authorise failed for order {8860000 + k}: 503 Service "
                             'Unavailable: "{"error":"psp_unavailable","retryable":true}"')
            thrown = ("org.springframework.web.client.HttpServerErrorException$ServiceUnavailable: 503 "
                      'Service Unavailable: "{"error":"psp_unavailable","retryable":true}"' if k < 1830 else
                      "io.github.resilience4j.circuitbreaker.CallNotPermittedException: CircuitBreaker "
                      "'payments' is OPEN and does not permit further calls")
            lines.append(f"{stamp.format(minute, second, 3)} ERROR 1 --- [checkout-service] "
                         "[io-8080-exec-48] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() "
                         "for servlet [dispatcherServlet] in context with path [] threw exception [Request "
                         f"processing failed: {thrown}] with root cause")
            lines += [thrown, "\tat com.kestrel.checkout.ExpressCheckoutController.pay("
                              "ExpressCheckoutController.java:41) ~[!/:5.2.0]"]
        else:
            lines.append(f"{at}  INFO 1 --- [checkout-service] [io-8080-exec-12] c.k.checkout.OrderService"
                         f"               : order {8860000 + k} confirmed")
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "checkout-service")
    assert report["root_cause"]["category"] == "upstream-service-failure", report["chain"]


def test_nginx_timing_out_on_a_php_fpm_pool_at_its_max_children_reads_as_capacity(tmp_path: Path) -> None:
    """nginx times out on the FastCGI upstream while PHP-FPM logs that it runs every worker it may:
    the pool's capacity, reached under load, is why (blind set 6D04), said as what that symptom
    usually means, and the link between them reads "an overload"."""
    lines = []
    for k in range(0, 1800, 20):
        at = f"2025/11/28 18:{k // 60:02d}:{k % 60:02d}"
        if k >= 600:
            lines.append(f"[28-Nov-2025 18:{k // 60:02d}:{k % 60:02d}] WARNING: [pool www] server reached "
                         "pm.max_children setting (16), consider raising it")
            lines.append(f"{at} [error] 29#29: *{k} upstream timed out (110: Connection timed out) while "
                         'reading response header from upstream, client: 10.8.0.1, server: _, request: '
                         f'"GET /search?q={k} HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000", host: "shop"')
    report = _paste_report(tmp_path, "\n".join(lines) + "\n")
    assert (report["root_cause"]["category"], report["root_cause"]["pattern_id"]) == (
        "quota-or-rate-limit", "php-fpm-max-children-reached")
    supports = [line for link in report["chain"] for line in link.get("support", [])]
    assert not [line for line in supports if " a overload" in line]


_DENIED = ("google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions.access' "
           "denied for resource 'projects/p/secrets/db-pass/versions/latest' (or it may not exist).")
_QUOTA = ("google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for quota metric 'Read requests' "
          "and limit 'Read requests per minute' of service 'sheets.googleapis.com'")


def test_without_requests_a_cause_that_fails_every_attempt_is_down_one_that_comes_and_goes_degraded(
        tmp_path: Path) -> None:
    """No request logged (a paste): a denied permission fails every attempt until the grant is
    changed, so nothing was served and the service is down, and the verdict says why; a quota runs
    out and refills, so the same paste of a quota error is degraded (patterns/_knowledge.yaml
    `persistent`)."""
    outcomes = []
    for line in (_DENIED, _QUOTA):
        report = _paste_report(tmp_path, f"Starting worker\n{line}\n")
        outcomes.append((report["root_cause"]["category"], report["status"]["state"],
                         any("fails every attempt" in r for r in report["status"]["reasons"])))
    assert outcomes == [("permission-denied", "down", True), ("quota-or-rate-limit", "degraded", False)]


def test_a_pattern_says_when_its_failure_touches_only_some_calls(tmp_path: Path) -> None:
    """Missing configuration fails every attempt by default (an unset app key: down), but a
    pattern can say its failure touches only some calls (`persistent: false`: a missing index
    fails only the queries that need it), so the same category there is degraded."""
    outcomes = []
    for line in ("Illuminate\\Encryption\\MissingAppKeyException: No application encryption key has been "
                 "specified.", "Error: 9 FAILED_PRECONDITION: no matching index found."):
        report = _paste_report(tmp_path, f"{line}\n")
        outcomes.append((report["root_cause"]["category"], report["status"]["state"]))
    assert outcomes == [("missing-configuration", "down"), ("missing-configuration", "degraded")]


def test_warning_level_start_up_failures_make_an_incident_where_no_request_is_logged(tmp_path: Path) -> None:
    """A GKE pod's readiness probe refused for minutes (the kubelet's Warning events), and no
    request log: nothing else says whether the service served, so the probe failures are the
    incident, as in a paste; never 'ok'."""
    def event(k: int) -> str:
        return json.dumps({
            "insertId": f"ev{k}", "timestamp": f"2025-07-08T11:{k // 60:02d}:{k % 60:02d}Z",
            "severity": "WARNING", "logName": "projects/p/logs/events",
            "resource": {"type": "k8s_pod", "labels": {"cluster_name": "c", "namespace_name": "shop",
                                                       "pod_name": "profile-svc-7f8e9d6c5-dd3ee"}},
            "jsonPayload": {"kind": "Event", "reason": "Unhealthy", "type": "Warning",
                            "message": 'Readiness probe failed: Get "http://10.8.2.31:8080/healthz": '
                                       "dial tcp 10.8.2.31:8080: connect: connection refused"},
        }) + "\n"
    path = tmp_path / "events.ndjson"
    path.write_text("".join(event(k) for k in range(0, 600, 20)), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--input", str(path), "--format", "json"])
    assert json.loads(result.output)["status"]["state"] != "ok", result.output[:400]


def _k8s(k: int, kind: str, reason: str | None, text: str) -> str:
    """One GKE entry ``k`` seconds into the hour: a kubelet Event (k8s_pod/k8s_node) or a line of
    container `worker`."""
    resource = {"type": kind, "labels": {"cluster_name": "c", "namespace_name": "shop",
                                          "pod_name": "worker-6c9d8f7b5-zt4wq", "container_name": "worker"}}
    entry: dict[str, Any] = {
        "insertId": f"{kind}{k}", "timestamp": f"2025-06-03T22:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/events" if reason else "projects/p/logs/stdout",
        "resource": resource, "severity": "WARNING" if reason else "INFO"}
    if reason:
        entry["jsonPayload"] = {"kind": "Event", "reason": reason, "type": "Warning", "message": text}
    else:
        entry["textPayload"] = text
    return json.dumps(entry) + "\n"


def test_a_crash_loop_to_the_end_of_a_log_without_requests_is_down_whatever_its_cause(tmp_path: Path) -> None:
    """A worker OOM-killed on every start, the kubelet backing off its restarts to the end of the
    export, no request log: the memory failure alone would be degraded (it comes and goes), but a
    crash loop (its pattern: `persistent: true`) leaves nothing serving. The same loop that stops
    while the worker goes on logging is not down."""
    oom = ("Memory cgroup out of memory: Killed process 31051 (python) total-vm:2753508kB, "
           "anon-rss:1048576kB, file-rss:29400kB, shmem-rss:0kB, UID:0 pgtables:2288kB oom_score_adj:999")
    backoff = "Back-off restarting failed container worker in pod worker-6c9d8f7b5-zt4wq_shop(0b8e7c3a)"

    def loop(until: int) -> list[str]:
        return [line for t in range(60, until, 90)
                for line in (_k8s(t, "k8s_container", None, "Starting report worker, concurrency=4"),
                             _k8s(t + 20, "k8s_node", "OOMKilling", oom),
                             _k8s(t + 40, "k8s_pod", "BackOff", backoff))]
    to_the_end = loop(3600)
    stopped = loop(900) + [_k8s(t, "k8s_container", None, "batch done") for t in range(930, 3600, 60)]
    states = []
    for name, lines in (("end", to_the_end), ("stopped", stopped)):
        path = tmp_path / f"{name}.ndjson"
        path.write_text("".join(lines), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", "worker", "--input", str(path),
                                           "--format", "json"])
        states.append(json.loads(result.output)["status"]["state"])
    assert states[0] == "down" and states[1] != "down", states


def test_a_probe_refused_beside_a_loopback_only_server_on_gke_is_the_bind(tmp_path: Path) -> None:
    """On GKE a server bound to 127.0.0.1 is normal behind a proxy in the same pod, so the bind
    alone names nothing; beside readiness probes refused on the pod's IP it is the cause
    (port-mismatch), and the ingress finding no ready endpoint to the end says nothing served.
    Without the loopback line the probe keeps its own reading (start-up), and without the
    ingress's line the state is not down."""
    probe = ('Readiness probe failed: Get "http://10.8.2.30:8080/healthz": dial tcp 10.8.2.30:8080: '
             "connect: connection refused")
    loopback = "INFO:     Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)"
    no_endpoint = ('W0708 11:00:50.123456       7 controller.go:1214] Service "shop/worker" does not '
                   "have any active Endpoint.")

    def lines(bind: str, ingress: bool) -> list[str]:
        out = [_k8s(0, "k8s_container", None, bind)]
        for t in range(10, 900, 20):
            out.append(_k8s(t, "k8s_pod", "Unhealthy", probe))
            if ingress:
                out.append(_k8s(t + 5, "k8s_container", None, no_endpoint).replace('"INFO"', '"WARNING"'))
        return out
    outcomes = []
    all_addresses = loopback.replace("127.0.0.1", "0.0.0.0")
    cases = (("both", loopback, True), ("all", all_addresses, True), ("no-ingress", loopback, False))
    for name, bind, ingress in cases:
        path = tmp_path / f"{name}.ndjson"
        path.write_text("".join(lines(bind, ingress)), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", "worker", "--input", str(path),
                                           "--format", "json"])
        report = json.loads(result.output)
        outcomes.append((report["root_cause"]["category"], report["status"]["state"]))
    assert outcomes[0] == ("port-mismatch", "down"), outcomes
    assert outcomes[1][0] != "port-mismatch" and outcomes[1][1] == "down", outcomes
    assert outcomes[2] == ("port-mismatch", "degraded"), outcomes


def _status(tmp_path: Path, lines: list[str], *args: str) -> dict[str, Any]:
    """The JSON report's `status` of `rca analyze --service shop` over ``lines`` (``args``: more
    options, such as `--since 1h`)."""
    path = tmp_path / "shop.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path), *args,
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output)["status"])


def _state(tmp_path: Path, lines: list[str], *args: str) -> str:
    return str(_status(tmp_path, lines, *args)["state"])


def _exported(tmp_path: Path, incident: Any, *args: str, fmt: str = "json") -> str:
    """What `rca analyze --service <the incident's>` prints over the incident's export (``args``:
    more options, such as `--since 1h`)."""
    path = tmp_path / f"{incident.service}-export.json"
    path.write_text(json.dumps(incident.export()), encoding="utf-8")
    return CliRunner().invoke(main, ["analyze", "--service", incident.service, "--input", str(path), *args,
                                     "--format", fmt]).output


def _analysed(tmp_path: Path, lines: list[str], service: str | None) -> dict[str, Any]:
    """The JSON report of `rca analyze --service <service>` (no --service for None) over ``lines``
    (LogEntry JSON lines), written as one NDJSON export in time order."""
    path = tmp_path / "input.ndjson"
    path.write_text("".join(sorted(lines, key=lambda s: json.loads(s)["timestamp"])), encoding="utf-8")
    named = ["--service", service] if service else []
    result = CliRunner().invoke(main, ["analyze", *named, "--input", str(path), "--format", "json"])
    report: dict[str, Any] = json.loads(result.output)
    return report


def _pasted(tmp_path: Path, lines: list[str], service: str, name: str = "paste.txt",
            args: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON report of `rca analyze --service <service>` over ``lines`` pasted as one text file
    (``args``: more options, such as `--since 1h`)."""
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", service, "--input", str(path), *args,
                                       "--format", "json"])
    report: dict[str, Any] = json.loads(result.output)
    return report


def _app_info(k: int) -> str:
    """One INFO line of service `shop`, ``k`` seconds into the hour (its own insertId)."""
    return _app_error(k, "order batch processed").replace('"ERROR"', '"INFO"').replace(f'"e{k}"', f'"i{k}"')


def test_a_persistent_cause_is_down_only_while_it_runs_and_only_where_no_request_says_otherwise(
        tmp_path: Path) -> None:
    """A denied permission logged to the end of a timed export without requests, the worker's own
    work stopping with it: down; its work going on beside the denials as before: degraded (`impact.
    _work_goes_on`). The same denials that stopped at minute 10 while the worker went on logging
    to minute 59: not down (it ended; nothing says every attempt still fails) but recovered (49
    quiet minutes would have held a hundred denials at their rate). Requests, where logged,
    decide: 1 of 10 failed beside the denials is degraded."""
    steady = [_app_info(k) for k in range(0, 3600, 60)]
    denied = [_app_error(k, _DENIED) for k in range(1800, 3600, 30)]
    to_the_end = [_app_info(k) for k in range(0, 1800, 60)] + denied
    beside = steady + denied
    ended = steady + [_app_error(k, _DENIED) for k in range(0, 600, 30)]
    served = to_the_end + [_request(k, 500 if k % 100 == 5 else 200, None) for k in range(5, 3600, 10)]
    states = [_state(tmp_path, lines) for lines in (to_the_end, beside, ended, served)]
    assert states == ["down", "degraded", "recovered", "degraded"]


def test_a_text_log_s_unexplained_failure_line_is_an_incident_whatever_its_level(tmp_path: Path) -> None:
    """A paste is shown because something failed, often in one line at WARN (a Kafka client's
    'could not be established', an Elasticsearch node's 'watermark exceeded'): an unexplained
    failure-worded line of a text log makes an incident with an unknown cause, never 'ok'."""
    report = _paste_report(tmp_path, "2024-03-10 10:54:43,120 WARN [sync] quux widget cache could not be "
                           "refreshed from the frobnicator\n")
    assert (report["status"]["state"], report["root_cause"]["category"],
            "could not be refreshed" in report["root_cause"]["summary"]) == ("degraded", "unknown", True)


@pytest.mark.parametrize("level, state", [("INFO", "ok"), ("ERROR", "degraded")])
def test_a_text_log_line_that_states_info_is_no_error_however_it_is_worded(
        tmp_path: Path, level: str, state: str) -> None:
    """A Pub/Sub subscriber's log: Python's logging names each line's level, and the client notes
    at INFO the stream errors it recovered from (blind set EN09). Worded as a failure but stated as
    INFO, such a line is the library saying it coped: no incident. The same words at ERROR are one."""
    lines = [f"2025-03-15T11:{k // 60:02d}:{k % 60:02d}Z INFO:worker:processed message_id={k}"
             for k in range(0, 3600, 10)]
    noted = ("google.cloud.pubsub_v1.subscriber._protocol.streaming_pull_manager:Observed recoverable "
             "stream error 503 The service was unable to fulfill your request. Please try again. [code=8a75]")
    lines += [f"2025-03-15T11:{k // 60:02d}:{k % 60:02d}.5Z {level}:{noted}" for k in range(240, 3600, 370)]
    assert _paste_report(tmp_path, "\n".join(sorted(lines)) + "\n")["status"]["state"] == state


@pytest.mark.parametrize("warning, state", [
    ("field 'legacy_uid' is deprecated and will be dropped in schema v4", "ok"),
    ("field 'legacy_uid' could not be read, record skipped", "degraded"),
])
def test_a_worker_s_warning_that_names_no_failure_is_no_incident(tmp_path: Path, warning: str,
                                                                 state: str) -> None:
    """An hour of a worker's log, no request and no error: a warning it begins to log every ten
    minutes that names no failure (a deprecation) is shown but is no incident (blind set EP10); the
    same warning worded as a failure is one, as a paste's one line at WARN is."""
    lines = [f"2026-12-03 20:{k // 60:02d}:{k % 60:02d},120 INFO [ingest.worker] batch {k} committed"
             for k in range(0, 3600, 15)]
    lines += [f"2026-12-03 20:{k // 60:02d}:01,199 WARNING [ingest.schema] {warning}"
              for k in range(600, 3600, 600)]
    assert _paste_report(tmp_path, "\n".join(sorted(lines)) + "\n")["status"]["state"] == state


@pytest.mark.parametrize("served, state", [(True, "ok"), (False, "degraded")])
def test_a_text_log_that_logs_its_requests_is_read_as_a_service_s_log_not_a_paste(
        tmp_path: Path, served: bool, state: str) -> None:
    """An hour of a server's `kubectl logs`: levels, its access lines (every request 200) and a
    warning the app logs all along. Its requests and levels say nothing failed: ok, as an export
    would be (blind sets DO06, DU08). The same text without a request line is an excerpt shown for
    its warning, whose failure words make it an incident."""
    lines = []
    for k in range(0, 3600, 20):
        stamp = f"2026-03-04 10:{k // 60:02d}:{k % 60:02d}"
        lines.append(f"{stamp} WARNING enricher: quux lookup for tenant {k} could not be completed, skipping")
        if served:
            lines.append(f'{stamp} INFO 10.0.0.{k % 9} - "POST /v1/enrich HTTP/1.1" 204')
    report = _paste_report(tmp_path, "\n".join(lines) + "\n")
    assert report["status"]["state"] == state


def test_a_pasted_warning_level_cause_is_an_incident(tmp_path: Path) -> None:
    """A named cause whose pattern is only a warning (tokens rejected: background noise beside a
    live service's requests) is the whole story of a paste: an incident, never 'ok'."""
    report = _paste_report(tmp_path, "jwt.exceptions.ExpiredSignatureError: Signature has expired\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "permission-denied")


def test_a_pasted_container_that_never_started_is_down(tmp_path: Path) -> None:
    """A paste logs no request: when its failures are the start-up failing (the probe never found
    the port), nothing was served, so down (vercel/next.js#54133)."""
    report = _paste_report(tmp_path, "- ready started server on 127.0.0.1:8080, url: http://127.0.0.1:8080\n"
                           'Default STARTUP TCP probe failed 1 time consecutively for container "web-1" on '
                           "port 8080. The instance was not started.\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "port-mismatch")


def test_a_pasted_broken_build_is_down(tmp_path: Path) -> None:
    """A broken image or build (a module the code requires is not in it) never starts: a paste of
    it that logs no request is down."""
    report = _paste_report(tmp_path, "Error: Cannot find module './util'\nRequire stack:\n"
                           "- /workspace/index.js\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "broken-build")


def test_an_untimed_opener_without_its_companion_anywhere_is_absent(tmp_path: Path) -> None:
    """A paste has no times to measure 'never came within N seconds' by: a Spring start-up whose
    'Started' line is nowhere in the paste never finished starting."""
    report = _paste_report(tmp_path, "Starting LedgerApplication v2.14.0 using Java 17.0.11 with PID 1\n"
                           "APPLICATION FAILED TO START\n")
    assert "java-spring-startup-incomplete" in [f["pattern_id"] for f in report["findings"]]


def test_a_platform_line_pasted_without_its_log_name_is_still_the_platform_s(tmp_path: Path) -> None:
    """Cloud Run writes its startup probe failure to varlog/system; pasted from the Logs Explorer
    the line has no log name (estuary/flow#3315), and it is still that failure."""
    report = _paste_report(tmp_path, 'Default STARTUP TCP probe failed 1 time consecutively for container '
                           '"config-encryption-1" on port 8080. The instance was not started.\n'
                           "Connection failed with status DEADLINE_EXCEEDED.\n")
    assert ([f["pattern_id"] for f in report["findings"]], report["root_cause"]["category"]) == (
        ["run-startup-tcp-probe-failed"], "port-mismatch")


def test_an_unexplained_pasted_traceback_is_an_incident_with_an_unknown_cause(tmp_path: Path) -> None:
    """A traceback no pattern explains, pasted without a time or a level, is an incident whose
    cause is unknown, named by the top unexplained signal; not an all-clear."""
    report = _paste_report(tmp_path, "\n".join([
        "$ ./manage.py rebuild",
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.11/site-packages/vendorlib/core.py", line 40, in run',
        "    raise QuuxMismatch('frobnicator 7 does not fit widget 9')",
        "vendorlib.errors.QuuxMismatch: frobnicator 7 does not fit widget 9",
    ]) + "\n")
    assert (report["status"]["state"], report["root_cause"]["category"],
            "QuuxMismatch" in report["root_cause"]["summary"]) == ("degraded", "unknown", True)


def _workload_entry(resource: dict[str, Any], k: int, text: str) -> str:
    import json

    return json.dumps({"timestamp": f"2025-11-18T14:{k:02d}:00Z", "severity": "ERROR", "textPayload": text,
                       "insertId": f"w{k}", "logName": "projects/p/logs/x", "resource": resource}) + "\n"


def test_a_mistyped_service_exits_1_for_every_kind_of_workload(tmp_path: Path) -> None:
    """A Cloud Run job, a function, an App Engine service or a GKE container named by --service
    that is not in the input stops with exit 1 naming the workloads present (a scheduler job's
    entries beside them made a mistyped job name look like a quiet window); the right name runs."""
    scheduler = {"type": "cloud_scheduler_job", "labels": {"job_id": "nightly", "location": "us-east1"}}
    workloads = {
        "ledger-sync": {"type": "cloud_run_job", "labels": {"job_name": "ledger-sync"}},
        "ingest-orders": {"type": "cloud_function", "labels": {"function_name": "ingest-orders"}},
        "api": {"type": "gae_app", "labels": {"module_id": "api"}},
        "booking-web": {"type": "k8s_container", "labels": {"container_name": "booking-web"}},
    }
    outcomes = []
    for name, resource in workloads.items():
        path = tmp_path / f"{name}.ndjson"
        path.write_text("".join(_workload_entry(resource, k, "task failed") for k in range(5))
                        + _workload_entry(scheduler, 6, "attempt finished"), encoding="utf-8")
        wrong = CliRunner().invoke(main, ["analyze", "--input", str(path), "--service", "no-such-thing"])
        right = CliRunner().invoke(main, ["analyze", "--input", str(path), "--service", name])
        outcomes.append((wrong.exit_code, f"services in the input: {name}" in wrong.output, right.exit_code))
    assert outcomes == [(1, True, 0)] * len(workloads)


def test_a_name_no_workload_has_stands_for_the_workloads_it_begins(tmp_path: Path) -> None:
    """A Helm release's components (`tempo-querier`, `tempo-ingester`) are what `kubectl logs
    --prefix` names, and a namespace's workload (`shop-web`, containers nginx and php-fpm) what
    a GKE export does: `--service tempo` and `--service shop` analyse them together and say so
    (blind sets EI04, EK05), where they stopped with exit 1. A name nothing begins with still
    stops; a name a workload has is taken as it is (a neighbour `shop-webhooks` stays out)."""
    denied = ('level=error msg="error running Tempo" err="googleapi: Error 403: '
              'tempo@p.iam.gserviceaccount.com does not have storage.buckets.get access to the Google Cloud '
              'Storage bucket., forbidden"')
    text = tmp_path / "tempo.log"
    text.write_text("".join(f"[pod/tempo-{c}/{c.split('-')[0]}] {denied}\n"
                            for c in ("querier-5b7f9d9c8-lq7m2", "ingester-0", "compactor-6c9d8f7b5-x2x9q")),
                    encoding="utf-8")
    gke = tmp_path / "shop.ndjson"
    gke.write_text("".join(json.dumps({
        "insertId": f"{pod}{c}{k}", "timestamp": f"2025-04-02T09:{k:02d}:00Z", "severity": "ERROR",
        "logName": "projects/p/logs/stderr", "textPayload": "PHP Fatal error:  Allowed memory size of "
        "134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/app/Export.php on line 42",
        "resource": {"type": "k8s_container", "labels": {"container_name": c, "pod_name": pod,
                                                        "namespace_name": "shop"}}}) + "\n"
        for k in range(3) for c in ("nginx", "php-fpm") for pod in ("shop-web-7f9c6d8b5-2xkqp",
                                                                  "shop-webhooks-5d8c7b6a9-k2m4p")),
        encoding="utf-8")

    def run(path: Path, service: str) -> tuple[int, dict[str, Any] | None]:
        result = CliRunner().invoke(main, ["analyze", "--input", str(path), "--service", service,
                                           "--format", "json"])
        return result.exit_code, json.loads(result.output) if result.exit_code == 0 else None

    (tempo_code, tempo), (shop_code, shop) = run(text, "tempo"), run(gke, "shop")
    (_, web), (wrong_code, _) = run(gke, "shop-web"), run(text, "loki")
    assert tempo is not None and shop is not None and web is not None
    assert (tempo_code, tempo["root_cause"]["category"], shop_code, shop["root_cause"]["category"],
            wrong_code) == (0, "permission-denied", 0, "memory-limit-exceeded", 1)
    assert any("tempo-compactor, tempo-ingester, tempo-querier" in n for n in tempo["notes"])
    assert any("(shop-web, shop-webhooks)" in n for n in shop["notes"])
    assert web["stats"]["entries"] * 2 == shop["stats"]["entries"]


def test_commands_fit_where_the_service_runs() -> None:
    """A command of one surface's family fits only that surface's workloads; a command of no
    family fits everywhere; an unknown platform (a paste) takes no surface's commands."""
    k = load_knowledge()
    run, kubectl, sql = ("gcloud run services describe api", "kubectl logs --previous api-0",
                         "gcloud sql instances describe db")
    assert [(k.fits(c, "cloud_run_revision"), k.fits(c, "k8s_container"), k.fits(c, None))
            for c in (run, kubectl, sql)] == [(True, False, False), (False, True, False), (True, True, True)]


def test_verification_steps_follow_the_surface_and_quote_names_from_the_logs() -> None:
    """Cloud Run's steps check the revision and call a route that failed; a GKE container's check
    its pods; an unknown platform gets only the re-run of rca; names are shell-quoted."""
    from rca.reasoning.verification import checks

    k = load_knowledge()
    ctx = {"project": "p1", "location": "europe-west1", "route": "/v1/orders/{id}'x"}
    run = [c.command for c in checks(k.surface_of("cloud_run_revision"), "api", ctx)]
    gke = [c.command for c in checks(k.surface_of("k8s_container"), "web;rm -rf /", ctx)]
    unknown = checks(None, "api", ctx)
    assert (run[1], run[2]) == (
        "gcloud run services describe api --region europe-west1 --project p1 --format "
        "'value(status.latestReadyRevisionName,status.conditions[0].status)'",
        "curl -sS -o /dev/null -w '%{http_code}\\n' -H \"Authorization: Bearer $(gcloud auth "
        "print-identity-token)\" \"$(gcloud run services describe api --region europe-west1 --project p1 "
        "--format 'value(status.url)')\"'/v1/orders/{id}'\"'\"'x'")
    assert gke[1] == "kubectl get pods --all-namespaces -o wide | grep 'web;rm -rf /'"
    assert 'resource.type="k8s_container"' in gke[-1] and not any("gcloud run" in c for c in gke if c)
    assert [c.command for c in unknown] == ["rca analyze --service api --project p1 --since 30m"]


def test_the_no_new_errors_check_finds_a_gke_app_s_errors_on_stdout() -> None:
    """GKE logs every stdout line at INFO, so `severity>=ERROR` finds none of an app's errors there
    and the check would reassure while the service fails (blind sets EW01, EW08): the GKE surface's
    `errors` condition also reads the JSON level key and the words; Cloud Run's stays the severity."""
    from rca.reasoning.verification import checks

    k = load_knowledge()
    run = checks(k.surface_of("cloud_run_revision"), "api", {"project": "p1"})[-1].command or ""
    gke = checks(k.surface_of("k8s_container"), "web", {"project": "p1"})[-1].command or ""
    assert (run.endswith("AND severity>=ERROR' --project p1 --freshness 15m"),
            'AND (severity>=ERROR OR jsonPayload.level=~' in gke,
            'textPayload=~"(?i)' in gke) == (True, True, True)


def test_a_gke_incident_gets_no_cloud_run_command() -> None:
    """The remediation and verification of a GKE workload's incident name no Cloud Run command."""
    import json
    import tempfile

    from tests.incidents import all_cases

    entries, expected = all_cases()["go_gke_crashloop"]()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gke.json"
        path.write_text(json.dumps(entries), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", expected["service"], "--input", str(path),
                                           "--format", "markdown"])
    assert (result.exit_code, "gcloud run " in result.output, "kubectl" in result.output) == (0, False, True)


def test_the_onset_is_the_first_named_failure_not_an_error_that_ran_all_along(tmp_path: Path) -> None:
    """An error entry no pattern names that ran through the whole window (a poison message nacked
    every few minutes) does not set the onset; the first failure the library names does."""
    import json

    resource = {"type": "cloud_run_revision", "labels": {"service_name": "svc", "revision_name": "svc-1"}}

    def entry(minute: int, text: str, k: int) -> str:
        return json.dumps({"timestamp": f"2025-11-18T14:{minute:02d}:00Z", "severity": "ERROR",
                           "textPayload": text, "insertId": f"e{k}", "resource": resource,
                           "logName": "projects/p/logs/run.googleapis.com%2Fstderr"}) + "\n"

    steady = "handler failed, nacking message 7: decode ledger event: bad input"
    refused = ('psycopg2.OperationalError: connection to server at "10.0.0.5", port 5432 failed: '
               "Connection refused")
    lines = [entry(m, steady, m) for m in range(0, 60, 5)]
    lines += [entry(m, refused, 100 + m) for m in range(45, 60)]
    path = tmp_path / "svc.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    args = ["analyze", "--input", str(path), "--service", "svc", "--format", "json"]
    result = CliRunner().invoke(main, args)
    report = json.loads(result.output[result.output.index("{"):])
    assert (report["status"]["onset"], report["root_cause"]["category"]) == (
        "2025-11-18T14:45:00Z", "network-connectivity")


def test_an_unexplained_traceback_in_a_log_without_levels_is_an_incident(tmp_path: Path) -> None:
    """A text log whose lines have times but no level rca can read gives the verdict no error
    entry: an unexplained traceback in it is still an incident with an unknown cause."""
    report = _paste_report(tmp_path, "\n".join([
        "2025-11-19 12:29:10 starting worker",
        "2025-11-19 12:29:19 Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.11/site-packages/vendorlib/core.py", line 40, in run',
        "    raise QuuxMismatch('frobnicator 7 does not fit widget 9')",
        "vendorlib.errors.QuuxMismatch: frobnicator 7 does not fit widget 9",
    ]) + "\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "unknown")


def _request(k: int, status: int, text: str | None) -> str:
    """One Cloud Run request log of service `shop`, ``k`` seconds into the hour."""
    entry: dict[str, Any] = {
        "insertId": f"r{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/run.googleapis.com%2Frequests",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": "shop-00003-abc"}},
        "severity": "WARNING" if status == 429 else "INFO",
        "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop.run.app/cart", "status": status},
    }
    if text:
        entry["textPayload"] = text
    return json.dumps(entry) + "\n"


def _stderr(k: float, text: str, revision: str = "shop-00004-new") -> str:
    """One stderr line of service `shop`'s ``revision``, ``k`` seconds into the hour."""
    ms = round(k * 1000)
    return json.dumps({
        "insertId": f"s{ms}",
        "timestamp": f"2026-03-04T10:{ms // 60000:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}Z",
        "logName": "projects/p/logs/run.googleapis.com%2Fstderr", "textPayload": text,
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": revision}},
    }) + "\n"


def test_connections_refused_after_the_database_terminated_them_are_the_database_down(tmp_path: Path) -> None:
    """PostgreSQL terminates the service's connections by administrator command (a failover, a
    restart), then new connections are refused for a minute and the requests fail: the database
    was down, not unreachable (held-out CM08: an AlloyDB failover drill)."""
    lines = [_request(k, 200, None) for k in range(0, 3600, 10)]
    lines.append(_stderr(2400, "org.postgresql.util.PSQLException: FATAL: terminating connection due to "
                               "administrator command", "shop-00003-abc"))
    for k in range(2410, 2470, 5):
        lines.append(_request(k, 500, None))
        lines.append(_stderr(k + 0.01, "Caused by: java.net.ConnectException: Connection refused",
                             "shop-00003-abc"))
    report = _analysed(tmp_path, lines, "shop")
    assert report["root_cause"]["category"] == "database-unavailable"


def test_a_failed_rollouts_crashes_bunched_mid_input_are_no_steady_noise(tmp_path: Path) -> None:
    """The old revision answers every request for the whole hour; a new one, deployed 25 minutes in,
    panics on a missing setting three times within a minute and never serves. Three crashes
    bunched together are no rate that ran all along (a few occurrences used to stretch "near the
    input's start and end" over most of the hour): the failed rollout is the incident, and the
    setting, whose panic's message Rust prints on its own line, is its cause."""
    lines = [_request(k, 200, None) for k in range(0, 3600, 20)]
    note = "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
    for k in (1500, 1515, 1542):
        lines += [_stderr(k, "thread 'main' panicked at src/config.rs:75:47:"),
                  _stderr(k + 0.001, "REDIS_URL must be set: NotPresent"), _stderr(k + 0.002, note)]
    path = tmp_path / "rollout.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    outcome = (report["status"]["state"], report["root_cause"]["category"])
    assert outcome == ("degraded", "missing-configuration"), outcome


def test_a_cause_that_grew_stands_for_the_failure_when_no_symptom_is_logged(tmp_path: Path) -> None:
    """A GKE app's pool errors, three in the baseline hour and a hundred in the window, and no
    platform request log to name a symptom: the cause that grew (elevated, not new) is the root,
    not 'no log entry explains the errors'."""
    pool = ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection "
            "timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)")

    def line(hour: int, k: int) -> str:
        return json.dumps({
            "insertId": f"p{hour}-{k}", "timestamp": f"2026-03-04T{hour:02d}:{k // 60:02d}:{k % 60:02d}Z",
            "logName": "projects/p/logs/stderr", "severity": "ERROR", "textPayload": pool,
            "resource": {"type": "k8s_container",
                         "labels": {"cluster_name": "c", "namespace_name": "shop",
                                    "pod_name": "orders-6c9d8f7b5-zt4wq", "container_name": "orders"}},
        }) + "\n"
    lines = [line(9, k) for k in (600, 1800, 3000)] + [line(10, k) for k in range(0, 3600, 36)]
    path = tmp_path / "pool.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "orders", "--since", "1h",
                                       "--input", str(path), "--format", "json"])
    report = json.loads(result.output)
    assert report["findings"][0]["status"] == "elevated", report["findings"]
    assert report["root_cause"]["category"] == "db-connection-pool-exhausted", report["root_cause"]


def test_a_google_endpoint_not_resolving_after_a_deploy_is_the_network_path(tmp_path: Path) -> None:
    """storage.googleapis.com stops resolving right after a deploy that sent all egress through a
    VPC: no setting misspells a Google endpoint's name, so the DNS path is the cause
    (network-connectivity), and the summary is that rule's statement, not the deploy rule's."""
    res = {"type": "cloud_run_revision", "labels": {"service_name": "shop", "location": "us-central1"}}
    deploy = {"insertId": "d1", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
              "timestamp": "2026-03-04T10:30:00Z", "severity": "NOTICE", "resource": res,
              "protoPayload": {"methodName": "google.cloud.run.v2.Services.UpdateService",
                               "authenticationInfo": {"principalEmail": "ci@p.iam.gserviceaccount.com"},
                               "resourceName": "projects/p/locations/us-central1/services/shop"}}
    lines = [json.dumps(deploy) + "\n"]
    for k in range(0, 3600, 30):
        revision = "shop-00001-old" if k < 1800 else "shop-00002-new"
        labels = {**res["labels"], "revision_name": revision}
        failed = k >= 1830
        lines.append(json.dumps({
            "insertId": f"r{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
            "logName": "projects/p/logs/run.googleapis.com%2Frequests",
            "severity": "ERROR" if failed else "INFO", "resource": {**res, "labels": labels},
            "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop/x",
                            "status": 500 if failed else 200},
        }) + "\n")
        if failed:
            lines.append(json.dumps({
                "insertId": f"e{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
                "logName": "projects/p/logs/run.googleapis.com%2Fstderr", "severity": "ERROR",
                "resource": {**res, "labels": labels},
                "textPayload": 'Get "https://storage.googleapis.com/b/o": dial tcp: lookup '
                               "storage.googleapis.com on 169.254.169.254:53: no such host",
            }) + "\n")
    path = tmp_path / "dns.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path),
                                       "--format", "json"])
    root = json.loads(result.output)["root_cause"]
    assert (root["category"], "Google endpoint" in root["summary"]) == ("network-connectivity", True), root


def test_requests_the_platform_refused_are_failed_requests_an_apps_own_429_is_not(tmp_path: Path) -> None:
    """Cloud Run's 429 'no available instance' is users turned away (the library's
    `surfaces.*.refused`), counted as failed requests like a 5xx; a 429 the app itself answered
    (its own rate limit on a client) is not."""
    refused = "The request was aborted because there was no available instance."
    outcomes = []
    for text in (refused, None):
        lines = [_request(k, 200, None) for k in range(0, 1800, 10)]
        lines += [_request(k, 429 if k % 20 else 200, text if k % 20 else None) for k in range(1800, 3600, 5)]
        path = tmp_path / "requests.ndjson"
        path.write_text("".join(lines), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path),
                                           "--format", "json"])
        status = json.loads(result.output)["status"]
        outcomes.append((status["failed_requests"], status["state"] == "ok"))
    assert [outcomes[0], outcomes[1][0]] == [(270, False), 0]


def test_a_pasted_refusal_in_words_no_pattern_knows_is_an_incident(tmp_path: Path) -> None:
    """Refusal-shaped words (forbidden, unauthorized, rejected, permission) are error-shaped text
    like 'failed' or 'denied': a paste of such a line no pattern names is an incident whose cause
    is unknown, not an all-clear."""
    report = _paste_report(tmp_path, "Starting exporter\n"
                           "Upload forbidden: caller lacks storage.objects.create on orders-exports\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "unknown")


def _app_error(k: int, text: str) -> str:
    """One ERROR line of service `shop` on stdout, ``k`` seconds into the hour."""
    return json.dumps({
        "insertId": f"e{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/run.googleapis.com%2Fstdout", "severity": "ERROR", "textPayload": text,
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": "shop-00003-abc"}},
    }) + "\n"


def _push(k: int, status: int) -> str:
    """One request log of service `shop` ``k`` seconds into the hour: a Pub/Sub push answered 200,
    or refused by Cloud Run's IAM check (403, the platform's own text)."""
    entry: dict[str, Any] = {
        "insertId": f"r{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/run.googleapis.com%2Frequests",
        "severity": "WARNING" if status == 403 else "INFO",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": "shop-00003-abc"}},
        "httpRequest": {"requestMethod": "POST", "requestUrl": "https://shop-abc.a.run.app/push",
                        "status": status, "latency": "0.01s"}}
    if status == 403:
        entry["textPayload"] = (
            "The request was not authenticated. Either allow unauthenticated invocations or set the "
            "proper Authorization header. Read more at "
            "https://cloud.google.com/run/docs/securing/authenticating "
            "Additional troubleshooting documentation can be found at: "
            "https://cloud.google.com/run/docs/troubleshooting#unauthorized-client")
    return json.dumps(entry) + "\n"


def test_the_platform_refusing_callers_fails_requests_once_it_begins(tmp_path: Path) -> None:
    """Cloud Run answering 403 itself (IAM) to every push from the middle of the hour on, after 200s:
    those deliveries failed (`refuses_requests`), so the service is down for its callers, not 'ok'
    because a 403 is under 500. The same refusals at one rate from the first minute to the last,
    beside answered requests, are callers never let in (scanners at a private URL): no incident."""
    began = [_push(k, 200 if k < 1800 else 403) for k in range(0, 3600, 15)]
    all_along = [_push(k, 403 if k % 60 == 0 else 200) for k in range(0, 3600, 15)]
    outcomes = []
    for lines in (began, all_along):
        path = tmp_path / "push.ndjson"
        path.write_text("".join(lines), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path),
                                           "--format", "json"])
        report = json.loads(result.output)
        outcomes.append((report["status"]["state"], report["root_cause"]["category"],
                         report["status"]["failed_requests"]))
    assert outcomes == [("down", "permission-denied", 120), ("ok", "unknown", 0)], outcomes


def test_errors_at_one_rate_all_along_while_every_request_succeeds_are_no_incident(tmp_path: Path) -> None:
    """No baseline in the input, no failed request: a failure logged at the same rate from the
    first minutes to the last is how the service ran all along (an old client's expired tokens,
    401s logged at ERROR). The same errors beginning halfway through are an incident."""
    text = "token verification failed: Signature has expired"
    states = []
    for first in (0, 1800):
        lines = [_request(k, 401 if k % 30 == 0 else 200, None) for k in range(0, 3600, 10)]
        lines += [_app_error(k, text) for k in range(first + 5, 3600, 30)]
        states.append(_analysed(tmp_path, lines, "shop")["status"]["state"])
    assert states == ["ok", "degraded"]


def test_a_symptom_and_a_listed_cause_link_without_the_clock_only_where_the_symptom_has_none() -> None:
    """A platform message that quotes the error ('Function failed on loading user code. Error
    message: [Errno 30] Read-only file system'): the one event that holds both agrees as the clock
    would. Where the symptom has no time, what was pasted together links too: in a paste with no
    time at all, and for a timed cause beside an untimed symptom (a `kubectl describe` event of
    what came of the logs above it, blind set CJ02); but an untimed cause of a timed symptom
    links nothing: the symptom's clock is there, and the cause gives it nothing to agree with."""
    knowledge = Knowledge(kinds={"startup-failure": ("category:disk-or-filesystem",)})
    cause_p = pattern("read-only", Role.CAUSE, Category.DISK_OR_FILESYSTEM)
    symptom_p = replace(pattern("load-failed", Role.SYMPTOM), kind="startup-failure")

    def untimed(p: Any, event: int) -> chain.Node:
        n = node(p, [0], events=[event])
        return replace(n, occurrences=tuple(o._replace(ts=None) for o in n.occurrences))

    same = chain.edge(untimed(cause_p, 7), untimed(symptom_p, 7), knowledge)
    pasted = chain.edge(untimed(cause_p, 7), untimed(symptom_p, 8), knowledge)
    timed_cause = chain.edge(node(cause_p, [0], events=[7]), untimed(symptom_p, 8), knowledge)
    timed_symptom = chain.edge(untimed(cause_p, 7), node(symptom_p, [0], events=[8]), knowledge)
    assert (same is not None and any("same traceback" in s for s in same.support),
            pasted is not None and not any("same traceback" in s for s in pasted.support),
            timed_cause is not None, timed_symptom) == (True, True, True, None)


def test_sparse_noise_all_along_counts_from_its_own_interval_not_only_the_first_tenth(tmp_path: Path) -> None:
    """A scanner's probe every eight minutes, each logged at ERROR, first shows up minutes into the
    input: steady all along while every request succeeded, as the denser noise is."""
    lines = [_request(k, 200, None) for k in range(0, 3600, 10)]
    text = "token verification failed: Signature has expired"
    lines += [_app_error(k, text) for k in range(400, 3600, 480)]
    assert _analysed(tmp_path, lines, "shop")["status"]["state"] == "ok"


def _gke_line(k: int, payload: str | dict[str, object], *, pod: str = "web-7d9f8-abcde",
              container: str = "web", log: str = "stdout", severity: str | None = None) -> str:
    """One line of a GKE pod's container (`web` unless told), ``k`` seconds into the hour: text
    as its textPayload, a dict as its jsonPayload."""
    kind = "textPayload" if isinstance(payload, str) else "jsonPayload"
    entry: dict[str, object] = {
        "insertId": f"{kind[0]}{k}-{pod}-{container}",
        "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
        "logName": f"projects/p/logs/{log}", kind: payload,
        "resource": {"type": "k8s_container", "labels": {"container_name": container, "pod_name": pod}},
    }
    if severity:
        entry["severity"] = severity
    return json.dumps(entry) + "\n"


@pytest.mark.parametrize("sidecar", [False, True])
def test_an_istio_gateway_s_lines_routed_to_the_service_are_its_requests(
        sidecar: bool, tmp_path: Path) -> None:
    """An Istio ingress gateway logs each request it routes to `inventory-api` (its upstream
    cluster `outbound|8080||inventory-api.inventory.svc.cluster.local`); for four minutes a third of
    them get 503 UC, and the app's pods log nothing of them. The gateway's lines are the service's
    requests: no "no request was logged" all-clear (held-out TT10). Where the service's own sidecar
    logged the requests it received (`inbound|8080|`), those are the count, not the gateway's too."""
    def envoy(k: int, status: int, cluster: str, flags: str = "via_upstream") -> str:
        return (f'[2026-03-04T10:{k // 60:02d}:{k % 60:02d}.255Z] "GET /api/stock/SKU-{k} HTTP/2" {status} '
                f'{flags} - "-" 0 95 3 - "213.233.94.21" "okhttp/4.12.0" "efe2a712-{k}" '
                f'"inventory.example.com" "10.20.3.12:8080" {cluster} 10.20.0.6:55970 10.20.0.6:8443 '
                "213.233.94.21:9439 inventory.example.com -")

    to_service = "outbound|8080||inventory-api.inventory.svc.cluster.local"
    lines = []
    for k in range(0, 3600, 5):
        failing = 1800 <= k < 2040 and k % 15 == 0
        reset = "UC upstream_reset_before_response_started{connection_termination}"
        status, flags = (503, reset) if failing else (200, "via_upstream -")
        gateway, pod = "istio-ingressgateway-6f5c9-w2rkc", "inventory-api-7b9c6-kq2xv"
        lines.append(_gke_line(k, envoy(k, status, to_service, flags), pod=gateway, container="istio-proxy"))
        if sidecar:
            inbound = envoy(k, status, "inbound|8080||", flags)
            lines.append(_gke_line(k, inbound, pod=pod, container="istio-proxy"))
        if k % 60 == 0:
            lines.append(_gke_line(k, "stock cache refreshed", pod="inventory-api-7b9c6-kq2xv",
                                   container="inventory-api"))
    path = tmp_path / "mesh.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "inventory-api", "--input", str(path),
                                       "--format", "json"])
    status = json.loads(result.output)["status"]
    assert (status["state"], status["requests"], status["failed_requests"]) == ("recovered", 720, 16), status


def _access(k: int, request: str = "GET /api", status: int = 200, agent: str = "curl", size: int = 61) -> str:
    """An nginx access-log line (combined format) of a request ``k`` seconds into 10:00 of
    2026-03-04, the hour `_gke_line` logs in."""
    when = f"04/Mar/2026:10:{k // 60:02d}:{k % 60:02d} +0000"
    return f'10.0.0.{k % 9} - - [{when}] "{request} HTTP/1.1" {status} {size} "-" "{agent}"'


def test_without_any_request_log_the_apps_access_log_lines_are_its_requests(tmp_path: Path) -> None:
    """A GKE service whose ingress logs are elsewhere: its nginx/gunicorn access lines are the only
    record of its requests, so they are counted (and said to be), and a 503 storm in them is an
    outage; beside a platform request log they stay text, or the same requests would count twice."""
    lines = [_gke_line(k, _access(k, status=200 if k < 2400 else 503)) for k in range(0, 3600, 10)]
    path = tmp_path / "gke.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web", "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    with_platform = tmp_path / "run.ndjson"
    with_platform.write_text(_request(5, 200, None) + _app_error(6, _access(6, status=503)), encoding="utf-8")
    both = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(with_platform),
                                     "--format", "json"])
    status, noted = report["status"], any("access-log" in n for n in report["notes"])
    assert (status["state"], status["requests"], status["failed_requests"], noted,
            json.loads(both.output)["status"]["requests"]) == ("down", 360, 120, True, 1)


@pytest.mark.parametrize("path", ["/healthz", "/up"])
def test_a_worker_whose_access_log_holds_only_answered_health_checks_logs_no_request(
        tmp_path: Path, path: str) -> None:
    """A GKE sync worker's only access lines are kubelet's probes of /healthz (or of `/up`, the
    health route Rails 7.1 and Laravel 11 generate), answered 200 to the end. From minute 40 every
    sync fails on the partner's expired certificate and no page is fetched: the probes say the
    server answers, not that the work is done, so the worker's own lines decide: down
    (`Store._checker_paths`; blind set UF06). Counted as requests, the probes made it a failure
    beside traffic served in full."""
    expired = ('sync failed: Get "https://erp.example/api/stock": tls: failed to verify certificate: '
               "x509: certificate has expired or is not yet valid: current time 2026-03-04T10:40:01Z is "
               "after 2026-03-04T10:39:59Z")
    lines = [_gke_line(k, _access(k, f"GET {path}", agent="-", size=2)) for k in range(0, 3600, 10)]
    lines += [_gke_line(k + 1, f"fetched page {k}") for k in range(0, 2400, 5)]
    lines += [_gke_line(k + 2, expired, log="stderr", severity="ERROR") for k in range(2400, 3600, 60)]
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "tls-certificate")


def _nginx_error(k: int, failure: str, path: str = "/export") -> str:
    """nginx's error-log line for a request it failed for want of an upstream answer ``k`` seconds
    into 10:00 of 2026-03-04 (ngx_http_upstream.c's failure, ngx_http_log_error's request; the
    shape of https://github.com/kubernetes/ingress-nginx/issues/12285)."""
    return (f"2026/03/04 10:{k // 60:02d}:{k % 60:02d} [error] 184#184: *{k} {failure}, client: 10.0.0.5, "
            f'server: web.example, request: "GET {path} HTTP/1.1", upstream: "http://127.0.0.1:8000{path}", '
            'host: "web.example"')


@pytest.mark.parametrize(("failure", "status"), [
    ("upstream prematurely closed connection while reading response header from upstream", 502),
    ("connect() failed (111: Connection refused) while connecting to upstream", 502),
    ("upstream timed out (110: Connection timed out) while reading response header from upstream", 504),
])
def test_a_request_nginx_failed_for_want_of_an_upstream_is_a_failed_request(
        tmp_path: Path, failure: str, status: int) -> None:
    """The app's own access log never logs the request a killed worker held; nginx's error log
    names it, answered 502 (504 for a timeout: ngx_http_upstream_next). Six such lines spread over
    an hour of requests all served are six failed requests, not steady noise beside a healthy
    service (held-out GD09); with nginx's access line for the same request also in the input, it
    counts once."""
    lines = [_gke_line(k, _access(k)) for k in range(0, 3600, 10)]
    lines += [_gke_line(k + 3, _nginx_error(k + 3, failure), severity="ERROR") for k in range(300, 3600, 600)]
    alone = _analysed(tmp_path, lines, "web")["status"]
    logged = _gke_line(303, _access(303, "GET /export", status))
    twice = _analysed(tmp_path, [*lines, logged], "web")["status"]
    assert (alone["state"], alone["requests"], alone["failed_requests"], twice["failed_requests"]) == (
        "degraded", 366, 6, 6)


def test_a_readiness_refusal_as_a_pod_booted_is_no_reading_of_the_failures_after_it(tmp_path: Path) -> None:
    """A rolling update: the new ReplicaSet's pod is refused by its readiness probe once as it
    boots (the kubelet's wording, kubernetes/kubernetes#51096), then serves, and a fifth of its
    requests fail for the next 45 minutes with nothing deeper logged, while the old pod served
    without a failure. Readiness passes once the pod is ready (`persistent: false`): what failed
    for 45 minutes after it is the new version's doing, read from the requests themselves as no
    finding stands for them (held-out EX05), not a slow start."""
    old, new = "web-7d9f8c6b4-abcde", "web-5c6b7d9f8-fghij"
    lines = [_gke_line(k, _access(k), pod=old) for k in range(0, 900, 10)]
    lines.append(_gke_line(905, 'Readiness probe failed: Get "http://10.52.1.38:8080/healthz": dial tcp '
                                "10.52.1.38:8080: connect: connection refused", pod=new, severity="WARNING"))
    lines += [_gke_line(k, _access(k, status=500 if k % 50 == 0 else 200), pod=new)
              for k in range(930, 3600, 10)]
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "deployment-change")


@pytest.mark.parametrize(
    "line",
    [
        # ASP.NET Core's hosting log (dotnet/aspnetcore HostingRequestFinishedLog.cs)
        "Request finished HTTP/1.1 GET http://web.example/api?id=7 - {status} - application/json 12.3ms",
        # Gin's default logger (gin-gonic/gin logger.go, as its README shows it)
        '[GIN] 2019/12/25 - 14:22:26 | {status} |     1.020875ms |       127.0.0.1 | GET      "/api"',
        # a logfmt request line of Go's slog
        'level=INFO msg="http request" method=GET path=/api status={status} dur=7ms',
        # Serilog.AspNetCore's request line (serilog-aspnetcore RequestLoggingOptions.cs)
        "[10:00:00 INF] HTTP GET /api responded {status} in 12.3456 ms",
        # a Go net/http middleware's log.Printf("%s %s %d %s", method, path, status, duration)
        "2026/03/04 10:00:00 GET /api/orders/7 {status} 13.2ms",
        "2026/03/04 10:00:00 http: POST /v1/checkout {status} 161ms",
        # Express's morgan (expressjs/morgan index.js): `tiny`, `short` and `dev` (coloured, as on a
        # terminal, and as the custom ':method :url :status :response-time ms - :res[content-length]')
        "GET /api/orders/7 {status} 61 - 12.345 ms",
        "10.0.0.7 - GET /api/orders/7 HTTP/1.1 {status} 61 - 12.345 ms",
        "\x1b[0mGET /api/orders/7 \x1b[32m{status}\x1b[0m 12.345 ms - 61\x1b[0m",
        "POST /v1/orders {status} 60012.345 ms - 61",
        # Plug.Logger, as Phoenix logs each answer (elixir-plug/plug lib/plug/logger.ex)
        "11:00:03.436 request_id=grclP-0igY1_5Xw5wQnn [info] Sent {status} in 36ms",
        # uWSGI's request log (unbit/uwsgi core/logging.c)
        "[pid: 1210|app: 0|req: 8802/35212] 35.191.8.9 () {{48 vars in 912 bytes}} "
        "[Tue Sep  3 13:05:00 2024] GET /v1/reverse?lat=51.9 => generated 489 bytes in 110 msecs "
        "(HTTP/1.1 {status}) 3 headers in 102 bytes (1 switches on core 0)",
        # Kemal's LogHandler (kemalcr/kemal src/kemal/log_handler.cr)
        "2024-06-25 11:17:03 UTC {status} GET /v1/quote?pair=EURUSD 830.96ms",
        # Crystal's HTTP::LogHandler (crystal-lang/crystal src/http/server/handlers/log_handler.cr)
        "GET /v1/quote - {status} (830.96ms)",
        # HAProxy's HTTP log format (haproxy doc/configuration.txt, "HTTP log format"), behind syslog
        "haproxy[8]: 10.128.0.7:30861 [06/Nov/2025:11:14:35.882] fe_https~ be_api/api-1 0/0/1/12/13 "
        '{status} 217 - - ---- 27/27/0/0/0 0/0 "GET /v1/catalog/search?q=59633 HTTP/1.1"',
        # a middleware's own `"%s %s status=%d duration=%s"` (the idiom in Go's log.Printf, Python's
        # logging and Java's SLF4J request filters), behind its logger's layout
        "2026-02-17T14:23:34.308Z  INFO 1 --- [quote] [nio-8080-exec-30] c.b.quote.web.AccessLogFilter"
        "            : POST /api/v1/quotes status={status} duration=104ms",
        "2026/03/04 10:00:00 GET /v1/orders/7 status={status} duration=13.2ms request_id=9f2c",
    ],
)
def test_the_access_log_lines_of_other_servers_are_requests_too(tmp_path: Path, line: str) -> None:
    """ASP.NET Core's, Gin's and a logfmt request line count as requests, status and all, in an
    input with no request log: a 503 storm in them is an outage."""
    lines = [_gke_line(k, line.format(status=200 if k < 2400 else 503)) for k in range(0, 3600, 10)]
    path = tmp_path / "gke.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web", "--input", str(path),
                                       "--format", "json"])
    status = json.loads(result.output)["status"]
    assert (status["state"], status["requests"], status["failed_requests"]) == ("down", 360, 120)


@pytest.mark.parametrize(
    "shape",
    [
        # pino-http (pinojs/pino-http README, logger.js): the request and the response beside
        # the message, and a 5xx logged as an error
        lambda status: {"level": 30, "msg": "request completed", "responseTime": 4,
                        "req": {"id": 7, "method": "GET", "url": "/api"}, "res": {"statusCode": status}}
        if status < 500 else
        {"level": 50, "msg": "request errored", "responseTime": 4,
         "req": {"id": 7, "method": "GET", "url": "/api"}, "res": {"statusCode": status},
         "err": {"type": "Error", "message": f"failed with status code {status}",
                 "stack": f"Error: failed with status code {status}\n    at onResFinished "
                          "(/app/node_modules/pino-http/logger.js:115:39)"}},
        # Fastify's own logger: the response only
        lambda status: {"level": 30, "msg": "request completed", "res": {"statusCode": status},
                        "responseTime": 3.2},
        # Echo's logger middleware (labstack/echo middleware/logger.go DefaultLoggerConfig)
        lambda status: {"time": "2026-03-04T10:00:00Z", "id": "", "remote_ip": "10.0.0.3",
                        "host": "web", "method": "GET", "uri": "/api", "status": status,
                        "error": "", "latency": 55653, "latency_human": "55.653µs"},
        # Serilog.AspNetCore's request logging, as Serilog's compact JSON writes it
        lambda status: {"@t": "2026-03-04T10:00:00Z", "@mt": "HTTP {RequestMethod} {RequestPath} "
                        "responded {StatusCode} in {Elapsed:0.0000} ms", "RequestMethod": "GET",
                        "RequestPath": "/api", "StatusCode": status, "Elapsed": 12.3},
        # a Go middleware's zap line: log.Info("request", zap.String("method", ...), ...)
        lambda status: {"level": "info", "ts": 1741082400.0, "caller": "httpapi/middleware.go:54",
                        "msg": "request", "method": "POST", "path": "/v1/payments", "status": status,
                        "duration_ms": 21.04},
        # ... said done (a chi middleware's `l.Info("Request completed", ...)`, blind set EY03)
        lambda status: {"level": "info", "ts": 1741082400.0, "caller": "httpserver/middleware.go:88",
                        "msg": "Request completed", "method": "GET", "path": "/v1/charges", "status": status,
                        "bytes_written": 812},
        # ... said of what the application serves: "quote request completed" (blind set PE02)
        lambda status: {"level": "info" if status < 500 else "error", "caller": "api/quote.go:88",
                        "msg": "quote request completed", "method": "POST", "path": "/v1/quote",
                        "status": status, "latency_ms": 212},
        # Rust's tracing-subscriber JSON: tower-http's TraceLayer, the method and URI in its span
        lambda status: {"timestamp": "2026-03-04T10:00:00Z", "level": "INFO" if status < 500 else "ERROR",
                        "fields": {"message": "finished processing request", "latency": "3 ms",
                                   "status": status},
                        "target": "tower_http::trace::on_response",
                        "span": {"method": "GET", "uri": "/v1/search", "version": "HTTP/1.1",
                                 "name": "request"}},
        # ... and an app's own handler logging all three as fields (blind set AF10)
        lambda status: {"timestamp": "2026-03-04T10:00:00Z", "level": "INFO",
                        "fields": {"message": "request completed", "method": "GET", "uri": "/v1/search",
                                   "status": status, "latency_ms": 29.7}, "target": "search_api::http"},
        # Rails' lograge JSON (roidrage/lograge), a failed request's line carrying its error,
        # which becomes the entry's message (blind set 9C10)
        lambda status: {"method": "GET", "path": "/members/claims", "format": "html",
                        "controller": "Members::ClaimsController", "action": "index", "status": status,
                        "duration": 36.26, "view": 0.0, "db": 0.0,
                        **({"error": "ActiveRecord::ConnectionNotEstablished: connection to server at "
                                     "\"10.20.0.3\", port 5432 failed: Connection refused"}
                           if status >= 500 else {})},
        # ... its 5xx worded apart, at warn: "request failed" (blind set QF03)
        lambda status: {"level": "info" if status < 500 else "warn", "caller": "middleware/log.go:51",
                        "msg": "request" if status < 500 else "request failed", "method": "GET",
                        "path": "/v2/cart", "status": status, "duration_ms": 3004},
        # Traefik's JSON access log: the status it answered in DownstreamStatus, an empty msg
        # (xavier-hernandez/goaccess-for-nginxproxymanager#108, the line a user pasted)
        lambda status: {"ClientAddr": "10.4.0.7:51234", "ClientHost": "10.4.0.7", "ClientUsername": "-",
                        "DownstreamContentSize": 287, "DownstreamStatus": status, "Duration": 8184335,
                        "OriginStatus": status, "RequestCount": 17348, "RequestHost": "web.example.com",
                        "RequestMethod": "GET", "RequestPath": "/api/orders", "RequestProtocol": "HTTP/1.1",
                        "RouterName": "web@kubernetes", "ServiceName": "web-80@kubernetes",
                        "entryPointName": "websecure", "level": "info", "msg": "",
                        "time": "2026-03-04T10:00:00Z"},
    ],
)
def test_the_json_request_lines_of_request_logging_middleware_are_requests(
        tmp_path: Path, shape: Callable[[int], dict[str, object]]) -> None:
    """A GKE service with no request log whose middleware logs each request as JSON: the status
    sits in the payload, not the message, and still counts, so a 503 storm in it is an outage."""
    lines = [_gke_line(k, shape(200 if k < 2400 else 503)) for k in range(0, 3600, 10)]
    path = tmp_path / "gke.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web", "--input", str(path),
                                       "--format", "json"])
    status = json.loads(result.output)["status"]
    assert (status["state"], status["requests"], status["failed_requests"]) == ("down", 360, 120)


def test_a_json_line_that_merely_mentions_a_status_is_no_request(tmp_path: Path) -> None:
    """A client's log of its own outbound call names a method, a URL and a status too; without
    the shape's marker (pino's request messages, Echo's remote_ip) it is not a request served."""
    lines = [_gke_line(k, {"level": "error", "msg": "upstream call failed", "method": "GET",
                           "uri": "https://api.example/v1", "status": 503}) for k in range(0, 3600, 60)]
    # (a zap line of the same shape as a served request's, but for the full URL it called)
    lines += [_gke_line(k, {"level": "info", "msg": "request", "method": "GET",
                            "url": "https://api.example/v1", "status": 503}) for k in range(30, 3600, 60)]
    path = tmp_path / "gke.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web", "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["status"]["requests"] == 0


def test_health_checkers_in_an_access_log_are_not_user_requests(tmp_path: Path) -> None:
    """kubelet's probes, the load balancer's health checks and Cloud Monitoring's uptime checks (the
    library's `checkers`) answer 200 while every user request fails: counting them would halve the
    error rate of an outage; they are not requests served, and nor are the pod's own calls out that
    its mesh sidecar logs (blind sets DJ03, DJ06)."""
    lines = [_gke_line(k, _access(k, status=503, agent="Mozilla/5.0")) for k in range(0, 3600, 20)]
    # (each checker at its own seconds: lines of one time and one insertId would be one entry)
    lines += [_gke_line(k, _access(k, agent=agent))
              for agent, first in (("kube-probe/1.29", 5), ("GoogleHC/1.0", 9), (UPTIME, 3))
              for k in range(first, 3600, 10)]
    # the pod's own calls out, as its Istio sidecar logs them (istio/istio#54023's format)
    lines += [_gke_line(k, '[2026-03-04T10:00:00.000Z] "GET /v1/stock/7 HTTP/1.1" 200 - via_upstream - "-" '
                           '0 19 3 2 "-" "Go-http-client/1.1" "3e26" "inventory:8080" "10.64.9.120:8080" '
                           'outbound|8080|v1|inventory.store.svc.cluster.local 10.60.8.141:47438')
              for k in range(7, 3600, 10)]
    status = _analysed(tmp_path, lines, "web")["status"]
    assert (status["requests"], status["failed_requests"]) == (180, 180)


def _kubelet_event(k: int, reason: str, message: str, pod: str = "web-7d9f8-abcde") -> str:
    """A Kubernetes event the kubelet wrote about the pod, ``k`` seconds into the hour, as GKE
    exports it (k8s_pod, the `events` log, a Warning)."""
    return json.dumps({
        "insertId": f"ev{k}-{reason}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/events", "severity": "WARNING",
        "resource": {"type": "k8s_pod", "labels": {"pod_name": pod, "namespace_name": "shop"}},
        "jsonPayload": {"kind": "Event", "reason": reason, "message": message, "type": "Warning",
                        "involvedObject": {"kind": "Pod", "name": pod, "namespace": "shop",
                                           "fieldPath": "spec.containers{web}"},
                        "source": {"component": "kubelet"}},
    }) + "\n"


def test_a_container_the_kubelet_keeps_killing_is_an_incident_though_every_logged_request_succeeded(
        tmp_path: Path) -> None:
    """A CPU-starved server: its probes time out, the kubelet kills and restarts it, then backs
    off; its own access log shows only the requests it did answer, all 200. The kubelet's Warning
    events are the platform's record that the process died, no warning the service coped with, so
    the window is no all-clear; and a readiness probe that timed out waiting for an answer says
    the server ran slow, not that it was still starting (blind set DQ07)."""
    timeout = ('Get "http://10.52.2.19:8000/{path}": context deadline exceeded '
               "(Client.Timeout exceeded while awaiting headers)")
    lines = [_gke_line(k, _access(k)) for k in range(0, 3600, 10)]
    for k in range(1800, 3600, 120):
        lines += [
            _kubelet_event(k, "Unhealthy", "Readiness probe failed: " + timeout.format(path="readyz")),
            _kubelet_event(k + 1, "Unhealthy", "Liveness probe failed: " + timeout.format(path="healthz")),
            _kubelet_event(k + 2, "Killing", "Container web failed liveness probe, will be restarted"),
            _kubelet_event(k + 60, "BackOff", "Back-off restarting failed container web in pod "
                           "web-7d9f8-abcde_shop(3b1f6a2e-8c4d-4e7a-9f1b-2230860ad51e)"),
        ]
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["status"]["failed_requests"],
            report["root_cause"]["category"]) == ("degraded", 0, "request-timeout")


X509 = ('rpc error: code = Unavailable desc = connection error: desc = "transport: authentication '
        'handshake failed: x509: certificate signed by unknown authority"')


@pytest.mark.parametrize(
    "failures_until, logs_until, state",
    [
        (2100, 3600, "recovered"),  # the failures stopped 25 minutes before the end; work went on
        # (down: a certificate the client does not trust fails every call until it is fixed)
        (3590, 3600, "down"),  # they ran to the end
        (2100, 2160, "down"),  # they stopped, and so did the service's logs: no sign it works
    ],
)
def test_a_service_that_logs_no_request_recovers_when_its_failures_stop_and_its_work_goes_on(
        tmp_path: Path, failures_until: int, logs_until: int, state: str) -> None:
    """A GKE worker with no request log: its calls fail every 15 s from minute 20, then stop. With
    nothing but its own lines to go by, the failures ending long enough before the window does
    (at their rate the quiet would have held dozens of them) while it went on logging its work is
    the recovery (blind sets DP04, DP09, DS03); failures to the end, or logs that stop with them,
    are not."""
    # (the work stops with the failures, unless they end: a worker whose work went on beside a
    # failure of every attempt at one thing is degraded, not down)
    work_until = logs_until if failures_until < logs_until - 600 else 1200
    lines = [_gke_line(k, f"processed batch {k}") for k in range(0, work_until, 20)]
    lines += [_gke_line(k, "worker alive") for k in range(0, logs_until, 300)]
    lines += [_gke_line(k + 1, X509, log="stderr", severity="ERROR") for k in range(1200, failures_until, 15)]
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["root_cause"]["category"]) == (state, "tls-certificate")


def test_a_revision_brought_back_after_a_failed_rollout_shows_the_recovery(tmp_path: Path) -> None:
    """The old ReplicaSet served until the rollout, fell silent while the new one failed, and
    came back (kubectl rollout undo), its pods starting a minute before the failing ones were
    gone: its lines after the failures are the service working again (blind set DP04)."""
    old, new = "web-7c9d6f8b54-abcde", "web-5f47b9c6d8-fghij"
    lines = [_gke_line(k, f"order {k} created", pod=old) for k in range(0, 1200, 20)]
    lines += [_gke_line(k, f"order {k} created", pod=old) for k in range(2040, 3600, 20)]
    lines += [_gke_line(k, "Started OrdersApplication in 4.2 seconds", pod=new) for k in (1190,)]
    lines += [_gke_line(k + 1, X509, pod=new, log="stderr", severity="ERROR") for k in range(1200, 2100, 15)]
    assert _analysed(tmp_path, lines, "web")["status"]["state"] == "recovered"


def test_a_catch_all_line_is_explained_by_the_exception_logged_on_the_next_lines(tmp_path: Path) -> None:
    """.NET's console logger writes a record over several lines, which GKE and Cloud Run store one
    entry each and no traceback grammar joins: Kestrel's "An unhandled exception was thrown by the
    application." is followed by the exception itself. The named failure on the next entry of the
    same pod is what the catch-all announced, so it is the root cause (blind set DP02)."""
    record = [
        "fail: Microsoft.AspNetCore.Server.Kestrel[13]",
        '      Connection id "0HN4CV6DK95OI", Request id "0HN4CV6DK95OI:00000018": An unhandled exception '
        "was thrown by the application.",
        "      Npgsql.PostgresException (0x80004005): 28P01: password authentication failed for user "
        '"ledger_app"',
        "         at Npgsql.Internal.NpgsqlConnector.Open(NpgsqlTimeout timeout, Boolean async, "
        "CancellationToken cancellationToken)",
        "         at Npgsql.PoolingDataSource.OpenNewConnector(NpgsqlConnection conn, NpgsqlTimeout timeout, "
        "Boolean async, CancellationToken cancellationToken)",
    ]
    lines = []
    for k in range(1800, 3600, 30):
        for n, text in enumerate(record):
            entry = json.loads(_gke_line(k, text, log="stdout"))
            entry["insertId"] += f"-{n}"
            entry["timestamp"] = entry["timestamp"].replace("Z", f".{n:06d}Z")
            lines.append(json.dumps(entry) + "\n")
    lines += [_gke_line(k, "info: Ledger.Worker[0] ledger sync completed") for k in range(5, 3600, 60)]
    report = _analysed(tmp_path, lines, "web")
    assert (report["root_cause"]["category"], report["root_cause"]["pattern_id"]) == (
        "missing-configuration", "postgres-password-auth-failed")


def test_warnings_the_service_coped_with_do_not_lead_the_chain_past_a_container_the_kernel_killed(
        tmp_path: Path) -> None:
    """Every request the pods logged succeeded; a partner's webhook timed out and was retried, logged
    at WARN each time; later the node's kernel killed the leaking process for memory. The retried
    timeouts are the service coping, the verdict does not count them, and nor does the chain: the
    OOM kill is the failure, and its category the root cause (blind set DQ05)."""
    lines = [_gke_line(k, _access(k)) for k in range(0, 3600, 10)]
    lines += [_gke_line(k + 1, {"level": "warn", "msg": "webhook delivery failed, will retry",
                                "error": 'Post "https://hooks.partner.example/v2/orders": context deadline '
                                         "exceeded (Client.Timeout exceeded while awaiting headers)"},
                        severity="WARNING") for k in range(600, 3600, 40)]
    for k in range(2400, 3600, 300):
        oom = json.loads(_kubelet_event(k, "OOMKilling", "Memory cgroup out of memory: Killed process 5990 "
                                        "(web) total-vm:2136065kB, anon-rss:527352kB, file-rss:11632kB"))
        oom["resource"] = {"type": "k8s_node", "labels": {"node_name": "gke-prod-pool-1-abcd"}}
        lines.append(json.dumps(oom) + "\n")
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["root_cause"]["category"]) == (
        "degraded", "memory-limit-exceeded")


@pytest.mark.parametrize("old_keeps_working, state", [(True, "degraded"), (False, "down")])
def test_a_failure_that_fails_every_attempt_is_no_outage_while_the_service_s_everyday_work_goes_on(
        tmp_path: Path, old_keeps_working: bool, state: str) -> None:
    """No request log. A ConfigMap lost a key and the new ReplicaSet's pods crash-loop on it from
    minute 20, while the old ReplicaSet's pods go on authorising payments as they did before: the
    service still works, degraded (blind set DX10). When the old pods are gone too, nothing is
    done any more: down."""
    old, new = "payments-5c9b7d4f6-abcde", "payments-7f6d8c9b5-fghij"
    until = 3600 if old_keeps_working else 1200
    lines = [_gke_line(k, f"authorised payment {k} psp=adyen", pod=old) for k in range(0, until, 15)]
    crash = ("org.springframework.beans.factory.BeanCreationException: Error creating bean with name "
             "'pspClient': Injection of autowired dependencies failed; nested exception is "
             "java.lang.IllegalArgumentException: Could not resolve placeholder 'payment.psp.base-url' in "
             'value "${payment.psp.base-url}"')
    lines += [_gke_line(k, crash, pod=new, log="stderr", severity="ERROR") for k in range(1200, 3600, 40)]
    report = _analysed(tmp_path, lines, "payments")
    assert (report["status"]["state"], report["root_cause"]["category"]) == (state, "missing-configuration")


@pytest.mark.parametrize("others_complete, state", [(True, "degraded"), (False, "down")])
def test_a_worker_whose_other_jobs_complete_is_degraded_by_one_job_type_denied(
        tmp_path: Path, others_complete: bool, state: str) -> None:
    """No request log. A Sidekiq worker runs several job types, each a few times an hour (too rare
    for any one kind of line to show a pace); from minute 20 every upload job fails on a 403 the
    bucket's policy gives, while the digest and scoring jobs go on logging "done": the work goes on
    in part, degraded (held-out FE09). When nothing completes after the 403 began, down."""
    def job(k: int, kind: str, outcome: str) -> str:
        level = "INFO" if outcome != "fail" else "WARN"
        elapsed = "" if outcome == "start" else " elapsed=0.412"
        text = (f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}.000Z pid=1 tid=gq1 class={kind} "
                f"jid=a{k}b{elapsed} {level}: {outcome}")
        return _gke_line(k, text, container="worker", pod="crm-jobs-6c9d7-x2k4p")
    denied = ("Google::Cloud::PermissionDeniedError: forbidden: crm-jobs@p.iam.gserviceaccount.com does not "
              "have storage.objects.create access to the Google Cloud Storage object.")
    lines = []
    for k in range(0, 3600, 180):
        for kind, shift in (("SendDailyDigestJob", 0), ("ScoreLeadsJob", 60)):
            if k < 1200 or others_complete:
                lines += [job(k + shift, kind, "start"), job(k + shift + 5, kind, "done")]
        upload = k + 120
        lines.append(job(upload, "AttachmentUploadJob", "start"))
        if upload < 1200:
            lines.append(job(upload + 5, "AttachmentUploadJob", "done"))
        else:
            lines += [job(upload + 5, "AttachmentUploadJob", "fail"),
                      _gke_line(upload + 6, denied, container="worker", pod="crm-jobs-6c9d7-x2k4p",
                                log="stderr", severity="ERROR")]
    report = _analysed(tmp_path, lines, "worker")
    assert (report["status"]["state"], report["root_cause"]["category"]) == (state, "permission-denied")


def test_a_worker_whose_every_job_fails_since_is_down_though_its_lines_are_all_errors(tmp_path: Path) -> None:
    """No request log. A Celery worker on GKE writes to stderr, so every line of it is at ERROR, its
    successes too, and no everyday line paces its work. Its tasks succeed until minute 30; then every
    one raises on the database's "too many clients" (a failure that passes by itself): with none
    completed since and many failed, nothing is done, down (held-out FP01)."""
    lines = []
    for k in range(0, 3600, 20):
        task = f"billing.send_receipt[{k:08d}-1c2d-4e5f-8a9b-0c1d2e3f4a5b]"
        if k < 1800:
            said = f"Task {task} succeeded in 0.21s: None"
        else:
            said = (f"Task {task} raised unexpected: OperationalError('connection to server at "
                    "\"10.0.0.3\", port 5432 failed: FATAL:  sorry, too many clients already')")
        lines.append(_gke_line(k, said, container="worker", pod="billing-worker-6c9d7-x2k4p", log="stderr",
                               severity="ERROR"))
    report = _analysed(tmp_path, lines, "worker")
    assert report["status"]["state"] == "down"


def test_a_log_query_in_a_remediation_filters_where_the_service_runs(tmp_path: Path) -> None:
    """A `gcloud logging read` step reads the service's own entries: a GKE container's by its
    container name, not by a Cloud Run label its entries do not carry."""
    panic = ("panic: runtime error: invalid memory address or nil pointer dereference\n"
             "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6b2a1f]")
    lines = [_gke_line(k, panic) for k in range(1800, 3600, 60)]
    path = tmp_path / "gke.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web", "--input", str(path),
                                       "--format", "json"])
    queries = [r["command"] for r in json.loads(result.output)["remediation"]
               if (r.get("command") or "").startswith("gcloud logging read")]
    assert queries and all('resource.type="k8s_container" AND resource.labels.container_name="web"' in q
                           and "service_name" not in q for q in queries)


def test_a_permission_error_naming_no_principal_is_the_identity_the_service_runs_as(tmp_path: Path) -> None:
    """Pub/Sub's 403 names no principal; the deploy that made the failing revision says which
    service account it runs as, and the IAM command names that account instead of a placeholder."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ingest", 5, day(2026, 4, 14, 13))
    old, new = inc.revision(17), inc.revision(18)
    inc.deploy(1800, new, old, "img@sha256:2", service_account="ingest-sa@acme-prod.iam.gserviceaccount.com")
    denied = "google.api_core.exceptions.PermissionDenied: 403 User not authorized to perform this action."
    for t in range(70, 3500, 30):
        revision = old if t < 1830 else new
        inc.request(t, 200 if t < 1830 else 500, "/events", revision, None)
        if t >= 1830:
            inc.text(t, denied, revision, inc.instance(), log="stderr")
    report = json.loads(_exported(tmp_path, inc))
    commands = [r.get("command") or "" for r in report["remediation"]]
    assert report["root_cause"]["category"] == "permission-denied"
    assert any("serviceAccount:ingest-sa@acme-prod.iam.gserviceaccount.com" in c for c in commands)
    assert not any("<service_account>" in c for c in commands)


def test_another_route_s_trickle_of_500s_does_not_date_the_incident_before_its_deploy(tmp_path: Path) -> None:
    """Another route's 500s, unexplained, every five minutes from the first minutes; a deploy at
    30 minutes whose revision fails a third of the requests on a named cause. The failures stepped
    up there: the onset is after the deploy, and the deploy is the trigger, though a trickle
    failure came two minutes before it (blind sets BS01, BS06)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("portal", 7, day(2026, 3, 27, 8))
    old, new = inc.revision(64), inc.revision(65)
    inc.deploy(1800, new, old, "img@sha256:2")
    denied = "google.api_core.exceptions.PermissionDenied: 403 User not authorized to perform this action."
    for t in (62, 360, 680, 1000, 1270, 1690):
        inc.request(t, 500, "/api/newsletter", old, None)
    for t in range(30, 3000, 10):
        revision = old if t < 1830 else new
        failing = t >= 1830 and t % 30 == 0
        inc.request(t, 500 if failing else 200, "/members", revision, None)
        if failing:
            inc.text(t, denied, revision, inc.instance(), log="stderr")
    path = tmp_path / "trickle.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    status = json.loads(result.output)["status"]
    assert (status["trigger"] or {}).get("revision") == new
    assert parse_rfc3339(status["onset"]) >= inc.at(1800)


def test_an_environment_only_deploy_names_the_variables_not_their_values(tmp_path: Path) -> None:
    """Two v2 deploys of the same image: the second changes DB_NAME's value and sets FLAG. The
    report names both variables (where to look) but never a value (it may be a secret); a secret
    reference left as it was is no change."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ledger", 3, day(2026, 4, 14, 13))
    secret = {"name": "DB_PASSWORD", "valueSource": {"secretKeyRef": {"secret": "db-pass", "version": "3"}}}
    old, new = inc.revision(17), inc.revision(18)
    inc.deploy(60, old, "ledger-00016-abc", "img@sha256:1", api="v2",
               env=[{"name": "DB_NAME", "value": "ledger"}, secret])
    inc.deploy(1800, new, old, "img@sha256:1", api="v2",
               env=[{"name": "DB_NAME", "value": "ledger_prod"}, secret, {"name": "FLAG", "value": "on"}])
    for t in range(70, 3500, 30):
        inc.request(t, 200, "/", old if t < 1820 else new, None)
    path = tmp_path / "deploys.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    changes = json.loads(result.output)["deploys"]["changes"]
    named = [c.split(" changed ", 1)[1] for c in changes]
    expected = ["env DB_NAME (new value)", "env FLAG (newly set)"]
    assert (named, "ledger_prod" in result.output) == (expected, False)


def test_app_engine_requests_past_their_deadline_explain_the_ones_aborted_behind_them(tmp_path: Path) -> None:
    """A report runs past App Engine's 60 s deadline: the runtime raises DeadlineExceededError into
    whatever frame of the app's code was running (where the time ran out, not a bug there), and the
    requests queued behind the busy instances are aborted. The deadline is the root, not a start-up
    timeout guessed from the aborted ones, nor a bug in the frame it landed in (blind set BY03)."""
    def line(k: int, text: str, severity: str = "ERROR") -> dict[str, Any]:
        return {"insertId": f"e{k}-{len(text)}", "timestamp": f"2026-03-18T14:{k // 60:02d}:{k % 60:02d}Z",
                "logName": "projects/p/logs/appengine.googleapis.com%2Frequest_log", "severity": severity,
                "textPayload": text,
                "resource": {"type": "gae_app", "labels": {"module_id": "reports", "version_id": "v41"}}}
    entries = [line(k, "served /home", "INFO") for k in range(0, 3500, 20)]
    deadline = ["Traceback (most recent call last):",
                '  File "/base/data/home/apps/s~acme/v41.4410/models/usage.py", line 57, in _from_pb',
                "DeadlineExceededError: The overall deadline for responding to the HTTP request "
                "was exceeded."]
    for n, k in enumerate(range(1800, 3400, 40)):
        entries.append(line(k, "\n".join(deadline)))
        entries.append(line(k + 5, "Request was aborted after waiting too long to attempt to service your "
                                   "request." if n % 2 else "served /home", "ERROR" if n % 2 else "INFO"))
    path = tmp_path / "gae.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "reports", "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["root_cause"]["category"] == "request-timeout"


def test_app_engine_requests_aborted_in_the_pending_queue_alone_read_as_capped_scaling(
        tmp_path: Path) -> None:
    """A surge meets a version capped at a few instances: requests wait in App Engine's pending
    queue and are aborted, and nothing else is wrong. The abort alone reads as Cloud Run's "no
    available instance" does, more requests than the instances allowed could take, said as
    inferred (blind sets 4H10, RA02, 7B03), not as a slow start-up nothing shows."""
    def line(k: int, text: str, severity: str = "INFO") -> dict[str, Any]:
        return {"insertId": f"e{k}-{len(text)}", "timestamp": f"2026-03-18T14:{k // 60:02d}:{k % 60:02d}Z",
                "logName": "projects/p/logs/appengine.googleapis.com%2Frequest_log", "severity": severity,
                "textPayload": text,
                "resource": {"type": "gae_app", "labels": {"module_id": "default", "version_id": "v7"}}}
    entries = [line(k, "served /article") for k in range(0, 3580, 10)]
    entries += [line(k + 3, "Request was aborted after waiting too long to attempt to service your request.",
                     "ERROR") for k in range(2400, 3580, 20)]
    path = tmp_path / "gae.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "default", "--input", str(path),
                                       "--format", "json"])
    root = json.loads(result.output)["root_cause"]
    assert (root["category"], root["pattern_id"]) == (
        "quota-or-rate-limit", "appengine-request-aborted-pending")
    assert root["summary"].startswith("No log entry shows the cause itself; inferred")


def test_an_app_engine_version_is_a_revision_and_its_create_version_the_trigger(tmp_path: Path) -> None:
    """App Engine rolls out versions as Cloud Run does revisions: the version label is the
    revision, and Versions.CreateVersion (resourceName .../versions/V) is the deploy that made
    it, so the failures of a new version name that deploy as their trigger."""
    def line(k: int, version: str, severity: str, text: str) -> dict[str, Any]:
        return {"insertId": f"a{k}", "timestamp": f"2026-03-18T14:{k // 60:02d}:{k % 60:02d}Z",
                "logName": "projects/p/logs/stderr", "severity": severity, "textPayload": text,
                "resource": {"type": "gae_app", "labels": {"module_id": "portal", "version_id": version}}}
    entries = [line(k, "20260318t140000", "INFO", "served /home") for k in range(0, 1500, 20)]
    entries.append({
        "insertId": "deploy", "timestamp": "2026-03-18T14:25:00Z",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "gae_app", "labels": {"module_id": "portal"}},
        "protoPayload": {"methodName": "google.appengine.v1.Versions.CreateVersion",
                         "resourceName": "apps/p/services/portal/versions/20260318t142500",
                         "authenticationInfo": {"principalEmail": "ci@p.iam.gserviceaccount.com"}}})
    entries += [line(k, "20260318t142500", "ERROR", "ModuleNotFoundError: No module named 'flask_cors'")
                for k in range(1530, 3500, 20)]
    path = tmp_path / "gae.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "portal", "--input", str(path),
                                       "--format", "json"])
    trigger = json.loads(result.output)["status"]["trigger"]
    assert (trigger or {}).get("revision") == "20260318t142500"


def _lb_502(k: int) -> str:
    """A global external load balancer's request log of a 502 with no healthy backend."""
    return json.dumps({
        "insertId": f"lb{k}", "timestamp": f"2025-06-03T22:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/requests", "severity": "WARNING",
        "resource": {"type": "http_load_balancer",
                     "labels": {"backend_service_name": "k8s1-shop-worker-8080"}},
        "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop.example/v1/x", "status": 502},
        "jsonPayload": {"statusDetails": "failed_to_pick_backend"},
    }) + "\n"


def test_websockets_the_load_balancer_cut_at_its_backend_timeout_are_failed_requests(tmp_path: Path) -> None:
    """A GKE Ingress in front of a STOMP WebSocket service keeps the backend service's default 30 s
    timeout: the load balancer logs each socket it cut as `backend_timeout` with the upgrade's 101,
    beside the REST calls it answered 200. Each such line is a request it gave up on (the pattern
    `fails_requests`), so the service is degraded, not fine (blind set OW02)."""
    def lb(k: int, status: int, details: str, path: str) -> str:
        return json.dumps({
            "insertId": f"lb{k}", "timestamp": f"2026-04-02T08:{k // 60:02d}:{k % 60:02d}Z",
            "logName": "projects/p/logs/requests", "severity": "INFO",
            "resource": {"type": "http_load_balancer",
                         "labels": {"backend_service_name": "k8s1-quotes-ws-8080"}},
            "httpRequest": {"requestMethod": "GET", "requestUrl": f"https://quotes.example{path}",
                            "status": status},
            "jsonPayload": {"statusDetails": details}}) + "\n"
    lines = [lb(k, 200, "response_sent_by_backend", "/api/quotes") for k in range(0, 3600, 20)]
    lines += [lb(k + 7, 101, "backend_timeout", "/ws") for k in range(1200, 3600, 40)]
    path = tmp_path / "lb.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--input", str(path), "--format", "json"])
    report = json.loads(result.output)
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "request-timeout"), \
        (report["status"], report["root_cause"])


def test_a_probe_on_another_port_than_the_server_s_is_the_port_mismatch_behind_a_load_balancer(
    tmp_path: Path,
) -> None:
    """A rollout's pods listen on :3000 (Echo's banner) while the kubelet probes 8080: the load
    balancer answers 502 at once, and the kubelet reports the readiness failures only after its
    failure threshold, some 35 s later (`reported_after_s`). The probe's rule names a port
    mismatch, which ends the chain as a cause would (blind set CG08)."""
    probe = ('Readiness probe failed: Get "http://10.8.2.30:8080/healthz": dial tcp 10.8.2.30:8080: '
             "connect: connection refused")
    lines = [_k8s(25, "k8s_container", None, "⇨ http server started on [::]:3000")]
    lines += [_lb_502(t) for t in range(0, 900, 10)]
    lines += [_k8s(t, "k8s_pod", "Unhealthy", probe) for t in range(35, 900, 20)]
    path = tmp_path / "gke.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--input", str(path), "--format", "json"])
    root = json.loads(result.output)["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("port-mismatch", "gke-readiness-probe-failed")


def test_in_a_worker_s_logs_the_newest_failure_outranks_one_steady_all_along(tmp_path: Path) -> None:
    """A GKE worker logs no request and so has no symptom: a webhook read timeout every eight
    minutes all hour is its background; the pod evicted for disk use from minute 35 is what
    changed (blind set CJ05)."""
    timeout = ("requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='hooks.example.com', port=443): "
               "Read timed out. (read timeout=5)")
    evicted = "Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. "
    lines = [_k8s(t, "k8s_container", None, timeout).replace('"INFO"', '"ERROR"')
             for t in range(60, 3600, 480)]
    lines += [_k8s(t, "k8s_pod", "Evicted", evicted) for t in range(2100, 3600, 300)]
    path = tmp_path / "worker.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "worker", "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["root_cause"]["category"] == "disk-or-filesystem"


def test_a_pool_that_cannot_open_connections_because_the_database_is_full_is_the_databases_failure(
        tmp_path: Path) -> None:
    """A scale-out: new instances' pools ask Postgres for connections it no longer has, and their
    requests then time out waiting on the pool. The database refusing clients is the cause; the
    pool's timeout (whose Spring wrapping prints no `Caused by:` under it) is what followed (blind
    set CW07; the same holds for the other runtimes' pools)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("reports", 11, day(2026, 3, 16, 12))
    rev = inc.revision(21)
    old = [inc.instance() for _ in range(3)]
    new = [inc.instance() + "n" for _ in range(3)]
    inc.traffic(0, 3600, rev, old)
    refused = "org.postgresql.util.PSQLException: FATAL: sorry, too many clients already"
    pool = ("Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
            "[Request processing failed; nested exception is org.springframework.jdbc."
            "CannotGetJdbcConnectionException: Failed to obtain JDBC Connection; nested exception is "
            "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, "
            "request timed out after 30026ms.] with root cause")
    for t in range(1880, 3600, 20):
        instance = new[t % 3]
        inc.cloudsql(t - 0.5, "FATAL:  sorry, too many clients already", severity="ERROR")
        inc.text(t - 0.4, refused, rev, instance, log="stderr")
        inc.text(t + 30, pool, rev, instance, log="stderr")
        inc.request(t, 500, "/api/reports", rev, instance, latency=30.05)
    path = tmp_path / "pool.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["root_cause"]["category"] == "database-unavailable"


def test_a_failure_whose_pattern_says_it_passes_is_ridden_through_whatever_its_category(
        tmp_path: Path) -> None:
    """A deploy's new Kafka consumer logs "Broker may not be available" for a few seconds while it
    starts, then carries on; every request of the hour is served. Its category (network) lasts as a
    rule, but its pattern says the client reconnects: the window is `ok`, not an incident the
    deploy began and recovered from (blind set CW09). The same lines still logged as the window
    ends are no such thing."""
    from tests.incidents.builder import Incident, day

    broker = ("2026-03-18 07:30:05.000  WARN 1 --- [ntainer#0-0-C-1] org.apache.kafka.clients.NetworkClient"
              "   : [Consumer clientId=consumer-ledger-1, groupId=ledger] Connection to node -1 "
              "(kafka-bootstrap.data.svc/10.10.0.5:9092) could not be established. "
              "Broker may not be available.")

    def state(since: int, until: int) -> str:
        inc = Incident("ledger", 4, day(2026, 3, 18, 7))
        old, new = inc.revision(61), inc.revision(62)
        inc.deploy(1800, new, old, "img@sha256:2")
        before, after = inc.instance(), inc.instance()
        inc.traffic(0, 1800, old, [before])
        inc.traffic(1805, 3600, new, [after])
        for t in range(since, until, 4):
            inc.text(t, broker, new, after, log="stdout")
        path = tmp_path / f"kafka-{until}.json"
        path.write_text(json.dumps(inc.export()), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                           "--format", "json"])
        return str(json.loads(result.output)["status"]["state"])

    assert (state(1806, 1830), state(1806, 3600)) == ("ok", "degraded")


def test_an_all_clear_without_requests_does_not_say_they_succeeded(tmp_path: Path) -> None:
    """A worker's hour of INFO lines and no request log: no failure, but "requests succeeded"
    would state something the logs never showed."""
    lines = [_gke_line(k, f"processed batch {k}") for k in range(0, 3600, 60)]
    path = tmp_path / "worker.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web", "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    assert (report["status"]["state"], "requests succeeded" in report["root_cause"]["summary"],
            "no request was logged" in report["root_cause"]["summary"]) == ("ok", False, True)


def test_requests_that_stop_while_every_instance_fails_to_start_are_an_outage(tmp_path: Path) -> None:
    """A rollout whose pods crash at start-up on a missing setting: the requests before it all
    succeeded, and none came after (nothing was left to serve them). That is down, not "0% failed,
    degraded" (blind sets CX06, DE07). A service asked twice in twenty minutes is not stopped by
    ten quiet minutes."""
    from tests.incidents.builder import Incident, day

    crash = ("Traceback (most recent call last):\n  File \"/app/main.py\", line 9, in <module>\n"
             "    DSN = os.environ[\"DATABASE_URL\"]\n  File \"<frozen os>\", line 679, in __getitem__\n"
             "KeyError: 'DATABASE_URL'")

    def state(every: float) -> str:
        inc = Incident("ledger", 8, day(2026, 5, 2, 7))
        old, new = inc.revision(40), inc.revision(41)
        inc.traffic(0, 2400, old, [inc.instance()], every=every)
        for t in range(2410, 3600, 30):
            inc.block(t, crash, new, inc.instance())
            inc.system(t + 1, "Container called exit(1).", new, inc.instance())
        path = tmp_path / f"stopped-{every}.json"
        path.write_text(json.dumps(inc.export()), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                           "--format", "json"])
        return str(json.loads(result.output)["status"]["state"])

    assert (state(6.0), state(1200.0)) == ("down", "degraded")


def test_a_new_revision_first_seen_as_the_failures_begin_is_the_trigger_without_a_deploy_record(
        tmp_path: Path) -> None:
    """An export of the service's own logs holds no audit entry: a revision first seen minutes
    before the failures, after another had served, is the rollout that began them (blind sets
    DC06, CW10, DF09 on GKE). The report says it was read from the entries, and a rollback to the
    revision before it comes first. The revision the input opens with is no rollout."""
    from tests.incidents.builder import Incident, day

    denied = "google.api_core.exceptions.PermissionDenied: 403 Permission denied on resource project acme."
    inc = Incident("quotes", 12, day(2026, 5, 6, 9))
    old, new = inc.revision(30), inc.revision(31)
    inc.traffic(0, 1800, old, [inc.instance()])
    instance = inc.instance()
    for t in range(1805, 3600, 5):
        inc.request(t, 500, "/api/quote", new, instance)
        inc.text(t, denied, new, instance, log="stderr")
    path = tmp_path / "rollout.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    text = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                     "--format", "text"]).output
    only_new = tmp_path / "only-new.json"
    mine = [e for e in inc.export() if e["resource"]["labels"].get("revision_name") == new]
    only_new.write_text(json.dumps(mine), encoding="utf-8")
    alone = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(only_new),
                                      "--format", "json"])
    trigger = report["status"]["trigger"]
    assert (trigger["revision"], trigger["inferred"], trigger["by"]) == (new, True, None)
    assert "no deploy record" in text and old in (report["remediation"][0]["command"] or "")
    assert json.loads(alone.output)["status"]["trigger"] is None


def test_a_job_execution_that_hit_its_task_timeout_is_a_timeout_and_the_job_is_down(tmp_path: Path) -> None:
    """The system-event entry Cloud Run wrote for a job whose task ran past its timeout (a real one,
    tests/data/real): its status says only that the execution failed; the condition in its response
    says why. The job did none of its work: down, on a task timeout (blind set CY03)."""
    real = ROOT / "tests" / "data" / "real" / "cloud_run_job_timeout.json"
    result = CliRunner().invoke(main, ["analyze", "--service", "planqtn-jobs", "--input", str(real),
                                       "--format", "json"])
    report = json.loads(result.output)
    root = report["root_cause"]
    assert (report["status"]["state"], root["category"], root["pattern_id"]) == (
        "down", "request-timeout", "run-job-task-timeout")


def test_a_scheduler_attempt_is_no_request_the_service_served(tmp_path: Path) -> None:
    """Cloud Scheduler records each call it made, with the HTTP status it got back: to a job, the
    Run Admin API's 200 for starting it; to a service, the same request the service's own log has.
    Neither is a request the workload served, so a job whose every execution failed is not "0 of 2
    requests failed" (blind sets CY01-CY03, CY08)."""
    real = json.loads((ROOT / "tests" / "data" / "real" / "cloud_run_job_timeout.json").read_text())
    attempt = {
        "insertId": "s1", "timestamp": "2025-06-10T13:31:20Z", "severity": "INFO",
        "logName": "projects/planqtn2/logs/cloudscheduler.googleapis.com%2Fexecutions",
        "resource": {"type": "cloud_scheduler_job", "labels": {"job_id": "nightly", "location": "us-east1",
                                                                "project_id": "planqtn2"}},
        "httpRequest": {"status": 200},
        "jsonPayload": {"@type": "type.googleapis.com/google.cloud.scheduler.logging.AttemptFinished",
                        "jobName": "projects/planqtn2/locations/us-east1/jobs/nightly",
                        "url": "https://run.googleapis.com/v2/projects/planqtn2/locations/us-east1/jobs/"
                               "planqtn-jobs:run"},
    }
    path = tmp_path / "job.json"
    path.write_text(json.dumps([real, attempt]), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "planqtn-jobs", "--input", str(path),
                                       "--format", "json"])
    status = json.loads(result.output)["status"]
    assert (status["requests"], status["state"]) == (0, "down")


def test_a_failure_on_one_revision_explains_no_failure_only_another_revision_had() -> None:
    """A deploy's new revision cannot start and never takes traffic; twenty minutes later the old
    revision, still serving everything, fails requests. Every occurrence of each names its
    revision and none is shared: the new one's failure is another version's, not their cause
    (blind set DK03). A failure logged without a revision (a database's own log) is left to time."""
    startup = pattern("revision-not-ready", Role.SYMPTOM, causes=("request-5xx",))
    symptom = pattern("request-5xx", Role.SYMPTOM)

    def on(n: chain.Node, revision: str | None) -> chain.Node:
        return replace(n, occurrences=tuple(o._replace(revision=revision) for o in n.occurrences))

    cause = on(node(startup, [0, 60]), "svc-00058-bax")
    effect = on(node(symptom, [1200, 1260]), "svc-00057-hud")
    apart = chain.edge(cause, effect)
    same = chain.edge(on(cause, "svc-00057-hud"), effect)
    unknown = chain.edge(on(cause, None), effect)
    assert apart is not None and apart.rejected and "another version" in apart.rejected
    assert same is not None and not same.rejected
    assert unknown is not None and not unknown.rejected


def test_a_gke_service_is_its_deployment_or_its_container_and_not_its_neighbours(tmp_path: Path) -> None:
    """Every Deployment of microservices-demo names its container `server`: the engineer types
    the Deployment (`emailservice`), which is read from the pods' names, and gets its pods'
    entries, the sidecar's too, not another Deployment's. A container name that only one
    Deployment runs keeps that Deployment's pods and drops a neighbour's crash (blind sets CX03,
    DH05, DH08, DF02)."""
    panic = "panic: runtime error: invalid memory address or nil pointer dereference"
    denied = "google.api_core.exceptions.PermissionDenied: 403 Cloud Trace API has not been used in project"
    def stderr(k: int, pod: str, container: str, text: str) -> str:
        return _gke_line(k, text, pod=pod, container=container, log="stderr", severity="ERROR")

    email = "emailservice-7c6d5bd6f9-x2k4p"
    lines = [stderr(k, email, "server", denied) for k in range(0, 3600, 60)]
    lines += [stderr(k, email, "istio-proxy", "upstream connect error") for k in range(30, 3600, 600)]
    lines += [stderr(k, "frontend-5f9a6c2d8b-q7w2m", "server", panic) for k in range(10, 3600, 60)]
    lines += [stderr(k, "quote-api-6d8f7c9b5d-abcde", "quote", "quote served") for k in range(20, 3600, 60)]
    path = tmp_path / "cluster.ndjson"
    path.write_text("".join(sorted(lines, key=lambda s: json.loads(s)["timestamp"])), encoding="utf-8")

    def read(service: str) -> tuple[int, set[str]]:
        result = CliRunner().invoke(main, ["analyze", "--service", service, "--input", str(path),
                                           "--format", "json"])
        report = json.loads(result.output)
        return report["stats"]["entries"], {f["pattern_id"] for f in report["findings"]}

    email, server, quote = read("emailservice"), read("server"), read("quote")
    assert email[0] == 66 and not any("panic" in p or "nil" in p for p in email[1])
    assert server[0] == 126 and quote[0] == 60


def test_a_daemonsets_pod_events_are_not_the_services(tmp_path: Path) -> None:
    """A DaemonSet's pods are `<daemonset>-<5 chars>`, a name that shows no ReplicaSet: an event of
    the log agent's pod in the same namespace ("Liveness probe failed" on `fluentbit-gke-8k2lq`) is
    another workload's, not the CronJob's whose TLS failure the hour holds (held-out PK05 blamed the
    agent's probe). A StatefulSet's pod named for the service (`invoice-pull-0`) stays its own."""
    expired = ("ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
               "certificate has expired (_ssl.c:1006)")
    job = "invoice-pull"
    lines = [_gke_line(k, f"pulled invoices page={k}", pod=f"{job}-29867040-ab3cd", container=job)
             for k in range(0, 1800, 30)]
    lines += [_gke_line(k, expired, pod=f"{job}-29867070-xk2pq", container=job, log="stderr")
              for k in range(1800, 3600, 30)]
    lines.append(_kubelet_event(1000, "Unhealthy",
                                'Liveness probe failed: Get "http://10.164.0.23:2020/api/v1/health": context '
                                "deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                                pod="fluentbit-gke-8k2lq"))
    path = tmp_path / "cluster.ndjson"
    path.write_text("".join(sorted(lines, key=lambda s: json.loads(s)["timestamp"])), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "invoice-pull", "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    assert report["stats"]["entries"] == 120
    assert report["root_cause"]["category"] == "tls-certificate"


def test_a_front_doors_lines_name_no_revision_of_the_service(tmp_path: Path) -> None:
    """ingress-nginx's access and error lines about `pdf-render`'s requests are kept as the
    service's, but the controller's ReplicaSet is no revision of it: the Node heap exhausted on
    `pdf-render`'s pods explains the controller's "upstream prematurely closed connection" 502s,
    not "another version's failure" (held-out PV09 blamed the upstream)."""
    ctl, pod = "ingress-nginx-controller-6c8f7d9b5-xv2kq", "pdf-render-5b7c9d8f6-q2w3e"
    address = "10.88.1.14:3000"

    def access(k: int, status: int) -> str:
        when = f"04/Mar/2026:10:{k // 60:02d}:{k % 60:02d} +0000"
        return (f'10.88.4.{k % 9} - - [{when}] "POST /render?job=j{k} HTTP/1.1" {status} 420 "-" '
                f'"worker/2.4" 310 0.4 [docs-pdf-render-3000] [] {address} 420 0.4 {status} r{k}')

    lines = [_gke_line(k, access(k, 200), pod=ctl, container="controller") for k in range(0, 3600, 20)]
    lines += [_gke_line(k, f'{{"level":30,"msg":"rendered","job":"j{k}"}}', pod=pod, container="pdf-render")
              for k in range(1, 3600, 20)]
    heap = "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
    for k in range(1805, 3600, 120):
        lines.append(_gke_line(k, heap, pod=pod, container="pdf-render", log="stderr"))
        closed = (f"2026/03/04 10:{(k + 1) // 60:02d}:{(k + 1) % 60:02d} [error] 27#27: *9{k} upstream "
                  "prematurely closed connection while reading response header from upstream, client: "
                  "10.88.4.2, server: "
                  f'pdf.internal, request: "POST /render?job=x{k} HTTP/1.1", upstream: "http://{address}/render?'
                  f'job=x{k}", host: "pdf.internal"')
        lines += [_gke_line(k + 1, closed, pod=ctl, container="controller", log="stderr"),
                  _gke_line(k + 1, access(k + 1, 502), pod=ctl, container="controller")]
    path = tmp_path / "cluster.ndjson"
    path.write_text("".join(sorted(lines, key=lambda s: json.loads(s)["timestamp"])), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "pdf-render", "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    assert report["root_cause"]["category"] == "memory-limit-exceeded", report["root_cause"]


def test_a_rolling_update_s_shutdown_report_and_node_warnings_on_gke_stderr_are_no_incident(
        tmp_path: Path) -> None:
    """GKE logs every stderr line at ERROR. Through a healthy rolling update (blind set ED10) the
    old pods' npm prints its report of the SIGTERM that stopped them (the path, `command failed`,
    the signal, the command, a blank line, where its debug log is) and the new pods Node's
    MaxListenersExceededWarning: nothing failed, so no incident. The same report ending in
    `code 1` (the script itself failed) stays one."""
    def npm_report(k: int, pod: str, how: str) -> list[str]:
        report = ["npm ERR! path /usr/src/app", "npm ERR! command failed", how,
                  "npm ERR! command sh -c node dist/main", "",
                  "npm ERR! A complete log of this run can be found in:",
                  "npm ERR!     /root/.npm/_logs/2025-03-20T18_12_00_114Z-debug-0.log"]
        return [_gke_line(k + n, text, pod=pod, log="stderr", severity="ERROR")
                for n, text in enumerate(report)]

    def window(how: str) -> list[str]:
        old, new = "web-7d9f8-old01", "web-5c4b2-new01"
        served = [_gke_line(k, f"notification sent id={k}", pod=old) for k in range(0, 1800, 30)]
        served += [_gke_line(k, f"notification sent id={k}", pod=new) for k in range(1830, 3600, 30)]
        warning = ("(node:1) MaxListenersExceededWarning: Possible EventEmitter memory leak detected. 11 "
                   "error listeners added to [TLSSocket]. Use emitter.setMaxListeners() to increase limit")
        warned = [_gke_line(1805, warning, pod=new, log="stderr", severity="ERROR"),
                  _gke_line(1806, "(Use `node --trace-warnings ...` to show where the warning was created)",
                            pod=new, log="stderr", severity="ERROR")]
        return served + warned + npm_report(1810, old, how)

    stopped = _analysed(tmp_path, window("npm ERR! signal SIGTERM"), "web")
    failed = _analysed(tmp_path, window("npm ERR! code 1"), "web")
    assert (stopped["status"]["state"], failed["status"]["state"] != "ok") == ("ok", True)


def test_a_cloud_sql_proxy_sidecar_s_connection_lines_on_gke_stderr_are_no_incident(tmp_path: Path) -> None:
    """The v1 Cloud SQL Auth Proxy logs its start and every connection through Go's standard
    logger, to stderr, which GKE files at ERROR (blind set EF07): a healthy service with a proxy
    sidecar is no incident. The proxy failing to reach its instance still is one."""
    def proxy(k: int, text: str) -> str:
        return _gke_line(k, f"2026/03/04 10:{k // 60:02d}:{k % 60:02d} {text}", container="cloudsql-proxy",
                         log="stderr", severity="ERROR")
    started = [proxy(0, "using credential file for authentication; email=orders@p.iam.gserviceaccount.com"),
               proxy(1, "Listening on 127.0.0.1:5432 for p:us-east1:orders-db"),
               proxy(2, "Ready for new connections")]
    served = [_gke_line(k, f"order {k} stored") for k in range(5, 3600, 20)]
    connections = [proxy(k, 'New connection for "p:us-east1:orders-db"') for k in range(6, 3600, 40)]
    connections += [proxy(k, "Client closed local connection on 127.0.0.1:5432") for k in range(26, 3600, 40)]
    refused = [proxy(k, 'couldn\'t connect to "p:us-east1:orders-db": dial tcp 10.20.0.3:3307: '
                        'connect: connection timed out') for k in range(1800, 3600, 40)]
    healthy = _analysed(tmp_path, started + served + connections, "web")
    failing = _analysed(tmp_path, started + served + connections + refused, "web")
    assert (healthy["status"]["state"], failing["status"]["state"] != "ok") == ("ok", True)


def test_failures_proven_by_their_traces_outweigh_a_few_untraced_crashes(tmp_path: Path) -> None:
    """Half an hour of requests answered 504, each with the dependency's DeadlineExceeded logged in
    its own trace, beside two Go handler panics earlier whose requests Cloud Run answered 503
    (blind set EE03): the panics can account for two failed requests at most, so the dependency is
    the root cause."""
    def traced(line: str, k: int) -> str:
        entry = json.loads(line)
        entry["trace"] = f"projects/p/traces/t{k}"
        return json.dumps(entry) + "\n"

    panic = ("http: panic serving 169.254.1.1:41234: runtime error: index out of range [1] with length 1\n"
             "goroutine 19 [running]:\nnet/http.(*conn).serve.func1(0xc000162820)\n"
             "\t/usr/local/go/src/net/http/server.go:1898 +0xbe")
    malformed = ("The request failed because either the HTTP response was malformed or connection to the "
                 "instance had an error.")
    lines = [_request(k, 200, None) for k in range(1, 3600, 7)]
    for k in (300, 2400):
        lines += [_stderr(k, panic, "shop-00003-abc"), _request(k + 1, 503, malformed)]
    deadline = "pricing GetQuote failed: rpc error: code = DeadlineExceeded desc = context deadline exceeded"
    for k in range(1802, 3600, 9):
        lines += [traced(_request(k, 504, None), k), traced(_stderr(k - 0.5, deadline, "shop-00003-abc"), k)]
    report = _analysed(tmp_path, lines, "shop")
    assert report["root_cause"]["pattern_id"] == "go-grpc-deadline-exceeded"


def test_a_failure_since_the_service_was_created_in_the_input_did_not_run_all_along(tmp_path: Path) -> None:
    """A service created as the input begins calls an API over TLS on every request and fails the
    certificate check each time, while its gRPC answers say 200 (blind set EF04). Steady from the
    first minute to the last beside requests that all succeeded reads as how the service runs, but
    here it ran so only since its deploy, which the input holds: an incident. Without the deploy
    the same lines are the steady noise they look like."""
    created = json.dumps({
        "insertId": "audit1", "timestamp": "2026-03-04T10:00:00Z", "severity": "NOTICE",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "cloud_run_revision", "labels": {"service_name": "shop", "revision_name": ""}},
        "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                         "methodName": "google.cloud.run.v1.Services.CreateService",
                         "serviceName": "run.googleapis.com",
                         "resourceName": "namespaces/p/services/shop",
                         "authenticationInfo": {"principalEmail": "deployer@p.iam.gserviceaccount.com"}},
    }) + "\n"
    failing = ('ChatCompletionStream error: Post "https://api.openai.com/v1/chat/completions": '
               "x509: certificate signed by unknown authority")
    lines = []
    for k in range(90, 3600, 30):
        lines += [_request(k, 200, None), _stderr(k - 0.2, failing, "shop-00003-abc")]
    deployed = _analysed(tmp_path, [created, *lines], "shop")
    steady = _analysed(tmp_path, lines, "shop")
    assert ((deployed["status"]["state"], deployed["root_cause"]["category"]),
            steady["status"]["state"]) == (("degraded", "tls-certificate"), "ok")


@pytest.mark.parametrize(("limit", "raised"), [("512 MiB", "1Gi"), ("1024 MiB", "2Gi"), ("953M", "2Gi"),
                                               ("8192 MiB", "16Gi")])
def test_a_memory_remediation_raises_the_limit_the_logs_stated(tmp_path: Path, limit: str,
                                                               raised: str) -> None:
    """The command raises memory above the limit that was exceeded, by at least half as much again
    (patterns/_knowledge.yaml `memory`): a fixed `--memory 1Gi` lowered a 2 GiB service's limit."""
    from tests.incidents.builder import Incident, day

    inc = Incident("render", 3, day(2026, 4, 14, 13))
    revision = inc.revision(4)
    used = int(limit.split()[0].rstrip("M")) + 12
    unit = "M" if limit.endswith("M") else " MiB"
    for t in range(60, 3500, 30):
        inc.request(t, 200 if t < 1800 else 503, "/render", revision, None)
        if t >= 1800:
            inc.text(t, f"Memory limit of {limit} exceeded with {used}{unit} used. Consider increasing "
                        "the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits",
                     revision, inc.instance(), log="system", severity="ERROR")
    report = json.loads(_exported(tmp_path, inc))
    commands = [r.get("command") or "" for r in report["remediation"]]
    assert report["root_cause"]["category"] == "memory-limit-exceeded"
    assert [c.split("--memory ")[1].split()[0] for c in commands if "--memory " in c] == [raised]


def test_a_memory_remediation_without_a_stated_limit_asks_for_one() -> None:
    """No line stated the limit: the size is left for the reader (`<raised_memory>`), not guessed."""
    knowledge = load_knowledge()
    assert (knowledge.raised_memory(300), knowledge.raised_memory(2048), knowledge.raised_memory(30000)) == (
        "512Mi", "4Gi", None)
    oom = replace(pattern("run-memory-limit-exceeded", Role.CAUSE, Category.MEMORY_LIMIT_EXCEEDED),
                  remediation=(RemediationStep("Raise memory",
                                               "gcloud run services update s --memory {raised_memory}"),))
    steps = whys.remediation([node(oom, [10, 20])], {}, Category.MEMORY_LIMIT_EXCEEDED, (), knowledge)
    assert [s.command for s in steps] == ["gcloud run services update s --memory <raised_memory>"]


@pytest.mark.parametrize(("failure", "state"), [
    # a full volume fails every run until someone frees it: the same incident, running on
    ("java.io.IOException: No space left on device", "degraded"),
    # a timeout passes by itself: at the rate it ran before, background the job runs beside
    ("java.net.SocketTimeoutException: Read timed out", "ok"),
])
def test_a_job_failing_every_run_before_the_window_as_in_it_is_an_ongoing_incident(
        tmp_path: Path, failure: str, state: str) -> None:
    """An hourly export logs no request: its one failure in the last hour, like the one an hour
    before, is no noise when the cause fails every attempt until it is changed, and the fifty
    quiet minutes since are no recovery, the next run being due (blind set EA04)."""
    lines = []
    for hour in range(7, 12):
        at = f"2025-10-14T{hour:02d}"
        lines += [f"{at}:{m:02d}:00.000Z INFO  [web] GET /healthz 200" for m in range(0, 60, 5)]
        lines += [f"{at}:05:08.104Z ERROR [scheduling-1] c.a.b.ExportJob : export failed",
                  f"{at}:05:08.105Z {failure}",
                  f"{at}:05:08.106Z \tat com.acme.billing.export.CsvExporter.writeRow(CsvExporter.java:88)"]
    path = tmp_path / "job.log"
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "billing-reports", "--since", "1h",
                                       "--input", str(path), "--format", "json"])
    assert json.loads(result.output)["status"]["state"] == state


def test_one_item_in_ten_failing_for_good_beside_the_work_done_all_along_is_no_incident(
        tmp_path: Path) -> None:
    """A thumbnail worker logs no request. One upload in ten names an object that is gone, which
    it logs at ERROR and acks, before the window as in it, between the thumbnails it writes. The
    pattern says such a failure fails every attempt until changed, but the work went on beside
    it: one item's failure, not an incident carried over from before the window
    (`impact.worked_beside`; blind set VA03)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("thumbs", 13, day(2026, 6, 2, 9))
    rev = inc.revision(8)
    instance = inc.instance()
    for t in range(0, 7200, 20):
        obj = f"uploads/{t:06d}.jpg"
        if t % 200 == 0:
            missing = (f"source object missing, acking without thumbnail: gs://media/{obj} (404 GET "
                       f"https://storage.googleapis.com/download/storage/v1/b/media/o/{obj}?alt=media: "
                       f"No such object: media/{obj})")
            inc.structured(t, {"message": missing}, rev, instance, "ERROR")
        else:
            inc.structured(t, {"message": f"thumbnail written src={obj}"}, rev, instance, "INFO")
    path = tmp_path / "thumbs.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--since", "1h", "--format", "json"])
    assert json.loads(result.output)["status"]["state"] == "ok", result.output[:600]


def test_none_of_seven_expected_answers_is_a_callers_loss_by_poisson_s_odds(tmp_path: Path) -> None:
    """A scheduler calls the service every five minutes; from some minute on Cloud Run refuses it
    (403, the invoker grant gone) to the end. Seven answers were due while the refusals ran and
    none came: as unlikely as three deviations by Poisson's own odds (the normal approximation
    wants nine), so the refusals took the caller's place and the service is down (blind set 0E04)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("billing-digest", 9, day(2024, 12, 9, 6))
    rev = inc.revision(14)
    for t in range(0, 7200, 300):
        refused = t >= 4800
        inc.request(t, 403 if refused else 200, "/internal/run-digest", rev, inc.instance(), method="POST",
                    user_agent="Google-Cloud-Scheduler",
                    text="The request was not authorized to invoke this service. Read more at "
                         "https://cloud.google.com/run/docs/securing/authenticating" if refused else None)
    status = json.loads(_exported(tmp_path, inc, "--since", "1h"))["status"]
    assert (status["state"], status["failed_requests"]) == ("down", 8)


@pytest.mark.parametrize(("paths", "state"), [
    (("/api/checkout/session",), "degraded"),  # real shoppers' calls, served before
    (("/.env", "/wp-login.php", "/.git/config"), "ok"),  # a scanner's probes, beside traffic served
])
def test_cloud_armor_denying_the_routes_the_service_served_fails_requests(
        tmp_path: Path, paths: tuple[str, ...], state: str) -> None:
    """A WAF rule that starts denying the calls the service answered until then fails them at the
    load balancer (403, denied_by_security_policy): requests failed, the policy the cause (blind
    ES01, read 'no incident'). The same denials of a scanner's probes are no outage (ES02)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("shop-web", 11, day(2026, 5, 4, 12))
    for t in range(30, 7200, 12):
        path = ("/api/cart/items", "/api/checkout/session", "/api/catalog")[t // 12 % 3]
        denied = t >= 5000 and path in paths
        inc.request(t, 403 if denied else 200, path, "", None, method="GET" if "catalog" in path else "POST",
                    text="denied_by_security_policy" if denied else None, user_agent="Mozilla/5.0")
    for k in range(60):
        if paths[0] == "/.env":
            inc.request(5000 + k * 20, 403, paths[k % 3], "", None, text="denied_by_security_policy",
                        user_agent="Go-http-client/1.1")
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert (report["status"]["state"], report["root_cause"]["category"]) == (
        state, "permission-denied" if state != "ok" else "unknown")


def test_a_readiness_probe_answered_404_since_the_rollout_is_its_path_not_noise_before_a_step(
        tmp_path: Path) -> None:
    """A new workload's pods start (Spring on 8080, the probed port) and its readiness probe asks
    for a path the app does not serve: "HTTP probe failed with statuscode: 404" from the rollout
    on, every pod out of the load balancer, every request 502 failed_to_pick_backend once the
    first callers come. The probe failures ran at one rate before the requests' step, and came
    with the rollout: the failure itself, not noise that was there before; and a 404 says the
    server listens, so the probe's path is wrong, not its timing (held-out JB03)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("ledger-api", 14, day(2026, 6, 2, 10))
    inc.rollout(0, "europe-docker.pkg.dev/p/r/ledger-api:2.0.0", verb="create")
    replicaset = "84c6d5b9f7"
    pods = [inc.pod(replicaset), inc.pod(replicaset)]
    for pod in pods:
        inc.text(15, "Tomcat started on port 8080 (http) with context path ''", "", pod)
        inc.text(16, "Started LedgerApplication in 11.2 seconds (process running for 12.0)", "", pod)
        for t in range(20, 3600, 20):
            inc.event(t + pods.index(pod), pod, "Unhealthy",
                      "Readiness probe failed: HTTP probe failed with statuscode: 404")
    for t in range(600, 3600, 15):
        inc.request(t, 502, "/v1/transfers", "", None, method="POST", text="failed_to_pick_backend")
    report = json.loads(_exported(tmp_path, inc))
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "missing-configuration")
    assert "gke-readiness-probe-failed" not in [f["pattern_id"] for f in report["findings"]
                                                if f["status"] == "pre-existing"]


@pytest.mark.parametrize(("changed", "category", "pattern_id"), [
    ("v1.compute.firewalls.delete", "network-connectivity", "deploy-network-changed"),
    ("io.k8s.core.v1.services.patch", "port-mismatch", "deploy-k8s-service-changed"),
    (None, "missing-configuration", "lb-failed-to-pick-backend"),
])
def test_a_change_just_before_a_symptom_nothing_else_explains_takes_the_place_of_its_reading(
        tmp_path: Path, changed: str | None, category: str, pattern_id: str) -> None:
    """The load balancer finds no healthy backend a minute after the firewall rule admitting its
    health checks was deleted, while the pods serve their own probes: the deletion is the root
    cause and the trigger, not the symptom's usual reading, a health check on the wrong path
    (blind set ES07). So with the Service in front of the pods patched, its targetPort or selector
    now pointing where no pod listens (blind set 0G02). With no change in the logs, the reading
    stands."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("storefront", 12, day(2025, 8, 14, 10, 10))
    for t in range(20, 6600, 6):
        broken = t >= 4400
        inc.request(t, 502 if broken else 200, "/cart", "", None,
                    text="failed_to_pick_backend" if broken else None, user_agent="Mozilla/5.0")
    if changed and changed.startswith("v1."):
        rule = f"projects/{inc.project}/global/firewalls/k8s-fw-l7--5e0a9c3d7f21b4a6"
        labels = {"firewall_rule_id": "8213", "project_id": inc.project}
        inc.change(4320, changed, rule, "compute.googleapis.com",
                   {"type": "gce_firewall_rule", "labels": labels})
    elif changed:
        cluster = {"type": "k8s_cluster", "labels": {"cluster_name": inc.cluster, "project_id": inc.project}}
        inc.change(4320, changed, "core/v1/namespaces/shop/services/storefront", "k8s.io", cluster)
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert (root["category"], root["pattern_id"]) == (category, pattern_id)


def test_no_backend_for_the_load_balancer_while_the_pods_readiness_probes_time_out_is_read_from_them(
        tmp_path: Path) -> None:
    """The load balancer finds no healthy backend while the kubelet reports every pod's readiness
    probe timing out: the pods hang, and the probes' reading (slow or blocked servers) stands, not
    the symptom's own (a health check on the wrong path: held-out CN04)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("checkout", 12, day(2024, 11, 5, 20, 10))
    for t in range(20, 6600, 6):
        broken = t >= 4400
        inc.request(t, 502 if broken else 200, "/cart", "", None,
                    text="failed_to_pick_backend" if broken else None, user_agent="Mozilla/5.0")
    for t in range(4380, 6600, 60):
        inc.event(t, inc.pod(), "Unhealthy", 'Readiness probe failed: Get "http://10.8.1.12:8080/readyz": '
                  "context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["pattern_id"] == "gke-readiness-probe-timeout"


def test_of_changes_beside_a_symptom_only_read_the_latest_that_sets_it_off_is_the_cause(
        tmp_path: Path) -> None:
    """A ConfigMap patched, then two seconds later the Service in front of the pods, then the load
    balancer finds no backend: the root cause is only the symptom's usual reading (a health check
    on the wrong path, missing-configuration), so a change of that category is no better evidence
    than the Service's; the latest change that sets the symptom off, the Service's, is the cause
    (blind set BW10)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("storefront", 12, day(2025, 8, 14, 10, 10))
    for t in range(20, 6600, 6):
        broken = t >= 4400
        inc.request(t, 502 if broken else 200, "/cart", "", None,
                    text="failed_to_pick_backend" if broken else None, user_agent="Mozilla/5.0")
    cluster = {"type": "k8s_cluster", "labels": {"cluster_name": inc.cluster, "project_id": inc.project}}
    inc.change(4318, "io.k8s.core.v1.configmaps.patch",
               "core/v1/namespaces/shop/configmaps/storefront-config", "k8s.io", cluster)
    inc.change(4320, "io.k8s.core.v1.services.patch", "core/v1/namespaces/shop/services/storefront", "k8s.io",
               cluster)
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("port-mismatch", "deploy-k8s-service-changed")


def test_a_crash_loop_reported_after_its_first_restart_explains_a_backend_gone_since_the_rollout(
        tmp_path: Path) -> None:
    """A Recreate rollout stops the old pods: the load balancer has no backend from then on. The
    new pods' init container is refused by Cloud Storage (403) and crash-loops; the kubelet says
    "Back-off restarting" only after a restart, 40 s after the backends went. The crash loop began
    with the pods' first failed start, so it explains the 502s, and the 403 explains it (blind set
    6D06)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("model-server", 12, day(2025, 2, 18, 9))
    for t in range(20, 6600, 6):
        broken = t >= 4400
        inc.request(t, 502 if broken else 200, "/v1/rank", "", None,
                    text="failed_to_pick_backend" if broken else None, user_agent="Mozilla/5.0")
    denied = ("AccessDeniedException: 403 model-server@acme-ml.iam.gserviceaccount.com does not have "
              "storage.objects.list access to the Google Cloud Storage bucket. "
              "Permission 'storage.objects.list' denied on resource (or it may not exist).")
    for t in range(4435, 6600, 60):
        pod = f"model-server-84c7d5b6f-{'abc'[t % 3]}x2hs"
        inc.text(t, denied, "", pod, log="stderr")
        inc.event(t + 6, pod, "BackOff", f"Back-off restarting failed container fetch-model in pod {pod}")
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == "permission-denied"


@pytest.mark.parametrize(("probes", "category"), [
    (True, "startup-timeout"), (False, "missing-configuration")])
def test_a_symptom_s_reading_gives_way_to_the_cause_the_library_names_for_it(
        tmp_path: Path, probes: bool, category: str) -> None:
    """A rollout stops the old pods, and the load balancer finds no healthy backend from then to
    the end; the new pods' startup probes fail from their first seconds to the end. The library
    names the failing startup probe as a cause of "no healthy backend": that is the answer, not
    what no healthy backend usually means, a health check on the wrong path (blind set 8B10).
    Without the probes, the reading stands."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("ml-ranker", 12, day(2025, 8, 14, 16))
    for t in range(20, 6600, 6):
        broken = t >= 4400
        inc.request(t, 502 if broken else 200, "/v1/rank", "", None,
                    text="failed_to_pick_backend" if broken else None, user_agent="Mozilla/5.0")
    if probes:
        for t in range(4430, 6600, 10):
            pod, ip = f"ml-ranker-7b9c4d6f85-{'abc'[t % 3]}x2hs", f"10.52.7.{t % 3 + 80}"
            inc.event(t, pod, "Unhealthy", f'Startup probe failed: Get "http://{ip}:8080/healthz": '
                      f"dial tcp {ip}:8080: connect: connection refused")
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == category


@pytest.mark.parametrize(("method", "category", "pattern_id"), [
    ("v1.compute.forwardingRules.delete", "network-connectivity", "deploy-network-changed"),
    ("v1.compute.forwardingRules.list", "upstream-service-failure", "node-axios-timeout"),  # read, no change
    (None, "upstream-service-failure", "node-axios-timeout"),
])
def test_a_network_change_just_before_upstream_timeouts_makes_them_the_network_s(
        tmp_path: Path, method: str | None, category: str, pattern_id: str) -> None:
    """Every call to an upstream times out a minute after the forwarding rule its endpoint
    answers on was deleted: the axios timeout's rule reads timeouts beside network failures as
    the network path's, and the change is that evidence, so the change is the root cause and the
    upstream reading the losing hypothesis (blind set 6E07). A read of the same resource changes
    nothing, and without a change the timeouts stay the upstream's."""
    from tests.incidents.builder import Incident, day

    inc = Incident("checkout-api", 14, day(2025, 9, 23, 13))
    revision = inc.revision(310)
    for t in range(30, 7000, 15):
        failed = 4400 <= t < 5400
        instance = inc.instance()
        inc.request(t, 503 if failed else 200, "/checkout", revision, instance, method="POST")
        if failed:
            inc.text(t, "AxiosError: timeout of 3000ms exceeded", revision, instance, log="stderr",
                     severity="ERROR")
    if method is not None:
        rule = f"projects/{inc.project}/regions/us-central1/forwardingRules/psc-risk-engine"
        labels = {"forwarding_rule_id": "77", "project_id": inc.project, "region": "us-central1"}
        inc.change(4380, method, rule, "compute.googleapis.com",
                   {"type": "gce_forwarding_rule", "labels": labels})
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    root = report["root_cause"]
    assert (root["category"], root["pattern_id"]) == (category, pattern_id)
    if method == "v1.compute.forwardingRules.delete":
        assert report["status"]["change"]["method"] == method
        lost = {(h["category"], h["pattern_id"]) for h in report["hypotheses"]}
        assert ("upstream-service-failure", "node-axios-timeout") in lost
        assert ("network-connectivity", "node-axios-timeout") not in lost


@pytest.mark.parametrize(("method", "category", "pattern_id"), [
    ("google.spanner.admin.instance.v1.InstanceAdmin.UpdateInstance", "database-unavailable",
     "deploy-spanner-alloydb-instance-changed"),
    ("google.spanner.admin.instance.v1.InstanceAdmin.GetInstance", "request-timeout",
     "go-context-deadline-exceeded"),  # a read changes nothing
    (None, "request-timeout", "go-context-deadline-exceeded"),
])
def test_a_change_the_cause_names_as_what_sets_it_off_says_what_was_slow(
        tmp_path: Path, method: str | None, category: str, pattern_id: str) -> None:
    """Go's "context deadline exceeded" does not say what was slow; its pattern lists what can
    be (the database among them). A Spanner instance resized a minute before every query began to
    run out of its deadline says which: the database, the timeout reading the losing hypothesis
    (blind set 8G07). A read of the instance changes nothing, and without a change the timeout
    stays a timeout."""
    from tests.incidents.builder import Incident, day

    inc = Incident("inventory-svc", 14, day(2026, 2, 3, 9))
    revision = inc.revision(87)
    for t in range(30, 7000, 15):
        failed = 4400 <= t < 5400
        instance = inc.instance()
        inc.request(t, 503 if failed else 200, "/v1/stock", revision, instance)
        if failed:
            line = 'request failed: spanner: code = "DeadlineExceeded", desc = "context deadline exceeded"'
            inc.text(t, line, revision, instance, log="stdout", severity="ERROR")
    if method is not None:
        labels = {"instance_id": "inv-main", "project_id": inc.project}
        inc.change(4340, method, f"projects/{inc.project}/instances/inv-main", "spanner.googleapis.com",
                   {"type": "spanner_instance", "labels": labels})
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    root = report["root_cause"]
    assert (root["category"], root["pattern_id"]) == (category, pattern_id)
    if pattern_id.startswith("deploy-"):
        assert report["status"]["change"]["method"] == method
        lost = {(h["category"], h["pattern_id"]) for h in report["hypotheses"]}
        assert ("request-timeout", "go-context-deadline-exceeded") in lost


@pytest.mark.parametrize(("listened", "category"), [(True, "unknown"), (False, "unknown")])
def test_an_exit_with_nothing_logged_before_it_names_no_cause(
        tmp_path: Path, listened: bool, category: str) -> None:
    """Instances exit(1) and requests get Cloud Run's 503 with no app line before: nothing in the
    logs says why the process stopped, whether or not its server had said it listened, so the cause
    is unknown, the instances' exits named as what to look into (blind sets VG05, 7C02; BD09 and
    BM10, where reading an error of the app's own into a bare exit code was the miss)."""
    from tests.incidents.builder import MALFORMED, Incident, day

    inc = Incident("invoice-renderer", 15, day(2026, 3, 2, 9))
    revision = inc.revision(12)
    instance = inc.instance()
    for t in range(20, 7100, 10):
        if t >= 5000 and t % 120 == 0:
            instance = inc.instance()
            if listened:
                listening = "[2026-03-02 09:00:00 +0000] [1] [INFO] Listening at: http://0.0.0.0:8080 (1)"
                inc.text(t + 2, listening, revision, instance, log="stderr", severity="DEFAULT")
            inc.system(t + 40, "Container called exit(1).", revision, instance, severity="WARNING")
        failed = t >= 5000 and (t // 10) % 4 != 0
        inc.request(t, 503 if failed else 200, "/render", revision, instance, method="POST",
                    text=MALFORMED if failed else None)
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert (report["root_cause"]["category"], report["status"]["state"]) == (category, "down")


_QUOTA_SPENT = ("google.api_core.exceptions.ResourceExhausted: 429 Quota exceeded for quota metric "
                "'Characters' and limit 'Characters per minute' of service 'translate.googleapis.com' for "
                "consumer 'project_number:42'.")


@pytest.mark.parametrize(("message", "steady", "outcome"), [
    # the upstream's quota ran out: the gateway's 429s failed its callers
    (_QUOTA_SPENT, False, ("recovered", "quota-or-rate-limit")),
    # the service telling why it refused a client: the client's business
    ("ValueError: field 'text' exceeds 30000 characters", False, ("ok", "unknown")),
    # a quota refusal now and then, at the baseline's rate: the service's everyday refusals
    (_QUOTA_SPENT, True, ("ok", "unknown")),
])
def test_client_errors_a_dependency_failure_made_are_failed_requests(
        tmp_path: Path, message: str, steady: bool, outcome: tuple[str, str]) -> None:
    """A gateway answers 429 to a share of its callers while logging, in each of those requests'
    traces, that its upstream's quota ran out, and recovers when the burst ends: those callers were
    failed, not refused for what they sent (blind set 7H09). The same share refused with the
    service's own account of a bad request is a client's business, as before, and so is a
    dependency's refusal that ran all along at the same rate (blind set OC10)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("translate-gw", 17, day(2024, 12, 2, 16))
    revision = inc.revision(9)
    for t in range(20, 7150, 6):
        instance = inc.instance()
        refused = t % 300 == 20 if steady else 5400 <= t < 6400 and t % 12 == 8
        trace = inc.trace()
        inc.request(t, 429 if refused else 200, "/v1/translate", revision, instance, method="POST",
                    trace=trace)
        if refused:
            inc.structured(t + 0.1, {"message": message}, revision, instance, "ERROR", trace=trace)
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert (report["status"]["state"], report["root_cause"]["category"]) == outcome


def test_requests_that_hang_until_they_fail_are_not_over_when_the_log_ends_without_their_latency(
        tmp_path: Path) -> None:
    """Every call that touches the database hangs 130 s and fails; the platform stamps a request with
    its start but writes it when it ends, so the last two minutes of the export hold only the quick
    answers. Where the request log has no latency (a sink's rows exported without it), the handler's
    error in the same trace says how long the failed ones took: their silence at the end is no
    recovery (blind set 7D06)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("patient-portal-api", 18, day(2025, 1, 14, 9))
    revision = inc.revision(58)
    end = 7190
    for t in range(10, end, 4):
        instance = inc.instance()
        slow = t >= 4000 and t % 20 != 10  # four calls in five touch the database
        if t % 12 == 10:
            inc.request(t + 1, 200, "/v1/config", revision, instance)  # and quick ones beside them
        if slow and t + 130 > end:
            continue  # still hanging when the export was taken: not written yet
        trace = inc.trace()
        inc.request(t, 500 if slow else 200, "/v1/appointments" if slow else "/v1/config", revision, instance,
                    trace=trace)
        if slow:
            inc.structured(t + 130, {"message": "Error: connect ETIMEDOUT 10.91.0.3:5432"}, revision,
                           instance, "ERROR", trace=trace)
    for entry in inc.entries:
        entry.get("httpRequest", {}).pop("latency", None)
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    # (three requests in five fail: degraded, still going; read recovered without the trace's timing)
    assert (report["status"]["state"], report["root_cause"]["category"]) == (
        "degraded", "network-connectivity")


@pytest.mark.parametrize(("surge", "outcome"), [
    (True, ("quota-or-rate-limit", "run-request-no-available-instance")),
    (False, ("db-connection-pool-exhausted", "go-redis-pool-timeout")),
])
def test_a_surge_of_requests_explains_the_overload_a_load_symptom_beside_it_does_not(
        tmp_path: Path, surge: bool, outcome: tuple[str, str]) -> None:
    """A product drop sends fifteen times the usual requests; Cloud Run runs out of instances and the
    cache pool times out meanwhile. The overload's only link to the pool is the library's general
    knowledge, and the requests multiplied first: the surge is why, the pool a load symptom of it
    (blind set 7D10). At the usual rate, the pool that timed out before the overload stays its
    cause."""
    from tests.incidents.builder import NO_INSTANCE, Incident, day

    inc = Incident("drops-api", 19, day(2025, 7, 8, 17))
    revision = inc.revision(131)
    t = 5.0
    while t < 7180:
        busy = surge and 5400 <= t < 6300
        instance = inc.instance()
        turned_away = 5400 <= t < 6300 and inc.rng.random() < 0.4
        inc.request(t, 429 if turned_away else 200, "/v1/drops/claim", revision,
                    None if turned_away else instance, method="POST",
                    text=NO_INSTANCE if turned_away else None)
        if 5380 <= t < 6300 and inc.rng.random() < 0.1:
            inc.text(t, "redis: connection pool timeout", revision, instance, log="stderr",
                     severity="WARNING")
        t += 0.08 if busy else 1.2
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert (root["category"], root["pattern_id"]) == outcome


def test_a_pool_timeout_inside_the_framework_s_exception_outweighs_a_rare_error_beside_it(
        tmp_path: Path) -> None:
    """Flask logs "Exception on /api/submissions [POST]" with the traceback of a QueuePool timeout,
    hundreds of times; twice the traceback ends in a lost MySQL connection instead. The pool raised
    the framework's exception: it is the cause, not the rare error that happens to be named as one
    of its causes too (blind set 1B04)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("lms-api", 20, day(2024, 6, 12, 13))
    revision = inc.revision(7)
    frames = ('  File "/layers/google.python.pip/pip/lib/python3.11/site-packages/flask/app.py", line 1473, '
              "in wsgi_app\n    response = self.full_dispatch_request()\n")
    pool = ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed "
            "out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)")
    lost = ("pymysql.err.OperationalError: (2013, 'Lost connection to MySQL server during query')")
    for t in range(20, 7100, 10):
        instance = inc.instance()
        failed = t >= 4000 and t % 20 == 0
        inc.request(t, 500 if failed else 200, "/api/submissions", revision, instance, method="POST")
        if failed:
            head = "[2024-06-12 13:00:00,000] ERROR in app: Exception on /api/submissions [POST]\n"
            inc.block(t + 0.5, head + "Traceback (most recent call last):\n" + frames
                      + (lost if t in (4400, 5600) else pool), revision, instance)
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert (root["category"], root["pattern_id"]) == (
        "db-connection-pool-exhausted", "sqlalchemy-queuepool-exhausted")


def test_tokens_refused_because_the_signing_keys_cannot_be_fetched_are_the_network_s(tmp_path: Path) -> None:
    """Every Pub/Sub push is answered 401 because go-oidc cannot fetch Google's signing keys through
    the new egress path (dial tcp ... i/o timeout): the refusals are the network's, not the callers'
    credentials nor a deploy read from the revision alone (blind set 8F04)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("events-ingest", 21, day(2026, 11, 24, 3))
    revision = inc.revision(19)
    error = ('failed to verify signature: fetching keys oidc: get keys failed Get '
             '"https://www.googleapis.com/oauth2/v3/certs": dial tcp 142.250.65.74:443: i/o timeout')
    for t in range(20, 7150, 8):
        instance = inc.instance()
        refused = t >= 4000
        trace = inc.trace()
        inc.request(t, 401 if refused else 204, "/push", revision, instance, method="POST", trace=trace,
                    user_agent="APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)")
        if refused:
            inc.structured(t + 0.2, {"message": "rejecting push: invalid token", "error": error}, revision,
                           instance, "ERROR", trace=trace)
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == "network-connectivity"


_PSYCOPG_TIMEOUT = "psycopg_pool.PoolTimeout: couldn't get a connection after 30.00 sec"
_KNEX_TIMEOUT = ("KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. Are you "
                 "missing a .transacting(trx) call?")
_PASSWORD_REFUSED = ("error connecting in 'pool-1': connection failed: connection to server at "
                     "\"10.20.0.3\", port 5432 failed: FATAL:  password authentication failed for user "
                     "\"invoice_app\"")


@pytest.mark.parametrize(("timeout", "connect", "severity", "category"), [
    (_PSYCOPG_TIMEOUT, _PASSWORD_REFUSED, "WARNING", "missing-configuration"),
    (_PSYCOPG_TIMEOUT, None, "WARNING", "db-connection-pool-exhausted"),
    (_KNEX_TIMEOUT, "Error: connect ETIMEDOUT 10.40.0.5:5432", "ERROR", "network-connectivity"),
    (_KNEX_TIMEOUT, None, "ERROR", "db-connection-pool-exhausted"),
], ids=["psycopg-wrong-password", "psycopg-alone", "knex-unreachable", "knex-alone"])
def test_a_pool_that_cannot_connect_times_out_for_the_reason_its_connects_fail(
        tmp_path: Path, timeout: str, connect: str | None, severity: str, category: str) -> None:
    """A pool times out handing out connections it could not create: psycopg_pool's background
    connects failing on a wrong password (blind set 7H07), knex's "the pool is probably full" beside
    connects to the database's private IP timing out (8E07). The timeout is that failure's, not a
    pool too small. Without a failing connect, the timeout is the pool's."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ledger-svc", 16, day(2024, 10, 15, 5))
    revision = inc.revision(42)
    for t in range(20, 7100, 10):
        failed = t >= 4000 and t % 20 == 0
        instance = inc.instance()
        inc.request(t, 500 if failed else 200, "/v1/ledger", revision, instance)
        if failed:
            inc.text(t + 30, timeout, revision, instance, log="stderr", severity="ERROR")
        if connect is not None and failed and t % 40 == 0:
            inc.text(t + 10, connect, revision, instance, log="stderr", severity=severity)
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == category


@pytest.mark.parametrize(("status", "state"), [(202, "recovered"), (200, "ok")])
def test_requests_accepted_for_later_work_say_nothing_of_a_failure_ridden_through(
        tmp_path: Path, status: int, state: str) -> None:
    """A worker answers each webhook 202 Accepted and syncs later; for half an hour every sync fails
    on a spent API quota at ERROR, then the quota resets. Requests that were only accepted do not
    show the work was done, so the failure is no blip the service rode through (blind set 8H08).
    Answered 200 with the work done in them, the same failure beside every request served is."""
    from tests.incidents.builder import Incident, day

    inc = Incident("pr-sync", 23, day(2024, 5, 14, 9))
    revision = inc.revision(4)
    spent = ("GET https://api.github.com/repos/acme/web/pulls: 403 API rate limit exceeded for installation "
             "ID 31337. [rate reset in 37m48s]")
    for t in range(20, 7150, 30):
        instance = inc.instance()
        inc.request(t, status, "/webhook", revision, instance, method="POST",
                    user_agent="GitHub-Hookshot/1a2b3c4")
        if 4400 <= t < 6400:
            inc.structured(t + 5, {"message": "sync failed", "error": spent}, revision, instance, "ERROR")
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert report["status"]["state"] == state


def test_a_cloud_tasks_attempt_that_failed_is_explained_by_what_its_target_logged(tmp_path: Path) -> None:
    """Cloud Tasks records each failed delivery (INTERNAL: the target answered 500); the handler
    logged why it answered so, a Redis timeout. The queue's record is the caller's view of the
    same failure, not a competing cause: the root cause is the handler's (blind set ER10)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("cart-sync", 7, day(2026, 2, 9, 8))
    revision = inc.revision(53)
    redis = "redis.exceptions.ConnectionError: Error 110 connecting to 10.18.0.3:6379. Connection timed out."
    for t in range(40, 3600, 40):
        failed = t >= 1800
        instance = inc.instance()
        inc.request(t, 500 if failed else 200, "/tasks/sync", revision, instance, method="POST",
                    user_agent="Google-Cloud-Tasks")
        if failed:
            inc.text(t + 1, redis, revision, instance, log="stderr", severity="ERROR")
            inc.entries.append({
                "insertId": f"task{t}", "severity": "ERROR", "timestamp": inc.at(t + 2).strftime(
                    "%Y-%m-%dT%H:%M:%S.%fZ"),
                "logName": f"projects/{inc.project}/logs/cloudtasks.googleapis.com%2Ftask_operations_log",
                "resource": {"type": "cloud_tasks_queue", "labels": {
                    "project_id": inc.project, "queue_id": "cart-sync-q", "target_type": "HTTP"}},
                "jsonPayload": {"attemptResponseLog": {"status": "INTERNAL", "targetType": "HTTP"},
                                "task": f"projects/{inc.project}/locations/us-central1/queues/q/tasks/{t}"}})
    root = json.loads(_exported(tmp_path, inc))["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("network-connectivity", "redis-connection-failed")


def test_the_trigger_line_places_the_window_s_deploys_around_the_onset(tmp_path: Path) -> None:
    """No deploy started the failures, but one came after they began: the trigger line says so,
    which settles the red herring (blind set ET07); a window where nothing failed has no trigger."""
    from tests.incidents.builder import Incident, day

    inc = Incident("frontend", 9, day(2026, 6, 9, 9))
    old, new = inc.revision(66), inc.revision(67)
    for t in range(30, 3600, 20):
        revision = old if t < 2400 else new
        inc.request(t, 503 if t >= 1200 and t % 60 == 30 else 200, "/", revision, inc.instance())
    inc.deploy(2390, new, old, "img@sha256:67")
    text = _exported(tmp_path, inc, fmt="text")
    quiet = Incident("frontend", 9, day(2026, 6, 9, 9))
    for t in range(30, 3600, 20):
        quiet.request(t, 200, "/", old, quiet.instance())
    ok = _exported(tmp_path, quiet, fmt="text")
    assert (f"deployed after they began: {new} at " in text,
            "trigger: none (nothing failed)" in ok) == (True, True)


@pytest.mark.parametrize(("failing_from", "share", "state"), [(3240, 1.0, "down"), (3240, 0.4, "degraded"),
                                                              (1200, 1.0, "down"), (3560, 1.0, "degraded")])
def test_failures_that_began_inside_the_last_minutes_are_judged_from_their_start(
        tmp_path: Path, failing_from: int, share: float, state: str) -> None:
    """A host that stopped resolving six minutes before the logs end fails every API call since,
    an uptime check's route still answered: down, though the last ten minutes, four of them fine, read
    under three in five (blind set ES05). Two calls in five failing since is degraded still, as is
    a start too near the end to hold a rate (`verdict.MIN_SINCE_ONSET` requests)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("orders", 3, day(2026, 4, 14, 13))
    revision = inc.revision(7)
    unresolved = ('psycopg2.OperationalError: could not translate host name "orders-db.prod.internal" '
                  "to address: Name or service not known")
    for n, t in enumerate(range(20, 3600, 10)):
        if n % 3 == 0:
            inc.request(t, 200, "/healthz", revision, None,
                        user_agent="GoogleStackdriverMonitoring-UptimeChecks(https://cloud.google.com/monitoring)")
        fails = t >= failing_from and (n % 5) < 5 * share
        inc.request(t + 3, 500 if fails else 200, "/api/orders", revision, None)
        if fails:
            inc.text(t + 2.9, unresolved, revision, inc.instance(), log="stderr", severity="ERROR")
    report = json.loads(_exported(tmp_path, inc))
    assert (report["status"]["state"], report["root_cause"]["category"]) == (state, "network-connectivity")


@pytest.mark.parametrize(("work_until", "state"), [(1800, "degraded"), (1100, "down")])
def test_a_paste_of_untimed_probe_failures_beside_work_logged_to_its_end_is_not_down(
        tmp_path: Path, work_until: int, state: str) -> None:
    """`kubectl get events` (ages, no times) shows each new pod's readiness refused once; the
    `kubectl logs` beside it show batches sent every ten seconds. Sent to the paste's end, the
    pods came up and worked: not 'never started', so not down (blind set EY07); the work
    stopping twelve minutes before the end leaves the start-up failures the whole story."""
    from datetime import datetime

    events = ["LAST SEEN   TYPE      REASON      OBJECT                          MESSAGE"]
    for n, pod in enumerate(("gbr5w", "m4ssg", "bzjkf")):
        events.append(f"{26 - n}m51s      Warning   Unhealthy   pod/notify-7b9d4f8c65-{pod}    "
                      f'Readiness probe failed: Get "http://10.44.0.{20 + n}:8080/ready": '
                      f"dial tcp 10.44.0.{20 + n}:8080: connect: connection refused")
    start = datetime(2024, 7, 2, 10, 0, 0)
    logs = [f"{(start + timedelta(seconds=k)).isoformat()}.000Z INFO  sent batch provider=fcm size=50 ok=all"
            for k in range(0, work_until, 10)]
    logs.append(f"{(start + timedelta(seconds=1800)).isoformat()}.000Z INFO  notify 3.14.0 starting")
    report = _paste_report(tmp_path, "\n".join([*events, "", *logs]) + "\n")
    assert report["status"]["state"] == state


def test_a_cause_that_came_with_every_failure_before_they_grew_is_not_noise_beside_them(
        tmp_path: Path) -> None:
    """An instance killed for memory every quarter of an hour, each time with the 503s of the
    requests it held: the 503s grew later, and the kills ran at the same rate before and after,
    yet every failure before the growth came with one of them. The same incident recurring, not
    noise beside it: the memory limit is the root cause (blind set EZ07)."""
    from tests.incidents.builder import Incident, day, oom_line

    inc = Incident("release-bot", 11, day(2026, 4, 14, 14))
    revision, instance = inc.revision(12), inc.instance()
    for t in range(2, 4500, 15):
        inc.request(t, 200, "/webhook", revision, instance, method="POST")
    broken = ("The request failed because either the HTTP response was malformed or connection to the "
              "instance had an error.")
    for at, failed in ((606, 2), (1206, 2), (1806, 2), (2406, 2), (3606, 6), (4206, 6)):
        for k in range(failed):  # (requests in flight for seconds when the instance was killed)
            inc.request(at + 2 * k, 503, "/webhook", revision, instance, method="POST", text=broken,
                        latency=1.5 + (3.7 * k + at) % 9)
        at += 12
        inc.system(at, oom_line(512, 526, "M"), revision, instance)
        inc.system(at, "Container terminated on signal 9.", revision, instance)
    report = json.loads(_exported(tmp_path, inc))
    assert report["root_cause"]["category"] == "memory-limit-exceeded"
    assert report["root_cause"]["pattern_id"] == "run-memory-limit-exceeded"


def test_a_proxy_sidecar_that_cannot_reach_the_admin_api_explains_the_app_s_dropped_connections(
        tmp_path: Path) -> None:
    """A Cloud SQL Auth Proxy sidecar accepts the app's local connection, cannot fetch the
    instance's certificate because the Cloud SQL Admin API is off, and closes it: the app's MySQL
    driver reads 'Communications link failure', and the API is the root cause (blind set EZ02)."""
    off = ('couldn\'t connect to "shop-prod:us-central1:orders": ensure that the account has access to '
           '"shop-prod:us-central1:orders" (and make sure there\'s no typo in that name). Error during '
           "createEphemeral for shop-prod:us-central1:orders: googleapi: Error 403: Access Not Configured. "
           "Cloud SQL Admin API has not been used in project 318027 before or it is disabled. Enable it by "
           "visiting https://console.developers.google.com/apis/api/sqladmin.googleapis.com/overview?"
           "project=318027 then retry., accessNotConfigured")
    link = ("com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure\n\n"
            "The last packet sent successfully to the server was 0 milliseconds ago. The driver has not "
            "received any packets from the server.")
    spring = "2024-11-14 08:02:07.460 {level} 1 --- [           main] {logger} : {text}"
    start = [spring.format(level="ERROR", logger="com.zaxxer.hikari.pool.HikariPool",
                           text="HikariPool-1 - Exception during pool initialization."),
             *link.split("\n"),
             "\tat com.mysql.cj.jdbc.ConnectionImpl.createNewIO(ConnectionImpl.java:825)",
             "\tat com.zaxxer.hikari.pool.HikariPool.checkFailFast(HikariPool.java:550)",
             spring.format(level="ERROR", logger="o.s.boot.SpringApplication", text="Application run failed")]
    lines = []
    for n, k in enumerate(range(120, 3600, 300)):
        pod = f"web-7d9f8-{'abcde'[n % 5]}{n:04d}"
        lines.append(_gke_line(k, off, pod=pod, container="cloud-sql-proxy", log="stderr"))
        lines += [_gke_line(k + 1, line, pod=pod).replace('"insertId": "t', f'"insertId": "{i}t')
                  for i, line in enumerate(start)]
    root = _analysed(tmp_path, lines, "web")["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("missing-configuration", "gcp-api-not-enabled")


def test_a_pool_whose_connections_fail_their_tls_handshake_is_explained_by_the_tls_failure(
        tmp_path: Path) -> None:
    """A Phoenix app whose Postgrex connections all fail Erlang's TLS check (Unknown CA) has no
    connection to hand out, so its requests are dropped from the pool's queue: the many drops are
    the symptom, the few TLS alerts the cause (blind set GD02)."""
    alert = ("{t} [error] Postgrex.Protocol (#PID<0.44{n}.0>) failed to connect: ** "
             "(DBConnection.ConnectionError) ssl connect: TLS client: In state certify at "
             "ssl_handshake.erl:2138 generated CLIENT ALERT: Fatal - Unknown CA")
    dropped = ("{t} [error] #PID<0.51{n}.0> running LedgerWeb.Endpoint (connection #PID<0.50{n}.0>, "
               "stream id 1) terminated\nServer: ledger.example.com:80 (http)\nRequest: GET /api/balances\n"
               "** (exit) an exception was raised:\n    ** (DBConnection.ConnectionError) "
               "connection not available and request was dropped from queue after 2000ms. This means "
               "requests are coming in and your connection pool cannot serve them fast enough.")
    lines = [f"09:00:{s:02d}.100 [info] GET /api/balances" for s in range(0, 20, 4)]
    for n in range(10):
        if n % 3 == 0:
            lines.append(alert.format(t=f"09:01:{n * 5:02d}.000", n=n))
        lines += dropped.format(t=f"09:01:{n * 5 + 1:02d}.000", n=n).split("\n")
    root = _paste_report(tmp_path, "\n".join(lines) + "\n", "ledger")["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("tls-certificate", "erlang-tls-alert")


def test_a_probe_whose_rule_names_the_port_mismatch_is_not_explained_by_what_its_kind_usually_is(
        tmp_path: Path) -> None:
    """A rollout's new pods listen on 3000 while their readiness probe checks 8080; a Multi-Attach
    error once at the rollout's start cleared by itself. The probe's own rule reads the port
    mismatch from the server's line; that a start-up failure usually comes from a disk problem
    (the symptom kind's general knowledge) does not take the chain past it (blind set GF03)."""
    attach = ('Multi-Attach error for volume "pvc-6a0e2d4f" Volume is already exclusively attached to '
              "one node and can't be attached to another")
    lines = [_gke_line(5, attach, container="kube-controller-manager", log="events"),
             _gke_line(12, "  - Network:      http://0.0.0.0:3000")]
    lines += [_gke_line(k, 'Readiness probe failed: Get "http://10.20.1.52:8080/api/health": dial tcp '
                        "10.20.1.52:8080: connect: connection refused", log="events")
              for k in range(20, 900, 10)]
    root = _analysed(tmp_path, lines, "web")["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("port-mismatch", "gke-readiness-probe-failed")


def test_pods_that_cannot_start_explain_the_load_balancer_failing_to_connect_to_them(tmp_path: Path) -> None:
    """Pods re-created during a node upgrade cannot start (their Secret lacks a key); the load
    balancer fails to connect to the old endpoints a few times, then has no backend to pick. Its
    connect failures are the load balancer's view of pods that are gone, not a network fault: the
    missing key is the cause (blind set GF01)."""
    lines = [_k8s(t, "k8s_pod", "Failed", "Error: couldn't find key DB_PASSWORD in Secret shop/shop-db")
             for t in range(0, 900, 15)]
    lines += [_lb_502(t).replace("failed_to_pick_backend", "failed_to_connect_to_backend") for t in (6, 8)]
    lines += [_lb_502(t) for t in range(10, 900, 5)]
    root = _analysed(tmp_path, lines, None)["root_cause"]
    assert (root["category"], root["pattern_id"]) == (
        "missing-configuration", "gke-create-container-config-error")


def test_a_warning_logged_at_error_to_the_end_does_not_hide_that_the_failures_stopped(
        tmp_path: Path) -> None:
    """A BullMQ worker (no request log) whose jobs time out connecting to a gateway for half an
    hour, then complete again; BullMQ's eviction-policy warning, on stderr and so at ERROR, comes
    with every reconnect to the end. The failures stopped: recovered (blind set GE08)."""
    warn = 'IMPORTANT! Eviction policy is allkeys-lru. It should be "noeviction"'
    lines = [_gke_line(k, warn, log="stderr", severity="ERROR") for k in range(30, 3600, 240)]
    lines += [_gke_line(k, {"level": 50, "msg": "job failed",
                            "err": {"message": "connect ETIMEDOUT 10.40.0.12:443"}}, severity="ERROR")
              for k in range(1200, 2400, 20)]
    lines += [_gke_line(k + 1, {"level": 30, "msg": "job completed"}) for k in range(0, 3600, 30)
              if not 1200 <= k < 2400]
    assert _analysed(tmp_path, lines, "web")["status"]["state"] == "recovered"


def test_a_pod_evicted_for_local_disk_comes_back_so_the_service_is_degraded_not_down(tmp_path: Path) -> None:
    """A `kubectl get events` paste, no request log: the kubelet evicted the worker for ephemeral
    storage, and its replacement started with an empty writable layer. The eviction comes and goes
    as the disk fills again; it is no failure of every attempt until something changes (a full
    volume is): degraded (blind sets GD08, GF06)."""
    report = _paste_report(
        tmp_path,
        "LAST SEEN   TYPE      REASON    OBJECT                          MESSAGE\n"
        "12m         Warning   Evicted   pod/statements-7f9c-2xk4p       The node was low on resource: "
        "ephemeral-storage. Threshold quantity: 10120387530, available: 9563420Ki. Container celery was "
        "using 14213124Ki, request is 0, has larger consumption of ephemeral-storage.\n"
        "12m         Normal    Killing   pod/statements-7f9c-2xk4p       Stopping container celery\n"
        "11m         Normal    Scheduled pod/statements-7f9c-9qv2m       Successfully assigned "
        "jobs/statements-7f9c-9qv2m to gke-prod-pool-2\n"
        "11m         Normal    Started   pod/statements-7f9c-9qv2m       Started container celery\n",
        "statements")
    assert (report["root_cause"]["category"], report["status"]["state"]) == ("disk-or-filesystem", "degraded")


def test_a_replacement_that_cannot_be_placed_after_an_eviction_is_the_eviction_s(tmp_path: Path) -> None:
    """The kubelet evicted renderer pods for ephemeral storage; their replacements then failed to
    schedule (the pressured nodes tainted, the rest full). The scheduler's "Insufficient cpu" is
    what the eviction left, not a cluster too small: the cause is the disk (blind set 8B03)."""
    evicted = ("The node was low on resource: ephemeral-storage. Threshold quantity: 10120387530, available: "
               "9563420Ki. Container renderer was using 41258308Ki, request is 0, has larger consumption of "
               "ephemeral-storage.")
    pending = ("0/6 nodes are available: 2 node(s) had untolerated taint "
               "{node.kubernetes.io/disk-pressure: }, 4 Insufficient cpu. preemption: "
               "0/6 nodes are available: 6 No preemption victims found for incoming pod.")
    rows = ["LAST SEEN   TYPE      REASON             OBJECT                          MESSAGE"]
    for k, pod in enumerate(("2xk4p", "7hd9s", "q81zt")):
        rows.append(f"{14 - k}m         Warning   Evicted            pod/renderer-7f9c-{pod}       {evicted}")
        rows.append(f"{14 - k}m         Warning   FailedScheduling   pod/renderer-7f9c-n{pod}      {pending}")
    report = _paste_report(tmp_path, "\n".join(rows) + "\n", "renderer")
    assert report["root_cause"]["category"] == "disk-or-filesystem"


def test_clients_abandoning_uploads_are_no_incident_of_the_service(tmp_path: Path) -> None:
    """raw-body's 'BadRequestError: request aborted' on GKE's stderr (so at ERROR): mobile clients
    that closed the connection before their upload's body was read, while every request the
    service answered succeeded. No failure of the service: ok (blind set GH01)."""
    aborted = ("BadRequestError: request aborted\n    at IncomingMessage.onAborted "
               "(/app/node_modules/raw-body/index.js:245:10)\n"
               "    at IncomingMessage.emit (node:events:519:28)")
    lines = [_gke_line(k, _access(k, "POST /v1/images", 201, "okhttp/4.12.0")) for k in range(0, 3600, 10)]
    lines += [_gke_line(k + 3, aborted, log="stderr", severity="ERROR") for k in range(600, 3600, 300)]
    assert _analysed(tmp_path, lines, "web")["status"]["state"] == "ok"


def test_a_statefulset_is_a_service_by_its_own_name(tmp_path: Path) -> None:
    """`--service member-portal` over a GKE export of the StatefulSet's pod `member-portal-0`,
    whose containers are `nginx` and `php-fpm`: the workload's name is what an engineer types, as a
    Deployment's is (blind sets 0A05, 0E06); a neighbour's pod stays out."""
    full = "file_put_contents(/var/lib/php/sessions/sess_k2): Failed to open stream: No space left on device"
    lines = [_gke_line(k, "GET /members 200", pod="member-portal-0", container="nginx")
             for k in range(0, 1800, 10)]
    lines += [_gke_line(k, full, pod="member-portal-0", container="php-fpm", log="stderr", severity="ERROR")
              for k in range(1800, 3600, 10)]
    lines += [_gke_line(k + 1, "GET / 500", pod="search-5d8f7b6c9d-x2k4p", container="search")
              for k in range(0, 3600, 10)]
    report = _analysed(tmp_path, lines, "member-portal")
    assert report["root_cause"]["category"] == "disk-or-filesystem"
    assert {f["pattern_id"] for f in report["findings"]} >= {"disk-no-space-left"}


def _compose_paste(api_lines: list[str]) -> str:
    """A `docker compose up` paste: nginx in front of `api`, with 30 API calls answered 200, then
    30 that nginx could not pass on (its connect refused, 502); ``api_lines`` are api's own lines
    between the two."""
    ok = [f'nginx-1  | 172.20.0.1 - - [03/Jun/2024:15:00:{k:02d} +0000] "GET /api/orders/{k} HTTP/1.1" '
          '200 1293 "-" "Mozilla/5.0"' for k in range(30)]
    failed = []
    for k in range(30):
        failed += [f"nginx-1  | 2024/06/03 15:22:{k:02d} [error] 29#29: *{1700 + k} connect() failed "
                   "(111: Connection refused) while connecting to upstream, client: 172.20.0.1, server: "
                   f'localhost, request: "GET /api/orders/{k} HTTP/1.1", upstream: '
                   f'"http://172.20.0.3:80/api/orders/{k}", host: "orders.example.lan"',
                   f"nginx-1  | 172.20.0.1 - - [03/Jun/2024:15:22:{k:02d} +0000] "
                   f'"GET /api/orders/{k} HTTP/1.1" 502 157 "-" "Mozilla/5.0"']
    return "\n".join([*ok, *api_lines, *failed]) + "\n"


def test_a_compose_services_neighbours_are_part_of_its_paste(tmp_path: Path) -> None:
    """`--service api` over a `docker compose up` paste keeps the other compose services' lines, as a
    Cloud Run service's export keeps its Cloud SQL entries: nginx answering 502 because nothing
    listens where it proxies is the API's outage, not a quiet window (blind set JE05)."""
    api = ["api-1    | info: Microsoft.Hosting.Lifetime[14]",
           "api-1    |       Now listening on: http://[::]:8080"]
    report = _paste_report(tmp_path, _compose_paste(api), service="api")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "port-mismatch")


def test_a_compose_api_bound_to_loopback_behind_nginx_is_the_port_with_its_health_checks_aside(
        tmp_path: Path) -> None:
    """uvicorn bound to 127.0.0.1 answers its container's own health check and refuses nginx (blind
    set 1E07): the health checks (a paste's request lines, all answered) are no count of the users'
    requests, so nginx's access log is, and the loopback listener is why nginx is refused."""
    api = ["api-1    | INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)"]
    api += [f'api-1    | INFO:     127.0.0.1:{46100 + k} - "GET /healthz HTTP/1.1" 200 OK' for k in range(5)]
    report = _paste_report(tmp_path, _compose_paste(api), service="api")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "port-mismatch")
    assert report["status"]["requests"] == 60


def test_a_proxy_that_cannot_resolve_a_crashing_compose_service_points_at_why_it_crashes(
        tmp_path: Path) -> None:
    """Docker's embedded DNS drops a compose service's name while no container of it runs, so the
    proxy's "lookup api on 127.0.0.11:53: no such host" is the crash loop's symptom: the missing
    package that makes the container exit is the cause, not a DNS outage (blind set JE09)."""
    lines = ['{"level":"info","ts":1718720000.1,"msg":"serving initial configuration"}']
    for k in range(20):
        lines += [f'{{"level":"error","ts":17187204{k:02d}.1,"logger":"http.log.error","msg":"dial tcp: '
                  'lookup api on 127.0.0.11:53: no such host","request":{"method":"GET","uri":"/api/cart"},'
                  '"status":502}',
                  "api-1 exited with code 1" if k % 5 == 0 else "",
                  "error: Cannot find package 'hono' from '/app/src/index.ts'" if k % 5 == 1 else ""]
    report = _paste_report(tmp_path, "\n".join(line for line in lines if line) + "\n")
    assert report["root_cause"]["category"] == "broken-build"
    assert "docker-dns-no-such-service" in [f["pattern_id"] for f in report["findings"]]


def test_a_health_check_failing_on_an_exhausted_pool_is_explained_by_the_pool(tmp_path: Path) -> None:
    """Spring's DataSourceHealthIndicator checks the database through the app's own pool: when every
    connection is taken, the health check fails with the pool, and the pool is the cause (blind set
    JB03), not an unexplained failing dependency."""
    lines = []
    for k in range(20):
        lines += [f"2025-04-02 09:{36 + k // 10}:{(k % 10) * 6:02d}.733 ERROR 1 --- [o-8080-exec-1{k:02d}] "
                  "o.h.engine.jdbc.spi.SqlExceptionHelper   : HikariPool-1 - Connection is not available, "
                  "request timed out after 30003ms.",
                  f"2025-04-02 09:{36 + k // 10}:{(k % 10) * 6 + 2:02d}.002  WARN 1 --- [o-8080-exec-172] "
                  "o.s.b.a.jdbc.DataSourceHealthIndicator   : DataSource health check failed"]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n")
    assert report["root_cause"]["category"] == "db-connection-pool-exhausted"


def test_a_database_out_of_disk_is_a_disk_failure(tmp_path: Path) -> None:
    """Postgres failing writes for want of disk ("could not extend file ... No space left on
    device") is down because its volume is full: the fix is the disk, the contract's
    disk-or-filesystem, not the database's own unavailability (blind set JB09)."""
    lines = [f'2025-11-04 08:36:{k:02d}.118 UTC [22{k:02d}] ERROR:  could not extend file '
             '"base/16384/24601": No space left on device' for k in range(10)]
    assert _paste_report(tmp_path, "\n".join(lines) + "\n")["root_cause"]["category"] == "disk-or-filesystem"


def test_a_stack_with_no_level_beside_requests_that_all_succeeded_is_no_incident(tmp_path: Path) -> None:
    """A framework prints its warnings' stacks under a logger line of its own (Vert.x's "Thread
    blocked" at a cold start): with every request answered, a stack trace at no level (the catch-all
    shape, no known failure mode) says nothing failed (blind set JA10). Logged at ERROR it does."""
    header = ("2025-07-15 09:23:44,859 WARN  [io.ver.cor.imp.BlockedThreadChecker] "
              "(vertx-blocked-thread-checker) Thread Thread[vert.x-eventloop-thread-1,5,main] has been "
              "blocked for 2712 ms, time limit is 2000 ms")
    stack = ["io.vertx.core.VertxException: Thread blocked",
             "\tat java.base/java.util.zip.Inflater.inflateBytesBytes(Native Method)",
             "\tat java.base/java.util.zip.Inflater.inflate(Inflater.java:376)",
             "\tat io.quarkus.bootstrap.runner.JarResource.getData(JarResource.java:115)"]

    def stdout(k: int, text: str, severity: str | None) -> str:
        entry = json.loads(_app_error(k, text))
        entry["insertId"] = f"s{k}-{len(text)}"
        del entry["severity"]
        return json.dumps(entry | ({"severity": severity} if severity else {})) + "\n"

    states = []
    for severity in (None, "ERROR"):
        lines = [_request(k, 200, None) for k in range(0, 3600, 20)]
        lines += [stdout(1800, line, severity) for line in [header, *stack]]
        states.append(_analysed(tmp_path, lines, "shop")["status"]["state"])
    assert states[0] == "ok" and states[1] != "ok"


def test_scanners_failing_a_go_servers_tls_handshake_are_no_incident(tmp_path: Path) -> None:
    """Go's net/http logs every failed handshake with the client's address: plain HTTP on the TLS
    port, TLS older than the server takes, a probe that closes at once. Those are the clients', not
    the service's: with every request answered the window is quiet (blind set JG02)."""
    reasons = ["tls: first record does not look like a TLS handshake",
               "tls: client offered only unsupported versions: [302 301]", "EOF"]
    lines = []
    for k in range(30):
        lines.append(f"2025/05/20 14:{k:02d}:05 http: TLS handshake error from 71.6.199.{k}:53245: "
                     f"{reasons[k % 3]}")
        lines.append(f"2025/05/20 14:{k:02d}:07 GET /v1/route 200 1.2ms")
    report = _paste_report(tmp_path, "\n".join(lines) + "\n")
    assert report["status"]["state"] == "ok"


def test_errors_a_text_line_states_at_no_level_are_no_all_clear(tmp_path: Path) -> None:
    """Every request succeeds, and from minute 45 a Spring Boot job logs `ERROR ... failed` lines
    to stdout, which Cloud Run records at DEFAULT: the level the line states counts, and the window
    is an incident, never `ok`."""
    from tests.incidents.builder import Incident, day

    inc = Incident("orders", 7, day(2026, 5, 1, 10))
    rev = inc.revision(12)
    instance = inc.instance()
    inc.traffic(0, 3600, rev, [instance])
    for t in range(2700, 3600, 30):
        line = (f"2026-05-01 10:{t // 60:02d}:00.123 ERROR 1 --- [scheduling-1] c.a.orders.Sync : "
                f"Order sync batch {t} failed, giving up after 3 attempts")
        inc.text(t, line, rev, instance, log="stdout")
    path = tmp_path / "sync.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["status"]["state"] != "ok", result.output[:400]


@pytest.mark.parametrize(("latency", "state"), [(300.0, "degraded"), (2.0, "recovered")])
def test_failures_that_take_minutes_are_not_seen_to_stop_before_they_could_have_been_logged(
        tmp_path: Path, latency: float, state: str) -> None:
    """Cloud Run times a request log by the request's start and writes it when the request ends:
    invoice calls that hang until the 300 s timeout and began in the last five minutes are not in
    the logs yet, so five quiet minutes say nothing of whether they stopped (blind set KA05). The
    same failures answered in 2 s, then five quiet minutes of answered requests, did stop."""
    from tests.incidents.builder import Incident, day

    inc = Incident("billing", 9, day(2026, 6, 17, 16))
    rev = inc.revision(27)
    instance = inc.instance()
    inc.traffic(0, 3600, rev, [instance])
    for t in range(2000, 3300, 15):
        inc.request(t, 504 if latency > 60 else 500, "/v1/invoices", rev, instance, latency=latency)
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["status"]["state"] == state, result.output[:400]


UPTIME = "GoogleStackdriverMonitoring-UptimeChecks(https://cloud.google.com/monitoring)"


@pytest.mark.parametrize(("users", "state"), [(True, "down"), (False, "down")])
def test_monitoring_checks_are_no_users_requests_unless_they_are_all_there_is(
        tmp_path: Path, users: bool, state: str) -> None:
    """Uptime checks of /healthz from six regions answer 200 while every user's call fails from
    minute 30: counted as traffic they made a full outage of a quiet API read as a partial one
    (blind set KA05). With no user's request at all, the checks are all that says how the service
    fares, and their failures are an outage too."""
    from tests.incidents.builder import Incident, day

    inc = Incident("quotes", 5, day(2026, 6, 2, 9))
    rev = inc.revision(3)
    instance = inc.instance()
    for t in range(0, 3600, 10):
        failing = t >= 1800
        inc.request(t, 200 if users or not failing else 503, "/healthz", rev, instance, user_agent=UPTIME)
        if users and t % 30 == 0:
            inc.request(t + 1, 500 if failing else 200, "/v1/quotes", rev, instance)
    path = tmp_path / "quiet.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["status"]["state"] == state, result.output[:400]


@pytest.mark.parametrize(("resumed", "state", "lone_failed_check"),
                         [(False, "down", False), (True, "recovered", False), (False, "down", True)])
def test_a_worker_that_stopped_at_one_warning_is_down_though_its_uptime_checks_answer(
        tmp_path: Path, resumed: bool, state: str, lone_failed_check: bool) -> None:
    """A Pub/Sub pull worker enriches an event every 3 s; its only requests are uptime checks of
    /healthz, which answer 200 all along. At minute 90 it logs one WARNING, the subscriber
    stopped on a 403, and enriches nothing more. Checks that all succeed say the server answers,
    not that the work is done, and the failure ending is no recovery when the work ended with it:
    down, on the 403 (`Store._checker_requests`, `impact._work_stopped`; blind set UH09). Had the
    work come back a minute later, the failure passed. One check answered 503 as the worker
    stopped is a moment, not the checks' say on how the service fares (`store.FAILED_CHECKS`;
    blind set 4A06): still down."""
    from tests.incidents.builder import Incident, day

    inc = Incident("enricher", 7, day(2026, 6, 2, 9))
    rev = inc.revision(19)
    instance = inc.instance()
    stopped = 5400
    for t in range(0, 7200, 60):
        failed = lone_failed_check and t == stopped + 60
        inc.request(t + 0.5, 503 if failed else 200, "/healthz", rev, instance, user_agent=UPTIME)
        inc.structured(t + 0.2, {"message": "worker stats", "acked_last_min": 20 if t < stopped else 0},
                       rev, instance, "INFO")
    for t in range(0, 7200, 3):
        if t < stopped or (resumed and t > stopped + 60):
            inc.structured(t + 0.1, {"message": "enriched event", "event_id": f"ev-{t}"}, rev, instance,
                           "INFO")
    inc.structured(stopped + 1, {"message": "subscriber stopped: 403 User not authorized to perform this "
                                            "action."}, rev, instance, "WARNING")
    path = tmp_path / "worker.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--format", "json"])
    report = json.loads(result.output)
    assert (report["status"]["state"], report["root_cause"]["category"]) == (state, "permission-denied"), \
        result.output[:600]


def test_a_scheduled_job_whose_runs_all_fail_after_its_last_good_burst_is_down(tmp_path: Path) -> None:
    """A worker fetches FX rates in a burst of eight pages every ten minutes, and logs no request.
    From 20 minutes into the window every run's call of the provider answers 503 (logged at INFO,
    as it retries) and no page is fetched. The pages' last line came nine minutes before the first
    failure, no longer than the pages' own silence between bursts: the work stopped as the failures
    began, and has not come back (`impact._work_stopped`; blind set UD08). Without the silence, only
    a line logged within two minutes of the failures counted as stopped by them, and the run read
    degraded."""
    from tests.incidents.builder import Incident, day

    inc = Incident("fx-sync", 11, day(2026, 6, 2, 9))
    rev = inc.revision(4)
    instance = inc.instance()
    failing_from = 4800
    for run in range(0, 7200, 600):
        inc.structured(run + 1, {"message": "fx-sync starting"}, rev, instance, "INFO")
        if run < failing_from:
            for page in range(8):
                inc.structured(run + 2 + 3 * page, {"message": f"fetched rates page {page}"}, rev, instance,
                               "INFO")
            continue
        for attempt in range(3):
            inc.structured(run + 3 + 60 * attempt, {
                "message": "provider request failed, retrying",
                "err": "AxiosError: Request failed with status code 503"}, rev, instance, "INFO")
    path = tmp_path / "fx.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--since", "1h", "--format", "json"])
    report = json.loads(result.output)
    assert (report["status"]["state"], report["root_cause"]["category"]) == \
        ("down", "upstream-service-failure"), result.output[:600]


def test_a_new_service_whose_every_start_fails_its_probe_is_down_though_its_loop_logs_on(
        tmp_path: Path) -> None:
    """A brand-new service listens on port 3000 while Cloud Run probes 8080: every instance's
    start-up probe fails, and no request is logged. Its own loop logs a tick every five seconds
    all the while: lines of a revision whose start-up failed are no work served
    (`impact._work_goes_on`'s unstarted revisions; blind set VH07). Counted as work, they made the
    outage read degraded."""
    from tests.incidents.builder import Incident, day

    inc = Incident("pricer", 17, day(2026, 6, 2, 9))
    rev = inc.revision(1)
    instance = inc.instance()
    for start in range(3600, 7200, 600):
        inc.text(start, "Listening on port 3000", rev, instance)
        inc.system(start + 240, "Default STARTUP TCP probe failed 1 time consecutively for container "
                   f'"{inc.container}" on port 8080. The instance was not started.', rev, instance)
    for t in range(3605, 7200, 5):
        inc.text(t, f"tick: quotes published=0 stale=0 lag_ms={t % 97}", rev, instance)
    path = tmp_path / "pricer.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--since", "1h", "--format", "json"])
    report = json.loads(result.output)
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "port-mismatch"), \
        result.output[:600]


def test_a_new_service_s_probe_failures_since_its_first_deploy_are_its_failure_not_noise(
        tmp_path: Path) -> None:
    """A service created as the window begins: every start of each revision fails its probe on
    8080 (Elysia listens on 3000, and Bun says localhost for every address), each ended by the
    platform's SIGTERM (`Container called exit(143).`, no crash of its own), and Cloud Run marks
    the revision not ready only after three tries. The probe failures ran steadily from the first
    deploy, before that step: they came with the rollout and are the failure (held-out IY03), which
    read as noise that was there before, and the exit as a crash of unknown cause."""
    from tests.incidents.builder import Incident, day

    inc = Incident("notify-api", 23, day(2026, 6, 2, 13))
    revisions = [inc.revision(n) for n in (1, 2, 3)]
    for n, (rev, deployed) in enumerate(zip(revisions, (0, 900, 1800), strict=True)):
        inc.deploy(deployed, rev, revisions[n - 1] if n else "", "us-docker.pkg.dev/p/r/notify:1")
        for start in range(deployed + 10, deployed + 900, 245):
            instance = inc.instance()
            inc.text(start, "🦊 Elysia is running at localhost:3000", rev, instance, log="stdout")
            inc.system(start + 240, "Default STARTUP TCP probe failed 1 time consecutively for container "
                       f'"{inc.container}" on port 8080. The instance was not started.', rev, instance)
            inc.system(start + 241, "Container called exit(143).", rev, instance, severity="WARNING")
        inc.ready_false(deployed + 760, rev, "The user-provided container failed to start and listen on the "
                        "port defined provided by the PORT=8080 environment variable within the allocated "
                        "timeout.")
    output = _exported(tmp_path, inc)
    report = json.loads(output)
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "port-mismatch"), \
        output[:600]


def test_new_instances_whose_workers_cannot_boot_on_a_403_leave_no_instance_for_requests(
        tmp_path: Path) -> None:
    """The instances that served keep serving, but every new one dies at boot: its gunicorn worker
    reads a secret on import and gets a 403, "Worker failed to boot.", and the requests that needed
    a new instance find none (429 "no available instance"). The denial is why, through the boot
    failure, not a scaling limit (held-out JH03: a Terraform grant dropped the accessor role)."""
    from tests.incidents.builder import Incident, day

    denied = ("google.api_core.exceptions.PermissionDenied: 403 Permission 'secretmanager.versions.access' "
              "denied on resource 'projects/acme/secrets/stripe-key/versions/latest' (or it may not exist).")
    inc = Incident("invoice-worker", 29, day(2026, 6, 2, 11))
    rev = inc.revision(12)
    serving = inc.instance()
    for t in range(0, 3600, 10):
        inc.request(t, 200, "/invoices/render", rev, serving)
    for t in range(1900, 3600, 120):
        booting = inc.instance()
        inc.text(t, "[2026-06-02 11:00:00 +0000] [1] [INFO] Listening at: http://0.0.0.0:8080 (1)", rev,
                 booting, log="stderr")
        inc.text(t + 2, denied, rev, booting, log="stderr")
        inc.text(t + 2.1, "[2026-06-02 11:00:02 +0000] [7] [ERROR] Exception in worker process", rev, booting,
                 log="stderr")
        inc.text(t + 2.5, "[2026-06-02 11:00:02 +0000] [1] [ERROR] Worker failed to boot.", rev, booting,
                 log="stderr")
        for k in range(4):
            inc.request(t + 3 + k * 20, 429, "/invoices/render", rev, None,
                        text="The request was aborted because there was no available instance.")
    output = _exported(tmp_path, inc)
    report = json.loads(output)
    assert report["root_cause"]["category"] == "permission-denied", output[:600]


def test_a_node_redis_socket_dropped_and_reconnected_beside_requests_all_served_is_noise(
        tmp_path: Path) -> None:
    """node-redis reconnects a dropped socket by itself: two "SocketClosedUnexpectedlyError: Socket
    closed unexpectedly" stacks mid-hour, while every request before, between and after them was
    answered, are a connection the service rode through, not an incident that recovered (held-out
    JD10)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("leaderboard-api", 31, day(2026, 6, 2, 19))
    rev, instance = inc.revision(4), inc.instance()
    for t in range(0, 3600, 12):
        inc.request(t, 200, "/v1/leaderboard/top", rev, instance)
    for t in (840, 2500):
        inc.text(t, "SocketClosedUnexpectedlyError: Socket closed unexpectedly\n    at Socket.<anonymous> "
                    "(/app/node_modules/@redis/client/dist/lib/client/socket.js:194:118)", rev, instance,
                 log="stderr")
    output = _exported(tmp_path, inc)
    assert json.loads(output)["status"]["state"] == "ok", output[:600]


@pytest.mark.parametrize("at, state", [((1500,), "ok"), ((1500, 1560, 1620), "recovered")])
def test_one_connect_timeout_beside_requests_all_served_is_a_dropped_packet_not_an_incident(
        at: tuple[int, ...], state: str, tmp_path: Path) -> None:
    """A Next.js site's fetch to its CMS timed out connecting once in the hour and was retried;
    every request before and after was served. A broken network path fails every call over it,
    again and again; one moment of it, never repeated, is the transient socket timeout clients
    retry (patterns/_knowledge.yaml `blips`), not an incident that recovered (held-out SU09). The
    same timeout in three moments is a path that kept failing, and stays one."""
    from tests.incidents.builder import Incident, day

    inc = Incident("web-frontend", 5, day(2025, 3, 22, 11))
    rev, instance = inc.revision(12), inc.instance()
    for t in range(0, 3600, 12):
        inc.request(t, 200, "/products", rev, instance)
    lines = ("CMS request failed (attempt 1/3), retrying in 250ms: TypeError: fetch failed",
             "  cause: ConnectTimeoutError: Connect Timeout Error",
             "      at onConnectTimeout (node:internal/deps/undici/undici:7760:28)")
    for t in at:
        for k, text in enumerate(lines):
            inc.text(t + 0.001 * k, text, rev, instance, log="stderr")
    output = _exported(tmp_path, inc)
    assert json.loads(output)["status"]["state"] == state, output[:600]


@pytest.mark.parametrize("at, state", [((3250,), "ok"), (tuple(range(3250, 3600, 20)), "degraded")])
def test_a_passing_failure_retried_once_near_the_end_passed_one_repeated_to_the_end_did_not(
        at: tuple[int, ...], state: str, tmp_path: Path) -> None:
    """A pooled Postgres connection was dropped once, six minutes before the end, and the query
    retried on a new one (at WARNING); every request was served. Its pattern says such a drop
    passes, and one moment of it with the requests after it served is the reconnect come, not one
    that has not come yet (held-out SZ09). The same drop logged every twenty seconds to the end
    is a client trying again and again (blind set CW09)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("profile-api", 8, day(2026, 5, 18, 3))
    rev, instance = inc.revision(3), inc.instance()
    for t in range(0, 3600, 12):
        inc.request(t, 200, "/v1/profiles/42", rev, instance)
    for t in at:
        inc.text(t, "database connection was invalidated, retrying (attempt 1/3): (psycopg.OperationalError) "
                    "consuming input failed: server closed the connection unexpectedly", rev, instance,
                 severity="WARNING")
    output = _exported(tmp_path, inc)
    assert json.loads(output)["status"]["state"] == state, output[:600]


@pytest.mark.parametrize("last_exit, state", [(0, "ok"), (1, "degraded")])
def test_a_job_s_retried_429s_beside_every_run_completed_were_ridden_through(
        last_exit: int, state: str, tmp_path: Path) -> None:
    """A Cloud Run job reindexes every ten minutes and logs no request; four of its runs met
    Elasticsearch's 429 and retried the batch, and every run of the window ended "Container called
    exit(0).". Its completed jobs stand for the requests a service would have answered: the 429s
    were ridden through, no incident (held-out TH09). One run that exited 1 is work that failed."""
    rejected = ("2025-10-08T09:40:15.121Z  WARN 1 --- [catalog-reindex] [           main] "
                "c.m.reindex.es.BulkIndexer               : Bulk request rejected (429 "
                "es_rejected_execution_exception), retrying batch 0 in 2000 ms")

    job = {"type": "cloud_run_job", "labels": {"job_name": "catalog-reindex", "project_id": "p"}}

    def entry(k: int, at: int, log: str, text: str, severity: str) -> str:
        when = day(2025, 10, 8, 8) + timedelta(seconds=at)
        return json.dumps({
            "insertId": f"j{k}", "timestamp": f"{when:%Y-%m-%dT%H:%M:%S}Z",
            "logName": f"projects/p/logs/run.googleapis.com%2F{log}", "severity": severity, "resource": job,
            "labels": {"run.googleapis.com/execution_name": f"catalog-reindex-{at}"},
            "textPayload": text}) + "\n"

    lines = []
    for run, at in enumerate(range(0, 7200, 600)):
        lines.append(entry(3 * run, at, "stdout", "Reindexed 5000 documents", "INFO"))
        if run in (1, 4, 6, 8):
            lines.append(entry(3 * run + 1, at + 2, "stdout", rejected, "WARNING"))
        code = last_exit if at == 7200 - 600 else 0
        lines.append(entry(3 * run + 2, at + 30, "varlog%2Fsystem", f"Container called exit({code}).",
                           "INFO" if code == 0 else "ERROR"))
    path = tmp_path / "job.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "catalog-reindex", "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["status"]["state"] == state, result.output[:800]


def test_lettuce_refused_while_the_redis_cluster_answered_clusterdown_is_redis_away(
        tmp_path: Path) -> None:
    """A Memorystore cluster's shard fails over: Lettuce's reconnects are refused and commands get
    "CLUSTERDOWN The cluster is down" for a minute, then all is served again. The cluster said it
    was down: the dependency was away, not the network path (held-out JD07)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("payments-gateway", 37, day(2026, 6, 2, 2))
    rev, instance = inc.revision(9), inc.instance()
    for t in range(0, 3600, 10):
        failing = 1800 <= t < 1860
        inc.request(t, 500 if failing else 200, "/v1/charge", rev, instance, method="POST")
        if failing:
            inc.text(t + 0.2, "2026-06-02T02:30:00.101Z  WARN 1 --- [ioEventLoop-6-3] i.l.core.protocol."
                              "ConnectionWatchdog     : Cannot reconnect to [10.20.0.7/<unresolved>:6379]: "
                              "Connection refused: /10.20.0.7:6379", rev, instance)
            if t % 20:
                inc.text(t + 0.3, "io.lettuce.core.RedisCommandExecutionException: CLUSTERDOWN The cluster "
                                  "is down", rev, instance, log="stderr")
            else:
                inc.text(t + 0.3, "io.lettuce.core.RedisCommandTimeoutException: Command timed out after "
                                  "1 second(s)", rev, instance, log="stderr")
    output = _exported(tmp_path, inc)
    report = json.loads(output)
    assert report["root_cause"]["category"] == "upstream-service-failure", output[:600]


def _unit_crash_loop(requests: bool) -> list[str]:
    """A journal paste of unit `thumbd` on a VM: requests served (when ``requests``), then every
    start failing on a full disk until systemd stops restarting it, then only the host's cron."""
    lines = ['$ sudo journalctl --since "2024-03-08 02:30" --no-pager']
    if requests:
        lines += [f"Mar 08 02:{m:02d}:{s:02d} img-1 gunicorn[1412]: 10.128.0.9 - - "
                  f'[08/Mar/2024:02:{m:02d}:{s:02d} +0000] "GET /t/{m}{s}.jpg HTTP/1.0" 200 46 "-" "curl"'
                  for m in range(30, 60) for s in (5, 35)]
    for k, m in enumerate(range(0, 6)):
        lines += [f"Mar 08 03:0{m}:10 img-1 thumbd[{3100 + k}]: OSError: [Errno 28] No space left on "
                  "device: '/tmp/wgunicorn-ob5b0jn6'",
                  f"Mar 08 03:0{m}:10 img-1 systemd[1]: thumbd.service: Main process exited, "
                  "code=exited, status=255/EXCEPTION",
                  f"Mar 08 03:0{m}:11 img-1 systemd[1]: thumbd.service: Scheduled restart job, "
                  f"restart counter is at {k + 1}."]
    lines += ["Mar 08 03:05:12 img-1 systemd[1]: thumbd.service: Start request repeated too quickly.",
              "Mar 08 03:05:12 img-1 systemd[1]: thumbd.service: Failed with result 'exit-code'.",
              "Mar 08 03:09:01 img-1 CRON[30990]: (root) CMD (debian-sa1 1 1)",
              "Mar 08 03:14:01 img-1 CRON[31002]: (root) CMD (debian-sa1 1 1)"]
    return lines


@pytest.mark.parametrize(("requests", "listing"), [
    (True, ["$ systemctl is-active thumbd", "failed"]),
    (True, ["$ systemctl status thumbd --no-pager", "× thumbd.service - thumbd thumbnail service",
            "     Loaded: loaded (/etc/systemd/system/thumbd.service; enabled; preset: enabled)",
            "     Active: failed (Result: exit-code) since Fri 2024-03-08 03:05:12 UTC; 9min ago"]),
    (False, []),
])
def test_a_unit_systemd_stopped_restarting_stays_down_through_the_host_s_quiet(
        tmp_path: Path, requests: bool, listing: list[str]) -> None:
    """systemd restarts a unit failing on a full disk until its start limit ("Start request repeated
    too quickly.") and starts it no more: the host's cron lines go on, the unit's quiet after it is
    no recovery (held-out II09); and `systemctl is-active` printing `failed` (or `systemctl
    status`'s "Active: failed") below the logs says the unit is down as the paste was taken,
    whatever the requests before it answered (GZ07)."""
    lines = _unit_crash_loop(requests)
    if requests:
        # (the old master answers one more request as the new one gives up)
        lines.insert(-2, 'Mar 08 03:05:13 img-1 gunicorn[1412]: 10.128.0.9 - - [08/Mar/2024:03:05:13 +0000] '
                         '"GET /t/9.jpg HTTP/1.0" 200 4635 "-" "curl/8.5"')
        lines += listing
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "thumbd")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "disk-or-filesystem")


_MEMORY_KILLED = ("Memory limit of 2048 MiB exceeded with 2104 MiB used. Consider increasing the memory "
                  "limit, see https://cloud.google.com/run/docs/configuring/memory-limits")


@pytest.mark.parametrize(("last_end", "every", "down"), [
    ("Container called exit(1).", False, True), ("Container called exit(0).", False, False),
    (_MEMORY_KILLED, True, True)])
def test_a_cloud_run_job_whose_every_task_attempt_exited_non_zero_did_none_of_its_work(
        tmp_path: Path, last_end: str, every: bool, down: bool) -> None:
    """A Cloud Run job's task logs its batches, then "Container called exit(1)." with no error of
    its own, four attempts in a row: no attempt completed, so the job did none of its work, down
    (held-out JM09), not a failure of unknown weight. A last attempt that exits 0 did its work; attempts
    killed for memory, which Cloud Run ends with no exit line, did not (held-out MH02)."""
    def entry(k: int, text: str, log: str) -> str:
        return json.dumps({
            "insertId": f"j{k}-{log[-6:]}", "timestamp": f"2026-06-03T21:{k // 60:02d}:{k % 60:02d}Z",
            "logName": f"projects/p/logs/run.googleapis.com%2F{log}", "textPayload": text,
            "severity": "ERROR" if "Memory" in text else "WARNING" if "exit" in text else "INFO",
            "resource": {"type": "cloud_run_job", "labels": {"job_name": "backfill", "location": "us-west1"}},
            "labels": {"run.googleapis.com/execution_name": "backfill-x7k2p",
                       "run.googleapis.com/task_index": "0",
                       "run.googleapis.com/task_attempt": str(k // 400)},
        }) + "\n"
    lines = []
    for attempt in range(4):
        start = attempt * 400
        lines += [entry(start + k, f"batch {attempt * 10 + k // 30}: 500 shipments updated", "stdout")
                  for k in range(5, 300, 30)]
        end = last_end if attempt == 3 or every else "Container called exit(1)."
        lines.append(entry(start + 310, end, "varlog%2Fsystem"))
    report = _analysed(tmp_path, lines, "backfill")
    assert (report["status"]["state"] == "down") is down


def test_a_deadlock_ef_core_retried_beside_requests_all_served_is_a_retry_not_a_failure(
        tmp_path: Path) -> None:
    """EF Core's retrying execution strategy logs each retry at Information with the transient
    error it retries ("A transient exception occurred during execution. The operation will be
    retried after 1513ms." and the SqlException 1205 deadlock): the same request finished 201 a
    second later, so the line is a retry in progress, not a failure (held-out JJ09)."""
    from tests.incidents.builder import Incident, day

    retry = ("A transient exception occurred during execution. The operation will be retried after 1513ms.\n"
             "Microsoft.Data.SqlClient.SqlException (0x80131904): Transaction (Process ID 95) was deadlocked "
             "on lock resources with another process and has been chosen as the deadlock victim. Rerun the "
             "transaction.")
    inc = Incident("ledger-api", 41, day(2026, 6, 2, 15))
    rev, instance = inc.revision(3), inc.instance()
    for t in range(0, 3600, 15):
        inc.request(t, 201, "/v1/transfers", rev, instance, method="POST")
    for t in (420, 1100, 2300, 3300):
        inc.text(t - 1, retry, rev, instance)
    output = _exported(tmp_path, inc)
    assert json.loads(output)["status"]["state"] == "ok", output[:600]


def test_a_deadlock_beside_requests_all_answered_is_one_retried_transaction_not_an_incident(
        tmp_path: Path) -> None:
    """Postgres chose a victim twice in the hour ("deadlock detected"), and every request was
    answered: a deadlock fails one transaction, which goes through when run again, so the service
    rode through it, as it does a SQL Server deadlock victim its retry absorbed (held-out JJ09)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ledger", 43, day(2026, 6, 2, 9))
    rev, instance = inc.revision(5), inc.instance()
    for t in range(0, 3600, 15):
        inc.request(t, 200, "/v1/postings", rev, instance, method="POST")
    for t in (900, 2100):
        inc.text(t, "psycopg2.errors.DeadlockDetected: deadlock detected", rev, instance, log="stderr")
    output = _exported(tmp_path, inc)
    assert json.loads(output)["status"]["state"] == "ok", output[:600]


def test_sqlclient_refused_while_sql_server_could_not_open_its_database_is_the_database_down(
        tmp_path: Path) -> None:
    """A Cloud SQL for SQL Server restart: SqlClient's connections are refused, then logins fail
    with 4060 ("Cannot open database ... requested by the login") while it recovers the database,
    then all is served again. The server said it was down: not a network fault (held-out JJ06)."""
    from tests.incidents.builder import Incident, day

    refused = ("Microsoft.Data.SqlClient.SqlException (0x80131904): A network-related or instance-specific "
               "error occurred while establishing a connection to SQL Server.\n ---> System.Net.Sockets."
               "SocketException (111): Connection refused")
    cannot = ("Microsoft.Data.SqlClient.SqlException (0x80131904): Cannot open database "
              '"inventory" requested by the login. The login failed.\nLogin failed for user '
              "'inventory_app'.")
    inc = Incident("inventory-sync", 47, day(2026, 6, 2, 10))
    rev, instance = inc.revision(8), inc.instance()
    for t in range(0, 3600, 10):
        failing = 1800 <= t < 1900
        inc.request(t, 500 if failing else 200, "/v1/stock", rev, instance)
        if failing:
            inc.text(t + 0.2, refused if t < 1850 else cannot, rev, instance, log="stderr")
    output = _exported(tmp_path, inc)
    report = json.loads(output)
    assert report["root_cause"]["category"] == "database-unavailable", output[:600]


def _killed_worker(tmp_path: Path, killed_at: int, threads: tuple[tuple[str, ...], tuple[str, ...]],
                   every: int = 10, jobs_until: int = 7200,
                   jobs: tuple[str, ...] = ("InvoiceMailerJob", "LedgerSyncJob", "ReceiptJob"),
                   ) -> dict[str, Any]:
    """The report of a Sidekiq worker logging no request: its threads (the first instance's, then
    the second's) each running a job every ``every`` seconds until ``jobs_until``, the first
    instance killed for memory at ``killed_at``, a heartbeat every 30 s to the end of two hours."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ledger-worker", 19, day(2026, 6, 2, 9))
    rev = inc.revision(7)
    first, second = inc.instance(), inc.instance()
    for t in range(0, jobs_until, every):
        instance, names = (first, threads[0]) if t < killed_at else (second, threads[1])
        for k, tid in enumerate(names):
            job = jobs[(t // every + k) % len(jobs)]
            inc.text(t + k * 0.1, f"pid=1 tid={tid} class={job} jid={t:07d}{k} INFO: done", rev, instance)
    for t in range(0, 7200, 30):
        inc.text(t + 0.05, "worker heartbeat", rev, first if t < killed_at else second)
    inc.system(killed_at, "Memory limit of 1024 MiB exceeded with 1101 MiB used. Consider increasing the "
               "memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits", rev, first)
    path = tmp_path / "sidekiq.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", inc.service, "--input", str(path),
                                       "--since", "1h", "--format", "json"])
    return json.loads(result.output)


def test_between_causes_as_frequent_one_that_names_its_failure_stands_for_the_worker_s(
        tmp_path: Path) -> None:
    """A Kafka consumer logs no request; each dying instance prints a Java exception (caught by a
    catch-all pattern: it names no failure) and is then killed for memory, as often as it printed
    it. The memory kill, which says what failed, stands for the failure, not the catch-all, whose
    chain ends in "no known failure mode" (blind set 9D09)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("clickstream-aggregator", 23, day(2026, 3, 3, 9))
    rev = inc.revision(41)
    stack = ("java.lang.IllegalStateException: This error handler cannot process "
             "'org.apache.kafka.clients.consumer.CommitFailedException's; "
             "no record information is available\n"
             "\tat org.springframework.kafka.listener.DefaultErrorHandler.handleOtherException"
             "(DefaultErrorHandler.java:198)\n"
             "\tat org.springframework.kafka.listener.KafkaMessageListenerContainer$ListenerConsumer.run"
             "(KafkaMessageListenerContainer.java:1325)")
    for t in range(0, 7200, 20):
        inc.text(t, "flushed 48 session windows", rev, inc.instance())
    for k, t in enumerate(range(4300, 7200, 300)):
        instance = inc.instance()
        inc.text(t, stack, rev, instance, log="stderr", severity="ERROR")
        inc.system(t + 6, f"Memory limit of 1024 MiB exceeded with {1090 + k} MiB used. Consider increasing "
                   "the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits",
                   rev, instance)
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == "memory-limit-exceeded"


@pytest.mark.parametrize("noise_to_the_end", [True, False])
def test_noise_the_baseline_held_logged_to_the_end_does_not_hide_that_the_failures_stopped(
        tmp_path: Path, noise_to_the_end: bool) -> None:
    """A Kafka consumer logs no request: its broker refused it for twenty minutes, then the
    failures stopped and its work went on for half an hour. A carrier API's 429, logged at ERROR
    every two minutes in both hours, runs to the end: noise the baseline held says nothing of
    whether the outage stopped, so the service recovered either way (blind set 9D02)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("shipment-tracker", 7, day(2026, 10, 2, 10))
    rev = inc.revision(12)
    instance = inc.instance()
    for t in range(0, 7200, 20):
        inc.text(t, "processed shipment event", rev, instance)
    for t in range(60, 7200 if noise_to_the_end else 5400, 120):
        inc.text(t + 1, "AxiosError: Request failed with status code 429", rev, instance, log="stderr",
                 severity="ERROR")
    for t in range(4300, 5600, 5):
        inc.text(t + 2, "KafkaJSConnectionError: Connection error: connect ECONNREFUSED 10.8.0.12:9092", rev,
                 instance, log="stderr", severity="ERROR")
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert report["status"]["state"] == "recovered"


def test_a_password_refused_on_every_reconnect_explains_the_failed_requests(tmp_path: Path) -> None:
    """A DBA ends the service's sessions (each instance logs 'terminating connection due to
    administrator command' once), and every reconnect is refused: the password the service holds is
    stale (the database logs 'password authentication failed' for each of the 500s to the end).
    The refused password fails the requests, not the sessions ended once (blind set AA10)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ledger-api", 21, day(2026, 4, 2, 14))
    rev = inc.revision(40)
    instances = [inc.instance() for _ in range(3)]
    for instance in instances:
        inc.text(5396, "PrismaClientUnknownRequestError: FATAL: terminating connection due to administrator "
                 "command", rev, instance, log="stderr", severity="ERROR")
    for k, t in enumerate(range(0, 7200, 6)):
        broken = t >= 5400
        inc.request(t, 500 if broken else 200, "/v1/transfers", rev, instances[k % 3], method="POST")
        if broken:
            inc.cloudsql(t - 0.05, 'db=ledger,user=ledger_app FATAL:  password authentication failed '
                         'for user "ledger_app"', "ERROR")
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == "missing-configuration"


def test_a_callers_abort_logged_by_tomcat_is_the_echo_of_its_timeout_not_a_bug(tmp_path: Path) -> None:
    """The load balancer gives up on slow exports at its 30 s backend timeout (502 backend_timeout);
    the app finishes later and Tomcat's write fails with ClientAbortException, stack and all,
    through the app's own controller. The abort is the caller having left, not a bug of the code:
    the root cause is the requests' timeout (blind set AF06)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("reports-api", 12, day(2024, 10, 31, 15))
    pod = inc.pod()
    abort = ("Unhandled exception on GET /api/v1/reports/export\n"
             "org.apache.catalina.connector.ClientAbortException: java.io.IOException: Broken pipe\n"
             "\tat org.apache.catalina.connector.OutputBuffer.realWriteBytes(OutputBuffer.java:342)\n"
             "\tat com.acme.reports.ExportController.export(ExportController.java:88)\n"
             "Caused by: java.io.IOException: Broken pipe")
    for t in range(20, 7200, 10):
        slow = t >= 4400 and t % 60 == 20
        path = "/api/v1/reports/export" if slow else "/api/v1/reports"
        inc.request(t, 502 if slow else 200, path, "", None, text="backend_timeout" if slow else None,
                    latency=30.02 if slow else 0.2, user_agent="Mozilla/5.0")
        if slow:
            inc.text(t + 25, abort, "", pod, log="stderr", severity="ERROR")
    root = json.loads(_exported(tmp_path, inc, "--since", "1h"))["root_cause"]
    assert root["category"] == "request-timeout"


def test_a_worker_whose_threads_were_renamed_by_a_restart_still_works(tmp_path: Path) -> None:
    """A Sidekiq worker names its threads (`tid=hirk`): the instance killed for memory takes its
    threads' lines with it, and the new instance's threads log under new names. One thread's lines
    stopping is no work stopped: a line must have carried a fifth of the everyday lines to say so
    (`impact.WORK_SHARE`; blind set OA02, which read down)."""
    threads = (("hirk", "qzx", "mnop", "tqwe", "zzab", "ffgh"),
               ("kkpl", "rtyu", "vbnm", "xcvb", "plmo", "wsxe"))
    assert _killed_worker(tmp_path, 4200, threads)["status"]["state"] != "down"


def test_work_stopped_only_in_the_input_s_last_minute_is_no_work_stopped(tmp_path: Path) -> None:
    """A job line every second stops 50 s before the input ends, ten seconds after an instance was
    killed: the export's ragged end, not the work stopped, though at its pace 50 of it were due
    (`verdict.STOP_QUIET`; blind set PH03, a line every 1.5 s silent for 49 s read down)."""
    threads = (("hirk",), ("hirk",))
    report = _killed_worker(tmp_path, 7130, threads, every=1, jobs_until=7140, jobs=("LedgerSyncJob",))
    assert report["status"]["state"] != "down"


def test_a_paste_s_health_and_metrics_calls_are_no_users_requests(tmp_path: Path) -> None:
    """uvicorn's access lines name no user agent: kubelet's probes of /healthz and /ready and the
    metrics scrape are told by their paths. They answer 200 every 15 s while every user's call of
    the API fails from minute 30: down, not a partial failure (blind set LC04)."""
    lines = []
    for t in range(0, 3600, 15):
        when = f"2026-02-03T09:{t // 60:02d}:{t % 60:02d}.000000000Z"
        for path in ("/healthz", "/ready", "/metrics"):
            lines.append(f'{when} INFO:     10.8.0.1:41234 - "GET {path} HTTP/1.1" 200 OK')
        status = "500 Internal Server Error" if t >= 1800 else "200 OK"
        lines.append(f'{when} INFO:     10.8.3.7:52110 - "GET /api/v1/items/{t} HTTP/1.1" {status}')
    path = tmp_path / "catalog.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--input", str(path), "--format", "json"])
    report = json.loads(result.output[result.output.index("{"):])
    assert report["status"]["state"] == "down", result.output[:400]


def test_an_access_log_s_health_and_metrics_calls_are_no_users_requests(tmp_path: Path) -> None:
    """A GKE pod's nginx access lines are its only record of requests: a Prometheus scrape of
    /metrics and an external checker's /healthz (no probe's user agent) answer 200 while every
    user's call fails from minute 30: down. (With the health calls counted, half of the last ten
    minutes' requests succeeded.)"""
    lines = []
    for k in range(0, 3600, 10):
        scraper = "Prometheus/2.51.0"
        lines.append(_gke_line(k, _access(k, "GET /metrics", agent=scraper)))
        lines.append(_gke_line(k + 1, _access(k + 1, "GET /api/orders", 503 if k >= 1800 else 200, scraper)))
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["status"]["requests"]) == ("down", 360)



def _spring_line(minute: int, second: int, level: str, thread: str, logger: str, text: str) -> str:
    """A Spring Boot 3 console line as `docker logs -t` prints it, at 11:mm:ss of 2025-10-14."""
    at = f"2025-10-14T11:{minute:02d}:{second:02d}"
    return f"{at}.000000000Z {at}.000Z {level:>5} 1 --- [report-service] [{thread:>15}] {logger:<40} : {text}"


def test_a_tomcat_whose_connector_thread_died_serves_nothing_though_no_request_was_logged(
        tmp_path: Path) -> None:
    """With no request logged, a JVM running out of heap reads degraded: some work may still be
    served. Tomcat's Poller thread dying of it (`Exception in thread "http-nio-8080-Poller"`) says
    none is: nothing restarts the thread, so the process keeps its port and answers no one
    (java-tomcat-connector-thread-died, `persistent: true`; blind set MC08)."""
    servlet = "o.a.c.c.C.[.[.[/].[dispatcherServlet]"
    lines = [_spring_line(0, 5, "INFO", "main", "o.s.b.w.embedded.tomcat.TomcatWebServer",
                          "Tomcat started on port 8080 (http) with context path '/'")]
    lines += [_spring_line(m, s, "INFO", "o-8080-exec-1", "c.a.r.ReportController",
                           f"report {m}-{s} exported") for m in range(0, 27) for s in (10, 40)]
    oom = ("Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
           "[Handler dispatch failed: java.lang.OutOfMemoryError: Java heap space] with root cause")
    lines += [_spring_line(m, s, "ERROR", "o-8080-exec-3", servlet, oom)
              for m in range(27, 32) for s in (5, 35)]
    lines.append("2025-10-14T11:32:10.000000000Z Exception in thread \"http-nio-8080-Poller\" "
                 "java.lang.OutOfMemoryError: Java heap space")
    starved = "HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=1m2s)."
    lines += [_spring_line(m, 50, "WARN", "l-1 housekeeper", "com.zaxxer.hikari.pool.HikariPool", starved)
              for m in range(33, 40)]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", service="report-service")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "memory-limit-exceeded")


def test_a_replica_set_without_a_primary_is_the_database_not_a_members_dns(tmp_path: Path) -> None:
    """The MongoDB Java driver's view of a replica set names each member's own error: the drained
    primary's name no longer resolving, while another member answers as a secondary. The network
    works (the secondary answered); the set has no primary, which failed every write
    (mongo-replica-set-no-primary claims the line; blind set KE08)."""
    gone = "mongo-0.mongo.data.svc.cluster.local"
    view = ("No server chosen by ReadPreferenceServerSelector{readPreference=primary} from cluster "
            "description ClusterDescription{type=REPLICA_SET, connectionMode=MULTIPLE, serverDescriptions=["
            f"ServerDescription{{address={gone}:27017, type=UNKNOWN, state=CONNECTING, exception="
            f"{{com.mongodb.MongoSocketException: {gone}}}, caused by {{java.net.UnknownHostException: "
            f"{gone}: Name or service not known}}}}, ServerDescription{{address=mongo-1.mongo.data.svc."
            "cluster.local:27017, type=REPLICA_SET_SECONDARY, state=CONNECTED, ok=true}]}. "
            "Waiting for 30000 ms before timing out")
    lines = [_request(k, 200, None) for k in range(0, 2400, 20)]
    lines += [_request(k, 500, None) for k in range(2400, 3600, 20)]
    lines += [_app_error(k, view).replace('"ERROR"', '"INFO"') for k in range(2390, 3600, 20)]
    root = _analysed(tmp_path, lines, "shop")["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("database-unavailable", "mongo-replica-set-no-primary")


def test_a_worker_whose_everyday_work_stopped_while_its_failures_ran_on_is_down(tmp_path: Path) -> None:
    """No request is logged; the worker's own lines are all that says how it fares. Each message
    logs "received" then "archived"; from minute 40 the archive is denied. Every upload denied:
    "archived" stops while "received" keeps its pace, so most of the work fails: down. One in
    three denied: "archived" keeps two thirds of its pace: degraded (`impact._work_displaced`;
    blind sets NA10, JB03, JH07)."""
    denied = ("googleapi: Error 403: archiver@p.iam.gserviceaccount.com does not have storage.objects.create "
              "access to the Google Cloud Storage object. Permission 'storage.objects.create' denied on "
              "resource (or it may not exist)., forbidden")

    def worker(fails: Callable[[int], bool]) -> list[str]:
        lines = []
        for k in range(0, 3600, 10):
            lines.append(_gke_line(k, f'msg="received message" id={k}', severity="INFO"))
            if k >= 2400 and fails(k):
                lines.append(_gke_line(k + 1, f'msg="archive failed" id={k} err="{denied}"', log="stderr",
                                       severity="ERROR"))
            else:
                lines.append(_gke_line(k + 1, f'msg="archived invoice" id={k}', severity="INFO"))
        return lines

    every = _analysed(tmp_path, worker(lambda k: True), "web")["status"]
    some = _analysed(tmp_path, worker(lambda k: k % 30 == 0), "web")["status"]
    assert (every["state"], some["state"]) == ("down", "degraded")


@pytest.mark.parametrize(("failing", "state"), [(("sync_invoice", "sync_payment", "sync_refund"), "down"),
                                               (("sync_refund",), "degraded")])
def test_a_celery_task_s_outcome_after_its_uuid_tells_its_lines_apart(
        tmp_path: Path, failing: tuple[str, ...], state: str) -> None:
    """A Celery worker logs no request: each task is "received", then "succeeded" or "raised", the
    outcome after the task's uuid. From minute 30 the accounting API answers 503 and the tasks that
    call it raise. When every task type does, "succeeded" stops while "received" keeps its pace: the
    work stopped, down (blind set PC05; cut before masking, the lines' first 60 characters ended
    inside the uuid, received and succeeded were one kind that kept its pace, and it read degraded).
    When one task type of three fails and the others succeed, the lines that fell carried a sixth of
    the work: degraded (`impact.WORK_SHARE`; blind sets VB02, OE08)."""
    def task(k: int, name: str, uuid: str, words: str, severity: str) -> str:
        when = f"2026-03-04 10:{k // 60:02d}:{k % 60:02d},120"
        text = f"[{when}: {severity}/ForkPoolWorker-2] Task billing.tasks.{name}[{uuid}] {words}"
        return _gke_line(k, text, log="stderr", severity=severity)
    lines = []
    for k in range(0, 3600, 6):
        name = ("sync_invoice", "sync_payment", "sync_refund")[k // 6 % 3]
        uuid = f"{k:08x}-6d98-4c1e-9b1a-{k * 7919:012x}"
        lines.append(task(k, name, uuid, "received", "INFO"))
        if k < 1800 or name not in failing:
            lines.append(task(k + 1, name, uuid, "succeeded in 0.21s: None", "INFO"))
        else:
            raised = ("raised unexpected: HTTPError('503 Server Error: Service Unavailable for url: "
                      "https://api.ledgerly.io/v3/invoices')")
            lines.append(task(k + 1, name, uuid, raised, "ERROR"))
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["root_cause"]["category"]) == \
        (state, "upstream-service-failure")


def test_a_streaming_client_that_went_away_is_no_failure_of_the_service(tmp_path: Path) -> None:
    """uvicorn logs "Exception in ASGI application" and a whole traceback at ERROR when a client
    closes a stream it was still sending (uvicorn's ClientDisconnected): with every request
    answered, those tracebacks are clients leaving, not an incident of unknown cause
    (python-uvicorn-client-disconnected claims them; blind set NC10)."""
    left = ("ERROR:    Exception in ASGI application\nTraceback (most recent call last):\n"
            '  File "/usr/local/lib/python3.11/site-packages/uvicorn/protocols/http/h11_impl.py", line 408, '
            "in run_asgi\n    result = await app(  # type: ignore[func-returns-value]\n"
            '  File "/usr/local/lib/python3.11/site-packages/starlette/responses.py", line 257, in '
            "stream_response\n    await send({'type': 'http.response.body', 'body': chunk, "
            "'more_body': True})\n"
            '  File "/usr/local/lib/python3.11/site-packages/uvicorn/protocols/http/h11_impl.py", line 489, '
            "in send\n    raise ClientDisconnected\nuvicorn.protocols.utils.ClientDisconnected")
    lines = [_request(k, 200, None) for k in range(0, 3600, 15)]
    lines += [_app_error(k, left) for k in range(2007, 3600, 300)]
    assert _analysed(tmp_path, lines, "shop")["status"]["state"] == "ok"


def _after_nine(k: int) -> str:
    """The RFC 3339 time ``k`` seconds after 09:00 of the two-hour inputs below."""
    return (parse_rfc3339("2026-03-04T09:00:00Z") + timedelta(seconds=k)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at(k: int, severity: str, text: str) -> str:
    """One line of service `shop` on stdout, ``k`` seconds after 09:00 (two hours of them)."""
    return json.dumps({
        "insertId": f"{severity[0]}{k}", "timestamp": _after_nine(k),
        "logName": "projects/p/logs/run.googleapis.com%2Fstdout", "severity": severity, "textPayload": text,
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": "shop-00003-abc"}},
    }) + "\n"


def test_an_unexplained_error_that_ran_as_before_does_not_keep_a_recovered_failure_going(
        tmp_path: Path) -> None:
    """No request is logged. A denial ran for ten minutes and stopped forty before the end, the
    worker logging its work on; an error no pattern knows ("Idempotency key reuse ...") was logged
    every five minutes in the hour before as in this one. It is noise as a steady finding is: the
    failures stopped, recovered (`analysis._steady_unexplained`; blind set OF09). Where that error
    began with the denial, it is part of what runs on: not recovered."""
    work = [_at(k, "INFO", "order batch processed") for k in range(0, 7200, 60)]
    denied = [_at(k, "ERROR", _DENIED) for k in range(4200, 4800, 30)]
    reuse = "Idempotency key reuse with different payload, rejecting request"
    steady = [_at(k, "ERROR", reuse) for k in range(150, 7200, 300)]
    began = [_at(k, "ERROR", reuse) for k in range(4350, 7200, 300)]

    assert _state(tmp_path, work + denied + steady, "--since", "1h") == "recovered"
    assert _state(tmp_path, work + denied + began, "--since", "1h") != "recovered"


def _answered(k: int) -> str:
    """One request of service `shop` answered 200, ``k`` seconds after 09:00."""
    return json.dumps({
        "insertId": f"r{k}", "timestamp": _after_nine(k), "severity": "INFO",
        "logName": "projects/p/logs/run.googleapis.com%2Frequests",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": "shop-00003-abc"}},
        "httpRequest": {"requestMethod": "GET", "requestUrl": "https://shop.run.app/cart", "status": 200},
    }) + "\n"


def test_new_errors_are_weighed_against_the_baseline_without_the_noise_both_hours_had(
        tmp_path: Path) -> None:
    """Every request is answered. A scanner's 404s, which Rails logs at FATAL and a context pattern
    explains, run 40 an hour in the baseline and in the window alike: noise, left out of the
    window's errors. The baseline loses them too, so the 30 errors of a new failure in the window
    (every sign-in refused) are weighed against none, not against the noise's 40: an incident, not
    a count within twice the baseline's (blind set 1D07). Without the new errors the hour is a
    healthy one."""
    served = [_answered(k) for k in range(0, 7200, 20)]
    noise = [_at(k, "CRITICAL", 'ActionController::RoutingError (No route matches [GET] "/wp-login.php")')
             for k in range(45, 7200, 90)]
    new = [_at(k, "ERROR", "Sign-in callback refused by the identity provider")
           for k in range(5400, 7200, 60)]

    assert _state(tmp_path, served + noise, "--since", "1h") == "ok"
    assert _state(tmp_path, served + noise + new, "--since", "1h") != "ok"


def test_an_unexplained_error_family_that_varies_by_chance_keeps_its_baseline(tmp_path: Path) -> None:
    """Every request is answered. Card declines, logged at ERROR worded five ways, run about 18 an
    hour in both hours; one wording comes 8 times in the window after 2 in the baseline, by chance.
    The wordings judged steady one by one leave the window, but the baseline keeps the whole family:
    8 errors against it are no incident (blind set 4B09)."""
    served = [_answered(k) for k in range(0, 7200, 20)]
    words = {"Your card's security code is incorrect. (code=incorrect_cvc": (5, 5),
             "Your card has expired. (code=expired_card": (5, 4),
             "Your card was declined. (code=card_declined, decline_code=do_not_honor": (4, 4),
             "Your card was declined. (code=card_declined, decline_code=generic_decline": (3, 3),
             "Your card has insufficient funds. (code=card_declined, decline_code=insufficient_funds": (2, 8)}
    declines = [_at(hour * 3600 + 61 * n + 17 * i, "ERROR",
                    f"Stripe::CardError: {text}, request_id=req_{i}{hour}{n:02d}x)")
                for i, (text, counts) in enumerate(words.items())
                for hour in (0, 1) for n in range(counts[hour])]

    assert _state(tmp_path, served + declines, "--since", "1h") == "ok"


def test_kafka_brokers_counted_down_after_failed_tls_handshakes_are_the_certificate(tmp_path: Path) -> None:
    """librdkafka counts a broker whose TLS handshake failed as down: each "SSL handshake failed:
    ... certificate verify failed" is followed by "1/1 brokers are down". From minute 70 a new
    image without a CA bundle fails every handshake, and the producer's requests answer 503. The
    brokers answered; the certificate check failed, not the network (kafka-broker-unreachable's
    rule; blind set 4A08)."""
    broker = "sasl_ssl://pkc-9x2mq.us-east1.gcp.confluent.cloud:9092/bootstrap"
    handshake = (f"%3|1742152337.120|FAIL|rdkafka#producer-1| [thrd:{broker}]: {broker}: SSL handshake "
                 "failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could "
                 "not be verified, verify that ssl.ca.location is correctly configured or root CA "
                 "certificates are installed (install ca-certificates package) (after 45ms in state "
                 "SSL_HANDSHAKE)")
    down = (f"%3|1742152337.123|ERROR|rdkafka#producer-1| [thrd:app]: rdkafka#producer-1: {broker}: "
            "1/1 brokers are down")
    lines = [_answered(k) for k in range(0, 4200, 20)]
    lines += [json.dumps({**json.loads(_answered(k)), "httpRequest": {
        "requestMethod": "POST", "requestUrl": "https://shop.run.app/v1/collect", "status": 503}}) + "\n"
              for k in range(4200, 7200, 20)]
    for k in range(4190, 7200, 30):
        lines += [_at(k, "ERROR", handshake), _at(k + 1, "ERROR", down)]
    report = _analysed(tmp_path, lines, "shop")
    assert report["root_cause"]["category"] == "tls-certificate"


def test_failures_in_bursts_are_judged_by_the_moments_they_failed_at() -> None:
    """An instance crashing every few minutes fails the requests in flight on it at once: 870
    failed requests in 34 ten-second moments over fifty minutes, then 45 s without one. Counted by
    the requests, that quiet would have held a dozen failures; by the moments, under one: still
    failing, degraded (blind sets OH06, OG08, OB05). A storm that failed in every moment for five
    minutes, then four quiet ones, stopped."""
    def burst(span_s: int, moments: int, quiet_s: int) -> State:
        last = T0 + timedelta(seconds=span_s)
        end = last + timedelta(seconds=quiet_s)
        t = replace(traffic(870, 0, 700, 90), first_failure=T0, last_failure=last, failed_moments=moments,
                    first_success_after_failures=last + timedelta(seconds=2), answered_after_failures=50,
                    recent_since=end - timedelta(seconds=verdict.RECENT))
        return verdict.decide(t, Periods(0.0, span_s + quiet_s), 1, None).state

    assert [burst(3000, 34, 45), burst(300, 30, 240)] == [State.DEGRADED, State.RECOVERED]


@pytest.mark.parametrize("stopped", [
    "Fatal consumer exception; stopping container",
    # the consumer's own thread killed by the heap (java-worker-thread-died; blind set QE08)
    'Exception in thread "ledger-consumer-0" java.lang.OutOfMemoryError: Java heap space',
])
def test_a_worker_whose_listener_stopped_for_good_is_down_though_its_errors_ended(
        tmp_path: Path, stopped: str) -> None:
    """No request is logged. A Kafka consumer posts its work every 30 s; at minute 30 of the window
    the topic's ACL refuses its new key, spring-kafka stops the listener container ("Fatal consumer
    exception; stopping container") and nothing is consumed again: the errors end there, but their
    silence is no recovery while the work stays gone (the symptom's `until_restart`; blind set
    PG03). So with the consumer's thread killed by the heap, the JVM left up (QE08). The same
    errors with the work going on after them recovered."""
    denied = ("[Consumer clientId=consumer-ledger-1, groupId=ledger] Topic authorization failed for topics "
              "[ledger.events]")
    before = [_at(k, "INFO", f"posted ledger entry {k}") for k in range(0, 5400, 30)]
    failed = [_at(k, "ERROR", denied) for k in range(5400, 5406)] + [_at(5407, "ERROR", stopped)]
    watchdog = [_at(k, "WARNING", "No ledger entries posted in the last 60s") for k in range(5460, 7200, 60)]
    resumed = [_at(k, "INFO", f"posted ledger entry {k}") for k in range(5430, 7200, 30)]

    states = [_state(tmp_path, before + failed + after, "--since", "1h") for after in (watchdog, resumed)]
    assert states == ["down", "recovered"]


def _served(k: int, status: int, tag: str, agent: str | None = None) -> str:
    """One Cloud Run request log of service `shop` on /v2/feed, ``k`` seconds after 09:00 (from a
    client whose user agent is ``agent``, when given)."""
    request: dict[str, Any] = {"requestMethod": "GET", "requestUrl": "https://shop.run.app/v2/feed",
                               "status": status}
    if agent:
        request["userAgent"] = agent
    return json.dumps({
        "insertId": f"{tag}{k}", "timestamp": _after_nine(k),
        "logName": "projects/p/logs/run.googleapis.com%2Frequests", "severity": "INFO",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": "shop-1"}},
        "httpRequest": request,
    }) + "\n"


def test_a_service_s_own_refusals_that_took_its_callers_place_are_failed_requests(tmp_path: Path) -> None:
    """Two hours of a route served every 10 s, a stale client's token refused (401) every ten
    minutes throughout. In the last twenty minutes a deploy verifies tokens against the wrong
    audience: nine callers in ten are refused. Those 401s took the answers' place (the route
    answered under half its usual rate while they ran): failed requests, down; the stale client's
    refusals stretch the route's span over the whole input, so only each refusal's own five
    minutes tell (`impact.REFUSAL_BUCKET_S`; blind set PD07). A broken client's 401s beside the
    callers still served are not failures: ok."""
    stale = [_served(k, 401, "s") for k in range(5, 7200, 600)]

    taken = [_served(k, 200 if k < 6000 or k % 100 == 0 else 401, "r") for k in range(0, 7200, 10)]
    refused = _status(tmp_path, taken + stale, "--since", "1h")
    beside = [_served(k, 401, "b") for k in range(6003, 7200, 20)]
    served = [_served(k, 200, "r") for k in range(0, 7200, 10)]
    assert (refused["state"], refused["failed_requests"] > 100) == ("down", True)
    assert _state(tmp_path, served + stale + beside, "--since", "1h") == "ok"


def test_an_apps_own_429s_that_took_its_callers_place_are_failed_requests(tmp_path: Path) -> None:
    """Two hours of a route served every 10 s. In the last twenty minutes the service's own rate
    limiter, keyed on the one address of the proxy in front of it after a deploy, answers nine
    callers in ten with 429: the refusals took the answers' place, failed requests, down (the
    `http-request-rate-limited` pattern's `refuses_requests`; blind set SC03). One heavy client's
    429s beside the callers still served are the limiter doing its job: ok."""
    taken = [_served(k, 200 if k < 6000 or k % 100 == 0 else 429, "r") for k in range(0, 7200, 10)]
    limited = _status(tmp_path, taken, "--since", "1h")
    heavy = [_served(k, 429, "h") for k in range(6003, 7200, 20)]
    served = [_served(k, 200, "r") for k in range(0, 7200, 10)]
    assert (limited["state"], limited["failed_requests"] > 100) == ("down", True)
    assert _state(tmp_path, served + heavy, "--since", "1h") == "ok"


def test_429s_that_crowded_out_the_regular_callers_are_failed_requests_however_many_a_newcomer_got(
        tmp_path: Path) -> None:
    """Two hours of a route its regular clients call every 10 s. From 09:40 to 09:55 a backfill
    job new to the service floods it; the service's rate limiter is shared, so the backfill gets
    one call in four answered and the regular callers are refused nine times in ten. The
    backfill's answers keep the route's count of answers up, yet they are not the traffic the
    service served: its regular callers lost theirs, and the 429s are failed requests (held-out
    RK05: a Resilience4j RateLimiter tripped by a backfill, read as no incident). A newcomer
    flooding beside regular callers still served as before is the limiter doing its job: ok."""
    regular = [_served(k, 429 if 6000 <= k < 6900 and k % 50 < 30 else 200, "r", "okhttp/4.12.0")
               for k in range(0, 7200, 10)]
    backfill = [_served(k, 200 if k % 25 == 1 else 429, "b", "backfill-job/1.3")
                for k in range(6001, 6900, 5)]
    limited = _status(tmp_path, regular + backfill, "--since", "1h")
    served = [_served(k, 200, "r", "okhttp/4.12.0") for k in range(0, 7200, 10)]
    assert (limited["state"], limited["failed_requests"] > 50) == ("recovered", True)
    assert _state(tmp_path, served + backfill, "--since", "1h") == "ok"


def _ingress(minute: int, second: int, status: int) -> str:
    """One ingress-nginx access line (nginx's combined format) at 10:<minute>:<second>."""
    return (f'130.211.2.{second} - - [12/Mar/2025:10:{minute:02d}:{second:02d} +0000] '
            f'"GET /checkout HTTP/1.1" {status} 659 "-" "Mozilla/5.0"\n')


def test_a_symptom_steady_across_the_requests_step_is_noise_in_a_paste(tmp_path: Path) -> None:
    """A paste of an hour of ingress-nginx (no baseline): one slow route's 504 ("upstream timed
    out") once a minute from the first minute to the last, and from minute 30 a rate limit that
    rejects most requests ("limiting requests ... by zone", 503). The 504s never stepped up; the
    failed requests did, at minute 30, with the limit: the 504 stream is noise that was there all
    along, and the limit the cause (blind set SC10). Before, the steady 504s were the main symptom,
    the limit "began after it" and lost, and the incident began at the first 504."""
    lines = []
    for minute in range(60):
        for second in range(0, 60, 5):
            rejected = minute >= 30 and second % 10 == 0
            if rejected:
                lines.append(f'2025/03/12 10:{minute:02d}:{second:02d} [error] 41#41: '
                             f'*{minute * 100 + second} limiting requests, excess: 12.107 by zone '
                             '"shop_rps", client: 35.191.0.1, '
                             'server: shop.example.com, request: "GET /checkout HTTP/1.1"\n')
            lines.append(_ingress(minute, second, 503 if rejected else 200))
        lines.append(f'2025/03/12 10:{minute:02d}:31 [error] 42#42: *{minute} upstream timed out (110: '
                     'Connection timed out) while reading response header from upstream, client: '
                     '35.191.0.2, server: shop.example.com, request: "POST /pay HTTP/1.1", upstream: '
                     '"http://10.8.2.41:8080/pay"\n')
        lines.append(f'130.211.2.31 - - [12/Mar/2025:10:{minute:02d}:31 +0000] "POST /pay HTTP/1.1" 504 160 '
                     '"-" "Mozilla/5.0"\n')
    report = _paste_report(tmp_path, "".join(lines))
    root, status = report["root_cause"], report["status"]
    assert (root["category"], root["pattern_id"]) == ("quota-or-rate-limit", "nginx-limiting-requests"), root
    assert (status["state"], status["onset"][11:16]) == ("degraded", "10:30"), status


def _on(k: int, revision: str, status: int) -> str:
    """One request log of service `shop`'s ``revision`` on /v1/batches, ``k`` seconds after 09:00."""
    return json.dumps({
        "insertId": f"{revision}-{k}", "timestamp": _after_nine(k),
        "logName": "projects/p/logs/run.googleapis.com%2Frequests", "severity": "INFO",
        "resource": {"type": "cloud_run_revision",
                     "labels": {"service_name": "shop", "revision_name": revision}},
        "httpRequest": {"requestMethod": "POST", "requestUrl": "https://shop.run.app/v1/batches",
                        "status": status},
    }) + "\n"


def test_a_revision_serving_from_the_inputs_first_minute_is_not_blamed_as_a_new_one(tmp_path: Path) -> None:
    """An hour's export with no baseline before it: revision shop-1 serves from its first second,
    one request in five fails from minute 5 with nothing logged to say why, and a fix, shop-2,
    takes over at minute 40 and serves without errors. shop-1 was already serving when the input
    began (first seen within a minute of it): it is no new revision the failures began with, and
    the report names no deployment change (blind set SD04). The same failures on a revision first
    seen at minute 3 did begin with it."""
    def export(first: int) -> list[str]:
        lines = [_on(k, "shop-0", 200) for k in range(0, first, 10)]
        lines += [_on(k, "shop-1", 500 if k >= 300 and k % 50 == 0 else 200) for k in range(first, 2400, 10)]
        return lines + [_on(k, "shop-2", 200) for k in range(2400, 3600, 10)]

    def category(lines: list[str]) -> str:
        path = tmp_path / "shop.ndjson"
        path.write_text("".join(lines), encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path),
                                           "--since", "1h", "--format", "json"])
        return str(json.loads(result.output)["root_cause"]["category"])

    assert [category(export(0)), category(export(180))] == ["unknown", "deployment-change"]


@pytest.mark.parametrize(("first_error_s", "state"), [(420, "ok"), (2100, "recovered")])
def test_an_unexplained_error_logged_all_along_a_served_hour_without_baseline_is_how_it_runs(
        tmp_path: Path, first_error_s: int, state: str) -> None:
    """A whole input read without --since has no baseline: an error no pattern knows, logged every
    seven minutes from the first minutes to the last while every request is answered, is how the
    service runs (a scheduled pull finding an empty feed, blind set 1B07), as a steady finding is.
    The same error begun mid-hour, and stopped, is an incident the service came through."""
    lines = [_request(k, 200, None) for k in range(0, 3600, 20)]
    lines += [_app_error(k, "Vendor feed acme returned 0 rows for the window; skipping reconciliation")
              for k in range(first_error_s, 3600 if first_error_s < 1000 else 2800, 420)]
    assert _state(tmp_path, lines) == state


def test_ingress_nginx_lines_naming_the_service_as_their_upstream_are_its_requests(tmp_path: Path) -> None:
    """ingress-nginx logs every request with the Service it went to, "[<namespace>-<service>-<port>]":
    its lines naming `web` are web's requests (504s once web's JVM ran out of heap, blind set 1F09),
    though the controller is another workload; those of another upstream stay out."""
    def ingress(k: int, status: int, upstream: str = "shop-web-8080") -> str:
        line = (f'10.0.0.9 - - [04/Mar/2026:10:{k // 60:02d}:{k % 60:02d} +0000] "GET /v1/plans HTTP/1.1" '
                f'{status} 160 "-" "curl/8.5" 86 {60.0 if status == 504 else 0.02} [{upstream}] [] '
                f"10.60.3.41:8080 0 0.020 {status} {k:032x}")
        return _gke_line(k, line, pod="ingress-nginx-controller-7d4b8c9f5d-hx2pl", container="controller")
    lines = [_gke_line(900, "java.lang.OutOfMemoryError: Java heap space", pod="web-5f7c9d8b6-q8vkt",
                       severity="ERROR")]
    lines += [ingress(k, 200 if k < 1200 else 504) for k in range(0, 3600, 30)]
    lines += [ingress(k + 1, 200, upstream="shop-admin-8080") for k in range(0, 3600, 30)]
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["state"], report["status"]["requests"]) == ("down", 120)
    assert report["root_cause"]["category"] == "memory-limit-exceeded"


def _controller(k: int, line: str) -> str:
    """A line of an ingress-nginx controller's container, ``k`` seconds into the hour."""
    return _gke_line(k, line, pod="ingress-nginx-controller-7d4b8c9f5d-hx2pl", container="controller")


def _ingress_access(k: int, status: int, upstream: str, address: str) -> str:
    """An ingress-nginx access line of a request to ``upstream`` ([<ns>-<service>-<port>]) at ``address``."""
    when = f"04/Mar/2026:10:{k // 60:02d}:{k % 60:02d} +0000"
    return _controller(k, f'10.0.0.9 - - [{when}] "POST /v2/pay HTTP/1.1" {status} 150 "-" "checkout/4.2" '
                          f"86 0.007 [{upstream}] [] {address} 0 0.004 {status} {k:032x}")


def test_ingress_nginx_error_lines_about_the_service_s_pods_are_its_front_door_s_why(tmp_path: Path) -> None:
    """ingress-nginx's error log names the upstream address it was talking to, not the Service:
    where that address is one its access lines sent the service's requests to, the line says why
    the front door failed them (an expired serving certificate on the pods, held-out IX07); the
    same words about another service's pod stay out."""
    ours, theirs = "10.8.4.21:8443", "10.8.9.9:8443"
    def error(k: int, address: str) -> str:
        return _controller(k, f"2026/03/04 10:{k // 60:02d}:{k % 60:02d} [error] 38#38: *{k} upstream SSL "
                              "certificate verify error: (10:certificate has expired) while SSL handshaking "
                              "to upstream, client: 10.0.0.9, server: pay.example.com, request: "
                              f'"POST /v2/pay HTTP/1.1", upstream: "https://{address}/v2/pay", '
                              'host: "pay.example.com"')
    lines = [_ingress_access(k, 200 if k < 1800 else 502, "fin-billing-8443", ours)
             for k in range(0, 3600, 30)]
    lines += [error(k + 3, ours) for k in range(1800, 3600, 30)]
    lines += [_ingress_access(k + 1, 200, "fin-ledger-8443", theirs) for k in range(0, 3600, 30)]
    lines += [error(k + 2, theirs) for k in range(0, 1800, 300)]
    lines += [_gke_line(k, "DunningJob: 0 invoices due", pod="billing-6d5f8b7c9-m4q2r", container="billing")
              for k in range(5, 3600, 600)]
    report = _analysed(tmp_path, lines, "billing")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "tls-certificate")
    assert [(f["pattern_id"], f["count"], f["first_seen"]) for f in report["findings"]] == [
        ("tls-certificate-expired", 60, "2026-03-04T10:30:03Z")]


def test_ingress_nginx_rate_limit_of_an_ingress_named_for_the_service_is_its_refusal(tmp_path: Path) -> None:
    """ingress-nginx names an Ingress's limit-rps zone `<namespace>_<ingress>_<uid>_rps`: its
    "limiting requests" lines for the Ingress named for the service are why the service's callers
    got 503s (held-out IX09), though the controller wrote them and they name no upstream."""
    def limited(k: int) -> str:
        zone = "search_search-api_3f1c9a2e-8b7d-4c55-9e0a-1d2f3b4c5d6e_rps"
        return _controller(k, f"2026/03/04 10:{k // 60:02d}:{k % 60:02d} [error] 38#38: *{k} limiting "
                              f'requests, excess: 10.560 by zone "{zone}", client: 10.0.0.9, '
                              'server: search.example.com, request: "GET /q HTTP/1.1"')
    lines = [_ingress_access(k, 200, "search-search-api-8080", "10.8.1.2:8080") for k in range(0, 3600, 20)]
    lines += [_ingress_access(k + 1, 503, "search-search-api-8080", "-") for k in range(2400, 3600, 30)]
    lines += [limited(k + 2) for k in range(2400, 3600, 30)]
    lines += [_gke_line(k, "index refreshed", pod="search-api-5c8d7b9f4-q2x7p", container="search-api")
              for k in range(5, 3600, 600)]
    report = _analysed(tmp_path, lines, "search-api")
    verdict = (report["status"]["state"], report["root_cause"]["category"])
    assert verdict == ("degraded", "quota-or-rate-limit")


def test_a_stale_token_s_401s_on_routes_named_by_ids_are_no_callers_refused(tmp_path: Path) -> None:
    """Routes named by an id (`/api/matches/<id>`) are served every few minutes each; an old
    client's expired token refused on one of them now and then finds no answer on that route in
    the same minute by chance, which is no sign the service stopped answering its callers (blind
    set 1G09). The refusals rise in the window with the traffic, yet the hour is a healthy one."""
    def entry(k: int, route: str, status: int) -> str:
        return json.dumps({
            "insertId": f"q{k}-{status}", "timestamp": f"2026-03-04T{9 + k // 3600:02d}:{k // 60 % 60:02d}:"
            f"{k % 60:02d}Z", "logName": "projects/p/logs/run.googleapis.com%2Frequests",
            "resource": {"type": "cloud_run_revision",
                         "labels": {"service_name": "shop", "revision_name": "shop-00003-abc"}},
            "severity": "WARNING" if status == 401 else "INFO",
            "httpRequest": {"requestMethod": "GET", "requestUrl": f"https://shop.run.app{route}",
                            "status": status}}) + "\n"
    lines = [entry(k, f"/api/matches/{k // 3 % 60}", 200) for k in range(0, 7200, 3)]
    lines += [entry(k, f"/api/matches/{i * 7 % 60}", 401) for i, k in enumerate(range(61, 3600, 160))]
    lines += [entry(k, f"/api/matches/{i * 7 % 60}", 401) for i, k in enumerate(range(3661, 7200, 75))]
    assert _state(tmp_path, lines, "--since", "1h") == "ok"


def test_an_envoy_sidecar_s_own_answers_to_grpc_calls_are_failed_requests(tmp_path: Path) -> None:
    """Envoy answers a gRPC call it could not pass on with HTTP 200 and grpc-status UNAVAILABLE, and
    logs "200 UF ...": every call to a pod whose app listens on another port than the sidecar's
    inbound cluster read as served (blind set 2A10). Such lines are failed requests (503, as gRPC's
    HTTP mapping has it), and the inbound cluster names the port."""
    def line(k: int, minute: int, outcome: str, sizes: str) -> str:
        return (f'[2024-06-11T10:{minute + k // 60:02d}:{k % 60:02d}.100Z] "POST /ledger.v1.Ledger/Get '
                f'HTTP/2" 200 {outcome} - "-" {sizes} "-" "grpc-go/1.64.0" "r{k}" "ledger:50051" '
                '"10.40.2.58:50051" inbound|50051|| - 10.40.2.58:50051 10.40.3.44:40105 - default')
    ok = [line(k, 20, "- via_upstream", "90 40 3 2") for k in range(0, 600, 10)]
    failed = [line(k, 41, "UF upstream_reset_before_response_started{remote_connection_failure,"
                          "delayed_connect_error:_111}", "211 0 0 -") for k in range(0, 600, 10)]
    report = _paste_report(tmp_path, "\n".join(ok + failed) + "\n")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "port-mismatch")
    assert report["status"]["failed_requests"] == 60


def test_a_cause_begun_minutes_into_the_window_is_no_noise_when_the_baseline_had_none(
        tmp_path: Path) -> None:
    """A secret version destroyed four minutes into the window: the refresh logs its refusal every five
    minutes, and the requests fail only once the cached key expires, ten minutes later (blind set
    3H02). The refusal runs at one rate across the failures' start from near the window's start,
    which without a baseline reads as noise that was there all along; the baseline hour had none of
    it, so it began in the window, and it is the cause."""
    from datetime import datetime, timedelta

    t0 = datetime(2026, 3, 4, 9, 0)

    def entry(s: int, **fields: Any) -> str:
        ts = (t0 + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        labels = {"service_name": "shop", "revision_name": "shop-00003-abc"}
        return json.dumps({"insertId": f"x{s}-{len(fields)}", "timestamp": ts,
                           "resource": {"type": "cloud_run_revision", "labels": labels}, **fields}) + "\n"

    def request(s: int, status: int) -> str:
        return entry(s, logName="projects/p/logs/run.googleapis.com%2Frequests",
                     severity="ERROR" if status >= 500 else "INFO",
                     httpRequest={"requestMethod": "POST", "requestUrl": "https://shop.run.app/hook",
                                  "status": status})

    refusal = ("Error: 9 FAILED_PRECONDITION: Secret Version [projects/1/secrets/hmac/versions/6] is in "
               "DESTROYED state.")
    lines = [request(s, 503 if s >= 3600 + 900 else 200) for s in range(0, 7200, 10)]
    lines += [entry(s, logName="projects/p/logs/run.googleapis.com%2Fstderr", severity="ERROR",
                    textPayload=refusal) for s in range(3600 + 240, 7200, 300)]
    path = tmp_path / "shop.ndjson"
    path.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "shop", "--input", str(path), "--since", "1h",
                                       "--format", "json"])
    report = json.loads(result.output)
    assert report["root_cause"]["pattern_id"] == "secretmanager-version-not-enabled"


@pytest.mark.parametrize(("serving", "state"), [(True, "degraded"), (False, "down")])
def test_a_rollout_whose_newest_revision_never_started_stands_failed(
        tmp_path: Path, serving: bool, state: str) -> None:
    """A deploy's revision fails its startup probe and goes Ready=False seconds later; nobody deploys
    again, and the logs go on for forty minutes. The failure did not end, it stopped being retried:
    with the old revision serving beside it the service is degraded (a rollout that failed), not
    recovered (the old revision answered all along); a new service with no old revision serves
    nothing, down, whatever its database logged meanwhile (blind sets BD03, BE10)."""
    from tests.incidents.builder import Incident, day, startup_probe_failed

    inc = Incident("quotes", 21, day(2026, 7, 8, 9))
    old, new = inc.revision(7), inc.revision(8)
    inc.healthy_cloudsql(every=240.0, until=3590.0)
    if serving:
        for t in range(30, 3580, 20):
            inc.request(t, 200, "/api/quote", old, None)
    inc.deploy(600, new, old, "europe-west1-docker.pkg.dev/acme-prod/quotes/quotes:2.0.0")
    inc.system(880, startup_probe_failed("quotes-1", 8080), new, inc.instance())
    inc.ready_false(883, new, "The user-provided container failed to start and listen on the port defined "
                               "provided by the PORT=8080 environment variable within the allocated timeout.")
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert (report["status"]["state"], report["status"]["recovered_at"]) == (state, None)


def test_a_revision_not_ready_on_port_while_its_server_listens_on_another_is_a_port_mismatch(
        tmp_path: Path) -> None:
    """A Ktor service's revision goes Ready=False: it did not listen on PORT=8080, while its server
    logged "Responding at http://0.0.0.0:8081". The revision's message names the port it waited
    on, and the server named its own: they differ, a port mismatch, not an unexplained start-up
    failure (held-out NU01, read as unknown)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("ledger-api", 33, day(2026, 3, 12, 8))
    old, new = inc.revision(1), inc.revision(2)
    inc.deploy(60, new, old, "europe-west1-docker.pkg.dev/acme-prod/ledger/ledger-api:1.4.0")
    inc.text(80, "2026-03-12 08:01:20.068 [DefaultDispatcher-worker-1] INFO  Application - "
                 "Responding at http://0.0.0.0:8081", new, inc.instance(), log="stdout", severity="INFO")
    inc.ready_false(330, new, "The user-provided container failed to start and listen on the port defined "
                               "provided by the PORT=8080 environment variable within the allocated timeout.")
    report = json.loads(_exported(tmp_path, inc))
    assert report["root_cause"]["category"] == "port-mismatch", report["root_cause"]


def test_probes_failing_on_the_port_the_server_listened_on_are_a_start_up_too_slow(tmp_path: Path) -> None:
    """A .NET service's instance listened on 8080 and served; an hour later every new instance
    fails Cloud Run's startup TCP probe on 8080 and the requests fail the readiness check. The port
    is right (the server listened there): the instances did not listen in time, a start-up longer
    than the probe allows, not an unexplained failure (blind set NZ07, read as unknown)."""
    from tests.incidents.builder import Incident, day, startup_probe_failed

    inc = Incident("ledger-api", 41, day(2026, 1, 20, 6))
    rev, first = inc.revision(64), inc.instance()
    inc.text(20, "      Now listening on: http://[::]:8080", rev, first, log="stdout", severity="INFO")
    for t in range(60, 1800, 30):
        inc.request(t, 200, "/v1/postings", rev, first)
    for t in range(1900, 3600, 240):
        inc.system(t, startup_probe_failed("ledger-api-1", 8080), rev, inc.instance())
        for k in range(4):
            inc.request(t + 20 + k * 30, 503, "/v1/postings", rev, None,
                        text="The request failed because the instance failed the readiness check.")
    report = json.loads(_exported(tmp_path, inc))
    assert report["root_cause"]["category"] == "startup-timeout", report["root_cause"]


@pytest.mark.parametrize("promoted", [True, False])
def test_a_canary_deployed_without_traffic_fails_from_its_promotion(tmp_path: Path, promoted: bool) -> None:
    """A revision deployed behind a tag with no traffic, smoke-tested for seventeen minutes, then
    given 100%: its 500s begin with the promotion, a traffic move that names it, so the deploy is the
    trigger and, nothing deeper logged, the cause (blind set OD04, read as unknown with no trigger).
    Without the promotion record the revision served long before it failed: no deploy is blamed."""
    import copy

    from tests.incidents.builder import Incident, day

    inc = Incident("pricing-engine", 61, day(2026, 6, 3, 12))
    old, new = inc.revision(87), inc.revision(88)
    for t in range(0, 3600, 15):
        inc.request(t, 200, "/v2/quote", old, None)
    canary = inc.deploy(300, new, old, "europe-west4-docker.pkg.dev/acme-prod/svc/pricing-engine:v4.13.0")
    canary["protoPayload"]["request"]["service"]["spec"]["traffic"] = [
        {"revisionName": old, "percent": 100}, {"revisionName": new, "percent": 0, "tag": "canary"}]
    for t in range(320, 1380, 120):
        inc.request(t, 200, "/v2/quote", new, None)  # the tag's smoke tests
    if promoted:
        move = copy.deepcopy(canary)
        move["timestamp"] = inc.at(1380).strftime("%Y-%m-%dT%H:%M:%SZ")
        move["insertId"] = "promote1"
        spec = {"traffic": [{"revisionName": new, "percent": 100}]}
        move["protoPayload"]["request"]["service"]["spec"] = spec
        inc.entries.append(move)
    for t in range(1400, 2600, 10):
        inc.request(t, 500 if t % 30 == 0 else 200, "/v2/quote", new, None)
    report = json.loads(_exported(tmp_path, inc))
    trigger = report["status"]["trigger"]
    assert (trigger is not None and trigger["revision"] == new) is promoted, trigger
    assert (report["root_cause"]["category"] == "deployment-change") is promoted, report["root_cause"]


@pytest.mark.parametrize("patched", [True, False])
def test_nginx_refused_at_every_pod_after_the_service_was_patched_is_a_port_mismatch(
        tmp_path: Path, patched: bool) -> None:
    """An Argo CD sync patches the Service in front of the pods (its targetPort to 80 while they
    listen on 8080), and nginx is refused at port 80 of every pod from then on: the Service's port
    moved away from the pods, a port mismatch (blind set OD05, read as network-connectivity). With
    no Service change in the input, the refusals stay a connectivity failure."""
    pod = "catalog-api-6d8f7c9b54-q7wxn"
    def nginx(k: int, text: str, **kw: str) -> str:
        return _gke_line(k, text, pod=pod, container="nginx", **kw)
    lines = [nginx(k, _access(k), severity="INFO") for k in range(0, 1200, 20)]
    if patched:
        audit = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "k8s.io",
                 "methodName": "io.k8s.core.v1.services.patch",
                 "resourceName": "core/v1/namespaces/catalog/services/catalog-api",
                 "authenticationInfo": {"principalEmail": "system:serviceaccount:argocd:argocd"},
                 "request": {"spec": {"ports": [{"port": 80, "targetPort": 80}]}}}
        lines.append(json.dumps({
            "insertId": "audit1", "timestamp": "2026-03-04T10:20:00Z", "severity": "NOTICE",
            "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity", "protoPayload": audit,
            "resource": {"type": "k8s_cluster", "labels": {"cluster_name": "prod"}}}) + "\n")
    refused = ("{at} [error] 31#31: *{k} connect() failed (111: Connection refused) while connecting to "
               'upstream, client: 10.0.0.1, server: shop.example.com, request: "GET /api/catalog HTTP/1.1", '
               'upstream: "http://10.52.0.22:80/api/catalog", host: "shop.example.com"')
    for k in range(1210, 3600, 15):
        at = f"2026/03/04 10:{k // 60:02d}:{k % 60:02d}"
        lines.append(nginx(k, refused.format(at=at, k=k), log="stderr"))
        lines.append(nginx(k, _access(k, "GET /api/catalog", 502), severity="INFO"))
    category = _analysed(tmp_path, lines, "catalog-api")["root_cause"]["category"]
    assert category == ("port-mismatch" if patched else "network-connectivity"), category


@pytest.mark.parametrize(("end", "state"), [("Container called exit(0).", "recovered"),
                                          ("Container called exit(1).", "down")])
def test_a_job_whose_run_ended_done_after_its_failures_recovered(
        tmp_path: Path, end: str, state: str) -> None:
    """A Cloud Run job's reindex: its Redis refused it for six minutes, it retried, finished its
    batches and its container exited 0, a minute before the logs end: the run got its work done,
    recovered, however short the quiet after the last failure (held-out OE07, read degraded). A run
    that exited 1 did not."""
    def line(k: int, text: str, severity: str = "INFO") -> str:
        job = {"type": "cloud_run_job", "labels": {"job_name": "reindex", "location": "us-central1"}}
        return json.dumps({
            "insertId": f"j{k}", "timestamp": f"2026-08-14T02:{k // 60:02d}:{k % 60:02d}Z", "resource": job,
            "logName": "projects/p/logs/run.googleapis.com%2Fstderr", "severity": severity,
            "textPayload": text, "labels": {"run.googleapis.com/execution_name": "reindex-x7k2p"}}) + "\n"
    lines = [line(k, f"indexed batch {k // 10}") for k in range(0, 300, 10)]
    lines += [line(k, "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. "
                      "Connection refused.", "ERROR") for k in range(300, 660, 20)]
    lines += [line(k, f"indexed batch {k // 10}") for k in range(670, 840, 10)]
    lines.append(line(845, end, "INFO" if end.endswith("(0).") else "WARNING"))
    assert _analysed(tmp_path, lines, "reindex")["status"]["state"] == state


def test_an_indexed_job_is_the_service_its_pods_name(tmp_path: Path) -> None:
    """An Indexed Job's pods are `<job>-<index>-<random>`: `--service feature-backfill` reads its
    24 pods, whose container is `backfill` (held-out OJ09: no entries for the service)."""
    lines = [_gke_line(k, f"backfilled partition {k}", pod=f"feature-backfill-{k % 24}-x7k2p",
                       container="backfill", severity="INFO") for k in range(0, 1200, 30)]
    report = _analysed(tmp_path, lines, "feature-backfill")
    assert report["stats"]["entries"] == len(lines), report["stats"]


def test_a_listing_of_another_workload_s_pods_crash_looping_is_not_the_service_s_crash(
        tmp_path: Path) -> None:
    """A caller's logs (its calls to tax-service refused) pasted above `kubectl get pods -l
    app=tax-service`, every row CrashLoopBackOff: those are tax-service's pods, not the caller's,
    so the caller's root cause is no crash loop of its own (held-out MR02: the table joined into one
    entry, read as the caller's pods crash-looping)."""
    lines = ["$ kubectl -n shop logs deploy/checkout-web --timestamps"]
    for k in range(40):
        at = f"2026-04-02T09:{k:02d}:10.000000000Z"
        lines.append(f"{at} {{\"level\":\"error\",\"msg\":\"quote failed\",\"err\":\"dial tcp "
                     f"10.52.3.41:8080: connect: connection refused\"}}" if k >= 20
                     else f'{at} {{"level":"info","msg":"quote served","cart":"c{k}"}}')
    lines += ["", "$ kubectl get pods -n shop -l app=tax-service",
              "NAME                           READY   STATUS             RESTARTS       AGE",
              "tax-service-5c7d8f9b64-7wq2m   0/1     CrashLoopBackOff   8 (2m11s ago)  26m",
              "tax-service-5c7d8f9b64-hk4zd   0/1     CrashLoopBackOff   8 (1m47s ago)  26m"]
    report = _pasted(tmp_path, lines, "checkout-web")
    used = {link.get("pattern_id") for link in report["chain"]}
    assert "container-crash-loop" not in used, report["chain"]
    assert report["root_cause"]["category"] == "network-connectivity", report["root_cause"]


def test_pods_a_paste_shows_crash_looping_below_its_logs_are_down_now(tmp_path: Path) -> None:
    """`kubectl logs` of a worker that logged one error, then went on working until its stream
    stopped, above `kubectl get pods` with every pod in CrashLoopBackOff: the table is the pods'
    state when it was printed, after the logs, so the quiet after the error is no recovery (blind
    set BF02). Another workload whose name begins with the service's, running, serves none of its
    requests (held-out CV06)."""
    lines = ["$ kubectl logs -n media deploy/image-resizer --timestamps"]
    for k in range(80):
        at = f"2024-09-03T14:{k // 2:02d}:{(k % 2) * 30:02d}.000000000Z"
        lines.append(f'{at} {{"level":30,"msg":"resized","variants":4,"durationMs":{400 + k}}}')
        if k == 20:
            lines.append(f'{at} {{"level":50,"msg":"resize failed, sending to dead-letter"}}')
    lines += ["", "$ kubectl get pods -n media -l app=image-resizer",
              "NAME                             READY   STATUS             RESTARTS        AGE",
              "image-resizer-6d9c7b8f5d-2xkqp   0/1     CrashLoopBackOff   9 (2m14s ago)   3d5h",
              "image-resizer-6d9c7b8f5d-8vjlm   0/1     CrashLoopBackOff   10 (19s ago)    3d5h",
              "image-resizer-cron-5c8b9d7f6-x7q2p   1/1   Running   0   3d5h"]
    report = _pasted(tmp_path, lines, "image-resizer")
    status = report["status"]
    assert (status["state"], status["recovered_at"]) == ("down", None)


@pytest.mark.parametrize(("method", "category", "pattern_id"), [
    ("google.cloud.redis.v1.CloudRedis.FailoverInstance", "upstream-service-failure",
     "deploy-memorystore-instance-changed"),
    ("google.cloud.redis.v1.CloudRedis.GetInstance", "network-connectivity", None),
    (None, "network-connectivity", None),
])
def test_redis_refusing_connections_after_a_memorystore_failover_was_redis_away(
        tmp_path: Path, method: str | None, category: str, pattern_id: str | None) -> None:
    """ioredis is refused for a minute and a half, beginning a few seconds after someone failed the
    Memorystore instance over: the instance was away, not the path to it (blind set BD05). A read of
    the instance changes nothing, and without a change the refusals stay the network's reading."""
    from tests.incidents.builder import Incident, day

    inc = Incident("cart-api", 15, day(2025, 6, 3, 13))
    revision = inc.revision(88)
    for t in range(30, 7000, 15):
        failed = 4410 <= t < 4500
        instance = inc.instance()
        inc.request(t, 500 if failed else 200, "/cart", revision, instance, method="POST")
        if failed:
            inc.text(t, "[ioredis] Unhandled error event: Error: connect ECONNREFUSED 10.12.0.4:6379",
                     revision, instance, log="stderr", severity="ERROR")
    if method is not None:
        name = f"projects/{inc.project}/locations/europe-west1/instances/cart-cache"
        labels = {"instance_id": name, "project_id": inc.project, "region": "europe-west1"}
        inc.change(4400, method, name, "redis.googleapis.com", {"type": "redis_instance", "labels": labels})
    root = json.loads(_exported(tmp_path, inc))["root_cause"]
    assert (root["category"], root["pattern_id"] if pattern_id else None) == (category, pattern_id)


def test_a_crash_loop_with_no_error_of_its_own_is_an_unknown_cause(tmp_path: Path) -> None:
    """Pods exit with code 1 again and again after running normally, the app logging no error, and
    their readiness probe is refused between restarts: neither the restarts nor the refused probe
    (nothing listens while the container is down) say why, so the cause is unknown, not a slow start
    or a bug read into an exit code (blind set BD02)."""
    lines = ["$ kubectl -n ledger logs ledger-sync-7d9f8b6c5d-x2k4p --timestamps"]
    for k in range(30):
        lines.append(f"2024-04-08T09:{k:02d}:10.000000000Z info: committed batch offset={1000 + k}")
    lines += ["$ kubectl -n ledger describe pod ledger-sync-7d9f8b6c5d-x2k4p",
              "    Last State:     Terminated",
              "      Reason:       Error",
              "      Exit Code:    1",
              "Events:",
              "  Type     Reason     Age                  From     Message",
              "  ----     ------     ----                 ----     -------",
              "  Warning  Unhealthy  3m (x14 over 88m)    kubelet  Readiness probe failed: Get "
              "\"http://10.52.3.17:8080/ready\": dial tcp 10.52.3.17:8080: connect: connection refused",
              "  Warning  BackOff    2m (x310 over 88m)   kubelet  Back-off restarting failed container "
              "ledger-sync in pod ledger-sync-7d9f8b6c5d-x2k4p_ledger(5b1f0c2e)"]
    report = _pasted(tmp_path, lines, "ledger-sync")
    assert report["root_cause"]["category"] == "unknown"


@pytest.mark.parametrize(("detail", "category"), [
    ("Authentication required..", "missing-configuration"),
    ("Error 111 connecting to 10.31.0.5:6379. Connection refused..", "network-connectivity"),
])
def test_a_broker_that_refuses_the_workers_credential_is_its_configuration(
        tmp_path: Path, detail: str, category: str) -> None:
    """A Celery worker restarted with a broker URL that lost its Memorystore AUTH string loops on
    `consumer: Cannot connect to redis://...: Authentication required..` (redis-py's
    AuthenticationError for the server's NOAUTH, in Celery's retry line): the broker answered, so
    the path works and the URL's credential is wrong (held-out GG05); a refused connection is still
    the path's."""
    head = "Feb 17 07:{k:02d}:{s} worker-1 celery[9131]: [2025-02-17 07:{k:02d}:{s},100: {level}] "
    lines = [head.format(k=k, s=10, level="INFO/ForkPoolWorker-1")
             + f"Task invoices.send[{k:08d}-aaaa-bbbb-cccc-000000000000] succeeded in 0.2s: None"
             for k in range(2)]
    lines += [head.format(k=k, s=43, level="ERROR/MainProcess")
              + f"consumer: Cannot connect to redis://10.31.0.5:6379/0: {detail}" for k in range(2, 40)]
    report = _pasted(tmp_path, lines, "worker")
    assert report["root_cause"]["category"] == category


@pytest.mark.parametrize(("row", "state"), [
    ("nightly-reconcile-28602240   Complete   1/1           6m45s      40m", "ok"),
    ("nightly-reconcile-28602240   1/1           6m45s      40m", "ok"),
    ("nightly-reconcile-28602240   Failed     0/1           6m45s      40m", "degraded"),
])
def test_a_job_the_listing_shows_completed_handled_the_warnings_its_log_printed(
        tmp_path: Path, row: str, state: str) -> None:
    """A nightly CronJob's log, pasted with `kubectl get jobs | grep` for its warnings: records
    skipped for a currency mismatch (worded as a failure, at WARNING, no pattern's), and the newest
    Job is Complete 1/1 like the night before (kubectl 1.31's STATUS column, or without it): its
    run finished, nothing failed (held-out GD02). Listed Failed, the same warnings are all there is
    to say why."""
    skipped = "WARNING billing.reconcile Skipping INV-2024-{k}: currency mismatch (invoice EUR, payout GBP)"
    lines = ["$ kubectl -n billing get jobs | grep nightly-reconcile",
             "nightly-reconcile-28600800   Complete   1/1           7m12s      26h", row,
             "$ kubectl -n billing logs job/nightly-reconcile-28602240 --timestamps"]
    for k in range(40):
        at = f"02:{k // 6:02d}:{k % 6 * 10:02d}"
        said = skipped.format(k=k) if k % 13 == 5 else f"INFO billing.reconcile batch {k} done"
        lines.append(f"2024-05-14T{at}.000000000Z 2024-05-14 {at},000 {said}")
    report = _pasted(tmp_path, lines, "nightly-reconcile")
    assert report["status"]["state"] == state


def test_a_lasting_failure_the_window_shows_steady_beside_the_work_is_no_incident_carried_over(
        tmp_path: Path) -> None:
    """A worker's journal: its metrics push cannot resolve the gateway every five minutes from the
    first line to the last (a lasting category, name resolution), beside jobs picked and done; from
    minute 38 the worker is killed for memory three times. With no baseline, the steady warning ran
    beside the work before the kills came: noise, and the kills are the incident (held-out GR07).
    (A lasting failure a baseline holds is the same incident running on: blind set EA04.)"""
    head = "Dec 06 {t} reports-vm-1 report-worker[1873]: 2026-12-06 {t},000 "
    dns = ("WARNING metrics: push to pushgateway.monitoring.internal:9091 failed: <urlopen error "
           "[Errno -3] Temporary failure in name resolution>")
    lines = []
    for m in range(0, 72):
        t = f"02:{30 + m:02d}:30" if m < 30 else f"03:{m - 30:02d}:30"
        lines.append((head + ("INFO worker: picked job {m}" if m % 5 else dns)).format(t=t, m=m))
    killed = ("kernel: Out of memory: Killed process 1873 (python3) total-vm:4391718kB, anon-rss:3790400kB, "
              "file-rss:2277kB, shmem-rss:0kB, UID:998 pgtables:7739kB oom_score_adj:0")
    unit = "systemd[1]: report-worker.service: A process of this unit has been killed by the OOM killer."
    for t in ("03:08:52", "03:20:52", "03:33:52"):
        lines += [f"Dec 06 {t} reports-vm-1 {killed}", f"Dec 06 {t} reports-vm-1 {unit}"]
    report = _pasted(tmp_path, sorted(lines, key=lambda line: line[7:15]), "report-worker")
    assert report["root_cause"]["category"] == "memory-limit-exceeded"


def test_a_failure_logged_more_often_than_a_symptom_only_warned_of_stands_for_the_window(
        tmp_path: Path) -> None:
    """PHP-FPM warns twice that its workers were all busy, the first time before any request failed,
    beside fourteen exports aborted for memory: the memory kills, not the busy pool nothing linked
    them to, are the window's failure (blind set BP07)."""
    busy = "WARNING: [pool www] server reached pm.max_children setting (5), consider raising it"
    lines = [f"[17-Jun-2025 08:06:19] {busy}"]
    for k in range(14):
        lines.append(f"[17-Jun-2025 08:{14 + k * 2:02d}:53 UTC] PHP Fatal error:  Allowed memory size of "
                     "134217728 bytes exhausted (tried to allocate 20480 bytes) in "
                     "/var/www/html/app/Exports/CsvExport.php on line 88")
        if k == 7:
            lines.append(f"[17-Jun-2025 08:29:02] {busy}")
    report = _pasted(tmp_path, lines, "portal", "php.log")
    root = report["root_cause"]
    assert (root["category"], root["pattern_id"]) == ("memory-limit-exceeded", "php-memory-exhausted")


def test_a_pod_a_paste_shows_crash_looping_beside_pods_serving_is_no_recovery(tmp_path: Path) -> None:
    """Three requests fail as a pod is killed for memory, the other pods go on answering for two
    minutes, and `kubectl get pods` below the logs shows the killed pod in CrashLoopBackOff: the
    service is degraded, not recovered a second after the last failure (blind set BM02)."""
    lines = ["$ kubectl -n reports logs -l app=reports-api --timestamps --prefix"]
    for k in range(150):
        at = f"2024-05-14T08:{29 + k // 10:02d}:{(k % 10) * 6:02d}.000000000Z"
        status = "500 Internal Server Error" if k in (127, 128, 129) else "200 OK"
        lines.append(f'{at} INFO:     10.52.0.{k % 7 + 2}:5{k:04d} - "GET /api/v1/reports/{k} HTTP/1.1" '
                     f'{status}')
    lines += ["", "$ kubectl -n reports get pods -l app=reports-api",
              "NAME                           READY   STATUS             RESTARTS      AGE",
              "reports-api-6c9d7f8b54-4kzqp   0/1     CrashLoopBackOff   4 (21s ago)   2d",
              "reports-api-6c9d7f8b54-8vjlm   1/1     Running            0             2d",
              "", "$ kubectl -n reports describe pod reports-api-6c9d7f8b54-4kzqp",
              "    Last State:     Terminated",
              "      Reason:       OOMKilled",
              "      Exit Code:    137"]
    report = _pasted(tmp_path, lines, "reports-api")
    status = report["status"]
    assert (status["state"], status["recovered_at"]) == ("degraded", None)


def test_a_paste_listing_every_pod_of_the_service_unready_is_down_whatever_answered_above(
        tmp_path: Path) -> None:
    """An old pod's access log answers every request, then `kubectl get pods`, printed after it,
    lists the service's only pod crash-looping on a class its JVM cannot load: nothing serves now,
    so down (blind set CA06: a Recreate rollout). The same listing with a second pod of the service
    ready is degraded; another workload's ready pod in the listing is not the service's."""
    def paste(rows: list[str]) -> list[str]:
        log = ["$ kubectl -n ledger logs ledger-api-5f7c9b8d4-hx2mw"]
        log += [f'12:{40 + k // 20:02d}:{(k % 20) * 3:02d}.000 [nioEventLoopGroup-1-1] INFO  AccessLog - '
                f'"GET /v1/accounts/{k}/balance HTTP/1.1" 200 122 35ms' for k in range(120)]
        return [*log, "", "$ kubectl -n ledger get pods",
                "NAME                          READY   STATUS             RESTARTS      AGE", *rows,
                "", "$ kubectl -n ledger logs ledger-api-7d4b6f9c8-qm5zt",
                "Error: LinkageError occurred while loading main class com.acme.ledger.Application",
                "\tjava.lang.UnsupportedClassVersionError: com/acme/ledger/Application has been compiled "
                "by a more recent version of the Java Runtime (class file version 65.0), this version of "
                "the Java Runtime only recognizes class file versions up to 61.0",
                "", "$ kubectl -n ledger describe pod ledger-api-7d4b6f9c8-qm5zt",
                "      Reason:       CrashLoopBackOff"]
    crashing = "ledger-api-7d4b6f9c8-qm5zt    0/1     CrashLoopBackOff   6 (91s ago)   8m12s"
    other = "postgres-proxy-6d8f7c5b9-x2k4p 1/1     Running            0             41d"
    serving = "ledger-api-5f7c9b8d4-hx2mw    1/1     Running            0             3d"
    down = _pasted(tmp_path, paste([crashing, other]), "ledger-api")
    assert (down["root_cause"]["category"], down["status"]["state"]) == ("broken-build", "down")
    beside = _pasted(tmp_path, paste([serving, crashing]), "ledger-api", "beside.txt")
    assert beside["status"]["state"] == "degraded"


def test_answers_that_came_many_times_slower_at_the_end_are_degraded_not_ok(tmp_path: Path) -> None:
    """A chi access log over two hours (`--since 1h`) where every request is answered 200: at 30-60
    ms throughout, ok; from 09:38 at 2-4 s, degraded, saying how slow (the median of the last ten
    minutes against the baseline's) where no log line says why (blind set BD06). Slower by less
    than `verdict.SLOW_BY_S` (40 ms to 400 ms) is no incident."""
    def paste(slow_s: float) -> list[str]:
        lines = ["$ kubectl logs -n pricing deploy/quote-api --timestamps"]
        for k in range(0, 7200, 15):
            at = f"{8 + k // 3600:02d}:{k % 3600 // 60:02d}:{k % 60:02d}"
            took = f"{slow_s + (k % 7) * 0.1:.6f}s" if k >= 5880 else f"{30 + k % 30}.123456ms"
            lines.append(f"2024-07-09T{at}.000000000Z 2024/07/09 {at} "
                         f'[quote-api-7f9c6d5b8-2xkqz/Ta8vWq1sLm-{k:06d}] "GET http://quote-api:8080/v1/quote'
                         f'?pair=EURGBP HTTP/1.1" from 10.52.3.5:47419 - 200 202B in {took}')
        return lines
    def report(name: str, slow_s: float) -> dict[str, Any]:
        return _pasted(tmp_path, paste(slow_s), "quote-api", name, args=("--since", "1h"))
    slow = report("slow.txt", 2.5)
    assert (slow["status"]["state"], slow["root_cause"]["category"]) == ("degraded", "unknown")
    assert "got slow" in slow["root_cause"]["summary"]
    assert any("took a median" in r for r in slow["status"]["reasons"])
    assert report("steady.txt", 0.03)["status"]["state"] == "ok"
    assert report("a-little.txt", 0.4)["status"]["state"] == "ok"


def test_more_calls_to_a_route_that_was_always_slow_are_no_slowness(tmp_path: Path) -> None:
    """A model API answers /v1/embed in 40-70 ms and /v1/digest in 3-4 s all along; in the last ten
    minutes most calls are digests, so the median of all answers is many times the median before,
    yet each route is as fast as it was: ok, not degraded (blind set NS09). The same mix with the
    digests slowed to 20 s is slow (each route against its own)."""
    def paste(digest_ms: int) -> list[str]:
        lines = ["$ journalctl -u digest-api --since 13:00",
                 "-- Logs begin at Mon 2024-04-29 06:12:44 UTC, end at Tue 2024-05-14 14:00:10 UTC. --"]
        for k in range(0, 3600, 20):
            digest = k // 20 % (4 if k < 3000 else 1) == 0
            took = (digest_ms if k >= 3000 else 3200) + k % 700 if digest else 40 + k % 30
            route = "/v1/digest" if digest else "/v1/embed"
            at = f"May 14 13:{k // 60:02d}:{k % 60:02d}"
            lines.append(f"{at} ml-vm-1 node[1187]: POST {route} 200 {took}.731 ms - 113")
        return lines
    same = _pasted(tmp_path, paste(3200), "digest-api", "same.txt")
    assert same["status"]["state"] == "ok", same["status"]
    slower = _pasted(tmp_path, paste(20000), "digest-api", "slower.txt")
    assert slower["status"]["state"] == "degraded", slower["status"]


def _cart_paste(slow_from: int, slow_to: int, routes: int = 2, redis: bool = False) -> list[str]:
    """A journal of a cart API's morgan `dev` lines, one every 5 s for 40 minutes from 13:00, whose
    requests from minute ``slow_from`` to ``slow_to`` take 1.5-4 s every other one (on ``routes``
    of its routes; the rest 4-13 ms), then the Redis log of the same VM, which with ``redis`` says
    its AOF fsync waited on the disk through those minutes."""
    lines = ["$ journalctl -u cart-api --since 13:00",
             "-- Logs begin at Mon 2024-04-29 06:12:44 UTC, end at Tue 2024-05-14 13:40:10 UTC. --"]
    for k in range(0, 2400, 5):
        route = ("/api/cart/5135/total", "/api/cart/9775/items", "/api/cart/7057")[k // 5 % 3]
        slow = slow_from * 60 <= k < slow_to * 60 and k // 5 % 2 == 0 and k // 5 % 3 < routes
        took = f"{1500 + k % 2500}.123" if slow else f"{4 + k % 9}.731"
        at = f"13:{k // 60:02d}:{k % 60:02d}"
        lines.append(f"May 14 {at} cart-vm-1 node[1187]: GET {route} 200 {took} ms - 113")
    lines += ["", "$ sudo tail /var/log/redis/redis-server.log",
              "812:M 14 May 2024 12:55:48.854 * Background saving started by pid 23611",
              "812:M 14 May 2024 12:55:56.277 * Background saving terminated with success"]
    if redis:
        lines += [f"812:M 14 May 2024 13:{m:02d}:23.199 * Asynchronous AOF fsync is taking too long (disk is "
                  "busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down "
                  "Redis." for m in range(slow_from, slow_to)]
    return lines


def test_answers_slow_for_a_spell_that_passed_recovered_and_the_cause_logged_through_it_is_kept(
    tmp_path: Path,
) -> None:
    """Every request answered 200, but from 13:14 to 13:26 every other one took seconds on two
    routes: an incident that recovered, not a quiet window, saying when and how slow (held-out
    HN07, HN08). The Redis AOF fsync stall logged through those minutes is its cause, not a failure
    the service rode through. Two slow minutes, or one route slow (a report's own work), is no
    incident."""
    spell = _pasted(tmp_path, _cart_paste(14, 26), "cart-api", "spell.txt")
    assert (spell["status"]["state"], spell["status"]["onset"], spell["status"]["recovered_at"]) == (
        "recovered", "2024-05-14T13:14:00Z", "2024-05-14T13:26:00Z")
    assert any("a quarter of the answered requests took" in r for r in spell["status"]["reasons"])
    stalled = _pasted(tmp_path, _cart_paste(14, 26, redis=True), "cart-api", "redis.txt")
    assert (stalled["root_cause"]["pattern_id"], stalled["status"]["state"]) == ("redis-aof-fsync-slow",
                                                                                 "recovered")
    assert _pasted(tmp_path, _cart_paste(14, 16), "cart-api", "short.txt")["status"]["state"] == "ok"
    assert _pasted(tmp_path, _cart_paste(14, 26, routes=1), "cart-api", "one.txt")["status"]["state"] == "ok"


def test_a_failure_that_lasts_logged_calmly_to_the_end_beside_answered_requests_is_degraded(
    tmp_path: Path,
) -> None:
    """Every request answered, but from 11:09 the pods' service account may not list endpoints, and
    libcluster says so at WARNING every few seconds to the end: a failure that fails every attempt
    until the grant is made, not one the service coped with (held-out IA07), so degraded. Said the
    same way but ended 20 minutes before the logs end, it was coped with: no incident. So is a
    dependency's stream the SDK cannot resolve to the end, serving its last known flags and saying
    it will retry (GA07): a client retries through what it calls, not through being refused."""
    denied = ('[warning] [libcluster:k8s] cannot query kubernetes (unauthorized): endpoints is forbidden: '
              'User "system:serviceaccount:shop:shop-api" cannot list resource "endpoints" in API group "" '
              'in the namespace "shop"')
    unresolved = ("warn: [LaunchDarkly] Received I/O error (getaddrinfo EAI_AGAIN stream.launchdarkly.com) "
                  "for streaming request - will retry")
    def lines(until: int, warning: str = denied) -> list[str]:
        out = [_gke_line(k, f"11:{k // 60:02d}:{k % 60:02d}.436 request_id=r{k} [info] Sent 200 in 36ms",
                         pod="shop-api-7b4f6c5d9-zq81n") for k in range(0, 1800, 10)]
        return out + [_gke_line(k, warning, pod="shop-api-7b4f6c5d9-zq81n") for k in range(543, until, 15)]
    assert _analysed(tmp_path, lines(1800), "shop-api")["status"]["state"] == "degraded"
    assert _analysed(tmp_path, lines(600), "shop-api")["status"]["state"] == "ok"
    assert _analysed(tmp_path, lines(1800, unresolved), "shop-api")["status"]["state"] == "ok"


@pytest.mark.parametrize("served_after", [True, False])
def test_a_request_line_logged_at_error_that_answered_a_client_error_is_the_client_s(
    tmp_path: Path, served_after: bool,
) -> None:
    """pino-http logs a request it answered 400 for a validation error as "request errored" at
    level 50, with the error's stack: beside a route that goes on serving other callers, the
    client's failure, told at ERROR by the middleware's choice (held-out IB08), as when the error is
    a line of its own in the request's trace. When the 400s take the place of every caller served
    before, they are the incident's."""
    def request(k: int, status: int) -> str:
        line: dict[str, object] = {"level": 30, "msg": "request completed", "responseTime": 4,
                                   "req": {"id": k, "method": "POST", "url": "/v1/cart/price"},
                                   "res": {"statusCode": status}}
        if status >= 400:
            line |= {"level": 50, "msg": "request errored",
                     "err": {"type": "ValidationError", "message": '"items[0].quantity" must be >= 1',
                             "stack": "ValidationError: \"items[0].quantity\" must be >= 1\n"
                                      "    at priceCart (/app/src/routes/cart.js:41:11)"}}
        return _gke_line(k, line, severity="ERROR" if status >= 400 else "INFO")
    lines = [request(k, 200) for k in range(0, 3600, 10) if served_after or k < 1800]
    lines += [request(k, 400) for k in range(1805, 3600, 60)]
    assert (_analysed(tmp_path, lines, "web")["status"]["state"] == "ok") is served_after


@pytest.mark.parametrize(("killed", "category"), [(True, "memory-limit-exceeded"),
                                                  (False, "missing-configuration")])
def test_a_refused_loopback_after_the_kernel_killed_a_process_is_the_dependency_dying(
    tmp_path: Path, killed: bool, category: str,
) -> None:
    """On a VM the search engine runs beside the app on 127.0.0.1:9200: when the kernel's OOM killer
    killed it, the connections refused there are the dependency dead of memory (held-out IB10), not
    a host setting left at a development default, which a refused loopback alone suggests."""
    lines = ["$ journalctl -u catalog-search -u elasticsearch -k --since '2024-10-28 03:00'"]
    if killed:
        lines += ["Oct 28 03:12:44 search-1 kernel: Out of memory: Killed process 1893 (java) "
                  "total-vm:9876544kB, anon-rss:5124372kB, file-rss:0kB, shmem-rss:0kB, UID:110 "
                  "pgtables:10972kB oom_score_adj:0"]
    lines += [f"Oct 28 03:{13 + k // 6:02d}:{k % 6 * 10:02d} search-1 node[2211]: Error: connect "
              "ECONNREFUSED 127.0.0.1:9200" for k in range(24)]
    report = _pasted(tmp_path, lines, "catalog-search")
    assert report["root_cause"]["category"] == category


@pytest.mark.parametrize(("slow_from", "category"), [(1200, "deployment-change"), (2700, "unknown")])
def test_answers_slow_since_a_new_revision_with_nothing_logged_are_the_deploy_s(
    tmp_path: Path, slow_from: int, category: str,
) -> None:
    """A Deployment's pods answer in milliseconds until minute 20, when a new ReplicaSet takes over;
    from then on most of its answers take seconds and nothing is logged to say why: the slowness
    began with the new revision, so the deploy is the answer, and the slowness dates from its
    minute (held-out HN02, HN05). A new revision that answered well for 25 minutes before slowing
    did not start it."""
    old, new = "web-5c6b7d9f8-fghij", "web-7d9f8c6b4-abcde"
    def line(k: int) -> str:
        slow = k >= slow_from and k // 10 % 3 != 0
        took = f"{2000 + k % 3000}.5" if slow else f"{10 + k % 40}.5"
        route = ("/api/orders/17", "/api/search?q=x", "/api/products/3")[k // 10 % 3]
        return _gke_line(k, f"GET {route} 200 {took} ms - 61", pod=old if k < 1200 else new)
    report = _analysed(tmp_path, [line(k) for k in range(0, 3600, 10)], "web")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", category)
    if category == "deployment-change":
        assert report["status"]["onset"] == "2026-03-04T10:20:00Z"
        summary = report["root_cause"]["summary"]
        assert summary.startswith("The slow answers begin with revision web-7d9f8c6b4")


@pytest.mark.parametrize(("rows", "state"), [
    (["reconcile-29923820   Failed     0/1           4m5s       26m",
      "reconcile-29923840   Running    0/1           6m31s      6m31s"], "down"),
    (["reconcile-29923820   Running    0/1           47m        47m"], "down"),
    (["reconcile-29923820   Complete   1/1           2m40s      26m",
      "reconcile-29923840   Running    0/1           3m10s      3m10s"], "degraded"),
])
def test_a_cronjob_whose_listing_shows_its_newest_run_failed_or_stuck_is_down(
    tmp_path: Path, rows: list[str], state: str,
) -> None:
    """A CronJob runs every 20 minutes: the last ten minutes of its logs hold one run at most, so
    `kubectl get jobs` says whether its work gets done. After three runs that completed, its newest
    finished run Failed (the database out of connections, held-out HY03), or its newest has run for
    47 minutes with no pod done where the others took three (HY07): down. Its newest finished run
    completed and the one running is not overdue: the failures are one run's, degraded."""
    listing = ["$ kubectl -n ledger get jobs",
               "NAME                 STATUS     COMPLETIONS   DURATION   AGE",
               "reconcile-29923740   Complete   1/1           2m44s      106m",
               "reconcile-29923760   Complete   1/1           2m51s      86m",
               "reconcile-29923780   Complete   1/1           2m38s      66m", *rows]
    log = ["$ kubectl -n ledger logs --timestamps reconcile-29923840-p2wzn",
           *[f"2026-11-23T10:4{k}:10.000000000Z psycopg2.OperationalError: connection to server at "
             '"10.42.0.3", port 5432 failed: FATAL:  sorry, too many clients already' for k in range(3)]]
    assert _pasted(tmp_path, [*listing, *log], "reconcile")["status"]["state"] == state


@pytest.mark.parametrize("placed", [True, False])
def test_a_pod_the_scheduler_placed_once_a_node_was_added_is_no_failure(tmp_path: Path, placed: bool) -> None:
    """A CronJob's pod waits: no node has the memory it asks for, the cluster autoscaler adds one,
    and 96 s later the scheduler places it; the job runs and completes. The FailedScheduling that
    the Scheduled event ended is the autoscaler at work (held-out HY08), not an incident; a pod
    never placed is one."""
    def event(k: int, reason: str, message: str, severity: str) -> str:
        return json.dumps({
            "insertId": f"ev{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
            "logName": "projects/p/logs/events", "severity": severity,
            "resource": {"type": "k8s_pod", "labels": {"pod_name": "sitemap-29931040-k5n5b",
                                                       "namespace_name": "seo"}},
            "jsonPayload": {"kind": "Event", "reason": reason, "message": message,
                            "involvedObject": {"kind": "Pod", "name": "sitemap-29931040-k5n5b"}}}) + "\n"
    lines = [_gke_line(k, f"sitemap: wrote {k} urls", pod="sitemap-29931000-x2d4x")
             for k in range(0, 1800, 60)]
    lines.append(event(2400, "FailedScheduling", "0/2 nodes are available: 2 Insufficient memory. "
                       "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming "
                       "pod..", "WARNING"))
    if placed:
        lines.append(event(2496, "Scheduled", "Successfully assigned seo/sitemap-29931040-k5n5b to "
                           "gke-web-prod-batch-pool-3f1c9a2e-q9wl", "INFO"))
        lines += [_gke_line(k, f"sitemap: wrote {k} urls", pod="sitemap-29931040-k5n5b")
                  for k in range(2520, 3600, 60)]
    assert (_analysed(tmp_path, lines, "sitemap")["status"]["state"] == "ok") is placed


@pytest.mark.parametrize("started", [True, False])
def test_a_readiness_refusal_before_a_new_pod_s_server_listened_is_its_warm_up(
        tmp_path: Path, started: bool) -> None:
    """An autoscaled Tomcat pod (its work logged, no request log): one readiness refusal while it
    deploys its WAR, then its connector starts and it works with the others. The refusal passed with
    the warm-up (the pattern is `resolved_by` the server's start), no incident (blind set NY06); a
    pod whose server never said it started stays a failure."""
    pod = "storefront-web-7f9c6d5b8-tr4mw"
    def event(k: int) -> str:
        return json.dumps({
            "insertId": f"ev{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
            "logName": "projects/p/logs/events", "severity": "WARNING",
            "resource": {"type": "k8s_pod", "labels": {"pod_name": pod, "namespace_name": "shop"}},
            "jsonPayload": {"kind": "Event", "reason": "Unhealthy", "type": "Warning",
                            "message": 'Readiness probe failed: Get "http://10.52.1.9:8080/healthz": '
                                       "dial tcp 10.52.1.9:8080: connect: connection refused",
                            "involvedObject": {"kind": "Pod", "name": pod}}}) + "\n"
    def work(k: int, where: str) -> str:
        at = f"04-Mar-2026 10:{k // 60:02d}:{k % 60:02d}.100"
        return _gke_line(k, f"{at} INFO [exec-3] c.m.s.OrderSync - synced {k} orders", pod=where,
                         container="storefront-web", severity="INFO")
    lines = [work(k, "storefront-web-7f9c6d5b8-a1b2c") for k in range(0, 3600, 20)]
    lines.append(event(1210))
    if started:
        start = ('04-Mar-2026 10:20:12.750 INFO [main] org.apache.coyote.AbstractProtocol.start Starting '
                 'ProtocolHandler ["http-nio-8080"]')
        lines.append(_gke_line(1212, start, pod=pod, container="storefront-web", severity="INFO"))
        lines += [work(k, pod) for k in range(1230, 3600, 20)]
    state = _analysed(tmp_path, lines, "storefront-web")["status"]["state"]
    assert (state == "ok") is started, state


@pytest.mark.parametrize(("router", "state"), [("quotes-quote-service-api@kubernetescrd", "down"),
                                               ("shop-cart-api@kubernetescrd", "ok")])
def test_traefik_s_access_lines_for_the_service_s_router_are_its_requests(
    tmp_path: Path, router: str, state: str,
) -> None:
    """A GKE export of Traefik and the service behind it: the new pods listen on another port and log
    nothing, while Traefik answers every request to the service's router 502 (its common log
    format names the router: held-out IG07). Those lines are the service's requests, so it is down,
    not quiet; lines for another service's router stay that service's."""
    def traefik(k: int, status: int) -> str:
        at = f"04/Mar/2026:10:{k // 60:02d}:{k % 60:02d} +0000"
        return _gke_line(k, f'10.8.0.47 - - [{at}] "GET /api/quotes/7 HTTP/1.1" {status} 11 "-" '
                            f'"okhttp/4.12.0" {1000 + k} "{router}" "http://10.8.2.14:8080" 1ms',
                         pod="traefik-6b8d5f7c9-2vq8n", container="traefik")
    lines = [_gke_line(0, "Server listening at http://0.0.0.0:3000", pod="quote-service-58c9d6f7b-r7m2x",
                       container="quote-service")]
    lines += [traefik(k, 200 if k < 1800 else 502) for k in range(10, 3600, 10)]
    assert _analysed(tmp_path, lines, "quote-service")["status"]["state"] == state


def test_a_worker_crash_looping_beside_pods_a_listing_shows_ready_is_degraded(tmp_path: Path) -> None:
    """A queue worker (no requests) that `describe` shows OOMKilled and crash-looping: with `kubectl
    get pods` listing all three of its pods not ready, down (blind set BJ06: 1/2, its sidecar alone
    ready); with two of them Running 1/1, the kills stop one pod's work alone: degraded (CC09).
    Each row of the listing counts, on its own line or run together after the header."""
    def paste(ready: str) -> list[str]:
        return ["$ kubectl -n billing get pods",
                "NAME                                READY   STATUS             RESTARTS        AGE",
                "invoice-renderer-6b7f9d4c8d-4kx2p   0/1     CrashLoopBackOff   5 (3m13s ago)   54m",
                f"invoice-renderer-6b7f9d4c8d-h8v6n   {ready}     Running            4 (41s ago)     54m",
                f"invoice-renderer-6b7f9d4c8d-t2mzc   {ready}     Running            5 (9m4s ago)    54m",
                "", "$ kubectl -n billing describe pod invoice-renderer-6b7f9d4c8d-4kx2p",
                "    State:          Waiting",
                "      Reason:       CrashLoopBackOff",
                "    Last State:     Terminated",
                "      Reason:       OOMKilled",
                "      Exit Code:    137"]
    assert _pasted(tmp_path, paste("0/1"), "invoice-renderer")["status"]["state"] == "down"
    # (a pod with a sidecar ready beside the crashing container is no ready pod: 1/2)
    assert _pasted(tmp_path, paste("1/2"), "invoice-renderer", "sidecar.txt")["status"]["state"] == "down"
    beside = _pasted(tmp_path, paste("1/1"), "invoice-renderer", "beside.txt")
    assert (beside["root_cause"]["category"], beside["status"]["state"]) == (
        "memory-limit-exceeded", "degraded")


def test_a_job_task_that_ran_out_of_time_while_its_calls_failed_was_stopped_by_the_upstream(
        tmp_path: Path) -> None:
    """A Cloud Run job task retries an upstream that answers 503 for a quarter of an hour, then
    Cloud Run terminates it at its 900 s timeout and the execution fails: the upstream, failing on
    the task's instance all the while, is why it ran out of time (blind set CJ08), though its last
    503 came more than `chain.NEAR` before the timeout's line."""
    def line(ts: str, text: str, severity: str, log: str = "stdout") -> str:
        labels = {"instanceId": "00b56d2d21b39acc", "run.googleapis.com/execution_name": "sync-h2m9w",
                  "run.googleapis.com/task_index": "0", "run.googleapis.com/task_attempt": "0"}
        return json.dumps({
            "insertId": f"{log}-{ts}", "textPayload": text, "timestamp": f"2024-05-14T{ts}Z",
            "severity": severity, "labels": labels,
            "logName": f"projects/p/logs/run.googleapis.com%2F{log.replace('/', '%2F')}",
            "resource": {"type": "cloud_run_job", "labels": {
                "job_name": "catalog-sync", "location": "europe-west4", "project_id": "p"}},
        }) + "\n"
    failed = ("Supplier call failed, retrying\nSystem.Net.Http.HttpRequestException: Response status "
              "code does not indicate success: 503 (Service Unavailable).\n   at System.Net.Http."
              "HttpResponseMessage.EnsureSuccessStatusCode()")
    lines = [line("11:00:05.000000", "Catalog sync starting", "INFO")]
    lines += [line(f"11:{m:02d}:{s:02d}.000000", failed, "WARNING") for m in range(1, 11) for s in (10, 40)]
    lines += [line("11:15:07.870000",
                   "Terminating task because it has reached the maximum timeout of 900 seconds.",
                   "WARNING", "varlog/system"),
              line("11:15:09.000000",
                   "Execution sync-h2m9w has failed to complete, 0/1 tasks were a success.",
                   "ERROR", "varlog/system")]
    report = _analysed(tmp_path, lines, "catalog-sync")
    assert report["root_cause"]["category"] == "upstream-service-failure"


def test_the_error_logged_beside_most_failing_requests_explains_them_over_a_rarer_one(
        tmp_path: Path) -> None:
    """Untraced Cloud Run logs: 60 requests fail, each with Firestore's NotFound for a project
    without a database logged on its instance as it failed; 6 of them also panic on a nil pointer
    (the store mapped NotFound to nil). The NotFound, beside all of them, explains the failures;
    the panics explain their six (`chain._paired_shares`, blind set CF09)."""
    def entry(k: int, n: int, log: str, severity: str, text: str | None, status: int | None = None) -> str:
        at = f"2025-07-02T11:{k // 60:02d}:{k % 60:02d}.{n:06d}Z"
        doc: dict[str, Any] = {
            "insertId": f"{log}-{k}-{n}", "timestamp": at, "severity": severity,
            "logName": f"projects/p/logs/run.googleapis.com%2F{log}",
            "labels": {"instanceId": f"00a{k % 3}"},
            "resource": {"type": "cloud_run_revision",
                         "labels": {"service_name": "loyalty-api", "revision_name": "loyalty-api-00042-rus"}}}
        if text is not None:
            doc["textPayload"] = text
        if status is not None:
            doc["httpRequest"] = {"requestMethod": "POST", "requestUrl": "https://loyalty/v1/earn",
                                  "status": status}
        return json.dumps(doc) + "\n"
    missing = ("2025/07/02 11:30:00 POST /v1/earn: rpc error: code = NotFound desc = The project "
               "acme-loyalty does not exist or it does not contain an active Cloud Datastore or Cloud "
               "Firestore database.")
    panic = ("2025/07/02 11:30:00 http: panic serving 169.254.1.1:43354: runtime error: invalid memory "
             "address or nil pointer dereference\ngoroutine 12 [running]:\nnet/http.(*conn).serve.func1()"
             "\n\t/usr/local/go/src/net/http/server.go:1868 +0xb0\npanic({0x6941e0, 0x8e2350})"
             "\n\t/usr/local/go/src/runtime/panic.go:920 +0x270\ngithub.com/acme/loyalty-api/internal/"
             "points.ApplyVoucher(0x0)\n\t/src/internal/points/voucher.go:41 +0x1c")
    lines = [entry(k, 0, "requests", "INFO", None, 200) for k in range(0, 1800, 20)]
    for k in range(1800, 3600, 30):
        lines.append(entry(k, 0, "requests", "ERROR", None, 500))
        lines.append(entry(k, 1, "stderr", "ERROR", missing))
        if k % 300 == 0:
            lines.append(entry(k, 2, "stderr", "ERROR", panic))
    report = _analysed(tmp_path, lines, "loyalty-api")
    assert report["root_cause"]["category"] == "missing-configuration"


def test_a_pod_listing_reads_each_row_once_and_leaves_completed_job_pods_out(tmp_path: Path) -> None:
    """`impact._pod_listing` over a paste: the last listing of the service's pods, the row run
    together with the header and those on lines of their own, a pod ready only when all its
    containers are (1/2 is not), another workload's pods and a Job's pods that ran once (0/1
    Completed, 0/1 Error never restarted) left out."""
    from rca.api.loading import load
    path = tmp_path / "pods.txt"
    path.write_text("\n".join([
        "$ kubectl get pods", "NAME                 READY   STATUS             RESTARTS   AGE",
        "orders-7d4b6-aaaaa   1/1     Running            0          1d",
        "", "$ kubectl get pods", "NAME                 READY   STATUS             RESTARTS   AGE",
        "orders-7d4b6-qm5zt   0/1     CrashLoopBackOff   6          8m",
        "orders-7d4b6-x2k4p   1/2     Running            0          3d",
        "orders-7d4b6-w8n2c   1/1     Running            0          3d",
        "orders-migrate-7xk   0/1     Completed          0          2h",
        "orders-migrate-9pq   0/1     Error              0          2h",
        "orders-7d4b6-b7f1c   0/1     Error              3          3d",
        "redis-0              1/1     Running            0          40d"]) + "\n", encoding="utf-8")
    loaded = load([path], service="orders")
    assert impact._pod_listing(loaded.store.con, "orders") == (
        ["orders-7d4b6-qm5zt", "orders-7d4b6-x2k4p", "orders-7d4b6-b7f1c"], ["orders-7d4b6-w8n2c"])


def test_a_failed_job_a_describe_shows_without_a_time_is_explained_by_its_pods_timed_logs(
        tmp_path: Path) -> None:
    """A CronJob's pods log, with times, the database refusing their password and exit; `kubectl
    describe job` below, without a time, shows the Job controller giving up (BackoffLimitExceeded).
    No clock can order an untimed effect, so what was pasted together links them: the Job failed
    on the wrong credential, and with nothing after it the job is down (blind sets CJ02, CJ10)."""
    lines = []
    for n, pod in enumerate(("jj4qc", "njkt2", "z72vj")):
        at = f"2024-05-14T10:0{5 + n}:03"
        lines += [f"$ kubectl -n billing logs billing-rollup-28594685-{pod} --timestamps",
                  f'{at}.596204048Z {{"level":30,"msg":"starting hourly rollup"}}',
                  f'{at}.686402612Z {{"level":50,"err":{{"type":"DatabaseError","message":"password '
                  f'authentication failed for user \\"billing_rollup\\""}},"msg":"rollup failed"}}',
                  f'{at}.697546444Z {{"level":30,"code":1,"msg":"exiting"}}', ""]
    lines += ["$ kubectl -n billing describe job billing-rollup-28594685", "Events:",
              "  Type     Reason                Age    From            Message",
              "  ----     ------                ----   ----            -------",
              "  Normal   SuccessfulCreate      49m    job-controller  "
              "Created pod: billing-rollup-28594685-jj4qc",
              "  Warning  BackoffLimitExceeded  47m    job-controller  "
              "Job has reached the specified backoff limit"]
    report = _pasted(tmp_path, lines, "billing-rollup")
    assert (report["root_cause"]["category"], report["status"]["state"]) == (
        "missing-configuration", "down")


def test_a_paste_naming_the_service_s_pods_beside_a_host_unit_s_journal_is_about_the_service(
        tmp_path: Path) -> None:
    """`kubectl get pods` listing report-worker's pods, then the node's `journalctl -u kubelet`
    (the only workload its lines name is the unit): `--service report-worker` is the paste's
    subject, not a mistyped name (held-out CP09), and the kernel's OOM kills are read."""
    lines = ["$ kubectl -n reporting get pods",
             "NAME                              READY   STATUS    RESTARTS        AGE",
             "report-worker-6f8d7c9b45-2kq9x    1/1     Running   3 (4m14s ago)   70m",
             "report-worker-6f8d7c9b45-8jtcz    1/1     Running   1 (22m ago)     53m", "",
             "$ sudo journalctl -k --since 09:00"]
    for h, m in ((9, 14), (9, 31), (9, 48)):
        lines.append(f"Feb 18 {h:02d}:{m:02d}:07 gke-pool-1-w3lk kernel: Out of memory: Killed process "
                     f"4{m}11 (java) total-vm:14244936kB, anon-rss:9192440kB, file-rss:0kB, shmem-rss:0kB")
    lines += ["", "$ sudo journalctl -u kubelet --since 09:00"]
    for h, m in ((9, 14), (9, 31), (9, 48)):
        lines.append(f"Feb 18 {h:02d}:{m:02d}:12 gke-pool-1-w3lk kubelet[1873]: I0218 "
                     f'{h:02d}:{m:02d}:12.402307    1873 eviction_manager.go:380] "Eviction manager: must '
                     'evict pod(s) to reclaim" resourceName="memory"')
    report = _pasted(tmp_path, lines, "report-worker")
    assert report["root_cause"]["category"] == "memory-limit-exceeded"


def test_a_listing_with_the_service_s_pod_running_says_it_came_up_after_a_failed_start(
        tmp_path: Path) -> None:
    """A StatefulSet pod rescheduled after a node repair could not attach its disk (Multi-Attach,
    then the mount timed out: a start-up failure), and `kubectl get pods` shows it Running 2/2 with
    its logs going on after: it came up, so the failure ended (recovered), not a service that never
    started (held-out CP08). The listing counts whether or not a failure is shown without a time."""
    lines = ["$ kubectl -n monitoring get pods",
             "NAME                     READY   STATUS    RESTARTS   AGE",
             "prometheus-k8s-0         2/2     Running   0          28m",
             "alertmanager-main-0      2/2     Running   0          12d", "",
             "$ kubectl -n monitoring get events --field-selector involvedObject.name=prometheus-k8s-0 "
             "-o custom-columns=LAST:.lastTimestamp,REASON:.reason,FROM:.source.component,MESSAGE:.message",
             "LAST                   REASON               FROM                      MESSAGE",
             "2024-10-03T07:41:07Z   FailedAttachVolume   attachdetach-controller   Multi-Attach error "
             'for volume "pvc-6b1f2c0e" Volume is already exclusively attached to one node and '
             "can't be attached to another",
             "", "$ kubectl -n monitoring describe pod prometheus-k8s-0", "Events:",
             "  Warning  FailedMount  24m (x2 over 26m)  kubelet  Unable to attach or mount volumes: "
             "unmounted volumes=[prometheus-k8s-db], unattached volumes=[prometheus-k8s-db config]: "
             "timed out waiting for the condition",
             "", "$ kubectl -n monitoring logs prometheus-k8s-0 -c prometheus"]
    for k in range(0, 1500, 30):
        at = f"2024-10-03T{7 + (47 * 60 + k) // 3600:02d}:{(47 * 60 + k) // 60 % 60:02d}:{k % 60:02d}.604Z"
        lines.append(f'ts={at} caller=head.go:1355 level=info component=tsdb msg="Head GC completed" '
                     f"duration={100 + k % 7}.4ms")
    report = _pasted(tmp_path, lines, "prometheus-k8s")
    assert (report["root_cause"]["category"], report["status"]["state"]) == (
        "disk-or-filesystem", "recovered")


def test_a_consumer_s_pods_listed_ready_do_not_undo_a_failure_that_stopped_its_work(
        tmp_path: Path) -> None:
    """Kafka consumers whose pods `kubectl get pods` lists Running 1/1, whose logs show every
    listener stopped on a refused SASL password (Spring Kafka's 'Fatal consumer exception; stopping
    container'): ready pods say they started, not that they consume; the wrong credential, which
    fails every attempt, still stands: down (held-out BK02)."""
    lines = ["$ kubectl -n ledger get pods",
             "NAME                             READY   STATUS    RESTARTS   AGE",
             "ledger-writer-6c9f7d5b8-q7x2m   1/1     Running   0          36m",
             "ledger-writer-6c9f7d5b8-zt5vd   1/1     Running   0          35m", "",
             "$ kubectl -n ledger logs deploy/ledger-writer"]
    for k in range(0, 1200, 20):
        lines.append(f"2025-05-20T09:{k // 60:02d}:{k % 60:02d}.100Z  INFO 1 --- [ntainer#0-0-C-1] "
                     "c.acme.ledger.PostingListener : posted ledger entry batch of 50")
    lines += ["2025-05-20T09:20:18.206Z ERROR 1 --- [ntainer#0-0-C-1] "
              "org.apache.kafka.clients.NetworkClient   : [Consumer clientId=consumer-ledger-writer-1, "
              "groupId=ledger-writer] Connection to node -1 failed authentication due to: Authentication "
              "failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
              "org.apache.kafka.common.errors.SaslAuthenticationException: Authentication failed during "
              "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
              "2025-05-20T09:20:18.212Z ERROR 1 --- [ntainer#0-0-C-1] "
              "o.s.k.l.KafkaMessageListenerContainer    : Fatal consumer exception; stopping container"]
    for k in range(0, 2400, 60):
        at = 1230 + k
        lines.append(f"2025-05-20T{9 + at // 3600:02d}:{at // 60 % 60:02d}:{k % 60:02d}.000Z  INFO 1 --- "
                     "[   scheduling-1] c.acme.ledger.Housekeeping : nothing to archive")
    report = _pasted(tmp_path, lines, "ledger-writer")
    assert (report["root_cause"]["category"], report["status"]["state"]) == (
        "missing-configuration", "down")


def test_pods_whose_readiness_failed_while_the_database_restarted_and_then_worked_recovered(
        tmp_path: Path) -> None:
    """The only ReplicaSet's pods fail their readiness probe for two minutes while the database
    restarts, then go on working for half an hour (no request log in the export): the pods did
    start, so the failures ended, recovered, not a rollout that never started (blind set BE03)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("invoice-api", 31, day(2026, 3, 5, 10))
    pod = inc.pod("7c9d5b6f8")
    for t in range(0, 3600, 20):
        inc.text(t, f"invoice batch {t // 20} exported", "", pod)
    for t in range(1800, 1920, 10):
        inc.event(t, pod, "Unhealthy", 'Readiness probe failed: Get "http://10.52.3.17:8080/ready": dial tcp '
                                       '10.52.3.17:8080: connect: connection refused')
        inc.text(t + 1, "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
                 "", pod, log="stderr")
    status = json.loads(_exported(tmp_path, inc, "--since", "1h"))["status"]
    assert status["state"] == "recovered"


@pytest.mark.parametrize(("last_request", "state"), [(2100, "down"), (3580, "ok")])
def test_a_service_whose_requests_stopped_while_the_logs_went_on_is_no_all_clear(
        tmp_path: Path, last_request: int, state: str) -> None:
    """Requests every ten seconds, all answered, then none for the last twenty-five minutes while
    the database beside it goes on logging: nothing failed that the logs show, but where about sixty
    requests were due none came, so the service is down for a reason the logs do not hold (blind set
    BT09: all three pods fell silent at once). Requests to the end are a quiet window."""
    from tests.incidents.builder import Incident, day

    inc = Incident("orders-api", 33, day(2025, 7, 15, 10))
    revision = inc.revision(41)
    for t in range(0, last_request, 10):
        inc.request(t, 200, "/v1/orders", revision, None)
    inc.healthy_cloudsql(every=60.0, until=3590.0)
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert (report["status"]["state"], report["root_cause"]["category"]) == (state, "unknown")


def test_a_scheduled_burst_of_requests_then_its_usual_quiet_is_no_stop(tmp_path: Path) -> None:
    """A job's caller sends sixty requests in two minutes once an hour, all answered, then nothing,
    while the database beside it goes on logging: the quiet after a burst is how the service
    always runs, not requests that stopped (`verdict.stopped_steady`)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("report-builder", 34, day(2025, 7, 15, 10))
    revision = inc.revision(12)
    for t in range(600, 720, 2):
        inc.request(t, 200, "/tasks/build", revision, None, method="POST")
    inc.healthy_cloudsql(every=60.0, until=3590.0)
    report = json.loads(_exported(tmp_path, inc, "--since", "1h"))
    assert report["status"]["state"] == "ok"


def test_a_rails_app_logging_bots_404s_at_fatal_between_blank_lines_is_ok(tmp_path: Path) -> None:
    """Rails logs every unrouted request, a scanner's `/wp-login.php` too, at FATAL: the
    RoutingError between two blank messages behind Ruby's Logger prefix (actionpack
    DebugExceptions#log_error). The blank ones say nothing, the routing misses are the callers'; with
    every request served, the window is no incident (held-out CZ10)."""
    lines: list[str] = []
    for k in range(120):
        at = f"2024-12-03T16:{k // 2:02d}:{(k % 2) * 30:02d}.{k:06d}"
        rid = f"a5dd5cdc-e41f-d04e-d836-{k:012d}"
        lines += [f"I, [{at} #1]  INFO -- : [{rid}] Started GET \"/products/{k}\" for 10.8.0.{k % 9} at "
                  f"2024-12-03 16:{k // 2:02d}:{(k % 2) * 30:02d} +0000",
                  f"I, [{at} #1]  INFO -- : [{rid}] Completed 200 OK in 41ms (Views: 20.1ms | "
                  "ActiveRecord: 9.5ms | Allocations: 19191)"]
        if k in (84, 92, 100, 108, 116):  # a scanner's requests, late in the window
            bot = f"b0b0b0b0-e41f-d04e-d836-{k:012d}"
            lines += [f"I, [{at} #1]  INFO -- : [{bot}] Started GET \"/wp-login.php\" for 34.167.174.11 at "
                      f"2024-12-03 16:{k // 2:02d}:{(k % 2) * 30:02d} +0000",
                      f"F, [{at} #1] FATAL -- : [{bot}]   ",
                      f"F, [{at} #1] FATAL -- : [{bot}] ActionController::RoutingError (No route matches "
                      "[GET] \"/wp-login.php\"):",
                      f"F, [{at} #1] FATAL -- : [{bot}]   "]
    report = _pasted(tmp_path, lines, "storefront")
    assert report["status"]["state"] == "ok", report["status"]["reasons"]


def _function_entry(k: int, text: str, severity: str = "INFO") -> str:
    """One log line of the 1st gen Cloud Function `ship-hook`, ``k`` seconds into the hour."""
    return json.dumps({
        "insertId": f"f{k}-{len(text)}", "timestamp": f"2024-03-07T11:{k // 60:02d}:{k % 60:02d}.{k:06d}Z",
        "logName": "projects/p/logs/cloudfunctions.googleapis.com%2Fcloud-functions",
        "resource": {"type": "cloud_function",
                     "labels": {"function_name": "ship-hook", "region": "europe-west3"}},
        "severity": severity, "textPayload": text, "labels": {"execution_id": f"e{k}"},
    }) + "\n"


def _function_updated() -> str:
    """The Admin Activity entry of a redeploy (UpdateFunction) of `_function_entry`'s function at
    11:30:05, by ci@p.iam.gserviceaccount.com."""
    return json.dumps({
        "insertId": "audit1", "timestamp": "2024-03-07T11:30:05Z",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "cloud_function",
                     "labels": {"function_name": "ship-hook", "region": "europe-west3"}},
        "severity": "NOTICE",
        "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                         "methodName": "google.cloud.functions.v1.CloudFunctionsService.UpdateFunction",
                         "serviceName": "cloudfunctions.googleapis.com",
                         "resourceName": "projects/p/locations/europe-west3/functions/ship-hook",
                         "authenticationInfo": {"principalEmail": "ci@p.iam.gserviceaccount.com"}},
    }) + "\n"


@pytest.mark.parametrize("deployed", [True, False])
def test_a_function_without_revisions_failing_from_a_deploy_with_nothing_deeper_is_the_deploy_s(
        tmp_path: Path, deployed: bool) -> None:
    """A 1st gen Cloud Function answers 200 until an UpdateFunction, then half its executions
    finish with status 500 and nothing of its own says why: with no revision to compare, the
    deploy just before the failures is what began them (held-out PD04, read as unknown). Without
    the deploy in the input the cause stays unknown."""
    lines = []
    for k in range(0, 3600, 30):
        lines.append(_function_entry(k, "Function execution started", "DEBUG"))
        status = 500 if k >= 1860 and k % 60 == 0 else 200
        lines.append(_function_entry(k, f"Function execution took 14 ms, finished with status code: {status}",
                                     "DEBUG"))
    if deployed:
        lines.append(_function_updated())
    category = _analysed(tmp_path, lines, "ship-hook")["root_cause"]["category"]
    assert category == ("deployment-change" if deployed else "unknown"), category


@pytest.mark.parametrize("deployed", [True, False])
def test_a_function_without_revisions_is_triggered_by_the_deploy_just_before_its_failures(
        tmp_path: Path, deployed: bool) -> None:
    """A 1st gen Cloud Function names no revision to tie failures to: a redeploy (UpdateFunction)
    a minute before every execution begins failing to resolve a host is the trigger, and a host
    name failing to resolve right after a deploy is its configuration (held-out CY06). Without the
    deploy in the input nothing says so."""
    lines = []
    for k in range(0, 3600, 30):
        lines.append(_function_entry(k, "Function execution started", "DEBUG"))
        if k < 1860:
            lines.append(_function_entry(k, "Function execution took 41 ms, finished with status code: 200",
                                         "DEBUG"))
        else:
            lines.append(_function_entry(k, "socket.gaierror: [Errno -2] Name or service not known", "ERROR"))
            lines.append(_function_entry(k, "Function execution took 12 ms, finished with status code: 500",
                                         "DEBUG"))
    if deployed:
        lines.append(_function_updated())
    report = _analysed(tmp_path, lines, "ship-hook")
    trigger = report["status"]["trigger"]
    if deployed:
        assert (trigger["revision"], trigger["deployed_at"], trigger["by"]) == (
            None, "2024-03-07T11:30:05Z", "ci@p.iam.gserviceaccount.com")
        assert report["root_cause"]["category"] == "missing-configuration"
    else:
        assert trigger is None
        assert report["root_cause"]["category"] == "network-connectivity"


def test_requests_a_paste_gives_no_time_before_its_timed_logs_say_nothing_of_the_window(
        tmp_path: Path) -> None:
    """A paste opens with the image run locally (`docker run`, uvicorn answering two test calls
    202, no time on its lines), then the deployed revision's logs, timed, whose every start fails
    the startup probe: the untimed answers cannot be placed in the window, so they are no sign the
    service served, and nothing started: down (held-out DE08)."""
    lines = ["$ docker run -p 8080:8000 relay:dev",
             "INFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
             'INFO:     172.17.0.1:51240 - "POST /hooks/github HTTP/1.1" 202 Accepted',
             'INFO:     172.17.0.1:51252 - "POST /hooks/stripe HTTP/1.1" 202 Accepted',
             "$ gcloud logging read 'resource.labels.service_name=relay' "
             "--format='value(timestamp,textPayload)'"]
    for k in range(6):
        at = f"2024-10-02T14:{13 + 4 * k:02d}:45.335069Z"
        lines += [f"{at}\tINFO:     Uvicorn running on http://0.0.0.0:8000 (Press CTRL+C to quit)",
                  f'{at}\tDefault STARTUP TCP probe failed 1 time consecutively for container "relay-1" on '
                  "port 8080. The instance was not started."]
    report = _pasted(tmp_path, lines, "relay")
    assert (report["status"]["state"], report["status"]["requests"]) == ("down", 0)


def test_a_rollout_that_stalled_beside_old_pods_still_serving_is_no_all_clear(tmp_path: Path) -> None:
    """`kubectl describe deployment` says the rollout failed (Progressing False,
    ProgressDeadlineExceeded) while the old pods' access lines answer every request 200: a failed
    deploy is an incident, never an all-clear, whatever the old version still serves (held-out
    DP05)."""
    lines = ["$ kubectl -n shop logs deploy/catalog --timestamps"]
    for k in range(120):
        lines.append(f"2024-09-10T08:{k // 6:02d}:{(k % 6) * 10:02d}.000000000Z GET /v1/items/{k} 200 1.2ms")
    lines += ["$ kubectl -n shop describe deployment catalog",
              "Conditions:", "  Type           Status  Reason", "  ----           ------  ------",
              "  Available      True    MinimumReplicasAvailable",
              "  Progressing    False   ProgressDeadlineExceeded"]
    report = _pasted(tmp_path, lines, "catalog")
    assert report["status"]["state"] != "ok", report["status"]["reasons"]


def test_a_service_that_answered_nothing_from_its_failed_restart_on_is_down(tmp_path: Path) -> None:
    """A VM's service answers a request every 10 s, then is restarted into a jar built for a newer
    Java: every start dies and systemd gives up, seven minutes before the paste ends. No request
    failed (none reached it), but none was answered from the first error on, where about 40 were
    due: down, not degraded (held-out DU08)."""
    lines = ['$ journalctl -u geo-lookup --since "2025-09-03 14:00" --no-pager']
    for t in range(0, 1280, 10):
        lines.append(f"Sep 03 14:{t // 60:02d}:{t % 60:02d} geo-vm-2 java[48211]: [qtp-35] INFO "
                     f"io.geolookup.App - GET /v1/ip/45.116.167.{t % 250} 200 6ms")
    for k, t in enumerate(range(1300, 1360, 12)):
        when = f"Sep 03 14:{t // 60:02d}:{t % 60:02d} geo-vm-2"
        lines += [f"{when} java[{49000 + k}]: Exception in thread \"main\" "
                  "java.lang.UnsupportedClassVersionError: io/geolookup/App has been compiled by a more "
                  "recent version of the Java Runtime (class file version 65.0), this version of the Java "
                  "Runtime only recognizes class file versions up to 61.0",
                  f"{when} systemd[1]: geo-lookup.service: Main process exited, code=exited, "
                  "status=1/FAILURE"]
    lines.append("Sep 03 14:29:12 geo-vm-2 google_guest_agent[631]: Updating keys for user gcp-ops.")
    report = _pasted(tmp_path, lines, "geo-lookup")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("down", "broken-build")


def test_a_probe_refused_because_the_process_crashed_keeps_no_reading_of_a_slow_start(tmp_path: Path) -> None:
    """`kubectl describe` shows the container's last state as exit code 139 (a segmentation fault)
    and the events its startup and readiness probes refused: the crash explains the refusals, so the
    startup probe's usual meaning (start-up slower than the probe allows) is no account of them,
    and a crash whose cause no line says leaves the root cause unknown (held-out FB05)."""
    lines = [
        "$ kubectl -n search describe pod reranker-6d4b8c7f5-4hx2p",
        "    Last State:     Terminated",
        "      Reason:       Error",
        "      Exit Code:    139",
        "$ kubectl -n search get events --sort-by=.lastTimestamp",
        '32m   Warning   Unhealthy   pod/reranker-6d4b8c7f5-9qv7n   Startup probe failed: Get '
        '"http://10.52.2.9:8000/v2/health/ready": dial tcp 10.52.2.9:8000: connect: connection refused',
        '6m    Warning   Unhealthy   pod/reranker-6d4b8c7f5-4hx2p   Readiness probe failed: Get '
        '"http://10.52.1.14:8000/v2/health/ready": dial tcp 10.52.1.14:8000: connect: connection refused',
        '51m   Warning   Unhealthy   pod/reranker-6d4b8c7f5-4hx2p   Readiness probe failed: Get '
        '"http://10.52.1.14:8000/v2/health/ready": dial tcp 10.52.1.14:8000: connect: connection refused',
        '19m   Warning   Unhealthy   pod/reranker-6d4b8c7f5-9qv7n   Startup probe failed: Get '
        '"http://10.52.2.9:8000/v2/health/ready": dial tcp 10.52.2.9:8000: connect: connection refused',
    ]
    report = _pasted(tmp_path, lines, "reranker")
    assert report["root_cause"]["category"] == "unknown"
    assert "gke-container-exit-139" in [link["pattern_id"] for link in report["chain"]]


def test_a_node_process_ended_by_a_rejection_nobody_handled_is_the_app_s_bug(tmp_path: Path) -> None:
    """Node 15+ ends the process on a promise rejection no code handled (`triggerUncaughtException(err,
    true /* fromPromise */)`, then the rejection's reason): the reason is the app's own error and
    nothing deeper is logged, so the missing catch is the root cause, an application exception, not
    an unexplained crash (held-out FM01)."""
    lines = [
        "node:internal/process/promises:288",
        "            triggerUncaughtException(err, true /* fromPromise */);",
        "            ^",
        "",
        "[UnhandledPromiseRejection: This error originated either by throwing inside of an async function "
        "without a catch block, or by rejecting a promise which was not handled with .catch(). The promise "
        'rejected with the reason "Unknown event type: group_unsubscribe".] {',
        "  code: 'ERR_UNHANDLED_REJECTION'",
        "}",
        "",
        "Node.js v18.19.0",
    ]
    report = _pasted(tmp_path, lines, "notify-api")
    assert report["root_cause"]["category"] == "application-exception"
    assert report["root_cause"]["pattern_id"] == "node-unhandled-rejection"


@pytest.mark.parametrize(("counts", "state"), [
    ("accepted=42 rejected=0 forward_errors=0 queue_depth=0", "ok"),
    ('{"accepted": 42, "failed": 0, "errors": 0.0}', "ok"),
    ("accepted=42 rejected=7 forward_errors=0 queue_depth=0", "degraded"),
])
def test_a_stats_line_that_counts_no_failures_is_no_failure(tmp_path: Path, counts: str, state: str) -> None:
    """A relay's periodic `stats: accepted=42 rejected=0 forward_errors=0` line names what it counts;
    a count of none is no failure (`zero_counts`: held-out GO03 was degraded on its zeros alone), and
    the same line counting rejections still reads as one."""
    lines = [f"2025/03/04 14:{k:02d}:04 delivery=d{k} event=push status=202 dur=40ms" for k in range(60)]
    lines += [f"2025/03/04 14:{k:02d}:55 stats: {counts} goroutines=23" for k in range(0, 60, 10)]
    report = _pasted(tmp_path, sorted(lines), "relay")
    assert report["status"]["state"] == state


@pytest.mark.parametrize(("said", "state"), [
    ("[sentry] SENTRY_DSN is not set; error reporting disabled", "ok"),
    ("JWT_SECRET environment variable is missing. Falling back to an insecure development secret.", "ok"),
    ("[sentry] SENTRY_DSN is not set", "recovered"),
])
def test_a_setting_the_service_goes_on_without_is_no_failure(tmp_path: Path, said: str, state: str) -> None:
    """A Node service says at each start that an optional setting is missing and what it does
    instead ("error reporting disabled", "Falling back to ..."), then listens and serves every
    request: no failed start and no unexplained error (held-out PE09 read recovered on it). The
    bare "is not set" still reads as a setting the service needed."""
    lines = [f"2026-03-11 18:{k:02d}:{s:02d} GET 200 https://bff.a.run.app/api/tickets/{k}{s}"
             for k in range(60) for s in (5, 25, 45)]
    for start in (2, 41):
        lines += [f"2026-03-11 18:{start:02d}:06 {said}",
                  f"2026-03-11 18:{start:02d}:06 bff listening on 0.0.0.0:8080 (NODE_ENV=production)"]
    report = _pasted(tmp_path, sorted(lines), "bff")
    assert report["status"]["state"] == state


def test_a_pg_socket_closed_by_cloud_runs_sql_connection_that_could_not_dial_is_the_network_path(
        tmp_path: Path) -> None:
    """Cloud Run's built-in Cloud SQL connection logs `connection to Cloud SQL instance at ...:3307
    failed: timed out after 10s` and closes the app's socket, which node-postgres reports as
    `Connection terminated unexpectedly`: the path to the instance, not a restart, even beside an
    update of the instance (held-out GG03: its public IP was turned off)."""
    dial = ('Cloud SQL connection failed. Please see https://cloud.google.com/sql/docs/postgres/connect-run '
            'for additional details: dial error: failed to dial (connection name = "p:europe-west1:pg"): '
            'connection to Cloud SQL instance at 10.88.16.3:3307 failed: timed out after 10s')
    lines = [_request(k, 200 if k < 1800 else 500, None) for k in range(0, 3600, 30)]
    for k in range(1800, 3600, 30):
        lines.append(_stderr(k - 10.5, dial, "shop-00003-abc").replace("%2Fstderr", "%2Fvarlog%2Fsystem"))
        lines.append(_stderr(k - 0.5, "Error: Connection terminated unexpectedly", "shop-00003-abc"))
    lines.append(json.dumps({
        "insertId": "audit", "timestamp": "2026-03-04T10:28:00Z", "severity": "NOTICE",
        "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
        "resource": {"type": "cloudsql_database", "labels": {"database_id": "p:pg"}},
        "protoPayload": {"serviceName": "cloudsql.googleapis.com", "methodName": "cloudsql.instances.update",
                         "resourceName": "projects/p/instances/pg"}}) + "\n")
    report = _analysed(tmp_path, sorted(lines, key=lambda s: json.loads(s)["timestamp"]), "shop")
    assert report["root_cause"]["category"] == "network-connectivity"
    assert report["root_cause"]["pattern_id"] == "cloudsql-proxy-dial-timeout"


def test_cloud_run_s_cloud_sql_connection_refused_for_its_identity_is_why_mysql_lost_connections(
        tmp_path: Path) -> None:
    """Cloud Run's built-in Cloud SQL connection logs `... googleapi: Error 403: The client is not
    authorized to make this request., notAuthorized` and closes the app's socket, which PyMySQL,
    past its handshake's first read, reports as 2013 "Lost connection to MySQL server during query":
    the identity's missing access, not a dropped idle connection (held-out IU10)."""
    denied = ("Cloud SQL connection failed. Please see https://cloud.google.com/sql/docs/mysql/connect-run "
              "for additional details: failed to get instance: Refresh error: failed to get instance "
              'metadata (connection name = "p:us-central1:db"): googleapi: Error 403: The client is not '
              "authorized to make this request., notAuthorized")
    lost = "(2013, 'Lost connection to MySQL server during query')"
    # uvicorn's error and the chained traceback, one stderr entry per line as Cloud Run writes them
    stack = ["ERROR:    Exception in ASGI application", "Traceback (most recent call last):",
             '  File "/usr/local/lib/python3.12/site-packages/pymysql/connections.py", line 787, '
             "in _read_bytes",
             "    raise err.OperationalError(", f"pymysql.err.OperationalError: {lost}", "",
             "The above exception was the direct cause of the following exception:", "",
             "Traceback (most recent call last):", '  File "/app/signup/repo.py", line 28, in find_user',
             "    with engine.connect() as conn:",
             f"sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) {lost}"]
    lines = [_request(k, 200 if k < 1800 else 500, None) for k in range(0, 3600, 30)]
    for k in range(1800, 3600, 30):
        # logged as the request's own time, the app's lines after
        lines.append(_stderr(k, denied, "shop-00003-abc").replace("%2Fstderr", "%2Fvarlog%2Fsystem"))
        lines += [_stderr(k + 0.04 + n / 1000, text, "shop-00003-abc") for n, text in enumerate(stack)]
    report = _analysed(tmp_path, lines, "shop")
    assert (report["root_cause"]["category"], report["root_cause"]["pattern_id"]) == (
        "permission-denied", "cloudsql-not-authorized")


def test_a_pasted_ingress_controller_log_is_the_front_door_of_the_service_it_routes_to(
        tmp_path: Path) -> None:
    """`kubectl logs` of an ingress-nginx controller pasted above the service's own: the access
    lines that name the service's upstream (`[media-upload-api-8080]`) are its requests, and the
    controller's error log beside them says why uploads stopped reaching the pods (413s refused for
    a body-size limit a re-applied Ingress lost, held-out GY02); before, the controller's lines were
    another workload's and dropped, and a stray warning of the app's was the cause."""
    ua = '"https://pixora.app/" "Pixora/4.2.0 (Android 14)"'

    def at(k: int) -> str:
        return f"14:{k // 60:02d}:{k % 60:02d}"

    def access(k: int, request: str, status: int, upstream: str) -> str:
        return (f'10.8.0.2 - - [05/Mar/2024:{at(k)} +0000] "{request} HTTP/2.0" {status} 143 '
                f"{ua} 1381 0.200 [media-upload-api-8080] [] {upstream} 143 0.190 {status} req{k}")

    too_large = ("client intended to send too large body: 16077225 bytes, client: 10.8.0.2, server: "
                 'upload.pixora.app, request: "POST /v1/files HTTP/2.0", host: "upload.pixora.app"')
    lines = ["$ kubectl -n ingress-nginx logs ingress-nginx-controller-6c8f7b9d7-kx2pq --since=75m"]
    for k in range(0, 3600, 40):
        lines.append(access(k, "GET /v1/quota", 200, "10.8.2.14:8080"))
        if k < 1800:
            lines.append(access(k + 5, "POST /v1/files", 201, "10.8.2.14:8080"))
        else:
            lines.append(f"2024/03/05 {at(k + 5)} [error] 38#38: *{k} {too_large}")
            lines.append(access(k + 5, "POST /v1/files", 413, "-").replace("0.200", "0.000"))
    pod = "[pod/upload-api-7d9f8b6c5-x2x9q/api]"
    lines += ["", "$ kubectl -n media logs -l app=upload-api --since=75m --prefix"]
    lines += [f'{pod} time=2024-03-05T{at(k)}Z level=INFO msg="upload stored"' for k in range(5, 1800, 40)]
    lines.append(f'{pod} time=2024-03-05T14:14:51Z level=WARN msg="thumbnail enqueue failed, will retry" '
                 'err="dial tcp 10.12.7.40:9000: connect: connection refused"')
    report = _pasted(tmp_path, lines, "upload-api")
    assert report["stats"]["requests"] > 0
    assert report["root_cause"]["pattern_id"] == "nginx-client-body-too-large"


@pytest.mark.parametrize(("level", "state"), [("INFO", "ok"), ("SEVERE", "degraded")])
def test_a_java_util_logging_record_is_at_the_level_it_states(tmp_path: Path, level: str, state: str) -> None:
    """grpc-java logs a client's reset connection through java.util.logging as a record of three
    parts, its time and source, `INFO: Transport failed`, and the exception; Cloud Run keeps each
    stderr line an entry at ERROR. Re-joined, the record is at the level it states: INFO records
    are routine (held-out GX08 was degraded on them), SEVERE ones beginning halfway are errors."""
    def stderr(k: float, text: str) -> str:
        entry = _stderr(k, text, "shop-00003-abc")
        return entry.replace('"textPayload"', '"severity": "ERROR", "textPayload"')

    lines = [_request(k, 200, None) for k in range(0, 3600, 20)]
    for k in range(1800, 3600, 120):
        lines += [stderr(k, f"Mar 05, 2026 10:{k // 60:02d}:{k % 60:02d} AM "
                            "io.grpc.netty.shaded.io.grpc.netty.NettyServerTransport notifyTerminated"),
                  stderr(k + 0.001, f"{level}: Transport failed"),
                  stderr(k + 0.002, "io.grpc.netty.shaded.io.netty.channel.unix.Errors$NativeIoException: "
                                    "readAddress(..) failed: Connection reset by peer"),
                  stderr(k + 0.003, "\tat io.grpc.netty.shaded.io.netty.channel.unix.Errors.newIOException"
                                    "(Errors.java:117)")]
    report = _analysed(tmp_path, sorted(lines, key=lambda s: json.loads(s)["timestamp"]), "shop")
    assert report["status"]["state"] == state


@pytest.mark.parametrize(("rerun", "down"), [(False, True), (True, False)])
def test_a_spark_application_that_ended_failed_did_none_of_its_work_though_its_cluster_logs_on(
        tmp_path: Path, rerun: bool, down: bool) -> None:
    """YARN kills a Spark job's executors over physical memory until its stage aborts and the
    ApplicationMaster logs "Final app status: FAILED": the NodeManagers' housekeeping lines go on
    after it, but the run did none of its work, down (held-out JN01), not recovered when its errors
    stopped. A rerun that ended SUCCEEDED afterwards did the work."""
    def entry(k: int, minute: float, text: str, severity: str = "INFO", log: str = "yarn-userlogs") -> str:
        stamp = datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc) + timedelta(minutes=minute)
        return json.dumps({
            "insertId": f"sp{k}", "timestamp": stamp.isoformat().replace("+00:00", "Z"), "severity": severity,
            "logName": f"projects/acme-data/logs/{log}",
            "resource": {"type": "cloud_dataproc_cluster",
                         "labels": {"cluster_name": "etl-sessions", "region": "us-central1"}},
            "jsonPayload": {"message": text}}) + "\n"
    am = "INFO org.apache.spark.deploy.yarn.ApplicationMaster"
    finished = ("INFO org.apache.spark.scheduler.TaskSetManager: Finished task {k}.0 in stage 0.0 (TID {k}) "
                "in 11944 ms on etl-sessions-w-1 (executor 1) ({k}/40)")
    killed = ("WARN org.apache.spark.deploy.yarn.YarnAllocator: Container killed by YARN for exceeding "
              "physical memory limits. 12.2 GB of 12 GB physical memory used. Consider boosting "
              "spark.executor.memoryOverhead.")
    lines = [entry(k, k * 0.5, finished.format(k=k)) for k in range(1, 40)]
    lines += [entry(100 + k, 25 + 2 * k, killed, "WARNING") for k in range(4)]
    lines += [entry(110, 33, "ERROR org.apache.spark.scheduler.TaskSetManager: Task 57 in stage 3.0 failed "
                             "4 times; aborting job", "ERROR"),
              entry(111, 33.1, f"{am}: Final app status: FAILED, exitCode: 15, (reason: User class threw "
                               "exception: org.apache.spark.SparkException: Job aborted)"),
              entry(112, 33.2, "application_1764979200123_0042 State change from FINAL_SAVING to FAILED "
                               "on event = ATTEMPT_FAILED", log="hadoop-yarn-resourcemanager")]
    lines += [entry(200 + k, 34 + 2 * k, "Cache Size Before Clean: 1814186968, Total Deleted: 0, Public "
                                         "Deleted: 0, Private Deleted: 0", log="hadoop-yarn-nodemanager")
              for k in range(12)]
    if rerun:
        lines.append(entry(300, 55, f"{am}: Final app status: SUCCEEDED, exitCode: 0"))
    report = _analysed(tmp_path, lines, "etl-sessions")
    assert report["root_cause"]["category"] == "memory-limit-exceeded"
    assert (report["status"]["state"] == "down") is down, report["status"]


@pytest.mark.parametrize(("served_beside", "down"), [(False, True), (True, False)])
def test_a_scheduled_caller_refused_at_every_call_since_lost_the_service(
        tmp_path: Path, served_beside: bool, down: bool) -> None:
    """Cloud Scheduler calls /sync every quarter hour; its job is pointed at a service account
    without the invoker role and Cloud Run refuses every call after it, nine in half an hour: two
    answers were due there, too few for chance to rule out, but each refusal is one of those calls,
    so the service did none of its work, down (held-out JC02). The same refusals beside a caller the
    route still answers are that caller's trouble, not the service's."""
    from tests.incidents.builder import Incident, day

    refused = ("The request was not authenticated. Either allow unauthenticated invocations or set the "
               "proper Authorization header. Read more at https://cloud.google.com/run/docs/securing/"
               "authenticating")
    inc = Incident("crm-sync", 43, day(2024, 4, 17, 10))
    rev, instance, scheduler = inc.revision(27), inc.instance(), "Google-Cloud-Scheduler"
    for t in (0, 900, 1800):
        inc.request(t, 200, "/sync", rev, instance, method="POST", latency=35.0, user_agent=scheduler)
        inc.text(t + 36, "sync finished run_id=aa632 upserted 467 rows", rev, instance)
    for t in (2700, 2730, 2790, 3600, 3630, 3690, 4500, 4530, 4590):
        inc.request(t, 403, "/sync", None, None, method="POST", text=refused, user_agent=scheduler)
    if served_beside:
        for t in range(2760, 4600, 300):
            inc.request(t, 200, "/sync", rev, instance, method="POST", latency=30.0, user_agent="curl/8.5.0")
    report = json.loads(_exported(tmp_path, inc))
    assert (report["status"]["state"] == "down") is down, report["status"]
    if down:
        assert report["root_cause"]["category"] == "permission-denied"


def test_a_request_that_began_before_the_last_ten_minutes_and_ended_in_them_was_served_there(
        tmp_path: Path) -> None:
    """A transcoder takes a clip every two minutes; the long ones are cut at Cloud Run's 300 s
    timeout (504), the short ones answered. Its last request began 10.5 minutes before the logs
    end and was cut 5 minutes later, and ffmpeg's lines run to the end: the request log is timed
    where the request began, so the service was still serving in the last ten minutes, not stopped
    (held-out KI06: degraded, not down)."""
    from tests.incidents.builder import Incident, day

    timeout = ("The request has been terminated because it has reached the maximum request timeout. To "
               "change this limit, see https://cloud.google.com/run/docs/configuring/request-timeout")
    inc = Incident("clip-transcoder", 44, day(2026, 6, 2, 11))
    rev, instance = inc.revision(9), inc.instance()
    starts = list(range(0, 3900, 130))
    for k, t in enumerate(starts):
        if k % 3 == 1 and t > 1200:
            inc.request(t, 504, "/v1/transcode", rev, instance, method="POST", latency=300.0, text=timeout)
        else:
            inc.request(t, 200, "/v1/transcode", rev, instance, method="POST", latency=40.0)
    last = starts[-1] + 20
    inc.request(last, 504, "/v1/transcode", rev, instance, method="POST", latency=300.0, text=timeout)
    for t in range(10, last + 631, 30):  # (the last at 10.5 minutes after the last request began)
        inc.text(t, f"frame= {t * 50} fps= 54 q=28.0 size=   82682kB speed=1.83x", rev, instance)
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] == "degraded", report["status"]


@pytest.mark.parametrize("refused", [
    "Connection refused - connect(2) for 127.0.0.1:6379 (redis://localhost:6379)",
    "RedisClient::CannotConnectError: Connection refused - connect(2) for 127.0.0.1:6379 (redis://localhost:6379)",
    "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 5432)",
    "System.Net.Internals.SocketExceptionFactory+ExtendedSocketException (111): Connection refused "
    "127.0.0.1:5432",
    "Error: P1001: Can't reach database server at `localhost:5432`",
])
def test_a_loopback_address_refused_in_a_container_is_a_setting_left_unset_whatever_field_names_it(
        tmp_path: Path, refused: str) -> None:
    """A container's own loopback has nothing listening unless a sidecar does: Sidekiq whose REDIS_URL
    a Helm upgrade dropped connects to redis-client's default, 127.0.0.1:6379, and is refused at
    every start (held-out KN03). The library's rule reads the address in whichever field the
    pattern names it (connect(2)'s `addr`, redis-client's URL, asyncpg's `ip`, .NET's endpoint,
    Prisma's host and port), not only `host`."""
    lines = [_gke_line(k, f"worker {k} started", container="worker") for k in range(0, 600, 60)]
    lines += [_gke_line(600 + k * 40, refused, container="worker", log="stderr", severity="ERROR")
              for k in range(8)]
    report = _analysed(tmp_path, lines, "web")
    assert report["root_cause"]["category"] == "missing-configuration", report["root_cause"]


def test_jobs_done_before_a_worker_s_failures_began_are_no_work_going_on_beside_them(tmp_path: Path) -> None:
    """A journal paste of nine minutes: a Sidekiq unit completes jobs, is restarted onto a TLS
    endpoint its image does not trust, fails at every start until systemd stops restarting it. The
    whole paste is its recent period, so the jobs done before the restart are in it, but none was
    done since the failures began: nothing goes on beside them, down (held-out KN10)."""
    unit = "Sep 30 09:{:02d}:{:02d} vm-1 storefront-sidekiq[{}]: "
    systemd = "Sep 30 09:{:02d}:{:02d} vm-1 systemd[1]: storefront-sidekiq.service: "
    lines = ['$ journalctl -u storefront-sidekiq --since "09:04" --no-pager']
    for k in range(0, 480, 24):
        m, s = divmod(266 + k, 60)
        lines.append(unit.format(m, s, 48811) + f"2026-09-30T09:{m:02d}:{s:02d}.117Z pid=48811 tid=b4xq "
                     f"class=ScoreLeadsJob jid=9f2c{k:04d}ab elapsed=0.412 INFO: done")
    for k in range(5):
        m, s = divmod(758 + k * 12, 60)
        lines += [unit.format(m, s, 49600 + k) + "OpenSSL::SSL::SSLError: SSL_connect returned=1 errno=0 "
                  "peeraddr=10.61.0.12:6378 state=error: certificate verify failed (self-signed certificate "
                  "in certificate chain)",
                  systemd.format(m, s) + "Main process exited, code=exited, status=1/FAILURE",
                  systemd.format(m, s) + "Failed with result 'exit-code'."]
    lines += [systemd.format(13, 51) + "Start request repeated too quickly.",
              "Sep 30 09:13:51 vm-1 systemd[1]: Failed to start storefront-sidekiq.service - Sidekiq worker."]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "storefront-sidekiq")
    assert report["root_cause"]["category"] == "tls-certificate"
    assert report["status"]["state"] == "down", report["status"]


@pytest.mark.parametrize(("stopped", "state"), [
    ("KafkaMessageListenerContainer: Fatal consumer exception; stopping container", "degraded"),
    ("KafkaMessageListenerContainer: Consumer paused for 30s after a transient error", "recovered"),
])
def test_a_listener_stopped_until_restart_beside_requests_answered_is_no_recovery(
        tmp_path: Path, stopped: str, state: str) -> None:
    """A Spring service answers its REST lookups and consumes a Kafka topic. A rotated key is
    refused by the topic's ACL, spring-kafka stops the listener container, and nothing is consumed
    again while every lookup is answered: the errors end there, but the work they stopped does not
    come back until the process restarts (`until_restart`), so the service is degraded, not
    recovered (held-out KM06, a Pub/Sub subscriber so stopped). The same errors with a line that
    stops nothing recovered."""
    from tests.incidents.builder import Incident, day

    inc = Incident("notification-worker", 45, day(2026, 3, 4, 8))
    rev, instance = inc.revision(12), inc.instance()
    for t in range(0, 3600, 40):
        inc.request(t, 200, f"/api/notifications/PH{t:06d}", rev, instance)
    for t in range(10, 1500, 30):
        inc.text(t, f"Sent shipment notification for parcel PH{t:06d}", rev, instance)
    for t in range(1500, 1506):
        inc.text(t, "[Consumer clientId=consumer-notify-1, groupId=notify] Topic authorization failed for "
                    "topics [order.events]", rev, instance, severity="ERROR")
    inc.text(1507, stopped, rev, instance, severity="ERROR")
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] == state, report["status"]


def test_a_handler_failing_every_post_beside_access_lines_of_gets_answered_is_no_all_clear(
        tmp_path: Path) -> None:
    """`kubectl logs` of a Spring service from its start: its own access lines log the lookups it
    answered (GET, 200), and every payment POST throws in its handler (Tomcat's "Servlet.service()
    ... threw exception", a 500), refused at a localhost default its ConfigMap should have replaced.
    The access lines leave the failed POSTs out, so they do not say every request was answered: the
    handler's failures running from the first minute to the last are the incident, not how the
    service always ran (held-out KM08, read as no incident)."""
    def line(k: int, text: str) -> str:
        m, s = divmod(2458 + k, 60)
        return f"2024-03-12T08:{m % 60:02d}:{s:02d}.000000000Z 2024-03-12 08:{m % 60:02d}:{s:02d}.000 {text}"

    threw = ("ERROR 1 --- [nio-8080-exec-9] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() "
             "for servlet [dispatcherServlet] in context with path [] threw exception [Request processing "
             "failed; nested exception is org.springframework.web.client.ResourceAccessException: I/O error "
             "on POST request for \"http://localhost:9090/v1/authorizations\": Connection refused; nested "
             "exception is java.net.ConnectException: Connection refused] with root cause")
    lines = ["$ kubectl -n payments logs deploy/payment-service --timestamps",
             line(0, " INFO 1 --- [main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on "
                     "port(s): 8080 (http) with context path ''")]
    for k in range(60, 2400, 120):
        lines += [line(k, f" INFO 1 --- [nio-8080-exec-3] c.a.payments.web.AccessLog : GET "
                          f"/api/payments/PAY-{k} 200 17ms"),
                  line(k + 45, threw)]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "payment-service")
    assert report["status"]["state"] != "ok", report["status"]
    assert report["root_cause"]["category"] == "missing-configuration", report["root_cause"]


@pytest.mark.parametrize(("old_refused_too", "state"), [(False, "recovered"), (True, "ok")])
def test_a_client_error_only_a_new_revision_gave_where_the_old_one_served_is_a_failed_request(
        tmp_path: Path, old_refused_too: bool, state: str) -> None:
    """A deploy rebuilds an order API whose JSON parser lost its body limit: the new revision answers
    the large orders 413 and logs "PayloadTooLargeError: request entity too large" in their traces,
    where the revision before it took them (201); traffic is moved back and the 413s stop. Refused
    on a route the old revision served, and never so by it, those callers were failed by the deploy
    (held-out KP05, read as no incident), not clients sending what they should not. The same 413s
    where the old revision refused such bodies too are its everyday refusal."""
    from tests.incidents.builder import Incident, day

    inc = Incident("checkout-api", 46, day(2025, 1, 22, 10))
    old, new = inc.revision(47), inc.revision(48)
    inc.deploy(1080, new, old, "us-docker.pkg.dev/acme-prod/shop/checkout-api:48")
    for t in range(0, 4200, 60):
        rev = new if 1100 <= t < 3100 else old
        large = t % 300 == 0
        if large and (rev == new or (old_refused_too and t < 1100)):
            trace = inc.trace()
            inc.request(t, 413, "/v1/orders", rev, inc.instance(), method="POST", trace=trace)
            error = inc.text(t, "PayloadTooLargeError: request entity too large", rev, inc.instance(),
                             log="stderr", severity="ERROR")
            error["trace"] = trace
        else:
            inc.request(t, 201, "/v1/orders", rev, inc.instance(), method="POST")
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] == state, report["status"]
    if state == "recovered":
        assert report["root_cause"]["category"] == "deployment-change", report["root_cause"]


@pytest.mark.parametrize(("refused_from", "state"), [(1260, "degraded"), (0, "ok"), (300, "ok")])
def test_half_a_route_s_callers_refused_from_a_minute_on_at_the_same_pace_were_failed(
        tmp_path: Path, refused_from: int, state: str) -> None:
    """A ledger's POST /v1/entries is answered every 20 s for twenty minutes; from then on one call
    in two is refused 401 and nothing is logged of why, while the calls come at the same pace. The
    answers fell by half, not below it, so no fall says the refusals took their place; but a route
    answered thirty times and more with no refusal, then refusing half its callers, lost them
    (held-out KR09, read as no incident). A stale client refused at that share from the input's
    first minute was refused all along: that is how the route ran; so was one refused from its
    fifth, the route answered for too short a time before to say otherwise (blind set FI07: a
    session check answering 401 to visitors not logged in)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("payments-ledger", 47, day(2025, 6, 3, 10))
    rev, instance = inc.revision(9), inc.instance()
    for k, t in enumerate(range(0, 3600, 20)):
        status = 401 if t >= refused_from and k % 2 else 201
        inc.request(t, status, "/v1/entries", rev, instance, method="POST")
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] == state, report["status"]


@pytest.mark.parametrize(("others_go_on", "state"), [(True, "degraded"), (False, "down")])
def test_a_poison_job_retried_forever_beside_job_types_completed_at_their_pace_is_a_part_of_the_work(
        tmp_path: Path, others_go_on: bool, state: str) -> None:
    """A Laravel Horizon worker: one job type throws a TypeError on a poison payload and is retried
    every fifteen seconds forever, its FAIL lines four to each DONE of the other types, which go on
    completing at their pace. By counts most attempts fail; by the work, a part of it does: the
    other types complete since the failures began at half their pace before or more, so degraded,
    not down (held-out KN06). With no job completed since, down."""
    def line(k: int, text: str) -> str:
        m, s = divmod(k, 60)
        return f"  2026-09-14 07:{24 + m:02d}:{s:02d} {text}"

    lines = ["$ tail -n 400 storage/logs/horizon.log"]
    for k in range(0, 1500, 20):
        if k < 420 or others_go_on:
            lines.append(line(k, "App\\Jobs\\SendOrderConfirmation ........... 443.80ms DONE"))
        if k >= 420 and k % 20 == 0:
            lines += [line(k + 5, "App\\Jobs\\SyncShopifyInventory ............. 53.99ms FAIL"),
                      line(k + 10, "App\\Jobs\\SyncShopifyInventory ............. 61.63ms FAIL")]
    mapper = ("App\\Services\\Inventory\\VariantMapper::map(): Argument #1 ($payload) must be of type "
              "array, null given")
    lines += ["$ tail -n 3 storage/logs/laravel.log",
              f"[2026-09-14 07:48:44] production.ERROR: {mapper}, called in /var/www/shopsync/app/Jobs/"
              f"SyncShopifyInventory.php on line 47 {{\"exception\":\"[object] (TypeError(code: 0): {mapper} "
              "at /var/www/shopsync/app/Services/Inventory/VariantMapper.php:12)\"}"]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "shopsync")
    assert report["status"]["state"] == state, report["status"]


def test_form_posts_only_a_new_revision_refused_where_the_old_one_took_them_were_failed(
        tmp_path: Path) -> None:
    """A deploy reads a rotated session signing key: the new revision refuses the form posts of the
    sessions signed before it with 403, logging why at WARNING only ("Forbidden (CSRF cookie not
    set.)"), where the revision before it answered them 302; the pages go on. Refused only by the
    new revision on a route the old one served, those posts were failed by the deploy (held-out
    LA03, read as no incident)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("member-portal", 48, day(2025, 3, 11, 8))
    old, new = inc.revision(117), inc.revision(118)
    inc.deploy(1500, new, old, "europe-docker.pkg.dev/acme-prod/web/member-portal:118")
    for t in range(0, 3600, 30):
        rev = new if t >= 1560 else old
        inc.request(t, 200, "/events/", rev, inc.instance())
        if t % 90 == 0:
            refused = rev == new and t % 180 == 0
            inc.request(t + 5, 403 if refused else 302, "/account/profile/", rev, inc.instance(),
                        method="POST")
            if refused:
                inc.text(t + 5, "Forbidden (CSRF cookie not set.): /account/profile/", rev, inc.instance(),
                         log="stderr", severity="WARNING")
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] != "ok", report["status"]
    assert report["root_cause"]["category"] == "deployment-change", report["root_cause"]


@pytest.mark.parametrize(("detail", "category"), [
    ("HTTP probe failed with statuscode: 503", "unknown"),
    ('Get "http://10.60.2.46:8080/readyz": dial tcp 10.60.2.46:8080: connect: connection refused',
     "startup-timeout"),
])
def test_a_readiness_probe_the_server_answered_with_503_says_nothing_of_a_slow_start(
        tmp_path: Path, detail: str, category: str) -> None:
    """Pods that served for half an hour drop in and out of readiness, their probe answered 503, and
    some requests fail: the server runs and listens, and its own readiness check says what it waits
    for is not there. The probe's usual meaning, a start still loading (connection refused while
    nothing listens yet), does not hold, and nothing else in the logs says why: unknown (held-out
    KV10, read as a slow start)."""
    def request(k: int, path: str, status: int) -> str:
        return _gke_line(k, {"message": f"GET {path} {status}", "httpRequest": {
            "requestMethod": "GET", "requestUrl": path, "status": status}})

    lines = [request(k, f"/v1/lessons/{k}", 200) for k in range(0, 3600, 15)]
    for k in range(1800, 3600, 120):
        lines.append(json.dumps({
            "insertId": f"ev{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
            "severity": "WARNING",
            "logName": "projects/p/logs/events",
            "resource": {"type": "k8s_pod", "labels": {"pod_name": "web-7d9f8-abcde"}},
            "jsonPayload": {"kind": "Event", "reason": "Unhealthy", "type": "Warning",
                            "message": f"Readiness probe failed: {detail}",
                            "involvedObject": {"kind": "Pod", "name": "web-7d9f8-abcde"}}}) + "\n")
        lines.append(request(k + 3, f"/v1/lessons/x{k}", 503))
    report = _analysed(tmp_path, lines, "web")
    assert report["root_cause"]["category"] == category, report["root_cause"]


@pytest.mark.parametrize(("changed", "state"), [(True, "degraded"), (False, "ok")])
def test_one_caller_refused_from_an_invoker_binding_removed_early_in_the_window_was_failed(
        tmp_path: Path, changed: bool, state: str) -> None:
    """Two callers' renders are answered every 30 s each; six minutes into the window an IAM policy
    set on the service removes one caller's invoker binding, and from then on Cloud Run refuses each
    of that caller's renders 403 while the other's are answered. The route was answered for less
    than `SERVED_FOR_S` before the first refusal, which alone would read the refusals as how it
    runs; the change logged between its answers and the first refusal says they began with it
    (held-out JR08, read as no incident). Without the change, a route refused from its sixth minute
    keeps the benefit of the doubt."""
    from tests.incidents.builder import Incident, day

    inc = Incident("pdf-render", 49, day(2026, 11, 25, 14))
    rev, instance = inc.revision(112), inc.instance()
    refused = ("The request was not authenticated. Either allow unauthenticated invocations or set the "
               "proper Authorization header. Read more at https://cloud.google.com/run/docs/securing/"
               "authenticating")
    if changed:
        inc.change(391, "google.cloud.run.v2.Services.SetIamPolicy",
                   "projects/acme-prod/locations/us-central1/services/pdf-render", "run.googleapis.com",
                   inc.resource(""))
    for t in range(0, 3300, 30):
        inc.request(t, 200, "/render", rev, instance, method="POST", user_agent="Go-http-client/1.1")
        agent = "python-requests/2.32.3"
        if t < 400:
            inc.request(t + 9, 200, "/render", rev, instance, method="POST", user_agent=agent)
        else:
            inc.request(t + 9, 403, "/render", rev, None, method="POST", text=refused, user_agent=agent)
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] == state, report["status"]
    if changed:
        assert report["root_cause"]["category"] == "permission-denied", report["root_cause"]


def test_a_pasted_unit_named_for_its_server_then_the_service_is_the_service(tmp_path: Path) -> None:
    """`journalctl -u uwsgi-geoapi` pasted for `--service geoapi`: the unit is named for the server
    that runs the app, then the app; no entry carries `geoapi` itself, so the unit ending in it after
    a dash is the service, said in a note (held-out LE07, which exited 1 naming `uwsgi-geoapi`). Its
    uWSGI request lines are its requests."""
    lines = ["$ sudo journalctl -u uwsgi-geoapi --since \"13:05\" --no-pager"]
    for k in range(0, 1800, 10):
        status = 502 if k >= 1200 else 200
        at = f"13:{5 + k // 60:02d}:{k % 60:02d}"
        lines.append(f"Sep 03 {at} geo-web-1 uwsgi[812]: [pid: 1210|app: 0|req: {k}/{k}] 35.191.8.9 () "
                     f"{{48 vars in 912 bytes}} [Tue Sep  3 {at} 2024] GET /v1/reverse?lat=5{k} => "
                     f"generated 489 bytes in 110 msecs (HTTP/1.1 {status}) 3 headers in 102 bytes "
                     "(1 switches on core 0)")
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "geoapi")
    assert (report["status"]["requests"], report["status"]["failed_requests"]) == (180, 60), report["status"]
    assert any("uwsgi-geoapi" in note for note in report["notes"]), report["notes"]


def test_daphne_s_access_lines_and_websocket_handshakes_are_requests(tmp_path: Path) -> None:
    """Daphne logs HTTP requests without a protocol (`"GET /api/rooms" 200 2`) and each WebSocket
    handshake as it ends (`"WSCONNECT /ws/rooms/5/" - -`, accepted; `"WSREJECT ..."`, refused 403 by
    the application); the connection's start and end (WSCONNECTING, WSDISCONNECT) are no requests.
    A Channels app logging nothing else has these for its requests (held-out LE09 logged none)."""
    def daphne(k: int, request: str, outcome: str) -> str:
        when = f"04/Mar/2026:10:{k // 60:02d}:{k % 60:02d}"
        return _gke_line(k, f'10.8.0.1:5{k:04d} - - [{when}] "{request}" {outcome}')

    lines = []
    for k in range(0, 3600, 20):
        lines += [daphne(k, f"WSCONNECTING /ws/rooms/{k}/", "- -"),
                  daphne(k + 1, f"WS{'REJECT' if k % 200 == 0 else 'CONNECT'} /ws/rooms/{k}/", "- -"),
                  daphne(k + 5, "GET /api/rooms", f"{500 if k >= 2400 else 200} 2"),
                  daphne(k + 9, f"WSDISCONNECT /ws/rooms/{k}/", "- -")]
    report = _analysed(tmp_path, lines, "web")
    assert (report["status"]["requests"], report["status"]["failed_requests"]) == (360, 60), report["status"]


@pytest.mark.parametrize(("blip_at", "onset"), [(300, "2026-03-04T10:30"), (1500, "2026-03-04T10:25")])
def test_a_lone_reconnect_long_before_the_failures_is_not_their_onset(
        tmp_path: Path, blip_at: int, onset: str) -> None:
    """An indexer with no request log: its Pub/Sub stream resets once and reconnects, twenty-five
    minutes before its bulk items begin to fail on a mapping error: the reset is no start of the
    failures (held-out LD04: it set the onset before the rollout that began them, and the quiet
    after it read as all work stopped). Reset five minutes before the failures, it stays their
    onset."""
    lines = [_gke_line(k, {"severity": "INFO", "message": "bulk flush complete", "index": "products-v7",
                           "added": 985, "failed": 0}) for k in range(0, 3600, 20)]
    reset = ("rpc error: code = Unavailable desc = The service was unable to fulfill your request. "
             "Please try again. [code=8a75]")
    blip = {"severity": "WARNING", "message": "pubsub: stream error, reconnecting", "err": reset}
    lines.append(_gke_line(blip_at + 7, blip))
    lines += [_gke_line(k + 3, {"severity": "ERROR", "message": "bulk item failed", "status": 400,
                                "error_type": "mapper_parsing_exception",
                                "error_reason": "failed to parse field [price] of type [float] in document "
                                                f"with id 'sku-{k}'. Preview of field's value: 'N/A'"})
              for k in range(1800, 3600, 60)]
    report = _analysed(tmp_path, lines, "web")
    assert report["status"]["onset"].startswith(onset), report["status"]


def test_bun_s_error_with_its_properties_on_lines_of_their_own_is_one_error(tmp_path: Path) -> None:
    """Bun prints an error as `error: <message>` with its properties indented below it; a kubectl
    paste gives each its own line. Read as one error, the refused address its `path:` names is the
    container's own loopback: the rates URL setting fell back to a development default (held-out
    LL07, read as the network)."""
    lines = ["$ kubectl logs deploy/pricing-edge --timestamps"]
    for k in range(0, 1800, 20):
        at = f"2026-11-30T08:{k // 60:02d}:{k % 60:02d}"
        if k < 600:
            lines.append(f"{at}.100000000Z GET /price/sku-{k}?currency=EUR 200 7ms")
            continue
        lines += [f"{at}.100000000Z error: Unable to connect. Is the computer able to access the url?",
                  f'{at}.100030000Z   path: "http://localhost:8081/v1/rates?base=EUR&symbols=GBP",',
                  f"{at}.100060000Z  errno: 0,",
                  f'{at}.100090000Z   code: "ConnectionRefused"',
                  f"{at}.100120000Z ",
                  f"{at}.101000000Z GET /price/sku-{k}?currency=GBP 500 21ms"]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "pricing-edge")
    assert report["root_cause"]["category"] == "missing-configuration", report["root_cause"]


def test_sign_ins_refused_at_warn_behind_redirects_counted_as_answered_are_failures(
        tmp_path: Path) -> None:
    """Every SAML sign-in fails on the IdP's new signing certificate: Spring Security logs it at WARN
    and redirects to its failure page, a 302 the request log counts as answered, while the rest of
    the portal serves. The pattern says each match is a request failed (`fails_requests`), so it is
    no failure the service coped with beside requests that all succeeded (held-out LF04, read as no
    incident)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("contracts-portal", 52, day(2024, 6, 11, 14))
    rev = inc.revision(7)
    for t in range(0, 3600, 30):
        inc.request(t, 200, "/contracts", rev, inc.instance())
        if t >= 600 and t % 120 == 0:
            inc.request(t + 5, 302, "/login/saml2/sso/entra", rev, inc.instance(), method="POST")
            refused = ("2024-06-11T14:49:56.992Z  WARN 1 --- [contracts-portal] [nio-8080-exec-5] "
                       "c.a.c.security.SamlLoginFailureHandler   : SAML login failed (registration=entra): "
                       "Saml2AuthenticationException [invalid_signature] Invalid signature for object "
                       "[_92ba8b9a-a1af-7f9f-c31a-393c8de7b7a5]")
            inc.text(t + 5, refused, rev, inc.instance(), log="stdout", severity="WARNING")
    report = json.loads(_exported(tmp_path, inc))
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "tls-certificate"), \
        (report["status"], report["root_cause"])


def test_a_sidecar_cutting_plaintext_callers_at_info_beside_served_requests_is_degraded(
        tmp_path: Path) -> None:
    """A STRICT PeerAuthentication: the server pod's istio-proxy cuts a plaintext caller's every
    connection (Envoy's connection line `0 NR filter_chain_not_found`, at INFO like every access
    line) while the app's own access lines show its mesh callers served. Each line is a connection
    refused (the pattern `fails_requests`), not a failure the service coped with (held-out NH01,
    read as no incident)."""
    pod = "ledger-api-6d8f7c9b54-q7wxn"
    lines = [_gke_line(k, _access(k), pod=pod, container="ledger-api", severity="INFO")
             for k in range(0, 3600, 20)]
    cut = ('[2026-03-04T10:{m:02d}:{s:02d}.900Z] "- - -" 0 NR filter_chain_not_found - "-" 0 0 0 - "-" "-" '
           '"-" "-" "-" - - 10.48.2.15:8080 10.48.5.31:{port} - -')
    lines += [_gke_line(k, cut.format(m=k // 60, s=k % 60, port=40000 + k), pod=pod, container="istio-proxy",
                        severity="INFO")
              for k in range(1500, 3600, 300)]
    report = _analysed(tmp_path, lines, "ledger-api")
    assert (report["status"]["state"], report["root_cause"]["category"]) == ("degraded", "tls-certificate"), \
        (report["status"], report["root_cause"])


def _replaced_by_a_crash_loop(tmp_path: Path, every: int) -> dict[str, Any]:
    """A model server's one pod answers a request every ``every`` seconds (its uvicorn access lines
    are the only request log) for 22 minutes; a Recreate rollout stops it, and the new pod dies at
    start-up on an error no pattern knows, the kubelet backing off its restarts to the end, six
    minutes later."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("ranker", 12, day(2025, 3, 18, 9, 40))
    old, new = "ranker-6b7f9c8d4-x2kqp", "ranker-58d4c7f5b9-7hwzt"
    for t in range(3, 1350, every):
        inc.text(t, f'INFO:     10.52.0.17:{40000 + t} - "POST /v1/rank HTTP/1.1" 200 OK', "", old)
    inc.rollout(1358, "us-docker.pkg.dev/acme/ml/ranker:2.4.0")
    inc.text(1359, "INFO:     Finished server process [1]", "", old)
    for t in range(1400, 1750, 70):
        inc.text(t, "INFO:     Started server process [1]", "", new)
        inc.text(t + 20, "ValueError: The ranking window (4096) is larger than the cache can hold (1024)",
                 "", new, log="stderr")
        inc.event(t + 30, new, "BackOff", f"Back-off restarting failed container ranker in pod {new}")
    return json.loads(_exported(tmp_path, inc))


def test_steady_requests_that_stopped_when_their_pod_was_replaced_by_a_crash_loop_are_down(
        tmp_path: Path) -> None:
    """Requests that came steadily, four a minute, stopped where the errors began, and a crash loop
    stands as the logs end: six quiet minutes would have held some 25 of them, which steady
    traffic does not leave out by chance, so nothing is served: down (held-out LT01). The old
    pod served without errors until it was stopped, not beside the failures, and the report says
    which unexplained line the failing revision logged."""
    report = _replaced_by_a_crash_loop(tmp_path, 15)
    assert report["status"]["state"] == "down", report["status"]["reasons"]
    summary = report["root_cause"]["summary"]
    assert "had served without errors until" in summary
    assert "ValueError: The ranking window" in summary


def test_a_trickle_of_requests_that_went_quiet_beside_a_crash_loop_is_not_called_stopped(
        tmp_path: Path) -> None:
    """The same rollout, where the old pod was asked once every two minutes: six quiet minutes
    would have held three requests, which a trickle leaves out by chance, so its quiet says
    nothing of whether the service still serves."""
    report = _replaced_by_a_crash_loop(tmp_path, 120)
    assert report["status"]["state"] != "down", report["status"]["reasons"]


def test_a_trickle_served_by_pods_stopped_for_a_rollout_that_never_started_is_down(tmp_path: Path) -> None:
    """A model server's one pod answers a request every half minute; a Recreate rollout stops it
    and the new pod's startup probe is refused from its first seconds to the end, four and a half
    minutes later. Nine requests were due in that quiet, too few to say by themselves that the
    requests stopped, but the revision that answered them is gone and the only one since never
    started: nothing is served, down (held-out LT04)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("ranker", 12, day(2025, 4, 9, 10, 44))
    old, new = "ranker-5f6d8c7b94-c4wzd", "ranker-7c9d5b8f6-p8m2r"
    for t in range(3, 1080, 30):
        inc.text(t, f'INFO:     10.64.1.12:{40000 + t} - "POST /v1/rank HTTP/1.1" 200 OK', "", old)
    inc.rollout(1100, "europe-docker.pkg.dev/acme/ml/ranker:3.1.0")
    inc.text(1101, "INFO:     Finished server process [1]", "", old)
    inc.text(1140, "INFO:     Started server process [1]", "", new)
    for t in range(1150, 1400, 10):
        inc.event(t, new, "Unhealthy", 'Startup probe failed: Get "http://10.64.3.27:8000/health": '
                  "dial tcp 10.64.3.27:8000: connect: connection refused")
    status = json.loads(_exported(tmp_path, inc))["status"]
    assert status["state"] == "down", status["reasons"]


def test_every_call_failed_since_a_unit_systemd_gave_up_on_is_down_however_few(tmp_path: Path) -> None:
    """A VM's service answers its calls (through nginx) until a release breaks its start: systemd
    restarts it five times, then gives up ("Start request repeated too quickly"). nginx refuses the
    four calls that came after: too few for a rate, but every one since the first failed while a
    failure that keeps the service from running stands, so none was served: down (held-out ME03)."""
    lines = ['$ journalctl --since "2026-10-27 09:12" --no-pager']
    for k, t in enumerate(range(0, 320, 40)):
        when = f"09:{12 + t // 60:02d}:{t % 60:02d}"
        lines.append(f"Oct 27 {when} geo-api-1 gunicorn[2841]: 10.128.0.12 - - [27/Oct/2026:{when} +0000] "
                     f'"GET /v1/ip/{k} HTTP/1.0" 200 143 "-" "okhttp/4.12.0"')
    for k in range(5):
        when = f"Oct 27 09:17:{10 + k * 6:02d} geo-api-1"
        lines += [f"{when} gunicorn[{3500 + k}]: ModuleNotFoundError: No module named 'geoip2'",
                  f"{when} systemd[1]: geo-api.service: Main process exited, code=exited, status=1/FAILURE"]
    gave_up = "Oct 27 09:17:45 geo-api-1 systemd[1]: geo-api.service:"
    lines += [f"{gave_up} Start request repeated too quickly.",
              f"{gave_up} Failed with result 'start-limit-hit'."]
    for k, t in enumerate((55, 92, 118, 148)):
        when = f"09:{18 + t // 60:02d}:{t % 60:02d}"
        lines.append(f"Oct 27 {when} geo-api-1 nginx[911]: 2026/10/27 {when} [error] 913#913: *{88120 + k} "
                     "connect() failed (111: Connection refused) while connecting to upstream, "
                     "client: 10.128.0.12, "
                     f'server: geo.internal, request: "GET /v1/ip/{k} HTTP/1.0", upstream: '
                     f'"http://127.0.0.1:5000/v1/ip/{k}", host: "geo.internal"')
    report = _pasted(tmp_path, lines, "geo-api")
    assert report["status"]["state"] == "down", report["status"]["reasons"]


def test_a_stack_that_only_printed_a_blip_set_aside_as_noise_is_noise_too(tmp_path: Path) -> None:
    """A Java service's Eureka client loses its registry for half a minute while the registry
    restarts, and prints "TransportException: Cannot execute request on any known server" with its
    frames; every request before, during and after is served. The named failure is absorbed, and
    the catch-all that matched the same stacks (any Java exception) says no more than it did: the
    window is no incident (held-out LZ08)."""
    from tests.incidents.builder import Incident, day

    inc = Incident("catalog", 9, day(2025, 4, 2, 13, 40))
    revision = inc.revision(12)
    stack = ("com.netflix.discovery.shared.transport.TransportException: Cannot execute request on any known "
             "server\n\tat com.netflix.discovery.shared.transport.decorator.RetryableEurekaHttpClient.execute"
             "(RetryableEurekaHttpClient.java:112) ~[eureka-client-2.0.2.jar!/:2.0.2]\n\tat "
             "com.netflix.discovery.DiscoveryClient.renew(DiscoveryClient.java:837) "
             "~[eureka-client-2.0.2.jar!/:2.0.2]")
    for t in range(5, 2400, 10):
        inc.request(t, 200, "/api/products", revision, None)
    for t in (1000, 1009, 1020):
        inc.text(t, stack, revision, inc.instance(), severity="ERROR")
    status = json.loads(_exported(tmp_path, inc))["status"]
    assert status["state"] == "ok", status["reasons"]


def test_a_dependency_outage_that_ended_amid_steady_error_noise_recovered(tmp_path: Path) -> None:
    """A Go frontend on GKE with no request log, every line on stderr (ERROR): "Ticket not found"
    every four minutes from the first to the last, and for three minutes mid-hour its Redis (whose
    saves are logged every five) refuses connections and the frontend's readiness probes fail. The
    outage ended twenty minutes before the logs did: the steady line is the frontend's everyday
    noise, not the outage going on, and pods that had served for twenty minutes before their probes
    failed had started, though they logged nothing below ERROR since: recovered, not down
    (held-out MI02)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("matcher", 12, day(2026, 11, 20, 7, 58))
    pods = ["matcher-5f7d9c6b8d-zt6mk", "matcher-5f7d9c6b8d-qw4zr"]
    for k, t in enumerate(range(10, 2900, 240)):
        inc.text(t, f'time="x" level=error msg="Ticket id:c{k}q not found" app=matcher component=statestore',
                 "", pods[k % 2], log="stderr")
    for k, t in enumerate(range(1360, 1530, 6)):
        inc.text(t, 'time="x" level=error msg="failed to connect to redis" app=matcher error="dial tcp '
                 '10.52.7.19:6379: connect: connection refused"', "", pods[k % 2], log="stderr")
    for t in (1380, 1395, 1410):
        inc.event(t, pods[0], "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503")
    for t in range(5, 2900, 300):
        inc.text(t, "* Background saving terminated with success", "", "matcher-redis-0")
    status = json.loads(_exported(tmp_path, inc))["status"]
    assert status["state"] == "recovered", status["reasons"]


@pytest.mark.parametrize(("ending", "down"), [("DUE TO TIME LIMIT", True), ("DUE TO JOB REQUEUE", False)])
def test_a_slurm_job_killed_at_its_time_limit_ended_failed(tmp_path: Path, ending: str, down: bool) -> None:
    """A solver's output pasted from its Slurm log: time steps, then slurmstepd's "*** JOB 5123 ON
    <node> CANCELLED AT <time> DUE TO TIME LIMIT ***". The job ended there, its work undone: its
    run ended failed, down (held-out MP10). Cancelled to be requeued, it runs again."""
    lines = ["$ tail -n 12 logs/cfd-ensemble_5123.out"]
    for step in range(1, 6):
        lines += [f"Time = 0.0{step}", "",
                  "GAMG:  Solving for p, Initial residual = 0.0604, Final residual = 0.000319, "
                  "No Iterations 9",
                  f"ExecutionTime = {14000 + step * 80}.8 s  ClockTime = {14020 + step * 80} s", ""]
    lines += [f"slurmstepd: error: *** JOB 5123 ON hpcslurm-h3nodeset-2 CANCELLED AT 2026-12-04T06:00:27 "
              f"{ending} ***",
              "srun: Job step aborted: Waiting up to 32 seconds for job step to finish."]
    report = _pasted(tmp_path, lines, "cfd-ensemble")
    assert (report["status"]["state"] == "down") is down, report["status"]


def test_a_line_running_with_named_failures_from_the_start_is_not_steady_noise(tmp_path: Path) -> None:
    """A GKE service with no request log whose MongoDB credential is refused as it starts (one
    named failure), then logs its own "request failed" error every twenty seconds to the end: with
    the failure there from the first minute, the line running all along is its own wording of it,
    not everyday noise, so the failure still runs: down, not recovered (held-out LC03). A line
    that ran long before named failures began is noise (MI02, the test above)."""
    from tests.incidents.builder import GkeIncident, day

    inc = GkeIncident("inventory", 12, day(2026, 11, 20, 7, 41))
    pod = "inventory-6c9d8f7b5-zt4wq"
    inc.text(5, "MongoServerError: bad auth : Authentication failed.", "", pod, log="stderr")
    for k, t in enumerate(range(8, 1380, 20)):
        inc.text(t, f"ERROR 1 --- [exec-{k % 9}] c.n.i.web.ApiExceptionHandler : GET /api/items/{k} failed "
                 "after 30001 ms: org.springframework.data.mongodb.UncategorizedMongoDbException",
                 "", pod, log="stderr")
    status = json.loads(_exported(tmp_path, inc))["status"]
    assert status["state"] == "down", status["reasons"]


def test_a_dependency_refused_briefly_then_refusing_the_credential_to_the_end_names_the_credential(
        tmp_path: Path) -> None:
    """A Node service whose Redis refused four connections in its first 22 seconds (the instance
    restarting), then answered NOAUTH beside the 500s to the end of the hour (it came back
    requiring a password the service does not send): the refusals ended ten minutes and more before
    most of the failures, the NOAUTH answers ran with them, so the credential is the cause and the
    refusals lose saying when they ended (held-out ML04). The longer chain the refusals open
    (ioredis, then the refused connection) must not win on its depth."""
    from tests.incidents.builder import Incident, day

    inc = Incident("cart", 3, day(2026, 5, 2, 10))
    rev = inc.revision(12)
    instances = [inc.instance(), inc.instance()]
    inc.traffic(0, 3600, rev, instances)
    for k, t in enumerate((3600, 3606, 3614, 3622)):
        inc.text(t, "[ioredis] Unhandled error event: Error: connect ECONNREFUSED 10.20.0.3:6379", rev,
                 instances[k % 2], log="stderr")
    for n, t in enumerate(range(3624, 7100, 20)):
        inc.request(t, 500, "/api/cart", rev, instances[n % 2])
        if n % 3 == 0:
            inc.text(t, "ReplyError: NOAUTH Authentication required.", rev, instances[n % 2], log="stderr")
    inc.traffic(3600, 7100, rev, instances, every=30)
    report = json.loads(_exported(tmp_path, inc))
    assert report["root_cause"]["pattern_id"] == "redis-server-error", report["root_cause"]
    refused = [h for h in report["hypotheses"] if h["pattern_id"] == "node-ioredis-connection-error"]
    assert refused and refused[0]["why_not"].startswith("it ended at 2026-05-02T11:00:22Z"), refused


def test_warnings_that_began_after_the_last_request_were_not_coped_with(tmp_path: Path) -> None:
    """A backend behind a proxy serves its requests (its own access lines, all 200) until its
    certificate expires at 10:30; from then on it logs no request, only a warning for each
    handshake the proxy aborts. No request was answered beside those warnings, so they are no
    failure the service coped with: they are why it serves nothing (held-out MT04)."""
    lines = [_gke_line(k, _access(k)) for k in range(0, 1800, 20)]
    lines += [_gke_line(k, f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z  WARN ledger_svc::server: TLS "
                           f"handshake failed peer=10.44.1.7:{40000 + k} error=received fatal alert: "
                           "CertificateExpired") for k in range(1810, 3600, 15)]
    report = _analysed(tmp_path, lines, "web")
    assert report["root_cause"]["category"] == "tls-certificate", report["root_cause"]
    assert report["status"]["state"] == "down", report["status"]




def test_a_pool_that_never_opened_a_connection_times_out_for_the_network_it_cannot_cross(
        tmp_path: Path) -> None:
    """A Spring service on GKE behind an AlloyDB Auth Proxy sidecar: an egress rule cuts the
    proxy's dials (i/o timeout) and Hikari, which never opened a connection (total=0), times out
    every waiter at WARN while each request fails. The pool's timeouts are the network's failure,
    not the pool's size (held-out NC08)."""
    pod, proxy = "orders-api-6d9f7c8b5-k2x7p", "alloydb-auth-proxy"
    instance = "projects/shop/locations/us-central1/clusters/orders-alloydb/instances/orders-primary"
    failed = f'Dial error: failed to dial (instance URI = "{instance}"): dial tcp 10.61.0.5:5433: i/o timeout'
    pool = ("HikariPool-1 - Connection is not available, request timed out after 30000ms (total=0, active=0, "
            "idle=0, waiting=12)")
    servlet = ("Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
               "[Request processing failed: org.springframework.jdbc.CannotGetJdbcConnectionException: "
               "Failed to obtain JDBC Connection] with root cause")

    def said(k: int, message: str, severity: str, container: str = "orders-api") -> str:
        return _gke_line(k, {"severity": severity, "message": message}, pod=pod, container=container,
                         severity=severity)

    def unready(k: int) -> str:
        event = {"kind": "Event", "reason": "Unhealthy", "type": "Warning",
                 "involvedObject": {"kind": "Pod", "name": pod},
                 "message": "Readiness probe failed: HTTP probe failed with statuscode: 503"}
        return json.dumps({"insertId": f"ev{k}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
                           "severity": "WARNING", "logName": "projects/p/logs/events",
                           "resource": {"type": "k8s_pod", "labels": {"pod_name": pod}},
                           "jsonPayload": event}) + "\n"

    lines = [said(k, "Completed 200 OK", "INFO") for k in range(0, 1800, 30)]
    for k in range(1800, 3600, 30):
        lines += [said(k, f"[{instance}] failed to connect to instance: {failed}", "ERROR", proxy),
                  said(k + 25, pool, "WARNING"), said(k + 26, servlet, "ERROR")]
    for k in range(1815, 3600, 60):
        lines += [said(k, f"[Health Check] Readiness failed: {failed}", "ERROR", proxy),
                  unready(k + 1)]
    report = _analysed(tmp_path, lines, "orders-api")
    chain = [c["pattern_id"] for c in report["chain"]]
    assert report["root_cause"]["category"] == "network-connectivity", chain


def test_a_name_a_statefulsets_pods_begin_with_stands_for_that_set(tmp_path: Path) -> None:
    """A Strimzi Kafka cluster `ledger-kafka` runs its brokers as pods `ledger-kafka-broker-0..2`
    (a set named `ledger-kafka-broker`, container `kafka`): `--service ledger-kafka`, the cluster's
    name, analyses them and says so, where it stopped with exit 1 naming the set (held-out MY08).
    The test above's Deployments were found by their ReplicaSets already."""
    full = ("ERROR Error while writing to checkpoint file /var/lib/kafka/data-0/kafka-log1/"
            "replication-offset-checkpoint (kafka.server.LogDirFailureChannel) java.io.IOException: No space "
            "left on device")
    path = tmp_path / "kafka.ndjson"
    path.write_text("".join(json.dumps({
        "insertId": f"b{n}{k}", "timestamp": f"2026-03-22T03:{10 + k:02d}:00Z", "severity": "ERROR",
        "logName": "projects/p/logs/stdout", "textPayload": full,
        "resource": {"type": "k8s_container", "labels": {"container_name": "kafka", "namespace_name": "kafka",
                                                        "pod_name": f"ledger-kafka-broker-{n}"}}}) + "\n"
        for n in range(3) for k in range(5)), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--input", str(path), "--service", "ledger-kafka",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert any("(ledger-kafka-broker)" in n for n in report["notes"]), report["notes"]
    assert report["stats"]["entries"] == 15


@pytest.mark.parametrize(("said", "incident"), [
    ("[php:warn] [pid 38] [client 10.0.0.1:4000] PHP Deprecated:  Creation of dynamic property "
     "Foo::$bar is deprecated in /var/www/html/x.php on line 3", False),
    ("[php:error] [pid 38] [client 10.0.0.1:4000] PHP Fatal error:  Uncaught Error: Call to undefined "
     "function foo() in /var/www/html/x.php:3", True),
])
def test_a_gke_stderr_line_is_at_the_level_its_text_states(tmp_path: Path, said: str, incident: bool) -> None:
    """GKE's agent logs every stderr line at ERROR, whatever the line says. An Apache's error log on
    stderr saying `[php:warn] ... PHP Deprecated` is a notice, no error: new lines of it in a healthy
    hour are no incident (held-out NA06), where a PHP fatal error at the same place is one."""
    def line(k: int, text: str) -> str:
        return json.dumps({"insertId": f"a{k}{len(text)}", "severity": "ERROR", "textPayload": text,
                           "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
                           "logName": "projects/p/logs/stderr",
                           "resource": {"type": "k8s_container",
                                        "labels": {"container_name": "web", "pod_name": "web-7d9f8-abcde"}}})
    lines = [line(k, f"2026-03-04 10:{k // 60:02d}:{k % 60:02d},123 INFO worker: processed batch {k}")
             for k in range(0, 3600, 20)]
    lines += [line(k, f"[Wed Mar 04 10:{k // 60:02d}:{k % 60:02d}.123456 2026] {said}")
              for k in range(2100, 3600, 300)]
    report = _analysed(tmp_path, [f"{x}\n" for x in lines], "web")
    assert (report["status"]["state"] != "ok") is incident, report["status"]


def test_a_unit_whose_program_a_refused_download_never_installed_fails_for_the_permission(
        tmp_path: Path) -> None:
    """A managed instance group's VMs run a startup script that downloads the application from
    Cloud Storage; a Terraform change removed the VM account's read access, so the download is
    refused (403) and the unit's ExecStart is missing: systemd cannot execute it. The program is
    missing because the refusal kept it from being installed (held-out NG06), as it is when apt
    could not reach its repository."""
    def logged(moment: str, unit: str, text: str) -> str:
        return f"Mar 19 {moment} ml-scorer-mig-jk2q {unit}: {text}"

    runner, program = "google_metadata_script_runner[912]", "/opt/ml-scorer/venv/bin/gunicorn"
    lines = [
        logged("06:09:21", runner, "startup-script: AccessDeniedException: 403 ml-scorer-vm@acme-ml-prod.iam."
               "gserviceaccount.com does not have storage.objects.get access to the Google Cloud Storage "
               "object. Permission 'storage.objects.get' denied on resource (or it may not exist)."),
        logged("06:09:22", runner, "startup-script: CommandException: 1 file/object could not be "
               "transferred."),
        logged("06:09:24", "systemd[1]", "google-startup-scripts.service: Main process exited, code=exited, "
               "status=1/FAILURE")]
    for k in range(5):
        lines += [logged(f"06:1{k}:25", "systemd[1]", f"ml-scorer.service: {said}") for said in (
            f"Failed to locate executable {program}: No such file or directory",
            f"Failed at step EXEC spawning {program}: No such file or directory",
            "Main process exited, code=exited, status=203/EXEC")]
    report = _pasted(tmp_path, lines, "ml-scorer")
    chain = [c["pattern_id"] for c in report["chain"]]
    assert report["root_cause"]["category"] == "permission-denied", chain


def test_a_console_request_summary_takes_the_platform_text_below_it(tmp_path: Path) -> None:
    """Copied from the Logs Explorer, a request log entry shows as its summary (method, status,
    size, latency, agent, URL) and, on the next line at the same moment, the text Cloud Run gave
    it: a 429 with "no available instance" below it is the platform refusing a caller, a failed
    request, not a client's own 429 beside served ones (held-out NM05: a webhook burst against
    max instances 3 read as no incident). An app line at another moment stays its own."""
    url = "https://ingest-webhook-q3x7lmk2ca-ey.a.run.app/"
    lines: list[str] = []
    for k in range(12):
        stamp = f"2026-02-16 14:00:{k:02d}.2{k:02d} CET"
        if k % 2:
            lines += [f"{stamp}  POST 429  0 B  2 ms  PSP-Webhook/2.1  {url}",
                      f"{stamp}  The request was aborted because there was no available instance."]
        else:
            lines += [f"{stamp}  POST 200  412 B  318 ms  PSP-Webhook/2.1  {url}",
                      f"2026-02-16 14:00:{k:02d}.3{k:02d} CET  INFO  event evt_{k} stored"]
    status = _pasted(tmp_path, lines, "ingest-webhook")["status"]
    assert (status["state"], status["requests"], status["failed_requests"]) == ("degraded", 12, 6), status


@pytest.mark.parametrize(("frame", "category"), [
    ("   at Billing.Api.Services.InvoiceQueries.GetOverdueAsync(DateTime now, CancellationToken ct) in "
     "/src/Billing.Api/Services/InvoiceQueries.cs:line 58", "application-exception"),
    ("   at Microsoft.AspNetCore.Routing.EndpointMiddleware.Invoke(HttpContext httpContext)", "unknown"),
])
def test_a_dotnet_exception_raised_through_the_services_own_frames_is_its_bug(
        tmp_path: Path, frame: str, category: str) -> None:
    """ASP.NET Core logs an unhandled exception on a request path, EF Core's "could not be
    translated" thrown under a query the app's own method built: a bug of the service's own code,
    as for Python, Node, Go and Java stacks (held-out PG10 read unknown). The same stack with no
    frame of the app's is the framework's word only and stays unexplained."""
    lines = []
    for k in range(0, 60, 2):
        at = f"2026-07-14T09:{k:02d}:42.1Z"
        lines.append(f"{at} info: Microsoft.AspNetCore.Hosting.Diagnostics[2]\n"
                     f"      Request finished HTTP/1.1 GET http://billing/api/invoices/{k} - 200 - "
                     "application/json 12.0ms")
        if k >= 30:
            lines += [f"{at} fail: Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware[1]",
                      f"{at}       An unhandled exception has occurred while executing the request.",
                      f"{at}       System.InvalidOperationException: The LINQ expression 'DbSet<Invoice>()' "
                      "could not be translated.",
                      f"{at}          at Microsoft.EntityFrameworkCore.Query."
                      "QueryableMethodTranslatingExpressionVisitor.Translate(Expression expression)",
                      f"{at}       {frame}",
                      f"{at} info: Microsoft.AspNetCore.Hosting.Diagnostics[2]",
                      f"{at}       Request finished HTTP/1.1 GET http://billing/api/invoices/overdue - "
                      "500 null application/problem+json 30.1ms"]
    report = _pasted(tmp_path, lines, "billing-api")
    assert report["root_cause"]["category"] == category


@pytest.mark.parametrize(("proxy", "port", "category"), [
    (True, 5432, "network-connectivity"), (False, 5432, "missing-configuration"),
    (True, 6379, "missing-configuration"),
])
def test_a_loopback_refused_beside_a_cloud_sql_proxy_sidecar_is_the_proxy_not_accepting(
    tmp_path: Path, proxy: bool, port: int, category: str,
) -> None:
    """The app's refused 127.0.0.1:5432 beside a Cloud SQL Auth Proxy sidecar that logged its
    start-up (v2's wording) is no host setting left at a development default: the address is the
    proxy's, which was not accepting (held-out QC01). Without the proxy's lines, or on a port the
    proxy never serves (Redis's), the loopback keeps its reading."""
    lines = []
    if proxy:
        lines += [_gke_line(k, text, container="cloud-sql-proxy", log="stderr") for k, text in (
            (1, "2026/03/04 10:00:01 Authorizing with Application Default Credentials"),
            (2, "2026/03/04 10:00:02 [p:us-central1:db] Listening on 127.0.0.1:5432"),
            (3, "2026/03/04 10:00:02 The proxy has started successfully and is ready for new connections!"))]
    lines += [_gke_line(k, _access(k)) for k in range(5, 1200, 10)]
    for k in range(1200, 3600, 10):
        lines.append(_gke_line(k + 1, f"Error: connect ECONNREFUSED 127.0.0.1:{port}", severity="ERROR"))
        lines.append(_gke_line(k, _access(k, status=500)))
    root = _analysed(tmp_path, lines, "web")["root_cause"]
    assert root["category"] == category


def _ingress_backend(k: int, backend: str, status: int, details: str = "response_sent_by_backend") -> str:
    """A GKE Ingress load balancer's request log ``k`` seconds into 10:00 of 2026-03-04, to the
    Kubernetes Service ``backend`` of namespace `shop` (ingress-gce names its NEG backend for it)."""
    return json.dumps({
        "insertId": f"lb{k}-{backend}", "timestamp": f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z",
        "logName": "projects/p/logs/requests", "severity": "ERROR" if status >= 500 else "INFO",
        "resource": {"type": "http_load_balancer",
                     "labels": {"backend_service_name": f"k8s1-3kq9x1vd-shop-{backend}-8080-8e4f1a6c"}},
        "httpRequest": {"requestMethod": "GET", "requestUrl": f"https://shop.example/{backend}",
                        "status": status},
        "jsonPayload": {"statusDetails": details},
    }) + "\n"


@pytest.mark.parametrize(("service", "requests", "failed"), [("cart-api", 180, 0), ("search-api", 180, 60),
                                                            ("web", 360, 60)])
def test_an_ingress_s_requests_to_another_service_s_backend_are_not_the_service_s(
    tmp_path: Path, service: str, requests: int, failed: int,
) -> None:
    """One GKE Ingress routes to `cart-api` and `search-api`; its request log names the backend
    service made for each (`k8s1-<cluster>-<namespace>-<service>-<port>-<hash>`) and no service.
    The requests to another Service's backend are not the service's (search-api's 503s were
    cart-api's). Where no backend names the service asked, every request is kept, as before."""
    lines = [_ingress_backend(k, "cart-api", 200) for k in range(0, 3600, 20)]
    lines += [_ingress_backend(k, "search-api", 503 if k >= 2400 else 200) for k in range(10, 3600, 20)]
    lines += [_gke_line(k, "GET /health 200", pod=f"{name}-7d9f8-abcde", container=name)
              for k in range(0, 3600, 600) for name in ("cart-api", "search-api", "web")]
    status = _analysed(tmp_path, lines, service)["status"]
    assert (status["requests"], status["failed_requests"]) == (requests, failed)


@pytest.mark.parametrize(("slowed", "timeouts_from", "category"), [
    (True, 1260, "deployment-change"),   # the new revision's 504s from its first minutes
    (True, 3300, "deployment-change"),   # slow from its deploy on, out of time only at the end
    (False, 3300, "request-timeout"),    # every answer fast, a few 504s at the end: nothing to blame
    (False, 1260, "request-timeout"),    # as fast as the one before, its requests cut sooner
])
def test_504s_past_the_timeout_that_began_with_a_slower_revision_are_the_deploy_s(
    tmp_path: Path, slowed: bool, timeouts_from: int, category: str,
) -> None:
    """A 504 past Cloud Run's request timeout says only that a request was slow (slow code or a slow
    dependency). When the requests slowed with a new revision, while the one before answered in
    milliseconds, the new revision's slow code is the better account, whether its requests ran out
    of time in its first minutes (held-out QQ03: N+1 queries) or half an hour on (QQ07: a query
    kept off its index). A revision as fast as the one before keeps the timeout's own reading, even
    where only its requests were cut (a shorter timeout: held-out QZ01's streams)."""
    inc = Incident("crm", 1, day(2026, 3, 4, 10))
    old, new = inc.revision(76), inc.revision(77)
    inc.deploy(1195, new, old, "us-docker.pkg.dev/p/crm/crm:v77")
    for k in range(0, 3600, 15):
        revision = old if k < 1200 else new
        if k >= timeouts_from and k % 60 == 0:
            inc.request(k, 504, "/lookup", revision, inc.instance(), latency=10.0,
                        text="The request has been terminated because it has reached the maximum request "
                             "timeout. To change this limit, see "
                             "https://cloud.google.com/run/docs/configuring/request-timeout")
        else:
            took = 2.5 + (k % 7) / 3 if slowed and revision == new else 0.02 + (k % 5) / 200
            inc.request(k, 200, "/lookup", revision, inc.instance(), latency=took)
    path = tmp_path / "crm.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "crm", "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["root_cause"]["category"] == category


@pytest.mark.parametrize("crashed", [True, False])
def test_a_database_crash_amid_failures_that_ran_from_the_start_does_not_explain_them(
    tmp_path: Path, crashed: bool,
) -> None:
    """The service's payment calls fail on an expired certificate from the input's first minute, at
    the same rate all along; eleven minutes in, another team's database (its lines name no service,
    so they stay) crashes and recovers. The newest failure mode changed nothing in the failures:
    the certificate errors are no noise "at the same rate before and after", and the crash no
    cause (held-out QP10)."""
    inc = Incident("web-bff", 1, day(2026, 1, 1, 0))
    revision, instance = inc.revision(12), inc.instance()
    for k in range(10, 2100, 15):
        failed = k % 30 == 10
        route = "/bff/checkout/pay" if failed else "/bff/cart"
        inc.request(k, 502 if failed else 200, route, revision, instance)
        if failed:
            inc.text(k, "FetchError: request to https://api.partner.example/v2/charges failed, reason: "
                        "certificate has expired", revision, instance, "stderr", "ERROR")
    if crashed:
        inc.cloudsql(700, "db=,user= LOG:  server process (PID 77120) was terminated by signal 9: Killed",
                     instance="analytics-pg")
        for k in range(718, 845, 9):
            inc.cloudsql(k, "db=analytics,user=report_ro FATAL:  the database system is in recovery mode",
                         "ERROR", instance="analytics-pg")
    path = tmp_path / "bff.json"
    path.write_text(json.dumps(inc.export()), encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--service", "web-bff", "--input", str(path),
                                       "--format", "json"])
    assert json.loads(result.output)["root_cause"]["category"] == "tls-certificate"


@pytest.mark.parametrize(("attach", "category"), [(True, "disk-or-filesystem"), (False, "unknown")])
def test_a_statefulset_pod_whose_node_went_not_ready_waits_for_its_disk(
    tmp_path: Path, attach: bool, category: str,
) -> None:
    """The node under `ledger-0` goes NotReady and the load balancer loses its only backend; the
    replacement pod is made only when the old one is deleted, a quarter of an hour later, and its
    disk is still attached to the dead node (Multi-Attach): the disk is why the service stays down,
    though its error comes long after the first 503 (held-out QO02). Without it nothing in the logs
    says why, and the node's loss is no health check on the wrong path."""
    lines = [_ingress_backend(k, "ledger", 200 if k < 1000 else 503,
                      "response_sent_by_backend" if k < 1000 else "failed_to_pick_backend")
             for k in range(0, 3600, 10)]
    lines.append(_kubelet_event(1001, "NodeNotReady", "Node is not ready", pod="ledger-0"))
    if attach:
        held = ('Multi-Attach error for volume "pvc-5d1c9e2a" Volume is already exclusively attached to '
                "one node and can't be attached to another")
        lines += [_kubelet_event(k, "FailedAttachVolume", held, pod="ledger-0")
                  for k in range(1870, 3600, 270)]
    lines += [_gke_line(k, "GET /health 200", pod="ledger-0", container="ledger") for k in range(0, 1000, 60)]
    assert _analysed(tmp_path, lines, "ledger")["root_cause"]["category"] == category


def test_a_nestjs_exception_the_code_throws_for_a_failed_call_is_no_bug_of_its_own(tmp_path: Path) -> None:
    """NestJS code answers 503 by throwing ServiceUnavailableException when a call it made failed:
    its stack runs through the app's own frames, but it reports the partner API answering 502, no
    bug of the app's (held-out QW07 read "FX rates unavailable" as the root cause)."""
    lines = []
    for minute in range(10, 30):
        at = f"2025-11-06T09:{minute:02d}:47.000Z"
        lines += [f"{at} AxiosError: Request failed with status code 502",
                  f"{at} [Nest] 1  - ERROR [ExceptionsHandler] FX rates unavailable",
                  f"{at} ServiceUnavailableException: FX rates unavailable",
                  f"{at}     at QuoteService.quote (/app/dist/quote/quote.service.js:41:19)",
                  f"{at}     at async QuoteController.get (/app/dist/quote/quote.controller.js:22:5)"]
    assert _pasted(tmp_path, lines, "pricing-api")["root_cause"]["category"] == "upstream-service-failure"


@pytest.mark.parametrize("old_errors", [False, True])
def test_a_workers_errors_that_began_with_its_rollout_are_the_rollouts(
        tmp_path: Path, old_errors: bool) -> None:
    """A queue worker logs no request: its jobs failing with an error no pattern reads, from the
    pods of a rollout on while the old pods had run without one, began with that deploy
    (held-out RF09: a new read-replica setting, `No query results for model`). Where the old pods
    failed the same way, the rollout explains nothing."""
    from tests.incidents.builder import GkeIncident

    inc = GkeIncident("worker", 5, day(2026, 3, 4, 10))
    old, new = inc.pod("5f8c9d6b7"), inc.pod("78b4f5c9d")
    for k in range(0, 1500, 15):
        inc.text(k, f"job {k} processed", "", old, severity="INFO")
        if old_errors and k % 150 == 0:
            inc.text(k + 5, f"job {k} failed: record 4711 vanished", "", old, severity="ERROR")
    inc.rollout(1490, "europe-docker.pkg.dev/p/apps/worker:2")
    for k in range(1520, 3600, 15):
        failed = (k // 15) % 3 == 0
        inc.text(k, f"job {k} failed: record 4711 vanished" if failed else f"job {k} processed", "", new,
                 severity="ERROR" if failed else "INFO")
    report = json.loads(_exported(tmp_path, inc))
    assert report["status"]["state"] != "ok"
    assert report["root_cause"]["category"] == ("unknown" if old_errors else "deployment-change")


def test_requests_cut_off_at_the_timeout_explain_the_instances_that_were_not_free(tmp_path: Path) -> None:
    """Requests that run until Cloud Run cuts them off at the request timeout (504) hold their
    instances' concurrency all that while, so the 429s "no available instance" that follow are
    theirs, not a scaling limit of its own (held-out RB01: push deliveries rendering for minutes)."""
    timeout = ("The request has been terminated because it has reached the maximum request timeout. "
               "To change this limit, see https://cloud.google.com/run/docs/configuring/request-timeout")
    refused = "The request was aborted because there was no available instance."
    lines = [_request(k, 200, None) for k in range(0, 3600, 12)]
    lines += [_request(k + 3, 504, timeout) for k in range(1800, 3600, 60)]
    lines += [_request(k + 7, 429, refused) for k in range(1800, 3600, 150)]
    report = _analysed(tmp_path, lines, "shop")
    assert report["root_cause"]["category"] == "request-timeout"


def test_a_machine_thrashing_before_its_oom_kill_explains_the_stalls_before_it(tmp_path: Path) -> None:
    """The kernel kills a process only once reclaim failed; the machine thrashed before, and its
    app server stalled: nginx's 504s for Puma a minute and a half before the kill of the export
    beside it are the memory's (held-out RB05). The kill is logged that long after it began."""
    lines = []
    for k in range(0, 2400, 6):
        at = f"2025/12/01 03:{k // 60:02d}:{k % 60:02d}"
        stalled = 900 <= k < 1020 and k % 30 == 0
        if stalled:
            lines.append(f"{at} [error] 1187#1187: *{k} upstream timed out (110: Connection timed out) while "
                         f'reading response header from upstream, client: 10.0.0.{k % 7}, server: shop, '
                         f'request: "GET /search HTTP/1.1", upstream: "http://unix:/run/puma.sock:/search"')
    for k in (1012, 1500):
        at = f"2025-12-01T03:{k // 60:02d}:{k % 60:02d}+00:00"
        lines.append(f"{at} shop-1 kernel: Out of memory: Killed process {k} (ruby) total-vm:4402112kB, "
                     "anon-rss:3711240kB, file-rss:0kB, shmem-rss:0kB, UID:1001 pgtables:7422kB "
                     "oom_score_adj:0")
        lines.append(f"{at} shop-1 systemd[1]: sidekiq.service: Failed with result 'oom-kill'.")
    report = _pasted(tmp_path, lines, "shop")
    assert report["root_cause"]["category"] == "memory-limit-exceeded"


def test_a_one_off_symptom_does_not_stand_for_a_failure_logged_many_times_as_often(tmp_path: Path) -> None:
    """nginx timed out reading one upstream answer eleven minutes before uploads began failing on a
    full disk, 40 times: the one timeout is no account of the window; the full disk, which it does
    not lead to, is (held-out RN08)."""
    def error(k: int, what: str) -> str:
        return (f"2025/11/04 13:{k // 60:02d}:{k % 60:02d} [{what}], client: 10.0.0.{k % 7}, "
                f'server: media, request: "POST /v1/uploads HTTP/1.1"')

    lines = [error(400, "error] 11#11: *1 upstream timed out (110: Connection timed out) while reading "
                        "response header from upstream")]
    for k in range(1100, 1900, 20):
        lines.append(error(k, f'crit] 11#11: *{k} pwritev() "/mnt/scratch/body/{k:010d}" failed '
                              "(28: No space left on device)"))
    report = _pasted(tmp_path, lines, "media")
    assert report["root_cause"]["category"] == "disk-or-filesystem"


def _gae_request(k: int, version: str, status: int, latency: float, line: str | None = None) -> str:
    """An App Engine standard request log of service `default`, version ``version``, ``k`` seconds
    into 10:00 of 2026-03-04, with ``line`` as its one app log line (App Engine's own notes)."""
    when = f"2026-03-04T10:{k // 60:02d}:{k % 60:02d}Z"
    proto: dict[str, object] = {
        "@type": "type.googleapis.com/google.appengine.logging.v1.RequestLog", "versionId": version,
        "moduleId": "default", "method": "GET", "resource": f"/api/tutors/{k}", "status": status,
        "latency": f"{latency}s", "startTime": when,
    }
    if line:
        proto["line"] = [{"time": when, "severity": "INFO", "logMessage": line}]
    return json.dumps({
        "insertId": f"gae{k}", "timestamp": when, "severity": "INFO", "httpRequest": {"status": status},
        "logName": "projects/p/logs/appengine.googleapis.com%2Frequest_log", "protoPayload": proto,
        "resource": {"type": "gae_app", "labels": {"module_id": "default", "version_id": version}},
    }) + "\n"


@pytest.mark.parametrize(("loading_s", "category"),
                         [(40.0, "deployment-change"), (0.4, "quota-or-rate-limit")])
def test_requests_aborted_in_the_pending_queue_behind_a_slower_version_are_the_deploy_s(
        tmp_path: Path, loading_s: float, category: str) -> None:
    """App Engine aborts a request that waited too long for an instance: usually scaling capped
    under a surge. When the waits began with a new version whose answers slowed (its instances
    took forty seconds to serve their first request: a model loaded at import, held-out RJ07)
    beside an older version that answered in milliseconds, the new version is the account. A new
    version as fast as the old keeps the queue's own reading."""
    lines = [_gae_request(k, "v1", 200, 0.05) for k in range(0, 1200, 10)]
    loading = ("This request caused a new process to be started for your application, and thus caused "
               "your application code to be loaded for the first time.")
    aborted = "Request was aborted after waiting too long to attempt to service your request."
    for k in range(1200, 3600, 10):
        if k % 120 == 0:
            lines.append(_gae_request(k, "v2", 200, loading_s, loading))
        elif k % 60 == 30:
            lines.append(_gae_request(k, "v2", 500, 10.0, aborted))
        else:
            lines.append(_gae_request(k, "v2", 200, loading_s if k % 120 == 10 else 0.05))
    assert _analysed(tmp_path, lines, "default")["root_cause"]["category"] == category


@pytest.mark.parametrize(("missing", "category"), [
    ("PrismaClientInitializationError: error: Environment variable not found: DATABASE_URL.",
     "missing-configuration"),
    ("Error: Cannot find module 'express'", "broken-build"),
])
def test_a_server_that_exits_at_boot_is_why_nginx_is_refused(
        tmp_path: Path, missing: str, category: str) -> None:
    """A compose service that exits as it starts, on a setting it lacks or a module its image lacks,
    and restarts again and again: nothing listens behind nginx, which is refused on every request
    (held-out RP08). The boot failure is the cause, not the network."""
    lines = []
    for k in range(0, 1200, 6):
        at = f"2026-05-12T09:{k // 60:02d}:{k % 60:02d}.000000000Z"
        if k % 30 == 0:
            lines.append(f"api-1    | {at} {missing}")
        lines.append(f"nginx-1  | {at} 2026/05/12 09:{k // 60:02d}:{k % 60:02d} [error] 29#29: *{k} "
                     "connect() failed (111: Connection refused) while connecting to upstream, "
                     'client: 172.18.0.1, server: _, request: "GET /v1/items HTTP/1.1", '
                     'upstream: "http://172.18.0.4:3000/v1/items"')
    assert _pasted(tmp_path, lines, "api")["root_cause"]["category"] == category


def test_a_cause_printed_in_a_few_of_a_catch_all_s_exceptions_explains_only_those(tmp_path: Path) -> None:
    """Two Cloud Storage 503s, retried, 26 minutes before the failures, inside two of the 39 Java
    exceptions the service logged; the other 37, each with a failed request, were a full disk. Read
    through the catch-all (an exception of any type), the storage errors explained all 39 and were
    named the cause (held-out RR03); they explain two."""
    gcs = ("upload of segment 0000000000003632084.seg failed, will retry (attempt 1/5)\n"
           "com.google.cloud.storage.StorageException: We encountered an internal error. Please try again.\n"
           "\tat com.google.cloud.storage.StorageException.translate(StorageException.java:191)\n"
           "\tat com.acme.archiver.tiering.GcsTierer.upload(GcsTierer.java:72)\n"
           "Caused by: com.google.api.client.googleapis.json.GoogleJsonResponseException: 503 Service "
           'Unavailable\n{\n  "code" : 503,\n  "message" : "We encountered an internal error. Please try '
           'again.",\n  "reason" : "backendError"\n}')
    disk = ("Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception "
            "[Request processing failed: java.io.UncheckedIOException: java.io.IOException: No space left on "
            "device] with root cause\n"
            "java.io.UncheckedIOException: java.io.IOException: No space left on device\n"
            "\tat com.acme.archiver.segment.SegmentWriter.append(SegmentWriter.java:97)\n"
            "Caused by: java.io.IOException: No space left on device\n"
            "\tat java.base/sun.nio.ch.UnixFileDispatcherImpl.write0(Native Method)")
    lines = [_request(k, 200, None) for k in range(0, 3600, 20)]
    lines += [_app_error(k, gcs) for k in (300, 317)]
    for k in range(1880, 3600, 45):
        lines.append(_app_error(k, disk))
        lines.append(_request(k + 1, 500, None))
    assert _analysed(tmp_path, lines, "shop")["root_cause"]["category"] == "disk-or-filesystem"


def test_asking_for_a_launcher_by_name_says_why_nothing_is_its(tmp_path: Path) -> None:
    """A VM's journal names the program that runs the application (`gunicorn[4118]:`), which the
    library reads as no service's (its `launchers`): asked for by that name, nothing is the
    service's and the run fails as for an empty window, saying why and what to ask for instead
    (held-out RL02); asked for by the host, the same lines are analysed."""
    lines = [f"Feb 03 13:{k // 60:02d}:{k % 60:02d} reports-vm-1 gunicorn[4118]: 10.0.0.9 - - "
             f'[03/Feb/2026:13:{k // 60:02d}:{k % 60:02d} +0000] "GET /dashboard/ HTTP/1.0" 200 2166 '
             '"-" "curl"' for k in range(0, 1800, 30)]
    lines.append("Feb 03 13:20:00 reports-vm-1 nginx[1022]: 2026/02/03 13:20:00 [error] 1024#1024: *1 "
                 "upstream prematurely closed connection while reading response header from upstream")
    path = tmp_path / "journal.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    asked = CliRunner().invoke(main, ["analyze", "--service", "gunicorn", "--input", str(path)])
    assert asked.exit_code == 1 and "'gunicorn' is a program that runs an application" in asked.output
    host = CliRunner().invoke(main, ["analyze", "--service", "reports-vm-1", "--input", str(path)])
    assert host.exit_code == 0


def test_a_loopback_bind_in_a_vm_s_journal_is_no_cloud_run_server_out_of_reach(tmp_path: Path) -> None:
    """A VM's journal: gunicorn listens on 127.0.0.1:8000 behind the host's own nginx (the usual
    set-up), then every worker fails to import the app and nginx is refused. A line under a
    journald header ran on a host, not on Cloud Run, so the rule that a loopback bind is out of
    Cloud Run's reach does not read it: the import error is why (held-out TD05, TS05)."""
    lines = ['$ journalctl -u ledger-web --since "2023-10-02 08:40" --no-pager']
    lines += [f"Oct 02 08:{m:02d}:{s:02d} ledger-vm-2 gunicorn[1192]: 10.20.0.14 - - "
              f'[02/Oct/2023:08:{m:02d}:{s:02d} +0000] "GET /accounts HTTP/1.0" 200 5121 "-" "Mozilla/5.0"'
              for m in range(40, 51) for s in (5, 35)]
    head = "Oct 02 08:51:18 ledger-vm-2 gunicorn[20411]: [2023-10-02 08:51:18 +0000] [20411]"
    lines += [f"{head} [INFO] Starting gunicorn 21.2.0",
              f"{head} [INFO] Listening at: http://127.0.0.1:8000 (20411)",
              f"{head} [INFO] Using worker: sync",
              "Oct 02 08:51:18 ledger-vm-2 gunicorn[20415]: [2023-10-02 08:51:18 +0000] [20415] [INFO] "
              "Booting worker with pid: 20415",
              "Oct 02 08:51:19 ledger-vm-2 gunicorn[20415]: [2023-10-02 08:51:19 +0000] [20415] [ERROR] "
              "Exception in worker process",
              "Oct 02 08:51:19 ledger-vm-2 gunicorn[20415]: Traceback (most recent call last):",
              'Oct 02 08:51:19 ledger-vm-2 gunicorn[20415]:   File "/srv/ledger/app.py", line 1, in <module>',
              "Oct 02 08:51:19 ledger-vm-2 gunicorn[20415]:     from flask import Flask",
              "Oct 02 08:51:19 ledger-vm-2 gunicorn[20415]: ImportError: cannot import name 'url_quote' from "
              "'werkzeug.urls' (/srv/ledger/.venv/lib/python3.11/site-packages/werkzeug/urls.py)",
              "Oct 02 08:51:19 ledger-vm-2 gunicorn[20411]: [2023-10-02 08:51:19 +0000] [20411] [INFO] "
              "Reason: Worker failed to boot.",
              "Oct 02 08:51:19 ledger-vm-2 systemd[1]: ledger-web.service: Main process exited, code=exited, "
              "status=3/NOTRUNNING"]
    lines += [f"Oct 02 08:{m:02d}:09 ledger-vm-2 nginx[903]: 2023/10/02 08:{m:02d}:09 [error] 903#903: "
              f"*51{m} connect() failed (111: Connection refused) while connecting to upstream, "
              "client: 10.20.0.14, "
              'server: ledger, request: "GET /accounts HTTP/1.1", upstream: "http://127.0.0.1:8000/accounts"'
              for m in range(52, 58)]
    report = _paste_report(tmp_path, "\n".join(lines) + "\n", "ledger-web")
    assert report["root_cause"]["category"] == "broken-build"
    assert "server-bound-to-localhost" not in {f["pattern_id"] for f in report["findings"]}


def test_a_journal_whose_app_logs_as_its_launcher_is_the_service_asked_for(tmp_path: Path) -> None:
    """A VM's journal: the application logs as `node[2184]:` (a program that runs an application,
    naming no service), and systemd names one unit of the host beside it (`apt-daily.service`).
    Asked for by the service's own name, which no line holds, the node lines may be it: they are
    analysed, not refused as a mistyped name (held-out UC06, UF03). Asked for by the launcher's
    name, the run still says why nothing is its."""
    lines = [f"Oct 14 06:{m:02d}:{s:02d} relay-vm-2 node[2184]: ::ffff:10.128.0.14 - - "
             f'[14/Oct/2025:06:{m:02d}:{s:02d} +0000] "POST /hooks/shipments HTTP/1.1" '
             f'{202 if m < 40 else 502} 2 "-" "Webhooks/1.0"' for m in range(0, 55) for s in (9, 39)]
    lines += [f"Oct 14 06:{m:02d}:40 relay-vm-2 node[2184]: forward failed: Error: unable to verify the "
              "first certificate" for m in range(40, 55)]
    lines += ["Oct 14 06:51:02 relay-vm-2 systemd[1]: Starting apt-daily.service - Daily apt download "
              "activities...",
              "Oct 14 06:51:09 relay-vm-2 systemd[1]: apt-daily.service: Deactivated successfully."]
    path = tmp_path / "journal.txt"
    path.write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")
    asked = CliRunner().invoke(main, ["analyze", "--service", "freight-webhooks", "--input", str(path)])
    assert asked.exit_code == 0, asked.output
    assert "tls-certificate" in asked.output
    launcher = CliRunner().invoke(main, ["analyze", "--service", "node", "--input", str(path)])
    assert launcher.exit_code == 1 and "'node' is a program that runs an application" in launcher.output


def test_a_rule_on_a_deploy_holds_for_a_rollout_read_from_the_pods_names(tmp_path: Path) -> None:
    """A GKE export without its audit log: the pods of ReplicaSet `web-6c8d7` serve, then from
    minute 30 those of a new one, `web-7f5b6`, and every write of theirs is refused READONLY. The
    rollout is read from the pods' names alone; the Redis pattern's rule "the writes began failing
    with a deploy" holds for it, as for a deploy record: the new configuration's address (a read
    endpoint) is why, not a failover (held-out UB02)."""
    lines = []
    for k in range(0, 3600, 10):
        pod = "web-6c8d7-o51q9" if k < 1800 else "web-7f5b6-wpejp"
        write = k % 20 == 0
        failed = write and k >= 1800
        request = "POST /v1/notifications" if write else "GET /v1/notifications"
        lines.append(_gke_line(k, _access(k, request, 500 if failed else 200), pod=pod))
        if failed:
            lines.append(_gke_line(k, "enqueue failed ReplyError: READONLY You can't write against a read "
                                      "only replica.", pod=pod, log="stderr", severity="ERROR"))
    report = _analysed(tmp_path, lines, "web")
    assert report["root_cause"]["category"] == "missing-configuration", report["root_cause"]


def test_errors_that_ran_all_hour_while_every_request_was_served_are_no_incident(tmp_path: Path) -> None:
    """A GKE service with no baseline in the input: ioredis logs an idle connection reset at ERROR
    every five minutes all hour, and reconnects; at minute 21 a rollout's new pods fail their
    readiness probe while Node starts, as every rollout's do; every request is answered. The probe
    failures split the window, and the resets ran at the same rate on both sides: noise. They also
    ran from the input's first minutes to its last while every request was served, so their error
    entries are how the service ran, not the window's errors: ok, not degraded (held-out UH02)."""
    lines = [_gke_line(k, _access(k)) for k in range(0, 3600, 5)]
    lines += [_gke_line(k, "[ioredis] Unhandled error event: Error: read ECONNRESET\n"
                           "    at TCP.onStreamRead (node:internal/stream_base_commons:216:20)",
                        log="stderr", severity="ERROR") for k in range(74, 3600, 300)]
    probe = ('Readiness probe failed: Get "http://10.8.1.23:3000/healthz": dial tcp 10.8.1.23:3000: '
             "connect: connection refused")
    lines += [_kubelet_event(k, "Unhealthy", probe, pod=f"web-7f5b6-{k:05d}") for k in (1280, 1370, 1430)]
    assert _analysed(tmp_path, lines, "web")["status"]["state"] == "ok"


def test_work_one_kind_of_line_stopped_beside_another_that_goes_on_is_no_stop(tmp_path: Path) -> None:
    """A queue worker that logs no request: each small job logs "extracting", and a job finished
    logs "done". From minute 20 its disk fills now and then (ENOSPC); from minute 52 no small job
    is taken, but jobs go on finishing to the end. One kind of its everyday lines stopped, not its
    work: degraded, not down (held-out UF02)."""
    lines = []
    for k in range(0, 3600, 10):
        if k < 52 * 60:
            lines.append(_gke_line(k, f"job j-{k}: extracting {k % 700 + 20} frames from "
                                      f"gs://uploads/u/{k}/{k:x}.mp4 into /tmp/frames/j-{k}"))
        lines.append(_gke_line(k + 5, f"job j-{k - 30} done: {k % 200 + 10} thumbnails uploaded"))
    lines += [_gke_line(k, "OSError: [Errno 28] No space left on device: '/tmp/frames/j-{k}/f-0001.png'",
                        log="stderr", severity="ERROR") for k in range(1200, 3500, 120)]
    assert _analysed(tmp_path, lines, "web")["status"]["state"] == "degraded"


def test_a_rollout_stuck_past_its_progress_deadline_is_no_all_clear(tmp_path: Path) -> None:
    """The old pods answer every request; the new version's pods fail their readiness probe from
    minute 17 to the end, and Cloud Build's `kubectl rollout status` reports at INFO that the
    rollout exceeded its progress deadline. A failed deploy is an incident whatever the old pods
    still answer, and it has not recovered while the new pods keep failing: degraded (held-out
    UI09, read ok)."""
    lines = [_gke_line(k, _access(k), pod="web-6c8d7-o51q9") for k in range(0, 3600, 5)]
    probe = ('Readiness probe failed: Get "http://10.52.7.189:8080/healthz": dial tcp 10.52.7.189:8080: '
             "connect: connection refused")
    lines += [_kubelet_event(k, "Unhealthy", probe, pod="web-7f5b6-wpejp") for k in range(1040, 3600, 60)]
    lines.append(json.dumps({
        "insertId": "build-1", "timestamp": "2026-03-04T10:27:19Z", "severity": "INFO",
        "logName": "projects/p/logs/cloudbuild", "resource": {"type": "build", "labels": {"build_id": "b-1"}},
        "textPayload": 'error: deployment "web" exceeded its progress deadline'}) + "\n")
    assert _analysed(tmp_path, lines, "web")["status"]["state"] == "degraded"


@pytest.mark.parametrize(("failing", "state"), [(False, "ok"), (True, "degraded")])
def test_a_too_many_pings_goaway_beside_calls_all_answered_is_ridden_through(
        tmp_path: Path, failing: bool, state: str) -> None:
    """gRPC C-core logs the server's GOAWAY ENHANCE_YOUR_CALM "too_many_pings" at ERROR and doubles
    its keepalive time for new connections: twice in the hour beside requests all answered, it
    passed (held-out UR09). Where requests failed beside it, it is their cause still (UR01)."""
    goaway = ("E0000 00:00:1764241633.090000       1 chttp2_transport.cc:1316] ipv4:10.8.0.12:50051: "
              'Received a GOAWAY with error code ENHANCE_YOUR_CALM and debug data equal to "too_many_pings". '
              "Current keepalive time (before throttling): 20000ms")
    lines = [_request(k, 500 if failing and k > 1500 and k % 60 == 0 else 200, None)
             for k in range(0, 3600, 5)]
    lines += [_app_error(k, goaway) for k in (433, 1718)]
    if failing:
        lines += [_app_error(k + 1, goaway) for k in range(1560, 3600, 60)]
    assert _analysed(tmp_path, lines, "shop")["status"]["state"] == state
