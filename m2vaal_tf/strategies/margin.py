"""Margin (eq. 2): query the samples whose two most likely classes are closest."""
from m2vaal_tf.strategies import base, uncertainty


@base.register
class Margin(uncertainty.UncertaintyStrategy):
    name = "margin"
    measure = "margin"
