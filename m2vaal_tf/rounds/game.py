"""A VAAL-family round: the learners trained on the labelled set first (VAAL's and TA-VAAL's task
learner, M2-VAAL's plain reference classifier), then `vae_iterations` iterations of the VAE/D game
over endless, reshuffled labelled and unlabelled streams, the official codes' budget.

A fraction of each pool (--discriminator_holdout) is held out of D's training, drawn from the
round's seed; D's ROC AUC on it says whether D can tell labelled from unlabelled samples it has not
seen. The game keeps its state on disk every tenth of the round (`round_state.py`), so a killed run
resumes inside it with the very batches it would have read.
"""
import numpy as np

from m2vaal_tf.rounds import budget, epochs, round_state, streams
from m2vaal_tf.rounds.data import RoundResult
from m2vaal_tf.rounds.progress import IterationProgress


def train(learner, data, settings, seed: int, state_dir, progress, progress_bars) -> RoundResult:
    history = {}
    for prefix, first in learner.trained_first:  # classifiers, trained as every strategy's
        history.update({f"{prefix}{name}": values
                        for name, values in epochs.train(first, data, settings, seed, progress_bars).items()})
    metrics = {}
    rng = np.random.default_rng([seed, budget.HOLDOUT_STREAM])
    labeled_weights = budget.holdout_weights(len(data.labels), settings.discriminator_holdout, rng)
    unlabeled_weights = budget.holdout_weights(len(data.unlabeled_images), settings.discriminator_holdout, rng)
    iterations = budget.vae_iterations(len(data.labels), len(data.unlabeled_images), settings.vae_epochs,
                                       settings.vae_batch_size)
    stream = streams.generative_batches(
        data.labeled_images, data.labels, labeled_weights, data.unlabeled_images, unlabeled_weights,
        settings.vae_batch_size, learner.vae_steps + max(learner.disc_steps, 1) - 1, seed)
    heading = (f"{iterations} VAE/D iterations = ({len(data.labels)} labelled + {len(data.unlabeled_images)} "
               f"candidates) x {settings.vae_epochs} / {settings.vae_batch_size}")
    state = round_state.RoundState.for_round(state_dir, settings.precision, learner.family, data, seed, iterations)
    tracker, seconds_before = round_state.fit(
        learner, stream, iterations, state,
        lambda start, curves: IterationProgress(iterations, f"{learner.family} VAE/D", out=progress, start=start,
                                                curves=curves, enabled=progress is not None, heading=heading),
        learner.round_observers(data, iterations))
    history.update(tracker.curves)
    metrics.update({"vae_iterations": iterations, "reconstruction_loss": tracker.curves["reconstruction_loss"][-1]})
    if learner.disc_steps and labeled_weights.min() == 0 and unlabeled_weights.min() == 0:
        metrics["discriminator_auc"] = budget.held_out_auc(learner.labeled_probability, data, labeled_weights,
                                                           unlabeled_weights)
    metrics.update(learner.round_report())
    return RoundResult(history, metrics, seconds_before)
