"""Model families: the learner a round trains. One registry; a strategy names the family it needs.

A learner is a compiled `keras.Model` with a custom `train_step`, built inside the distribution
strategy's scope, with:
  training_data(labeled_images, labeled_labels, unlabeled_images, batch_size, seed) -> tf.data.Dataset
  predict_proba(images, batch_size) -> class probabilities
and, for the VAAL family, labeled_probability(images, batch_size) -> D's probability of "labelled".
"""
import functools

import keras

from m2vaal_tf import networks
from m2vaal_tf.models.classifier import Classifier
from m2vaal_tf.models.m2vaal import M2VAAL
from m2vaal_tf.models.tavaal import TAVAAL
from m2vaal_tf.models.vaal import VAAL

# Official VAAL takes 2 VAE steps per iteration; M2-VAAL and TA-VAAL take 1 (--vae_steps=0).
_DEFAULT_VAE_STEPS = {"vaal": 2}
ADAM_LR_VAE = 5e-4


def _vaal_task_optimizer():
    """Official VAAL's task learner optimizer."""
    return keras.optimizers.SGD(0.01, momentum=0.9, weight_decay=5e-4)


def _build_classifier(config, image_shape, num_classes, size, round_index):
    model = Classifier(networks.build_classifier(image_shape, num_classes, size), name="classifier_learner")
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=config.jit_compile)
    return model


def _adversarial_parts(config, image_shape, size, family, side_dim):
    encoder = networks.build_encoder(image_shape, size)
    return dict(
        encoder=encoder,
        decoder=networks.build_decoder(image_shape, size.latent_dim + side_dim, size),
        discriminator=networks.build_discriminator(size.latent_dim + side_dim, size),
        beta=config.beta, adversary_weight=config.adversary_weight,
        vae_steps=config.vae_steps or _DEFAULT_VAE_STEPS.get(family, 1), disc_steps=config.disc_steps,
        seed=config.seed)


def _build_m2vaal(config, image_shape, num_classes, size, round_index, adversarial=None):
    """`m2vaal` follows --adversarial (eq. 8 by default); `m2vaal_noadv` is always eq. 9."""
    family = "m2vaal"
    model = M2VAAL(classifier=networks.build_classifier(image_shape, num_classes, size),
                   adversarial=config.adversarial if adversarial is None else adversarial, classifier_gets_vae_grad=config.classifier_gets_vae_grad,
                   name=family, **_adversarial_parts(config, image_shape, size, family, num_classes))
    model.compile(optimizer=keras.optimizers.Adam(ADAM_LR_VAE), d_optimizer=keras.optimizers.Adam(ADAM_LR_VAE),
                  jit_compile=config.jit_compile)
    return model


def _build_vaal(config, image_shape, num_classes, size, round_index):
    model = VAAL(classifier=networks.build_classifier(image_shape, num_classes, size), name="vaal",
                 **_adversarial_parts(config, image_shape, size, "vaal", 0))
    model.compile(optimizer=keras.optimizers.Adam(ADAM_LR_VAE), d_optimizer=keras.optimizers.Adam(ADAM_LR_VAE),
                  task_optimizer=_vaal_task_optimizer(), jit_compile=config.jit_compile)
    return model


def _build_tavaal(config, image_shape, num_classes, size, round_index):
    classifier = networks.build_loss_predictor(networks.build_classifier(image_shape, num_classes, size), size)
    model = TAVAAL(classifier=classifier, random_ranker=round_index == 0, name="tavaal",
                   **_adversarial_parts(config, image_shape, size, "tavaal", 1))
    model.compile(optimizer=keras.optimizers.Adam(ADAM_LR_VAE), d_optimizer=keras.optimizers.Adam(ADAM_LR_VAE),
                  task_optimizer=_vaal_task_optimizer(), jit_compile=config.jit_compile)
    return model


_FAMILIES = {
    "classifier": _build_classifier,
    "m2vaal": _build_m2vaal,
    "m2vaal_noadv": functools.partial(_build_m2vaal, adversarial=False),
    "vaal": _build_vaal,
    "tavaal": _build_tavaal,
}


def build(family: str, config, image_shape, num_classes: int, round_index: int = 0):
    """Builds and compiles a fresh learner of `family`; call it inside the distribution scope."""
    try:
        builder = _FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(sorted(_FAMILIES))}") from None
    model = builder(config, tuple(image_shape), num_classes, networks.PRESETS[config.model_size], round_index)
    model.build_for_training(tuple(image_shape))
    return model
