"""The analysis pipeline: events -> findings -> baseline -> causal chain -> an `Analysis` value.

`run()` is what `rca analyze` and `rca.analyze()` both call; the result carries everything the
reports render, and serialises to the contract's JSON deterministically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from rca.engine.match import TEXT_LOG_PREFIX, Hit, aggregate, entry_weights, match_events, samples
from rca.library.knowledge import Knowledge, load_knowledge
from rca.library.templating import fill
from rca.model import (
    Category,
    Finding,
    Hypothesis,
    Link,
    LoadStats,
    Pattern,
    RecentTraffic,
    Remediation,
    Role,
    RootCause,
    Severity,
    Signal,
    State,
    Stats,
    Status,
    Verdict,
    Window,
)
from rca.reasoning import baseline, chain, changes, impact, steady, surge, verification, whys
from rca.reasoning.deploys import DeployInfo, collect, previous_revision
from rca.reasoning.verdict import RECENT, Traffic, share, slow_threshold, slowness
from rca.timeutil import EPOCH, Periods, naive_utc, parse_rfc3339, rfc3339

if TYPE_CHECKING:
    from rca.mining.signals import Mined

SCHEMA_VERSION = 1
_UTC = timezone.utc


@dataclass(frozen=True)
class TimelinePoint:
    """Count of one series (a finding id, or `http 5xx` etc.) in one time bucket."""

    bucket: str
    series: str
    count: int


@dataclass(frozen=True)
class Result:
    """Everything the analysis concluded; rendered by reports and exposed to notebooks."""

    service: str | None
    window: Window
    stats: Stats
    findings: tuple[Finding, ...]
    chain: tuple[Link, ...]
    root_cause: RootCause
    hypotheses: tuple[Hypothesis, ...]
    remediation: tuple[Remediation, ...]
    deploys: DeployInfo
    signals: tuple[Signal, ...] = ()
    # How to check the fix where the service runs (patterns/_knowledge.yaml `surfaces`).
    verification: tuple[Remediation, ...] = ()
    context: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    baseline_phrases: Mapping[str, str] = field(default_factory=dict)
    timeline: tuple[TimelinePoint, ...] = ()
    verdict: Verdict | None = None
    # Every (pattern, event) match, baseline included, for drill-down; not part of the JSON report.
    hits: tuple[Hit, ...] = field(default=(), repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON report (shared/docs/report-contract.md)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "service": self.service,
            "window": self.window.to_json(),
            "status": self.verdict.to_json() if self.verdict else None,
            "complete": self.stats.load.complete,
            "missing": [m.to_json() for m in self.stats.load.missing],
            "stats": self.stats.to_json(),
            "findings": [
                f.to_json() | {"baseline": self.baseline_phrases.get(f.pattern_id, "")} for f in self.findings
            ],
            "chain": [link.to_json() for link in self.chain],
            "root_cause": self.root_cause.to_json(),
            "hypotheses": [h.to_json() for h in self.hypotheses],
            "remediation": [r.to_json() for r in self.remediation],
            "deploys": self.deploys.to_json(),
            "unexplained_signals": [s.to_json() for s in self.signals],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class AnalysisInput:
    """What `run` reads besides the store: the window, the service asked for, what loading met."""

    window: Window
    service: str | None = None
    load: LoadStats = field(default_factory=LoadStats)


def run(con: Any, patterns: Sequence[Pattern], given: AnalysisInput) -> Result:
    """Analyse the `events` table of ``con`` with ``patterns`` over the window ``given``."""
    window = _whole_input_window(con, given.window)
    knowledge = load_knowledge()
    hits = _specific_first(_claimed_lines(match_events(con, patterns, knowledge), patterns), patterns)
    periods = window.periods()
    findings = baseline.classify(aggregate(con, patterns, hits), periods)
    deploys = collect(con, knowledge.deploy_methods)
    context = _context(con, given.service, deploys)
    for f in sorted(findings, key=lambda f: (f.role is not Role.CONTEXT, -f.count, f.pattern_id)):
        for name, values in f.fields.items():
            context.setdefault(name, values[0])  # e.g. {host} named by a context line of the same run
    lookup = {p.id: p for p in patterns}
    phrases = {f.pattern_id: baseline.describe(f, periods) for f in findings}
    nodes = _nodes(findings, lookup, hits)
    lasting = {f.pattern_id for f in findings
               if f.role is Role.CAUSE and _lasts(lookup[f.pattern_id], f.category, knowledge)}
    new_revisions = _new_revisions(deploys, window)
    # (without a baseline only: it alone tells noise from an incident by the window's own course)
    failures = () if periods.has_baseline else impact.failure_seconds(con)
    findings, phrases, step = steady.steady_before_step(
        findings, nodes, window, phrases, periods.has_baseline, new_revisions, lasting, failures
    )
    traffic = impact.measure(con, window, deploys)
    # Failures at the baseline's rate are noise only while few requests fail: else the baseline
    # was the same incident, begun before the window.
    # (a catch-all such as "a Java exception with a stack" lasts only as the specific failure it
    # also reads does: a timeout's stack is no full disk)
    chronic = {i for i in lasting if not lookup[i].generic}
    if not traffic.requests:
        chronic -= impact.worked_beside(con, hits, chronic)
    findings, phrases = baseline.ongoing(findings, phrases, traffic, periods, chronic)
    throughout: set[str] = set()
    # (a failure that is itself a failed request the requests counted left out: they do not say
    # every request was answered)
    unlogged = _failed_unlogged(findings, lookup)
    if not periods.has_baseline:
        served = traffic.requests > 0 and not traffic.failed and not unlogged
        findings, phrases, throughout = steady.steady_throughout(findings, nodes, window, phrases, served,
                                                                 new_revisions)
    # The platform's refusals of callers count as failed requests once steady noise is told apart;
    # refusals beside traffic served as before (a scanner's probes) are noise.
    refused = impact.refusals(con, findings, lookup, hits, traffic.recent_since, set(new_revisions))
    findings, phrases = impact.probes_as_noise(findings, lookup, hits, refused, phrases)
    # So are the errors the service logged while refusing a client beside the callers it served,
    # unless what it depends on failing made it refuse them: those requests failed.
    told, failed_by_dependencies = impact.client_errors(con, findings, hits, traffic.recent_since,
                                                        set(new_revisions))
    refused = sorted({*refused, *failed_by_dependencies})
    traffic = impact.with_refusals(con, traffic, refused)
    findings, phrases = impact.client_errors_as_noise(findings, hits, told, phrases)
    # Without times or without levels (a paste, a text log in a format rca cannot read the level
    # of), an unexplained traceback or error line is the only sign of a failure, and so it is in a
    # text log alone (a paste, `kubectl logs`): one is shown because something failed, often in
    # one line at WARN or none. Otherwise severities and requests decide, as the signals also hold
    # error-like lines that are no failure.
    blind = window.untimed or _levelless_or_text_only(con)
    # A failure the service rode through while it served every request is noise too (not where the
    # requests were only accepted for work done later: they say nothing of it).
    unjudged = blind or unlogged or impact.work_answered_later(con)
    jobs_done = impact.jobs_all_done(con, traffic)
    findings, phrases, absorbed = impact.absorbed_as_noise(findings, lookup, knowledge, traffic,
                                                           phrases, unjudged, jobs_done)
    # And so is one it only ever logged as a warning while every request succeeded.
    findings, phrases = impact.coped_as_noise(con, findings, lookup, traffic, phrases, unjudged, lasting)
    # And so is one that a later line says ended where it happened (a pod placed once a node was added).
    findings, phrases = impact.resolved_as_noise(findings, nodes, traffic.recent_since, phrases)
    # And so is a catch-all's stack that only printed failures set aside as noise.
    findings, phrases = impact.printed_as_noise(findings, lookup, hits, phrases)
    # The same occurrences, with the findings steady noise and probes re-classed.
    whole = {f.pattern_id: replace(nodes[f.pattern_id], finding=f) for f in findings}
    nodes = _without_passed(con, steady.since_step(whole, step), failures)
    began = _began_with_deploy(con, nodes, deploys)
    links, root, hyps, used = whys.conclude(nodes, context, phrases, knowledge, began)
    if root.category is Category.UNKNOWN and used:
        # (when a revision's failures began is all of them, not those since a step: a canary's
        # failures step up when it takes more traffic, and began with it all the same)
        links, root = whys.deploy_fallback(nodes[used[0]], deploys, links, root, new_revisions,
                                           whole[used[0]].first_by("revision"))
    elif root.category is Category.UNKNOWN:
        # No finding stands for the failed requests (an app's own access-log lines, "request
        # errored" and nothing more): the requests themselves say which revision they failed on.
        links, root = _deploy_fallback_by_requests(con, deploys, links, root, new_revisions, traffic, refused)
    elif whys.slowness_only(links, nodes):
        # A reading of the symptom that says only that requests were slow (504s past the request
        # timeout) is the new revision's when its answers slowed with it, whether its requests ran
        # out of time at once or only later: its slow code (N+1 queries, a query its change kept
        # off the index) is the account (held-out QQ03, QQ07). A revision as fast as the one before
        # whose streams were cut sooner (a shorter timeout, QZ01) keeps the timeout's reading.
        blamed = _blame_slower_revision(con, deploys, links[:-1], root, new_revisions)
        if blamed[1].category is Category.DEPLOYMENT_CHANGE:
            links, root = blamed
    # An overload read as a load symptom's work is the surge's when the requests multiplied first.
    links, root, hyps, used = _surged(con, links, root, hyps, used, nodes, knowledge)
    # The finding the root cause reads (its start dates the incident, its pattern says whether it
    # lasts), before a change that set it off becomes the last why.
    cause = nodes.get(root.pattern_id or "")
    change = reading = None
    if cause is not None and cause.id not in began:
        # A root cause that is only the symptom's usual reading names no category of its own to
        # look for: the latest change of any kind the library says sets the symptom off is the
        # better evidence (a Service's targetPort patched two seconds after a ConfigMap: blind set
        # BW10, where the ConfigMap, of the reading's category, was taken).
        if _only_read(cause, root):
            change = reading = changes.find_setting_off(con, cause, nodes, context, knowledge)
        if change is None:
            change = changes.find(con, root.category, cause, nodes, context)
        if change is None and (ruled := changes.find_by_rule(con, cause, nodes, context)) is not None:
            category, change = ruled
            root, hyps = changes.by_rule(root, hyps, category, change)
        if change is None and (named := changes.find_named(con, cause, nodes, context)) is not None:
            category, change = named
            root, hyps = changes.by_rule(root, hyps, category, change)
    if reading is not None:
        links, root = changes.instead_of_reading(links, root, reading, nodes)
    elif change is not None:
        links, root = changes.extend(links, root, change, nodes)
    if change is not None:
        used = [*used, change.pattern_id]
        if change.resource:
            context["changed_resource"] = change.resource.rsplit("/", 1)[-1]
    links = whys.symptoms_in_root_category(links, root, nodes)
    # A catch-all, or an exception known only by where it was raised, does not explain what failed:
    # its events still feed the unexplained signals that `rca patterns suggest` drafts from.
    generic = {p.id for p in patterns if p.generic or p.frames}
    explained = {h.event_id for h in hits if h.pattern_id not in generic} | told
    mined = _mine(con, window, explained, patterns)
    signals = mined.signals
    if (top := _top_signal(root, signals, knowledge)) is not None:
        since = ("new" if top.new else "bursting") + (f" since {top.first_seen}" if top.first_seen else "")
        root = replace(root, summary=f"{root.summary} Top unexplained signal ({since}, {top.count} times): "
                                     f"{top.template!r}")
    resource_type = _resource_type(con, given.service)
    context["logs"] = _log_filter(knowledge, resource_type, context.get("service"))
    if route := _route_to_try(con):
        context["route"] = route
    # (a paste whose `kubectl get jobs` shows the Job completed says its run finished: the lines
    # no pattern explains were handled on the way)
    unexplained = sum(s.count for s in signals if _telling(s, knowledge)) \
        if blind and not impact.job_completed(con, given.service) else 0
    judged = _without_quiet_errors(con, traffic, hits, throughout | absorbed,
                                   {p.id for p in patterns if p.role is Role.CONTEXT},
                                   told | _steady_unexplained(con, mined, periods, window, nodes,
                                                              _steady_judged(traffic, findings,
                                                                             steady.span(window, nodes))),
                                   {f.pattern_id for f in findings if f.status is Status.PRE_EXISTING})
    root_start = _start(cause) if cause is not None else None
    verdict = impact.decide(con, judged, given.load.estimate, periods, findings, lookup, deploys,
                            unexplained, blind, step[1] if step else None, root_start,
                            _persistent(root.category, cause, findings, lookup, knowledge),
                            _until_restart(findings, lookup), given.service, lasting)
    if change is not None and verdict.trigger is None:
        verdict = replace(verdict, change=change)
    if not links and root.pattern_id is None and (slower := slowness(judged)) is not None:
        # Nothing failed and no log line says why, but the answers came slowly: say that much.
        root = replace(root, summary=f"No log entry explains why the service got slow: {slower}.")
    if verdict.state is State.OK:
        # Nothing failed beyond what the baseline already had: no chain, and no cause to name.
        links, used = [], []
        root = RootCause(Category.UNKNOWN, None, _all_clear(findings, absorbed, len(told), verdict), 0.0)
    revision = verdict.trigger.revision if verdict.trigger else None
    previous = previous_revision(deploys, revision) if revision else None
    if previous is not None:
        context["previous_revision"] = previous  # what served before the deploy that began it all
    remediation = _fitting(whys.remediation([nodes[i] for i in reversed(used)], context, root.category,
                                            [nodes[k] for k in sorted(nodes)], knowledge),
                           knowledge, resource_type)
    rollback = _rollback(verdict, knowledge, resource_type, cause, context, deploys)
    restore = changes.restore_access(change, knowledge, context) if change is not None else None
    if restore is not None and cause is not None and verdict.state is not State.OK:
        remediation = (replace(restore, verify=whys.stops(cause, context)), *remediation)
    return Result(
        service=given.service,
        window=window,
        stats=_stats(con, window, traffic, given.load, len(findings), hits, len(deploys.deploys)),
        findings=tuple(sorted(findings, key=_finding_order)),
        chain=tuple(links),
        root_cause=root,
        hypotheses=tuple(hyps),
        remediation=(rollback, *remediation) if rollback else remediation,
        # (a window without a failure has no fix to verify: "call a route that failed" has none)
        verification=(() if verdict.state is State.OK
                      else verification.checks(knowledge.surface_of(resource_type), given.service, context)),
        deploys=deploys,
        signals=tuple(signals),
        context=context,
        baseline_phrases=phrases,
        timeline=tuple(_timeline(con, hits, window, refused)),
        hits=tuple(hits),
        verdict=verdict,
        notes=_data_notes(con, verdict, given.load),
    )


def _all_clear(findings: Sequence[Finding], absorbed: set[str], refusing: int, verdict: Verdict) -> str:
    """What the root cause says of a window without a failure, naming the failures the service
    absorbed (`impact.absorbed_as_noise`) and the errors it logged refusing clients
    (`impact.client_errors`) when there were any."""
    rode = [f for f in findings if f.pattern_id in absorbed]
    if not rode and not refusing:
        served = "requests succeeded" if verdict.requests else "no request was logged"
        return (f"No failure in this window: {served} and no error rose above what the baseline "
                "already had.")
    out = (f"No failure in this window: none of the {verdict.requests} requests failed." if verdict.requests
           else "No failure in this window: no request was logged, and every job it logged completed.")
    if rode:
        what = "; ".join(f"{f.title_in_sentence} ({f.count} times, last at {f.last_seen})" for f in rode)
        out += (f" The service rode through what it logged meanwhile, which ended before the last "
                f"{RECENT // 60} minutes: {what}.")
    if refusing:
        out += (f" {refusing} error event(s) were logged in the traces of requests it answered with a "
                "client error (4xx) while the same routes served other callers: why it refused them.")
    return out


# Failures this close to the input's first entry were there when it began.
FROM_THE_START = timedelta(seconds=60)


def _data_notes(con: Any, verdict: Verdict, load: LoadStats) -> tuple[str, ...]:
    """What the input cannot tell, said beside the verdict: requests with no log of why they
    failed, requests known only from the app's access log, and failures already there when the
    input begins (an onset that is only a bound)."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE http_status IS NOT NULL), "
        "count(*) FILTER (WHERE http_status IS NULL "
        "AND NOT starts_with(coalesce(log_id, ''), 'cloudaudit')), "
        "min(ts) FROM entries"
    ).fetchone()
    requests, others, first = row if row else (0, 0, None)
    notes = []
    if load.skipped_lines:
        shown = "; ".join(load.skipped_first[:3])
        more = f" and {load.skipped_lines - 3} more" if load.skipped_lines > 3 else ""
        notes.append(f"{load.skipped_lines} piece(s) of the input could not be read as log entries and "
                     f"were skipped or repaired (the rest was analysed): {shown}{more}.")
    if load.service_components:
        named = ", ".join(load.service_components)
        notes.append(f"--service names no service, container or workload itself: the "
                     f"{len(load.service_components)} whose names begin or end with it beside a dash were "
                     f"analysed together as it ({named}).")
    if load.access_log_requests:
        notes.append(f"The input holds no request log: the {load.access_log_requests} requests counted are "
                     "the application's own access-log lines, or a function's execution lines (a request "
                     "that never reached it is not among "
                     "them).")
    if load.checker_requests:
        notes.append(f"The only requests logged are {load.checker_requests} of monitors and probes (uptime "
                     "checks, health checks), all answered: they say the server answers, not that the work "
                     "is done, so they are not counted as requests and the service's other entries decide.")
    if requests and not others:
        notes.append("The input holds request logs only, no application, stderr or platform log: the failed "
                     "requests are counted, but why they failed can only be inferred from the requests.")
    onset = parse_rfc3339(verdict.onset) if verdict.onset else None
    early = onset is not None and first is not None and naive_utc(onset) - naive_utc(first) <= FROM_THE_START
    if early and verdict.state is not State.OK:
        notes.append(f"The failures are there from the input's first entry ({rfc3339(first)}): the incident "
                     "began then or earlier, so its onset and duration are lower bounds. An export that "
                     "starts earlier shows it begin.")
    return tuple(notes)


