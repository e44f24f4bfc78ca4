"""Selection on arrays: any model's outputs in, pool indices out. numpy only: no TensorFlow is
imported, so it serves a PyTorch, JAX or scikit-learn model as well as a Keras one.

    import m2vaal_tf
    ask = m2vaal_tf.select("entropy", budget=100, labeled=labeled_mask, probabilities=p)
    ask = m2vaal_tf.select("badge", 100, labeled_mask, probabilities=p, embeddings=h, seed=3)

Every array covers the whole pool, one row per sample, in the pool's order; `labeled` is a boolean
mask over the pool or the labelled samples' indices. The labelled rows of `probabilities`,
`discriminator_probability` and `sampled_probabilities` are not read; the labelled rows of
`embeddings` are the anchors the diversity strategies measure from. `labels` (Algorithm 1) holds a
label per pool sample or one per labelled sample, in the order of `labeled`'s indices.

These are the strategies' own `choose` functions, which the round loop calls on its learner's
outputs: with the round's seed, the same arrays give the round loop's very selection.
"""
import dataclasses

import numpy as np

from m2vaal_tf import strategies
from m2vaal_tf.config import ExperimentConfig

# What each output is, for the error that names a missing one.
SHAPES = {"probabilities": "[pool, classes] class probabilities", "embeddings": "[pool, features] embeddings",
          "labels": "the labelled samples' labels", "discriminator_probability": "[pool] D's probability of "
          "'labelled'", "sampled_probabilities": "[samples, pool, classes] Monte-Carlo dropout probabilities"}


@dataclasses.dataclass
class PoolOutputs:
    """The outputs `Strategy.choose` reads, cut from whole-pool arrays by the labelled mask."""
    strategy: str
    labeled: np.ndarray  # boolean mask over the pool
    rng: np.random.Generator
    arrays: dict

    @property
    def unlabeled(self) -> np.ndarray:
        return np.flatnonzero(~self.labeled)

    def _given(self, name: str) -> np.ndarray:
        value = self.arrays.get(name)
        if value is None:
            raise ValueError(f"select({self.strategy!r}) needs {name}= ({SHAPES[name]})")
        return value

    @property
    def probabilities(self) -> np.ndarray:
        return self._given("probabilities")[~self.labeled]

    @property
    def embeddings(self) -> np.ndarray:
        return self._given("embeddings")[~self.labeled]

    @property
    def labeled_embeddings(self) -> np.ndarray:
        return self._given("embeddings")[self.labeled]

    @property
    def labels(self) -> np.ndarray:
        labels = self._given("labels")
        return labels[self.labeled] if len(labels) == len(self.labeled) else labels

    @property
    def discriminator_probability(self) -> np.ndarray:
        return self._given("discriminator_probability")[~self.labeled]

    def sampled(self, samples: int) -> np.ndarray:
        return self._given("sampled_probabilities")[:, ~self.labeled]


def select(strategy: str, budget: int, labeled, *, probabilities=None, embeddings=None, labels=None,
           discriminator_probability=None, sampled_probabilities=None, seed: int = 0,
           uncertainty: str = "least_confidence") -> np.ndarray:
    """`budget` pool indices of unlabelled samples, most wanted first, chosen by `strategy` (a name
    of `m2vaal_tf.strategies.names()`) from the arrays it needs; `seed` seeds the random strategies
    (random, BADGE); `uncertainty` is Algorithm 2's weight. Raises ValueError naming what is wrong."""
    if strategy not in strategies.names():
        raise ValueError(f"strategy={strategy!r} is not one of: {', '.join(strategies.names())}")
    given = dict(probabilities=probabilities, embeddings=embeddings, labels=labels,
                 discriminator_probability=discriminator_probability, sampled_probabilities=sampled_probabilities)
    arrays = {name: None if value is None else np.asarray(value) for name, value in given.items()}
    pool = _pool_size(arrays)
    mask = _labeled_mask(labeled, pool)
    labels = arrays["labels"]
    if labels is not None and len(labels) not in (pool, int(mask.sum())):
        raise ValueError(f"labels= has {len(labels)} entries: give one per pool sample ({pool}) or one "
                         f"per labelled sample ({int(mask.sum())})")
    if labels is not None and len(labels) != pool and np.asarray(labeled).dtype != bool:
        arrays["labels"] = labels[np.argsort(np.asarray(labeled), kind="stable")]  # into the mask's pool order
    unlabeled = np.flatnonzero(~mask)
    if not 0 < budget <= len(unlabeled):
        raise ValueError(f"budget={budget} must be between 1 and the {len(unlabeled)} unlabelled samples")
    samples = len(arrays["sampled_probabilities"]) if arrays["sampled_probabilities"] is not None else 2
    chosen = strategies.create(ExperimentConfig(strategy=strategy, uncertainty=uncertainty, mc_samples=max(samples, 2)))
    outputs = PoolOutputs(strategy, mask, np.random.default_rng(seed), arrays)
    return unlabeled[np.asarray(chosen.choose(outputs, budget), dtype=np.int64)]


def _pool_size(arrays: dict) -> int:
    """The pool's size, as every whole-pool array agrees on it."""
    sizes = {name: (value.shape[1] if name == "sampled_probabilities" else len(value))
             for name, value in arrays.items() if value is not None and name != "labels"}
    if not sizes:
        raise ValueError("select() needs the model's outputs over the pool: probabilities=, embeddings=, "
                         "discriminator_probability= or sampled_probabilities=")
    if len(set(sizes.values())) > 1:
        raise ValueError("the arrays disagree on the pool's size: " + ", ".join(f"{n} {s}" for n, s in sizes.items()))
    return next(iter(sizes.values()))


def _labeled_mask(labeled, pool: int) -> np.ndarray:
    """A boolean mask over the pool from a mask or from indices."""
    labeled = np.asarray(labeled)
    if labeled.dtype == bool:
        if labeled.shape != (pool,):
            raise ValueError(f"labeled= is a mask of {labeled.shape[0]} entries for a pool of {pool}")
        return labeled
    if labeled.size and (labeled.min() < 0 or labeled.max() >= pool):
        raise ValueError(f"labeled= holds indices outside the pool 0..{pool - 1}")
    mask = np.zeros(pool, bool)
    mask[labeled.astype(np.int64)] = True
    if mask.sum() != labeled.size:
        raise ValueError("labeled= names a sample twice")
    return mask
