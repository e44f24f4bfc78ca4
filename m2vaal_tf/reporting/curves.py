"""Learning curves of finished runs, aggregated over seeds: mean ± std test accuracy per labelled
count, the normalised area under the curve, and what each strategy's queries looked like.

Read from each run's `pool.json`, the run's single source of truth; numpy only.
"""
import dataclasses
import json
import os
from typing import Dict, List, Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class Curve:
    strategy: str
    seed: int
    labeled: np.ndarray
    test_accuracy: np.ndarray
    misclassified: np.ndarray  # of each queried batch, by the round's model (one fewer than rounds)
    queried_labels: np.ndarray  # the oracle's labels of every queried sample
    initial_labels: np.ndarray
    seconds: float  # training, evaluation and selection time of all rounds
    batch_sizes: np.ndarray = None  # of each queried batch, in order: `queried_labels` cut into batches

    @property
    def classes(self) -> int:
        """The classes labelled anywhere in the run."""
        return int(max(self.queried_labels.max(initial=0), self.initial_labels.max(initial=0))) + 1

    @property
    def class_balance(self) -> float:
        """The balance (`balance`) of all the run's queries pooled."""
        return balance(self.queried_labels, self.classes)

    @property
    def batches(self) -> List[np.ndarray]:
        """The oracle's labels of each queried batch (all queries as one batch when sizes are unknown)."""
        sizes = self.batch_sizes if self.batch_sizes is not None else [len(self.queried_labels)]
        return [b for b in np.split(self.queried_labels, np.cumsum(sizes)[:-1]) if len(b)]

    @property
    def batch_balance(self) -> float:
        """The mean balance of the single batches: pooling hides batches that ask for one class, whose
        mixture still looks balanced."""
        return _mean_or_nan([balance(b, self.classes) for b in self.batches])

    @property
    def worst_batch_share(self) -> float:
        """The largest share one class takes of one batch."""
        return max((np.bincount(b).max() / len(b) for b in self.batches), default=float("nan"))

    @property
    def new_class_fraction(self) -> float:
        """Fraction of the queried samples from classes the initial labelled set lacked (protocol B)."""
        return float(np.mean(~np.isin(self.queried_labels, self.initial_labels)))


def balance(labels: np.ndarray, classes: int) -> float:
    """Entropy of the labels' class histogram over log(classes): 1 = as many of each class, 0 = a
    single class."""
    counts = np.bincount(labels, minlength=classes)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum() / np.log(classes))


def read_curve(run_dir: str, strategy: str, seed: int) -> Curve:
    with open(os.path.join(run_dir, "pool.json"), encoding="utf-8") as f:
        return curve_from_state(json.load(f), strategy, seed)


def curve_from_state(state: dict, strategy: str, seed: int) -> Curve:
    """The curve of a pool.json already read: a record's reader also wants its per-round metrics."""
    rounds = state["rounds"]
    return Curve(strategy=strategy, seed=seed,
                 labeled=np.array([r["labeled"] for r in rounds]),
                 test_accuracy=np.array([r["metrics"]["test_accuracy"] for r in rounds]),
                 misclassified=np.array([r["metrics"]["selected_misclassified"] for r in rounds if r["selected"]]),
                 queried_labels=np.array([y for r in rounds for y in r["labels"]], dtype=np.int64),
                 initial_labels=np.array(state["initial"]["labels"], dtype=np.int64),
                 seconds=float(sum(sum(r["seconds"].values()) for r in rounds)),
                 batch_sizes=np.array([len(r["labels"]) for r in rounds if r["labels"]], dtype=np.int64))


def normalised_auc(labeled: np.ndarray, accuracy: np.ndarray) -> float:
    """Area under accuracy-vs-labelled (trapezoids) over the labelled range: the mean accuracy
    along the curve, in [0, 1], comparable between protocols."""
    if len(labeled) < 2:
        return float(accuracy[0])
    return float(np.trapezoid(accuracy, labeled) / (labeled[-1] - labeled[0]))


def _mean_std(values: Sequence[float]):
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def _mean_or_nan(values) -> float:
    """The mean, or NaN when there is nothing to average (a run that never queried)."""
    return float(np.mean(values)) if len(values) else float("nan")


