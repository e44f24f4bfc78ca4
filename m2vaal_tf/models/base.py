"""What every learner shares: class probabilities computed in batches by a compiled function.

Keras' own `predict` loop is bypassed on purpose: it does not run under MultiWorkerMirroredStrategy
in Keras 3 (keras-team/keras#20585), while a plain tf.function over the (mirrored) variables runs
under every strategy and is as fast on one device.
"""
import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf import data


class Learner(keras.Model):
    """`task_network` is the functional classifier whose `features` layer is the penultimate one."""

    def __init__(self, task_network: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.feature_network = keras.Model(task_network.input, task_network.get_layer("features").output,
                                           name="penultimate_features")

    def class_logits(self, images, training):
        raise NotImplementedError

    # Graph functions of an image batch (raw pixel values, any batch size): what the numpy methods
    # below run batch by batch, and what an exported SavedModel serves (`export.py`).

    @tf.function(reduce_retracing=True)
    def probabilities(self, images):
        """Class probabilities."""
        return tf.nn.softmax(self.class_logits(images, training=False))

    @tf.function(reduce_retracing=True)
    def code(self, images):
        """The space the diversity strategies measure distances in: here the classifier's
        penultimate features (k-center coreset); the VAAL family overrides it with its latent code."""
        return self.feature_network(images, training=False)

    @tf.function(reduce_retracing=True)
    def _dropout_probabilities(self, images):
        return tf.nn.softmax(self.class_logits(images, training=True))

    # numpy in, numpy out, in batches

    def predict_proba(self, images: np.ndarray, batch_size: int) -> np.ndarray:
        return self.predict_in_batches(self.probabilities, images, batch_size)

    def embed(self, images: np.ndarray, batch_size: int) -> np.ndarray:
        return self.predict_in_batches(self.code, images, batch_size)

    def sample_probabilities(self, images: np.ndarray, batch_size: int, samples: int) -> np.ndarray:
        """[samples, N, classes] probabilities with dropout on (Monte-Carlo dropout, for BALD)."""
        return np.stack([self.predict_in_batches(self._dropout_probabilities, images, batch_size)
                         for _ in range(samples)])

    @staticmethod
    def predict_in_batches(function, images: np.ndarray, batch_size: int) -> np.ndarray:
        """`function` over the images batch by batch, traced once per learner for any number of
        images: its graph is made for the pipeline's spec, whose batch dimension is open."""
        batches = data.image_batches(images, batch_size)
        graph = function.get_concrete_function(batches.element_spec)
        return np.concatenate([graph(batch).numpy() for batch in batches])
