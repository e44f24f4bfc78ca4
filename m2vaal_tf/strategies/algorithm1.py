"""The seed's Algorithm 1, class-balanced diversity in the M2-VAAL latent space [μ, y'].

Each predicted class c gets b/N of the budget. Within c, the unlabelled points predicted as c are
picked greedily by their **total** Euclidean distance to the class's anchors (its labelled
points), and each pick joins the anchors. A class with no labelled points starts with an empty
anchor set: its first pick is the lowest index, and later picks spread out from it.
"""
import numpy as np

from m2vaal_tf.strategies import base, greedy


def class_quotas(budget: int, available: np.ndarray) -> np.ndarray:
    """b/N per class with the remainder going to the lowest class indices. A class with fewer
    candidates than its share gives the rest to the classes that have spare candidates, one at a
    time in class order, so the split is deterministic and the total is min(b, candidates)."""
    num_classes = len(available)
    quotas = np.full(num_classes, budget // num_classes)
    quotas[: budget % num_classes] += 1
    leftover = int(np.maximum(quotas - available, 0).sum())
    quotas = np.minimum(quotas, available)
    while leftover > 0 and (quotas < available).any():
        for c in range(num_classes):
            if leftover and quotas[c] < available[c]:
                quotas[c] += 1
                leftover -= 1
    return quotas


@base.register
class Algorithm1(base.Strategy):
    name = "algorithm1"
    model_family = "m2vaal"
    adversarial_by_default = False  # eq. 9 and no D: the selection reads only the latent space

    def choose(self, outputs, budget):
        predicted = outputs.probabilities.argmax(axis=1)
        num_classes = outputs.probabilities.shape[1]
        quotas = class_quotas(budget, np.bincount(predicted, minlength=num_classes))
        selected = []
        for c in range(num_classes):
            members = np.flatnonzero(predicted == c)
            anchors = outputs.labeled_embeddings[outputs.labels == c]
            picks = greedy.farthest_first(outputs.embeddings[members], anchors, quotas[c], reduce="sum")
            selected.append(members[picks])
        return np.concatenate(selected)
