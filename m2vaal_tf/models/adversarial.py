"""What the VAAL family shares: a classifier, a β-VAE, a discriminator D playing the labelled /
unlabelled game, and selection by D's probability of "labelled".

The three learners (VAAL, TA-VAAL, M2-VAAL) differ only in what is concatenated to the latent
code (nothing, the ranker's score r, or the classifier's softmax y') and in how the task learner
is trained; subclasses say so through `side_information` and `train_step`. As in official VAAL,
D always reads the mean μ, never a sampled z, both when it is trained and when it scores.

Structure after the keras-io DCGAN example: sub-networks passed in, a second optimizer for D
(built on D's variables inside the distribution scope), one `keras.metrics.Mean` per loss.
"""
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf.models import losses, networks, pipelines
from m2vaal_tf.models.base import DISCRIMINATE, RECONSTRUCT, Learner

# Official VAAL's Adam learning rate for the VAE and D (sinhasam/vaal, arguments.py); used by the
# whole family.
ADAM_LR_VAE = 5e-4


class AdversarialLearner(Learner):
    """Base of the VAAL family. Subclasses define `side_information` and `train_step`, and say
    through `side_dim` how wide the side information is and `default_vae_steps` how many VAE steps
    an iteration takes when --vae_steps=0."""

    capabilities = frozenset({RECONSTRUCT, DISCRIMINATE})
    tracked_losses = ("task_loss", "vae_loss", "adversarial_loss", "discriminator_loss")
    default_vae_steps = 1

    @classmethod
    def side_dim(cls, num_classes: int) -> int:
        return 0

    @classmethod
    def task_network(cls, classifier: keras.Model, size) -> keras.Model:
        """The task learner built on the plain classifier (TA-VAAL adds its ranker)."""
        return classifier

    @classmethod
    def arguments_from_config(cls, config, image_shape, num_classes: int, round_index: int) -> dict:
        """The constructor arguments: the classifier, encoder, decoder and D for this image shape,
        and the VAE / game settings; subclasses add their own."""
        size = cls.size(config)
        side_dim = cls.side_dim(num_classes)
        return dict(
            classifier=cls.task_network(networks.build_classifier(image_shape, num_classes, size), size),
            encoder=networks.build_encoder(image_shape, size),
            decoder=networks.build_decoder(image_shape, size.latent_dim + side_dim, size),
            discriminator=networks.build_discriminator(size.latent_dim + side_dim, size),
            beta=config.beta, adversary_weight=config.adversary_weight,
            vae_steps=config.vae_steps or cls.default_vae_steps, disc_steps=config.disc_steps, seed=config.seed,
            name=cls.family)

    @classmethod
    def optimizers(cls, config) -> dict:
        """Adam 5e-4 for the VAE (M2-VAAL: the joint model) and for D, as official VAAL."""
        return dict(optimizer=keras.optimizers.Adam(ADAM_LR_VAE), d_optimizer=keras.optimizers.Adam(ADAM_LR_VAE))

    def __init__(self, classifier, encoder, decoder, discriminator, beta=1.0, adversary_weight=1.0,
                 vae_steps=1, disc_steps=1, seed=0, **kwargs):
        super().__init__(classifier, **kwargs)
        self.classifier = classifier
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.beta = beta
        self.adversary_weight = adversary_weight
        self.vae_steps = vae_steps
        self.disc_steps = disc_steps
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked_losses}

    @property
    def metrics(self):
        return list(self.trackers.values())

    @classmethod
    def from_config(cls, config, image_shape, num_classes, round_index):
        model = cls(**cls.arguments_from_config(config, image_shape, num_classes, round_index))
        model.compile(**cls.optimizers(config), jit_compile=config.jit_compile)
        return model

    def compile(self, optimizer, d_optimizer, **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        self.d_optimizer = d_optimizer

    def build_for_training(self, image_shape):
        """Creates every variable, and every optimizer's slots, now: under a tf.distribute scope
        Keras 3 only builds `self.optimizer` itself, and variables created inside the first
        `train_step` would be created under the wrong context."""
        self(tf.zeros((1, *image_shape)))
        self.optimizer.build(self.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    # -- the pieces ----------------------------------------------------------------------------

    def call(self, images, training=False):
        """Touches every sub-network (Keras builds the model symbolically through `call`)."""
        mean, log_var = self.encoder(images, training=training)
        side = self.side_information(images, training=training)
        recon_logits = self.decoder(self._decoder_code(mean, side), training=training)
        return self.class_logits(images, training=training), recon_logits, self.discriminator(
            self._discriminator_code(mean, side), training=training)

    def class_logits(self, images, training):
        return self.classifier(images, training=training)

    def side_information(self, images, training):
        """What is concatenated to the latent code: a [batch, k] tensor, k may be 0."""
        return tf.zeros((tf.shape(images)[0], 0))

    def _decoder_code(self, z, side):
        return tf.concat([z, side], axis=1)

    def _discriminator_code(self, mean, side):
        return tf.concat([mean, side], axis=1)

    def sample_latent(self, mean, log_var):
        """The reparameterisation z = μ + σ·ε, with ε from the model's own seed generator."""
        epsilon = keras.random.normal(tf.shape(mean), seed=self.seed_generator)
        return mean + tf.exp(0.5 * log_var) * epsilon

    def vae_terms(self, images, side, training=True):
        """Per-example negative β-ELBO per pixel of a batch, and the mean μ that D reads."""
        mean, log_var = self.encoder(images, training=training)
        z = self.sample_latent(mean, log_var) if training else mean
        recon_logits = self.decoder(self._decoder_code(z, side), training=training)
        return losses.negative_elbo_per_pixel(images / 255.0, recon_logits, mean, log_var, self.beta), mean

    def discriminator_step(self, labeled_images, unlabeled_images):
        """Trains D to tell labelled (1) from unlabelled (0) on detached codes [μ, side]."""
        codes = []
        for images in (labeled_images, unlabeled_images):
            mean, _ = self.encoder(images, training=False)
            codes.append(tf.stop_gradient(self._discriminator_code(mean, self.side_information(images, False))))
        with tf.GradientTape() as tape:
            per_labeled = losses.binary_cross_entropy(self.discriminator(codes[0], training=True), 1.0)
            per_unlabeled = losses.binary_cross_entropy(self.discriminator(codes[1], training=True), 0.0)
            loss = losses.global_average(per_labeled) + losses.global_average(per_unlabeled)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return tf.reduce_mean(per_labeled) + tf.reduce_mean(per_unlabeled)

    def adversarial_terms(self, labeled_mean, labeled_side, unlabeled_mean, unlabeled_side):
        """The VAE's side of the game (eq. 6): make D call both pools "labelled", per example.

        The game is the encoder's: its gradient stops at the side information. Letting it reach
        M2-VAAL's classifier through y' lets the classifier fool D by bending its predictions;
        measured on protocol B, round 0 test accuracy fell to 0.100 (one class everywhere), against
        0.266 without that path."""
        return tuple(
            losses.binary_cross_entropy(self.discriminator(
                self._discriminator_code(mean, tf.stop_gradient(side)), training=False), 1.0)
            for mean, side in ((labeled_mean, labeled_side), (unlabeled_mean, unlabeled_side)))

    def report(self, **values):
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # -- the learner interface -----------------------------------------------------------------

    training_data = staticmethod(pipelines.two_pool_dataset)

    @tf.function(reduce_retracing=True)
    def code(self, images):
        """The latent code D reads: [μ, y'] for M2-VAAL (the seed's Algorithms 1 and 2), μ for VAAL."""
        mean, _ = self.encoder(images, training=False)
        return self._discriminator_code(mean, self.side_information(images, training=False))

    @tf.function(reduce_retracing=True)
    def discriminator_probability(self, images):
        """[batch, 1]: D's probability that each image is labelled; the b lowest are queried."""
        return tf.sigmoid(self.discriminator(self.code(images), training=False))

    @tf.function(reduce_retracing=True)
    def reconstruction(self, images):
        """uint8 reconstructions decoded from the mean code [μ, side] (the seed's Figure 3)."""
        mean, _ = self.encoder(images, training=False)
        logits = self.decoder(self._decoder_code(mean, self.side_information(images, training=False)),
                              training=False)
        return tf.cast(tf.round(tf.sigmoid(logits) * 255.0), tf.uint8)

    def labeled_probability(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        return self.predict_in_batches(self.discriminator_probability, images, batch_size)[:, 0]

    def reconstruct(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        return self.predict_in_batches(self.reconstruction, images, batch_size)
