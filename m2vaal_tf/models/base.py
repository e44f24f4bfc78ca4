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
    def class_logits(self, images, training):
        raise NotImplementedError

    def predict_proba(self, images: np.ndarray, batch_size: int) -> np.ndarray:
        return self.predict_in_batches(self._probabilities, images, batch_size)

    @tf.function(reduce_retracing=True)
    def _probabilities(self, images):
        return tf.nn.softmax(self.class_logits(images, training=False))

    @staticmethod
    def predict_in_batches(function, images: np.ndarray, batch_size: int) -> np.ndarray:
        return np.concatenate([function(batch).numpy() for batch in data.image_batches(images, batch_size)])
