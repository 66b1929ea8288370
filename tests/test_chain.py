"""The causal-chain logic on small constructed findings: ordering, baseline, contradiction, gaps."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from rca.model import Category, Finding, Layer, Match, Pattern, Role, Rule, Severity, Status
from rca.reasoning import chain, whys

T0 = datetime(2025, 9, 15, 15, 0, 0)


def pattern(
    pid: str,
    role: Role,
    category: Category = Category.APPLICATION_EXCEPTION,
    *,
    causes: tuple[str, ...] = (),
    caused_by: tuple[str, ...] = (),
    rules: tuple[Rule, ...] = (),
    http: bool = False,
    layer: Layer = Layer.APPLICATION,
) -> Pattern:
    """A minimal pattern; only the fields the chain reads matter."""
    return Pattern(
        id=pid,
        area="t",
        title=f"{pid} happened",
        category=category,
        layer=layer,
        severity=Severity.ERROR,
        role=role,
        match=Match(any=("x",), http_status=(500, 599) if http else None),
        why=f"{pid} happened {{count}} times",
        causes=causes,
        caused_by=caused_by,
        rules=rules,
    )


def node(
    p: Pattern,
    times: list[int],
    instance: str = "i1",
    status: Status = Status.ACTIVE,
    events: list[int] | None = None,
    baseline: int = 0,
) -> chain.Node:
    """A node whose occurrences are at T0 + each of ``times`` seconds on one instance."""
    occ = tuple(
        chain.Occurrence(
            T0 + timedelta(seconds=t),
            instance,
            "rev-1",
            (events or [])[k] if events else hash((p.id, k)) % 10_000_000 + 1000,
        )
        for k, t in enumerate(times)
    )
    f = Finding(
        pattern_id=p.id,
        category=p.category,
        layer=p.layer,
        role=p.role,
        title=p.title,
        count=len(times),
        first_seen=None,
        last_seen=None,
        samples=(),
        fields={},
        field_counts={},
        revisions=("rev-1",),
        instances=(instance,),
        event_ids=tuple(o.event_id for o in occ),
        baseline_count=baseline,
        incident_count=len(times),
        status=status,
    )
    return chain.Node(f, p, occ)


def conclude(*nodes: chain.Node):  # type: ignore[no-untyped-def]
    """Run the chain conclusion over the nodes with empty context."""
    return whys.conclude({n.id: n for n in nodes}, {}, {})


def test_chain_follows_knowledge_from_symptom_to_deepest_cause() -> None:
    """The chain runs symptom -> intermediate -> cause along library edges, root cause last."""
    s = node(
        pattern("http-503", Role.SYMPTOM, http=True, layer=Layer.PLATFORM, caused_by=("startup-failed",)),
        [30, 40],
    )
    m = node(pattern("startup-failed", Role.SYMPTOM, caused_by=("db-timeout",)), [20])
    c = node(pattern("db-timeout", Role.CAUSE, Category.NETWORK_CONNECTIVITY), [10])
    links, root, _, used = conclude(s, m, c)
    assert [link.pattern_id for link in links] == ["http-503", "startup-failed", "db-timeout"]
    assert root.category is Category.NETWORK_CONNECTIVITY
    assert used == ["http-503", "startup-failed", "db-timeout"]


def test_contradicting_time_order_removes_a_known_edge() -> None:
    """Knowledge never outvotes the clock: a 'cause' first seen well after its effect is rejected."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("late-cause",)), [10, 20])
    late = node(pattern("late-cause", Role.CAUSE), [300])
    _, root, hyps, _ = conclude(s, late)
    assert root.category is Category.UNKNOWN
    assert [h.pattern_id for h in hyps] == ["late-cause"]
    assert "after" in hyps[0].why_not


def test_what_stopped_the_replacements_explains_a_symptom_that_began_when_the_old_ones_went() -> None:
    """A load balancer finds no healthy backend as soon as a Recreate rollout removed the old pods,
    a minute before the new pods' image fails (`replacements_within_s`): that failure explains the
    502s; one logged long after the replacements had their time does not (held-out PW06, PY06)."""
    from dataclasses import replace

    no_backend = replace(pattern("no-backend", Role.SYMPTOM, http=True, layer=Layer.PLATFORM,
                                 caused_by=("bad-image",)), replacements_within_s=300.0)
    for at, explains in ((90, True), (900, False)):
        s = node(no_backend, [10, 20, 30])
        bad = node(pattern("bad-image", Role.CAUSE, Category.BROKEN_BUILD), [at])
        _, root, _, _ = conclude(s, bad)
        assert (root.category is Category.BROKEN_BUILD) is explains, at