def _start(node: chain.Node) -> tuple[datetime, str | None] | None:
    """When and on which revision a finding began (its first occurrence with a revision; where none
    names one, a workload without revisions, its first occurrence)."""
    first = min(((t, r) for r, t in node.first_by("revision").items()), default=None)
    if first is None and (at := node.first()) is not None:
        return at, None
    return first


def _surged(
    con: Any, links: list[Link], root: RootCause, hyps: list[Hypothesis], used: list[str],
    nodes: Mapping[str, chain.Node], knowledge: Knowledge,
) -> tuple[list[Link], RootCause, list[Hypothesis], list[str]]:
    """The chain with a surge of requests as the cause of its overload (rca/reasoning/surge.py),
    where the link under the overload rests on general knowledge alone; else as it was."""
    overload = surge.overload_in(links, nodes)
    if overload is None or not surge.only_generally_linked(links, overload, nodes, knowledge):
        return links, root, hyps, used
    at = overload.first()
    found = surge.measure(con, at) if at is not None else None
    if found is None:
        return links, root, hyps, used
    links, root, hyps = surge.instead(links, root, hyps, overload, found)
    return links, root, hyps, used[: used.index(overload.id) + 1] if overload.id in used else used


def _only_read(cause: chain.Node, root: RootCause) -> bool:
    """Whether the root cause is only the usual reading of a symptom (`likely_cause`): no log entry
    shows the cause itself."""
    likely = cause.pattern.likely_cause
    return (cause.pattern.role is Role.SYMPTOM and likely is not None and root.pattern_id == cause.id
            and root.category is likely.category)


