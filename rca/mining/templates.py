"""A streaming, deterministic log template miner (a Drain-style fixed-depth tree).

Each message is masked (``rca.mining.mask``) and split into tokens. Messages are routed by
token count and by their first few tokens (a token that looks variable routes to ``<*>``),
then compared with the templates in that leaf; the most similar template above the
threshold absorbs the message, turning the positions that differ into ``<*>``. No match
opens a new template.

Ids are integers in order of first appearance, so the same input always gives the same
ids and templates; nothing depends on hashing, clocks or set order.

A busy log repeats a few masked shapes thousands of times, so the miner remembers each message's
tokens (an error repeated verbatim is masked once) and where each token list went. A token list
always takes the same route, and the answer stays right while the leaf it went to is unchanged:
its template then covers it exactly (having absorbed it, each position is equal or ``<*>``),
which no other template of the leaf can beat, or that one would have won the first time. A new
or generalised template in the leaf bumps the leaf's version and sends the token list down the
full path again.
"""

from __future__ import annotations

from dataclasses import dataclass

from rca.mining.mask import tokens as mask_tokens

WILDCARD = "<*>"


@dataclass(frozen=True)
class Template:
    """One mined template: ``text`` with ``<*>`` for variable positions, and where it occurred."""

    id: int
    text: str
    count: int
    first_index: int
    last_index: int


@dataclass
class _Cluster:
    """Mutable state of one template while mining."""

    id: int
    tokens: list[str]
    count: int
    first_index: int
    last_index: int


@dataclass
class _Leaf:
    """The templates that share one route, and a version bumped whenever one is added or changes."""

    clusters: list[_Cluster]
    version: int = 0


def _looks_variable(token: str) -> bool:
    """True for tokens that should not steer routing: masked values and anything with a digit."""
    return "<" in token or any(ch.isdigit() for ch in token)


class TemplateMiner:
    """Streaming template miner: ``add`` one message at a time, read ``templates()`` any time."""

    def __init__(
        self, similarity: float = 0.7, word_similarity: float = 0.7, depth: int = 2, max_children: int = 100,
        remember: int = 1 << 16,
    ) -> None:
        """Configure the similarity thresholds, how many leading tokens route, the fan-out cap, and
        how many messages' tokens and token lists' destinations to remember (0: none; the ids never
        depend on it)."""
        self.similarity = similarity
        self.word_similarity = word_similarity
        self.depth = depth
        self.max_children = max_children
        self.remember = remember
        self._leaves: dict[tuple[str | int, ...], _Leaf] = {}
        self._known: dict[tuple[str, ...], tuple[_Leaf, int, _Cluster]] = {}
        # A message's tokens, by its text: an error repeated verbatim is masked once. (Nothing
        # changes a token list in place: a merged template is a new list.)
        self._tokens: dict[str, list[str]] = {}
        self._children: dict[tuple[str | int, ...], set[str]] = {}
        self._clusters: list[_Cluster] = []
        self._seen = 0

    def add(self, message: str) -> int:
        """Mine one message and return the id of the template it now belongs to."""
        index = self._seen
        self._seen += 1
        toks = self._tokens.get(message)
        if toks is None:
            toks = mask_tokens(message)
            if len(self._tokens) >= self.remember:
                self._tokens.clear()
            if self.remember:
                self._tokens[message] = toks
        key = tuple(toks)
        known = self._known.get(key)
        if known is not None and known[0].version == known[1]:
            cluster = known[2]
        else:
            leaf = self._leaves.setdefault(self._route(toks), _Leaf([]))
            cluster = self._place(leaf, toks, index)
            self._remember(key, leaf, cluster)
        cluster.count += 1
        cluster.last_index = index
        return cluster.id

    def _place(self, leaf: _Leaf, toks: list[str], index: int) -> _Cluster:
        """The leaf's template for ``toks``, generalised to cover them, or a new one."""
        cluster = self._best(leaf.clusters, toks)
        if cluster is None:
            cluster = _Cluster(len(self._clusters) + 1, toks, 0, index, index)
            self._clusters.append(cluster)
            leaf.clusters.append(cluster)
            leaf.version += 1
            return cluster
        merged = _merge(cluster.tokens, toks)
        if merged != cluster.tokens:
            cluster.tokens = merged
            leaf.version += 1
        return cluster

    def _remember(self, key: tuple[str, ...], leaf: _Leaf, cluster: _Cluster) -> None:
        """Note where ``key`` went; forget everything once ``remember`` token lists are held."""
        if len(self._known) >= self.remember:
            self._known.clear()
        if self.remember:
            self._known[key] = (leaf, leaf.version, cluster)

    def templates(self) -> list[Template]:
        """All templates mined so far, in order of first appearance."""
        return [
            Template(c.id, " ".join(c.tokens), c.count, c.first_index, c.last_index) for c in self._clusters
        ]

    def _route(self, toks: list[str]) -> tuple[str | int, ...]:
        """Leaf key: token count, then up to ``depth`` leading tokens (variable ones as ``<*>``)."""
        key: tuple[str | int, ...] = (len(toks),)
        for token in toks[: self.depth]:
            step = WILDCARD if _looks_variable(token) else token
            children = self._children.setdefault(key, set())
            if step not in children:
                if len(children) >= self.max_children:
                    step = WILDCARD
                children.add(step)
            key = (*key, step)
        return key

    def _best(self, leaf: list[_Cluster], toks: list[str]) -> _Cluster | None:
        """The leaf's most similar template at or above the threshold (first one wins ties)."""
        best: _Cluster | None = None
        best_score = (-1.0, -1)
        for cluster in leaf:
            score = _similarity(cluster.tokens, toks)
            if score > best_score and _word_similarity(cluster.tokens, toks) >= self.word_similarity:
                best, best_score = cluster, score
        if best is None or best_score[0] < self.similarity:
            return None
        return best


def _similarity(template: list[str], toks: list[str]) -> tuple[float, int]:
    """Share of positions the template covers (equal token or ``<*>``), then its wildcard count.

    Drain does not count ``<*>`` as similar; counting it lets a short template keep absorbing
    its variants once a position is known to vary, while the word gate guards against drift.
    """
    same = 0
    wild = 0
    for left, right in zip(template, toks, strict=True):
        if left == WILDCARD:
            wild += 1
        elif left == right:
            same += 1
    return ((same + wild) / len(toks) if toks else 1.0, wild)


def _word_similarity(template: list[str], toks: list[str]) -> float:
    """Share of literal word positions (no digit, no mask, not yet ``<*>``) where both sides agree."""
    same = 0
    words = 0
    for left, right in zip(template, toks, strict=True):
        if left == WILDCARD or _looks_variable(left) or _looks_variable(right):
            continue
        words += 1
        same += left == right
    return same / words if words else 1.0


def _merge(template: list[str], toks: list[str]) -> list[str]:
    """Generalise ``template`` so it also covers ``toks``: differing positions become ``<*>``."""
    return [left if left == right else WILDCARD for left, right in zip(template, toks, strict=True)]
