"""What the pipeline ranks by, as plain functions that both the pipeline and the in-memory
comparison use, so that "the same query" means the same order.

A query is the `budget` highest scores, ties going to the lower item name: the in-memory
selection breaks ties by the lower pool index (`strategies.top_k`), and a pool's items, named in
index order (`pool_files.item_names`), sort the same way. Beam's `Top.Of` compares keys with `<`
only, so the order lives in `RankKey.__lt__`: exact over any number of workers and bundles.
"""
import functools
import hashlib
from typing import NamedTuple, Optional

import numpy as np

from m2vaal_tf.strategies import uncertainty

MODEL_SCORE = "model"  # the export's own `score` signature (D's score for the VAAL family)
SCORES = (MODEL_SCORE, *uncertainty.MEASURES)


class Row(NamedTuple):
    item: str
    score: float
    probabilities: np.ndarray
    embedding: Optional[np.ndarray] = None


def row_of(item: str, outputs: dict, score: str, keep_embedding: bool) -> Row:
    """One image's row from its model outputs; uncertainty scores are the strategies' own formulas."""
    probabilities = np.asarray(outputs["probabilities"], dtype=np.float32)
    value = (outputs["score"] if score == MODEL_SCORE
             else uncertainty.MEASURES[score](probabilities[np.newaxis])[0])
    return Row(item, float(value), probabilities, outputs["embedding"] if keep_embedding else None)


@functools.total_ordering
class RankKey:
    """Higher score first; on equal scores the lower item first."""

    __slots__ = ("score", "item")

    def __init__(self, score: float, item: str):
        self.score, self.item = score, item

    def __eq__(self, other):
        return (self.score, self.item) == (other.score, other.item)

    def __lt__(self, other):
        return self.score < other.score or (self.score == other.score and self.item > other.item)

    def __reduce__(self):
        return RankKey, (self.score, self.item)


def by_score(row: Row) -> RankKey:
    return RankKey(row.score, row.item)


def sample_key(seed: int):
    """A seeded uniform sample as a top-k: each item's key is a hash of (seed, item), so the M
    largest are the same M whatever the order, bundles and workers, and differ between seeds."""
    def key(row: Row) -> RankKey:
        digest = hashlib.blake2b(f"{seed}:{row.item}".encode(), digest_size=8).digest()
        return RankKey(float(int.from_bytes(digest, "big")), row.item)
    return key


def in_memory_top(items, scores, k: int) -> np.ndarray:
    """Positions of the `k` rows a Beam query keeps, in its order: the in-memory reference."""
    order = sorted(range(len(items)), key=lambda i: RankKey(float(scores[i]), items[i]), reverse=True)
    return np.asarray(order[:k], dtype=np.int64)
