"""What the queried batch looks like, logged every round for every strategy, so that claims such
as "random picks ~30 % misclassified samples, Algorithm 2 > 60 %" can be checked from the logs.

The distance to the labelled set is measured in pixel space (images scaled to [0, 1]): unlike a
model's latent space, it is the same for every strategy, model and round, so the numbers compare.
"""
import numpy as np

from m2vaal_tf.strategies import greedy


def selected_batch(dataset, labeled, selected, labels, predicted) -> dict:
    """Misclassified fraction (the round's predictions `predicted` against the oracle's labels),
    class histogram, and mean distance from each queried image to its nearest labelled image."""
    images = dataset.pool_images
    distances = greedy.reduce_distances(_pixels(images[selected]), _pixels(images[labeled]), reduce="min")
    counts = np.bincount(labels, minlength=dataset.num_classes)
    return {"selected_misclassified": float(np.mean(predicted != labels)),
            "selected_mean_distance": float(distances.mean()),
            **{f"selected_class_{c}": int(n) for c, n in enumerate(counts)}}


def _pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0
