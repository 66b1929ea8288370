"""The timeline's buckets for matched events: each hit counts in the bucket of the second that
``int(ts.timestamp())`` gives (UTC-naive times read as UTC), however the second is computed."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from rca.engine.match import Hit
from rca.reasoning.analysis import _hit_buckets

UTC = timezone.utc


def _hit(n: int, ts: datetime | None, in_window: bool = True) -> Hit:
    return Hit(f"p{n % 3}", n, ts, in_window, None, None, {})


def _times(rng: random.Random) -> list[datetime]:
    """Times across the datetime range (before 1970 too, where truncation and floor part), on and
    around whole seconds, naive and aware."""
    out: list[datetime] = []
    for _ in range(3000):
        us = rng.randrange(-62_135_596_800 * 10**6, 253_402_300_799 * 10**6)
        for delta in (0, 1, -1, 999_999):
            us_near = us - us % 10**6 + delta if delta else us
            out.append(datetime(1970, 1, 1) + timedelta(microseconds=us_near))
    return out + [t.replace(tzinfo=UTC) for t in out[:500]] + [
        t.replace(tzinfo=timezone(timedelta(hours=5, minutes=30))) for t in out[500:1000]
    ]


def _expected(hits: list[Hit], size: int, weights: dict[int, float]) -> dict[tuple[int, str], float]:
    """The definition: the hit's second, as `timestamp` gives it, floored to a multiple of size."""
    out: dict[tuple[int, str], float] = {}
    for h in hits:
        if h.in_window and h.ts is not None:
            aware = h.ts if h.ts.tzinfo else h.ts.replace(tzinfo=UTC)
            epoch = int(aware.timestamp())
            key = (epoch - epoch % size, h.pattern_id)
            out[key] = out.get(key, 0) + weights.get(h.event_id, 1.0)
    return out


def test_hit_buckets_follow_the_timestamp_definition() -> None:
    """Every hit lands in the bucket its `timestamp()` second gives, with its weight; hits out of the
    window or without a time are left out."""
    rng = random.Random(7)
    hits = [_hit(n, ts) for n, ts in enumerate(_times(rng))]
    hits += [_hit(len(hits), None), _hit(len(hits) + 1, hits[0].ts, in_window=False)]
    weights = {h.event_id: 2.5 for h in hits[::7]}
    for size in (60, 300, 3600):
        assert _hit_buckets(hits, size, {}) == _expected(hits, size, {})
        assert _hit_buckets(hits, size, weights) == _expected(hits, size, weights)
