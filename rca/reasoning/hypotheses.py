"""What the chain did not choose, in the report's words: unexplained symptoms and losing causes.

rca/reasoning/chain.py weighs the edges and picks the path; this module says why every other
candidate lost (present before, downstream, after the symptom, no path) and what to answer when
nothing explains the symptom at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rca.model import Category, Hypothesis, RootCause, Status
from rca.reasoning.chain import ORDER_SLACK, Edge, Node, ended_early, revision_share
from rca.reasoning.impact import ABSORBED, ABSORBED_BY_JOBS, BESIDE_SERVED, CLIENT_REFUSED


def unexplained(node: Node | None) -> RootCause:
    """The honest answer when no pattern explains the symptom (or only a catch-all does)."""
    if node is None:
        return RootCause(Category.UNKNOWN, None, "No log entry explains the errors in this window.", 0.15)
    what = node.finding.title_in_sentence
    if node.pattern.generic:
        return RootCause(Category.UNKNOWN, None, f"No known failure mode explains it: {what}.", 0.2)
    return RootCause(Category.UNKNOWN, None, f"No log entry explains why: {what}.", 0.15)


# Noise told apart by what was served around it, not by the baseline's rate (rca/reasoning/impact.py)
_NOT_PART = (BESIDE_SERVED, ABSORBED, ABSORBED_BY_JOBS, CLIENT_REFUSED)


def losing_reason(
    node: Node,
    chain_ids: Sequence[str],
    edges: Mapping[tuple[str, str], Edge],
    symptom: Node | None,
    periods_phrase: str,
) -> str:
    """Why a candidate cause was not chosen, in the report's words."""
    if node.finding.status is Status.PRE_EXISTING and periods_phrase in _NOT_PART:
        return f"not part of the incident: {periods_phrase}"
    if node.finding.status is Status.PRE_EXISTING:
        return f"present before the incident at a similar rate ({periods_phrase})"
    rejected = [e for (c, _), e in sorted(edges.items()) if c == node.id and e.rejected]
    origin = explained(chain_ids, edges).get(node.id)
    if origin is not None:
        return f"downstream of the chosen cause: {origin} explains it"
    side = [e for (c, e), ed in sorted(edges.items()) if c == node.id and ed.score > 0]
    symptom_id = symptom.id if symptom else None
    first, symptom_first = node.first(), symptom.first() if symptom else None
    if (symptom_id not in side and symptom_first is not None and first is not None
            and first > symptom_first + ORDER_SLACK):
        return "first seen after the symptom began, so it cannot have caused it"
    if symptom is not None and symptom_id in side and (share := revision_share(node, symptom)) < 1:
        revisions = sorted({o.revision for o in node.occurrences if o.revision})
        return (
            f"it explains {symptom_id} only on {', '.join(revisions[:3])} ({share:.0%} of it): a second "
            f"failure beside the chain through {chain_ids[-1]}"
        )
    if symptom is not None and symptom_id in side and (late := ended_early(node, symptom)):
        return late
    if symptom_id in side:
        return (
            f"it can explain {symptom_id} too, but the chain through {chain_ids[-1]} is better "
            "supported; it may be another face of the same failure"
        )
    if side:
        return (
            f"explains {', '.join(side[:3])} rather than the main symptom; "
            "it may be another face of the same failure"
        )
    if rejected:
        return rejected[0].rejected
    if node.finding.status is Status.ELEVATED:
        return f"present before the incident ({periods_phrase}); no causal path to the symptom"
    return "no causal path from it to the symptom in the library's knowledge"


def explained(chain_ids: Sequence[str], edges: Mapping[tuple[str, str], Edge]) -> dict[str, str]:
    """Findings downstream of the chain: each mapped to the chain finding that explains it.

    Step by step outward from the chain; where several reach a finding in the same step, the one
    with the strongest edge explains it (a crash the library links to a 503 explains it better than
    the main symptom's general kind does), the first in chain order on a tie."""
    live: dict[str, list[tuple[str, float]]] = {}
    for (c, e), ed in sorted(edges.items()):
        if ed.score > 0:
            live.setdefault(c, []).append((e, ed.score))
    out: dict[str, str] = {}
    frontier = [(c, c) for c in chain_ids]
    while frontier:
        best: dict[str, tuple[float, int, str]] = {}  # effect -> (-score, rank in frontier, origin)
        for rank, (node_id, origin) in enumerate(frontier):
            for effect, score in live.get(node_id, []):
                if effect in chain_ids or effect in out:
                    continue
                candidate = (-score, rank, origin)
                if effect not in best or candidate < best[effect]:
                    best[effect] = candidate
        out.update((effect, origin) for effect, (_, _, origin) in best.items())
        frontier = [(effect, origin) for effect, (_, _, origin) in best.items()]
    return out


def hypothesis(node: Node, why_not: str, score: float) -> Hypothesis:
    """A losing candidate as the contract's hypothesis."""
    return Hypothesis(node.finding.category, node.id, node.finding.title, round(score, 2), why_not)


def displaced(root: RootCause, why_not: str) -> Hypothesis:
    """The root cause's reading as a losing hypothesis, at half its confidence: what a stronger
    reading of the same evidence put aside (a change logged just before it, a surge of requests)."""
    return Hypothesis(root.category, root.pattern_id, root.summary, round(root.confidence / 2, 2), why_not)
