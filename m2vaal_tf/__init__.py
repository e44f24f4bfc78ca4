"""m2vaal_tf: deep active learning with generative models in TensorFlow/Keras.

  m2vaal_tf.select(...)      a strategy's batch from a model's outputs: numpy in, pool indices out
  m2vaal_tf.open_loop(...)   an active-learning loop on your arrays, images or data set, with your
                             Keras model: fit, evaluate, query, teach (`loop.py`)

The library takes an `ExperimentConfig` (see `m2vaal_tf.config`) and does not read absl flags, so it
can be driven from Python as well as from `train.py`. Importing it loads no TensorFlow: `select`
is numpy only, and the loop is imported (with TensorFlow) when first used.
"""
__version__ = "0.1.0"

from m2vaal_tf.selection import select  # noqa: E402

__all__ = ["ActiveLearningLoop", "Query", "open_loop", "select"]


def __getattr__(name: str):
    """The loop's names, imported on first use (PEP 562), so that `select` alone stays TensorFlow-free."""
    if name == "open_loop":
        from m2vaal_tf.experiment import open_loop
        return open_loop
    if name in ("ActiveLearningLoop", "Query"):
        from m2vaal_tf import loop
        return getattr(loop, name)
    raise AttributeError(f"module 'm2vaal_tf' has no attribute {name!r}")
