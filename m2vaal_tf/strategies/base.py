"""The one interface every acquisition strategy implements, and the registry that finds them.

Layout after google/active-learning's `sampling_methods/`: one file per strategy, a base class with
a single entry point (`select`), a registry mapping names to classes, unknown names rejected.
"""
import abc
import dataclasses
import functools
from typing import Dict, List, Type

import numpy as np

_REGISTRY: Dict[str, Type["Strategy"]] = {}


def register(cls: Type["Strategy"]) -> Type["Strategy"]:
    """Class decorator adding a strategy to the registry under its `name`."""
    if cls.name in _REGISTRY:
        raise ValueError(f"strategy {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def names() -> List[str]:
    return sorted(_REGISTRY)


def get(name: str) -> "Strategy":
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(names())}") from None


@dataclasses.dataclass
class SelectionContext:
    """What a strategy may look at when choosing a batch: the round's trained learner, the pool,
    and a random generator seeded for this round. Model outputs over the unlabelled pool are
    computed once, in large batches, and shared by whoever asks."""
    learner: object
    pool_images: np.ndarray
    unlabeled: np.ndarray
    labeled: np.ndarray
    labels: np.ndarray
    rng: np.random.Generator
    scoring_batch_size: int = 2048
    uncertainty: str = "least_confidence"
    mc_samples: int = 20

    @functools.cached_property
    def probabilities(self) -> np.ndarray:
        """Class probabilities of the unlabelled pool, aligned with `unlabeled`."""
        return self.learner.predict_proba(self.pool_images[self.unlabeled], self.scoring_batch_size)

    @functools.cached_property
    def embeddings(self) -> np.ndarray:
        """The learner's embedding (`embed`) of the unlabelled pool, aligned with `unlabeled`."""
        return self.learner.embed(self.pool_images[self.unlabeled], self.scoring_batch_size)

    @functools.cached_property
    def labeled_embeddings(self) -> np.ndarray:
        """The learner's embedding of the labelled set, aligned with `labeled` and `labels`."""
        return self.learner.embed(self.pool_images[self.labeled], self.scoring_batch_size)


class Strategy(abc.ABC):
    name: str = ""
    model_family: str = "classifier"

    @abc.abstractmethod
    def select(self, context: SelectionContext, budget: int) -> np.ndarray:
        """Returns `budget` distinct pool indices from `context.unlabeled`, most wanted first."""


class ScoredStrategy(Strategy):
    """A strategy that ranks the unlabelled pool by one score per sample (higher = ask first)."""

    @abc.abstractmethod
    def scores(self, context: SelectionContext) -> np.ndarray:
        """One score per entry of `context.unlabeled`."""

    def select(self, context: SelectionContext, budget: int) -> np.ndarray:
        return top_k(context.unlabeled, self.scores(context), budget)


def top_k(indices: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """The `k` indices with the highest scores; ties go to the lower pool index, so the
    selection does not depend on the order the pool was scored in."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != indices.shape:
        raise ValueError(f"{scores.shape[0]} scores for {indices.shape[0]} samples")
    order = np.lexsort((indices, -scores))
    return indices[order[:k]]