def _persistent(
    category: Category, cause: chain.Node | None, findings: Sequence[Finding], lookup: Mapping[str, Pattern],
    knowledge: Knowledge,
) -> str | None:
    """Why nothing would have been served while the failure ran, if so: the root cause fails every
    attempt until something is changed, or a failure that keeps the service from staying up (a
    crash loop: its pattern says `persistent: true`) is active. Only failures at error or above: a
    pattern at warning (a client's expired token rejected, a slow start noted) is background a live
    service runs beside, which says nothing of whether anything was served. A pattern's own
    `persistent` says it for its own category (a missing index fails one query, a dropped
    connection comes back), else the category's (patterns/_knowledge.yaml)."""
    pattern = cause.pattern if cause is not None else None
    if pattern is not None and _lasts(pattern, category, knowledge):
        return f"{category.value} fails every attempt until it is fixed"
    down = sorted(f.pattern_id for f in findings if impact.stops_the_process(f, lookup))
    if down:
        title = lookup[down[0]].title
        return f"{title[0].lower()}{title[1:]} ({down[0]}) as the logs end"
    return None


def _failed_unlogged(findings: Sequence[Finding], lookup: Mapping[str, Pattern]) -> bool:
    """Whether a finding that is itself a failed request (`fails_requests`: a handler's exception its
    framework answered 500) began or grew in the window. Where the requests counted say none failed,
    they left those out (an app's access lines written only for the requests it completed, held-out
    KM08: every payment refused beside lookups logged 200), so they do not say the service answered
    every request, and what it logged beside them is not judged by them."""
    return any(lookup[f.pattern_id].fails_requests and f.status in (Status.ACTIVE, Status.ELEVATED)
               for f in findings)


