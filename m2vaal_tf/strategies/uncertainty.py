"""The uncertainty measures of the seed's eqs. 1-3 on class-probability vectors, as plain
functions: the uncertainty strategies rank by them, and later strategies weight by them."""
import numpy as np

from m2vaal_tf.strategies import base

_EPSILON = 1e-12
WEIGHTS = ("least_confidence", "margin", "entropy")  # the measures `weight` accepts


def least_confidence(probabilities: np.ndarray) -> np.ndarray:
    """Eq. 1: 1 - max_c p(c|x)."""
    return 1.0 - probabilities.max(axis=1)


def margin(probabilities: np.ndarray) -> np.ndarray:
    """Eq. 2, as an uncertainty: -(p_top1 - p_top2), so the smallest margin scores highest."""
    top2 = np.partition(probabilities, -2, axis=1)[:, -2:]
    return -(top2[:, 1] - top2[:, 0])


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """Eq. 3: -sum_c p log p."""
    return -np.sum(probabilities * np.log(np.clip(probabilities, _EPSILON, 1.0)), axis=1)


def weight(name: str, probabilities: np.ndarray) -> np.ndarray:
    """An uncertainty measure rescaled to [0, 1] (1 = most uncertain), to weight other scores."""
    num_classes = probabilities.shape[1]
    if name == "least_confidence":
        return least_confidence(probabilities) * num_classes / (num_classes - 1)
    if name == "margin":
        return 1.0 + margin(probabilities)
    if name == "entropy":
        return entropy(probabilities) / np.log(num_classes)
    raise ValueError(f"unknown uncertainty measure {name!r}; choose one of: {', '.join(WEIGHTS)}")


class UncertaintyStrategy(base.ScoredStrategy):
    """Ranks the unlabelled pool by an uncertainty `measure` of the classifier's probabilities."""
    measure = None

    def scores(self, context):
        return type(self).measure(context.probabilities)
