"""Loss reductions that stay correct under tf.distribute.

Keras sums gradients across replicas, and only its loss *objects* pre-scale by the replica count;
a hand-written loss averaged with a plain mean gives N-times gradients on N replicas. Every
per-example loss is therefore averaged over the *global* batch here.
"""
import tensorflow as tf


def global_average(per_example_loss):
    """Mean over the global batch: sum over this replica's examples / (local batch x replicas)."""
    return tf.nn.compute_average_loss(per_example_loss)
