"""Group unexplained error messages and name the nearest known pattern for each group.

Messages are masked and turned into TF-IDF vectors over their words; average-linkage
agglomerative clustering on cosine distance cuts the tree at a distance threshold, so the
number of groups follows the data. Identical masked messages are clustered once and carry
their multiplicity. Each group is then compared (centroid against descriptor vectors) with
the descriptors the caller passes, such as pattern titles and example messages.

The TF-IDF weights and the clustering follow scikit-learn's ``TfidfVectorizer`` (smoothed idf,
l2 rows) and ``AgglomerativeClustering`` (average linkage, cosine, distance threshold);
tests/test_cluster_reference.py checks both against scikit-learn (kept in the test extra); where
two distances tie exactly, the first pair in row order merges first. Vectors are sparse (word ->
weight) in plain Python: a few templates against the library's descriptors need neither
scikit-learn (1.6 CPU-s to import) nor numpy (0.13 CPU-s, more than the clustering). Every sum of
products is ``math.fsum``, exactly rounded, so a similarity depends on neither the order of the
words nor the platform's vector instructions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rca.library import cache
from rca.mining import mask as mask_module
from rca.mining.mask import mask, words

#: Cosine distance under which two messages (or groups, on average) join one group.
DISTANCE_THRESHOLD = 0.6

#: A sparse vector: word -> weight, absent words weigh 0.
Vector = Mapping[str, float]


@dataclass(frozen=True)
class MessageGroup:
    """Messages that read alike, and the known pattern closest to them."""

    id: int
    members: tuple[int, ...]
    representative: str
    nearest_pattern: str | None
    similarity: float


def _unique(messages: Sequence[str]) -> tuple[list[str], list[list[int]]]:
    """Masked texts in order of first appearance and, for each, the input positions holding it."""
    positions: dict[str, list[int]] = {}
    for index, message in enumerate(messages):
        positions.setdefault(mask(message), []).append(index)
    return list(positions), list(positions.values())


def _tfidf(documents: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    """Sparse TF-IDF rows over each document's masked, lower-cased words (`words`): idf =
    ln((1 + n) / (1 + df)) + 1, each row scaled to unit length. A row's squares are summed in the
    order its words first occur in the corpus, as scikit-learn's sparse rows held them. Raises
    ValueError when no document has a word."""
    order: dict[str, int] = {}  # word -> first-appearance number
    counts: list[dict[str, int]] = []
    for document in documents:
        row: dict[str, int] = {}
        for word in document:
            order.setdefault(word, len(order))
            row[word] = row.get(word, 0) + 1
        counts.append(row)
    if not order:
        raise ValueError("empty vocabulary")
    df: dict[str, int] = {}
    for row in counts:
        for word in row:
            df[word] = df.get(word, 0) + 1
    idf = {word: math.log((len(documents) + 1) / (n + 1.0)) + 1.0 for word, n in df.items()}
    out: list[dict[str, float]] = []
    for row in counts:
        cells = sorted(row, key=order.__getitem__)
        values = [float(row[word]) * idf[word] for word in cells]
        norm = 0.0
        for value in values:
            norm += value * value
        norm = math.sqrt(norm) if norm else 1.0
        out.append({word: value / norm for word, value in zip(cells, values, strict=True)})
    return out


def _descriptor_words(texts: Sequence[str]) -> list[list[str]]:
    """`words` of each descriptor text, kept in the library cache: masking the library's ~900
    pattern descriptors costs 0.15 CPU-s, a tenth of a small analysis, and they change only with
    the library (or the masking code, which is part of the key)."""
    key = cache.value_key([Path(mask_module.__file__ or "")], texts)
    stored = cache.read_value(key, kind="words")
    if isinstance(stored, list) and len(stored) == len(texts) and all(
            isinstance(row, list) and all(isinstance(w, str) for w in row) for row in stored):
        return stored
    rows = [words(text) for text in texts]
    cache.write_value(key, rows, kind="words")
    return rows


def _dot(a: Vector, b: Vector) -> float:
    """Sum of products over the words both vectors hold, exactly rounded."""
    if len(b) < len(a):
        a, b = b, a
    return math.fsum(value * b[word] for word, value in a.items() if word in b)


def _labels(vectors: Sequence[Vector], threshold: float, first_word: str) -> list[int]:
    """Cluster label per row; rows with no words at all each stay on their own. Cosine needs a
    non-zero vector, so while clustering an empty row weighs 1 on ``first_word`` (the first of the
    vocabulary in sorted order, where a dense matrix has its first column), as it did for
    scikit-learn; the empty rows are split off afterwards."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    empty = [not any(row.values()) for row in vectors]
    padded = [{first_word: 1.0} if hollow else row for row, hollow in zip(vectors, empty, strict=True)]
    labels = _average_linkage(padded, threshold)
    offset = max(labels) + 1
    return [offset + row if empty[row] else label for row, label in enumerate(labels)]


