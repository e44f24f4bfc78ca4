"""BADGE (Ash et al., ICLR 2020): k-means++ seeding over gradient embeddings, uncertain and diverse
at once with no generative model.

A sample's gradient embedding is the gradient of the cross-entropy, with the predicted class ŷ as
the hallucinated label, with respect to the last layer's weights: g = (p - onehot(ŷ)) ⊗ h, with p
the class probabilities and h the penultimate features (JordanAsh/badge
query_strategies/badge_sampling.py, `get_grad_embedding`, up to a sign that no distance sees). Its
norm is large where the model is unsure (p far from one-hot) and its direction says where in
feature space, so k-means++ seeding picks samples that are both.

Never materialised: with a = p - onehot(ŷ),
    ‖a_i ⊗ h_i - a_j ⊗ h_j‖² = ‖a_i‖²‖h_i‖² + ‖a_j‖²‖h_j‖² - 2 (a_i·a_j)(h_i·h_j),
so each k-means++ step is two matrix-vector products over the pool and memory is
O(pool × (classes + features)), not O(pool × classes × features) (a 1M pool fits).

The seeding follows the official `init_centers`: the first centre is the largest gradient norm, each
next one is drawn with probability proportional to the squared distance to its nearest centre. The
greedy helpers of `greedy.py` take the farthest point deterministically, which is k-center, not
this D² sampling, so only the nearest-distance update is the same idea.
"""
from typing import Tuple

import numpy as np

from m2vaal_tf.strategies import base


def gradient_embedding_factors(probabilities: np.ndarray, features: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The two factors (a, h) of the gradient embeddings a ⊗ h, a = p - onehot(argmax p)."""
    class_part = np.array(probabilities, dtype=np.float32)
    class_part[np.arange(len(class_part)), class_part.argmax(axis=1)] -= 1.0
    return class_part, np.ascontiguousarray(features, dtype=np.float32)


class GradientEmbeddings:
    """Squared distances between gradient embeddings, from their factors alone."""

    def __init__(self, class_part: np.ndarray, features: np.ndarray):
        self.class_part, self.features = class_part, features
        self.squared_norms = (np.einsum("ij,ij->i", class_part, class_part).astype(np.float64)
                              * np.einsum("ij,ij->i", features, features).astype(np.float64))

    def __len__(self) -> int:
        return len(self.squared_norms)

    def squared_distances_to(self, j: int) -> np.ndarray:
        """‖g_i - g_j‖² for every i (clipped at 0 against rounding)."""
        cross = (self.class_part @ self.class_part[j]).astype(np.float64) * (self.features @ self.features[j])
        return np.maximum(self.squared_norms + self.squared_norms[j] - 2.0 * cross, 0.0)


def kmeans_plus_plus(embeddings: GradientEmbeddings, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` distinct rows: the largest norm first (lowest index on ties), then each drawn with
    probability ∝ its squared distance to the nearest chosen row, by one `rng.random()` per pick.
    When every row left coincides with a chosen one (all distances 0), the rest are drawn uniformly."""
    count = min(count, len(embeddings))
    chosen = [int(np.argmax(embeddings.squared_norms))]
    taken = np.zeros(len(embeddings), bool)
    taken[chosen[0]] = True
    nearest = np.full(len(embeddings), np.inf)
    while len(chosen) < count:
        np.minimum(nearest, embeddings.squared_distances_to(chosen[-1]), out=nearest)
        cumulative = np.cumsum(np.where(taken, 0.0, nearest))
        if cumulative[-1] > 0:  # the first row whose cumulative weight exceeds u has a weight > 0
            pick = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))
        else:
            pick = int(rng.choice(np.flatnonzero(~taken)))
        chosen.append(pick)
        taken[pick] = True
    return np.asarray(chosen, dtype=np.int64)


@base.register
class Badge(base.Strategy):
    name = "badge"

    def choose(self, outputs, budget):
        embeddings = GradientEmbeddings(*gradient_embedding_factors(outputs.probabilities, outputs.embeddings))
        return kmeans_plus_plus(embeddings, budget, outputs.rng)
