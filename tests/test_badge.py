"""BADGE: the gradient embedding against the gradient TensorFlow computes, the factored distances
against explicit outer products, and the k-means++ seeding against a brute-force reference."""
import numpy as np

from m2vaal_tf.strategies import badge


def _explicit(probabilities, features):
    """Materialised gradient embeddings (p - onehot(ŷ)) ⊗ h, one row per sample."""
    class_part, features = badge.gradient_embedding_factors(probabilities, features)
    return np.einsum("ic,if->icf", class_part, features).reshape(len(features), -1).astype(np.float64)


def test_gradient_embedding_is_the_last_layer_gradient_at_the_predicted_label():
    import keras
    import tensorflow as tf

    from m2vaal_tf.models import networks
    keras.utils.set_random_seed(0)
    network = networks.build_classifier((28, 28, 1), 10)
    images = tf.random.uniform((5, 28, 28, 1), seed=1)
    features = keras.Model(network.input, network.get_layer("features").output)(images).numpy()
    probabilities = tf.nn.softmax(network(images)).numpy()
    kernel = network.get_layer("logits").kernel
    for i in range(len(images)):
        with tf.GradientTape() as tape:
            logits = network(images[i:i + 1], training=False)
            loss = keras.losses.sparse_categorical_crossentropy(np.array([probabilities[i].argmax()]), logits,
                                                                from_logits=True)
        gradient = tape.gradient(loss, kernel).numpy()  # [features, classes]
        np.testing.assert_allclose(_explicit(probabilities[i:i + 1], features[i:i + 1])[0],
                                   gradient.T.ravel(), rtol=1e-4, atol=1e-6)


def test_factored_distances_equal_the_explicit_ones():
    rng = np.random.default_rng(0)
    probabilities, features = rng.dirichlet(np.ones(4), size=30), rng.normal(size=(30, 6))
    explicit = _explicit(probabilities, features)
    embeddings = badge.GradientEmbeddings(*badge.gradient_embedding_factors(probabilities, features))
    np.testing.assert_allclose(embeddings.squared_norms, (explicit ** 2).sum(1), rtol=1e-5)
    for j in (0, 7, 29):
        np.testing.assert_allclose(embeddings.squared_distances_to(j), ((explicit - explicit[j]) ** 2).sum(1),
                                   rtol=1e-4, atol=1e-6)


def _brute_force_seeding(points, count, rng):
    """k-means++ as written in the BADGE paper, on materialised points and a full distance matrix."""
    squared = ((points[:, None] - points[None]) ** 2).sum(-1)
    chosen = [int(np.argmax((points ** 2).sum(1)))]
    while len(chosen) < count:
        weights = squared[:, chosen].min(axis=1)
        weights[chosen] = 0.0
        cumulative = np.cumsum(weights)
        chosen.append(int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")))
    return chosen


def test_kmeans_plus_plus_matches_brute_force():
    rng = np.random.default_rng(3)
    probabilities, features = rng.dirichlet(np.ones(5) * 0.3, size=80), rng.normal(size=(80, 7))
    embeddings = badge.GradientEmbeddings(*badge.gradient_embedding_factors(probabilities, features))
    picks = badge.kmeans_plus_plus(embeddings, 12, np.random.default_rng(9))
    assert picks.tolist() == _brute_force_seeding(_explicit(probabilities, features), 12, np.random.default_rng(9))


def test_seeding_never_repeats_a_sample_even_when_samples_coincide():
    probabilities = np.tile([[0.6, 0.4]], (6, 1))
    features = np.ones((6, 3))
    embeddings = badge.GradientEmbeddings(*badge.gradient_embedding_factors(probabilities, features))
    picks = badge.kmeans_plus_plus(embeddings, 6, np.random.default_rng(0))
    assert sorted(picks.tolist()) == list(range(6))

