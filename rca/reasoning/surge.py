"""A surge of requests as the cause of an overload, in place of a load symptom beside it.

When the platform turns requests away for want of an instance (Cloud Run's "no available
instance", App Engine's pending queue) and the chain reads that overload as the work of a pool or
upstream that slowed, only the library's general knowledge links them ("an overload usually comes
from a pool exhausted"). That reading is wrong when the requests themselves multiplied just before:
a product drop sends eighteen times the traffic, instances fill up to the service's cap, and the
cache pool that times out meanwhile is one more face of the same load, not what filled them
(blind set 7D10). The request log says so: requests per minute at the overload's start against
the baseline's usual minute. Then the overload's own reading is the root cause, said with the
figures, and the load symptom becomes the losing hypothesis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rca.library.knowledge import Knowledge
from rca.model import Hypothesis, Link, RootCause
from rca.reasoning import chain
from rca.reasoning.hypotheses import displaced
from rca.timeutil import rfc3339

OVERLOAD = "overload"  # the symptom kind (patterns/schema.json) of requests turned away under load
# A surge is requests arriving this many times faster than the baseline's usual minute.
SURGE = 3.0
# The minutes around the overload's first occurrence whose rate is compared: from a little before
# (a surge fills the instances before the first request is turned away) to a little after.
BEFORE, AFTER = timedelta(minutes=2), timedelta(minutes=3)
MIN_BASELINE_MINUTES = 10  # minutes of requests before the surge needed to know the usual rate

_RATES = """
SELECT count(*) FILTER (WHERE ts >= $from AND ts < $to) / $minutes AS surge,
       (SELECT median(n) FROM (
          SELECT count(*) AS n FROM entries
          WHERE http_status IS NOT NULL AND ts < $from
          GROUP BY date_trunc('minute', ts))) AS usual,
       (SELECT count(DISTINCT date_trunc('minute', ts)) FROM entries
        WHERE http_status IS NOT NULL AND ts < $from) AS minutes
FROM entries WHERE http_status IS NOT NULL
"""


@dataclass(frozen=True)
class Surge:
    """Requests per minute around the overload's start, and in the baseline's usual minute."""

    at: datetime
    per_minute: float
    usual: float

    @property
    def ratio(self) -> float:
        """How many times the usual rate the requests came at."""
        return self.per_minute / self.usual


def measure(con: Any, at: datetime) -> Surge | None:
    """The surge at ``at`` (the overload's first occurrence), or None when the requests came at
    under `SURGE` times their usual rate, or too few minutes came before to know it."""
    start, end = at - BEFORE, at + AFTER
    minutes = (end - start).total_seconds() / 60
    row = con.execute(_RATES, {"from": start, "to": end, "minutes": minutes}).fetchone()
    if row is None or row[1] is None or int(row[2] or 0) < MIN_BASELINE_MINUTES or not row[1]:
        return None
    surge = Surge(at, float(row[0] or 0.0), float(row[1]))
    return surge if surge.ratio >= SURGE else None


def overload_in(links: Sequence[Link], nodes: Mapping[str, chain.Node]) -> chain.Node | None:
    """The chain's overload symptom that a later link explains, if any."""
    for link in links[:-1]:
        node = nodes.get(link.pattern_id or "")
        if node is not None and node.pattern.kind == OVERLOAD:
            return node
    return None


def only_generally_linked(
    links: Sequence[Link], overload: chain.Node, nodes: Mapping[str, chain.Node], knowledge: Knowledge
) -> bool:
    """Whether the link under the overload rests on a symptom kind's usual causes alone (no edge a
    pattern names, no wrapped error): the reading a surge outweighs."""
    ids = [link.pattern_id for link in links]
    below = ids[ids.index(overload.id) + 1] if overload.id in ids[:-1] else None
    cause = nodes.get(below or "")
    if cause is None:
        return False
    edge = chain.edge(cause, overload, knowledge)
    return edge is not None and edge.general


def instead(
    links: Sequence[Link], root: RootCause, hypotheses: Sequence[Hypothesis], overload: chain.Node,
    surge: Surge,
) -> tuple[list[Link], RootCause, list[Hypothesis]]:
    """The chain cut at the overload, with the surge as its last why, the root cause in the
    overload's category, and the displaced reading as a losing hypothesis."""
    at = rfc3339(surge.at) or ""
    statement = (f"Requests arrived at {surge.ratio:.0f}x their usual rate around {at} "
                 f"({surge.per_minute:.0f} a minute against {surge.usual:.0f}): more than the instances the "
                 "service may run could take")
    ids = [link.pattern_id for link in links]
    kept = list(links[: ids.index(overload.id) + 1])
    category = overload.finding.category
    link = Link(len(kept) + 1, statement, overload.id, category, root.confidence,
                overload.finding.samples[:1], overload.finding.title,
                (f"requests per minute: {surge.per_minute:.0f} from {rfc3339(surge.at - BEFORE)} against a "
                 f"usual {surge.usual:.0f} before",))
    lost = displaced(root, f"a load symptom of the same surge: requests came at {surge.ratio:.0f}x their "
                           "usual rate as the instances ran out")
    return [*kept, link], RootCause(category, overload.id, statement, root.confidence), [lost, *hypotheses]
