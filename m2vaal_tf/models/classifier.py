"""The plain task learner r_γ: cross-entropy on the labelled pool (the seed's L_T, eq. 4), trained
the same way for every strategy that has one (`--task_recipe`), so that a round's model differs
between strategies only by the labels they bought.

  plain  Adam at --learning_rate for --epochs passes over the labelled set
  vaal   official VAAL's task learner (sinhasam/vaal solver.py:45, 61-63, 159-165): SGD 0.01,
         momentum 0.9, weight decay 5e-4, the learning rate divided by 10 at each quarter (here of
         the epochs; the official code counts iterations), and the epoch best on validation kept

Follows the keras-io custom `train_step` pattern: one `keras.metrics.Mean` per loss, listed in
`metrics`, returned by `train_step`.
"""
import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf.models import losses, task_networks
from m2vaal_tf.models.base import Learner, register

VAAL_TASK_LR = 0.01


@register
class Classifier(Learner):
    family = "classifier"

    def __init__(self, network: keras.Model, recipe: str = "plain", **kwargs):
        super().__init__(network, **kwargs)
        self.recipe = recipe
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @classmethod
    def for_round(cls, settings, image_shape, num_classes, round_index):
        model = cls(task_networks.build(settings, image_shape, num_classes), recipe=settings.task_recipe,
                    features_layer=settings.model_features_layer, name="classifier_learner")
        model.compile(optimizer=task_optimizer(settings), jit_compile=settings.jit_compile)
        return model

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def build_for_training(self, image_shape):
        self(tf.zeros((1, *image_shape)))
        self.optimizer.build(self.trainable_variables)

    def call(self, images, training=False):
        return self.task_network(images, training=training)

    def class_logits(self, images, training):
        return self.task_network(images, training=training)

    def train_step(self, batch):
        images, labels = batch
        with tf.GradientTape() as tape:
            logits = self(images, training=True)
            per_example = losses.cross_entropy(labels, logits)
            loss = losses.global_average(per_example)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(per_example)
        self.accuracy_tracker.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}

    def round_callbacks(self, data, settings):
        """The recipe's callbacks for one round (`rounds/epochs.py` trains it: --epochs passes of
        --batch_size over the labelled set)."""
        if self.recipe != "vaal":
            return []
        quarter = max(1, -(-settings.epochs // 4))
        return [keras.callbacks.LearningRateScheduler(lambda epoch: VAAL_TASK_LR * 0.1 ** min(3, epoch // quarter)),
                BestOnValidation(data.validation_images, data.validation_labels)]


def task_optimizer(settings):
    if settings.task_recipe == "vaal":
        return keras.optimizers.SGD(VAAL_TASK_LR, momentum=0.9, weight_decay=5e-4)
    return keras.optimizers.Adam(settings.learning_rate)


class BestOnValidation(keras.callbacks.Callback):
    """Keeps the weights of the epoch with the best validation accuracy (official VAAL keeps its
    best task model, checked every 1,000 iterations) and restores them when training ends."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        super().__init__()
        self.images, self.labels = images, labels
        self.best_accuracy, self.best_weights = -1.0, None

    def on_epoch_end(self, epoch, logs=None):
        if not len(self.labels):
            return
        accuracy = float(np.mean(self.model.predict_proba(self.images).argmax(axis=1) == self.labels))
        if accuracy > self.best_accuracy:
            self.best_accuracy, self.best_weights = accuracy, self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