def _until_restart(findings: Sequence[Finding], lookup: Mapping[str, Pattern]) -> bool:
    """Whether a symptom that stops the process's work until it is restarted (`until_restart`: a
    Kafka listener container stopped on a fatal error) began or grew in the window: nothing is
    logged of the failure after it, so its silence is no recovery."""
    return any(f.role is Role.SYMPTOM and f.status in (Status.ACTIVE, Status.ELEVATED)
               and lookup[f.pattern_id].until_restart for f in findings)


def _lasts(pattern: Pattern, category: Category, knowledge: Knowledge) -> bool:
    """Whether a failure of ``pattern``, read as ``category``, fails every attempt until something is
    changed: the pattern's own `persistent` for its own category, else the category's
    (patterns/_knowledge.yaml). Only at error or above (a warning is background a service runs
    beside)."""
    if pattern.severity not in (Severity.ERROR, Severity.CRITICAL):
        return False
    if pattern.persistent is not None and category is pattern.category:
        return pattern.persistent
    return category.value in knowledge.persistent


def _began_with_deploy(con: Any, nodes: Mapping[str, chain.Node], deploys: DeployInfo) -> frozenset[str]:
    """The causes that began on a revision a deploy in the input created, just after it
    (`impact.trigger` from the cause's start), or on one first seen then after another had served
    (a GKE rollout read from its pods' names, with no deploy record): a rule of theirs on a
    deployment change then holds."""
    out: set[str] = set()
    rollouts = impact.shows_rollouts(deploys)
    for node_id, node in nodes.items():
        start = _start(node) if node.pattern.role is Role.CAUSE and rollouts else None
        if start is not None and impact.trigger(con, deploys, start[0], start[1], by_failure=False):
            out.add(node_id)
    return frozenset(out)


def _without_passed(
    con: Any, nodes: dict[str, chain.Node], failures: Sequence[datetime]
) -> dict[str, chain.Node]:
    """The chain's findings less the symptoms that passed long before most of the failed requests
    (`chain.outlived`): a readiness probe refused once as a pod booted is no reading of 500s the
    pods answered for the next 45 minutes (blind set EX05). ``failures``: the seconds requests
    failed in, when already read (`impact.failure_seconds`)."""
    passing = [k for k, n in nodes.items()
               if n.pattern.persistent is False and n.pattern.role is Role.SYMPTOM]
    if not passing:
        return nodes
    failed = list(failures) or impact.failure_seconds(con)
    gone = {k for k in passing if chain.outlived(nodes[k], failed) is not None}
    return {k: n for k, n in nodes.items() if k not in gone}


# Some entries of each revision (`{which}`: an SQL condition): how many, when the first came, and
# its entry; what `_blame_rows` weighs.
_BY_REVISION = """
SELECT revision, count(*), min(ts), arg_min(entry_id, (ts, entry_id)) FROM entries
WHERE in_window AND revision IS NOT NULL AND ts IS NOT NULL AND ({which})
GROUP BY revision ORDER BY revision
"""
# The failed requests (and the refused callers among them).
_FAILED_BY_REVISION = _BY_REVISION.format(
    which="request_failed(http_status, message) OR entry_id IN (SELECT unnest($refused::BIGINT[]))")
# A workload that logs no request (a queue worker) fails in its errors: its entries at ERROR or above.
_ERRORS_BY_REVISION = _BY_REVISION.format(which="error_entry(severity_num, message)")
# The answers that came slowly (`$slow` seconds or more) from `$since` on (where the slowness
# began, `impact.slow_since`).
_SLOW_BY_REVISION = _BY_REVISION.format(
    which="ts >= $since AND http_latency_s >= $slow AND http_status IS NOT NULL "
          "AND NOT request_failed(http_status, message)")


def _deploy_fallback_by_requests(
    con: Any, deploys: DeployInfo, links: list[Link], root: RootCause, new_revisions: Mapping[str, datetime],
    traffic: Traffic, refused: Sequence[int] = (),
) -> tuple[list[Link], RootCause]:
    """`whys.deploy_fallback` when no finding stands for the failures: the failed requests
    themselves (``refused``: the callers refused among them, `impact.with_refusals`'s), counted per
    revision, the first on the revision blamed as the evidence. Where
    none failed but the answers slowed (`Traffic.slow_since`), the slow answers: every answer of a
    new revision that took seconds, with nothing logged to say why, began with that deploy
    (held-out HN02, HN05)."""
    rows = con.execute(_FAILED_BY_REVISION, {"refused": list(refused)}).fetchall()
    if not rows and not traffic.requests and deploys.revisions:
        # no request logged at all: its errors are the failures (held-out RF09, a queue worker's
        # jobs failing from a rollout on)
        errors = con.execute(_ERRORS_BY_REVISION).fetchall()
        return _blame_rows(con, errors, deploys, links, root, new_revisions, "errors")
    if not rows and not deploys.revisions:
        return _deploy_fallback_without_revisions(con, deploys, links, root, traffic, refused)
    if not rows:
        return _blame_slow_answers(con, deploys, links, root, new_revisions, traffic)
    return _blame_rows(con, rows, deploys, links, root, new_revisions, "failures")


def _blame_slow_answers(
    con: Any, deploys: DeployInfo, links: list[Link], root: RootCause, new_revisions: Mapping[str, datetime],
    traffic: Traffic,
) -> tuple[list[Link], RootCause]:
    """`whys.blame_revision` over the slow answers since the recent slowness began
    (`Traffic.slow_since`), per revision; the chain and root cause as they were when the answers
    did not slow."""
    if traffic.slow_since is None or traffic.latencies is None:
        return links, root
    params = {"since": traffic.slow_since, "slow": slow_threshold(traffic.latencies[1])}
    rows = con.execute(_SLOW_BY_REVISION, params).fetchall()
    return _blame_rows(con, rows, deploys, links, root, new_revisions, "slow answers")


