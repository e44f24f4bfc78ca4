"""The task network every learner classifies with: a preset (`--model_size`) or the user's own Keras
model (`--model=package.module:function`, `model_fn=` in Python).

A user's function takes the input shape (height, width, channels) and the number of classes and
returns an uncompiled `keras.Model` whose output is [batch, classes] logits. It receives raw pixel
values (0..255, as the presets do, which scale them themselves), so that an exported SavedModel
accepts raw images; Keras Applications backbones built with `include_preprocessing=True` expect
exactly that. It serves every strategy: it is the classifier of the uncertainty and diversity
strategies, and the task network of VAAL, TA-VAAL and M2-VAAL, whose VAE and D keep their own
networks, sized to the image.

Its *penultimate features* (what coreset and BADGE measure, what M2-VAAL's joint step reads once
per batch) are the output of the layer named by `--model_features_layer`, or of a layer named
`features` (the presets'), or else the input of the last Dense layer. What follows them is the
`head`, a sub-model of the same layers and weights.
"""
import importlib
from typing import Callable, Tuple

import keras
from keras import layers

from m2vaal_tf.errors import ConfigError
from m2vaal_tf.models import networks
from m2vaal_tf.sizes import PRESETS

PRESET_FEATURES = "features"


def resolve(spec: str) -> Callable:
    """The function `package.module:function` names; ConfigError naming --model if it cannot be had."""
    module_name, _, function_name = spec.partition(":")
    if not module_name or not function_name:
        raise ConfigError(f"--model={spec!r} must be package.module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ConfigError(f"--model={spec}: cannot import {module_name} ({e}); is it on PYTHONPATH?") from None
    function = module
    for part in function_name.split("."):
        function = getattr(function, part, None)
    if not callable(function):
        raise ConfigError(f"--model={spec}: {module_name} has no function {function_name}")
    return function


def spec_of(model_fn: Callable) -> str:
    """The `--model` value naming `model_fn`, so that flags.txt can rebuild it on --resume; only a
    function importable by that name (not a lambda or a nested function) can be named."""
    spec = f"{getattr(model_fn, '__module__', '')}:{getattr(model_fn, '__qualname__', '')}"
    try:
        found = resolve(spec)
    except ConfigError:
        found = None
    if found is not model_fn:
        raise ConfigError(f"model_fn={model_fn!r} must be a function defined at the top level of a module, "
                          "so that a resumed run can import it again")
    return spec


def build(settings, image_shape, num_classes: int) -> keras.Model:
    """A fresh task network for `settings` (a preset unless --model names the user's)."""
    if not settings.model:
        return networks.build_classifier(image_shape, num_classes, PRESETS[settings.model_size])
    network = resolve(settings.model)(tuple(image_shape), num_classes)
    if not isinstance(network, keras.Model):
        raise ConfigError(f"--model={settings.model} returned {type(network).__name__}, not a keras.Model")
    if len(network.outputs) != 1 or tuple(network.output.shape[1:]) != (num_classes,):
        shapes = [tuple(output.shape) for output in network.outputs]
        raise ConfigError(f"--model={settings.model} must output one [batch, {num_classes}] logits tensor; "
                          f"it outputs {', '.join(map(str, shapes))}")
    penultimate(network, settings.model_features_layer)  # its error, before any training
    if network.output.dtype != "float32":  # losses and softmax read float32 under mixed_bfloat16
        network = keras.Model(network.inputs, layers.Activation("linear", dtype="float32")(network.output),
                              name=network.name)
    return network


def penultimate(network: keras.Model, layer_name: str = ""):
    """The feature tensor: the named layer's output, the `features` layer's, or the last Dense's input."""
    names = {layer.name for layer in network.layers}
    if layer_name:
        if layer_name not in names:
            raise ConfigError(f"--model_features_layer={layer_name}: the model has no top-level layer of "
                              "that name")
        return network.get_layer(layer_name).output
    if PRESET_FEATURES in names:
        return network.get_layer(PRESET_FEATURES).output
    dense = [layer for layer in network.layers if isinstance(layer, layers.Dense)]
    if not dense:
        raise ConfigError(f"model {network.name} has no Dense layer whose input is its penultimate features; "
                          "name one with --model_features_layer")
    return dense[-1].input


def split(network: keras.Model, layer_name: str = "") -> Tuple[keras.Model, keras.Model]:
    """(images -> penultimate features, features -> logits), sharing the network's layers."""
    features = penultimate(network, layer_name)
    return (keras.Model(network.input, features, name="penultimate_features"),
            keras.Model(features, network.output, name="classifier_head"))
