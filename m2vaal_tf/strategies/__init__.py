"""Acquisition strategies: one file per strategy or family (uncertainty, discriminator), one
registry (`get`, `names`), one interface (`choose`, a pure function of arrays)."""
from m2vaal_tf.strategies import (  # noqa: F401 (importing registers them)
    algorithm1,
    algorithm2,
    badge,
    bald,
    coreset,
    discriminator,
    random_sampling,
    uncertainty,
)
from m2vaal_tf.strategies.base import SelectionContext, ServedScore, Strategy, create, get, names, top_k

__all__ = ["SelectionContext", "ServedScore", "Strategy", "create", "get", "names", "top_k"]