# The usual latency of the answers of the revisions that were not new in the window.
_OLD_REVISIONS_MEDIAN = """
SELECT median(http_latency_s) FROM entries
WHERE in_window AND revision IS NOT NULL AND NOT list_contains($new::VARCHAR[], revision)
  AND http_latency_s IS NOT NULL AND http_status IS NOT NULL AND NOT request_failed(http_status, message)
"""


def _blame_slower_revision(
    con: Any, deploys: DeployInfo, links: list[Link], root: RootCause, new_revisions: Mapping[str, datetime],
) -> tuple[list[Link], RootCause]:
    """`whys.blame_revision` over the answers slow against the usual latency of the revisions that
    were not new (`slow_threshold`), per revision: a revision that answered in seconds what the one
    before answered in milliseconds began its slowness, though its requests ran out of time only
    later (held-out QQ07: a query kept off its index, timeouts 35 minutes after the deploy). The
    chain and root cause as they were when no old revision answered, or none was slower."""
    if not new_revisions:
        return links, root
    usual = con.execute(_OLD_REVISIONS_MEDIAN, {"new": sorted(new_revisions)}).fetchone()
    if usual is None or usual[0] is None:
        return links, root
    params = {"since": datetime.min, "slow": slow_threshold(float(usual[0]))}
    rows = con.execute(_SLOW_BY_REVISION, params).fetchall()
    return _blame_rows(con, rows, deploys, links, root, new_revisions, "slow answers")


def _blame_rows(
    con: Any, rows: Sequence[tuple[Any, ...]], deploys: DeployInfo, links: list[Link], root: RootCause,
    new_revisions: Mapping[str, datetime], what: str,
) -> tuple[list[Link], RootCause]:
    """`whys.blame_revision` over ``rows`` (revision, count, first time, first entry), the first
    entry on the newest revision blamed as the evidence."""
    failing = {str(r): int(n) for r, n, _, _ in rows}
    first = {str(r): ts for r, _, ts, _ in rows}
    news = sorted((new_revisions[r], r) for r in failing if r in new_revisions)
    evidence = samples(con, [int(e) for r, _, _, e in rows if news and r == news[0][1]])
    return whys.blame_revision(failing, first, evidence, deploys, links, root, new_revisions, what)


# The window's first failed request (or refused caller): when, and its entry.
_FIRST_FAILURE = """
SELECT min(ts), arg_min(entry_id, (ts, entry_id)) FROM entries
WHERE in_window AND ts IS NOT NULL AND http_status IS NOT NULL
  AND (request_failed(http_status, message) OR entry_id IN (SELECT unnest($refused::BIGINT[])))
"""


def _deploy_fallback_without_revisions(
    con: Any, deploys: DeployInfo, links: list[Link], root: RootCause, traffic: Traffic,
    refused: Sequence[int] = (),
) -> tuple[list[Link], RootCause]:
    """`_deploy_fallback_by_requests` for a workload that names no revision (a 1st gen Cloud
    Function, a VM's container): the deploy just before the first failed request (`impact.trigger`'s
    `deploy_just_before`, within ten minutes), after requests it answered, started the failures when
    nothing deeper explains them (held-out PD04: executions finished with status 500 from the
    update on, no error of the function's own)."""
    row = con.execute(_FIRST_FAILURE, {"refused": list(refused)}).fetchone()
    if row is None or row[0] is None or not traffic.requests_between[0] \
            or traffic.requests_between[0] >= row[0]:
        return links, root
    deploy = impact.deploy_just_before(deploys, row[0])
    if deploy is None or deploy.timestamp is None \
            or naive_utc(parse_rfc3339(deploy.timestamp)) <= traffic.requests_between[0]:
        return links, root
    who = f" by {deploy.principal}" if deploy.principal else ""
    sentence = (f"The failures begin with the deploy at {deploy.timestamp}{who} ({deploy.method}), after "
                "requests it answered before; nothing in the logs explains them more deeply.")
    link = Link(len(links) + 1, sentence, None, Category.DEPLOYMENT_CHANGE, 0.5, samples(con, [int(row[1])]),
                "", ("deploy correlation: the failures began within minutes of the deploy",))
    return [*links, link], RootCause(Category.DEPLOYMENT_CHANGE, None, sentence, 0.5)


def _new_revisions(deploys: DeployInfo, window: Window) -> dict[str, datetime]:
    """When each revision new in the window began: one first seen more than `FROM_THE_START` after
    the window and the input began (the later of the two), for a revision already serving logs its
    first line within moments of either; and one whose deploy the window holds, from that deploy (a
    service created as the input begins is new however soon it logs)."""
    starts = [naive_utc(t) for t in (window.start, window.earliest) if t is not None]
    start = max(starts) if starts else None
    out = {}
    for r in deploys.revisions:
        first = naive_utc(parse_rfc3339(r.first_seen)) if r.first_seen else None
        if first is not None and (start is None or first > start + FROM_THE_START):
            out[r.name] = first
    for d in deploys.deploys:
        at = naive_utc(parse_rfc3339(d.timestamp)) if d.timestamp else None
        if d.revision and at is not None and not d.failed and (start is None or at >= start):
            out[d.revision] = min(at, out.get(d.revision, at))
    return out


def _whole_input_window(con: Any, window: Window) -> Window:
    """Read without --since, the window is the whole input: its first and last entry, so that "the
    last ten minutes", the timeline and in-window steps mean the same as for a chosen window."""
    if window.start is not None and window.end is not None:
        return window
    row = con.execute("SELECT min(ts), max(ts) FROM entries WHERE in_window").fetchone()
    if not row or row[0] is None:
        return window
    first, last = (t if t.tzinfo else t.replace(tzinfo=_UTC) for t in row)
    return replace(window, start=window.start or first, end=window.end or last)


def _claimed_lines(hits: list[Hit], patterns: Sequence[Pattern]) -> list[Hit]:
    """Drop the hits of other patterns on events a `claims_line` pattern matched: an exporter's
    "Failed to export metrics ... StatusCode.UNAVAILABLE" is telemetry being lost, not a
    dependency the service failed to reach, whatever failure words it quotes."""
    lookup = {p.id: p for p in patterns}
    claimed = {h.event_id for h in hits if lookup[h.pattern_id].claims_line}
    if not claimed:
        return hits
    return [h for h in hits if lookup[h.pattern_id].claims_line or h.event_id not in claimed]


