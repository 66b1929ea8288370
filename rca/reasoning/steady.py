"""Noise inside the window: what ran at the same rate before and after the failures grew.

The baseline before the window tells old noise from new failures; when the input has no baseline
(or the noise runs inside the window too), the main symptom's step up, or failing that the moment
the newest failure mode began, splits the window the same way.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime, timedelta

from rca.model import Finding, Role, Status, Window
from rca.reasoning import baseline, chain
from rca.reasoning.deploys import TRIGGER_LEAD
from rca.timeutil import naive_utc, rfc3339

Step = tuple[str, datetime]  # the main symptom's id and when it stepped up


def steady_before_step(
    findings: list[Finding], nodes: Mapping[str, chain.Node], window: Window,
    phrases: dict[str, str], has_baseline: bool, new_revisions: Mapping[str, datetime] | None = None,
    lasting: AbstractSet[str] = frozenset(), failures: Sequence[datetime] = (),
) -> tuple[list[Finding], dict[str, str], Step | None]:
    """Findings that ran at the same rate before and after the main symptom stepped up inside the
    window are noise that was there before, like a baseline's, even when the input has no baseline.
    With no baseline and no step in the symptom, the step is when the latest failure mode began,
    or failing that when the failures began (`failures_began`).
    ``new_revisions``: when each revision was first seen, for the ones that began in the window (a
    finding that began with one came with that rollout, however steadily it ran since).
    ``lasting``: the causes that fail every attempt until something is changed (a deleted secret,
    a revoked grant): one that began inside the window is a change, however steadily it ran before
    the requests began failing (pods replaced one at a time, each failing to start, until too few
    serve), not noise that began on its own (blind set CT02).
    ``failures``: the seconds in which requests failed (`impact.failure_seconds`; none with a
    baseline). With no baseline and no step in the main symptom, the requests' own step up splits
    the window, and a main symptom that ran at the same rate across it from the input's start is
    noise too: a proxy's occasional 504 for one slow route, logged all along, is not why a third of
    the requests began failing at once with another failure mode (blind set SC10)."""
    symptom = chain.main_symptom(list(nodes.values()))
    bounds = span(window, nodes)
    if bounds is None:
        return findings, phrases, None
    lo, hi = bounds
    # (with no symptom at all, a worker's or a job's logs, the newest failure mode splits the window)
    symptom_id = symptom.id if symptom is not None else None
    step = baseline.step_change(symptom.times(), lo, hi) if symptom else None
    stepped = step is not None
    by_requests = False
    if step is None and not has_baseline and symptom is not None:
        step = baseline.step_change(failures, lo, hi)
        by_requests = step is not None
    if step is None and not has_baseline:
        step = latest_new_cause(findings, nodes, lo, hi, symptom_id)
        # (a newest cause logged elsewhere, that began while the requests failed as they had from
        # the input's start, tells nothing apart: the failures were there before it, at the same
        # rate after it; an unrelated database's crash eleven minutes into an hour of expired-
        # certificate errors made those errors "noise" and itself the cause, held-out QP10. A new
        # failure of the service's own, a feed whose certificate expired beside the timeouts it
        # always had, or revisions that never start, still splits the window.)
        failed = failures or (symptom.times() if symptom is not None else [])
        if step is not None and _logged_elsewhere(findings, nodes, step, symptom) \
                and _steady_from_start(failed, step, lo, hi):
            return findings, phrases, None
        if step is None:
            step = failures_began(failed, lo, hi)
    if step is None:
        return findings, phrases, None
    out, phrases = [], dict(phrases)
    # (of the symptoms new in the window: a scanner's 404s logged all along say nothing of when
    # the failures began)
    first_symptom = min((t for n in chain.symptoms(list(nodes.values()))
                         for t in [n.first()] if t is not None), default=None)
    for f in findings:
        times = nodes[f.pattern_id].times()
        # Noise was there from the start (the window's first tenth; sparse noise spread to the
        # window's end, within two of its own intervals but a quarter of the window at most: a
        # few lines bunched together are no rate), not something that began with the failures and
        # kept pace with them. A baseline that had none of it says it began in the window, however
        # near the window's start (a secret version destroyed four minutes in, refreshed every five
        # minutes, whose cache expired ten minutes later: blind set 3H02).
        from_start = _from_start(times, lo, hi) and not (has_baseline and f.baseline_count == 0)
        rollout = _came_with_rollout(nodes[f.pattern_id], new_revisions or {})
        steady = ((from_start and baseline.steady_across(times, step, lo, hi) and not rollout)
                  or (_ran_before(times, first_symptom, step, hi) and not rollout
                      and f.pattern_id not in lasting)) \
            and not (stepped and symptom is not None and _kept_pace_with(times, symptom, step))
        if f.status is not Status.PRE_EXISTING and f.role is not Role.CONTEXT and \
                (f.pattern_id != symptom_id or (by_requests and from_start)) and steady:
            f = replace(f, status=Status.PRE_EXISTING)
            phrases[f.pattern_id] = f"at the same rate before and after the failures grew at {rfc3339(step)}"
        out.append(f)
    # The symptom's own step splits the window even when the trickle before it is no named finding
    # (another route's unexplained 500s): the incident's clock starts there. A step taken from when
    # the newest cause began does only when it told noise apart.
    noise = any(f.status is Status.PRE_EXISTING for f in out)
    return out, phrases, ((symptom.id, step) if symptom is not None and (noise or stepped) else None)


def _ran_before(
    times: Sequence[datetime], symptom_first: datetime | None, step: datetime, hi: datetime
) -> bool:
    """Noise that began after the window did but well before any symptom first showed
    (`baseline.MIN_BEFORE`), and ran at the same rate from its own first line to the window's end
    across the step: a hot document's contention logged every few minutes from a quarter of an hour
    before the requests began failing cannot be what made them fail. (A cause that began with the
    symptom and kept pace with it through a later surge is no such noise.)"""
    if not times or symptom_first is None or symptom_first - min(times) < baseline.MIN_BEFORE:
        return False
    # Its own pace, without the slack for chance small counts allow: a host that stops resolving
    # on the old revision now and then, then on every call of the new one, ran faster once the
    # failures began, and is their cause.
    first = min(times)
    before = sum(1 for t in times if t < step)
    after = len(times) - before
    expected = before * (hi - step).total_seconds() / max((step - first).total_seconds(), 1.0)
    return before >= 3 and after <= baseline.SIMILAR_RATE * expected


def _kept_pace_with(times: Sequence[datetime], symptom: chain.Node, step: datetime) -> bool:
    """Whether the finding and the main symptom came together on both sides of the symptom's own
    step up: most of either's occurrences within `chain.FOLLOW_WITHIN` of one of the other's, before
    it as after it. Then the symptom grew with the finding, the same incident recurring, not noise
    beside a new cause: an instance killed for memory every quarter of an hour, each time with the
    503s of the requests it held, ran at the same rate before and after the 503s grew (blind set
    EZ07). Noise that failed its own requests before the step keeps pace only with the trickle: the
    failures after it are another cause's."""
    for before in (True, False):
        mine = sorted(t for t in times if (t < step) is before)
        theirs = sorted(o.ts for o in symptom.occurrences
                        if o.ts is not None and (o.ts < step) is before)
        if not mine or not theirs or not (_mostly_near(mine, theirs) and _mostly_near(theirs, mine)):
            return False
    return len([t for t in times if t < step]) >= 2


