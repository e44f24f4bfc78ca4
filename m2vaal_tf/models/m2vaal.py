"""M2-VAAL: VAAL with the classifier's softmax y' concatenated to the latent code (Kingma's M2).

One joint step minimises L_T + L_VAE (+ L_adv when `adversarial`, the seed's eq. 8; without it,
eq. 9), where the decoder reconstructs x from [z, y'] and D reads [μ, y']; then D takes its own
steps (it is trained in both variants). Because y' feeds the decoder, the unlabelled pool trains
the classifier too: `classifier_gets_vae_grad` switches that gradient path (the decoder's, through
y', on both pools); off, the classifier learns from L_T alone. L_adv never reaches the classifier
(see `AdversarialLearner.game_terms`).

y' is computed one way wherever it joins the code: with dropout off, for the decoder, for L_adv,
for D's training and for selection, so D is trained on the codes it later scores. L_T alone sees
the classifier with dropout on.

`m2_objective` says what the decoder reads beside z. `soft` (the first joint model): y' of both
pools. `kingma` (Kingma et al. 2014, M2's bounds): a labelled image is decoded with its one-hot
label, which the classifier does not produce (the labelled bound has no q(y|x)); an unlabelled one
with a Gumbel-softmax sample of y' (the relaxed form of M2's sum over y weighted by q(y|x), one
decoder pass instead of N), and its loss gains -H(y') / pixels (M2's entropy term, on the per-pixel
scale of the ELBO). In both, D reads [μ, y'] and L_T keeps weight 1 (eq. 8 / 9).

Each round also trains a plain classifier on the same labelled set (`reference`), exactly as the
classifier strategies train theirs: its accuracy (`reference_accuracy`) separates what the joint
training does to the classifier from what the selection does to the labelled set.
"""
import keras
import tensorflow as tf

from m2vaal_tf.models import joint_checkpoints, losses, task_networks
from m2vaal_tf.models.adversarial import AdversarialLearner
from m2vaal_tf.models.base import register
from m2vaal_tf.models.classifier import Classifier

ga = losses.global_average


