"""When to stop buying labels: stabilising predictions (Bloodgood & Vijay-Shanker, CoNLL 2009).

A fixed *stop set* of unlabelled images is drawn once per run. Each round's model predicts it, and
Cohen's kappa between this round's and the previous round's predictions measures how much the model
still changes. Once kappa has stayed at or above `--stop_kappa` for `--stop_patience` consecutive
rounds, more labels are unlikely to change the model, and the run can end. Bloodgood &
Vijay-Shanker stop when the mean kappa over a window of three rounds reaches 0.99; here every round
of the window must reach the threshold, which is at least as strict.

The stop set needs no labels and is drawn from its own random stream, so logging kappa never changes
what a run selects. Images of the stop set may be queried later; that does not bias the measure,
which compares two models' predictions, never a prediction with a label.
"""
from typing import Optional, Sequence

import numpy as np

_STOP_SET_STREAM = 0x5709


def draw_stop_set(candidates: Sequence[int], size: int, seed: int) -> np.ndarray:
    """`size` of the run's initial unlabelled candidates (all, if fewer), sorted; seeded by `seed`."""
    candidates = np.asarray(candidates, dtype=np.int64)
    if size >= len(candidates):
        return candidates
    return np.sort(np.random.default_rng([seed, _STOP_SET_STREAM]).choice(candidates, size=size, replace=False))


def cohens_kappa(first: np.ndarray, second: np.ndarray) -> float:
    """Agreement between two labelings beyond chance: (p_o - p_e) / (1 - p_e); 1 when identical."""
    first, second = np.asarray(first, np.int64), np.asarray(second, np.int64)
    if first.shape != second.shape or not len(first):
        raise ValueError(f"kappa needs two labelings of the same images ({first.shape} vs {second.shape})")
    observed = float(np.mean(first == second))
    classes = max(first.max(), second.max()) + 1
    chance = float(np.bincount(first, minlength=classes) @ np.bincount(second, minlength=classes)) / len(first) ** 2
    if chance == 1.0:  # both predict one and the same class everywhere
        return 1.0
    return (observed - chance) / (1.0 - chance)


def held_rounds(kappas: Sequence[Optional[float]], threshold: float) -> int:
    """How many of the latest rounds in a row have kappa >= threshold (a round without kappa breaks it)."""
    held = 0
    for kappa in reversed(kappas):
        if kappa is None or np.isnan(kappa) or kappa < threshold:
            break
        held += 1
    return held


def explanation(kappa: Optional[float], threshold: float, patience: int, stop_set_size: int) -> str:
    """One sentence for the person labelling: the current value and what it means."""
    if kappa is None:
        return (f"Stopping rule: from the next round on, Cohen's kappa compares consecutive rounds' predictions on "
                f"{stop_set_size:,} unlabelled images (1 = the model no longer changes).")
    rule = (f"this run stops once it stays at or above {threshold} for {patience} round(s) (--stop_kappa)"
            if threshold else "labelling can usually stop once it stays at or above 0.99 for 3 rounds "
            "(--stop_kappa=0.99 stops the run then)")
    return (f"Stopping rule: this round's predictions on {stop_set_size:,} unlabelled images agree with the previous "
            f"round's at Cohen's kappa {kappa:.4f} (1 = the model no longer changes); {rule}.")


class StopRule:
    """A run's stop set and its `--stop_kappa`/`--stop_patience` rule."""

    def __init__(self, config, candidates: Sequence[int]):
        self.stop_set = (draw_stop_set(candidates, config.stop_set_size, config.seed) if config.stop_set_size
                         else np.zeros(0, np.int64))
        self.threshold, self.patience = config.stop_kappa, config.stop_patience

    def measure(self, learner, pool_images: np.ndarray, previous: Sequence[int]):
        """(this round's stop-set predictions, kappa against the previous round's, or None when there
        is no previous round or no stop set)."""
        if not len(self.stop_set):
            return np.zeros(0, np.int64), None
        predictions = learner.predict_proba(pool_images[self.stop_set]).argmax(axis=1)
        kappa = cohens_kappa(previous, predictions) if len(previous) == len(predictions) else None
        return predictions, kappa

    def verdict(self, round_metrics: Sequence[dict], labeled: int) -> Optional[str]:
        """The line announcing the end of the run, when the rule holds after the latest round."""
        kappas = [metrics.get("stop_kappa") for metrics in round_metrics]
        if not self.threshold or held_rounds(kappas, self.threshold) < self.patience:
            return None
        held = ", ".join(f"{k:.4f}" for k in kappas[-self.patience:])
        return (f"stopping at {labeled:,} labels: predictions on the {len(self.stop_set):,}-image stop set changed "
                f"less than --stop_kappa={self.threshold} allows for {self.patience} round(s) in a row "
                f"(Cohen's kappa {held})")

    def explain(self, kappa: Optional[float]) -> str:
        return explanation(kappa, self.threshold, self.patience, len(self.stop_set))
