"""rca's TF-IDF and average-linkage clustering (sparse, plain Python) agree with scikit-learn's,
which they replace at run time (its import cost more than a small analysis): scikit-learn and
numpy stay as the reference, in the test extra only."""

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


def dense(rows: list[dict[str, float]]) -> np.ndarray:
    """rca's sparse rows as a matrix whose columns are the words in sorted order (as scikit-learn's)."""
    vocabulary = sorted({word for row in rows for word in row})
    return np.array([[row.get(word, 0.0) for word in vocabulary] for row in rows])


def sparse(vectors: np.ndarray) -> tuple[list[dict[str, float]], str]:
    """A matrix as rca's sparse rows, its columns named so that sorting keeps their order, and the
    first column's name."""
    names = [f"w{column:03d}" for column in range(vectors.shape[1])]
    rows = [{names[c]: float(v) for c, v in enumerate(row) if v} for row in vectors]
    return rows, names[0]


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
    np.testing.assert_allclose(dense(_tfidf([words(d) for d in docs])), want.toarray(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_clusters_equal_scikit_learns(seed: int) -> None:
    """The same groups at the threshold, on sparse non-negative vectors shaped like TF-IDF rows but
    with real-valued weights: no two distances tie, and a tie is the one place where two correct
    average-linkage implementations may merge different pairs (word-built corpora do tie)."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(2, 16))
    vectors = rng.random((rows, 12)) * (rng.random((rows, 12)) < 0.3)
    vectors[rng.random(rows) < 0.1] = 0.0  # a message without words now and then
    rows, first_word = sparse(vectors)
    assert partition(_labels(rows, DISTANCE_THRESHOLD, first_word)) == partition(reference_labels(vectors))
