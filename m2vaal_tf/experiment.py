"""The active-learning round loop: train -> evaluate -> select -> ask the oracle -> record.

`prepare` loads and checks everything and writes nothing, so a bad flag or file costs no state;
`Experiment.run` then creates the run directory and plays the rounds. The pool is saved
atomically when a round's query is chosen (as pending) and again when its labels are in, before
anything else is logged: a run killed at any moment resumes from its last saved state and, with
every round seeded from (seed, round), reaches the same labelled set as an uninterrupted run. An
oracle that answers later (`--oracle=files`) stops the run at a pending query; `--resume`
collects the answers and continues.
"""
import dataclasses
import os
import shutil
import tempfile
import time
from typing import Callable, Optional, TextIO

import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf import atomic, distribute, export, models, oracle, stopping, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.data import Dataset, load_dataset
from m2vaal_tf.models import precision, task_networks
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.played_round import NOTHING, PlayedRound
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.reporting import diagnostics, results
from m2vaal_tf.reporting.summaries import RunSummaries


def prepare(config: ExperimentConfig, dataset: Optional[Dataset] = None,
            model_fn: Optional[Callable[..., keras.Model]] = None) -> "Experiment":
    """Loads the data and checks the config against it and against the run directory; writes nothing.
    `model_fn(input_shape, num_classes)` is the user's task network, as `--model` names it."""
    if model_fn is not None:
        config = dataclasses.replace(config, model=task_networks.spec_of(model_fn))
    if dataset is None:
        dataset = load_dataset(config.dataset, config.data_dir, config.validation_size, config.image_size)
    if config.model:  # the user's model is built once here, so that its errors come before any state
        task_networks.build(config, dataset.image_shape, dataset.num_classes)
    if dataset.seed_indices is not None:
        config = config.with_seed_set(dataset.name, len(dataset.seed_indices))
    config.check_against_data(dataset.num_classes, len(dataset.pool_labels))
    settings = config.pool_settings()
    if dataset.fingerprint:
        settings["data_fingerprint"] = dataset.fingerprint  # the folder's files, as pool indices refer to them
    pool_path = ActivePool.path_in(config.run_dir)
    if os.path.exists(pool_path):
        if not config.resume:
            raise ConfigError(f"--run_name={config.resolved_run_name}: {config.run_dir} already holds a run; "
                              "pass --resume to continue it or choose another --run_name")
        pool = ActivePool.load(pool_path, settings)
    else:
        if os.path.isdir(config.run_dir) and os.listdir(config.run_dir):
            raise ConfigError(f"--run_name={config.resolved_run_name}: {config.run_dir} exists and is not "
                              "an m2vaal_tf run (no pool.json); choose another --run_name or --logdir")
        pool = ActivePool.draw(settings, dataset.pool_labels, dataset.seed_indices, config)
    return Experiment(config, dataset, pool)


