"""Findings -> causal graph -> the chain of whys, the root cause and the losing hypotheses.

Pure and deterministic: values in, values out, ties broken by pattern id.

An edge A -> B ("A causes B") needs the library's knowledge (A.causes or B.caused_by, by id or
category); co-location (the same re-joined traceback, the same instance shortly after) and time
order add support, and a contradicting time order removes the edge: knowledge never outvotes
the clock. The chain starts at the main user-facing symptom and follows the best-supported path
to the deepest cause; where no edge explains a symptom, the chain stops and says so.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from rca.library.knowledge import Knowledge
from rca.library.re2check import compile_re2
from rca.model import Category, Finding, Layer, Pattern, Role, Rule, Status
from rca.timeutil import rfc3339

KNOWLEDGE = 0.5
# A symptom kind's usual causes (patterns/_knowledge.yaml) are weaker knowledge than an edge a
# pattern names: they need the clock's agreement and lose ties to a specific edge.
GENERAL_KNOWLEDGE = 0.35
# An error printed inside another in the same stack (Caused by:, [cause], %w) is its inner cause.
WRAPPED = 0.45
NOVEL = 0.1  # a cause absent from the baseline beats one that was already there
WORSENED = 3.0  # a symptom this many times more frequent after a cause began: the cause can explain it
SAME_EVENT = 0.3
SAME_INSTANCE = 0.2
SAME_TRACE = 0.25
TIME_ORDER = 0.1
TOLERANCE = timedelta(seconds=2)
# Lines of one failure are written by different components (app, platform, request log) whose
# timestamps can disagree by seconds; only a cause first seen clearly after its effect contradicts.
ORDER_SLACK = timedelta(seconds=30)
NEAR = timedelta(seconds=180)
FOLLOW_WITHIN = timedelta(seconds=30)
FOLLOWED = 0.5
MAX_DEPTH = 8
# A failure that ended this long before a symptom first appeared, without recurring, is no cause of
# it: had it been, the symptom would have come while it ran (three refused dials, then an hour of
# calls answered, then deadlines exceeded: blind set BJ04).
STALE = timedelta(minutes=30)
# ... and a failure that passes by itself (a category the library does not list as `persistent`:
# load, a restart, a pool running dry) that ended this long before: it explains what failed while
# it ran, not failures that began ten minutes after its last line (PHP-FPM's workers all busy for
# a minute, then twenty quiet minutes, then a firewall rule deleted: held-out EB08). A cause that
# fails every attempt until changed (a permission, a setting) may be logged once at start-up and
# fail requests long after.
STALE_PASSING = timedelta(minutes=10)


class Occurrence(NamedTuple):
    """One in-window match of a finding: when, where, and which event (one per matched event, a
    million in a busy hour: a named tuple holds only its fields and builds in a third of a frozen
    dataclass's time)."""

    ts: datetime | None
    instance: str | None
    revision: str | None
    event_id: int
    trace: str | None = None
    pos: int = -1  # where the pattern matched in the event's message
    runtime: str | None = None


@dataclass(frozen=True)
class Edge:
    """Support for "cause explains effect"; score 0 with a reason when rejected."""

    cause: str
    effect: str
    score: float
    support: tuple[str, ...]
    rejected: str = ""
    # the link rests on a symptom kind's usual causes alone (`GENERAL_KNOWLEDGE`), no named edge
    general: bool = False


@dataclass(frozen=True)
class Node:
    """A finding with the pattern behind it and where it occurred."""

    finding: Finding
    pattern: Pattern
    occurrences: tuple[Occurrence, ...]

    @property
    def id(self) -> str:
        """The pattern id, which names the finding everywhere."""
        return self.finding.pattern_id

    def times(self) -> list[datetime]:
        """The in-window occurrences' times (untimed ones left out)."""
        return [o.ts for o in self.occurrences if o.ts is not None]

    def first(self) -> datetime | None:
        """First in-window occurrence."""
        times = self.times()
        return min(times) if times else None

    def last(self) -> datetime | None:
        """Last in-window occurrence."""
        times = self.times()
        return max(times) if times else None

    def times_by_instance(self, excluding: AbstractSet[int] = frozenset()) -> dict[str, list[datetime]]:
        """Occurrence times per instance (occurrences without an instance or a time left out, and
        those on the events ``excluding`` names)."""
        out: dict[str, list[datetime]] = {}
        for o in self.occurrences:
            if o.instance and o.ts is not None and o.event_id not in excluding:
                out.setdefault(o.instance, []).append(o.ts)
        return out

    def first_by(self, scope: str) -> dict[str, datetime]:
        """First occurrence per ``instance`` or ``revision``."""
        out: dict[str, datetime] = {}
        for o in self.occurrences:
            key = o.instance if scope == "instance" else o.revision
            if key and o.ts is not None and (key not in out or o.ts < out[key]):
                out[key] = o.ts
        return out


def refers_to(refs: Sequence[str], node: Node) -> bool:
    """Whether library references (``id`` or ``category:x``) name this node."""
    return node.id in refs or f"category:{node.finding.category.value}" in refs


def knows(cause: Node, effect: Node) -> bool:
    """The library says cause can produce effect. A `caused_by` that names a category means a
    failure of it: a symptom whose category is only what it usually means when nothing deeper is
    logged (`_inferred`), and a catch-all that names no failure mode (`generic`, as in
    `satisfies`), are named there by their ids alone. A Cloud Build step that exited 1 is no
    broken build that nginx was refused for (held-out SW07); a servlet's "Request processing
    failed" that printed a breaker's refusals is not why the breaker opened (TM05)."""
    named_by_effect = (cause.id in effect.pattern.caused_by if _inferred(cause) or cause.pattern.generic
                       else refers_to(effect.pattern.caused_by, cause))
    return refers_to(cause.pattern.causes, effect) or named_by_effect


def _inferred(node: Node) -> bool:
    """Whether the node is a symptom whose category is only what it usually means when nothing
    deeper is logged (`likely_cause`), not a failure of that category."""
    return node.pattern.role is Role.SYMPTOM and node.pattern.likely_cause is not None


def names(cause: Node, effect: Node) -> bool:
    """The library names this very link, by both patterns' ids (not by a category)."""
    return effect.id in cause.pattern.causes or cause.id in effect.pattern.caused_by


def reversed_link(cause: Node, effect: Node) -> bool:
    """The library knows cause -> effect only through a category, and names effect -> cause by id:
    the ingress's "no active Endpoint" is a start-up symptom (`category:startup-timeout` may cause
    a failing readiness probe), but its pattern names the probe as its own cause. Two symptoms
    that recur together interleave in time, so the clock cannot tell the direction; the named
    link can."""
    return not names(cause, effect) and names(effect, cause)


def prints(cause: Node, effect: Node) -> bool:
    """Whether ``cause`` is a catch-all matched only in the effect's own entries: Spring's "Request
    processing failed: ...CallNotPermittedException: CircuitBreaker 'inventory' is OPEN" is the
    open breaker's refusal printed by the servlet, not what opened it (held-out GB01). A catch-all
    names no failure mode, so it explains nothing it only printed."""
    events = {o.event_id for o in effect.occurrences}
    return cause.pattern.generic and bool(cause.occurrences) and all(
        o.event_id in events for o in cause.occurrences)


def kind_explains(cause: Node, effect: Node, knowledge: Knowledge) -> bool:
    """The effect's symptom kind usually arises from the cause's category (a failure) or kind."""
    refs = knowledge.kinds.get(effect.pattern.kind or "", ())
    if not refs:
        return False
    by_kind = cause.pattern.kind is not None and f"kind:{cause.pattern.kind}" in refs
    by_category = cause.pattern.role is Role.CAUSE and f"category:{cause.finding.category.value}" in refs
    return by_kind or by_category


def edge(
    cause: Node, effect: Node, knowledge: Knowledge | None = None, present: Sequence[Node] = ()
) -> Edge | None:
    """Weigh the support for cause -> effect; None when the library knows no such link.

    ``present`` is every finding of the window: what else a catch-all was printed beside."""
    if cause.pattern.role is Role.CONTEXT:
        return None
    knowledge = knowledge or Knowledge()
    if reversed_link(cause, effect) or prints(cause, effect):
        return None
    if knows(cause, effect):
        support, score = ["library: " + _knowledge_phrase(cause, effect)], KNOWLEDGE
    elif kind_explains(cause, effect, knowledge):
        support = [f"library: {_a(effect.pattern.kind or '')} usually comes from {_a(_what(cause))}"]
        score = GENERAL_KNOWLEDGE
    elif _wraps(cause, effect, knowledge, present):
        support, score = [f"{cause.id} is printed as the inner cause of {effect.id}"], WRAPPED
    else:
        return None
    general = score == GENERAL_KNOWLEDGE
    shared = {o.event_id for o in cause.occurrences} & {o.event_id for o in effect.occurrences}
    traces = _traces(cause) & _traces(effect)
    order = _time_order(cause, effect)
    if order == "contradicted" and (shared or traces or _followed(cause, effect) >= FOLLOWED):
        # The symptom mixes several failures; the requests this cause was logged in prove it
        # explains those, whatever failed earlier for other reasons.
        order = "consistent"
        support.append("time: within the failing requests it was logged in")
    if order == "worsened":
        support.append(f"time: {effect.id} grew {WORSENED:g}x or more after it began")
        order = "consistent"
    if order == "contradicted":
        return Edge(
            cause.id,
            effect.id,
            0.0,
            tuple(support),
            rejected=f"first seen after {effect.id}, so it cannot have caused it",
        )
    if not (shared or traces) and (elsewhere := _apart(cause, effect)) is not None:
        return Edge(cause.id, effect.id, 0.0, tuple(support), rejected=elsewhere)
    if not (shared or traces) and (over := ended_before(cause, effect, knowledge)) is not None:
        return Edge(cause.id, effect.id, 0.0, tuple(support), rejected=over)
    if not (shared or traces) and (over := outlived(cause, effect.times())) is not None:
        return Edge(cause.id, effect.id, 0.0, tuple(support), rejected=over)
    if order == "consistent":
        score += TIME_ORDER
        support.append("time: occurs before")
    elif general and not shared and not _untimed(effect):
        # general knowledge alone, without the clock's agreement, invents links; one event that
        # holds both (a platform message quoting the error: "... Error message: [Errno 30]
        # Read-only file system") agrees as well as the clock does, and where the effect has no
        # time no clock can agree: a paste without any, or a `kubectl describe` whose events
        # (a Job's BackoffLimitExceeded) state what came of the timed logs above them, blind set
        # CJ02; what was pasted together is all there is to go on
        return None
    if shared:
        score += SAME_EVENT
        support.append(f"same traceback in {len(shared)} event(s)")
    elif traces:
        score += SAME_TRACE
        support.append(f"same request trace in {len(traces)} trace(s)")
    elif cause.pattern.role is Role.CAUSE and _instanceless(cause):
        # A failure in a shared resource's own log (a NAT gateway, a database, a connector) has no
        # instance to match the service's; what it can show is being there at the same moments.
        frac = _co_timed_fraction(cause, effect)
        if frac > 0:
            score += SAME_INSTANCE * frac
            support.append(f"at the same moments: shortly before {frac:.0%} of its occurrences")
    else:
        frac = _same_instance_fraction(cause, effect)
        if frac > 0:
            score += SAME_INSTANCE * frac
            support.append(f"same instance, shortly before, on {frac:.0%} of affected instances")
    return Edge(cause.id, effect.id, min(score, 0.97), tuple(support), general=general)


def ended_before(cause: Node, effect: Node, knowledge: Knowledge) -> str | None:
    """Why ``cause`` cannot explain ``effect`` when its last occurrence came `STALE` (`STALE_PASSING`
    for a failure that passes by itself) or more before the effect's first: the effect did not
    come while the cause ran, nor for a long while after."""
    last, first = cause.last(), effect.first()
    # (a library that lists no persistent category says nothing of which pass)
    passing = bool(knowledge.persistent) and cause.finding.category.value not in knowledge.persistent
    if last is None or first is None or first - last < (STALE_PASSING if passing else STALE):
        return None
    minutes = int((first - last).total_seconds() // 60)
    return f"it ended at {rfc3339(last)}, {minutes} minutes before {effect.id} began"


def outlived(cause: Node, failures: Sequence[datetime]) -> str | None:
    """Why ``cause`` cannot explain the ``failures`` (an effect's times, or the seconds requests
    failed in) when its pattern says it passes (`persistent: false`: a readiness probe refused
    while a pod boots, a dropped connection opened again) and most of them came `STALE_PASSING` or
    more after its last line: what passes explains the failures while it ran and shortly after, not
    a steady failure that outlived it by three quarters of an hour (one refused probe as a new pod
    booted, then 500s for 45 minutes from the pods that came up: blind set EX05). What lasts until
    changed (a setting read once at start-up) may be logged once and fail requests long after; its
    pattern does not say it passes. Only a symptom, an observation reported while it happens (the
    kubelet reports a failing probe again every period): a cause's line may announce a state that
    holds until another line clears it (RabbitMQ's "memory resource limit alarm set", blocking
    publishers until "cleared", held-out GQ03)."""
    last = cause.last()
    if cause.pattern.persistent is not False or cause.pattern.role is not Role.SYMPTOM or last is None \
            or not failures:
        return None
    later = sum(1 for t in failures if t - last >= STALE_PASSING)
    if 2 * later <= len(failures):
        return None
    minutes = int(STALE_PASSING.total_seconds() // 60)
    return (f"it passed: its last line came at {rfc3339(last)}, and {later} of {len(failures)} "
            f"failures came {minutes} minutes or more after")


def _apart(cause: Node, effect: Node) -> str | None:
    """Why ``cause`` cannot explain ``effect`` when every occurrence of each names its revision and
    no revision holds both: a new revision that never became ready fails no request the old one
    answered (blind set DK03), and a bug in one version is no reason for another's failures. A
    failure logged without a revision (a database's own log, the platform's) is left to time."""
    mine = {o.revision for o in cause.occurrences}
    theirs = {o.revision for o in effect.occurrences}
    if not mine or not theirs or None in mine or None in theirs or mine & theirs:
        return None
    where = ", ".join(sorted(str(r) for r in mine)[:2])
    return (f"logged only on revision {where}, while {effect.id} happened only on "
            f"{', '.join(sorted(str(r) for r in theirs)[:2])}: another version's failure")


def co_location(cause: Node, effect: Node) -> tuple[str, ...]:
    """What the data alone says for cause -> effect, before any library knowledge: the same
    traceback, the same request trace, or the effect following the cause on the same instance
    within FOLLOW_WITHIN for most of its occurrences. Empty when there is none, or when the cause
    was first seen clearly after the effect outside any shared event or trace. `rca patterns
    suggest` drafts a new pattern's `causes` edges from it; `edge` weighs the same measures."""
    shared = {o.event_id for o in cause.occurrences} & {o.event_id for o in effect.occurrences}
    traces = _traces(cause) & _traces(effect)
    if not (shared or traces) and _time_order(cause, effect) == "contradicted":
        return ()
    support = []
    if shared:
        support.append(f"same traceback in {len(shared)} event(s)")
    if traces:
        support.append(f"same request trace in {len(traces)} trace(s)")
    followed = _followed(cause, effect)
    if followed >= FOLLOWED:
        support.append(
            f"followed on the same instance within {FOLLOW_WITHIN.seconds}s after {followed:.0%} of it"
        )
    return tuple(support)


def _a(noun: str) -> str:
    """The noun with its indefinite article ("an overload", "a crash")."""
    return f"{'an' if noun[:1] and noun[:1] in 'aeiou' else 'a'} {noun}"


def _what(cause: Node) -> str:
    if cause.pattern.kind and cause.pattern.role is not Role.CAUSE:
        return cause.pattern.kind
    return f"{cause.finding.category.value} failure"


def _wraps(inner: Node, outer: Node, knowledge: Knowledge, present: Sequence[Node] = ()) -> bool:
    """Both are causes matched in the same stacks, and the runtime prints ``inner`` as the wrapped
    error (Caused by:, [cause], %w, Python's "direct cause") in most of them.

    A catch-all (``generic``) names no failure mode: when a named one is matched in the same
    entries (.NET's one-line `Unhandled exception. Npgsql.PostgresException ...: 28P01: password
    authentication failed`), the named one is what it printed, in whatever order and runtime; so
    it is when the named one is the next entry on the same instance, mostly (`_printed_next`)."""
    if inner.pattern.role is not Role.CAUSE or outer.pattern.role is not Role.CAUSE or inner.pattern.generic:
        return False  # a catch-all names no failure mode, so it is never the inner cause
    if inner.pattern.frames == "own" and not outer.pattern.generic:
        # a stack of the service's own frames is matched where its frames are, below the exception
        # they hang from: a named failure in the same stack is that exception's own words or what
        # it wrapped, never wrapped by it (an axios "Request failed with status code 503" at the
        # app's fetch wrapper read as the app's bug wrapping the upstream's 503); a catch-all
        # around it (a framework's "Exception on /path") printed it, as below
        return False
    if knows(outer, inner):
        return False  # the library says it the other way round
    mine = {o.event_id: o for o in inner.occurrences}
    if outer.pattern.generic:
        return any(o.event_id in mine for o in outer.occurrences) or _printed_next(inner, outer, present)
    votes = 0
    shared = 0
    for o in outer.occurrences:
        other = mine.get(o.event_id)
        order = _cause_order(o, knowledge)
        if other is None or order is None or other.pos < 0 or o.pos < 0 or other.pos == o.pos:
            continue
        shared += 1
        later = other.pos > o.pos
        votes += 1 if later == (order == "last") else 0
    return shared > 0 and votes * 2 > shared


# How far (in events, and in time) the exception a catch-all line announces may follow it: a
# logger writes the record's lines in one go, and a platform that splits them one entry per line
# (.NET's console logger: "fail: ...[13]", the "An unhandled exception was thrown" line, then the
# exception and its frames) stamps them microseconds apart.
NEXT_EVENTS = 3
NEXT_WITHIN = timedelta(seconds=1)


def _printed_next(inner: Node, outer: Node, present: Sequence[Node] = ()) -> bool:
    """Whether, for most of a catch-all's occurrences, the named failure is logged right after it
    on the same instance (within `NEXT_EVENTS` events and `NEXT_WITHIN`): the record's next lines,
    split into entries of their own, that no traceback grammar joined back.

    A catch-all's occurrences mix the faces of one failure: a database restarting fails one
    request with "terminating connection due to administrator command" and the next with "the
    database system is starting up" (held-out CL10's record lines, before .NET's were joined). So
    the failures of the inner one's category among ``present`` count together, as long as the
    inner one itself was printed next at all."""
    own = _followed_by(inner, outer)
    if not own or len(own) * 2 > len(outer.occurrences):
        return bool(own)  # (printed next on none, or on most by itself: the others need no reading)
    kin = [n for n in present if n.id != inner.id and n.id != outer.id and n.pattern.role is Role.CAUSE
           and not n.pattern.generic and n.finding.category is inner.finding.category]
    together = own.union(*(_followed_by(n, outer) for n in kin))
    return len(together) * 2 > len(outer.occurrences)


def _followed_by(inner: Node, outer: Node) -> set[int]:
    """The catch-all's occurrences (their positions) that ``inner`` was printed right after."""
    after: dict[str | None, list[tuple[int, datetime]]] = {}
    for n in inner.occurrences:
        if n.ts is not None:
            after.setdefault(n.instance, []).append((n.event_id, n.ts))
    for listed in after.values():
        listed.sort()
    followed: set[int] = set()
    for index, o in enumerate(outer.occurrences):
        events = after.get(o.instance, [])
        if o.ts is None or not events:
            continue
        at = bisect.bisect_right(events, (o.event_id, datetime.max))
        if any(event_id - o.event_id <= NEXT_EVENTS and timedelta(0) <= ts - o.ts <= NEXT_WITHIN
               for event_id, ts in events[at : at + NEXT_EVENTS]):
            followed.add(index)
    return followed


def _traces(node: Node) -> set[str]:
    """Request trace ids the node's occurrences were logged under."""
    return {o.trace for o in node.occurrences if o.trace}


def _knowledge_phrase(cause: Node, effect: Node) -> str:
    if refers_to(cause.pattern.causes, effect):
        return f"{cause.id} causes {effect.id}"
    return f"{effect.id} is caused by {cause.id}"


def _time_order(cause: Node, effect: Node) -> str:
    """consistent | contradicted | unknown: per revision where both occur, else globally.

    Revisions, not instances: in a crash loop the platform's lines about one instance (probe,
    request errors) and the application's own lines are stamped by different components and
    can disagree by tens of seconds, while a revision's first failure is a stable landmark.
    """
    a, b = cause.first_by("revision"), effect.first_by("revision")
    common = sorted(set(a) & set(b))
    # a cause logged only some time after it began (a kubelet's probe events) began that much earlier;
    # an absence (a start-up never completed) is timed by its start, and whatever stopped it came
    # while it was still awaited (a pod evicted mid-start-up, blind set NS10); a symptom that began
    # when the old instances were gone is explained by what stopped their replacements, logged as
    # they started (held-out PW06, PY06: the load balancer's 502s a minute before the new pods' and
    # VMs' images failed)
    awaited = (effect.pattern.absence.within_s if effect.pattern.absence is not None else 0.0) \
        + effect.pattern.replacements_within_s
    slack = ORDER_SLACK + timedelta(seconds=cause.pattern.reported_after_s + awaited)
    if common:
        before = sum(1 for r in common if a[r] <= b[r] + slack)
        order = "consistent" if before * 2 >= len(common) else "contradicted"
    else:
        ta, tb = cause.first(), effect.first()
        if ta is None or tb is None:
            return "unknown"
        order = "consistent" if ta <= tb + slack else "contradicted"
    return "worsened" if order == "contradicted" and _worsened_after(cause, effect) else order


def _untimed(*nodes: Node) -> bool:
    """Whether every one of ``nodes`` occurred, and none of their occurrences has a time (a paste
    without timestamps)."""
    return all(n.occurrences for n in nodes) and all(o.ts is None for n in nodes for o in n.occurrences)


def _worsened_after(cause: Node, effect: Node) -> bool:
    """Whether the effect became much more frequent once the cause began: a leak's slow answers come
    before its OOM, but the 503s pile up after it."""
    start, times = cause.first(), sorted(effect.times())
    if start is None or len(times) < 4:
        return False
    before = [t for t in times if t < start]
    after = [t for t in times if t >= start]
    if len(after) < 3:
        return False
    span_before = max((start - times[0]).total_seconds(), 60.0)
    span_after = max((times[-1] - start).total_seconds(), 60.0)
    return len(after) / span_after >= WORSENED * len(before) / span_before


def _followed(cause: Node, effect: Node) -> float:
    """Share of the cause's occurrences that the effect follows on the same instance within seconds:
    when a symptom mixes several failures, this is how a later one still proves its part."""
    effect_times = effect.times_by_instance()
    timed = [(o.instance, o.ts) for o in cause.occurrences if o.instance and o.ts is not None]
    if not timed:
        return 0.0
    hits = sum(
        1 for inst, ts in timed
        if any(ts - TOLERANCE <= t <= ts + FOLLOW_WITHIN for t in effect_times.get(inst, []))
    )
    return hits / len(timed)


def _same_instance_fraction(cause: Node, effect: Node) -> float:
    """Share of the effect's instances where the cause occurred shortly before it: within `NEAR`,
    or within the time the effect's line comes after what began it (`reported_after_s`: a job
    task's timeout, logged when the task ran out of time, on the instance where its calls hung)."""
    effect_times = effect.times_by_instance()
    if not effect_times:
        return 0.0
    near = max(NEAR, timedelta(seconds=effect.pattern.reported_after_s))
    cause_times = cause.times_by_instance()
    hits = sum(
        1 for inst, times in effect_times.items()
        if any(t - near <= c <= t + TOLERANCE for t in times for c in cause_times.get(inst, []))
    )
    return hits / len(effect_times)


def _instanceless(node: Node) -> bool:
    """Whether none of the node's occurrences names an instance (another resource's log)."""
    return bool(node.occurrences) and not any(o.instance for o in node.occurrences)


def _co_timed_fraction(cause: Node, effect: Node, after: timedelta = TOLERANCE) -> float:
    """Share of the effect's timed occurrences that the cause occurred shortly before (within
    `NEAR`), or at most ``after`` after, whatever the instance."""
    cause_times = sorted(cause.times())
    effect_times = effect.times()
    if not cause_times or not effect_times:
        return 0.0
    hits = 0
    for t in effect_times:
        i = bisect.bisect_right(cause_times, t + after)
        hits += i > 0 and cause_times[i - 1] >= t - NEAR
    return hits / len(effect_times)


def _cause_order(o: Occurrence, knowledge: Knowledge) -> str | None:
    """Where the wrapped error is printed in this occurrence's event: its runtime's rule when a
    traceback grammar read it, else the library's rule for one-line messages."""
    if o.runtime is not None:
        rules = knowledge.runtimes.get(o.runtime)
        return rules.cause_order if rules is not None else None
    return knowledge.one_line_cause_order


def build_edges(nodes: Sequence[Node], knowledge: Knowledge | None = None) -> dict[tuple[str, str], Edge]:
    """Every edge the library allows between the nodes, weighed (rejected ones kept with score 0)."""
    out: dict[tuple[str, str], Edge] = {}
    for c in nodes:
        for e in nodes:
            if c.id != e.id:
                found = edge(c, e, knowledge, nodes)
                if found is not None:
                    out[(c.id, e.id)] = found
    return out


def user_facing(node: Node) -> bool:
    """Whether users saw this symptom directly (request logs / HTTP status)."""
    m = node.pattern.match
    from_requests = any((s.log_id or "").endswith("/requests") for s in node.finding.samples)
    return from_requests or m.http_status is not None or any("requests" in x for x in m.log_id)


_SYMPTOM_LAYERS = {Layer.PLATFORM: 0, Layer.DEPLOY: 1}


def standing(node: Node) -> tuple[bool, int, int]:
    """How strongly a symptom asks to be explained, strongest least: user-facing first, then the
    platform's, then the most frequent."""
    return not user_facing(node), _SYMPTOM_LAYERS.get(node.pattern.layer, 2), -node.finding.count


def symptoms(nodes: Sequence[Node]) -> list[Node]:
    """The symptoms that may be the one to explain: those not already there before the incident."""
    return [n for n in nodes
            if n.pattern.role is Role.SYMPTOM and n.finding.status is not Status.PRE_EXISTING]


def main_symptom(nodes: Sequence[Node]) -> Node | None:
    """The symptom to explain (of `symptoms`): the strongest `standing`, then by id."""
    candidates = symptoms(nodes)
    if not candidates:
        return None
    return sorted(candidates, key=lambda n: (*standing(n), n.id))[0]


@dataclass(frozen=True)
class Path:
    """A candidate chain from the symptom (first) to its deepest explanation (last)."""

    ids: tuple[str, ...]
    edges: tuple[Edge, ...]
    score: float


def best_paths(symptom: Node, nodes: Mapping[str, Node], edges: Mapping[tuple[str, str], Edge]) -> list[Path]:
    """Every simple path backwards from the symptom along live edges, best first."""
    into: dict[str, list[Edge]] = {}
    for (c, e), ed in sorted(edges.items()):
        if ed.score > 0 and nodes[c].finding.status is not Status.PRE_EXISTING:
            into.setdefault(e, []).append(ed)
    found: list[Path] = []
    shares: dict[str, float] = {}  # per terminal: a storm's symptom has a hundred thousand occurrences
    explains: dict[str, bool] = {}  # per terminal: whether it names a cause
    present = list(nodes.values())
    direct = [nodes[ed.cause] for ed in into.get(symptom.id, [])]
    explains.update((c.id, names_cause(c, present)) for c in direct)
    counted = _counted_shares(symptom, direct, {c.id for c in direct if explains[c.id]})

    @functools.cache
    def events(node_id: str) -> frozenset[int]:
        # (once per node, not per path through it: a storm's catch-all holds a hundred thousand)
        return frozenset(o.event_id for o in nodes[node_id].occurrences)

    def walk(ids: tuple[str, ...], path_edges: tuple[Edge, ...]) -> None:
        if ids[-1] not in shares:
            shares[ids[-1]] = revision_share(nodes[ids[-1]], symptom)
        if ids[-1] not in explains:
            explains[ids[-1]] = names_cause(nodes[ids[-1]], present)
        share = shares[ids[-1]] * (counted.get(ids[1], 1.0) if len(ids) > 1 else 1.0) \
            * _catch_all_share(ids, nodes, events)
        score = _path_score(path_edges, nodes[ids[-1]], explains[ids[-1]], share)
        found.append(Path(ids, path_edges, score))
        if len(ids) > MAX_DEPTH:
            return
        # A symptom whose own rule names the cause from what was found (a probe refused on 8080
        # beside a server listening on 3000) is not explained further by what its kind usually
        # comes from: a Multi-Attach error once at the rollout's start would otherwise take the
        # chain past the port mismatch (blind set GF03). Nor is a named cause of a kind: the
        # kernel killing a process for memory is a crash, but no called service failing made the
        # memory run out (held-out MZ10: a caller's gRPC failures logged seven seconds after the
        # OOM kill that began them took the chain past it).
        named = explains[ids[-1]]
        for ed in into.get(ids[-1], []):
            if ed.cause not in ids and not (named and ed.general):
                walk((*ids, ed.cause), (*path_edges, ed))

    walk((symptom.id,), ())
    # (between paths that score alike, the one whose cause occurred more often: 83 Redis errors in
    # the failing requests' stacks, not a cron job's 3 own-code exceptions wrapped the same way,
    # blind set EV03; then the ids, for a stable order)
    return sorted(found, key=lambda p: (-round(p.score, 9), -nodes[p.ids[-1]].finding.count, p.ids))


def _catch_all_share(ids: Sequence[str], nodes: Mapping[str, Node],
                     events: Callable[[str], AbstractSet[int]]) -> float:
    """The share of a catch-all's events on the path (an exception of any type) that the path's
    cause was printed in, where it was printed in some: a cause reached through the catch-all
    explains only those. Two Cloud Storage 500s retried twenty-six minutes before, inside 2 of the
    39 exceptions whose other 37 were a full disk, explain 2 of them (held-out RR03). 1.0 where no
    catch-all is on the path or the cause shares none of its events (linked by the clock);
    ``events``: a node's event ids."""
    share = 1.0
    for node_id in ids[1:-1]:
        if not nodes[node_id].pattern.generic:
            continue
        theirs, printed = events(node_id), len(events(ids[-1]) & events(node_id))
        if theirs and printed:
            share = min(share, printed / len(theirs))
    return share


def past_reading(paths: Sequence[Path], nodes: Mapping[str, Node]) -> Path:
    """The best of ``paths`` (best first), carried one link further when it ends on a symptom that
    names no cause, so its usual reading would answer, and a finding the library names by id as
    that symptom's cause links into it: what the logs show behind a symptom beats what the symptom
    usually means, though the longer path averages a weaker link (blind set 8B10: the load balancer
    found no healthy backend, and behind it the new pods' startup probes failed to the end)."""
    best = paths[0]
    end = nodes[best.ids[-1]]
    if len(best.ids) < 2 or end.pattern.role is Role.CAUSE or names_cause(end, list(nodes.values())):
        return best
    return next((p for p in paths if p.ids[:-1] == best.ids and names(nodes[p.ids[-1]], end)), best)


# A cause logged in the traces of this share of the symptom's traced occurrences proves, request by
# request, what failed them.
TRACE_PROOF = 0.5


def _counted_shares(symptom: Node, causes: Sequence[Node], named: AbstractSet[str] = frozenset()
                    ) -> dict[str, float]:
    """Per direct cause of ``symptom``: the share of its occurrences the cause can account for by
    count, when another direct cause was logged in the traces of most of them (`TRACE_PROOF`) and
    this one in none. 197 requests that timed out, each with the dependency's DeadlineExceeded in
    its trace, against two handler panics logged outside any trace: the panics explain at most two
    of them (blind set EE03). Without such proof counts say nothing (a database restart logged
    three times fails a thousand requests), and no cause is weighed so; where no trace proves
    anything, the instance and the moment may (`_paired_shares`), and failing that the clock
    (`_timed_shares`, for the causes in ``named``: those that name a cause)."""
    traced = _traces(symptom)
    if not traced:
        return _paired_or_timed(symptom, causes, named)
    # (a cause matched on the symptom's own entries, such as a load balancer's status detail on
    # its request logs, is another face of the same requests: its traces prove nothing)
    events = {o.event_id for o in symptom.occurrences}
    shared = {c.id: _traces(c) & traced for c in causes}
    elsewhere = [{o.trace for o in c.occurrences if o.trace and o.event_id not in events} & shared[c.id]
                 for c in causes]
    if not any(len(found) >= TRACE_PROOF * len(traced) for found in elsewhere):
        return _paired_or_timed(symptom, causes, named)
    total = max(symptom.finding.count, 1)
    return {c.id: min(1.0, c.finding.count / total) for c in causes if not shared[c.id]}


def _paired_or_timed(symptom: Node, causes: Sequence[Node], named: AbstractSet[str]) -> dict[str, float]:
    """`_paired_shares` where the instance and the moment prove something, else `_timed_shares`."""
    paired = _paired_shares(symptom, causes)
    return paired if paired is not None else _timed_shares(symptom, causes, named)


# A cause logged within `NEAR` of this share of the symptom's timed occurrences was there with the
# failures from first to last.
THROUGHOUT = 0.8


def _timed_shares(symptom: Node, causes: Sequence[Node], named: AbstractSet[str]) -> dict[str, float]:
    """`_paired_shares` where nothing pairs the failures with a cause, by the clock alone: when a
    direct cause that names one (``named``) was logged beside `THROUGHOUT` of the symptom's timed
    occurrences, within `NEAR`, a direct cause that ended early explains at most the failures that
    came while it was logged and `STALE_PASSING` after. Four refused connections to Redis in the
    first 22 seconds, then NOAUTH answers to the end of the hour beside the 500s: the refusals were
    Redis restarting, the password it came back with failed the hour (held-out ML04). A cause
    logged once at start-up and failing requests long after keeps its whole share unless a named
    cause was logged with the failures throughout; a generic one (an unhandled exception) proves
    nothing of which failure it was."""
    times = sorted(symptom.times())
    if len(times) < 4:
        return {}
    # (logged within `NEAR` of a failure either side: a request is stamped when it began)
    if not any(_co_timed_fraction(c, symptom, after=NEAR) >= THROUGHOUT for c in causes if c.id in named):
        return {}
    spans = {c.id: _covered(times, c) for c in causes}
    return {c.id: spans[c.id] / len(times) for c in causes if spans[c.id] < TRACE_PROOF * len(times)}


def _covered(times: Sequence[datetime], cause: Node) -> int:
    """How many of ``times`` (sorted) fall while ``cause`` was logged or within `STALE_PASSING` after
    its last line (from `NEAR` before its first)."""
    first, last = cause.first(), cause.last()
    if first is None or last is None:
        return len(times)
    return bisect.bisect_right(times, last + STALE_PASSING) - bisect.bisect_left(times, first - NEAR)


def ended_early(cause: Node, symptom: Node) -> str | None:
    """Why ``cause`` explains too little of ``symptom`` by the clock (`_covered`): most of the
    failures came `STALE_PASSING` or more after its last line."""
    times = sorted(symptom.times())
    last = cause.last()
    if len(times) < 4 or last is None or _covered(times, cause) >= TRACE_PROOF * len(times):
        return None
    later = len(times) - bisect.bisect_right(times, last + STALE_PASSING)
    minutes = int(STALE_PASSING.total_seconds() // 60)
    # (a share, not a count: an occurrence at the window's edge is in one source's count and not
    # another's, and a report from BigQuery says what one from the file does)
    return (f"it ended at {rfc3339(last)}: {later / len(times):.0%} of {symptom.id} came {minutes} "
            "minutes or more after its last line")


def _paired_shares(symptom: Node, causes: Sequence[Node]) -> dict[str, float] | None:
    """`_counted_shares` where no trace proves anything: a cause logged on the instance of most
    of the symptom's occurrences as they happened (`_pairs`) proves, request by request, what failed
    them, as a trace does; then each other direct cause explains at most the occurrences it was
    logged beside. 344 requests failing with a Firestore NotFound logged beside each, against 22
    nil-pointer panics on the same path: the panics explain 22 (blind set CF09)."""
    events = {o.event_id for o in symptom.occurrences}
    paired = {c.id: _pairs(symptom, c, events) for c in causes}
    total = sum(1 for o in symptom.occurrences if o.instance and o.ts is not None)
    if not total or not any(n >= TRACE_PROOF * total for n in paired.values()):
        return None
    return {c.id: min(1.0, paired[c.id] / total) for c in causes if paired[c.id] < TRACE_PROOF * total}


def _pairs(symptom: Node, cause: Node, events: AbstractSet[int]) -> int:
    """How many of the symptom's occurrences the cause was logged beside: on the same instance,
    within `TOLERANCE` of it (a request failing fast is stamped and its handler's error logged in
    the same second or two; one that hung, stamped when it began, pairs with nothing, and then
    nothing is proved); the cause's matches on the symptom's own entries are another face of
    them, not a pairing."""
    times = cause.times_by_instance(excluding=events)
    for ts in times.values():
        ts.sort()
    n = 0
    for o in symptom.occurrences:
        if not o.instance or o.ts is None or o.instance not in times:
            continue
        at = times[o.instance]
        i = bisect.bisect_left(at, o.ts - TOLERANCE)
        n += i < len(at) and at[i] <= o.ts + TOLERANCE
    return n


def names_cause(node: Node, present: Sequence[Node]) -> bool:
    """Whether a chain ending on ``node`` names a cause: a specific cause pattern, or a symptom one of
    whose rules names the category from what else was found (a probe on port 8080 beside a server
    that listens on 3000 is a port mismatch, though the probe failing is only a symptom)."""
    if node.pattern.role is Role.CAUSE:
        return not node.pattern.generic
    return any(rule.category is not None for rule, _ in fired_rules(node, present))


def _path_score(path_edges: tuple[Edge, ...], terminal: Node, ends_on_cause: bool, share: float) -> float:
    """Deeper well-supported explanations win; ending on a cause (`names_cause`) beats ending on a
    symptom; a cause that occurred on only some of the revisions the symptom did explains only
    their ``share`` of it (`revision_share`: a canary's bug beside the stable revision's quota
    errors, which explain most failures)."""
    if not path_edges:
        return 0.0
    mean = sum(e.score for e in path_edges) / len(path_edges)
    novel = NOVEL if terminal.finding.baseline_count == 0 else 0.0
    score = mean + 0.08 * len(path_edges) + (0.3 if ends_on_cause else 0.0) + novel
    return score * (1 - SHARE_WEIGHT * (1 - share))


# How much of a path's score rests on the share of the symptom its cause can explain: a cause on
# revisions holding a quarter of the failures keeps 1 - 0.5 * 0.75 of its score.
SHARE_WEIGHT = 0.5


def revision_share(cause: Node, symptom: Node) -> float:
    """The share of the symptom's occurrences on revisions where the cause occurred too; 1.0 when
    either names no revision (another resource's log, a load balancer's requests) or they share
    none (the revisions say nothing of which failures the cause explains)."""
    where = {o.revision for o in cause.occurrences if o.revision}
    seen = [o.revision for o in symptom.occurrences if o.revision]
    explained = sum(1 for r in seen if r in where)
    return explained / len(seen) if where and explained else 1.0


def satisfies(refs: Sequence[str], node: Node) -> bool:
    """Whether a rule condition names this finding.

    `category:x` means a failure of that category; a context finding (healthy database
    activity, a deploy) is not a failure, so only its id can name it; nor does a catch-all name a
    failure mode of its category (Node's "TypeError: fetch failed", printed over every fetch's own
    cause: its headers timeout was no sign of the network path, held-out QE01).
    """
    if node.pattern.role is Role.CONTEXT or node.pattern.generic:
        return node.id in refs
    return refers_to(refs, node)


def _starting_deploy(refs: Sequence[str], node: Node) -> bool:
    """A deploy (a context finding of the deployment-change category) where a rule names that
    category."""
    return (node.pattern.role is Role.CONTEXT and node.finding.category is Category.DEPLOYMENT_CHANGE
            and f"category:{Category.DEPLOYMENT_CHANGE.value}" in refs)


def _differs(fields: Sequence[str], a: Node, b: Node) -> bool:
    """Every named field is known in both findings and ``b`` has a value ``a`` never had (the new
    revision's server on 8000 beside the old one's on 8080, where the probe checks 8080)."""
    for name in fields:
        mine, theirs = a.finding.fields.get(name), b.finding.fields.get(name)
        if not mine or not theirs or not set(theirs) - set(mine):
            return False
    return True


def _shares_a_revision(a: Node, b: Node) -> bool:
    """Whether ``b`` was logged on a revision ``a`` was (`Rule.same_revision`)."""
    return bool(set(a.finding.revisions) & set(b.finding.revisions))


def _field_matches(conditions: Sequence[tuple[str, str]], node: Node) -> bool:
    """Whether the (most common) value of any named field matches its regex; True with none."""
    if not conditions:
        return True
    return any((values := node.finding.fields.get(name)) and compile_re2(pattern).search(values[0])
               for name, pattern in conditions)


def field_says(conditions: Sequence[tuple[str, str]], node: Node) -> bool:
    """Whether the (most common) value of any named field matches its regex; False with none."""
    return bool(conditions) and _field_matches(conditions, node)


def fired_rules(
    terminal: Node, present: Sequence[Node], began_with_deploy: bool = False
) -> list[tuple[Rule, list[Node]]]:
    """The terminal pattern's rules whose conditions hold, with the findings that satisfy them (none
    for a rule on the terminal's own fields alone).

    ``began_with_deploy``: the terminal cause began on a revision a deploy in the input created,
    just after it (`impact.trigger`). A deploy is context, not a failure, so it never satisfies
    ``category:deployment-change`` (see `satisfies`), except here: a successful deploy that
    started the cause is the deployment change such a rule means ("the failures began with a
    deploy": a wrong host name in the new revision's environment).

    A failure that was there before at the same rate, or ran steadily through the window (status
    pre-existing), satisfies no rule: a rule reads what came with the incident ("connections were
    failing at the network level too"), and a statsd host that has not resolved all hour says
    nothing of why an upstream stopped answering (blind set CS05). Context findings count as ever."""
    out: list[tuple[Rule, list[Node]]] = []
    for rule in terminal.pattern.rules:
        if not _field_matches(rule.when_field, terminal) or field_says(rule.unless_field, terminal):
            continue
        if not rule.when_any:
            out.append((rule, []))
            continue
        hits = [n for n in present if n.id != terminal.id
                and (n.pattern.role is Role.CONTEXT or n.finding.status is not Status.PRE_EXISTING)
                and (satisfies(rule.when_any, n)
                     or (began_with_deploy and _starting_deploy(rule.when_any, n)))
                and _differs(rule.differs, terminal, n)
                and (not rule.same_revision or _shares_a_revision(terminal, n))]
        if hits:
            out.append((rule, hits))
        elif began_with_deploy and f"category:{Category.DEPLOYMENT_CHANGE.value}" in rule.when_any \
                and not rule.differs and not rule.same_revision:
            # (a rollout read from the revisions alone has no finding to cite, nor one to compare
            # fields or revisions with: the revision's start is the evidence, `impact.trigger`)
            out.append((rule, []))
    return out


def root_category(terminal: Node, fired: Sequence[tuple[Rule, list[Node]]]) -> Category:
    """The first fired rule that names a category decides it; else the pattern's own category."""
    for rule, _ in fired:
        if rule.category is not None:
            return rule.category
    return terminal.finding.category


def confidence(path: Path, terminal: Node, fired: Sequence[tuple[Rule, list[Node]]], margin: float) -> float:
    """Root-cause confidence from the support along the chain, the rules and the runner-up's margin."""
    mean = sum(e.score for e in path.edges) / len(path.edges) if path.edges else 0.0
    value = 0.3 + 0.45 * mean + (0.1 if terminal.pattern.role is Role.CAUSE else 0.0)
    value += sum(rule.confidence for rule, _ in fired)
    if margin < 0.1:
        value -= 0.15
    return round(max(0.05, min(0.95, value)), 2)
