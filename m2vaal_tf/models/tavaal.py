"""TA-VAAL (Kim et al. 2020): VAAL made task-aware by a loss-prediction module (ranker).

After cubeyoung/TA-VAAL, in its two phases per round:
  1. the task learner with the ranker (`RankedClassifier`): cross-entropy plus the ranking loss
     (weight 1; train_test.py:10-28, 104-106), the ranker's gradient reaching the backbone until
     EPOCHL = 120 of EPOCH = 200 epochs (config.py; train_test.py:95-100), here the same fraction of
     --epochs; the backbone otherwise trained as every strategy's (`--task_recipe`);
  2. the VAE and D with the task learner frozen (selection_methods.py:49-170): r joins the code, as
     sigmoid(r) for the decoder and raw r for D; r ~ U(0, 1) in the first iteration of the round
     only (:85-101), the trained ranker's r at every later iteration and at selection (:336-345);
     one VAE and one D step per iteration; TA-VAAL's own VAE loss (KL averaged, :42-47).
"""
import keras
import tensorflow as tf

from m2vaal_tf.models import losses, networks, task_networks
from m2vaal_tf.models.base import register
from m2vaal_tf.models.classifier import Classifier, task_optimizer
from m2vaal_tf.models.vaal import TaskLearnerBeside

RANKER_ATTACHED_FRACTION = 120 / 200  # EPOCHL / EPOCH of cubeyoung/TA-VAAL config.py
RANKING_WEIGHT = 1.0  # WEIGHT


class RankedClassifier(Classifier):
    """The classifier with its loss-prediction module, trained together."""

    def __init__(self, network, taps, ranker, attached_epochs: int, **kwargs):
        super().__init__(network, **kwargs)
        self.taps, self.ranker = taps, ranker
        self.attached_epochs = attached_epochs
        self.ranking_tracker = keras.metrics.Mean(name="ranking_loss")
        self.taps_detached = tf.Variable(False, trainable=False, name="taps_detached")

    @classmethod
    def for_round(cls, settings, image_shape, num_classes, round_index):
        network = task_networks.build(settings, image_shape, num_classes)
        features = task_networks.penultimate(network, settings.model_features_layer)
        taps, ranker = networks.build_ranker(network, features, cls.size(settings))
        model = cls(network, taps, ranker, attached_epochs=int(RANKER_ATTACHED_FRACTION * settings.epochs),
                    recipe=settings.task_recipe, features_layer=settings.model_features_layer,
                    name="ranked_classifier")
        model.compile(optimizer=task_optimizer(settings), jit_compile=settings.jit_compile)
        return model

    @property
    def metrics(self):
        return super().metrics + [self.ranking_tracker]

    def call(self, images, training=False):
        *tap_values, logits = self.taps(images, training=training)
        return logits, self.ranker(tap_values, training=training)

    def score(self, images):
        """The ranker's predicted loss r (dropout off)."""
        return self(images, training=False)[1]

    def train_step(self, batch):
        images, labels = batch
        with tf.GradientTape() as tape:
            *tap_values, logits = self.taps(images, training=True)
            cross_entropy = losses.cross_entropy(labels, logits)
            tap_values = [tf.where(self.taps_detached, tf.stop_gradient(t), t) for t in tap_values]
            ranking = losses.loss_prediction_ranking(self.ranker(tap_values, training=True), cross_entropy)
            loss = losses.global_average(cross_entropy) + RANKING_WEIGHT * losses.global_average(ranking)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        self.loss_tracker.update_state(cross_entropy)
        self.accuracy_tracker.update_state(labels, logits)
        self.ranking_tracker.update_state(ranking)
        return {m.name: m.result() for m in self.metrics}

    def round_callbacks(self, data, settings):
        detach = keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs=None: self.taps_detached.assign(epoch > self.attached_epochs))
        return super().round_callbacks(data, settings) + [detach]


@register
class TAVAAL(TaskLearnerBeside):
    family = "tavaal"
    task_learner_class = RankedClassifier
    default_vae_loss = "tavaal"

    @classmethod
    def side_dim(cls, num_classes):
        return 1

    def sides(self, images, first):
        """(sigmoid(r), r) from the frozen ranker; one U(0, 1) draw for both in the first iteration."""
        if isinstance(first, bool) and not first:  # selection, export, summaries: always the ranker
            r = tf.stop_gradient(self.task_learner.score(images))
            return tf.sigmoid(r), r
        random = keras.random.uniform((tf.shape(images)[0], 1), seed=self.seed_generator)
        r = tf.stop_gradient(self.task_learner.score(images))
        drawn = tf.cast(first, r.dtype)
        return drawn * random + (1 - drawn) * tf.sigmoid(r), drawn * random + (1 - drawn) * r
