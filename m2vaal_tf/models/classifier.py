"""The plain task learner r_γ: cross-entropy on the labelled pool (the seed's L_T, eq. 4).

Follows the keras-io custom `train_step` pattern: one `keras.metrics.Mean` per loss, listed in
`metrics`, returned by `train_step`.
"""
import keras
import tensorflow as tf

from m2vaal_tf.models import losses, networks, pipelines
from m2vaal_tf.models.base import Learner, register


@register
class Classifier(Learner):
    family = "classifier"

    def __init__(self, network: keras.Model, **kwargs):
        super().__init__(network, **kwargs)
        self.network = network
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")

    @classmethod
    def from_config(cls, config, image_shape, num_classes, round_index):
        """Adam at --learning_rate."""
        model = cls(networks.build_classifier(image_shape, num_classes, cls.size(config)), name="classifier_learner")
        model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
        return model

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def build_for_training(self, image_shape):
        self(tf.zeros((1, *image_shape)))
        self.optimizer.build(self.trainable_variables)

    def call(self, images, training=False):
        return self.network(images, training=training)

    def class_logits(self, images, training):
        return self.network(images, training=training)

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

    @staticmethod
    def training_data(labeled_images, labeled_labels, unlabeled_images, batch_size: int, seed: int):
        """The plain classifier learns from the labelled pool only."""
        del unlabeled_images
        return pipelines.labeled_dataset(labeled_images, labeled_labels, batch_size, seed)
