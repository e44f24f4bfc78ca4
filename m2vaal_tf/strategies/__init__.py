"""Acquisition strategies: one file each, one registry (`get`, `names`), one interface (`select`)."""
from m2vaal_tf.strategies import (  # noqa: F401 (importing registers them)
    algorithm1, algorithm2, badge, bald, coreset, entropy, least_confidence, m2vaal, m2vaal_noadv, margin,
    random_sampling, tavaal, vaal)
from m2vaal_tf.strategies.base import SelectionContext, ServedScore, Strategy, create, get, names, top_k

__all__ = ["SelectionContext", "ServedScore", "Strategy", "create", "get", "names", "top_k"]
