"""M2-VAAL: VAAL with the classifier's softmax y' concatenated to the latent code (Kingma's M2).

One joint step minimises L_T + L_VAE (+ L_adv when `adversarial`, the seed's eq. 8; without it,
eq. 9), where the decoder reconstructs x from [z, y'] and D reads [μ, y']; then D takes its own
steps (it is trained in both variants). Because y' feeds the decoder, the unlabelled pool trains
the classifier too: `classifier_gets_vae_grad` switches that gradient path (the decoder's, through
y', on both pools); off, the classifier learns from L_T alone. L_adv never reaches the classifier
(see `AdversarialLearner.adversarial_terms`).
"""
import tensorflow as tf

from m2vaal_tf.models import losses
from m2vaal_tf.models.adversarial import AdversarialLearner
from m2vaal_tf.models.base import register

ga = losses.global_average


@register
class M2VAAL(AdversarialLearner):
    """`m2vaal` follows --adversarial (eq. 8 by default); `m2vaal_noadv` is always eq. 9."""

    family = "m2vaal"

    def __init__(self, *args, adversarial=True, classifier_gets_vae_grad=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.adversarial = adversarial
        self.classifier_gets_vae_grad = classifier_gets_vae_grad

    @classmethod
    def side_dim(cls, num_classes):
        return num_classes

    @classmethod
    def arguments_from_config(cls, config, image_shape, num_classes, round_index):
        return dict(super().arguments_from_config(config, image_shape, num_classes, round_index),
                    adversarial=cls.adversarial_objective(config),
                    classifier_gets_vae_grad=config.classifier_gets_vae_grad)

    @staticmethod
    def adversarial_objective(config) -> bool:
        return config.adversarial

    def side_information(self, images, training):
        return self._softmax_code(self.classifier(images, training=training))

    def _softmax_code(self, logits):
        probabilities = tf.nn.softmax(logits)
        return probabilities if self.classifier_gets_vae_grad else tf.stop_gradient(probabilities)

    def compute_losses(self, labeled_images, labels, unlabeled_images, training=True):
        """Per-example terms of the joint objective (eqs. 4-6)."""
        labeled_logits = self.classifier(labeled_images, training=training)
        labeled_side = self._softmax_code(labeled_logits)
        unlabeled_side = self.side_information(unlabeled_images, training)
        vae_labeled, labeled_mean = self.vae_terms(labeled_images, labeled_side, training)
        vae_unlabeled, unlabeled_mean = self.vae_terms(unlabeled_images, unlabeled_side, training)
        adv_labeled, adv_unlabeled = self.adversarial_terms(labeled_mean, labeled_side, unlabeled_mean, unlabeled_side)
        return {"task": losses.cross_entropy(labels, labeled_logits), "vae_labeled": vae_labeled,
                "vae_unlabeled": vae_unlabeled, "adv_labeled": adv_labeled, "adv_unlabeled": adv_unlabeled}

    def objective(self, terms):
        """Eq. 8 (adversarial) or eq. 9, each term averaged over the global batch."""
        total = ga(terms["task"]) + ga(terms["vae_labeled"]) + ga(terms["vae_unlabeled"])
        if self.adversarial:
            total += self.adversary_weight * (ga(terms["adv_labeled"]) + ga(terms["adv_unlabeled"]))
        return total

    @property
    def learner_variables(self):
        return (self.classifier.trainable_variables + self.encoder.trainable_variables
                + self.decoder.trainable_variables)

    def train_step(self, batch):
        (labeled_images, labels), unlabeled_images = batch
        variables = self.learner_variables
        for _ in range(self.vae_steps):
            with tf.GradientTape() as tape:
                terms = self.compute_losses(labeled_images, labels, unlabeled_images)
                total = self.objective(terms)
            self.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        for _ in range(self.disc_steps):
            discriminator_loss = self.discriminator_step(labeled_images, unlabeled_images)
        mean = tf.reduce_mean
        return self.report(
            task_loss=mean(terms["task"]), vae_loss=mean(terms["vae_labeled"]) + mean(terms["vae_unlabeled"]),
            adversarial_loss=mean(terms["adv_labeled"]) + mean(terms["adv_unlabeled"]),
            discriminator_loss=discriminator_loss)


@register
class M2VAALNoAdversarial(M2VAAL):
    """M2-VAAL with eq. 9 whatever --adversarial says; D is still trained and selects."""

    family = "m2vaal_noadv"

    @staticmethod
    def adversarial_objective(config) -> bool:
        return False
