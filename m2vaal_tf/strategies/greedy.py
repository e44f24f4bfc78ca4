"""Distances to an anchor set and greedy farthest-first selection, shared by the diversity
strategies (Algorithm 1, Algorithm 2, k-center coreset) and the selection diagnostics.

Memory stays linear in the pool: distances are computed against one anchor (or a chunk of
anchors times a chunk of the pool) at a time, never as a pool x pool matrix. Each greedy pick costs
one matrix-vector product over the pool, using |x - a|^2 = |x|^2 + |a|^2 - 2 x.a.
"""
from typing import Callable, Optional

import numpy as np

_POOL_CHUNK = 65536
_ANCHOR_CHUNK = 256


def _as_float32(points) -> np.ndarray:
    return np.ascontiguousarray(points, dtype=np.float32)


def distances_to_point(points: np.ndarray, squared_norms: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Euclidean distance of every row of `points` to `point`."""
    squared = squared_norms + float(point @ point) - 2.0 * (points @ point)
    return np.sqrt(np.maximum(squared, 0.0))


def reduce_distances(points, anchors, reduce: str) -> np.ndarray:
    """For each point, the sum ("sum") or the minimum ("min") of its distances to the anchors.

    With no anchors the sum is 0 and the minimum +inf, so every point is equally far."""
    points, anchors = _as_float32(points), _as_float32(anchors)
    result = np.zeros(len(points), np.float32) if reduce == "sum" else np.full(len(points), np.inf, np.float32)
    anchor_norms = np.einsum("ij,ij->i", anchors, anchors)
    for start in range(0, len(points), _POOL_CHUNK):
        block = points[start:start + _POOL_CHUNK]
        block_norms = np.einsum("ij,ij->i", block, block)
        for a in range(0, len(anchors), _ANCHOR_CHUNK):
            squared = block_norms[:, None] + anchor_norms[None, a:a + _ANCHOR_CHUNK] - 2.0 * (
                block @ anchors[a:a + _ANCHOR_CHUNK].T)
            distances = np.sqrt(np.maximum(squared, 0.0))
            if reduce == "sum":
                result[start:start + _POOL_CHUNK] += distances.sum(axis=1)
            else:
                np.minimum(result[start:start + _POOL_CHUNK], distances.min(axis=1),
                           out=result[start:start + _POOL_CHUNK])
    return result


def farthest_first(points, anchors, budget: int, reduce: str = "sum", weights: Optional[np.ndarray] = None,
                   normalise: bool = False) -> np.ndarray:
    """Greedy farthest-first: `budget` row indices of `points`, each the farthest from the anchors
    (by total ("sum") or nearest ("min", k-center) distance), which it then joins.

    `normalise` rescales the distance score to [0, 1] over the pool before multiplying by
    `weights` (Algorithm 2). Ties go to the lowest row index."""
    points = _as_float32(points)
    budget = min(budget, len(points))
    squared_norms = np.einsum("ij,ij->i", points, points)
    scores = reduce_distances(points, anchors, reduce).astype(np.float64)
    update: Callable = np.add if reduce == "sum" else np.minimum
    taken = np.zeros(len(points), bool)
    chosen = []
    for _ in range(budget):
        ranking = _normalised(scores, taken) if normalise else scores.copy()
        if weights is not None:
            ranking = ranking * weights
        ranking[taken] = -np.inf
        pick = int(np.argmax(ranking))
        chosen.append(pick)
        taken[pick] = True
        scores = update(scores, distances_to_point(points, squared_norms, points[pick]))
    return np.asarray(chosen, dtype=np.int64)


def _normalised(scores: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """Min-max scaling to [0, 1] over the points not yet taken; all ones when they are equally far."""
    free = scores[~taken]
    finite = free[np.isfinite(free)]
    if len(finite) == 0 or finite.max() == finite.min():
        return np.ones_like(scores)
    low, high = finite.min(), finite.max()
    return np.clip((np.where(np.isfinite(scores), scores, high) - low) / (high - low), 0.0, 1.0)