def test_a_cause_while_an_absence_was_still_awaited_explains_it() -> None:
    """An absence symptom (a start-up never completed) is timed by the start: what stopped it came
    while the completion was still awaited, so a pod evicted two minutes into its start-up explains
    it; the clock rejects a cause only once the wait was over (blind set NS10)."""
    from dataclasses import replace

    from rca.model import Absence

    awaited = replace(pattern("startup-incomplete", Role.SYMPTOM, caused_by=("evicted",)),
                      absence=Absence("startup complete", "instance", 300.0))
    for at, explains in ((130, True), (900, False)):
        s = node(awaited, [10])
        evicted = node(pattern("evicted", Role.CAUSE, Category.DISK_OR_FILESYSTEM), [at])
        _, root, _, _ = conclude(s, evicted)
        assert (root.category is Category.DISK_OR_FILESYSTEM) is explains, at


def test_pre_existing_finding_is_never_root_cause() -> None:
    """A cause seen before the incident at a similar rate is noise, reported with that reason."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("noise",)), [30])
    noise = node(pattern("noise", Role.CAUSE), [5], status=Status.PRE_EXISTING, baseline=4)
    _, root, hyps, _ = conclude(s, noise)
    assert root.category is Category.UNKNOWN
    assert "present before the incident" in hyps[0].why_not


def test_chain_ending_on_symptom_says_evidence_stops() -> None:
    """Where no entry explains a symptom, the last link says so instead of inventing a cause."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("probe-failed",)), [30])
    probe = node(pattern("probe-failed", Role.SYMPTOM), [20])
    links, root, _, _ = conclude(s, probe)
    assert links[-1].category is Category.UNKNOWN
    assert links[-1].statement.startswith("No log entry explains why")
    assert root.category is Category.UNKNOWN
    assert root.confidence < 0.3


def test_nothing_found_is_unknown() -> None:
    """With no findings at all the answer is an honest, low-confidence unknown."""
    links, root, hyps, _ = whys.conclude({}, {}, {})
    assert (links, root.category, hyps) == ([], Category.UNKNOWN, [])


def test_rule_on_other_finding_changes_category_and_adds_conclusion() -> None:
    """A library rule over another finding decides the category and becomes the last why."""
    rule_db = Rule(
        when_any=("db-errors",),
        statement="The database itself failed.",
        category=Category.DATABASE_UNAVAILABLE,
    )
    rule_ok = Rule(
        when_any=("db-healthy",), statement="The database was up, so the path is at fault.", confidence=0.1
    )
    cause = pattern("connect-timeout", Role.CAUSE, Category.NETWORK_CONNECTIVITY, rules=(rule_db, rule_ok))
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("connect-timeout",)), [30])
    healthy = node(pattern("db-healthy", Role.CONTEXT), [1, 50], status=Status.PRE_EXISTING, baseline=3)
    links, root, hyps, _ = conclude(s, node(cause, [10]), healthy)
    assert root.category is Category.NETWORK_CONNECTIVITY
    assert links[-1].statement == "The database was up, so the path is at fault."
    assert any(
        h.category is Category.DATABASE_UNAVAILABLE and "no supporting evidence" in h.why_not for h in hyps
    )
    links2, root2, _, _ = conclude(s, node(cause, [10]), node(pattern("db-errors", Role.CAUSE), [5]))
    assert root2.category is Category.DATABASE_UNAVAILABLE
    assert links2[-1].statement == "The database itself failed."


