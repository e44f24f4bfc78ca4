"""The one interface every acquisition strategy implements, and the registry that finds them.

Layout after google/active-learning's `sampling_methods/`: one file per strategy, a base class with
a single entry point (`select`), a registry mapping names to classes, unknown names rejected.

A strategy owns its settings: `from_config` reads the config fields it needs (e.g. BALD's
--mc_samples), so the per-round `SelectionContext` carries only the round's data. It also says what
an exported model can serve as its acquisition score (`serving_score`), or None where the score
depends on the whole pool. Adding a strategy with a setting of its own is one file here, one line in
`__init__.py`, and one field in `ExperimentConfig`.
"""
import abc
import dataclasses
import functools
from typing import Callable, Optional

import numpy as np

from m2vaal_tf.registry import Registry

REGISTRY = Registry("strategy", key="name")
register, names, get = REGISTRY.register, REGISTRY.names, REGISTRY.get


def create(config) -> "Strategy":
    """The strategy `config.strategy`, with its settings taken from the config."""
    return get(config.strategy).from_config(config)


@dataclasses.dataclass
class SelectionContext:
    """The round loop's `Outputs` (see `Strategy.choose`): the round's trained learner, the pool,
    and a random generator seeded for this round. Model outputs over the unlabelled pool are
    computed on first use, once, in large batches, and shared by whoever asks."""
    learner: object
    pool_images: np.ndarray
    unlabeled: np.ndarray
    labeled: np.ndarray
    labels: np.ndarray
    rng: np.random.Generator

    @functools.cached_property
    def probabilities(self) -> np.ndarray:
        """Class probabilities of the unlabelled pool, aligned with `unlabeled`."""
        return self.learner.predict_proba(self.pool_images[self.unlabeled])

    @functools.cached_property
    def embeddings(self) -> np.ndarray:
        """The learner's embedding (`embed`) of the unlabelled pool, aligned with `unlabeled`."""
        return self.learner.embed(self.pool_images[self.unlabeled])

    @functools.cached_property
    def labeled_embeddings(self) -> np.ndarray:
        """The learner's embedding of the labelled set, aligned with `labeled` and `labels`."""
        return self.learner.embed(self.pool_images[self.labeled])

    @functools.cached_property
    def discriminator_probability(self) -> np.ndarray:
        """D's probability that each unlabelled sample is labelled, aligned with `unlabeled`."""
        return self.learner.labeled_probability(self.pool_images[self.unlabeled])

    def sampled(self, samples: int) -> np.ndarray:
        """[samples, unlabelled, classes] probabilities with dropout on (Monte-Carlo dropout)."""
        return self.learner.sample_probabilities(self.pool_images[self.unlabeled], samples)


@dataclasses.dataclass(frozen=True)
class ServedScore:
    """An acquisition score an exported model computes per image: higher = ask first, the direction of
    every strategy's `scores` (and of baal's heuristics)."""
    function: Callable  # graph function: float images [batch, H, W, C] -> [batch]
    meaning: str


class Strategy(abc.ABC):
    name: str = ""
    model_family: str = "classifier"
    reads_discriminator: bool = False  # True: the selection needs a trained D (--disc_steps above 0)
    adversarial_by_default: bool = True  # the M2-VAAL family: eq. 8 unless --noadversarial (joint_defaults.py)

    @classmethod
    def from_config(cls, config) -> "Strategy":
        """The strategy with the settings it owns; one without settings ignores the config."""
        return cls()

    @abc.abstractmethod
    def choose(self, outputs, budget: int) -> np.ndarray:
        """`budget` distinct positions among the unlabelled samples, most wanted first: a pure function
        of arrays. `outputs` holds, each aligned with the unlabelled samples unless said otherwise:
        `unlabeled` (their pool indices), `probabilities` [N, classes], `embeddings` [N, d],
        `labeled_embeddings` and `labels` (of the labelled samples), `discriminator_probability` [N],
        `sampled(k)` [k, N, classes] and `rng`. The round loop's `SelectionContext` computes them from
        the round's learner; `m2vaal_tf.select` takes them from any model's arrays."""

    def select(self, context: SelectionContext, budget: int) -> np.ndarray:
        """`budget` distinct pool indices from `context.unlabeled`, most wanted first."""
        return context.unlabeled[np.asarray(self.choose(context, budget), dtype=np.int64)]

    def serving_score(self, learner) -> Optional[ServedScore]:
        """The strategy's own score as a per-image graph function, or None when it depends on the
        whole pool (diversity, random, Monte-Carlo sampling) and one image cannot be scored alone."""
        return None


class ScoredStrategy(Strategy):
    """A strategy that ranks the unlabelled pool by one score per sample (higher = ask first)."""

    @abc.abstractmethod
    def scores(self, outputs) -> np.ndarray:
        """One score per unlabelled sample."""

    def choose(self, outputs, budget: int) -> np.ndarray:
        scores = self.scores(outputs)
        return top_k(np.arange(len(scores)), scores, budget, tie_break=outputs.unlabeled)


def top_k(indices: np.ndarray, scores: np.ndarray, k: int, tie_break: Optional[np.ndarray] = None) -> np.ndarray:
    """The `k` indices with the highest scores; ties go to the lower `tie_break` (the samples' pool
    indices; default `indices`), so the selection does not depend on the order the pool was scored in."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != indices.shape:
        raise ValueError(f"{scores.shape[0]} scores for {indices.shape[0]} samples")
    order = np.lexsort((indices if tie_break is None else tie_break, -scores))
    return indices[order[:k]]
