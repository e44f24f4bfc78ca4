"""Entropy (eq. 3): query the samples whose predicted class distribution is most spread."""
from m2vaal_tf.strategies import base, uncertainty


@base.register
class Entropy(uncertainty.UncertaintyStrategy):
    name = "entropy"
    measure = "entropy"