def test_a_catch_all_of_a_category_does_not_fire_a_rule_on_that_category() -> None:
    """A rule over `category:network-connectivity` fires on a connection refused, not on a
    catch-all of that category printed over every failure's own cause (Node's "TypeError: fetch
    failed" above a headers timeout: the timeout stays the slow upstream, held-out QE01)."""
    from dataclasses import replace

    rule = Rule(when_any=("category:network-connectivity",), statement="The network path failed too.",
                category=Category.NETWORK_CONNECTIVITY)
    timeout = pattern("fetch-timeout", Role.CAUSE, Category.UPSTREAM_SERVICE_FAILURE, rules=(rule,))
    s = node(pattern("http-500", Role.SYMPTOM, http=True, caused_by=("fetch-timeout",)), [30])
    failed = pattern("fetch-failed", Role.CAUSE, Category.NETWORK_CONNECTIVITY)
    catch_all = node(replace(failed, generic=True), [10])
    refused = node(pattern("refused", Role.CAUSE, Category.NETWORK_CONNECTIVITY), [10])
    _, alone, _, _ = conclude(s, node(timeout, [10]), catch_all)
    _, beside, _, _ = conclude(s, node(timeout, [10]), refused)
    assert alone.category is Category.UPSTREAM_SERVICE_FAILURE
    assert beside.category is Category.NETWORK_CONNECTIVITY


def test_a_rule_on_the_finding_s_own_field_decides_the_category_when_the_value_matches() -> None:
    """Connections refused at the container's own loopback are a configuration error, whatever
    else is in the logs; refused at a real address they stay a network finding."""
    loopback = Rule(when_any=(), statement="The refused address is the container's own loopback.",
                    category=Category.MISSING_CONFIGURATION,
                    when_field=(("host", r"^(?:127\.0\.0\.1|localhost)$"),))
    refused = pattern("conn-refused", Role.CAUSE, Category.NETWORK_CONNECTIVITY, rules=(loopback,))
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("conn-refused",)), [30])

    def at(host: str) -> tuple[Category, str]:
        cause = node(refused, [10])
        cause = replace(cause, finding=replace(cause.finding, fields={"host": (host,)}))
        links, root, hyps, _ = conclude(s, cause)
        return root.category, links[-1].statement if host == "localhost" else hyps[0].why_not

    assert (at("localhost"), at("10.8.0.3")) == (
        (Category.MISSING_CONFIGURATION, "The refused address is the container's own loopback."),
        (Category.NETWORK_CONNECTIVITY, "its host does not say so"),
    )


def test_downstream_finding_is_reported_as_downstream() -> None:
    """A finding the chosen cause explains loses as 'downstream of the chosen cause'."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("root",)), [30])
    root_p = pattern("root", Role.CAUSE, causes=("side-effect",))
    side = node(pattern("side-effect", Role.CAUSE), [40])
    _, root, hyps, _ = conclude(s, node(root_p, [10]), side)
    assert root.pattern_id == "root"
    assert hyps[0].pattern_id == "side-effect"
    assert hyps[0].why_not.startswith("downstream of the chosen cause")


def test_same_traceback_adds_support() -> None:
    """Two findings matched in one re-joined traceback get co-location support on their edge."""
    a = node(pattern("inner", Role.CAUSE, causes=("outer",)), [10], events=[7])
    b = node(pattern("outer", Role.SYMPTOM), [10], events=[7])
    apart = node(pattern("outer", Role.SYMPTOM), [10], events=[8], instance="i2")
    together = chain.edge(a, b)
    separate = chain.edge(a, apart)
    assert together is not None and separate is not None
    assert together.score > separate.score
    assert any("same traceback" in s for s in together.support)


def test_user_facing_symptom_is_explained_first() -> None:
    """Request-log symptoms outrank internal ones as the thing to explain (why 1)."""
    internal = node(pattern("startup-failed", Role.SYMPTOM), [1, 2, 3, 4, 5])
    requests = node(pattern("http-503", Role.SYMPTOM, http=True, layer=Layer.PLATFORM), [30])
    picked = chain.main_symptom([internal, requests])
    assert picked is not None and picked.id == "http-503"


def test_same_request_trace_adds_support() -> None:
    """A cause logged under the same trace id as the failing request supports the edge."""
    cause_p = pattern("db-error", Role.CAUSE, causes=("http-500",))
    effect_p = pattern("http-500", Role.SYMPTOM, http=True)

    def with_trace(n: chain.Node, trace: str) -> chain.Node:
        occ = tuple(chain.Occurrence(o.ts, f"other-{k}", o.revision, o.event_id, trace)
                    for k, o in enumerate(n.occurrences))
        return chain.Node(n.finding, n.pattern, occ)

    cause = with_trace(node(cause_p, [10]), "projects/p/traces/abc")
    same = chain.edge(cause, with_trace(node(effect_p, [11]), "projects/p/traces/abc"))
    other = chain.edge(cause, with_trace(node(effect_p, [11]), "projects/p/traces/def"))
    assert same is not None and other is not None
    assert same.score > other.score
    assert any("same request trace" in s for s in same.support)


def test_a_context_finding_is_never_a_cause_whichever_side_declares_the_edge() -> None:
    """The premise of the lint on context edges: no edge leaves a context finding, whether the
    context pattern names the effect in `causes` or the effect names it in `caused_by`."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("db-changed",)), [30])
    ctx = node(pattern("db-changed", Role.CONTEXT, Category.DEPLOYMENT_CHANGE, causes=("http-503",)), [10])
    assert (chain.edge(ctx, s), chain.build_edges([s, ctx])) == (None, {})


