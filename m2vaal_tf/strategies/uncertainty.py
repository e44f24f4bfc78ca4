"""The uncertainty measures of the seed's eqs. 1-3 on class-probability vectors, as plain
functions, and the three strategies that rank by them (least confidence, margin, entropy); later
strategies weight by them.

Each takes the array module `xp` it computes with: numpy here, `tf.experimental.numpy` inside an
exported model's graph (`export.py`), so the served score is this very formula.
"""
import numpy as np

from m2vaal_tf.strategies import base

_EPSILON = 1e-12


def least_confidence(probabilities, xp=np):
    """Eq. 1: 1 - max_c p(c|x)."""
    return 1.0 - xp.max(probabilities, axis=1)


def margin(probabilities, xp=np):
    """Eq. 2, as an uncertainty: -(p_top1 - p_top2), so the smallest margin scores highest."""
    top2 = xp.sort(probabilities, axis=1)[:, -2:]
    return -(top2[:, 1] - top2[:, 0])


def entropy(probabilities, xp=np):
    """Eq. 3: -sum_c p log p."""
    return -xp.sum(probabilities * xp.log(xp.clip(probabilities, _EPSILON, 1.0)), axis=1)


MEASURES = {"least_confidence": least_confidence, "margin": margin, "entropy": entropy}
WEIGHTS = tuple(MEASURES)  # the measures `weight` accepts


def weight(name: str, probabilities, xp=np):
    """An uncertainty measure rescaled to [0, 1] (1 = most uncertain), to weight other scores."""
    num_classes = probabilities.shape[1]
    if name == "least_confidence":
        return least_confidence(probabilities, xp) * num_classes / (num_classes - 1)
    if name == "margin":
        return 1.0 + margin(probabilities, xp)
    if name == "entropy":
        return entropy(probabilities, xp) / np.log(num_classes)
    raise ValueError(f"unknown uncertainty measure {name!r}; choose one of: {', '.join(WEIGHTS)}")


def served_uncertainty(learner, measure: str) -> base.ServedScore:
    """The measure scaled to [0, 1], computed in the exported graph with this very formula; higher =
    ask first."""
    import tensorflow as tf  # only an export needs it; strategies stay numpy-only
    return base.ServedScore(
        lambda images: weight(measure, learner.probabilities(images), xp=tf.experimental.numpy),
        f"the {measure} uncertainty scaled to [0, 1]; higher = ask first")


class UncertaintyStrategy(base.ScoredStrategy):
    """Ranks the unlabelled pool by the uncertainty measure named `measure` (a key of MEASURES)."""
    measure = ""

    def scores(self, outputs):
        return MEASURES[self.measure](outputs.probabilities)

    def serving_score(self, learner):
        return served_uncertainty(learner, self.measure)


@base.register
class LeastConfidence(UncertaintyStrategy):
    """Eq. 1: query the samples whose top class probability is lowest."""
    name = measure = "least_confidence"


@base.register
class Margin(UncertaintyStrategy):
    """Eq. 2: query the samples whose two most likely classes are closest."""
    name = measure = "margin"


@base.register
class Entropy(UncertaintyStrategy):
    """Eq. 3: query the samples whose predicted class distribution is most spread."""
    name = measure = "entropy"