def _mostly_near(these: Sequence[datetime], others: Sequence[datetime]) -> bool:
    """Whether at least half of ``these`` have one of ``others`` (sorted) within
    `chain.FOLLOW_WITHIN`."""
    def near(t: datetime) -> bool:
        at = bisect_left(others, t - chain.FOLLOW_WITHIN)
        return at < len(others) and others[at] <= t + chain.FOLLOW_WITHIN

    return 2 * sum(1 for t in these if near(t)) >= len(these)


def _came_with_rollout(node: chain.Node, new_revisions: Mapping[str, datetime]) -> bool:
    """Whether the finding began on a revision new in the window, within `deploys.TRIGGER_LEAD` of
    its first entry: a leak's warnings from the deploy on run steadily until the pool runs dry,
    and are that deploy's failure, not noise that was there before."""
    timed = [(o.ts, o.revision) for o in node.occurrences if o.ts is not None and o.revision]
    if not timed:
        return False
    ts, revision = min(timed)
    began = new_revisions.get(revision)
    return began is not None and ts - began <= TRIGGER_LEAD


THROUGHOUT = "at the same rate from the input's first minutes to its last while every request succeeded"


def steady_throughout(
    findings: list[Finding], nodes: Mapping[str, chain.Node], window: Window, phrases: dict[str, str],
    served: bool, new_revisions: Mapping[str, datetime] | None = None,
) -> tuple[list[Finding], dict[str, str], set[str]]:
    """With no baseline, a failure logged at the same rate from the input's first tenth to its last
    while the service answered every request (``served``) is how the service ran all along, not an
    incident of this window: 401s logged at ERROR for an old client's expired tokens, a cache miss
    logged on every call. The baseline would have called it noise that was there before; the
    input's own span says the same. Not so for one that began with a revision new in the window
    (``new_revisions``, `_came_with_rollout`): a service created as the input begins, failing every
    call to an API over TLS from its first minute while its gRPC answers say 200, ran so only since
    that deploy (blind set EF04). Returns the findings, the phrases and the ids re-classed."""
    bounds = span(window, nodes)
    if not served or bounds is None:
        return findings, phrases, set()
    out, phrases, steady = [], dict(phrases), set()
    for f in findings:
        times = nodes[f.pattern_id].times()
        # (one a step inside the window already called noise too: its error entries are how the
        # service ran, not the window's errors, held-out UH02: ioredis' idle resets all hour)
        if f.role is not Role.CONTEXT and ran_throughout(times, *bounds) \
                and not _came_with_rollout(nodes[f.pattern_id], new_revisions or {}):
            f = replace(f, status=Status.PRE_EXISTING)
            phrases[f.pattern_id] = THROUGHOUT
            steady.add(f.pattern_id)
        out.append(f)
    return out, phrases, steady