def test_an_edge_into_a_context_finding_changes_nothing() -> None:
    """The chain never explains a context finding: the same findings conclude the same way with or
    without an edge from the root cause to a context finding."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("db-timeout",)), [30, 40])
    ctx = node(pattern("server-listening", Role.CONTEXT), [5])

    def with_causes(*causes: str):  # type: ignore[no-untyped-def]
        c = node(pattern("db-timeout", Role.CAUSE, Category.NETWORK_CONNECTIVITY, causes=causes), [10])
        return conclude(s, c, ctx)

    assert with_causes("server-listening") == with_causes()


def test_an_edge_declared_on_both_ends_is_one_edge() -> None:
    """The premise of the lint on edges declared twice: `causes` on the cause alone, `caused_by` on
    the effect alone, or both give the same edge, so one side is enough (lint keeps `causes`)."""
    s = node(pattern("http-503", Role.SYMPTOM, http=True), [30])

    def edge(causes: tuple[str, ...], caused_by: tuple[str, ...]) -> tuple[float, int] | None:
        effect = node(replace(s.pattern, caused_by=caused_by), [30])
        found = chain.edge(node(pattern("db-timeout", Role.CAUSE, causes=causes), [10]), effect)
        return (found.score, len(found.support)) if found else None

    both = edge(("http-503",), ("db-timeout",))
    assert (both, both) == (edge(("http-503",), ()), edge((), ("db-timeout",)))


def test_a_downstream_finding_is_credited_to_the_chain_finding_with_the_strongest_edge() -> None:
    """When the main symptom and a deeper chain finding both reach a side finding, the stronger
    edge names who explains it (the crash the library links to the 503, not the symptom's general
    kind); equal edges go to the first in chain order, and the side finding's own effects follow it."""
    from rca.reasoning.hypotheses import explained

    chain_ids = ["no-instance", "exit", "panic"]
    edges = {
        ("no-instance", "malformed"): chain.Edge("no-instance", "malformed", 0.3, ()),
        ("exit", "malformed"): chain.Edge("exit", "malformed", 0.8, ()),
        ("exit", "probe"): chain.Edge("exit", "probe", 0.5, ()),
        ("panic", "probe"): chain.Edge("panic", "probe", 0.5, ()),
        ("malformed", "retry"): chain.Edge("malformed", "retry", 0.6, ()),
        ("panic", "rejected"): chain.Edge("panic", "rejected", 0.0, (), rejected="after"),
    }
    assert explained(chain_ids, edges) == {"malformed": "exit", "probe": "exit", "retry": "exit"}


