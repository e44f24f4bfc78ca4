"""What the VAAL family shares: a β-VAE and a discriminator D playing the labelled / unlabelled
game over the official iteration budget, and selection by D's probability of "labelled".

The three learners (VAAL, TA-VAAL, M2-VAAL) differ in what is concatenated to the latent code
(nothing, the ranker's score r, or the classifier's softmax y': `sides`) and in how the task
learner is trained: beside the game and first (VAAL, TA-VAAL: `TaskLearnerBeside`) or jointly
(M2-VAAL). As in official VAAL, D always reads the mean μ, never a sampled z.

One iteration (`train_step`) takes `vae_steps` VAE steps, each on a new pair of batches, then
`disc_steps` D steps, the first on the last VAE pair (sinhasam/vaal solver.py:80-150). A round of
them (the official codes' budget, over endless reshuffled streams, with samples held out of D's
training to measure it) is `rounds/game.py`'s.

After the keras-io DCGAN example: sub-networks passed in, a second optimizer for D, a Mean per loss.
"""
from typing import Optional

import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf.models import losses, networks
from m2vaal_tf.models.base import DISCRIMINATE, RECONSTRUCT, Learner

# Official VAAL's Adam learning rate for the VAE and D (sinhasam/vaal, solver.py:44-46).
ADAM_LR_VAE = 5e-4

ga = losses.global_average


