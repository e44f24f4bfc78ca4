"""Model families: the learner a round trains. One registry; a strategy names the family it needs.

A learner is a compiled `keras.Model` with a custom `train_step` and two more methods:
  training_data(labeled_images, labeled_labels, unlabeled_images, batch_size, seed) -> tf.data.Dataset
  predict_proba(images, batch_size) -> np.ndarray of class probabilities
"""
from m2vaal_tf.models import classifier

_FAMILIES = {
    "classifier": classifier.build,
}


def build(family: str, config, image_shape, num_classes: int):
    """Builds and compiles a fresh learner of `family` (call inside a tf.distribute scope)."""
    try:
        builder = _FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(sorted(_FAMILIES))}") from None
    return builder(config, image_shape, num_classes)
