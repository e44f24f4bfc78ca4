"""VAAL (Sinha et al. 2019): a task-agnostic β-VAE on z alone and a discriminator on μ, with the
task learner trained beside them on the labelled pool only.

Where the paper is silent this follows the official code (sinhasam/vaal, `solver.py`): per
iteration one task-learner step, `vae_steps` (2) VAE steps, `disc_steps` (1) D steps; Adam 5e-4
for the VAE and D; the task learner on SGD, lr 0.01, momentum 0.9, weight decay 5e-4. The
repeated VAE / D steps reuse the iteration's batch rather than drawing new ones.
"""
import keras
import tensorflow as tf

from m2vaal_tf.models import losses
from m2vaal_tf.models.adversarial import AdversarialLearner
from m2vaal_tf.models.base import register

ga = losses.global_average


class TaskLearnerBeside(AdversarialLearner):
    """A VAAL-family learner whose task learner has its own optimizer and loss (VAAL, TA-VAAL)."""

    @classmethod
    def optimizers(cls, config):
        """Official VAAL's task learner: SGD, lr 0.01, momentum 0.9, weight decay 5e-4."""
        return dict(super().optimizers(config),
                    task_optimizer=keras.optimizers.SGD(0.01, momentum=0.9, weight_decay=5e-4))

    def compile(self, optimizer, d_optimizer, task_optimizer, **kwargs):
        super().compile(optimizer=optimizer, d_optimizer=d_optimizer, **kwargs)
        self.task_optimizer = task_optimizer

    def build_for_training(self, image_shape):
        super().build_for_training(image_shape)
        self.task_optimizer.build(self.classifier.trainable_variables)

    def task_losses(self, images, labels):
        """Per-example task-learner loss terms; the first is the cross-entropy."""
        return {"task": losses.cross_entropy(labels, self.class_logits(images, training=True))}

    def task_step(self, images, labels):
        variables = self.classifier.trainable_variables
        with tf.GradientTape() as tape:
            terms = self.task_losses(images, labels)
            total = sum(ga(term) for term in terms.values())
        self.task_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        return tf.reduce_mean(terms["task"])

    def vae_step(self, labeled_images, unlabeled_images):
        variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        with tf.GradientTape() as tape:
            labeled_side = self.side_information(labeled_images, training=False)
            unlabeled_side = self.side_information(unlabeled_images, training=False)
            vae_labeled, labeled_mean = self.vae_terms(labeled_images, labeled_side)
            vae_unlabeled, unlabeled_mean = self.vae_terms(unlabeled_images, unlabeled_side)
            adv_labeled, adv_unlabeled = self.adversarial_terms(
                labeled_mean, labeled_side, unlabeled_mean, unlabeled_side)
            total = (ga(vae_labeled) + ga(vae_unlabeled)
                     + self.adversary_weight * (ga(adv_labeled) + ga(adv_unlabeled)))
        self.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        mean = tf.reduce_mean
        return mean(vae_labeled) + mean(vae_unlabeled), mean(adv_labeled) + mean(adv_unlabeled)

    def train_step(self, batch):
        (labeled_images, labels), unlabeled_images = batch
        task_loss = self.task_step(labeled_images, labels)
        for _ in range(self.vae_steps):
            vae_loss, adversarial_loss = self.vae_step(labeled_images, unlabeled_images)
        for _ in range(self.disc_steps):
            discriminator_loss = self.discriminator_step(labeled_images, unlabeled_images)
        return self.report(task_loss=task_loss, vae_loss=vae_loss, adversarial_loss=adversarial_loss,
                           discriminator_loss=discriminator_loss)


@register
class VAAL(TaskLearnerBeside):
    """VAAL: no side information; D reads μ alone; 2 VAE steps per iteration, as its official code."""

    family = "vaal"
    default_vae_steps = 2