def test_a_field_the_lines_lacked_is_borrowed_only_from_a_finding_of_the_same_category() -> None:
    """A cause whose lines did not print its host takes it from a context finding of the same
    category (the database a context line names); a field the lines lacked is never taken from the
    service's settings or another failure's finding (the port the server listens on)."""
    db_p = replace(pattern("db-timeout", Role.CAUSE, Category.NETWORK_CONNECTIVITY),
                   extract={"host": "str", "port": "int"}, why="connect to {host}[[:{port}]] timed out")
    target_p = replace(pattern("db-target", Role.CONTEXT, Category.NETWORK_CONNECTIVITY),
                       extract={"host": "str"})
    listen_p = replace(pattern("listening", Role.CONTEXT, Category.PORT_MISMATCH), extract={"port": "int"})
    s = node(pattern("http-503", Role.SYMPTOM, http=True, caused_by=("db-timeout",)), [30])
    db, target, listen = node(db_p, [10]), node(target_p, [1]), node(listen_p, [2])
    target = replace(target, finding=replace(target.finding, fields={"host": ("10.107.1.3",)}))
    listen = replace(listen, finding=replace(listen.finding, fields={"port": ("8080",)}))
    links, root, _, _ = whys.conclude({n.id: n for n in (s, db, target, listen)}, {"port": "8080"}, {})
    assert (root.pattern_id, links[-1].statement) == ("db-timeout", "connect to 10.107.1.3 timed out")


def test_a_finding_a_fired_rule_stands_on_is_evidence_not_a_losing_cause() -> None:
    """The database's own 'out of slots' errors that make the pool timeout's rule conclude
    database-unavailable are that conclusion's evidence, so they are not listed as ruled out."""
    rule = Rule(when_any=("db-out-of-slots",), statement="The database refused new connections.",
                category=Category.DATABASE_UNAVAILABLE)
    pool = pattern("pool-timeout", Role.CAUSE, Category.DB_CONNECTION_POOL_EXHAUSTED, rules=(rule,))
    s = node(pattern("http-500", Role.SYMPTOM, http=True, caused_by=("pool-timeout",)), [30, 40])
    slots = node(pattern("db-out-of-slots", Role.CAUSE, Category.DATABASE_UNAVAILABLE), [8, 12, 20])
    links, root, hyps, _ = conclude(s, node(pool, [10]), slots)
    assert (root.category, links[-1].statement, [h.pattern_id for h in hyps]) == (
        Category.DATABASE_UNAVAILABLE, "The database refused new connections.", [])


def test_a_losing_cause_that_also_explains_the_main_symptom_is_said_to_be_weaker() -> None:
    """A cause with its own edge to the main symptom did not lose for explaining something else."""
    from rca.reasoning.hypotheses import losing_reason

    n = node(pattern("other", Role.CAUSE), [10])
    edges = {("other", "http-503"): chain.Edge("other", "http-503", 0.4, ())}
    symptom = node(pattern("http-503", Role.SYMPTOM), [5])
    reason = losing_reason(n, ["http-503", "root"], edges, symptom, "")
    assert reason.startswith("it can explain http-503 too, but the chain through root is better supported")


def test_where_the_evidence_stops_the_checks_name_what_the_finding_knows() -> None:
    """The gap link quotes the pattern's next checks with the finding's own fields filled (testers
    read 'is anything listening on {host}:{port}?' verbatim), and a value nobody knows stays
    visible as <name>."""
    p = replace(pattern("http-503", Role.SYMPTOM, http=True),
                next_checks=("Is anything listening on {host}:{port}?", "Which revision: {revision}?"))
    n = node(p, [30])
    n = replace(n, finding=replace(n.finding, fields={"host": ("10.8.0.3",), "port": ("6379",)}))
    links, _, _, _ = whys.conclude({n.id: n}, {}, {})
    assert "Is anything listening on 10.8.0.3:6379?" in links[-1].statement
    assert "Which revision: <revision>?" in links[-1].statement


def test_of_two_causes_whose_paths_score_alike_the_one_that_occurred_more_often_comes_first() -> None:
    """Two causes printed inside the same wrapper's stacks score alike; the one in 83 of them, not
    the one in 3, is the better explanation (blind set EV03), whatever their ids' order."""
    symptom = node(pattern("run-5xx", Role.SYMPTOM, http=True), [100, 200, 300])
    wrapper = node(pattern("server-unhandled", Role.CAUSE), [99, 199, 299])
    rare = node(pattern("a-cron-exception", Role.CAUSE), [98])
    often = node(pattern("z-redis-refused", Role.CAUSE), [98 + k for k in range(0, 83 * 2, 2)])
    nodes = {n.id: n for n in (symptom, wrapper, rare, often)}
    edges = {(c, e): chain.Edge(c, e, 0.85, ("same traceback",))
             for c, e in (("server-unhandled", "run-5xx"), ("a-cron-exception", "server-unhandled"),
                          ("z-redis-refused", "server-unhandled"))}
    best = chain.best_paths(symptom, nodes, edges)[0]
    assert best.ids == ("run-5xx", "server-unhandled", "z-redis-refused")


