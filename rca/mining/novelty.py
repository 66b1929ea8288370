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

from scipy.stats import poisson

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
    log_tail = float(poisson.logsf(count - 1, max(expected, 1e-12)))
    return max(0.0, -log_tail / math.log(10))


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
