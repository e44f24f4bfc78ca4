"""The active-learning round loop: train -> evaluate -> score the pool -> select -> oracle -> save.

`prepare` loads and checks everything and writes nothing, so a bad flag or file costs no state;
`Experiment.run` then creates the run directory and plays the rounds. After each round the pool
is saved atomically before anything else is logged: a run killed at any moment resumes from its
last completed round and, with every round seeded from (seed, round), reaches the same labelled
set as an uninterrupted run.
"""
import os
import shutil
import tempfile
import time
from typing import Callable, Optional

import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf import atomic, data, diagnostics, distribute, models, results, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.oracle import SimulatedOracle
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.summaries import RunSummaries, projector_sample


def round_seed(seed: int, round_index: int) -> int:
    """A well-mixed 31-bit seed for one round, so rounds and runs draw independent streams."""
    return int(np.random.SeedSequence([seed, round_index]).generate_state(1)[0] % (2**31 - 1))


def prepare(config: ExperimentConfig, dataset: Optional[data.Dataset] = None) -> "Experiment":
    """Loads the data and checks the config against it and against the run directory; writes nothing."""
    if dataset is None:
        dataset = data.load_dataset(config.dataset, config.data_dir, config.validation_size)
    config.check_against_data(dataset.num_classes, len(dataset.pool_labels))
    pool_path = ActivePool.path_in(config.run_dir)
    if os.path.exists(pool_path):
        if not config.resume:
            raise ConfigError(f"--run_name={config.resolved_run_name}: {config.run_dir} already holds a run; "
                              "pass --resume to continue it or choose another --run_name")
        pool = ActivePool.load(pool_path, config.pool_settings())
    else:
        if os.path.isdir(config.run_dir) and os.listdir(config.run_dir):
            raise ConfigError(f"--run_name={config.resolved_run_name}: {config.run_dir} exists and is not "
                              "an m2vaal_tf run (no pool.json); choose another --run_name or --logdir")
        pool = _initial_pool(config, dataset)
    return Experiment(config, dataset, pool)


def _initial_pool(config: ExperimentConfig, dataset: data.Dataset) -> ActivePool:
    rng = np.random.default_rng([config.seed, 0x1417])
    labeled = data.draw_initial_labeled(dataset.pool_labels, config.initial_labeled, config.initial_classes, rng)
    candidates = data.draw_unlabeled_candidates(len(dataset.pool_labels), labeled, config.pool_subsample, rng)
    labels = SimulatedOracle(dataset.pool_labels).label(labeled)
    return ActivePool(config.pool_settings(), labeled, labels, candidates)