def test_a_pipelines_deploy_step_failing_after_the_revision_did_is_its_consequence() -> None:
    """Cloud Build's deploy step (`gcloud run deploy`) exits 1 seconds after the revision it created
    failed its startup probe: the library names the probe as the step's cause by id, so the step's
    category (broken-build) does not make it the probe's cause, though it falls within the clock's
    slack (blind set BE10, where it hid a port mismatch)."""
    from rca.library.loader import load_library

    lookup = {p.id: p for p in load_library().patterns}
    probe = node(lookup["run-startup-tcp-probe-failed"], [0])
    step = node(lookup["cloudbuild-step-failed"], [3], instance="")
    assert chain.edge(step, probe) is None
    forward = chain.edge(probe, step)
    assert forward is not None and not forward.rejected


@pytest.mark.parametrize("upstream", ["uvicorn-startup-incomplete", "container-crash-loop",
                                      "gke-liveness-probe-failed"])
def test_nginx_refused_by_a_pod_still_starting_is_that_pods_failure(upstream: str) -> None:
    """nginx is refused by the pod behind it while the pod has not finished starting, crash-loops
    or is restarted by its liveness probe: the library names those as the refusal's causes by id,
    so the refusal (network-connectivity) is not read as what kept the pod from starting (blind
    set BH02: a model loading longer than the liveness probe allowed read as the network's)."""
    from rca.library.loader import load_library

    lookup = {p.id: p for p in load_library().patterns}
    refused = node(lookup["nginx-upstream-connect-refused"], [0, 30, 60], instance="gateway")
    pod = node(lookup[upstream], [0, 30, 60])
    assert chain.edge(refused, pod) is None
    assert chain.edge(pod, refused) is not None


@pytest.mark.parametrize(("gap_s", "linked"), [(300, True), (3360, False)])
def test_a_failure_that_ended_long_before_a_symptom_began_is_not_its_cause(gap_s: int, linked: bool) -> None:
    """Three refused dials, then an hour of calls answered, then deadlines exceeded: had the refusals
    been the cause, the deadlines would have come while they ran (blind set BJ04). Five minutes
    apart, the order of events still allows it."""
    cause = pattern("refused", Role.CAUSE, Category.NETWORK_CONNECTIVITY, causes=("deadline",))
    refused = node(cause, [0, 1, 2])
    deadline = node(pattern("deadline", Role.SYMPTOM), [2 + gap_s, 2 + gap_s + 60, 2 + gap_s + 120],
                    instance="i2")
    edge = chain.edge(refused, deadline)
    assert edge is not None and (not edge.rejected) is linked


@pytest.mark.parametrize(("category", "linked"), [(Category.QUOTA_OR_RATE_LIMIT, False),
                                                   (Category.PERMISSION_DENIED, True)])
def test_a_failure_that_passes_and_ended_minutes_before_a_symptom_is_not_its_cause(
        category: Category, linked: bool) -> None:
    """PHP-FPM's workers all busy for a minute, then nineteen quiet minutes, then a load balancer
    that can no longer connect (held-out EB08): load passes, and explains only what failed while it
    ran. A permission refused once at start-up fails requests whenever they come
    (`_knowledge.yaml` `persistent`)."""
    from rca.library.knowledge import load_knowledge

    cause = node(pattern("early", Role.CAUSE, category, causes=("late",)), [0, 7])
    late = node(pattern("late", Role.SYMPTOM), [1140, 1200, 1260], instance="i2")
    edge = chain.edge(cause, late, load_knowledge())
    assert edge is not None and (not edge.rejected) is linked


@pytest.mark.parametrize(("busy_at", "category"), [(0, Category.NETWORK_CONNECTIVITY),
                                                    (1100, Category.QUOTA_OR_RATE_LIMIT)])
