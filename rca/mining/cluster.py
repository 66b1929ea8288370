"""Group unexplained error messages and name the nearest known pattern for each group.

Messages are masked and turned into TF-IDF vectors over their words; average-linkage
agglomerative clustering on cosine distance cuts the tree at a distance threshold, so the
number of groups follows the data. Identical masked messages are clustered once and carry
their multiplicity. Each group is then compared (centroid against descriptor vectors) with
the descriptors the caller passes, such as pattern titles and example messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

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


def _vectorizer() -> TfidfVectorizer:
    """TF-IDF over masked, lower-cased words."""
    return TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False, ngram_range=(1, 1))


def _labels(vectors: np.ndarray, threshold: float) -> list[int]:
    """Cluster label per row; rows with no words at all each stay on their own."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
    )
    empty = [not bool(row.any()) for row in vectors]
    padded = vectors.copy()
    padded[np.array(empty, dtype=bool), 0] = 1.0  # cosine needs a non-zero vector; empties split below
    labels = [int(label) for label in model.fit_predict(padded)]
    offset = max(labels) + 1
    return [offset + row if empty[row] else label for row, label in enumerate(labels)]


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
    vectorizer = _vectorizer()
    try:
        matrix = vectorizer.fit_transform(texts + [text for _, text in descriptors]).toarray()
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