def _average_linkage(vectors: Sequence[Vector], threshold: float) -> list[int]:
    """Average-linkage clusters on cosine distance: merge the closest pair of clusters (their mean
    pairwise distance) while it is under ``threshold``. Labels number clusters by first row."""
    norms = [math.sqrt(_dot(row, row)) for row in vectors]
    n = len(vectors)
    dist = {(i, j): 1.0 - _dot(vectors[i], vectors[j]) / (norms[i] * norms[j])
            for i in range(n) for j in range(i + 1, n)}
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(members) > 1:
        (a, b), closest = min(dist.items(), key=lambda item: (item[1], item[0]))
        if closest >= threshold:
            break
        for c in members:
            if c in (a, b):
                continue
            size_a, size_b = len(members[a]), len(members[b])
            da, db = dist.pop(_pair(a, c)), dist.pop(_pair(b, c))
            dist[_pair(a, c)] = (size_a * da + size_b * db) / (size_a + size_b)
        del dist[(a, b)]
        members[a] += members.pop(b)
    label = {row: min(rows) for rows in members.values() for row in rows}
    firsts = sorted(set(label.values()))
    return [firsts.index(label[row]) for row in range(n)]


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _nearest(
    centroid: Vector, descriptor_vectors: Sequence[Vector], descriptor_norms: Sequence[float],
    descriptor_ids: Sequence[str],
) -> tuple[str | None, float]:
    """Best-matching pattern id by cosine similarity (first wins ties); None when nothing is shared."""
    if not descriptor_ids:
        return None, 0.0
    scale = math.sqrt(_dot(centroid, centroid)) or 1.0
    best, best_score = 0, -math.inf
    for number, (vector, norm) in enumerate(zip(descriptor_vectors, descriptor_norms, strict=True)):
        score = _dot(vector, centroid) / ((norm * scale) or 1.0)
        if score > best_score:
            best, best_score = number, score
    if best_score <= 0.0:
        return None, 0.0
    return descriptor_ids[best], round(best_score, 6)


def _centroid(vectors: Sequence[Vector], weights: Sequence[int]) -> dict[str, float]:
    """The rows' mean, each row counted ``weight`` times."""
    products: dict[str, list[float]] = {}
    for row, weight in zip(vectors, weights, strict=True):
        for word, value in row.items():
            products.setdefault(word, []).append(value * weight)
    total = float(sum(weights))
    return {word: math.fsum(parts) / total for word, parts in products.items()}


def group_messages(
    messages: Sequence[str],
    descriptors: Sequence[tuple[str, str]] = (),
    threshold: float = DISTANCE_THRESHOLD,
) -> list[MessageGroup]:
    """Group ``messages`` by content and name each group's nearest ``(pattern_id, text)`` descriptor.

    Groups are numbered from 1 in order of their first message; ``members`` are positions
    in ``messages``; ``representative`` is the group's first message as given.
    """
    if not messages:
        return []
    texts, positions = _unique(messages)
    try:
        described = _descriptor_words([text for _, text in descriptors])
        matrix = _tfidf([words(text) for text in texts] + described)
    except ValueError:  # no word anywhere: every text is only masked values
        matrix = [{} for _ in range(len(texts) + len(descriptors))]
    vectors, descriptor_vectors = matrix[: len(texts)], matrix[len(texts) :]
    first_word = min((word for row in matrix for word in row), default="")
    by_label: dict[int, list[int]] = {}
    for row, label in enumerate(_labels(vectors, threshold, first_word)):
        by_label.setdefault(label, []).append(row)
    groups = sorted(by_label.values(), key=lambda rows: min(positions[r][0] for r in rows))
    ids = [pattern_id for pattern_id, _ in descriptors]
    norms = [math.sqrt(_dot(vector, vector)) for vector in descriptor_vectors]
    result = []
    for number, rows in enumerate(groups, start=1):
        members = tuple(sorted(i for r in rows for i in positions[r]))
        centroid = _centroid([vectors[r] for r in rows], [len(positions[r]) for r in rows])
        pattern, score = _nearest(centroid, descriptor_vectors, norms, ids)
        result.append(MessageGroup(number, members, messages[members[0]], pattern, score))
    return result