def ran_throughout(times: Sequence[datetime], lo: datetime, hi: datetime) -> bool:
    """Whether occurrences at ``times`` ran from the span's first edge (`_edge`) to its last at the
    same rate in both halves (`baseline.steady_across`): how the service ran all along."""
    if not times:
        return False
    edge = _edge(lo, hi, len(times))
    return (min(times) <= lo + edge and max(times) >= hi - edge
            and baseline.steady_across(times, lo + (hi - lo) / 2, lo, hi))


def _logged_elsewhere(
    findings: Sequence[Finding], nodes: Mapping[str, chain.Node], began: datetime, symptom: chain.Node | None,
) -> bool:
    """Whether causes began at ``began`` (the step is a new cause's, not a new symptom's) and none
    of them was logged by the service's instances or revisions (a shared database's own lines, kept
    because they name no service) while the main ``symptom`` was logged on the service's revisions."""
    newest = [n for f in findings if f.role is Role.CAUSE and (n := nodes[f.pattern_id]).first() == began]
    return (symptom is not None and any(o.revision for o in symptom.occurrences) and bool(newest)
            and not any(o.revision or o.instance for n in newest for o in n.occurrences))


def _from_start(times: Sequence[datetime], lo: datetime, hi: datetime) -> bool:
    """Whether occurrences at ``times`` were there from the span's start: the first within its
    first tenth, or (sparse ones spread to its end) within two of their own intervals (`_edge`)."""
    edge = _edge(lo, hi, len(times))
    return bool(times) and (min(times) <= lo + (hi - lo) / 10
                            or (min(times) <= lo + edge and max(times) >= hi - edge))