class Experiment:
    def __init__(self, config: ExperimentConfig, dataset: Dataset, pool: ActivePool):
        self.config, self.dataset, self.pool = config, dataset, pool
        self.strategy = strategies.create(config)
        self.distribution = distribute.make_strategy(config.distribute)
        self.run_dir = (config.run_dir if distribute.is_chief(config.distribute)
                        else tempfile.mkdtemp(prefix="m2vaal_tf-worker-"))
        self.oracle = oracle.make(config.oracle, dataset, os.path.join(self.run_dir, "queries"))
        self.stop_rule = stopping.StopRule(config, pool.candidates)
        self._model_described = False
        self.progress: Optional[TextIO] = None
        self.round_saved: Callable[[], None] = lambda: None

    @property
    def pool_path(self) -> str:
        return ActivePool.path_in(self.run_dir)

    def run(self, flags_text: Optional[str] = None, out: Callable[[str], None] = print,
            progress: Optional[TextIO] = None, round_saved: Callable[[], None] = lambda: None) -> ActivePool:
        """Plays rounds until the labelling budget or `max_rounds` is reached, or until the oracle
        answers later; returns the pool. `progress` (e.g. sys.stdout) shows long training phases;
        `round_saved` runs whenever a round's labels are in pool.json (compare copies it then)."""
        config = self.config
        self.progress, self.round_saved = progress, round_saved
        os.makedirs(self.run_dir, exist_ok=True)
        if flags_text is not None:
            atomic.write_text(os.path.join(self.run_dir, "flags.txt"), flags_text)
        if not os.path.exists(self.pool_path):
            self.pool.save(self.pool_path)  # The initial labels are kept before any training.
        if self.pool.complete:
            out(f"{self.run_dir}: the run is already complete ({len(self.pool.rounds)} rounds); nothing to do")
            return self.pool
        tf.config.experimental.enable_op_determinism()
        summaries = RunSummaries(self.run_dir, self.dataset.class_names)
        summaries.hparams(config.hparams(), trial_id=config.resolved_run_name)
        try:
            if self.pool.pending:
                query = self.pool.pending
                labels = self.oracle.collect(query)  # raises, changing nothing, when they are not all there
                out(f"{self.run_dir}: resuming at round {query.round} with the {len(labels)} labels of its query")
                self._record_answer(labels, summaries, out)
            elif self.pool.rounds:
                out(f"{self.run_dir}: resuming at round {self.pool.next_round} "
                    f"with {len(self.pool.labeled_indices)} labelled samples")
            while not self.pool.complete:
                if not self._play_round(summaries, out):
                    if len(self.stop_rule.stop_set):
                        out(self.stop_rule.explain(self.pool.pending.metrics.get("stop_kappa")))
                    out(self.oracle.instructions(self.pool.pending, _resume_command(config)))  # last: what to do
                    return self.pool
        finally:
            summaries.close()
            if self.run_dir != config.run_dir:
                shutil.rmtree(self.run_dir, ignore_errors=True)  # a non-chief worker's scratch copy
        out(f"Done: {os.path.join(config.run_dir, 'results.csv')}; "
            f"TensorBoard: tensorboard --logdir {config.logdir}")
        return self.pool

    def _play_round(self, summaries: RunSummaries, out: Callable[[str], None]) -> bool:
        """Trains, evaluates, and queries; returns False when the query's labels come later."""
        played = self._begin_round()
        self._train(played, out)
        self._evaluate(played)
        stop = self.stop_rule.verdict([r.metrics for r in self.pool.rounds] + [played.metrics], len(played.labeled))
        if stop and not played.final:
            played.final = True
            out(stop)
        if not played.final:
            self._select(played)
        query = self._keep_query(played, out)
        summaries.played_round(played, self.dataset, self.config)
        self._export(played, out)
        answer = self.oracle.ask(query) if len(played.selected) else NOTHING
        if answer is None:
            return False
        self._record_answer(answer, summaries, out)
        return True

    def play_unrecorded(self, out: Callable[[str], None] = print) -> PlayedRound:
        """The next round's training, evaluation and query, without saving, logging or asking anybody:
        for studies that compare what a round would query (scripts/budget_study.py)."""
        played = self._begin_round()
        self._train(played, out)
        self._evaluate(played)
        if not played.final:
            self._select(played)
        return played

    def _begin_round(self) -> PlayedRound:
        pool = self.pool
        return PlayedRound.begin(pool.next_round, self.config, pool.labeled_indices, pool.labels, pool.unlabeled_indices)

    def _train(self, played: PlayedRound, out: Callable[[str], None]) -> None:
        """A fresh learner of the strategy's family, trained on the round's pools."""
        dataset, images = self.dataset, self.dataset.pool_images
        with played.timed("train"):
            keras.utils.set_random_seed(played.seed)
            with self.distribution.scope():
                played.learner = models.build(self.strategy.model_family, self.config, dataset.image_shape,
                                              dataset.num_classes, played.index)
            self._describe(played.learner, out)
            data = models.RoundData(images[played.labeled], played.labels, images[played.unlabeled],
                                    dataset.val_images, dataset.val_labels)
            played.history, played.metrics = played.learner.train_round(data, self.config, played.seed,
                                                                        self.progress)
        played.seconds["train"] += played.metrics.pop(models.SECONDS_BEFORE_RESUME, 0.0)  # a round resumed inside

    def _evaluate(self, played: PlayedRound) -> None:
        dataset = self.dataset
        with played.timed("evaluate"):
            played.metrics.update({f"train_{name}": values[-1] for name, values in played.history.items()})
            played.metrics["test_accuracy"] = _accuracy(played.learner, dataset.test_images, dataset.test_labels)
            played.metrics["validation_accuracy"] = _accuracy(played.learner, dataset.val_images, dataset.val_labels)
            if played.learner.reference is not None:
                played.metrics["reference_accuracy"] = _accuracy(played.learner.reference, dataset.test_images,
                                                                 dataset.test_labels)
            played.stop_predictions, kappa = self.stop_rule.measure(played.learner, dataset.pool_images,
                                                                    self.pool.stop_predictions)
            if kappa is not None:
                played.metrics["stop_kappa"] = kappa

    def _select(self, played: PlayedRound) -> None:
        """The strategy's batch, and the round model's guesses for it (the diagnostics need them)."""
        budget = min(self.config.budget, self.config.max_labeled - len(played.labeled), len(played.unlabeled))
        with played.timed("select"):
            context = strategies.SelectionContext(
                learner=played.learner, pool_images=self.dataset.pool_images, unlabeled=played.unlabeled,
                labeled=played.labeled, labels=played.labels, rng=np.random.default_rng(played.seed))
            played.selected = np.asarray(self.strategy.select(context, budget), dtype=np.int64)
        played.predicted = played.learner.predict_proba(self.dataset.pool_images[played.selected]).argmax(axis=1)

    def _keep_query(self, played: PlayedRound, out: Callable[[str], None]):
        """Saves the round's query as pending before anybody is asked, and prints the round's line."""
        query = self.pool.ask(len(played.labeled), self.strategy.name, played.metrics, played.seconds,
                              played.selected, played.predicted, precision.resolve(self.config.precision),
                              precision.kernels(), played.stop_predictions)
        self.pool.save(self.pool_path)
        kappa = played.metrics.get("stop_kappa")
        out(f"round {played.index}: labeled={len(played.labeled)} "
            f"test_acc={_accuracy_text(played.metrics['test_accuracy'])} "
            f"val_acc={_accuracy_text(played.metrics['validation_accuracy'])} "
            + (f"stop_kappa={kappa:.4f} " if kappa is not None else "") + "| "
            + " ".join(f"{phase} {s:.1f}s" for phase, s in played.seconds.items())
            + (f" | querying {len(played.selected)}" if len(played.selected) else " | final round"))
        return query

    def _export(self, played: PlayedRound, out: Callable[[str], None]) -> None:
        if not self.config.export or self.run_dir != self.config.run_dir:
            return
        start = time.perf_counter()
        path = export.export(played.learner, self.strategy, self.config.uncertainty, self.dataset.image_shape,
                             self.dataset.class_names, os.path.join(self.run_dir, "export"), played.index)
        out(f"  exported {path} ({time.perf_counter() - start:.1f}s)")

    def _record_answer(self, labels, summaries: RunSummaries, out: Callable[[str], None]) -> None:
        """Completes the pending round with the oracle's labels: the pool is saved, then logged."""
        pool, dataset = self.pool, self.dataset
        query = pool.pending
        selected, predicted = np.asarray(query.selected, np.int64), np.asarray(query.predicted, np.int64)
        labels = np.asarray(labels, np.int64)
        extra = (diagnostics.selected_batch(dataset, pool.labeled_indices, selected, labels, predicted)
                 if len(selected) else {})
        record = pool.answer(labels, extra)
        pool.save(self.pool_path)
        results.write_csv(pool.rounds, os.path.join(self.run_dir, "results.csv"))
        self.round_saved()
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


def _accuracy(learner, images: np.ndarray, labels: np.ndarray) -> float:
    """Accuracy, or NaN for an empty set (a folder data set without DIR/test)."""
    return float(np.mean(learner.predict_proba(images).argmax(axis=1) == labels)) if len(labels) else float("nan")


def _accuracy_text(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{value:.4f}"


def _resume_command(config: ExperimentConfig) -> str:
    return f"python train.py --flagfile={os.path.join(config.run_dir, 'flags.txt')} --resume"
