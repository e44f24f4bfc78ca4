"""What one round does, step by step, on the data set, the pool and the run directory: train a fresh
learner, evaluate it, choose the strategy's batch, keep the query, export, and record the answer.

`loop.ActiveLearningLoop` orders these steps (and is what users drive); they live apart so that
each stays one screenful and the loop reads as the order of the steps.
"""
import os
import time
from typing import Callable, Optional, TextIO

import keras
import numpy as np

from m2vaal_tf import export, models, rounds, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.data import Dataset
from m2vaal_tf.models import precision
from m2vaal_tf.played_round import PlayedRound
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.reporting import diagnostics, results
from m2vaal_tf.reporting.summaries import RunSummaries


class RoundSteps:
    def __init__(self, config: ExperimentConfig, dataset: Dataset, pool: ActivePool, distribution, run_dir: str):
        self.config, self.dataset, self.pool = config.resolved(), dataset, pool
        self.distribution, self.run_dir = distribution, run_dir
        self._model_described = False

    @property
    def pool_path(self) -> str:
        return ActivePool.path_in(self.run_dir)

    def begin_round(self) -> PlayedRound:
        pool = self.pool
        return PlayedRound.begin(pool.next_round, self.config, pool.labeled_indices, pool.labels,
                                 pool.unlabeled_indices)

    def train(self, played: PlayedRound, strategy, out: Callable[[str], None], progress: Optional[TextIO]) -> None:
        """A fresh learner of the strategy's family, trained on the round's pools."""
        dataset, images = self.dataset, self.dataset.pool_images
        with played.timed("train"):
            keras.utils.set_random_seed(played.seed)
            with self.distribution.scope():
                played.learner = models.build(strategy.model_family, self.config, dataset.image_shape,
                                              dataset.num_classes, played.index)
            self._describe(played.learner, out)
            data = rounds.RoundData(images[played.labeled], played.labels, images[played.unlabeled],
                                    dataset.val_images, dataset.val_labels)
            result = rounds.train(played.learner, data, self.config, played.seed, state_dir(self.config), progress,
                                  progress_bars=self.config.progress)
            played.history, played.metrics = result.history, result.metrics
        played.seconds["train"] += result.seconds_before_resume  # a round resumed inside

    def evaluate_round(self, played: PlayedRound, stop_rule) -> None:
        dataset = self.dataset
        with played.timed("evaluate"):
            played.metrics.update({f"train_{name}": values[-1] for name, values in played.history.items()})
            played.metrics["test_accuracy"] = _accuracy(played.learner, dataset.test_images, dataset.test_labels)
            played.metrics["validation_accuracy"] = _accuracy(played.learner, dataset.val_images, dataset.val_labels)
            if played.learner.reference is not None:
                played.metrics["reference_accuracy"] = _accuracy(played.learner.reference, dataset.test_images,
                                                                 dataset.test_labels)
            played.stop_predictions, kappa = stop_rule.measure(played.learner, dataset.pool_images,
                                                               self.pool.stop_predictions)
            if kappa is not None:
                played.metrics["stop_kappa"] = kappa
        played.evaluated = True

    def select(self, played: PlayedRound, strategy) -> None:
        """The strategy's batch, and the round model's guesses for it (the diagnostics need them)."""
        budget = min(self.config.budget, self.config.max_labeled - len(played.labeled), len(played.unlabeled))
        with played.timed("select"):
            context = strategies.SelectionContext(
                learner=played.learner, pool_images=self.dataset.pool_images, unlabeled=played.unlabeled,
                labeled=played.labeled, labels=played.labels, rng=np.random.default_rng(played.seed))
            played.selected = np.asarray(strategy.select(context, budget), dtype=np.int64)
        probabilities = played.learner.predict_proba(self.dataset.pool_images[played.selected])
        played.predicted, played.confidence = probabilities.argmax(axis=1), probabilities.max(axis=1, initial=0.0)

    def keep_query(self, played: PlayedRound, strategy_name: str, out: Callable[[str], None]):
        """Saves the round's query as pending before anybody is asked, and prints the round's line."""
        query = self.pool.ask(len(played.labeled), strategy_name, played.metrics, played.seconds,
                              played.selected, played.predicted, precision.resolve(self.config.precision),
                              precision.kernels(), played.stop_predictions, played.confidence)
        self.pool.save(self.pool_path)
        kappa = played.metrics.get("stop_kappa")
        out(f"round {played.index}: labeled={len(played.labeled)} "
            f"test_acc={_accuracy_text(played.metrics['test_accuracy'])} "
            f"val_acc={_accuracy_text(played.metrics['validation_accuracy'])} "
            + (f"stop_kappa={kappa:.4f} " if kappa is not None else "") + "| "
            + " ".join(f"{phase} {s:.1f}s" for phase, s in played.seconds.items())
            + (f" | querying {len(played.selected)}" if len(played.selected) else " | final round"))
        return query

    def export(self, played: PlayedRound, strategy, out: Callable[[str], None]) -> None:
        if not self.config.export or self.run_dir != self.config.run_dir:
            return
        start = time.perf_counter()
        path = export.export(played.learner, strategy, self.config.uncertainty, self.dataset.image_shape,
                             self.dataset.class_names, os.path.join(self.run_dir, "export"), played.index)
        out(f"  exported {path} ({time.perf_counter() - start:.1f}s)")

    def record_answer(self, labels, summaries: RunSummaries, out: Callable[[str], None], annotations=()) -> None:
        """Completes the pending round with the oracle's labels (and who gave each, when the oracle
        says): the pool is saved, then logged."""
        pool, dataset = self.pool, self.dataset
        query = pool.pending
        selected, predicted = np.asarray(query.selected, np.int64), np.asarray(query.predicted, np.int64)
        labels = np.asarray(labels, np.int64)
        extra = (diagnostics.selected_batch(dataset, pool.labeled_indices, selected, labels, predicted)
                 if len(selected) else {})
        record = pool.answer(labels, extra, annotations)
        pool.save(self.pool_path)
        results.write_csv(pool.rounds, os.path.join(self.run_dir, "results.csv"))
        if len(selected):
            summaries.round_scalars(record.labeled, {f"selection/{k.removeprefix('selected_')}": v
                                                     for k, v in extra.items()})
            summaries.queried_batch(record.labeled, dataset.pool_images[selected], labels, predicted)
            out(f"  round {record.round}: {len(selected)} labelled by the oracle, "
                f"{extra['selected_misclassified']:.0%} of them misclassified by the round's model")

    def _describe(self, learner, out: Callable[[str], None]) -> None:
        """The sub-models and their parameters, once per run."""
        if not self._model_described:
            self._model_described = True
            out(f"model {learner.name}: {learner.describe()} parameters; "
                f"{self.distribution.num_replicas_in_sync} replica(s); {precision.describe(self.config.precision)}")


def state_dir(config: ExperimentConfig):
    """Where a long round keeps its state to resume inside: the run's directory, or nowhere under
    multi_worker (every worker would have to resume from one state; only the chief's files last)."""
    return None if config.distribute == "multi_worker" else config.run_dir


def _accuracy(learner, images: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy, or NaN for an empty set (a folder data set without DIR/test)."""
    return float(np.mean(learner.predict_proba(images).argmax(axis=1) == labels)) if len(labels) else float("nan")


def _accuracy_text(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{value:.4f}"
