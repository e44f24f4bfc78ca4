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
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf import atomic, data, diagnostics, distribute, export, models, oracle, results, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.summaries import RunSummaries, projector_sample


def round_seed(seed: int, round_index: int) -> int:
    """A well-mixed 31-bit seed for one round, so rounds and runs draw independent streams."""
    return int(np.random.SeedSequence([seed, round_index]).generate_state(1)[0] % (2**31 - 1))


def prepare(config: ExperimentConfig, dataset: Optional[data.Dataset] = None) -> "Experiment":
    """Loads the data and checks the config against it and against the run directory; writes nothing."""
    if dataset is None:
        dataset = data.load_dataset(config.dataset, config.data_dir, config.validation_size, config.image_size)
    if dataset.seed_indices is not None:
        config = _with_seed_set(config, dataset)
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
        pool = _initial_pool(config, dataset, settings)
    return Experiment(config, dataset, pool)


def _with_seed_set(config: ExperimentConfig, dataset: data.Dataset) -> ExperimentConfig:
    """A folder data set brings its labelled seed set: it is the initial labelled set."""
    if config.initial_classes:
        raise ConfigError(f"--initial_classes does not apply to --dataset={dataset.name}: its initial labelled "
                          "set is the images of DIR/labeled")
    if config.oracle == "simulated":
        raise ConfigError(f"--oracle=simulated answers from the data set's labels, and the unlabelled images of "
                          f"--dataset={dataset.name} have none; use --oracle=files")
    return dataclasses.replace(config, initial_labeled=len(dataset.seed_indices))


def _initial_pool(config: ExperimentConfig, dataset: data.Dataset, settings: dict) -> ActivePool:
    rng = np.random.default_rng([config.seed, 0x1417])
    if dataset.seed_indices is not None:
        labeled = dataset.seed_indices
    else:
        labeled = data.draw_initial_labeled(dataset.pool_labels, config.initial_labeled, config.initial_classes, rng)
    candidates = data.draw_unlabeled_candidates(len(dataset.pool_labels), labeled, config.pool_subsample, rng)
    return ActivePool(settings, labeled, dataset.pool_labels[labeled], candidates)


