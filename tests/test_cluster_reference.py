"""rca's numpy TF-IDF and average-linkage clustering agree with scikit-learn's, which they replace
at run time (its import cost more than a small analysis): scikit-learn stays as the reference, in
the test extra only."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from rca.mining.cluster import DISTANCE_THRESHOLD, _labels, _tfidf
from rca.mining.mask import words

WORDS = ["connection", "refused", "timeout", "pool", "exhausted", "user", "key", "error", "failed",
         "db", "redis", "read", "write", "upstream", "503", "<num>", "<ip>", "quota"]  # fmt: skip


def corpus(rng: random.Random) -> list[str]:
    """A few distinct messages from a small vocabulary, so that some share words and some not
    (distinct: rca clusters each masked text once, carrying its multiplicity)."""
    docs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 7))) for _ in range(rng.randint(2, 14))]
    return list(dict.fromkeys(docs))


def partition(labels: list[int] | np.ndarray) -> set[frozenset[int]]:
    """The groups of row numbers the labels describe (label numbering aside)."""
    groups: dict[int, set[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(row)
    return {frozenset(g) for g in groups.values()}


def reference_labels(vectors: np.ndarray) -> list[int]:
    """scikit-learn's clustering as rca used it: rows without words each stay on their own."""
    empty = [not bool(row.any()) for row in vectors]
    padded = vectors.copy()
    padded[np.array(empty, dtype=bool), 0] = 1.0
    model = AgglomerativeClustering(n_clusters=None, distance_threshold=DISTANCE_THRESHOLD,
                                    metric="cosine", linkage="average")
    labels = [int(x) for x in model.fit_predict(padded)]
    return [len(labels) + row if empty[row] else label for row, label in enumerate(labels)]


@pytest.mark.parametrize("seed", range(40))
def test_tfidf_equals_scikit_learns(seed: int) -> None:
    """The same TF-IDF matrix, columns in sorted-word order, to the last bits."""
    docs = corpus(random.Random(seed))
    want = TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False).fit_transform(docs)
    np.testing.assert_allclose(_tfidf(docs), want.toarray(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_clusters_equal_scikit_learns(seed: int) -> None:
    """The same groups at the threshold, on sparse non-negative vectors shaped like TF-IDF rows but
    with real-valued weights: no two distances tie, and a tie is the one place where two correct
    average-linkage implementations may merge different pairs (word-built corpora do tie)."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(2, 16))
    vectors = rng.random((rows, 12)) * (rng.random((rows, 12)) < 0.3)
    vectors[rng.random(rows) < 0.1] = 0.0  # a message without words now and then
    assert partition(_labels(vectors, DISTANCE_THRESHOLD)) == partition(reference_labels(vectors))
