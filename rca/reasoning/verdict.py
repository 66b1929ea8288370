"""The verdict: is the service down, degraded, recovered or fine, since when, and after which deploy.

Never a false all-clear: failed requests, error entries or a failed deploy beyond what the
baseline already had make the window an incident even when nothing explains them; only a window
whose failures were all there before at the same rate (or that has none) is `ok`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from rca.model import State, Trigger, Verdict
from rca.timeutil import Periods, rfc3339

# Seven requests in ten failing, over the window's last minutes (or the whole window when its end
# is unknown), is an outage; fewer is a service that still answers many of its callers, degraded.
# Half was the line first; engineers judging 164 held-out incidents called 40-60% failing degraded
# far more often than down (agreement 141 of 164 at half, 154 at two in three, fewer past three in
# four). Later rounds (190 incidents, 2026-12-03) called 55-66% failing down in seven of eight, and
# the line moved to three in five; with 520 incidents (2026-12-06), of the 183 whose judges called
# them down or degraded alone and rca either, agreement was 170 at three in five, 174 at two in
# three, 175 at seven in ten and 174 at three in four (docs/architecture.md, the verdict). 180 more
# (2026-12-07) put seven of the eight between 60% and 70% failing down (65-69%: RS09, RR01, RK04,
# RJ09, RS03; 61%: RP04; 70%, RE06, degraded): over both, two in three agrees most.
DOWN_RATE = 2 / 3
RECENT = 600  # seconds: "how bad is it now" is the last ten minutes of the window
# A recent period without a failed request says the failures stopped only if, at the rate they
# ran, it would have held this many: a trickle of one every six minutes is quiet for ten by chance.
RECOVERY_EVIDENCE = 3.0
# Work that stopped (a kind of line, `impact._work_stopped`; requests, `_none_since_errors`): a quiet
# that at the former pace would have held this many of it, lasting this many seconds at least (an
# export's last minute is ragged: a line logged every second stopped 49 s before the end of one
# that simply ended, blind set PH03)
STOP_EVIDENCE = 30
STOP_QUIET = 240
# Requests that came steadily (`_steady`) leave less room for chance in their quiet: one that at
# their pace would have held this many of them says they stopped (held-out LT01: a model server
# asked four times a minute for twenty minutes fell silent for six when its one pod was replaced
# by one that crash-looped; 25 were due).
STEADY_STOP_EVIDENCE = 15
# Failures that began inside the recent period are judged from their start: the minutes before it,
# when every request succeeded, say nothing of how the service fares now (a DNS record that stopped
# resolving six minutes before the logs end failed every API call since, yet the last ten minutes
# read under three in five, blind set ES05). Fewer requests than this since then are no rate.
MIN_SINCE_ONSET = 10
# A route that answered each of its requests while the others failed does not make an outage a
# degradation: engineers judged ten held-out incidents down at 67-86% failing beside a route that
# answered every call (RB02, RE07, RE09, RH03, RS03, RJ09, RR01, RK04, RK10, RQ07) and one, GG06
# at 75%, degraded; the rule that read them degraded (2026-12-06) is gone. Static files served
# meanwhile are still set aside (`Traffic.recent_static`): a page's assets say nothing of its calls.
# Failures that stopped inside the recent period (a paste of a few minutes, an export that ends
# soon after the fix) recovered when at least `MIN_SINCE_ONSET` answered requests followed the
# last one and, at the rate the failures ran, the quiet since would have held this many of them:
# a chance lull in failures that go on holds so many with a likelihood under e^-10. The bar is
# higher than `RECOVERY_EVIDENCE`, which also has the ten clean minutes of the recent period
# behind it (blind set GD03: 42 failures in two minutes, then 22 answered requests over 3.6).
RECOVERY_INSIDE = 10.0
# Failed requests are judged by the moments they failed at, not one by one, for whether a quiet
# after them says they stopped: a crash, an OOM kill or a probe killing an instance fails every
# request in flight on it at once, so a service that crashes every few minutes logs its failures
# in bursts, and the quiet after a burst is no longer than the quiet between them. Failed requests
# inside the same span of this many seconds are one moment (held-out sets: unhandled rejections
# crashing an instance every few minutes, each taking tens of requests with it, read recovered
# 45 s after the last burst; OH06, OG08, OB05).
FAILURE_MOMENT_S = 10
SIMILAR = 2.0  # a rate up to this multiple of the baseline's is "the same as before"
# ... and so is a count within this many Poisson standard deviations of what the baseline's rate
# predicts: small counts jump by chance (ten failed requests in an hour after four the hour before,
# or four after one, is a steady trickle's chance, not an incident; held-out healthy windows SG10,
# RH08). The findings' own comparison allows chance the same way (`baseline.similar`, `beyond`).
CHANCE_SD = 3.0
# Requests failing at this share or more are an incident whatever the baseline: a baseline that
# failed as much was no healthy reference, but the same incident, begun before the window. One in
# twenty was the line first: held-out windows with 2-4 % of requests failing steadily on an
# upstream's 5xx or a job's 403 then read "no incident" (EA). One in a hundred (the loosest
# availability target services commonly keep, 99 %) was the line next: then every held-out window
# failing 1.2-1.6 % steadily, a slow export's statement timeouts, an editor's 502s, a partner's
# retried 503s, read degraded where the engineers who wrote them (four of four) called them the
# service's steady background (QC08, UC06, VD10, WD09; no held-out incident failed so little).
ONGOING_RATE = 0.02


# Answered requests are slow when in the recent period their median latency is this many times
# the median before and longer by `SLOW_BY_S` at least, each median over `LATENCY_SAMPLES` requests
# or more: a service that answers every request, but in seconds where it took milliseconds, is
# degraded for its users (held-out BX08: an upstream's 503s stopped, its answers then took 5-9 s;
# BD06: quote requests went from tens of milliseconds to several seconds with nothing failing).
# A median, not a tail: a few long downloads or streams leave it where it was.
SLOW_RATIO = 4.0
SLOW_BY_S = 1.0
LATENCY_SAMPLES = 10


def slow(t: Traffic) -> bool:
    """Whether the recent period's answered requests are slow against those before (`SLOW_RATIO`)."""
    if not slower(t.latencies):
        return False
    # the recent requests went to slower routes, each as fast as it was: a report or an LLM call that
    # always took seconds, asked for more often, is no slowness (blind set NS09)
    return t.route_latencies is None or slower(t.route_latencies)