@dataclasses.dataclass(frozen=True)
class StrategySummary:
    strategy: str
    seeds: List[int]
    labeled: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    auc_mean: float
    auc_std: float
    first_query_misclassified: float  # mean over seeds: what the first batch looked like
    misclassified: float  # mean over seeds and rounds
    class_balance: float  # mean over seeds
    batch_balance: float  # mean over seeds of the mean over batches
    worst_batch_share: float  # the largest share of one class in any batch of any seed
    new_class_fraction: float  # mean over seeds
    seconds: float  # mean per run


def summarise(curves: Sequence[Curve]) -> List[StrategySummary]:
    """One summary per strategy, in the order strategies first appear; seeds must share labelled counts."""
    by_strategy: Dict[str, List[Curve]] = {}
    for curve in curves:
        by_strategy.setdefault(curve.strategy, []).append(curve)
    summaries = []
    for strategy, runs in by_strategy.items():
        length = min(len(c.labeled) for c in runs)
        labeled = runs[0].labeled[:length]
        if any(not np.array_equal(c.labeled[:length], labeled) for c in runs):
            raise ValueError(f"{strategy}: the seeds' runs have different labelled counts")
        accuracy = np.stack([c.test_accuracy[:length] for c in runs])
        auc_mean, auc_std = _mean_std([normalised_auc(labeled, a) for a in accuracy])
        summaries.append(StrategySummary(
            strategy=strategy, seeds=[c.seed for c in runs], labeled=labeled, mean=accuracy.mean(axis=0),
            std=accuracy.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros(length),
            auc_mean=auc_mean, auc_std=auc_std,
            first_query_misclassified=_mean_or_nan([c.misclassified[0] for c in runs if len(c.misclassified)]),
            misclassified=_mean_or_nan(np.concatenate([c.misclassified for c in runs])),
            class_balance=float(np.mean([c.class_balance for c in runs])),
            batch_balance=float(np.mean([c.batch_balance for c in runs])),
            worst_batch_share=float(np.max([c.worst_batch_share for c in runs])),
            new_class_fraction=float(np.mean([c.new_class_fraction for c in runs])),
            seconds=float(np.mean([c.seconds for c in runs]))))
    return summaries


def curves_csv(summaries: Sequence[StrategySummary]) -> str:
    lines = ["strategy,labeled,test_accuracy_mean,test_accuracy_std,seeds"]
    for s in summaries:
        lines += [f"{s.strategy},{n},{m:.4f},{d:.4f},{len(s.seeds)}" for n, m, d in zip(s.labeled, s.mean, s.std)]
    return "\n".join(lines) + "\n"


def markdown(summaries: Sequence[StrategySummary]) -> str:
    """Two tables: mean ± std test accuracy per labelled count, and AUC / queries / time per strategy."""
    counts = sorted({int(n) for s in summaries for n in s.labeled})
    lines = ["| strategy | " + " | ".join(str(n) for n in counts) + " |",
             "|---|" + "---|" * len(counts)]
    for s in summaries:
        cells = {int(n): f"{m:.3f} ± {d:.3f}" for n, m, d in zip(s.labeled, s.mean, s.std)}
        lines.append(f"| {s.strategy} | " + " | ".join(cells.get(n, "") for n in counts) + " |")
    lines += ["", "| strategy | AUC (normalised) | first query misclassified | all queries misclassified "
              "| queries' class balance (pooled / per batch) | worst batch's top class | queries from classes new to "
              "the initial set | seconds per run | seeds |",
              "|---|---|---|---|---|---|---|---|---|"]
    for s in sorted(summaries, key=lambda s: -s.auc_mean):
        lines.append(f"| {s.strategy} | {s.auc_mean:.4f} ± {s.auc_std:.4f} | {s.first_query_misclassified:.0%} "
                     f"| {s.misclassified:.0%} | {s.class_balance:.2f} / {s.batch_balance:.2f} "
                     f"| {s.worst_batch_share:.0%} "
                     f"| {s.new_class_fraction:.0%} | {s.seconds:.0f} "
                     f"| {','.join(map(str, s.seeds))} |")
    return "\n".join(lines) + "\n"
