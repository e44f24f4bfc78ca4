"""TensorBoard output of a run, all under the run directory (`logs/<run>/`).

  scalars     accuracy/*, selection/*, seconds/* per round, with the labelled count as the step,
              so learning curves of different strategies and protocols line up on one axis;
              train/<loss> per epoch of every round (step = epochs trained so far in the run)
  images      images/reconstructions (the seed's Figure 3: fixed test images and their VAE
              reconstructions) and images/queried (the batch sent to the oracle), every round
  hparams     the run's settings, with the final accuracies as metrics, so runs compare in a table
  projector   the latent space each round (see `projector.py`), in `<run>/projector/`

One file writer for the run directory, and one for the projector's directory (TensorBoard lists a
projector only where an event file is).
"""
import os
import time

import numpy as np
import tensorflow as tf
from tensorboard.plugins.hparams import api as hparams_api

from m2vaal_tf.models import DISCRIMINATE, RECONSTRUCT
from m2vaal_tf.reporting import image_grid, projector
from m2vaal_tf.strategies import uncertainty

HPARAMS_METRICS = {"accuracy/test": "test accuracy", "accuracy/validation": "validation accuracy",
                   "selection/misclassified": "queried misclassified"}
FIGURE_SAMPLES_PER_CLASS = 3
# What the VAAL family reports per round (`rounds/game.py`).
GENERATIVE_SCALARS = ("vae_iterations", "discriminator_auc", "reconstruction_loss")


class RunSummaries:
    def __init__(self, run_dir: str, class_names):
        self.run_dir = run_dir
        self.class_names = tuple(class_names)
        self._writer = tf.summary.create_file_writer(run_dir)
        self._projector_writer = None
        self._curve_steps = {}

    @property
    def projector_dir(self) -> str:
        return os.path.join(self.run_dir, projector.DIRECTORY)

    def hparams(self, settings: dict, trial_id: str) -> None:
        """The run's settings (those whose role is `hparam`) for the HParams dashboard; its metrics
        are the last values of the per-round scalars, i.e. the final round's. Every run writes the
        same table layout."""
        values = {name: _hparam_value(value) for name, value in settings.items()}
        with self._writer.as_default():
            hparams_api.hparams_config(
                hparams=[hparams_api.HParam(name, _hparam_domain(value)) for name, value in values.items()],
                metrics=[hparams_api.Metric(tag, display_name=name) for tag, name in HPARAMS_METRICS.items()])
            hparams_api.hparams(values, trial_id=trial_id)
        self._writer.flush()

    def played_round(self, played, dataset, config) -> None:
        """A played round (`played_round.PlayedRound`): accuracies and timings, training curves,
        reconstructions and, every --projector_every rounds and in the final one, the projector."""
        labeled = len(played.labeled)
        start = time.perf_counter()
        self.round_scalars(labeled, {
            **{f"accuracy/{split}": played.metrics[f"{split}_accuracy"] for split in ("test", "validation", "reference")
               if f"{split}_accuracy" in played.metrics and not np.isnan(played.metrics[f"{split}_accuracy"])},
            **{f"generative/{name}": played.metrics[name] for name in GENERATIVE_SCALARS if name in played.metrics},
            **({"stopping/kappa": played.metrics["stop_kappa"]} if "stop_kappa" in played.metrics else {}),
            **{f"seconds/{phase}": s for phase, s in played.seconds.items()}})
        self.training_curves(played.history)
        figure_images, figure_labels = ((dataset.test_images, dataset.test_labels) if len(dataset.test_labels)
                                        else (dataset.val_images, dataset.val_labels))
        self.reconstructions(labeled, played.learner, figure_images, figure_labels)
        if config.projector_every and (played.index % config.projector_every == 0 or played.final):
            # The labelled set, the queried batch, and a sample of the rest of the pool, drawn from its
            # own stream so that logging does not change what is selected.
            indices, status = projector_sample(played.labeled, played.selected, played.unlabeled,
                                               config.projector_samples, np.random.default_rng([played.seed, 0x9E0]))
            true_labels = np.concatenate([played.labels, dataset.pool_labels[indices[len(played.labels):]]])
            self.projector(played.index, played.learner, dataset.pool_images, indices, status, true_labels,
                           config.uncertainty)
        self.round_scalars(labeled, {"seconds/summaries": time.perf_counter() - start})

    def round_scalars(self, labeled: int, scalars: dict) -> None:
        with self._writer.as_default(step=labeled):
            for name, value in scalars.items():
                tf.summary.scalar(name, value)
        self._writer.flush()

    def training_curves(self, history: dict) -> None:
        """The `train_step` metrics (every model's losses) of one round: per epoch for the task
        learners, per stretch of iterations for the VAE / D phase. Each tag's steps continue from
        the previous round's, so the rounds follow each other on one axis."""
        with self._writer.as_default():
            for name, values in history.items():
                start = self._curve_steps.get(name, 0)
                for offset, value in enumerate(values):
                    tf.summary.scalar(f"train/{name}", value, step=start + offset + 1)
                self._curve_steps[name] = start + len(values)
        self._writer.flush()

    def reconstructions(self, labeled: int, learner, images: np.ndarray, labels: np.ndarray) -> None:
        """The seed's Figure 3 on fixed test images: each row of inputs (framed green when the
        round's classifier is right, red when wrong) above its reconstructions. Learners without a
        VAE have nothing to show."""
        if not learner.can(RECONSTRUCT):
            return
        chosen = _examples_per_class(labels, len(self.class_names), FIGURE_SAMPLES_PER_CLASS)
        inputs, truth = images[chosen], labels[chosen]
        predicted = learner.predict_proba(inputs).argmax(axis=1)
        outputs = learner.reconstruct(inputs)
        columns = min(len(self.class_names), 10)
        tiles, colors = [], []
        for start in range(0, len(chosen), columns):
            row = slice(start, start + columns)
            blanks = columns - len(inputs[row])
            blank = np.zeros((blanks, *inputs.shape[1:]), np.uint8)
            tiles += [inputs[row], blank, outputs[row], blank]
            colors += (_correctness_colors(predicted[row], truth[row]) + [(0, 0, 0)] * blanks
                       + [image_grid.GREY] * len(outputs[row]) + [(0, 0, 0)] * blanks)
        sheet = image_grid.contact_sheet(np.concatenate(tiles), columns, colors)
        wrong = [f"{self.label_name(t)} taken for {self.label_name(p)}" for t, p in zip(truth, predicted) if t != p]
        description = (
            f"Rows of {columns} test images (framed green where the round's classifier is right, red where it "
            f"is wrong), each above its reconstruction decoded from the latent code of `{learner.name}`. "
            f"{len(wrong)} of {len(chosen)} misclassified" + (": " + "; ".join(wrong) if wrong else "") + ".")
        self._image("images/reconstructions", sheet, labeled, description)

    def queried_batch(self, labeled: int, images: np.ndarray, oracle_labels: np.ndarray,
                      predicted: np.ndarray) -> None:
        """The batch sent to the oracle, in selection order, framed red where the round's
        classifier disagrees with the oracle's label."""
        columns = int(np.ceil(np.sqrt(len(images))))
        sheet = image_grid.contact_sheet(images, columns, _correctness_colors(predicted, oracle_labels))
        counts = np.bincount(oracle_labels, minlength=len(self.class_names))
        description = (
            f"{len(images)} images queried with {labeled} labelled, most wanted first; red frame: the round's "
            f"classifier disagrees with the oracle ({np.mean(predicted != oracle_labels):.0%}). Classes: "
            + ", ".join(f"{self.label_name(c)} {n}" for c, n in enumerate(counts) if n) + ".")
        self._image("images/queried", sheet, labeled, description)

    def projector(self, round_index: int, learner, pool_images: np.ndarray, indices: np.ndarray,
                  status: np.ndarray, true_labels: np.ndarray, uncertainty_measure: str) -> None:
        """The round's embedding of the pool samples `indices`, with their status (labeled,
        selected, unlabeled), true and predicted labels, uncertainty and, for learners with a
        discriminator, its probability that the sample is labelled."""
        images = pool_images[indices]
        vectors = learner.embed(images)
        probabilities = learner.predict_proba(images)
        header = ["pool_index", "true_label", "predicted_label", "status", f"uncertainty_{uncertainty_measure}"]
        columns = [indices, [self.label_name(c) for c in true_labels],
                   [self.label_name(c) for c in probabilities.argmax(axis=1)], status,
                   uncertainty.weight(uncertainty_measure, probabilities)]
        if learner.can(DISCRIMINATE):
            header.append("discriminator_labeled_probability")
            columns.append(learner.labeled_probability(images))
        if self._projector_writer is None:
            self._projector_writer = tf.summary.create_file_writer(self.projector_dir)
            self._projector_writer.flush()
        projector.write_round(self.projector_dir, round_index, vectors, header, list(zip(*columns)), images)

    def label_name(self, label) -> str:
        """A class name, or "unknown" for a label the data set does not give (-1)."""
        return self.class_names[label] if 0 <= label < len(self.class_names) else "unknown"

    def _image(self, tag: str, sheet: np.ndarray, step: int, description: str) -> None:
        with self._writer.as_default(step=step):
            tf.summary.image(tag, sheet[np.newaxis], description=description)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
        if self._projector_writer is not None:
            self._projector_writer.close()