def slower(latencies: tuple[float, float] | None) -> bool:
    """Whether a (recent, before) pair of latencies is slow: the recent one at `slow_threshold` of
    the one before or more; False without a pair."""
    return latencies is not None and latencies[0] >= slow_threshold(latencies[1])


def slow_threshold(usual: float) -> float:
    """The latency that is slow against a ``usual`` one: `SLOW_RATIO` times it and `SLOW_BY_S` longer."""
    return max(SLOW_RATIO * usual, usual + SLOW_BY_S)


# A slow spell that ended before the recent period: the minutes (`SLOW_MINUTE_S`) whose slowest
# quarter of answered requests took `SLOW_RATIO` times the service's usual (the same quarter's once
# the spell was over, or the baseline's) and `SLOW_BY_S` longer, in a run of
# `SLOW_SPELL_MINUTES` or more (a minute that was not slow between two that were does not end it),
# over `LATENCY_SAMPLES` requests and more than one route: a Redis fsync stall that made every cart
# request take seconds for twelve minutes, then passed, was an incident that recovered, not a quiet
# window (held-out HN07, HN08). One route slow for a while is its own work (a report, an export).
# The slowest quarter, not the median: a stall that holds up every other request (a disk busy in
# bursts) leaves half of them fast, minute after minute (HN07).
SLOW_MINUTE_S = 60
SLOW_SPELL_MINUTES = 3


@dataclass(frozen=True)
class SlowSpell:
    """A spell of slow answers that ended before the recent period (`SLOW_MINUTE_S`'s why)."""

    start: datetime
    end: datetime  # the start of the first minute after it whose answers came as usual
    slow_s: float  # the least latency of the slowest quarter of its answered requests
    usual_s: float  # the same quarter's as usual, which it is judged against


