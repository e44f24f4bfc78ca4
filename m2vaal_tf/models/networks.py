"""Builders for the sub-networks the learners are assembled from, in two size presets.

Each image network takes raw pixel values (float, 0..255) and scales them itself, so exported
models accept raw images and no caller has to remember the preprocessing. Any square image size
and channel count work: the decoder builds up to the next multiple of 4 and crops.
"""
import math

import keras
from keras import layers

from m2vaal_tf.sizes import PRESETS, NetworkSize

# The last layer of every network computes in float32 whatever the dtype policy (`precision.py`):
# what the losses, softmax and KL read stays float32 under mixed_bfloat16.
FLOAT32 = "float32"
PRESET_TAPS = ("conv1", "conv2", "features")  # what TA-VAAL's ranker reads of a preset classifier


def _conv_trunk(images, size: NetworkSize, prefix: str):
    """2 strided convolutions + flatten: the shared front of the classifier and the encoder."""
    x = layers.Rescaling(1.0 / 255.0)(images)
    taps = []
    for i, filters in enumerate(size.conv_filters):
        x = layers.Conv2D(filters, 4, strides=2, padding="same", activation="relu", name=f"{prefix}conv{i + 1}")(x)
        taps.append(x)
    return layers.Flatten()(x), taps


def build_classifier(image_shape, num_classes: int, size: NetworkSize = PRESETS["small"],
                     dropout: float = 0.25) -> keras.Model:
    """The task learner r_γ: 2 convolutions + 2 dense layers -> class logits.

    Its named layers `conv1`, `conv2`, `features` are the taps TA-VAAL's loss-prediction module
    reads. Dropout before the head regularises the small labelled sets of early rounds.
    """
    images = keras.Input(shape=tuple(image_shape), name="images")
    x, _ = _conv_trunk(images, size, prefix="")
    x = layers.Dense(size.hidden_units, activation="relu", name="features")(x)
    x = layers.Dropout(dropout, name="features_dropout")(x)
    logits = layers.Dense(num_classes, name="logits", dtype=FLOAT32)(x)
    return keras.Model(images, logits, name="classifier")


def build_encoder(image_shape, size: NetworkSize = PRESETS["small"]) -> keras.Model:
    """q_φ(z|x): 2 convolutions + 2 dense layers -> (μ, log σ²), each of size `latent_dim`."""
    images = keras.Input(shape=tuple(image_shape), name="images")
    x, _ = _conv_trunk(images, size, prefix="enc_")
    x = layers.Dense(size.hidden_units, activation="relu")(x)
    mean = layers.Dense(size.latent_dim, name="mean", dtype=FLOAT32)(x)
    log_var = layers.Dense(size.latent_dim, name="log_var", dtype=FLOAT32)(x)
    return keras.Model(images, [mean, log_var], name="encoder")


def build_decoder(image_shape, code_dim: int, size: NetworkSize = PRESETS["small"]) -> keras.Model:
    """p_θ(x|code): the encoder's mirror, 2 dense + 2 transposed convolutions -> pixel logits.

    `code_dim` is the width of what is decoded: z (VAAL), [z, y'] (M2-VAAL) or [z, r] (TA-VAAL).
    """
    height, width, channels = image_shape
    base = math.ceil(height / 4)
    filters = size.conv_filters
    code = keras.Input(shape=(code_dim,), name="code")
    x = layers.Dense(size.hidden_units, activation="relu")(code)
    x = layers.Dense(base * base * filters[-1], activation="relu")(x)
    x = layers.Reshape((base, base, filters[-1]))(x)
    x = layers.Conv2DTranspose(filters[0], 4, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", dtype=FLOAT32)(x)
    if 4 * base != height:
        extra = 4 * base - height
        x = layers.Cropping2D(((extra // 2, extra - extra // 2), (extra // 2, extra - extra // 2)), dtype=FLOAT32)(x)
    return keras.Model(code, x, name="decoder")


def build_discriminator(input_dim: int, size: NetworkSize = PRESETS["small"]) -> keras.Model:
    """D: dense 512 -> dense 512 -> one logit of "this sample is labelled"."""
    code = keras.Input(shape=(input_dim,), name="code")
    x = layers.Dense(size.discriminator_units, activation="relu")(code)
    x = layers.Dense(size.discriminator_units, activation="relu")(x)
    return keras.Model(code, layers.Dense(1, dtype=FLOAT32)(x), name="discriminator")


def build_ranker(classifier: keras.Model, features, size: NetworkSize = PRESETS["small"]):
    """TA-VAAL's ranker (the loss-prediction module of Yoo & Kweon 2019) on the classifier's taps:
    each tap is pooled (if it is a feature map), mapped by a dense layer, and the concatenation
    gives one scalar score. The taps are the presets' `conv1`, `conv2` and `features` layers; a
    user's network offers its penultimate `features` tensor alone.

    Returns (taps: images -> [tap..., logits], sharing the classifier's weights; ranker: [tap...] ->
    score). Apart, so that the taps can be detached from the ranker's loss (TA-VAAL stops that
    gradient after EPOCHL epochs)."""
    names = {layer.name for layer in classifier.layers}
    tap_layers = ([classifier.get_layer(name).output for name in PRESET_TAPS] if names.issuperset(PRESET_TAPS)
                  else [features])
    taps = keras.Model(classifier.input, tap_layers + [classifier.output], name="classifier_taps")
    inputs = [keras.Input(shape=tuple(t.shape[1:]), name=f"tap{i + 1}") for i, t in enumerate(tap_layers)]
    pooled = [layers.GlobalAveragePooling2D()(t) if len(t.shape) == 4 else t for t in inputs]
    mapped = [layers.Dense(size.ranker_units, activation="relu", name=f"ranker_fc{i + 1}")(p)
              for i, p in enumerate(pooled)]
    joined = layers.Concatenate()(mapped) if len(mapped) > 1 else mapped[0]
    score = layers.Dense(1, name="ranker_score", dtype=FLOAT32)(joined)
    return taps, keras.Model(inputs, score, name="ranker")
