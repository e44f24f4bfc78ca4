"""The learner interface every model family implements, its optional capabilities, and the
registry that builds a family by name (after the strategies' registry).

A learner is a compiled `keras.Model` with a custom `train_step`, built inside the distribution
strategy's scope by its `for_round` from its `LearnerSettings`, which also makes its optimisers.
How a round trains it (the streams, the iteration budget, resuming inside a round) is not the
learner's: `m2vaal_tf.rounds` drives its `train_step` through `fit()`. Every learner classifies
and embeds; what only some can do is declared in `capabilities`, and callers (summaries, export)
ask `can(...)` instead of probing for methods:

  RECONSTRUCT   `reconstruction` / `reconstruct`: images decoded from the latent code (Figure 3)
  DISCRIMINATE  `discriminator_probability` / `labeled_probability`: D's probability of "labelled"

Class probabilities are computed in batches by compiled functions. Keras' own `predict` loop is
bypassed on purpose: it does not run under MultiWorkerMirroredStrategy in Keras 3
(keras-team/keras#20585), while a plain tf.function over the (mirrored) variables runs under every
strategy and is as fast on one device.
"""
from typing import FrozenSet, Optional

import keras
import numpy as np
import tensorflow as tf

from m2vaal_tf.models import precision, task_networks
from m2vaal_tf.models.hyperparameters import LearnerSettings
from m2vaal_tf.models.networks import PRESETS
from m2vaal_tf.registry import Registry

RECONSTRUCT = "reconstruct"
DISCRIMINATE = "discriminate"

REGISTRY = Registry("model family", key="family")
register, families = REGISTRY.register, REGISTRY.names


def build(family: str, settings, image_shape, num_classes: int, round_index: int = 0) -> "Learner":
    """A fresh, compiled learner of `family` with every variable and optimizer slot created, its
    layers computing in `--precision`; call it inside the distribution scope. `settings` is a
    `LearnerSettings`, or anything holding its values by name (an ExperimentConfig)."""
    settings = LearnerSettings.of(settings)
    with precision.policy_scope(precision.resolve(settings.precision)):
        learner = REGISTRY.get(family).for_round(settings, tuple(image_shape), num_classes, round_index)
    learner.scoring_batch_size = settings.scoring_batch_size
    learner.build_for_training(tuple(image_shape))
    return learner


class Learner(keras.Model):
    """`task_network` is the functional classifier (a preset or the user's, `task_networks.py`); its
    penultimate features are the output of `features_layer` (see `task_networks.penultimate`)."""

    family: str = ""
    capabilities: FrozenSet[str] = frozenset()
    scoring_batch_size: int = 2048
    # A plain classifier trained on the same labelled set, for learners whose own classifier is
    # trained another way (M2-VAAL): its accuracy tells the joint model's quality and the
    # selection's quality apart.
    reference: Optional["Learner"] = None

    def __init__(self, task_network: keras.Model, features_layer: str = "", **kwargs):
        super().__init__(**kwargs)
        self.task_network = task_network
        self.feature_network, self.head = task_networks.split(task_network, features_layer)

    @classmethod
    def for_round(cls, settings, image_shape, num_classes: int, round_index: int) -> "Learner":
        """The learner for one round (`settings`: its `LearnerSettings`), compiled with its own optimisers."""
        raise NotImplementedError

    @staticmethod
    def size(settings):
        return PRESETS[settings.model_size]

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def describe(self) -> str:
        """Its sub-models and their parameter counts; weights shared by two sub-models (the penultimate
        features and the head, VAAL's classifier and its task learner) are counted once."""
        seen, parts = set(), []
        for layer in self.layers:
            weights = {id(w) for w in layer.weights}
            if isinstance(layer, keras.Model) and weights - seen:
                parts.append(f"{layer.name} {layer.count_params():,}")
            seen |= weights
        return ", ".join(parts)

    def build_for_training(self, image_shape) -> None:
        """Creates every variable and optimizer slot before `fit` (needed under tf.distribute)."""
        raise NotImplementedError

    def class_logits(self, images, training):
        raise NotImplementedError

    # Graph functions of an image batch (raw pixel values, any batch size): what the numpy methods
    # below run batch by batch, and what an exported SavedModel serves (`export.py`). They hold no
    # control flow on tensors, so they are traced without autograph: one evaluation after a
    # 17-minute official-budget M2-VAAL round failed with a RecursionError while autograph converted
    # `probabilities` (its frames looping through `call`), which shorter rounds never showed.

    @tf.function(reduce_retracing=True, autograph=False)
    def probabilities(self, images):
        """Class probabilities."""
        return tf.nn.softmax(self.class_logits(images, training=False))

    @tf.function(reduce_retracing=True, autograph=False)
    def code(self, images):
        """The space the diversity strategies measure distances in: here the classifier's
        penultimate features (k-center coreset); the VAAL family overrides it with its latent code.
        float32 under any precision, as every output a caller or an exported model sees."""
        return tf.cast(self.feature_network(images, training=False), tf.float32)

    @tf.function(reduce_retracing=True, autograph=False)
    def _dropout_probabilities(self, images):
        return tf.nn.softmax(self.class_logits(images, training=True))

    # numpy in, numpy out, in batches of `scoring_batch_size` unless told otherwise

    def predict_proba(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        return self.predict_in_batches(self.probabilities, images, batch_size)

    def embed(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        return self.predict_in_batches(self.code, images, batch_size)

    def sample_probabilities(self, images: np.ndarray, samples: int, batch_size: Optional[int] = None) -> np.ndarray:
        """[samples, N, classes] probabilities with dropout on (Monte-Carlo dropout, for BALD)."""
        return np.stack([self.predict_in_batches(self._dropout_probabilities, images, batch_size)
                         for _ in range(samples)])

    def labeled_probability(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        """DISCRIMINATE only: D's probability that each image is labelled."""
        raise NotImplementedError(f"{self.family} has no discriminator")

    def reconstruct(self, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        """RECONSTRUCT only: uint8 reconstructions of the images."""
        raise NotImplementedError(f"{self.family} does not reconstruct")

    def predict_in_batches(self, function, images: np.ndarray, batch_size: Optional[int] = None) -> np.ndarray:
        """`function` over the images batch by batch, traced once per learner and image dtype for any
        number of images (the batch dimension is open). The slices go straight in, as stored (uint8),
        and become float inside the graph: no tf.data threads compete with the scoring on few cores
        (measured: 34.5K img/s against 31.7–34.0K through a tf.data map, bfloat16, 2 cores)."""
        batch_size = batch_size or self.scoring_batch_size
        graph = function.get_concrete_function(tf.TensorSpec((None, *images.shape[1:]), tf.as_dtype(images.dtype)))
        return np.concatenate([graph(images[start:start + batch_size]).numpy()
                               for start in range(0, len(images), batch_size)])