def slowness(t: Traffic) -> str | None:
    """How slow the service's answered requests are or were, in the report's words: the recent
    period's when `slow`, else a `SlowSpell` that ended; None when neither."""
    if t.latencies is not None and slow(t):
        recent, before = t.latencies
        return (f"answered requests in the last {RECENT // 60} minutes took a median {recent:.2f} s, "
                f"{recent / max(before, 0.001):.0f} times the {before:.3f} s before")
    if (spell := t.slow_spell) is not None:
        times = spell.slow_s / max(spell.usual_s, 0.001)
        return (f"from {rfc3339(spell.start)} to {rfc3339(spell.end)} a quarter of the answered requests "
                f"took {_figure(spell.slow_s)} s or more, about {_figure(times)} times the usual "
                f"{_figure(spell.usual_s)} s")
    return None


def _figure(value: float) -> str:
    """``value`` to two significant figures (`51`, `0.21`, `240`): a quarter's least latency is read
    from every answered request of a file, but a BigQuery push-down returns the requests it only
    counts as groups each timed by its first (rca/sources/bigquery/pushdown.py `GROUP_KEY`), so
    its third figure is no fact either source can stand behind."""
    return f"{float(f'{value:.2g}'):g}"


@dataclass(frozen=True)
class Traffic:
    """Counts and landmarks read from the entries table for the verdict."""

    requests: int
    failed: int
    baseline_requests: int
    baseline_failed: int
    recent_requests: int
    recent_failed: int
    errors: int
    baseline_errors: int
    failed_deploys: int
    first_failure: datetime | None
    last_failure: datetime | None
    first_error: datetime | None
    # the first answered request after the last failure: after the last failed request, or, in a
    # window without failed requests, after the last error entry or named failure when those ended
    # before the recent period (a failed rollout the old revision served through, then fixed); in
    # an input that logs no request, the first entry after them when the service went on logging
    # (`impact._errors_ended`)
    first_success_after_failures: datetime | None
    last_error: datetime | None = None  # the window's last entry at severity ERROR or above
    recent_since: datetime | None = None  # where the recent period (`recent_*`) begins
    # of `failed`, requests refused under 500 in place of the callers' answers: the platform's (no
    # instance available, IAM) and the service's own 401/403 that took its callers' place
    refused: int = 0
    # of `failed`, `baseline_failed` and `recent_failed`: the requests IAM refused a caller that
    # `impact.with_refusals` added (each read in full, never sampled: a pattern reads its text)
    denied: tuple[int, int, int] = (0, 0, 0)
    # (requests, failed) from the first failed request on, when that came inside the recent period
    # and the counts are read in full (`impact._since_onset`)
    since_onset: tuple[int, int] | None = None
    # the requests answered (not failed) after the last failed request (`impact.measure`)
    answered_after_failures: int = 0
    # the median latency of the window's failed requests, in seconds: a request log is written when
    # the request ends but timed when it began, so failures that began this long before the logs
    # end are not logged yet (Cloud Run's 504 after its 300 s timeout)
    failed_latency_s: float = 0.0
    # of the window's failed requests, the `FAILURE_MOMENT_S` spans they failed in (0: not read,
    # every failed request counts as its own moment)
    failed_moments: int = 0
    # where the window's failed requests ran above the share of requests the baseline's failed:
    # the first failure of the first minute that failed beyond it, and the first answered request
    # after the last such minute's last failure (`impact.excess`); None without a baseline that
    # failed or without such a minute
    excess: tuple[datetime, datetime | None] | None = None
    # the window's first and last request, and the `STEADY_SPAN_S` spans before the recent period
    # that held one (`stopped_steady`); None and 0 where not read
    requests_between: tuple[datetime | None, datetime | None] = (None, None)
    request_spans: int = 0
    # when the window's last request ended (its start plus its latency): a request log is timed
    # when the request began, so one that ended in the recent period was being served there
    last_request_end: datetime | None = None
    # the median seconds the recent period's answered requests took, and the median of those before
    # it (`impact._latencies`); None where too few requests gave a latency
    latencies: tuple[float, float] | None = None
    # the same, route by route: the median seconds of the recent period's answered requests on
    # routes answered before it too, and the median of what those routes took before (each its
    # quickest quarter's, `impact._route_latencies`); None where too few recent requests had one
    route_latencies: tuple[float, float] | None = None
    # of the recent period's answered requests, those that answered a static file (a path ending in
    # an extension outside an API path, or a 304) on a route of static files none of which failed
    # (`impact._RECENT_ROUTES`); read only when some failed there
    recent_static: int = 0
    # answers that came slowly for a while and then as usual again, before the recent period
    # (`impact.slow_spell`); None where there was no such spell or it was not read
    slow_spell: SlowSpell | None = None
    # where the recent period's slowness began (`impact.slow_since`); None where it is not slow
    slow_since: datetime | None = None