class Experiment:
    def __init__(self, config: ExperimentConfig, dataset: data.Dataset, pool: ActivePool):
        self.config = config
        self.dataset = dataset
        self.pool = pool
        self.strategy = strategies.get(config.strategy)
        self.oracle = SimulatedOracle(dataset.pool_labels)
        self.distribution = distribute.make_strategy(config.distribute)
        self.run_dir = (config.run_dir if distribute.is_chief(config.distribute)
                        else tempfile.mkdtemp(prefix="m2vaal_tf-worker-"))
        self._model_described = False

    @property
    def pool_path(self) -> str:
        return ActivePool.path_in(self.run_dir)

    def run(self, flags_text: Optional[str] = None, out: Callable[[str], None] = print) -> ActivePool:
        """Plays rounds until the labelling budget or `max_rounds` is reached; returns the pool."""
        config = self.config
        os.makedirs(self.run_dir, exist_ok=True)
        if flags_text is not None:
            atomic.write_text(os.path.join(self.run_dir, "flags.txt"), flags_text)
        if not os.path.exists(self.pool_path):
            self.pool.save(self.pool_path)  # The initial labels are kept before any training.
        if self.pool.complete:
            out(f"{self.run_dir}: the run is already complete ({len(self.pool.rounds)} rounds); nothing to do")
            return self.pool
        if self.pool.rounds:
            out(f"{self.run_dir}: resuming at round {self.pool.next_round} "
                f"with {len(self.pool.labeled_indices)} labelled samples")
        tf.config.experimental.enable_op_determinism()
        summaries = RunSummaries(self.run_dir, self.dataset.class_names)
        summaries.hparams(config)
        try:
            while not self.pool.complete:
                self._play_round(summaries, out)
        finally:
            summaries.close()
            if self.run_dir != config.run_dir:
                shutil.rmtree(self.run_dir, ignore_errors=True)  # a non-chief worker's scratch copy
        out(f"Done: {os.path.join(config.run_dir, 'results.csv')}; "
            f"TensorBoard: tensorboard --logdir {config.logdir}")
        return self.pool

    def _play_round(self, summaries: RunSummaries, out: Callable[[str], None]) -> None:
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
        if not self._model_described:
            self._model_described = True
            out(f"model {learner.name}: " + ", ".join(
                f"{layer.name} {layer.count_params():,}" for layer in learner.layers
                if isinstance(layer, keras.Model) and layer is not learner.feature_network)  # shares weights
                + f" parameters; {self.distribution.num_replicas_in_sync} replica(s)")
        training_data = learner.training_data(dataset.pool_images[labeled], labels,
                                              dataset.pool_images[unlabeled], config.batch_size, seed)
        history = distribute.fit(learner, training_data, config.epochs, verbose=1 if config.progress else 0)
        seconds["train"] = time.perf_counter() - start

        start = time.perf_counter()
        metrics = {f"train_{name}": values[-1] for name, values in history.items()}
        metrics["test_accuracy"] = self._accuracy(learner, dataset.test_images, dataset.test_labels)
        metrics["validation_accuracy"] = self._accuracy(learner, dataset.val_images, dataset.val_labels)
        seconds["evaluate"] = time.perf_counter() - start

        selected, new_labels = [], []
        final = (len(labeled) >= config.max_labeled or len(unlabeled) == 0
                 or (config.max_rounds and round_index + 1 >= config.max_rounds))
        if not final:
            start = time.perf_counter()
            budget = min(config.budget, config.max_labeled - len(labeled), len(unlabeled))
            context = strategies.SelectionContext(
                learner=learner, pool_images=dataset.pool_images, unlabeled=unlabeled, labeled=labeled,
                labels=labels, rng=np.random.default_rng(seed), scoring_batch_size=config.scoring_batch_size,
                uncertainty=config.uncertainty, mc_samples=config.mc_samples)
            selected = self.strategy.select(context, budget)
            seconds["select"] = time.perf_counter() - start
            new_labels = self.oracle.label(selected)
            metrics.update(diagnostics.selected_batch(learner, dataset, labeled, selected, new_labels,
                                                      config.scoring_batch_size))

        record = pool.record_round(len(labeled), self.strategy.name, metrics, seconds, selected, new_labels)
        pool.save(self.pool_path)
        results.write_csv(pool.rounds, os.path.join(self.run_dir, "results.csv"))

        start = time.perf_counter()
        summaries.round_scalars(record.labeled, {
            "accuracy/test": metrics["test_accuracy"], "accuracy/validation": metrics["validation_accuracy"],
            **{f"selection/{k.removeprefix('selected_')}": v for k, v in metrics.items() if k.startswith("selected_")},
            **{f"seconds/{phase}": s for phase, s in seconds.items()}})
        summaries.training_curves(round_index * config.epochs, history)
        summaries.reconstructions(record.labeled, learner, dataset.test_images, dataset.test_labels,
                                  config.scoring_batch_size)
        if len(selected):
            summaries.queried_batch(record.labeled, dataset.pool_images[selected], new_labels,
                                    learner.predict_proba(dataset.pool_images[selected], config.scoring_batch_size)
                                    .argmax(axis=1))
        if config.projector_every and (round_index % config.projector_every == 0 or final):
            self._project(summaries, learner, round_index, labeled, labels, unlabeled, selected, new_labels, seed)
        seconds["summaries"] = time.perf_counter() - start
        summaries.round_scalars(record.labeled, {"seconds/summaries": seconds["summaries"]})

        out(f"round {round_index}: labeled={record.labeled} test_acc={metrics['test_accuracy']:.4f} "
            f"val_acc={metrics['validation_accuracy']:.4f} | "
            + " ".join(f"{phase} {s:.1f}s" for phase, s in seconds.items())
            + (f" | queried {len(selected)}, {metrics['selected_misclassified']:.0%} misclassified"
               if len(selected) else " | final round"))

    def _project(self, summaries: RunSummaries, learner, round_index: int, labeled, labels, unlabeled,
                 selected, selected_labels, seed: int) -> None:
        """The round's latent space in the projector: the labelled set the round trained on, the
        queried batch, and a sample of the rest of the pool (drawn from its own stream, so logging
        does not change what is selected)."""
        indices, status = projector_sample(labeled, np.asarray(selected, dtype=np.int64), unlabeled,
                                           self.config.projector_samples, np.random.default_rng([seed, 0x9E0]))
        true_labels = np.concatenate([labels, selected_labels, self.dataset.pool_labels[indices[len(labels) + len(
            selected):]]]).astype(np.int64)
        summaries.projector(round_index, learner, self.dataset.pool_images, indices, status, true_labels,
                            self.config.uncertainty, self.config.scoring_batch_size)

    def _accuracy(self, learner, images: np.ndarray, labels: np.ndarray) -> float:
        predictions = learner.predict_proba(images, self.config.scoring_batch_size).argmax(axis=1)
        return float(np.mean(predictions == labels))
