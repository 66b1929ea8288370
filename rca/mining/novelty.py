"""Which templates are new or bursting in the incident window compared with a baseline.

Input is a sequence of observations ``(key, timestamp_s, is_incident)`` where ``key`` is a
template id (or any hashable label such as a masked message). Each key gets its count and
rate in both windows, a ``new`` flag (never seen in the baseline), a smoothed log-ratio of
the rates and a Poisson surprise: how unlikely the incident count is if the key kept its
baseline rate. Results are ranked new first, then by surprise, with stable tie-breaks.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

#: Pseudo-count added to both windows so a key absent from one window has a finite ratio.
PSEUDO_COUNT = 0.5
#: Shortest window span used for a rate, so one-instant windows do not divide by zero.
MIN_SPAN_S = 1.0


@dataclass(frozen=True)
class Novelty:
    """How one key behaved in the baseline and the incident window."""

    key: Hashable
    baseline_count: int
    baseline_rate: float
    incident_count: int
    incident_rate: float
    new: bool
    log_ratio: float
    surprise: float


@dataclass(frozen=True)
class _Window:
    """Counts per key and the span in seconds of one window."""

    counts: dict[Hashable, int]
    span_s: float


def _window(observations: list[tuple[Hashable, float]], span_s: float | None) -> _Window:
    """Count keys and measure the window (given span, else first to last timestamp)."""
    counts: dict[Hashable, int] = {}
    for key, _ in observations:
        counts[key] = counts.get(key, 0) + 1
    if span_s is None:
        times = [ts for _, ts in observations]
        span_s = max(times) - min(times) if times else 0.0
    return _Window(counts, max(span_s, MIN_SPAN_S))


def poisson_surprise(count: int, expected: float) -> float:
    """``-log10 P(X >= count)`` for X ~ Poisson(expected): 0 when unremarkable, large when rare."""
    if count <= 0:
        return 0.0
    return max(0.0, -poisson_log_tail(count, max(expected, 1e-12)) / math.log(10))


def poisson_log_tail(count: int, mu: float) -> float:
    """``log P(X >= count)`` for X ~ Poisson(mu), count >= 1, mu > 0, summed term by term in log space.

    Pure ``math`` rather than scipy (whose import cost more than a small run's analysis). The
    terms p(j) = exp(-mu) mu^j / j! rise up to j = mu and fall after it, so each sum starts at
    its largest term and walks away from the mode until the terms no longer change it. At or
    beyond the mode the upper tail is summed directly (no underflow: a tail of 1e-400 is a finite
    log, where scipy's ``logsf`` gave -inf); below it the tail is 1 - P(X < count), at least
    about a half there.
    """
    first = _log_pmf(count, mu)
    if count >= mu:
        return first + math.log(_walk(count, mu, up=True))
    below = first + math.log(count / mu) + math.log(_walk(count - 1, mu, up=False))  # log P(X < count)
    return math.log(1.0 - math.exp(below))  # a head under double resolution leaves the tail exactly 1


def _log_pmf(x: int, mu: float) -> float:
    """``log p(x)``: directly for small x; else Loader's saddle-point form (as R's ``dpois``), which
    avoids subtracting two numbers of size x log x when x is large."""
    if x < 16:
        return x * math.log(mu) - mu - math.lgamma(x + 1)
    return -_stirling_error(x) - _deviance(x, mu) - 0.5 * math.log(2 * math.pi * x)


def _stirling_error(n: int) -> float:
    """``log n! - (n + 1/2) log n + n - log(2 pi) / 2`` for n >= 16, by its asymptotic series."""
    nn = float(n) * n
    s0, s1, s2, s3, s4 = 1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188
    if n > 500:
        return (s0 - s1 / nn) / n
    if n > 80:
        return (s0 - (s1 - s2 / nn) / nn) / n
    if n > 35:
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _deviance(x: int, mu: float) -> float:
    """``x log(x / mu) + mu - x``, by a series when x is near mu (where the direct form cancels)."""
    if abs(x - mu) >= 0.1 * (x + mu):
        return x * math.log(x / mu) + mu - x
    v = (x - mu) / (x + mu)
    s = (x - mu) * v
    ej = 2 * x * v
    v *= v
    j = 1
    while True:
        ej *= v
        nxt = s + ej / (2 * j + 1)
        if nxt == s:
            return s
        s, j = nxt, j + 1


def _walk(start: int, mu: float, *, up: bool) -> float:
    """Sum of p(j) / p(start) from ``start`` away from the mode (up: j >= start; down: j <= start)."""
    total, term, j = 1.0, 1.0, start
    while True:
        if up:
            term *= mu / (j + 1)
            j += 1
        else:
            if j == 0:
                return total
            term *= j / mu
            j -= 1
        if total + term == total:
            return total
        total += term


def _score(key: Hashable, base: _Window, inc: _Window) -> Novelty:
    """Compute one key's rates, novelty flag, smoothed log-ratio and surprise."""
    b = base.counts.get(key, 0)
    i = inc.counts.get(key, 0)
    base_rate = (b + PSEUDO_COUNT) / base.span_s
    inc_rate = (i + PSEUDO_COUNT) / inc.span_s
    return Novelty(
        key=key,
        baseline_count=b,
        baseline_rate=b / base.span_s,
        incident_count=i,
        incident_rate=i / inc.span_s,
        new=b == 0 and i > 0,
        log_ratio=math.log(inc_rate / base_rate),
        surprise=poisson_surprise(i, base_rate * inc.span_s),
    )


def _rank_key(item: Novelty) -> tuple[bool, float, float, int, str]:
    """Sort key: new first, then higher surprise, higher log-ratio, more incident hits, key text."""
    return (not item.new, -item.surprise, -item.log_ratio, -item.incident_count, repr(item.key))


def novelty(
    observations: Iterable[tuple[Hashable, float, bool]],
    baseline_span_s: float | None = None,
    incident_span_s: float | None = None,
) -> list[Novelty]:
    """Score every key seen in either window and return them ranked, most novel first.

    Window spans default to first-to-last timestamp within each window; pass them when the
    windows are known (a quiet baseline hour with two messages is still an hour).
    """
    base_obs: list[tuple[Hashable, float]] = []
    inc_obs: list[tuple[Hashable, float]] = []
    for key, ts, is_incident in observations:
        (inc_obs if is_incident else base_obs).append((key, ts))
    base = _window(base_obs, baseline_span_s)
    inc = _window(inc_obs, incident_span_s)
    keys = set(base.counts) | set(inc.counts)
    return sorted((_score(key, base, inc) for key in keys), key=_rank_key)
