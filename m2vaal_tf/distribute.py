"""The tf.distribute strategy a run trains under (`--distribute`).

  auto          MirroredStrategy over the local GPUs when there are two or more, else the default
  default       the default (single-device) strategy: one GPU if present, else the CPU
  mirrored      MirroredStrategy over all local GPUs (or the CPU's logical devices)
  multi_worker  MultiWorkerMirroredStrategy; the cluster and this worker's index come from TF_CONFIG

Models, optimizers and metrics are created inside `strategy.scope()` by the experiment; losses are
averaged over the global batch (`losses.global_average`), so `--batch_size` is the global batch
and results do not depend on the number of replicas.
"""
import json
import os

import tensorflow as tf

from m2vaal_tf.errors import ConfigError


def make_strategy(name: str) -> tf.distribute.Strategy:
    if name == "auto":
        return tf.distribute.MirroredStrategy() if len(tf.config.list_logical_devices("GPU")) > 1 \
            else tf.distribute.get_strategy()
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        try:
            cluster = json.loads(os.environ["TF_CONFIG"])["cluster"]["worker"]
        except (KeyError, ValueError, TypeError):
            raise ConfigError("--distribute=multi_worker needs TF_CONFIG with a cluster.worker list and a task "
                              "index (see README, 'Several GPUs or machines')") from None
        if not cluster:
            raise ConfigError("--distribute=multi_worker: TF_CONFIG names no workers")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"--distribute={name!r} is not one of: auto, default, mirrored, multi_worker")

