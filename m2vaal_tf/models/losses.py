"""Per-example loss terms, and their reduction over the global batch.

Keras sums gradients across replicas, and only its loss *objects* pre-scale by the replica count;
a hand-written loss averaged with a plain mean gives N-times gradients on N replicas. Every term
here is therefore computed per example and averaged with `global_average`.

The VAE term is the per-example negative ELBO (Bernoulli reconstruction + β·KL to N(0, I)) per
pixel, i.e. divided by the number of pixel values. Dividing the whole ELBO keeps the β-VAE's
balance (β = 1 means the ELBO), while putting L_VAE on the scale of L_T: summed over 784 pixels it
is ~250 nats per image against ~1 for the cross-entropy, and in M2-VAAL, where the decoder's
gradient reaches the classifier through y', it then drowns the task loss (measured: test accuracy
fell from 0.54 to 0.48 over rounds). Official VAAL's pixel-mean MSE plus a batch-summed KL is
another scale again, at which the KL swamps the reconstruction.
"""
import tensorflow as tf


def global_average(per_example_loss):
    """Mean over the global batch: sum over this replica's examples / (local batch x replicas)."""
    return tf.nn.compute_average_loss(per_example_loss)


def negative_elbo_per_pixel(images_0_1, logits, mean, log_var, beta: float):
    """(-log p(x | code) + β·KL(q(z|x) || N(0, I))) / number of pixel values, per example."""
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=images_0_1, logits=logits)
    pixels = tf.cast(tf.reduce_prod(tf.shape(images_0_1)[1:]), bce.dtype)
    kl = -0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=1)
    return (tf.reduce_sum(bce, axis=[1, 2, 3]) + beta * kl) / pixels


def binary_cross_entropy(logits, target: float):
    """BCE of one-logit predictions against a constant target (1 = labelled), per example."""
    logits = tf.reshape(logits, [-1])
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.fill(tf.shape(logits), target), logits=logits)


def cross_entropy(labels, logits):
    """Softmax cross-entropy against integer labels, per example."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32), logits=logits)


def pairwise_ranking(predicted, target, margin: float = 1.0):
    """Loss-prediction ranking loss (Yoo & Kweon 2019), per pair: the batch is paired with its
    reverse; a pair is penalised when the predicted order of the losses disagrees with the true one
    by less than `margin`. Only the first half of the pairs is used (the rest mirror them)."""
    predicted, target = tf.reshape(predicted, [-1]), tf.reshape(tf.stop_gradient(target), [-1])
    half = tf.shape(predicted)[0] // 2
    predicted_diff = (predicted - tf.reverse(predicted, [0]))[:half]
    target_diff = (target - tf.reverse(target, [0]))[:half]
    sign = 2.0 * tf.sign(tf.maximum(target_diff, 0.0)) - 1.0
    return tf.maximum(margin - sign * predicted_diff, 0.0)