def _specific_first(hits: list[Hit], patterns: Sequence[Pattern]) -> list[Hit]:
    """Drop own-code exception hits on events a specific cause pattern already explains: a
    connection refused raised through the app's frames is a network failure, not a bug."""
    lookup = {p.id: p for p in patterns}
    explained = {h.event_id for h in hits if lookup[h.pattern_id].role is Role.CAUSE
                 and not lookup[h.pattern_id].generic and lookup[h.pattern_id].frames is None}
    return [h for h in hits if lookup[h.pattern_id].frames is None or h.event_id not in explained]


_STATUS_RANK = {Status.ACTIVE: 0, Status.ELEVATED: 1, Status.PRE_EXISTING: 2}


def _finding_order(f: Finding) -> tuple[int, int, str]:
    return (_STATUS_RANK[f.status], -f.count, f.pattern_id)


def _nodes(
    findings: Sequence[Finding], lookup: Mapping[str, Pattern], hits: Sequence[Hit]
) -> dict[str, chain.Node]:
    occ: dict[str, list[chain.Occurrence]] = {}
    for h in hits:
        if h.in_window:
            occ.setdefault(h.pattern_id, []).append(
                chain.Occurrence(h.done_ts or h.ts, h.instance_id, h.revision, h.event_id, h.trace, h.pos,
                                 h.runtime)
            )
    return {
        f.pattern_id: chain.Node(f, lookup[f.pattern_id], tuple(occ.get(f.pattern_id, ()))) for f in findings
    }


def co_occurring_symptoms(
    result: Result, patterns: Sequence[Pattern], cause_id: str
) -> dict[str, tuple[str, ...]]:
    """The in-window symptoms of ``result`` that finding ``cause_id`` co-occurs with in the data
    (`chain.co_location`), each with its support: what a drafted pattern's `causes` start from."""
    nodes = _nodes(result.findings, {p.id: p for p in patterns}, result.hits)
    cause = nodes.get(cause_id)
    if cause is None:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for node in sorted(nodes.values(), key=lambda n: n.id):
        symptom = node.pattern.role is Role.SYMPTOM and node.finding.status is not Status.PRE_EXISTING
        if symptom and node.id != cause_id:
            support = chain.co_location(cause, node)
            if support:
                out[node.id] = support
    return out