def test_the_application_s_own_account_counts_only_when_it_ran_with_the_symptom(
        busy_at: int, category: Category) -> None:
    """With nothing deeper in the logs, the runtime's own symptom (every PHP-FPM worker busy) reads
    before the load balancer's generic one, but only when it ran with the failures: busy nineteen
    minutes before them, it is no account of them (held-out EB08)."""
    from rca.library.knowledge import load_knowledge
    from rca.model import LikelyCause

    lb = replace(pattern("lb-failed", Role.SYMPTOM, Category.NETWORK_CONNECTIVITY, layer=Layer.NETWORK),
                 likely_cause=LikelyCause(Category.NETWORK_CONNECTIVITY, 0.45, "a firewall"))
    fpm = replace(pattern("fpm-busy", Role.SYMPTOM, Category.QUOTA_OR_RATE_LIMIT, layer=Layer.RUNTIME),
                  likely_cause=LikelyCause(Category.QUOTA_OR_RATE_LIMIT, 0.35, "too few workers"))
    failing, busy = node(lb, [1140, 1200, 1260]), node(fpm, [busy_at, busy_at + 7])
    _, root, _, _ = whys.conclude({n.id: n for n in (failing, busy)}, {}, {}, knowledge=load_knowledge())
    assert root.category is category


@pytest.mark.parametrize("cause_id", ["node-etimedout", "network-connect-timeout"])
def test_a_connect_timeout_logged_when_it_gave_up_still_precedes_the_requests_it_failed(
        cause_id: str) -> None:
    """Requests to a database behind a dropped route hang until the kernel gives up the connect,
    about two minutes later; the request log is timed when each began, so the first 5xx is logged
    two minutes before the first ETIMEDOUT. The library says a connect timeout is reported that
    long after it began, so the clock does not contradict the link (held-out CA04)."""
    from rca.library.loader import load_library

    lookup = {p.id: p for p in load_library().patterns}
    requests = node(lookup["run-request-5xx"], [0, 30, 60, 90])
    timeout = node(lookup[cause_id], [125, 155, 185])
    edge = chain.edge(timeout, requests)
    assert edge is not None and not edge.rejected


def test_counts_weigh_a_cause_only_where_traces_or_instances_prove_what_failed_the_requests() -> None:
    """Per-request errors logged on each failing request's instance within a second (no traces)
    prove what failed them: a rarer direct cause then explains only the failures it was logged
    beside (`chain._paired_shares`). Requests with neither traces nor instances (a paste's access
    lines) prove nothing, and no cause is weighed by its count (held-out BU07: 91 socket errors
    beside 11 authorisation failures that began them)."""
    symptom = node(pattern("5xx", Role.SYMPTOM, http=True), list(range(0, 400, 10)))
    beside = node(pattern("not-found", Role.CAUSE), list(range(0, 400, 10)))
    rare = node(pattern("panic", Role.CAUSE), list(range(0, 400, 100)))
    shares = chain._counted_shares(symptom, [beside, rare])
    assert shares == {"panic": 4 / 40}
    nowhere = replace(symptom, occurrences=tuple(o._replace(instance=None) for o in symptom.occurrences))
    assert chain._counted_shares(nowhere, [beside, rare]) == {}


def test_a_catch_all_is_explained_by_the_faces_of_one_failure_printed_after_it() -> None:
    """A catch-all line (`An unhandled exception has occurred`) split from the exception it
    announces is explained by the named failure logged right after most of its occurrences; a
    failure seen in several faces (a database restarting: "terminating connection due to
    administrator command", then "the database system is starting up") counts as one, each face
    a minority; a failure of another kind printed after as many does not join them."""
    outer = node(replace(pattern("unhandled", Role.CAUSE), generic=True), [0, 10, 20, 30, 40, 50],
                 events=[100, 200, 300, 400, 500, 600])
    shutdown = node(pattern("admin-shutdown", Role.CAUSE, Category.DATABASE_UNAVAILABLE), [0, 10],
                    events=[101, 201])
    starting = node(pattern("starting-up", Role.CAUSE, Category.DATABASE_UNAVAILABLE), [20, 30],
                    events=[301, 401])
    refused = node(pattern("refused", Role.CAUSE, Category.NETWORK_CONNECTIVITY), [40, 50],
                   events=[501, 601])
    present = [outer, shutdown, starting, refused]
    assert chain.edge(shutdown, outer, None, present) is not None
    assert chain.edge(starting, outer, None, present) is not None
    assert chain.edge(refused, outer, None, present) is None
    assert chain.edge(shutdown, outer, None, [outer, shutdown]) is None  # one face alone: a third