def _steady_from_start(times: Sequence[datetime], step: datetime, lo: datetime, hi: datetime) -> bool:
    """Whether occurrences at ``times`` ran from the span's start at the same rate across ``step``."""
    return _from_start(times, lo, hi) and baseline.steady_across(times, step, lo, hi)


def _edge(lo: datetime, hi: datetime, occurrences: int) -> timedelta:
    """How near the span's start (or end) noise of ``occurrences`` shows first (or last): within a
    tenth of the span, or two of its own intervals (a scanner's probe every eight minutes, an
    error every nine, first shows up minutes in), but a quarter of the span at most: three crashes
    of a failed rollout bunched in one minute mid-input are no rate that ran all along."""
    return min(max((hi - lo) / 10, 2 * (hi - lo) / max(occurrences, 1)), (hi - lo) / 4)


def span(window: Window, nodes: Mapping[str, chain.Node]) -> tuple[datetime, datetime] | None:
    """The window; for a whole input read without --since, the span of what was found."""
    start, end = window.start, window.end
    if start is not None and end is not None:
        return naive_utc(start), naive_utc(end)
    times = [o.ts for n in nodes.values() for o in n.occurrences if o.ts is not None]
    lo = window.earliest
    return (naive_utc(lo) if lo is not None else min(times), max(times)) if times else None


def since_step(nodes: dict[str, chain.Node], step: Step | None) -> dict[str, chain.Node]:
    """The main symptom as of its step: what it did before was the steady noise's doing, so the
    clock of the incident's causes starts there."""
    if step is None:
        return nodes
    symptom_id, at = step
    node = nodes[symptom_id]
    kept = tuple(o for o in node.occurrences if o.ts is None or o.ts >= at - chain.ORDER_SLACK)
    return nodes | {symptom_id: replace(node, occurrences=kept)}


def failures_began(failed: Sequence[datetime], lo: datetime, hi: datetime) -> datetime | None:
    """When the failures began, if they began from none well inside the window (at least
    `baseline.MIN_BEFORE` after its start, `baseline.MIN_AFTER` before its end): with no baseline,
    no step in a trickle and no new cause to date them, their own start splits the window. An
    error a health checker's requests drew every few minutes from the input's first minutes ran
    at the same rate after a third of the orders began failing with a bare "Internal Server
    Error" as before: it is noise, not their cause (held-out SY01: Django's DisallowedHost for
    the probes' Host header, before 500s nothing in the logs explains)."""
    first = min((t for t in failed if lo <= t <= hi), default=None)
    if first is None or first - lo < baseline.MIN_BEFORE or hi - first < baseline.MIN_AFTER:
        return None
    return first


def latest_new_cause(
    findings: Sequence[Finding], nodes: Mapping[str, chain.Node], lo: datetime, hi: datetime,
    symptom: str | None = None,
) -> datetime | None:
    """When the last failure mode to appear began, if it began well inside the window: the newest
    cause; with none, the first symptom other than the main ``symptom`` (revisions that never
    became ready while the old one served on with the errors it always had: the probe failed, then
    the revision was not ready, one failure told twice)."""
    def starts(role: Role) -> list[datetime]:
        return [first for f in findings
                if f.role is role and f.pattern_id != symptom
                and (first := nodes[f.pattern_id].first()) is not None
                and first - lo >= baseline.MIN_BEFORE and hi - first >= baseline.MIN_AFTER]

    if causes := starts(Role.CAUSE):
        return max(causes)
    symptoms = starts(Role.SYMPTOM)
    return min(symptoms) if symptoms else None
