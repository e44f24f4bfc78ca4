"""Task networks a user would bring (`--model=user_models:<function>` with tests/ on PYTHONPATH):
what tests/test_user_model.py and the tutorial run every strategy with."""
import keras
from keras import layers


def mobilenet(input_shape, num_classes):
    """A Keras Applications backbone, untrained (no weights can be downloaded here): MobileNetV3Small
    wants 3 channels of at least 32x32 and raw 0..255 pixels, so grey images are resized and repeated."""
    images = keras.Input(shape=input_shape)
    x = layers.Resizing(32, 32)(images)
    if input_shape[-1] == 1:
        x = layers.Concatenate()([x, x, x])
    backbone = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), include_top=False, weights=None,
                                                   pooling="avg", include_preprocessing=True, minimalistic=True)
    features = layers.Dropout(0.2)(backbone(x))
    return keras.Model(images, layers.Dense(num_classes)(features), name="mobilenet_classifier")


def tiny_mlp(input_shape, num_classes):
    """The smallest model with a named feature layer (`--model_features_layer=embedding`)."""
    images = keras.Input(shape=input_shape)
    x = layers.Rescaling(1 / 255)(layers.Flatten()(images))
    x = layers.Dense(32, activation="relu", name="embedding")(x)
    return keras.Model(images, layers.Dense(num_classes)(layers.Dropout(0.1)(x)))


def wrong_output(input_shape, num_classes):
    images = keras.Input(shape=input_shape)
    return keras.Model(images, layers.Dense(num_classes + 1)(layers.Flatten()(images)))