def test_a_named_cause_of_a_kind_is_not_explained_further_by_what_that_kind_usually_comes_from() -> None:
    """The kernel's OOM kill is a named cause of the kind crash; a crash usually comes from a
    called service failing (`_knowledge.yaml` kinds), but no failing call made memory run out. A
    caller's gRPC failures logged seconds after the kill (held-out MZ10, pasted beside) explain
    neither the kill nor, through it, the crash loop: the chain stops at the memory kill."""
    from rca.library.knowledge import Knowledge

    knowledge = Knowledge(kinds={"crash": ("category:upstream-service-failure",)})
    loop = node(pattern("container-crash-loop", Role.SYMPTOM, caused_by=("node-oom",)), [60, 240, 420])
    oom = node(replace(pattern("node-oom", Role.CAUSE, Category.MEMORY_LIMIT_EXCEEDED), kind="crash"),
               [50, 230, 410])
    calls = node(pattern("grpc-call-failed", Role.CAUSE, Category.UPSTREAM_SERVICE_FAILURE), [57, 237, 417])
    nodes = {n.id: n for n in (loop, oom, calls)}
    edges = chain.build_edges(list(nodes.values()), knowledge)
    assert edges[("grpc-call-failed", "node-oom")].general
    best = chain.best_paths(loop, nodes, edges)[0]
    assert best.ids == ("container-crash-loop", "node-oom")


def test_a_stack_of_the_service_s_own_frames_is_never_the_inner_cause_of_a_named_failure() -> None:
    """Node's `Error: inventory-api responded 503 Service Unavailable` with the app's frame below:
    the upstream's words match on the error line, the own-frames pattern on the frame under it, so
    by position alone it reads as the wrapped error printed after (Node prints a cause last). It is
    the same exception, not what the upstream's answer wrapped (blind set OF02); a named failure
    printed after the other, in the same stack, still is."""
    from rca.library.knowledge import load_knowledge

    def stacked(p: Pattern, pos: int) -> chain.Node:
        base = node(p, [10], events=[7])
        occ = tuple(o._replace(pos=pos, runtime="node") for o in base.occurrences)
        return chain.Node(base.finding, p, occ)

    upstream = stacked(pattern("upstream-5xx", Role.CAUSE, Category.UPSTREAM_SERVICE_FAILURE), 0)
    own = stacked(replace(pattern("own-frames", Role.CAUSE), frames="own"), 60)
    named = stacked(pattern("pg-refused", Role.CAUSE, Category.NETWORK_CONNECTIVITY), 60)
    knowledge = load_knowledge()
    assert chain.edge(own, upstream, knowledge) is None
    wrapped = chain.edge(named, upstream, knowledge)
    assert wrapped is not None and not wrapped.rejected


def test_of_two_readings_of_the_same_failed_requests_the_one_the_logs_explain_is_followed() -> None:
    """The same five 504s read by two user-facing platform patterns, as often as each other: the
    first by name (`a-engine-5xx`) leads nowhere, the other (`run-5xx`) to the request timeout
    logged beside them. The chain follows the reading the logs explain, not the name's order
    (held-out PO09: a pasted console line read as App Engine's, a gap); with no reading explained,
    the first by name stays, saying where the evidence stops."""
    def both(*present: chain.Node) -> tuple[chain.Node, ...]:
        engine = node(pattern("a-engine-5xx", Role.SYMPTOM, http=True, layer=Layer.PLATFORM), [10, 20, 30])
        run = node(pattern("run-5xx", Role.SYMPTOM, http=True, layer=Layer.PLATFORM,
                           caused_by=("slow-call",)), [10, 20, 30])
        return engine, run, *present

    slow = node(pattern("slow-call", Role.CAUSE, Category.UPSTREAM_SERVICE_FAILURE), [5])
    links, root, _, _ = conclude(*both(slow))
    assert [link.pattern_id for link in links] == ["run-5xx", "slow-call"]
    assert root.category is Category.UPSTREAM_SERVICE_FAILURE
    links, root, _, _ = conclude(*both())
    assert links[0].pattern_id == "a-engine-5xx" and root.category is Category.UNKNOWN