def beyond_baseline(window: int, baseline: int, periods: Periods) -> bool:
    """Whether ``window`` occurrences are more than the baseline's rate would predict, beyond
    `SIMILAR` and beyond chance (`CHANCE_SD`)."""
    if window <= 0:
        return False
    if not periods.has_baseline or baseline == 0:
        return True
    return beyond(window, baseline * periods.window_s / periods.baseline_s)


def beyond(count: int, expected: float, ratio: float = SIMILAR) -> bool:
    """Whether ``count`` is more than a rate that predicts ``expected`` gives: beyond ``ratio``
    times it and beyond chance (`CHANCE_SD`). The one test of a count against a rate: requests'
    here, findings' at their own ratio (`baseline.similar`)."""
    return count > ratio * expected and count > expected + CHANCE_SD * math.sqrt(expected)


def ongoing(t: Traffic) -> bool:
    """Whether the window's requests fail at `ONGOING_RATE` or more: an incident even where the
    baseline failed as much (`baseline.ongoing`)."""
    return bool(t.requests) and t.failed >= ONGOING_RATE * t.requests


def share(part: int, whole: int) -> float | None:
    """``part / whole`` to four places (the report's rates), None with nothing to divide by."""
    return round(part / whole, 4) if whole else None


def reasons(t: Traffic, periods: Periods, active_failures: int, unexplained: int = 0) -> tuple[str, ...]:
    """What makes the window an incident, in words; empty for a quiet window. ``unexplained``:
    error-like events no pattern explains that began or grew in the window (a traceback pasted
    without a level or a time is one)."""
    out = []
    if beyond_baseline(t.failed, t.baseline_failed, periods):
        how = ("(all callers refused with a 4xx)" if t.refused == t.failed
               else f"({t.refused} callers refused with a 4xx, the rest with 5xx)" if t.refused
               else "with 5xx")
        out.append(f"{t.failed} of {t.requests} requests failed {how}")
    elif ongoing(t):
        out.append(f"{t.failed} of {t.requests} requests failed, at the rate they failed before the window: "
                   "an incident that began earlier")
    if beyond_baseline(t.errors, t.baseline_errors, periods):
        out.append(f"{t.errors} entries at severity ERROR or above")
    if _failing_since_onset(t) and t.since_onset is not None and t.first_failure is not None:
        requests, failed = t.since_onset
        out.append(f"{failed} of {requests} requests failed since the first failure at "
                   f"{rfc3339(t.first_failure)}, inside the last {RECENT // 60} minutes")
    if t.failed_deploys:
        out.append(f"{t.failed_deploys} deploy(s) failed")
    if active_failures:
        out.append(f"{active_failures} failure mode(s) began or grew in the window")
    if unexplained:
        out.append(f"{unexplained} error-like event(s) no pattern explains began or grew in the window")
    if (slower := slowness(t)) is not None:
        out.append(slower)
    if stopped_steady(t, periods):
        # The logs went on (another service's, the platform's) while the service's own requests
        # stopped where many were due: no all-clear, whatever cause is or is not in the logs.
        due = t.requests * RECENT / (periods.window_s - RECENT)
        out.append(f"no request was logged in the last {RECENT // 60} minutes, where about {due:.0f} were "
                   "due at the rate before")
    return tuple(out)


