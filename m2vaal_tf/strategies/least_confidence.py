"""Least confidence (eq. 1): query the samples whose top class probability is lowest."""
from m2vaal_tf.strategies import base, uncertainty


@base.register
class LeastConfidence(uncertainty.UncertaintyStrategy):
    name = "least_confidence"
    measure = "least_confidence"