def projector_sample(labeled: np.ndarray, selected: np.ndarray, unlabeled: np.ndarray, samples: int,
                     rng: np.random.Generator):
    """The pool samples a round projects: the whole labelled set, the selected batch, and a random
    sample of the rest of the unlabelled pool, `samples` unlabelled in all (at least the batch).
    Returns (indices, status)."""
    rest = np.setdiff1d(unlabeled, selected)
    drawn = np.sort(rng.choice(rest, size=min(len(rest), max(0, samples - len(selected))), replace=False))
    indices = np.concatenate([labeled, selected, drawn]).astype(np.int64)
    status = np.array(["labeled"] * len(labeled) + ["selected"] * len(selected) + ["unlabeled"] * len(drawn))
    return indices, status


def _examples_per_class(labels: np.ndarray, num_classes: int, per_class: int) -> np.ndarray:
    """The first `per_class` examples of each class, ordered so that row r holds every class's
    r-th example."""
    firsts = [np.flatnonzero(labels == c)[:per_class] for c in range(num_classes)]
    return np.array([f[r] for r in range(per_class) for f in firsts if r < len(f)], dtype=np.int64)


def _correctness_colors(predicted, truth):
    return [image_grid.GREEN if p == t else image_grid.RED for p, t in zip(predicted, truth)]


def _hparam_domain(value):
    """A domain that gives the column its type (the dashboard's filters depend on it) and holds
    any value another run may have; strings get none, since a discrete domain would hide other runs'."""
    if isinstance(value, bool):
        return hparams_api.Discrete([False, True])
    if isinstance(value, int):
        return hparams_api.IntInterval(-2**31, 2**31 - 1)
    if isinstance(value, float):
        return hparams_api.RealInterval(-1e30, 1e30)
    return None


def _hparam_value(value):
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)