def _most_common(con: Any, column: str) -> str | None:
    """The most frequent non-null value of an `entries` column (ties by value)."""
    row = con.execute(
        f"SELECT {column} FROM entries WHERE {column} IS NOT NULL GROUP BY {column} "
        f"ORDER BY count(*) DESC, {column} LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


def _context(con: Any, service: str | None, deploys: DeployInfo) -> dict[str, str]:
    """Values that fill templates: project, service, location, revision, plus deploy config."""
    ctx = {name: value for name in ("project", "service", "location") if (value := _most_common(con, name))}
    latest = con.execute(
        "SELECT revision FROM entries WHERE revision IS NOT NULL AND in_window "
        "ORDER BY ts DESC NULLS LAST, revision LIMIT 1"
    ).fetchone()
    if latest:
        ctx["revision"] = str(latest[0])
    if service:
        ctx["service"] = service
    ctx.update(deploys.config)
    if "location" in ctx:
        ctx.setdefault("region", ctx["location"])
    return ctx


def _without_quiet_errors(
    con: Any, traffic: Traffic, hits: Sequence[Hit], quiet_ids: set[str], context_ids: set[str],
    quiet_events: set[int], before_ids: AbstractSet[str] = frozenset(),
) -> Traffic:
    """The window's error entries less those of findings that ran steadily all along
    (`steady.steady_throughout`: how the service ran) or that the service rode through
    (`impact.absorbed_as_noise`), the events in ``quiet_events`` (those it logged while refusing a
    client, `impact.client_errors`, and the unexplained ones that ran as in the baseline,
    `_steady_unexplained`), and those only context patterns explain (a
    framework logging a client's 404 at ERROR, a deprecation warning on GKE's stderr): they are
    no errors of an incident. The last error entry is read without them too: a warning logged at
    ERROR at every reconnect to the end says nothing of whether the failures stopped (blind set
    GE08).

    The baseline's error entries lose those of the same findings and context patterns: 172 new
    ERROR lines of a failed sign-in are an incident beside bot 404s logged at FATAL 86 times in each
    hour, not a count within twice the baseline's (blind set 1D07). Its unexplained ones stay:
    a template judged steady on its own may be one face of a family whose other faces vary by
    chance (card declines worded four ways, one of them 8 times after 2), and the family's
    baseline is the fair measure of them (blind set 4B09).

    The last error entry is read without those of findings the baseline holds at the same rate
    (``before_ids``) as well, unless a finding of the incident names the same event: a steady 429
    from a carrier's API logged at ERROR to the end says nothing of whether a broker's outage
    stopped (blind set 9D02). Their entries still count, as the baseline's do."""
    steady = {h.event_id for h in hits if h.pattern_id in quiet_ids}
    named = {h.event_id for h in hits if h.pattern_id not in context_ids}
    context_only = {h.event_id for h in hits if h.pattern_id in context_ids} - named
    found = steady | context_only
    counted = found | quiet_events
    failing = {h.event_id for h in hits if h.pattern_id not in quiet_ids | context_ids | before_ids}
    ran_before = {h.event_id for h in hits if h.pattern_id in before_ids} - failing
    events = sorted(counted | ran_before)
    if not events:
        return traffic
    # (the entries, not the events: a traceback's lines each count as an error entry)
    row = con.execute(
        "WITH quiet AS (SELECT unnest(member_ids) AS entry_id, "
        "event_id IN (SELECT unnest(?::BIGINT[])) AS found, "
        "event_id IN (SELECT unnest(?::BIGINT[])) AS counted "
        "FROM events WHERE event_id IN (SELECT unnest(?::BIGINT[]))) "
        "SELECT count(*) FILTER (WHERE q.counted AND e.in_window), "
        "count(*) FILTER (WHERE q.found AND NOT e.in_window), "
        "max(e.ts) FILTER (WHERE q.entry_id IS NULL AND e.in_window) "
        "FROM entries e LEFT JOIN quiet q USING (entry_id) "
        "WHERE error_entry(e.severity_num, e.message)",
        [sorted(found), sorted(counted), events],
    ).fetchone()
    if row is None:
        return traffic
    window, before, last = int(row[0] or 0), int(row[1] or 0), row[2]
    return replace(traffic, errors=max(0, traffic.errors - window),
                   baseline_errors=max(0, traffic.baseline_errors - before), last_error=last)


def _stats(
    con: Any, window: Window, traffic: Traffic, load: LoadStats, findings: int, hits: Sequence[Hit],
    deploys: int,
) -> Stats:
    """What was read, matched and served; a sampled fetch's scaled request figures replace the counts."""
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE in_window),
               count(*) FILTER (WHERE NOT in_window),
               count(*) FILTER (WHERE in_window AND http_status = 429)
        FROM entries
        """
    ).fetchone()
    assert row is not None
    entries, base, s429 = (int(x) for x in row)
    requests, s5xx = traffic.requests, traffic.failed
    # Entries behind the matched events, from the hits themselves: a storm's million event ids as a
    # query parameter cost DuckDB a few hundred MB.
    matched_events = {h.event_id: h.members for h in hits if h.in_window}
    revisions = [
        r
        for (r,) in con.execute(
            "SELECT DISTINCT revision FROM entries WHERE in_window AND revision IS NOT NULL ORDER BY revision"
        ).fetchall()
    ]
    error_rate = share(s5xx, requests)
    # "How bad is it now": the verdict's last minutes (none for a window whose end is not known).
    recent = None if window.end is None else RecentTraffic(
        RECENT, traffic.recent_requests, share(traffic.recent_failed, traffic.recent_requests)
    )
    errors = traffic.errors
    if load.estimate is not None:
        est = load.estimate
        requests, s5xx, s429, errors, error_rate = (
            est.requests, est.server_errors, est.rate_limited, est.error_entries, est.error_rate)
        recent = RecentTraffic(RECENT, est.recent_requests, est.recent_error_rate)
    return Stats(
        entries=entries,
        baseline_entries=base,
        events=_scalar(con, "SELECT count(*) FROM events WHERE in_window"),
        matched=sum(matched_events.values()),
        matched_events=len(matched_events),
        requests=requests,
        server_errors=s5xx,
        rate_limited=s429,
        error_rate=error_rate,
        error_entries=errors,
        revisions=tuple(str(r) for r in revisions),
        findings=findings,
        deploys=deploys,
        recent=recent,
        load=load,
    )


def _bucket_seconds(window: Window) -> int:
    """About 60 buckets across the window, in whole minutes (at least one)."""
    start, end = window.start, window.end
    if start is None or end is None:
        return 60
    return max(60, int((end - start).total_seconds() / 60 // 60 * 60))


def _timeline(
    con: Any, hits: Sequence[Hit], window: Window, refused: Sequence[int] = ()
) -> list[TimelinePoint]:
    """Findings and request status classes per time bucket, across the window (`http 5xx` etc.,
    and `http refused` for the platform's refusals under 500, which are failed requests: those
    `request_class` knows, and the ``refused`` entries, `impact.refusals`).

    Request entries are counted per (bucket, status) in SQL; Python formats the few buckets.
    A bucket starts at a whole multiple of `size` seconds since the epoch (times truncated to
    the second).
    """
    size = _bucket_seconds(window)
    counts: dict[tuple[str, str], float] = {}
    weights = entry_weights(con)  # a sampled live fetch: each sampled entry stands for 1/fraction
    labels: dict[int, str] = {}

    def label(start: int) -> str:
        if start not in labels:
            labels[start] = rfc3339(datetime.fromtimestamp(start, _UTC)) or ""
        return labels[start]

    for (start, pattern_id), n in _hit_buckets(hits, size, weights).items():
        counts[(label(start), pattern_id)] = n
    rows = con.execute(
        """
        SELECT b - ((b % $size) + $size) % $size AS start, status_class, count(*), entry_id
        FROM (
          SELECT CASE WHEN epoch_us(ts) >= 0 THEN epoch_us(ts) // 1000000
                      ELSE -((-epoch_us(ts)) // 1000000) END AS b,
                 CASE WHEN r.rid IS NOT NULL THEN 'refused'
                      ELSE request_class(http_status, message) END AS status_class,
                 CASE WHEN $weighed THEN entry_id END AS entry_id
          FROM entries LEFT JOIN (SELECT unnest($refused::BIGINT[]) AS rid) r ON r.rid = entry_id
          WHERE in_window AND http_status IS NOT NULL AND ts IS NOT NULL
        )
        GROUP BY ALL
        """,
        {"size": size, "weighed": bool(weights), "refused": list(refused)},
    ).fetchall()
    for start, status_class, n, entry_id in rows:
        key = (label(int(start)), f"http {status_class}")
        counts[key] = counts.get(key, 0) + int(n) * weights.get(entry_id, 1.0)
    return [TimelinePoint(b, s, round(n)) for (b, s), n in sorted(counts.items())]


def _hit_buckets(
    hits: Sequence[Hit], size: int, weights: Mapping[int, float]
) -> dict[tuple[int, str], float]:
    """In-window matches per (bucket start, pattern), weighed. A hit's second is its time since the
    epoch truncated as `int(ts.timestamp())` truncates it, computed as `timestamp` does but without
    making each UTC-naive time aware first (a hundred thousand hits in a busy hour)."""
    out: dict[tuple[int, str], float] = {}
    for h in hits:
        ts = h.ts
        if h.in_window and ts is not None:
            epoch = int((ts - EPOCH).total_seconds()) if ts.tzinfo is None else int(ts.timestamp())
            key = (epoch - epoch % size, h.pattern_id)
            out[key] = out.get(key, 0.0) + (weights.get(h.event_id, 1.0) if weights else 1.0)
    return out


def _scalar(con: Any, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _levelless_or_text_only(con: Any) -> bool:
    """Whether no entry of the window has a level rca can read, or every one comes from a text log
    (`local/<stream>`) that logs no request: one scan for all. A text log with levels whose lines
    include the requests served (`kubectl logs` of a server, `gcloud run services logs read`) is a
    service's log, read as an export is, not a paste shown because something failed: its requests
    and levels say whether it did."""
    row = con.execute(
        "SELECT bool_or(severity_num > 0), "
        f"bool_or(NOT starts_with(coalesce(log_id, ''), '{TEXT_LOG_PREFIX}')), "
        "bool_or(http_status IS NOT NULL) FROM entries WHERE in_window"
    ).fetchone()
    levelled, exported, served = (bool(row[0]), bool(row[1]), bool(row[2])) if row else (False, False, False)
    return not levelled or not (exported or served)


def _top_signal(root: RootCause, signals: Sequence[Signal], knowledge: Knowledge) -> Signal | None:
    """The unexplained signal a root cause that explains nothing points the reader to: the first
    of an unknown cause; the first worded as a failure of a new revision blamed for want of anything
    deeper (its failures' own line no pattern knows is the first thing to read, held-out LT01's
    ValueError behind a crash loop, not the model loader's progress bar on stderr)."""
    if root.pattern_id is not None or not signals:
        return None
    if root.category is Category.UNKNOWN:
        return signals[0]
    if root.category is Category.DEPLOYMENT_CHANGE:
        return next((s for s in signals if knowledge.worded_as_failure(s.example)), None)
    return None


def _telling(signal: Signal, knowledge: Knowledge) -> bool:
    """Whether an unexplained signal makes an incident of a log that counts no request: an error,
    or a line worded as a failure (`error_shaped`) whatever its level, since a paste is shown for
    its one 'could not be established' at WARN. A warning that names no failure ("field 'uid' is
    deprecated", every ten minutes of a worker's hour) is still shown, but says nothing failed."""
    return not signal.warning_only or knowledge.worded_as_failure(signal.example)


def _log_filter(knowledge: Knowledge, resource_type: str | None, service: str | None) -> str:
    """The Cloud Logging filter of the service's entries where it runs (its surface's `logs`), for
    the `{logs}` of a command; a Cloud Run service's where the platform is unknown (a paste)."""
    surface = knowledge.surface_of(resource_type) or knowledge.surface_of("cloud_run_revision")
    template = surface.logs if surface else 'resource.labels.service_name="{service}"'
    return fill(template, {}, {"service": service or "<service>"})


# The route (`impact.ROUTE`) of the window's GET requests, failed ones first, then the most
# frequent: what to call to check a fix (a POST needs a body the logs do not hold). The query
# string is left out: it can carry a token. The requests are counted per URL first: a busy hour
# calls a few thousand URLs a few hundred thousand times, and the route's regex ran per request.
_ROUTE_TO_TRY = f"""
SELECT {impact.ROUTE} AS route
FROM (
  SELECT http_url, count(*) AS n, count(*) FILTER (WHERE request_failed(http_status, message)) AS failed
  FROM entries
  WHERE in_window AND http_method = 'GET' AND http_status IS NOT NULL
  GROUP BY http_url
)
GROUP BY route
ORDER BY sum(failed) DESC, sum(n) DESC, route
LIMIT 1
"""


def _route_to_try(con: Any) -> str | None:
    """A route to call to check a fix (`_ROUTE_TO_TRY`), if the window logged a GET request."""
    row = con.execute(_ROUTE_TO_TRY).fetchone()
    return str(row[0]) if row else None


def _resource_type(con: Any, service: str | None) -> str | None:
    """The resource type the service's entries (every entry's, without --service) log with most:
    where the service runs, which decides the commands that fit it."""
    where = "in_window AND resource_type IS NOT NULL" + (" AND service = ?" if service else "")
    row = con.execute(
        f"SELECT resource_type FROM entries WHERE {where} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        [service] if service else [],
    ).fetchone()
    return str(row[0]) if row else None


def _rollback(
    verdict: Verdict, knowledge: Knowledge, resource_type: str | None, cause: chain.Node | None,
    context: Mapping[str, str], deploys: DeployInfo,
) -> Remediation | None:
    """When a deploy in the input began failures that still run, the first step: the surface's
    rollback to the revision that served before it (``context``'s `previous_revision`), while
    what the deploy changed is fixed. Not when the deploy's revision answered no request while
    others did: it never took the traffic (it failed to start, or was deployed without traffic),
    so the traffic is still where a rollback would send it."""
    surface = knowledge.surface_of(resource_type)
    if verdict.trigger is None or verdict.state not in (State.DOWN, State.DEGRADED) \
            or surface is None or surface.rollback is None:
        return None
    stats = {r.name: r for r in deploys.revisions}
    mine = stats.get(verdict.trigger.revision or "")
    if mine is not None and not mine.requests and any(r.requests for r in deploys.revisions):
        return None
    return whys.rollback(surface.rollback, cause, context)


def _fitting(
    steps: Sequence[Remediation], knowledge: Knowledge, resource_type: str | None
) -> tuple[Remediation, ...]:
    """The steps with every command that cannot run where the service runs left out (the action
    stays): a Cloud Run command is no fix for a GKE container, a function or an unknown platform."""
    return tuple(step if step.command is None or knowledge.fits(step.command, resource_type)
                 else replace(step, command=None) for step in steps)


def _mine(con: Any, window: Window, explained: set[int], patterns: Sequence[Pattern]) -> Mined:
    """Error-like messages no specific pattern explains, mined: the signals new or bursting in the
    incident, and every template."""
    from rca.mining.signals import mine

    return mine(con, window, explained, patterns)


def _steady_judged(
    traffic: Traffic, findings: Sequence[Finding], bounds: tuple[datetime, datetime] | None,
) -> bool:
    """Whether unexplained lines that ran all along at one rate can be told from the incident with
    no baseline (`_steady_unexplained`): where every request was answered, or where no request is
    logged but named failures that began well into the window (`QUIET_BEFORE` of it at least) say
    what the incident was, so a line that ran before, through and after them at one pace is the
    service's everyday noise (held-out MI02: Open Match's "Ticket not found" at ERROR every few
    minutes of an hour, beside a Redis outage of three twenty minutes in). Named failures that ran
    from the start leave such a line maybe their own wording, running with them (a worker's
    "sync failed" beside MongoDB refusing its credentials all hour, held-out LC03); with no named
    failure it may be the failure itself."""
    if traffic.requests:
        return not traffic.failed
    starts = [parse_rfc3339(f.first_seen) for f in findings
              if f.role is not Role.CONTEXT and f.status in (Status.ACTIVE, Status.ELEVATED) and f.first_seen]
    if not starts or bounds is None:
        return False
    lo, hi = bounds
    return naive_utc(min(starts)) >= lo + (hi - lo) * QUIET_BEFORE


# The share of the window before its named failures began that lets a line running all along be
# told from them (`_steady_judged`).
QUIET_BEFORE = 0.25


def _steady_unexplained(
    con: Any, mined: Mined, periods: Periods, window: Window, nodes: Mapping[str, chain.Node], served: bool,
) -> set[int]:
    """The events of the unexplained templates that ran in the window as in the baseline
    (`baseline.similar`, the rule that makes a finding pre-existing): noise as a steady finding
    is, so their error entries neither count as the incident's errors nor say it still runs (a
    ledger's "Idempotency key reuse ..." ERROR every few minutes for hours, after the database's
    restart ended: blind set OF09). With no baseline, those that ran from the input's start to its
    end at one rate while the service answered every request (``served``), as a steady finding
    does (`steady.steady_throughout`): a scheduled pull's "feed returned 0 rows" ERROR every
    fifteen minutes of a healthy function's two hours (blind set 1B07)."""
    if periods.has_baseline:
        scale = periods.window_s / periods.baseline_s
        return {event for item, ids in mined.templates
                if item.baseline_count and baseline.similar(item.incident_count, item.baseline_count * scale)
                for event in ids}
    bounds = steady.span(window, nodes) if served else None
    if bounds is None or not mined.templates:
        return set()
    events = sorted({event for _, ids in mined.templates for event in ids})
    times = dict(con.execute("SELECT event_id, ts FROM events WHERE ts IS NOT NULL "
                             "AND event_id IN (SELECT unnest(?::BIGINT[]))", [events]).fetchall())
    return {event for _, ids in mined.templates
            if steady.ran_throughout([times[e] for e in ids if e in times], *bounds)
            for event in ids}


__all__ = ["Result", "Signal", "co_occurring_symptoms", "run", "samples"]


