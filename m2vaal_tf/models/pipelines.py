"""The tf.data pipelines that feed the learners: labelled batches, the endless unlabelled stream of
the generative learners, and unshuffled batches for scoring.

Images stay uint8 until a batch is formed; the cast to float is one vectorised op per batch (the
networks scale to [0, 1] themselves). The arrays are in memory, so `cache()` would add nothing.
"""
import numpy as np
import tensorflow as tf


def labeled_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Shuffled (image, label) batches for one pass over a labelled set."""
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True).prefetch(tf.data.AUTOTUNE)


def endless_image_batches(images: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    """Float image batches drawn from an endlessly repeated, reshuffled pool (the unlabelled side
    of the generative learners' two-pool batches)."""
    ds = tf.data.Dataset.from_tensor_slices(images)
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch_size)
    return ds.map(lambda x: tf.cast(x, tf.float32), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def two_pool_dataset(labeled_images, labeled_labels, unlabeled_images, batch_size: int,
                     seed: int) -> tf.data.Dataset:
    """((labelled images, labels), unlabelled images) batches. One epoch is one pass over the
    labelled set; the unlabelled pool is drawn from a reshuffled endless stream alongside."""
    labeled = labeled_dataset(labeled_images, labeled_labels, batch_size, seed)
    unlabeled = endless_image_batches(unlabeled_images, batch_size, seed + 1)
    return tf.data.Dataset.zip((labeled, unlabeled)).prefetch(tf.data.AUTOTUNE)


def image_batches(images: np.ndarray, batch_size: int) -> tf.data.Dataset:
    """Unshuffled float image batches for prediction over a pool or test set."""
    ds = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    return ds.map(lambda x: tf.cast(x, tf.float32), num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True).prefetch(tf.data.AUTOTUNE)