def decide(
    t: Traffic, periods: Periods, active_failures: int, trigger: Trigger | None, unexplained: int = 0,
    never_started: bool = False, persistent: str | None = None, listed_down: str | None = None,
    not_running: bool = False,
) -> Verdict:
    """The state and its numbers from the traffic, the baseline and what the analysis found.

    ``never_started``: the input logs no request and the failures it names are the service's
    start-up failing (a paste of a container that never came up): nothing was served, so down.
    ``persistent``: why nothing was served while the failure ran, when it still ran as the logs
    ended (a root cause that fails every attempt until something is changed, patterns/_knowledge.yaml
    `persistent`; a crash loop): with no request logged, nothing was served either, so down; and
    so when requests stopped (`_stopped`) while it ran: every pod crash-looping after a rollout
    serves nothing, though the requests before it all succeeded.
    ``listed_down``: why nothing serves as the logs end, whatever the requests logged before it
    answered: a listing of the service's pods printed after the logs (a paste's `kubectl get pods`)
    shows none of them serving while such a failure stands, or the revisions that answered were
    stopped for a newest one that never started (`impact._replaced_by_unstarted`).
    ``not_running``: a named failure says the process is not running as the logs end (a crash loop,
    a unit systemd gave up on): every request since the first failed one failing is then down,
    however few (`_all_failed_since_onset`)."""
    why = reasons(t, periods, active_failures, unexplained)
    rate, recent = share(t.failed, t.requests), share(t.recent_failed, t.recent_requests)
    failing_requests = beyond_baseline(t.failed, t.baseline_failed, periods)
    # (failures that rose above a trickle the baseline had began where they rose)
    began = t.excess[0] if t.excess else t.first_failure
    # (answers that slowed with no error entry began where they slowed: a spell that passed, or
    # the slowness of the recent period)
    spell_start = t.slow_spell.start if t.slow_spell is not None else None
    onset = began if failing_requests else ((t.first_error or spell_start or t.slow_since) if why else None)
    recovered_at = None
    # (a page's static files served from disk or cache say nothing of whether its calls work: a
    # storefront whose every /api call timed out while its scripts and images loaded was down,
    # held-out GM04)
    working = share(t.recent_failed, t.recent_requests - t.recent_static) if t.recent_static else recent
    now_failing = (working >= DOWN_RATE if working is not None else (rate or 0.0) >= DOWN_RATE) \
        or _failing_since_onset(t)
    if t.recent_static and working is not None and recent is not None and working >= DOWN_RATE > recent:
        why = (*why, f"{working:.0%} of the requests in the last {RECENT // 60} minutes failed, "
                     f"the {t.recent_static} that answered static files aside")
    stopped = _stopped(t, periods)
    silent = persistent is not None and t.requests > 0 and not stopped and _none_since_errors(t)
    stuck = persistent is not None and (not t.requests or stopped or silent)
    # (a failure that keeps the service from running stands, and every request since the first
    # failed one failed too: however few, none was served since; a cause that fails every attempt
    # is no such sign by itself, its failures minutes old may not yet hold a rate)
    held = not_running and persistent is not None and not now_failing and _all_failed_since_onset(t)
    if why and held and t.since_onset is not None:
        why = (*why, f"all {t.since_onset[0]} requests since {rfc3339(t.first_failure)} failed, "
                     f"and {persistent}")
    if why and stuck and not now_failing and not never_started:
        when = (f" after {rfc3339(t.first_error)}" if silent
                else f" in the last {RECENT // 60} minutes" if t.requests else "")
        why = (*why, f"no request was logged{when}, and {persistent}")
    if why and listed_down is not None and not now_failing:
        why = (*why, listed_down)
    now_failing = (now_failing or (never_started and not t.requests) or stuck or held
                   or stopped_steady(t, periods) or listed_down is not None)
    if not why:
        state = State.OK
    elif _stopped_inside_recent(t):
        state, recovered_at = State.RECOVERED, rfc3339(t.first_success_after_failures)
    elif now_failing:
        state = State.DOWN
    elif ((t.recent_requests or not t.requests) and not t.recent_failed and t.first_success_after_failures
          and _quiet_long_enough(t)):
        state, recovered_at = State.RECOVERED, rfc3339(t.first_success_after_failures)
    elif failing_requests and back_to_baseline(t):
        state, recovered_at = State.RECOVERED, rfc3339(t.excess[1] if t.excess else None)
    else:
        state = State.DEGRADED
    if state is State.DEGRADED and (spell := _passed_spell(t, failing_requests)) is not None:
        state, recovered_at = State.RECOVERED, rfc3339(spell.end)
    if state is State.RECOVERED and slow(t):
        # the failures stopped, but the answers since come too slowly: not recovered
        state, recovered_at = State.DEGRADED, None
    return Verdict(state, t.requests, t.failed, rate, recent, rfc3339(onset), recovered_at,
                   trigger if state is not State.OK else None, why)


