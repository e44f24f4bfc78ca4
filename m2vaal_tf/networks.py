"""Builders for the sub-networks the models are assembled from.

Each network takes raw pixel values (float, 0..255) and scales them itself, so the exported
models accept raw images and no caller has to remember the preprocessing.
"""
import keras
from keras import layers


def build_classifier(image_shape, num_classes: int, hidden_units: int = 256,
                     dropout: float = 0.25) -> keras.Model:
    """The seed's task learner: 2 strided convolutions + 2 dense layers -> class logits.

    Dropout before the head regularises the small labelled sets of early rounds.
    """
    images = keras.Input(shape=tuple(image_shape), name="images")
    x = layers.Rescaling(1.0 / 255.0)(images)
    x = layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hidden_units, activation="relu", name="features")(x)
    x = layers.Dropout(dropout)(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(images, logits, name="classifier")
