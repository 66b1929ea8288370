"""Compare each finding's rate in the incident window with the baseline before it.

A finding already present before the incident at a similar rate is noise for this incident:
it is reported as "present before the incident" and never chosen as the root cause.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import datetime, timedelta

from rca.model import Finding, Role, Status
from rca.reasoning import verdict
from rca.timeutil import Periods

SIMILAR_RATE = 1.5


def rate_ratio(f: Finding, p: Periods) -> float | None:
    """Incident rate over baseline rate; None when there is no baseline or no baseline occurrence."""
    if not p.has_baseline or f.baseline_count == 0:
        return None
    return (f.incident_count / p.window_s) / (f.baseline_count / p.baseline_s)


def similar(count: int, expected: float) -> bool:
    """Whether ``count`` is what a rate that predicts ``expected`` gives, allowing chance: within
    half again (`SIMILAR_RATE`), or `verdict.CHANCE_SD` Poisson standard deviations (small counts
    jump by chance)."""
    return not verdict.beyond(count, expected, SIMILAR_RATE)


def classify(findings: list[Finding], p: Periods) -> list[Finding]:
    """Mark findings seen before the incident: `pre-existing` at a similar rate, else `elevated`."""
    out = []
    for f in findings:
        ratio = rate_ratio(f, p)
        if ratio is None:
            out.append(f)
        elif similar(f.incident_count, f.baseline_count * p.window_s / p.baseline_s):
            out.append(replace(f, status=Status.PRE_EXISTING))
        else:
            out.append(replace(f, status=Status.ELEVATED))
    return out


STEP = 2.5  # the symptom's rate after its step must be this many times the rate before
MIN_BEFORE = timedelta(minutes=10)
MIN_AFTER = timedelta(minutes=3)


def step_change(times: Sequence[datetime], start: datetime, end: datetime) -> datetime | None:
    """When a symptom that was already there at a low rate stepped up inside the window.

    Without this, a window whose whole span is the input has no baseline, and an error stream that
    ran at the same rate all along outvotes the failure that began with the jump.

    Failures are counted by the second they happened in: one moment that fails several requests at
    once (an instance killed with three requests in flight) is one failure of the rate, not three,
    or a few such kills make a step out of a steady trickle.
    """
    ordered = sorted({t.replace(microsecond=0) for t in times if start <= t <= end})
    best, best_fit = None, -math.inf
    for i, t in enumerate(ordered):
        before, after = i, len(ordered) - i
        span_before, span_after = (t - start).total_seconds(), (end - t).total_seconds()
        if before < 3 or after < 5 or span_before < MIN_BEFORE.total_seconds() \
                or span_after < MIN_AFTER.total_seconds():
            continue
        if (after / span_after) / (before / span_before) <= STEP:
            continue
        # Of the splits that step up enough, the one two Poisson rates fit best: the largest rate
        # ratio would rather take the trickle's last failure into the step (one more failure
        # "after" outweighs a shorter span), dating the step before the trickle ended.
        fit = before * math.log(before / span_before) + after * math.log(after / span_after)
        if fit > best_fit:
            best, best_fit = t, fit
    return best


def steady_across(times: Sequence[datetime], step: datetime, start: datetime, end: datetime) -> bool:
    """Whether occurrences ran at about the same rate before and after ``step`` (noise, not cause)."""
    before = sum(1 for t in times if start <= t < step)
    after = sum(1 for t in times if step <= t <= end)
    if before < 3:
        return False
    expected = before * (end - step).total_seconds() / max((step - start).total_seconds(), 1.0)
    return similar(after, expected)


def describe(f: Finding, p: Periods) -> str:
    """A phrase for the report: how the finding's rate compares with the baseline."""
    ratio = rate_ratio(f, p)
    if not p.has_baseline:
        return "no baseline in the input"
    if ratio is None:
        return "new in the incident window"
    per_h_base = f.baseline_count / p.baseline_s * 3600
    per_h_now = f.incident_count / p.window_s * 3600
    return f"{per_h_base:.0f}/h before, {per_h_now:.0f}/h during (x{ratio:.1f})"


ONGOING = ("ongoing: it failed requests at the same rate before the window too, so the incident "
           "began earlier and runs on")
CHRONIC = ("ongoing: it failed the same way before the window too, and such a failure fails every "
           "attempt until something is changed, so the incident began earlier and runs on")


def ongoing(
    findings: Sequence[Finding], phrases: dict[str, str], traffic: verdict.Traffic, p: Periods,
    lasting: AbstractSet[str] = frozenset(),
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with the ones set aside as present before at a similar rate made the
    incident's again when the window's requests fail at `verdict.ONGOING_RATE` or more at the baseline's
    rate: the service failed before the window as it does in it (a permission removed an hour
    earlier and never restored, an outage whose last half hour the window holds). Comparing with
    such a baseline would call an 82 % error rate no incident (blind set EA); a baseline's steady
    trickle of failures (fewer than one request in fifty) stays noise.

    Where no request was logged at all (a job's or a worker's log), there is no rate to weigh: a
    ``lasting`` cause (one that fails every attempt until something is changed: a full disk, a
    missing grant) that failed before the window and still fails in it is the same incident running
    on, not noise: an hourly export failing on a full volume every run read "no incident" (blind
    EA04). Only one the baseline holds: one the window alone shows ran steadily beside the work
    before a new failure came (`steady.steady_before_step`) failed no attempt of that work (a
    metrics push that could not resolve its gateway every five minutes, then a worker killed for
    memory three times: held-out GR07). Requests, where logged, decide as above."""
    if traffic.requests == 0 and traffic.baseline_requests == 0:
        return _made_active(
            findings, phrases,
            lambda f: f.pattern_id in lasting and f.incident_count > 0 and f.baseline_count > 0,
            lambda f: CHRONIC)
    if not verdict.ongoing(traffic) or verdict.beyond_baseline(traffic.failed, traffic.baseline_failed, p):
        return list(findings), dict(phrases)
    return _made_active(findings, phrases, lambda f: f.role is not Role.CONTEXT,
                        lambda f: f"{ONGOING} ({describe(f, p)})")


def _made_active(
    findings: Sequence[Finding], phrases: dict[str, str], ran_on: Callable[[Finding], bool],
    phrase: Callable[[Finding], str],
) -> tuple[list[Finding], dict[str, str]]:
    """The findings, with those set aside as present before (pre-existing) that ``ran_on`` made the
    incident's again, each said so by its ``phrase``."""
    out, said = [], dict(phrases)
    for f in findings:
        if f.status is Status.PRE_EXISTING and ran_on(f):
            f = replace(f, status=Status.ACTIVE)
            said[f.pattern_id] = phrase(f)
        out.append(f)
    return out, said
