"""Acquisition strategies: one file each, one registry (`get`, `names`), one interface (`select`)."""
from m2vaal_tf.strategies import entropy, least_confidence, margin, random_sampling  # noqa: F401 (registers)
from m2vaal_tf.strategies.base import SelectionContext, Strategy, get, names, top_k

__all__ = ["SelectionContext", "Strategy", "get", "names", "top_k"]
