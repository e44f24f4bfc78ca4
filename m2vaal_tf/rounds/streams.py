"""The tf.data pipelines that feed training: labelled batches, and the generative learners' endless
labelled and unlabelled streams (scoring slices the arrays directly: `Learner.predict_in_batches`).

Images stay uint8 until a batch is formed; the cast to float is one vectorised op per batch (the
networks scale to [0, 1] themselves). The generative learners' stream, their hot path, stays uint8
to the end: they cast inside their compiled step, on the device, so that the pipeline's threads
only shuffle and batch (on 2 cores every pipeline thread competes with the step's own). The arrays
are in memory, so `cache()` would add nothing.

tf.data's autotuning is off, with fixed prefetch buffers instead. Its optimisation thread sleeps for
a period that doubles from 10 ms (to a minute), and an iterator's teardown waited for that thread's
next wake-up: every `fit` epoch ended on the next 10 ms x 2^k since its start. Measured here, a
19 s fit of 200 iterations took exactly 20.48 s in about half the processes (bench/train_step.py's
"slow mode": 2,501 or 1,250 images/s, to the digit); without autotuning, never.
"""
import numpy as np
import tensorflow as tf

# Elements ready ahead of the step: one being consumed, one being made.
PREFETCH = 2


def labeled_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Shuffled (image, label) batches for one pass over a labelled set."""
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return _fixed(ds.map(lambda x, y: (tf.cast(x, tf.float32), y)))


def generative_batches(labeled_images, labeled_labels, labeled_weights, unlabeled_images, unlabeled_weights,
                       batch_size: int, pairs_per_iteration: int, seed: int) -> tf.data.Dataset:
    """The VAAL family's input: endless, reshuffled labelled and unlabelled streams, as official
    VAAL and TA-VAAL read them (`read_data`: a generator that restarts the DataLoader forever).

    One element is one iteration: a tuple of `pairs_per_iteration` pairs
    ((images, labels, weights), (images, weights)), each batch of `batch_size`, images as stored
    (uint8); official VAAL draws a new pair for each VAE step after the first (solver.py:104-107).
    The weights are 1, or 0 for the samples held out from D's training (its separability is
    measured on them)."""
    labeled = tf.data.Dataset.from_tensor_slices((labeled_images, labeled_labels, labeled_weights))
    labeled = labeled.shuffle(len(labeled_images), seed=seed, reshuffle_each_iteration=True).repeat()
    unlabeled = tf.data.Dataset.from_tensor_slices((unlabeled_images, unlabeled_weights))
    unlabeled = unlabeled.shuffle(len(unlabeled_images), seed=seed + 1, reshuffle_each_iteration=True).repeat()
    pairs = tf.data.Dataset.zip((labeled.batch(batch_size), unlabeled.batch(batch_size)))
    if pairs_per_iteration > 1:  # K consecutive pairs as a K-tuple, each keeping its batch dimension first
        pairs = pairs.batch(pairs_per_iteration).map(
            lambda labeled_k, unlabeled_k: tuple(tf.nest.map_structure(lambda t: t[k], (labeled_k, unlabeled_k))
                                                 for k in range(pairs_per_iteration)))
    else:
        pairs = pairs.map(lambda labeled_batch, unlabeled_batch: ((labeled_batch, unlabeled_batch),))
    return _fixed(pairs)


def _fixed(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """`dataset` prefetched by a fixed buffer of two elements, with tf.data's autotuning off."""
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.prefetch(PREFETCH).with_options(options)