def _passed_spell(t: Traffic, failing_requests: bool) -> SlowSpell | None:
    """The window's `SlowSpell` when the incident is one that passed: requests failed no more than
    the baseline's share, none in the recent period, no error entry was logged in it, and the
    answers in it came as usual (`slow`); else None."""
    passed = (not failing_requests and not t.recent_failed and not slow(t)
              and (t.last_error is None or t.recent_since is None or t.last_error < t.recent_since))
    return t.slow_spell if passed else None


def back_to_baseline(t: Traffic) -> bool:
    """Whether requests that failed above the baseline's rate in the window fail at that rate again
    in the recent period: the incident ended, though the trickle the baseline had goes on. At the
    window's own rate the recent period would have held `RECOVERY_EVIDENCE` more failures than it
    did, over at least `MIN_SINCE_ONSET` requests. A renderer whose slow pages time out a few times
    an hour, before, through and after half an hour of instances killed for memory, recovered when
    the kills stopped (held-out WB09); its steady timeouts stay what they were, noise."""
    if (t.excess is None or t.excess[1] is None or not t.recent_failed or not t.baseline_requests
            or t.recent_requests < MIN_SINCE_ONSET):
        return False
    at_baseline = t.baseline_failed / t.baseline_requests * t.recent_requests
    at_window = t.failed / t.requests * t.recent_requests
    return not beyond(t.recent_failed, at_baseline) and at_window - t.recent_failed >= RECOVERY_EVIDENCE


def _failing_since_onset(t: Traffic) -> bool:
    """Whether the requests since the first failure (which came inside the recent period) fail at
    `DOWN_RATE` or more, over at least `MIN_SINCE_ONSET` of them (`MIN_SINCE_ONSET`'s why)."""
    if t.since_onset is None:
        return False
    requests, failed = t.since_onset
    return requests >= MIN_SINCE_ONSET and failed >= DOWN_RATE * requests


def _all_failed_since_onset(t: Traffic) -> bool:
    """Whether every request since the first failure (which came inside the recent period)
    failed, `RECOVERY_EVIDENCE` of them at least: too few for a rate (`MIN_SINCE_ONSET`), but where
    a failure that keeps the service from running stands as the logs end (a unit systemd gave up
    restarting, held-out ME03: the proxy in front refused four calls in a row), none was served."""
    if t.since_onset is None:
        return False
    requests, failed = t.since_onset
    return requests >= RECOVERY_EVIDENCE and failed == requests


def _stopped(t: Traffic, periods: Periods) -> bool:
    """Whether the requests stopped: none in the recent period, where the rate they came at
    before would have brought `RECOVERY_EVIDENCE` of them (a service asked once in a quarter of an
    hour is not stopped by ten quiet minutes). A request that began before the recent period and
    ended in it was served there: a transcoder's clips of ten minutes and more, cut at Cloud Run's
    300 s timeout, are logged where they began (held-out KI06)."""
    if t.recent_requests or not t.requests or t.recent_since is None:
        return False
    if t.last_request_end is not None and t.last_request_end >= t.recent_since:
        return False
    before_s = periods.window_s - RECENT
    return before_s > 0 and t.requests * RECENT / before_s >= RECOVERY_EVIDENCE


# Requests that came in most five-minute spans from the window's first one to its last came
# steadily: their stop is news. A cron's burst, then its quiet, is how it always runs.
STEADY_SPAN_S = 300
STEADY_SHARE = 0.8


