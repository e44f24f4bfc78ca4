"""Per-example loss terms, and their reduction over the global batch.

Keras sums gradients across replicas, and only its loss *objects* pre-scale by the replica count;
a hand-written loss averaged with a plain mean gives N-times gradients on N replicas. Every term
here is therefore computed per example and averaged with `global_average` (or, where an official
code sums over the batch, summed per replica: the replicas' gradients then add up to the global sum).

The VAE term comes in three forms (`--vae_loss`, declared in `m2vaal_tf/vae_forms.py`):
  vaal    official VAAL (sinhasam/vaal, solver.py:212-216): MSE averaged over pixels and batch
          plus β·KL *summed* over batch and latent, so the KL dominates
  tavaal  official TA-VAAL (cubeyoung/TA-VAAL, selection_methods.py:42-47): the same MSE plus β·KL
          *averaged* over batch and latent
  elbo    the per-example negative β-ELBO (Bernoulli reconstruction + β·KL to N(0, I)) divided by
          the number of pixel values, M2-VAAL's default: it keeps the β-VAE's balance while putting
          L_VAE on the scale of L_T (summed over 784 pixels it is ~250 nats per image against ~1 for
          the cross-entropy and, through y', drowns the task loss: measured, test accuracy fell from
          0.54 to 0.48 over rounds)
The MSE forms read the decoder's output as pixel values in [0, 1] (the official codes regress
normalised pixels with a linear last layer); the ELBO reads it as Bernoulli logits.
"""
import tensorflow as tf

from m2vaal_tf.vae_forms import FORMS


def global_average(per_example_loss):
    """Mean over the global batch: sum over this replica's examples / (local batch x replicas)."""
    return tf.nn.compute_average_loss(per_example_loss)


def kl_to_standard_normal(mean, log_var):
    """KL(q(z|x) || N(0, I)) per example, summed over the latent dimensions."""
    return -0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=1)


def vae_loss(form: str, images_0_1, output, mean, log_var, beta: float):
    """(the VAE term to minimise, reduced as `form`'s code reduces it; the per-example objective and
    the per-example reconstruction error, for reporting: their batch means do not depend on the
    number of replicas)."""
    kind = _form(form)
    kl = kl_to_standard_normal(mean, log_var)
    if kind.reconstruction == "bernoulli":
        bce = tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=images_0_1, logits=output), axis=[1, 2, 3])
        pixels = tf.cast(tf.reduce_prod(tf.shape(images_0_1)[1:]), bce.dtype)
        per_example = (bce + beta * kl) / pixels
        return global_average(per_example), per_example, bce / pixels
    mse = tf.reduce_mean(tf.square(output - images_0_1), axis=[1, 2, 3])
    if kind.kl_reduction == "batch_sum":
        return global_average(mse) + beta * tf.reduce_sum(kl), mse + beta * kl, mse
    kl_mean = kl / tf.cast(tf.shape(mean)[1], kl.dtype)  # latent_mean
    return global_average(mse + beta * kl_mean), mse + beta * kl_mean, mse


def decoded_pixels(form: str, output):
    """The decoder's output as pixel values in [0, 1], as its loss reads it."""
    if _form(form).reconstruction == "bernoulli":
        return tf.sigmoid(output)
    return tf.clip_by_value(output, 0.0, 1.0)


def _form(name: str):
    try:
        return FORMS[name]
    except KeyError:
        raise ValueError(f"unknown VAE loss {name!r}; choose one of: {', '.join(FORMS)}") from None


def binary_cross_entropy(logits, target: float):
    """BCE of one-logit predictions against a constant target (1 = labelled), per example."""
    logits = tf.reshape(logits, [-1])
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.fill(tf.shape(logits), target), logits=logits)


def weighted_average(per_example, weights):
    """Average over the examples with weight 1 (held-out examples have 0), per replica; scaled so
    that the replicas' summed gradients average too."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return tf.reduce_sum(per_example * weights) / tf.maximum(tf.reduce_sum(weights), 1.0) / replicas


def entropy(logits):
    """Entropy of the softmax of `logits`, per example, in nats."""
    return -tf.reduce_sum(tf.nn.softmax(logits) * tf.nn.log_softmax(logits), axis=1)


def cross_entropy(labels, logits):
    """Softmax cross-entropy against integer labels, per example."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32), logits=logits)


def loss_prediction_ranking(predicted, target):
    """TA-VAAL's ranking loss of its loss-prediction module (cubeyoung/TA-VAAL, train_test.py:10-28):
    the batch is paired with its reverse, and BCE(sigmoid(predicted difference), [target difference
    > 0]) is averaged over the first half of the pairs (the rest mirror them). LL4AL's original is a
    hinge with a margin; TA-VAAL's code uses this form. Returns per-pair terms."""
    predicted, target = tf.reshape(predicted, [-1]), tf.reshape(tf.stop_gradient(target), [-1])
    half = tf.shape(predicted)[0] // 2
    predicted_diff = (predicted - tf.reverse(predicted, [0]))[:half]
    target_diff = (target - tf.reverse(target, [0]))[:half]
    return tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.sign(tf.maximum(target_diff, 0.0)),
                                                   logits=predicted_diff)
