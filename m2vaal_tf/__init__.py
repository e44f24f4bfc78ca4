"""m2vaal_tf: deep active learning with generative models in TensorFlow/Keras.

The library takes an `ExperimentConfig` (see `m2vaal_tf.config`) and does not read absl flags, so it
can be driven from Python as well as from `train.py`.
"""
__version__ = "0.1.0"

from m2vaal_tf.selection import select  # noqa: E402 (numpy only: importing m2vaal_tf loads no TensorFlow)

__all__ = ["select"]