class Experiment:
    def __init__(self, config: ExperimentConfig, dataset: data.Dataset, pool: ActivePool):
        self.config = config
        self.dataset = dataset
        self.pool = pool
        self.strategy = strategies.get(config.strategy)
        self.distribution = distribute.make_strategy(config.distribute)
        self.run_dir = (config.run_dir if distribute.is_chief(config.distribute)
                        else tempfile.mkdtemp(prefix="m2vaal_tf-worker-"))
        self.oracle = oracle.make(config.oracle, dataset, os.path.join(self.run_dir, "queries"))
        self._model_described = False

    @property
    def pool_path(self) -> str:
        return ActivePool.path_in(self.run_dir)

    def run(self, flags_text: Optional[str] = None, out: Callable[[str], None] = print) -> ActivePool:
        """Plays rounds until the labelling budget or `max_rounds` is reached, or until the oracle
        answers later; returns the pool."""
        config = self.config
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
        summaries.hparams(config)
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
                    out(self.oracle.instructions(self.pool.pending, _resume_command(config)))
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
        config, dataset, pool = self.config, self.dataset, self.pool
        round_index = pool.next_round
        seed = round_seed(config.seed, round_index)
        labeled, labels, unlabeled = pool.labeled_indices, pool.labels, pool.unlabeled_indices
        seconds = {}

        start = time.perf_counter()
        keras.utils.set_random_seed(seed)
        with self.distribution.scope():
            learner = models.build(self.strategy.model_family, config, dataset.image_shape, dataset.num_classes,
                                   round_index)
        self._describe(learner, out)
        training_data = learner.training_data(dataset.pool_images[labeled], labels,
                                              dataset.pool_images[unlabeled], config.batch_size, seed)
        history = distribute.fit(learner, training_data, config.epochs, verbose=1 if config.progress else 0)
        seconds["train"] = time.perf_counter() - start

        start = time.perf_counter()
        metrics = {f"train_{name}": values[-1] for name, values in history.items()}
        metrics["test_accuracy"] = self._accuracy(learner, dataset.test_images, dataset.test_labels)
        metrics["validation_accuracy"] = self._accuracy(learner, dataset.val_images, dataset.val_labels)
        seconds["evaluate"] = time.perf_counter() - start

        final = (len(labeled) >= config.max_labeled or len(unlabeled) == 0
                 or (config.max_rounds and round_index + 1 >= config.max_rounds))
        selected, predicted = np.zeros(0, np.int64), np.zeros(0, np.int64)
        if not final:
            start = time.perf_counter()
            budget = min(config.budget, config.max_labeled - len(labeled), len(unlabeled))
            context = strategies.SelectionContext(
                learner=learner, pool_images=dataset.pool_images, unlabeled=unlabeled, labeled=labeled,
                labels=labels, rng=np.random.default_rng(seed), scoring_batch_size=config.scoring_batch_size,
                uncertainty=config.uncertainty, mc_samples=config.mc_samples)
            selected = np.asarray(self.strategy.select(context, budget), dtype=np.int64)
            seconds["select"] = time.perf_counter() - start
            predicted = learner.predict_proba(dataset.pool_images[selected], config.scoring_batch_size).argmax(axis=1)

        query = pool.ask(len(labeled), self.strategy.name, metrics, seconds, selected, predicted)
        pool.save(self.pool_path)  # the query is kept before anybody is asked
        out(f"round {round_index}: labeled={len(labeled)} test_acc={_accuracy_text(metrics['test_accuracy'])} "
            f"val_acc={_accuracy_text(metrics['validation_accuracy'])} | "
            + " ".join(f"{phase} {s:.1f}s" for phase, s in seconds.items())
            + (f" | querying {len(selected)}" if len(selected) else " | final round"))

        start = time.perf_counter()
        summaries.round_scalars(len(labeled), {
            **{f"accuracy/{split}": metrics[f"{split}_accuracy"] for split in ("test", "validation")
               if not np.isnan(metrics[f"{split}_accuracy"])},
            **{f"seconds/{phase}": s for phase, s in seconds.items()}})
        summaries.training_curves(round_index * config.epochs, history)
        figure_images, figure_labels = ((dataset.test_images, dataset.test_labels) if len(dataset.test_labels)
                                        else (dataset.val_images, dataset.val_labels))
        summaries.reconstructions(len(labeled), learner, figure_images, figure_labels, config.scoring_batch_size)
        if config.projector_every and (round_index % config.projector_every == 0 or final):
            self._project(summaries, learner, round_index, labeled, labels, unlabeled, selected, seed)
        summaries.round_scalars(len(labeled), {"seconds/summaries": time.perf_counter() - start})
        if config.export and self.run_dir == config.run_dir:
            start = time.perf_counter()
            path = export.export(learner, self.strategy, config.uncertainty, dataset.image_shape, dataset.class_names,
                                 os.path.join(self.run_dir, "export"), round_index)
            out(f"  exported {path} ({time.perf_counter() - start:.1f}s)")

        answer = self.oracle.ask(query) if len(selected) else np.zeros(0, np.int64)
        if answer is None:
            return False
        self._record_answer(answer, summaries, out)
        return True

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
        if len(selected):
            summaries.round_scalars(record.labeled, {f"selection/{k.removeprefix('selected_')}": v
                                                     for k, v in extra.items()})
            summaries.queried_batch(record.labeled, dataset.pool_images[selected], labels, predicted)
            out(f"  round {record.round}: {len(selected)} labelled by the oracle, "
                f"{extra['selected_misclassified']:.0%} of them misclassified by the round's model")

    def _describe(self, learner, out: Callable[[str], None]) -> None:
        if self._model_described:
            return
        self._model_described = True
        out(f"model {learner.name}: " + ", ".join(
            f"{layer.name} {layer.count_params():,}" for layer in learner.layers
            if isinstance(layer, keras.Model) and layer is not learner.feature_network)  # shares weights
            + f" parameters; {self.distribution.num_replicas_in_sync} replica(s)")

    def _project(self, summaries: RunSummaries, learner, round_index: int, labeled, labels, unlabeled,
                 selected, seed: int) -> None:
        """The round's latent space in the projector: the labelled set the round trained on, the
        queried batch, and a sample of the rest of the pool (drawn from its own stream, so logging
        does not change what is selected). Unlabelled samples show the data set's label, or
        "unknown" where it has none."""
        indices, status = projector_sample(labeled, selected, unlabeled, self.config.projector_samples,
                                           np.random.default_rng([seed, 0x9E0]))
        true_labels = np.concatenate([labels, self.dataset.pool_labels[indices[len(labels):]]])
        summaries.projector(round_index, learner, self.dataset.pool_images, indices, status, true_labels,
                            self.config.uncertainty, self.config.scoring_batch_size)

    def _accuracy(self, learner, images: np.ndarray, labels: np.ndarray) -> float:
        """Accuracy, or NaN for an empty set (a folder data set without DIR/test)."""
        if not len(labels):
            return float("nan")
        predictions = learner.predict_proba(images, self.config.scoring_batch_size).argmax(axis=1)
        return float(np.mean(predictions == labels))


def _accuracy_text(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{value:.4f}"


def _resume_command(config: ExperimentConfig) -> str:
    return f"python train.py --flagfile={os.path.join(config.run_dir, 'flags.txt')} --resume"