@register
class M2VAAL(AdversarialLearner):
    """`m2vaal` follows --adversarial (eq. 8 by default); `m2vaal_noadv` is always eq. 9."""

    family = "m2vaal"
    tracked_losses = ("task_loss",) + AdversarialLearner.tracked_losses

    def __init__(self, *args, reference=None, adversarial=True, classifier_gets_vae_grad=True, objective="soft",
                 gumbel_temperature=0.67, checkpoints=0, keep_best=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.reference = reference
        self.adversarial = adversarial
        self.adversarial_weight_on = 1.0 if adversarial else 0.0
        self.classifier_gets_vae_grad = classifier_gets_vae_grad
        self.objective, self.gumbel_temperature = objective, gumbel_temperature
        self.checkpoints, self.keep_best = checkpoints, keep_best
        self.best = joint_checkpoints.BestWeights(self, self.task_network) if checkpoints else None
        if objective == "kingma":
            self.trackers["entropy"] = keras.metrics.Mean(name="entropy")  # H(y') of the unlabelled batch

    @classmethod
    def side_dim(cls, num_classes):
        return num_classes

    @classmethod
    def arguments_for_round(cls, settings, image_shape, num_classes, round_index):
        """The reference classifier first, from the round's seed as the classifier strategies'
        round model is, so that it is that model when the labelled sets agree."""
        reference = Classifier.for_round(settings, image_shape, num_classes, round_index)
        classifier = task_networks.build(settings, image_shape, num_classes)
        return dict(super().arguments_for_round(settings, image_shape, num_classes, round_index),
                    reference=reference, task_network=classifier, adversarial=cls.adversarial_objective(settings),
                    classifier_gets_vae_grad=settings.classifier_gets_vae_grad, objective=settings.m2_objective,
                    gumbel_temperature=settings.gumbel_temperature, checkpoints=settings.joint_checkpoints,
                    keep_best=settings.joint_keep_best)

    @staticmethod
    def adversarial_objective(settings) -> bool:
        return settings.adversarial

    @property
    def generative_variables(self):
        return self.task_network.trainable_variables + super().generative_variables

    def sides(self, images, first):
        """y' (dropout off) for the decoder, with the decoder's gradient into the classifier when
        switched on; D reads it detached."""
        return self._sides_from_softmax(tf.nn.softmax(self.task_network(images, training=False)))

    def _sides_from_softmax(self, softmax):
        return (softmax if self.classifier_gets_vae_grad else tf.stop_gradient(softmax)), tf.stop_gradient(softmax)

    def sides_and_task(self, images, labels, first):
        """The joint step's classifier terms from one pass of its trunk: y' (dropout off) of the whole
        batch, and L_T on the labelled part with dropout on. The presets' trunk (up to `features`) has no
        dropout, so both read the same features, and only the head (dropout, logits) runs twice; a
        user's trunk runs once, in training mode (its dropout and batch statistics on)."""
        if labels is None:
            return super().sides_and_task(images, labels, first)
        features = self.feature_network(images, training=True)
        logits = self.head(features, training=False)
        count = tf.shape(labels)[0]
        per_example = losses.cross_entropy(labels, self.head(features[:count], training=True))
        decoder_side, discriminator_side = self._sides_from_softmax(tf.nn.softmax(logits))
        task, report = ga(per_example), {"task_loss": tf.reduce_mean(per_example)}
        if self.objective == "kingma":
            unlabeled_logits = logits[count:] if self.classifier_gets_vae_grad else tf.stop_gradient(logits[count:])
            decoder_side = tf.concat([tf.one_hot(tf.cast(labels, tf.int32), tf.shape(logits)[1]),
                                      self._gumbel_softmax(unlabeled_logits)], axis=0)
            entropy = losses.entropy(unlabeled_logits)
            task -= ga(entropy) / tf.cast(tf.reduce_prod(tf.shape(images)[1:]), entropy.dtype)
            report["entropy"] = tf.reduce_mean(entropy)
        return decoder_side, discriminator_side, task, report

    def _gumbel_softmax(self, logits):
        """A relaxed one-hot sample of the class (Jang et al. 2017; Maddison et al. 2017), differentiable
        in the logits; its noise comes from the model's own seed generator."""
        uniform = keras.random.uniform(tf.shape(logits), minval=1e-6, maxval=1.0 - 1e-6, seed=self.seed_generator)
        return tf.nn.softmax((tf.nn.log_softmax(logits) - tf.math.log(-tf.math.log(uniform))) / self.gumbel_temperature)

    def build_for_training(self, image_shape):
        if self.reference is not None:
            self.reference.build_for_training(image_shape)
            self.reference.scoring_batch_size = self.scoring_batch_size
        super().build_for_training(image_shape)

    def round_observers(self, data, iterations):
        if not self.checkpoints:
            return []
        self._checkpoints = joint_checkpoints.ValidationCheckpoints(
            self, self.best, data.validation_images, data.validation_labels, self.checkpoints, iterations,
            self.vae_steps)
        return [self._checkpoints]

    def round_report(self):
        """With checkpoints, their best and last validation accuracy; with `keep_best` the best
        checkpoint's classifier is kept."""
        if self.best is None:
            return {}
        report = dict(joint_best_validation_accuracy=float(self.best.accuracy.numpy()),
                      joint_best_iteration=int(self.best.iteration.numpy()),
                      joint_last_validation_accuracy=self._checkpoints.last_accuracy)
        if self.keep_best:
            self.best.restore()
        return report

    @property
    def trained_first(self):
        return [("reference_", self.reference)] if self.reference is not None else []


@register
class M2VAALNoAdversarial(M2VAAL):
    """M2-VAAL with eq. 9 whatever --adversarial says; D is still trained and selects."""

    family = "m2vaal_noadv"

    @staticmethod
    def adversarial_objective(settings) -> bool:
        return False