class AdversarialLearner(Learner):
    """Base of the VAAL family. Subclasses define `sides`, `vae_step` and `generative_variables`."""

    capabilities = frozenset({RECONSTRUCT, DISCRIMINATE})
    tracked_losses = ("vae_loss", "reconstruction_loss", "kl_divergence", "adversarial_loss", "discriminator_loss")
    default_vae_steps = 1
    default_vae_loss = "elbo"
    adversarial_weight_on = 1.0  # M2-VAAL without the adversarial loss (eq. 9) sets 0

    @classmethod
    def side_dim(cls, num_classes: int) -> int:
        return 0

    @classmethod
    def arguments_for_round(cls, settings, image_shape, num_classes: int, round_index: int) -> dict:
        """The encoder, decoder and D for this image shape, and the VAE / game settings;
        subclasses add their task learner (built first, so that its initial weights are those a
        plain classifier gets from the same seed)."""
        size = cls.size(settings)
        code_dim = size.latent_dim + cls.side_dim(num_classes)
        return dict(encoder=networks.build_encoder(image_shape, size),
                    decoder=networks.build_decoder(image_shape, code_dim, size),
                    discriminator=networks.build_discriminator(code_dim, size),
                    beta=settings.beta, adversary_weight=settings.adversary_weight,
                    vae_steps=settings.vae_steps or cls.default_vae_steps, disc_steps=settings.disc_steps,
                    vae_loss=cls.default_vae_loss if settings.vae_loss == "auto" else settings.vae_loss,
                    seed=settings.seed, features_layer=settings.model_features_layer, name=cls.family)

    @classmethod
    def for_round(cls, settings, image_shape, num_classes, round_index):
        """Adam 5e-4 for the VAE (M2-VAAL: the joint model) and for D, as official VAAL."""
        model = cls(**cls.arguments_for_round(settings, image_shape, num_classes, round_index))
        model.compile(optimizer=keras.optimizers.Adam(ADAM_LR_VAE), d_optimizer=keras.optimizers.Adam(ADAM_LR_VAE),
                      jit_compile=settings.jit_compile)
        return model

    def __init__(self, task_network, encoder, decoder, discriminator, beta=1.0, adversary_weight=1.0,
                 vae_steps=1, disc_steps=1, vae_loss="elbo", seed=0, **kwargs):
        super().__init__(task_network, **kwargs)
        self.task_network = task_network
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator
        self.beta = beta
        self.adversary_weight = adversary_weight
        self.vae_steps = vae_steps
        self.disc_steps = disc_steps
        self.vae_loss = vae_loss
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracked_losses}

    metrics = property(lambda self: list(self.trackers.values()))

    def compile(self, optimizer, d_optimizer, **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        self.d_optimizer = d_optimizer

    def build_for_training(self, image_shape):  # Keras 3 builds only `self.optimizer` under a scope
        self(tf.zeros((1, *image_shape)))
        self.optimizer.build(self.generative_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    @property
    def generative_variables(self):  # what `self.optimizer` trains
        return self.encoder.trainable_variables + self.decoder.trainable_variables

    # -- the pieces ----------------------------------------------------------------------------

    def call(self, images, training=False):  # touches every sub-network: Keras builds through `call`
        mean, _ = self.encoder(images, training=training)
        decoder_side, discriminator_side = self.sides(images, first=False)
        return (self.class_logits(images, training=training),
                self.decoder(tf.concat([mean, decoder_side], axis=1), training=training),
                self.discriminator(tf.concat([mean, discriminator_side], axis=1), training=training))

    def class_logits(self, images, training):
        return self.task_network(images, training=training)

    def sides(self, images, first):
        """(what the decoder reads next to z, what D reads next to μ): [batch, k] tensors, k may be 0.
        `first` is True in a round's first iteration (TA-VAAL draws r at random there)."""
        empty = tf.zeros((tf.shape(images)[0], 0))
        return empty, empty

    def sample_latent(self, mean, log_var):  # z = μ + σ·ε, ε from the model's own seed generator
        epsilon = keras.random.normal(tf.shape(mean), seed=self.seed_generator)
        return mean + tf.exp(0.5 * log_var) * epsilon

    def sides_and_task(self, images, labels, first):
        """The sides of a batch whose first len(labels) images are labelled, and the task loss and its
        report where the task learner trains in the game (M2-VAAL; here none; `labels` None: none)."""
        decoder_side, discriminator_side = self.sides(images, first)
        return decoder_side, discriminator_side, 0.0, {}

    def game_terms(self, labeled_images, unlabeled_images, first, labels=None):
        """One game step's terms per pool: vae_* (the VAE loss, reduced as --vae_loss says),
        per_example_* and rec_* (to report), adv_* (eq. 6 per example: make D call both pools
        "labelled"), and task_loss with its report (`sides_and_task`).

        Both pools go through each network in one pass (the networks hold no batch statistics).
        The game is the encoder's: its gradient stops at the side information. Letting it reach
        M2-VAAL's classifier through y' lets the classifier fool D by bending its predictions (on
        protocol B round 0 test accuracy fell to 0.100, one class everywhere, against 0.266)."""
        count = tf.shape(labeled_images)[0]
        images = tf.concat([labeled_images, unlabeled_images], axis=0)
        decoder_side, discriminator_side, task_loss, report = self.sides_and_task(images, labels, first)
        mean, log_var = self.encoder(images, training=True)
        output = self.decoder(tf.concat([self.sample_latent(mean, log_var), decoder_side], axis=1), training=True)
        adversarial = losses.binary_cross_entropy(self.discriminator(
            tf.concat([mean, tf.stop_gradient(discriminator_side)], axis=1), training=False), 1.0)
        terms = {"task_loss": task_loss, "report": report,
                 "kl": tf.reduce_mean(losses.kl_to_standard_normal(mean, log_var))}
        for pool, part in (("labeled", slice(None, count)), ("unlabeled", slice(count, None))):
            loss, per_example, reconstruction = losses.vae_loss(
                self.vae_loss, images[part] / 255.0, output[part], mean[part], log_var[part], self.beta)
            terms.update({f"vae_{pool}": loss, f"per_example_{pool}": per_example,
                          f"rec_{pool}": reconstruction, f"adv_{pool}": adversarial[part]})
        return terms

    def objective_total(self, t):  # L_VAE (+ weight · L_adv, eq. 8) + L_T (M2-VAAL's joint step)
        weight = self.adversary_weight * self.adversarial_weight_on
        adversarial = ga(t["adv_labeled"]) + ga(t["adv_unlabeled"])
        return t["vae_labeled"] + t["vae_unlabeled"] + weight * adversarial + t["task_loss"]

    def vae_step(self, pair, first):
        """One gradient step on L_VAE (+ adversary_weight · L_adv) of both pools, plus the task loss
        where the task learner trains in the game (M2-VAAL's joint step), on `generative_variables`."""
        (labeled_images, labels, _), (unlabeled_images, _) = pair
        variables = self.generative_variables
        with tf.GradientTape() as tape:
            t = self.game_terms(labeled_images, unlabeled_images, first, labels)
            total = self.objective_total(t)
        self.optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        mean = tf.reduce_mean
        return {**t["report"], "vae_loss": mean(t["per_example_labeled"]) + mean(t["per_example_unlabeled"]),
                "reconstruction_loss": (mean(t["rec_labeled"]) + mean(t["rec_unlabeled"])) / 2.0,
                "kl_divergence": t["kl"],
                "adversarial_loss": mean(t["adv_labeled"]) + mean(t["adv_unlabeled"])}

    def discriminator_step(self, pair, first):
        """D tells labelled (1) from unlabelled (0) on detached [μ, side]; held-out samples don't train it."""
        (labeled_images, _, labeled_weights), (unlabeled_images, unlabeled_weights) = pair
        count = tf.shape(labeled_images)[0]
        images = tf.concat([labeled_images, unlabeled_images], axis=0)
        mean, _ = self.encoder(images, training=False)
        codes = tf.stop_gradient(tf.concat([mean, self.sides(images, first)[1]], axis=1))
        targets = tf.concat([tf.ones_like(labeled_weights), tf.zeros_like(unlabeled_weights)], axis=0)
        with tf.GradientTape() as tape:
            logits = tf.reshape(self.discriminator(codes, training=True), [-1])
            per_example = tf.nn.sigmoid_cross_entropy_with_logits(labels=targets, logits=logits)
            per_labeled, per_unlabeled = per_example[:count], per_example[count:]
            loss = (losses.weighted_average(per_labeled, labeled_weights)
                    + losses.weighted_average(per_unlabeled, unlabeled_weights))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return tf.reduce_mean(per_labeled) + tf.reduce_mean(per_unlabeled)

    def train_step(self, batch):
        """One iteration: `vae_steps` VAE steps on new pairs, then `disc_steps` D steps, the first on
        the last VAE pair (none: D is not trained). Images arrive as uint8, become float here."""
        batch = tf.nest.map_structure(lambda t: tf.cast(t, tf.float32) if t.dtype == tf.uint8 else t, batch)
        first = tf.equal(self.optimizer.iterations, 0)
        for k in range(self.vae_steps):
            report = self.vae_step(batch[k], first)
        for k in range(self.disc_steps):
            report["discriminator_loss"] = self.discriminator_step(batch[self.vae_steps - 1 + k], first)
        for name, value in report.items():
            self.trackers[name].update_state(value)
        return {m.name: m.result() for m in self.metrics}

    # -- what `rounds/game.py` asks of the learner -------------------------------------------

    @property
    def trained_first(self) -> list:
        """(history prefix, learner) of the learners trained on the labelled set before the game."""
        return []

    def round_observers(self, data, iterations: int) -> list:
        return []  # callbacks watching the round's training, after its progress callback

    def round_report(self) -> dict:
        return {}  # metrics of the learner's own, once the game has ended

    # -- the learner interface -----------------------------------------------------------------

    @tf.function(reduce_retracing=True, autograph=False)
    def code(self, images):
        """The latent code D reads: [μ, y'] for M2-VAAL (the seed's Algorithms 1 and 2), μ for VAAL."""
        mean, _ = self.encoder(images, training=False)
        return tf.concat([mean, self.sides(images, first=False)[1]], axis=1)

    @tf.function(reduce_retracing=True, autograph=False)
    def discriminator_probability(self, images):
        """[batch, 1]: D's probability that each image is labelled; the b lowest are queried."""
        return tf.sigmoid(self.discriminator(self.code(images), training=False))

    @tf.function(reduce_retracing=True, autograph=False)
    def reconstruction(self, images):
        """uint8 reconstructions decoded from the mean code [μ, side] (the seed's Figure 3)."""
        mean, _ = self.encoder(images, training=False)
        output = self.decoder(tf.concat([mean, self.sides(images, first=False)[0]], axis=1), training=False)
        return tf.cast(tf.round(losses.decoded_pixels(self.vae_loss, output) * 255.0), tf.uint8)

    def labeled_probability(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        return self.predict_in_batches(self.discriminator_probability, images, batch_size)[:, 0]

    def reconstruct(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        return self.predict_in_batches(self.reconstruction, images, batch_size)
