"""Group unexplained error messages and name the nearest known pattern for each group.

Messages are masked and turned into TF-IDF vectors over their words; average-linkage
agglomerative clustering on cosine distance cuts the tree at a distance threshold, so the
number of groups follows the data. Identical masked messages are clustered once and carry
their multiplicity. Each group is then compared (centroid against descriptor vectors) with
the descriptors the caller passes, such as pattern titles and example messages.

The TF-IDF weights and the clustering are computed here with numpy as scikit-learn's
``TfidfVectorizer`` (smoothed idf, l2 rows) and ``AgglomerativeClustering`` (average linkage,
cosine, distance threshold) computed them, in the same order of operations: importing
scikit-learn cost 1.6 CPU-s a run for a handful of templates. tests/test_cluster_reference.py
checks both against scikit-learn (kept in the test extra); where two distances tie exactly,
the first pair in row order merges first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rca.mining.mask import mask, words

#: Cosine distance under which two messages (or groups, on average) join one group.
DISTANCE_THRESHOLD = 0.6


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


def _tfidf(documents: Sequence[str]) -> np.ndarray:
    """Dense TF-IDF rows over masked, lower-cased words: idf = ln((1 + n) / (1 + df)) + 1, each row
    scaled to unit length. Columns are the words in sorted order; a row's squares are summed in
    the order its words first occur in the corpus, as scikit-learn's sparse rows held them.
    Raises ValueError when no document has a word."""
    order: dict[str, int] = {}  # word -> first-appearance number
    counts: list[dict[str, int]] = []
    for document in documents:
        row: dict[str, int] = {}
        for word in words(document):
            order.setdefault(word, len(order))
            row[word] = row.get(word, 0) + 1
        counts.append(row)
    if not order:
        raise ValueError("empty vocabulary")
    column = {word: n for n, word in enumerate(sorted(order))}
    df = np.zeros(len(column))
    for row in counts:
        for word in row:
            df[column[word]] += 1
    df += 1.0
    idf = np.full_like(df, fill_value=len(documents) + 1)
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0
    matrix = np.zeros((len(documents), len(column)))
    for r, row in enumerate(counts):
        cells = sorted(row, key=order.__getitem__)
        values = [float(row[word]) * float(idf[column[word]]) for word in cells]
        norm = 0.0
        for value in values:
            norm += value * value
        norm = math.sqrt(norm) if norm else 1.0
        for word, value in zip(cells, values, strict=True):
            matrix[r, column[word]] = value / norm
    return matrix


def _labels(vectors: np.ndarray, threshold: float) -> list[int]:
    """Cluster label per row; rows with no words at all each stay on their own."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    empty = [not bool(row.any()) for row in vectors]
    padded = vectors.copy()
    padded[np.array(empty, dtype=bool), 0] = 1.0  # cosine needs a non-zero vector; empties split below
    labels = _average_linkage(padded, threshold)
    offset = max(labels) + 1
    return [offset + row if empty[row] else label for row, label in enumerate(labels)]


def _average_linkage(vectors: np.ndarray, threshold: float) -> list[int]:
    """Average-linkage clusters on cosine distance: merge the closest pair of clusters (their mean
    pairwise distance) while it is under ``threshold``. Labels number clusters by first row."""
    norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))
    n = len(vectors)
    dist = {(i, j): 1.0 - float(vectors[i] @ vectors[j]) / (float(norms[i]) * float(norms[j]))
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
    centroid: np.ndarray, descriptor_vectors: np.ndarray, descriptor_ids: Sequence[str]
) -> tuple[str | None, float]:
    """Best-matching pattern id by cosine similarity (first wins ties); None when nothing is shared."""
    if not descriptor_ids:
        return None, 0.0
    norms = np.linalg.norm(descriptor_vectors, axis=1) * (np.linalg.norm(centroid) or 1.0)
    scores = descriptor_vectors @ centroid / np.where(norms == 0, 1.0, norms)
    best = int(np.argmax(scores))
    if scores[best] <= 0.0:
        return None, 0.0
    return descriptor_ids[best], round(float(scores[best]), 6)


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
        matrix = _tfidf(texts + [text for _, text in descriptors])
    except ValueError:  # no word anywhere: every text is only masked values
        matrix = np.zeros((len(texts) + len(descriptors), 1))
    vectors, descriptor_vectors = matrix[: len(texts)], matrix[len(texts) :]
    by_label: dict[int, list[int]] = {}
    for row, label in enumerate(_labels(vectors, threshold)):
        by_label.setdefault(label, []).append(row)
    groups = sorted(by_label.values(), key=lambda rows: min(positions[r][0] for r in rows))
    ids = [pattern_id for pattern_id, _ in descriptors]
    result = []
    for number, rows in enumerate(groups, start=1):
        members = tuple(sorted(i for r in rows for i in positions[r]))
        weights = np.array([len(positions[r]) for r in rows], dtype=float)
        centroid = (vectors[rows] * weights[:, None]).sum(axis=0) / weights.sum()
        pattern, score = _nearest(centroid, descriptor_vectors, ids)
        result.append(MessageGroup(number, members, messages[members[0]], pattern, score))
    return result
