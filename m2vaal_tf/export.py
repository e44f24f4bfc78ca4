"""SavedModel export of a round's learner: what others load, without m2vaal_tf, to score new images.

`--export` writes `logs/<run>/export/round_<k>/` after every round and points `export/latest` (a
relative symlink) at it. Load with `tf.saved_model.load(path)`. Every function takes raw pixel
values, [batch, H, W, C] with any batch size; the scaling to [0, 1] is inside the graph.

  signature                  output
  serving_default, classify  probabilities [batch, classes] float32, predicted_class [batch] int64
  embed                      embedding [batch, d]: the space the strategy works in ([μ, y'] for M2-VAAL)
  score                      score [batch]: the run's acquisition score, higher = ask first

Signatures take float32 (what TF Serving and `saved_model_cli` feed); the loaded object's functions
(`loaded.classify(images)`, `loaded.embed`, `loaded.score`) take uint8 as well. The loaded object
also has `class_names`, `strategy` and `score_meaning` (string variables).

Built like Keras' ExportArchive: the module tracks the learner's variables, not the Keras model,
so no Keras object needs to be revived (and subclassed-model saving quirks do not arise); it is
hand-rolled because ExportArchive gives every endpoint a single input dtype.
"""
import os
import shutil
import tempfile

import tensorflow as tf

from m2vaal_tf.models import DISCRIMINATE
from m2vaal_tf.strategies import ServedScore
from m2vaal_tf.strategies.discriminator import served_probability
from m2vaal_tf.strategies.uncertainty import served_uncertainty

LATEST = "latest"


def round_dir(export_root: str, round_index: int) -> str:
    return os.path.join(export_root, f"round_{round_index:02d}")


def served_score(learner, strategy, uncertainty: str) -> ServedScore:
    """The strategy's own per-image score; where its score needs the whole pool (diversity, random,
    BALD), what the learner can score alone: D's where it has a discriminator (Algorithms 1/2), else
    the uncertainty by `uncertainty` (--uncertainty). Higher = ask first."""
    return strategy.serving_score(learner) or (
        served_probability(learner) if learner.can(DISCRIMINATE) else served_uncertainty(learner, uncertainty))


class ScoringModule(tf.Module):
    def __init__(self, learner, strategy, uncertainty: str, image_shape, class_names):
        super().__init__(name="m2vaal_tf_export")
        self.learner_variables = list(learner.variables)
        served = served_score(learner, strategy, uncertainty)
        score, meaning = served.function, served.meaning
        self.class_names = tf.Variable(list(class_names), trainable=False, name="class_names")
        self.strategy = tf.Variable(strategy.name, trainable=False, name="strategy")
        self.score_meaning = tf.Variable(meaning, trainable=False, name="score_meaning")

        def classify(images):
            probabilities = learner.probabilities(tf.cast(images, tf.float32))
            return {"probabilities": probabilities, "predicted_class": tf.argmax(probabilities, axis=1)}

        def embed(images):
            return {"embedding": learner.code(tf.cast(images, tf.float32))}

        def score_images(images):
            return {"score": score(tf.cast(images, tf.float32))}

        self.classify = tf.function(classify)
        self.embed = tf.function(embed)
        self.score = tf.function(score_images)
        self._image_shape = tuple(image_shape)
        for function in (self.classify, self.embed, self.score):
            function.get_concrete_function(self._images_spec(tf.uint8))

    def _images_spec(self, dtype):
        return tf.TensorSpec((None, *self._image_shape), dtype, name="images")

    def signatures(self) -> dict:
        """float32 signatures; the uint8 versions are reachable through the loaded functions."""
        graphs = {name: getattr(self, name).get_concrete_function(self._images_spec(tf.float32))
                  for name in ("classify", "embed", "score")}
        return {"serving_default": graphs["classify"], **graphs}


def export(learner, strategy, uncertainty: str, image_shape, class_names, export_root: str,
           round_index: int) -> str:
    """Writes round `round_index`'s SavedModel and points `latest` at it; returns its directory.

    Written to a temporary directory and renamed, so a crash never leaves a half-written export
    under a round's name; a replayed round (resume) replaces its export."""
    os.makedirs(export_root, exist_ok=True)
    module = ScoringModule(learner, strategy, uncertainty, tuple(image_shape), class_names)
    target = round_dir(export_root, round_index)
    staging = tempfile.mkdtemp(prefix=".tmp-", dir=export_root)
    try:
        tf.saved_model.save(module, staging, signatures=module.signatures())
        if os.path.exists(target):
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    link = os.path.join(export_root, f".tmp-{LATEST}-{os.getpid()}")
    os.symlink(os.path.basename(target), link)
    os.replace(link, os.path.join(export_root, LATEST))
    return target
