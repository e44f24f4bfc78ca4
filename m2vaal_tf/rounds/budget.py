"""What a round of the VAAL family is measured in: its iteration budget, the samples held out of
D's training, and D's ROC AUC on them."""
import numpy as np

HOLDOUT_STREAM = 0xD15C  # the random stream the held-out samples are drawn from, per round seed


def vae_iterations(labeled: int, candidates: int, vae_epochs: int, batch_size: int) -> int:
    """A round's iterations, counted over the data as both official codes count them:
    sinhasam/vaal solver.py:40 `num_images * train_epochs // batch_size` (num_images = the labelled
    and unlabelled images) and cubeyoung/TA-VAAL selection_methods.py:75
    `(ADDENDUM * cycle + SUBSET) * EPOCHV / BATCH` (the labelled set plus the candidate subset)."""
    return max(1, (labeled + candidates) * vae_epochs // batch_size)


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(a positive scores above a negative), ties counting one half (the Mann-Whitney U statistic)."""
    scores = np.concatenate([positive, negative])
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    ranks = ((last - counts + 1 + last) / 2.0)[inverse]  # 1-based ranks, ties sharing their mean
    u = ranks[:len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(u / (len(positive) * len(negative)))


def holdout_weights(count: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """1 for the samples D trains on, 0 for a random `fraction` held out (at least one of each when
    the fraction is positive and there are two samples or more)."""
    weights = np.ones(count, np.float32)
    held = min(count - 1, max(1, int(round(fraction * count)))) if fraction > 0 and count > 1 else 0
    weights[rng.choice(count, size=held, replace=False)] = 0.0
    return weights


def held_out_auc(labeled_probability, data, labeled_weights: np.ndarray, unlabeled_weights: np.ndarray) -> float:
    """D's ROC AUC (labelled vs unlabelled) on the samples held out of its training (weight 0)."""
    return roc_auc(labeled_probability(data.labeled_images[labeled_weights == 0]),
                   labeled_probability(data.unlabeled_images[unlabeled_weights == 0]))