def _none_since_errors(t: Traffic) -> bool:
    """Whether the requests stopped where the errors began: every request came before the first
    error, none failed, and the quiet from the first error to the end of the window lasted
    `STOP_QUIET` and would have brought `STOP_EVIDENCE` of them at the rate they came
    (`STEADY_STOP_EVIDENCE` when they came steadily). A service
    restarted into a start that fails every time (a jar built for a newer Java, its unit given up
    on) answers nothing from the restart on, some minutes before the end of the paste (held-out
    DU08)."""
    first, last = t.requests_between
    if (t.failed or first is None or last is None or t.first_error is None or t.recent_since is None
            or last >= t.first_error):
        return False
    quiet = (t.recent_since + timedelta(seconds=RECENT) - t.first_error).total_seconds()
    rate = t.requests / max((last - first).total_seconds(), 1.0)
    evidence = STEADY_STOP_EVIDENCE if _steady(t) else STOP_EVIDENCE
    return quiet >= STOP_QUIET and quiet * rate >= evidence


def stopped_steady(t: Traffic, periods: Periods) -> bool:
    """Whether requests that came steadily (in `STEADY_SHARE` of the `STEADY_SPAN_S` spans from the
    first to the last, three at least) stopped (`_stopped`): all of a service's pods fell silent
    while the logs went on (blind set BT09), not a scheduled burst that ended."""
    return _stopped(t, periods) and _steady(t)


def _steady(t: Traffic) -> bool:
    """Whether the requests came steadily: in `STEADY_SHARE` of the `STEADY_SPAN_S` spans from the
    first to the last, three at least (a cron's burst, then its quiet, is no steady stream)."""
    first, last = t.requests_between
    if first is None or last is None:
        return False
    spans = (last - first).total_seconds() / STEADY_SPAN_S
    return spans >= 3 and t.request_spans >= STEADY_SHARE * spans


def _stopped_inside_recent(t: Traffic) -> bool:
    """Whether failed requests that ran into the recent period stopped there (`RECOVERY_INSIDE`'s
    why): answered requests came after the last one, enough of them, over a quiet that at the
    failures' own rate would have held `RECOVERY_INSIDE` more."""
    if (not t.recent_failed or t.failed < 2 or t.first_success_after_failures is None
            or t.answered_after_failures < MIN_SINCE_ONSET or t.recent_since is None
            or t.first_failure is None or t.last_failure is None):
        return False
    return quiet_says_stopped(_moments(t), t.first_failure, t.last_failure, t.recent_since, RECOVERY_INSIDE,
                              t.failed_latency_s)


def _quiet_long_enough(t: Traffic) -> bool:
    """Whether the quiet since the last failed request (which takes in the recent period, itself
    without one) is evidence that they stopped: at the rate they ran (first to last failed
    request), it would have held `RECOVERY_EVIDENCE` of them. Three failures a quarter of an hour
    apart, then an hour without one, stopped; the same three before ten quiet minutes may not have.
    A window without failed requests (its errors ended) or with one alone has no rate to judge by."""
    if t.failed < 2 or t.first_failure is None or t.last_failure is None:
        return True
    return quiet_says_stopped(_moments(t), t.first_failure, t.last_failure, t.recent_since,
                              unseen_s=t.failed_latency_s)


def _moments(t: Traffic) -> int:
    """The failed requests counted by the moments they failed at (`FAILURE_MOMENT_S`)."""
    return t.failed_moments or t.failed


def quiet_says_stopped(
    count: int, first: datetime, last: datetime, recent_since: datetime | None,
    evidence: float = RECOVERY_EVIDENCE, unseen_s: float = 0.0,
) -> bool:
    """Whether the quiet from the last of ``count`` failures (``first`` to ``last``) to the end of
    the window (the recent period, from ``recent_since``, ends it) would have held ``evidence`` of
    them at the rate they ran: then they stopped. The last failure may lie before the recent period
    or inside it (`_stopped_inside_recent`). The last ``unseen_s`` seconds of the quiet say nothing:
    a failure that began in them (each took that long) was not logged before the logs end."""
    span = max((last - first).total_seconds(), 1.0)
    quiet = RECENT if recent_since is None else (recent_since - last).total_seconds() + RECENT
    return count / span * max(0.0, quiet - unseen_s) >= evidence
