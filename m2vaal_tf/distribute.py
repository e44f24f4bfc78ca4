"""The tf.distribute strategy a run trains under (`--distribute`).

  auto          MirroredStrategy over the local GPUs when there are two or more, else the default
  default       the default (single-device) strategy: one GPU if present, else the CPU
  mirrored      MirroredStrategy over all local GPUs (or the CPU's logical devices)
  multi_worker  MultiWorkerMirroredStrategy; the cluster and this worker's index come from TF_CONFIG

Models, optimizers and metrics are created inside `strategy.scope()` by the experiment; losses are
averaged over the global batch (`losses.global_average`), so `--batch_size` is the global batch
and results do not depend on the number of replicas.
"""
import itertools
import json
import os
from typing import Optional, Sequence

import keras
import tensorflow as tf

from m2vaal_tf.config import DISTRIBUTE_CHOICES
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
                              "index (see docs/RUNS.md, 'Several GPUs or machines')") from None
        if not cluster:
            raise ConfigError("--distribute=multi_worker: TF_CONFIG names no workers")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"--distribute={name!r} is not one of: {', '.join(DISTRIBUTE_CHOICES)}")



def fit(learner, dataset, epochs: int, verbose: int, steps_per_epoch: Optional[int] = None,
        callbacks: Sequence[keras.callbacks.Callback] = ()) -> dict:
    """Trains `learner` for `epochs` (of `steps_per_epoch` batches, or one pass over a finite
    dataset); returns {metric: [value per epoch]}.

    Keras' `fit` everywhere except under MultiWorkerMirroredStrategy, where Keras 3's `fit` fails
    (keras-team/keras#20585, tensorflow/tensorflow#72388). There the same `train_step` runs through
    `strategy.run` over the distributed dataset, which is what `fit` does on one machine, and the
    callbacks see each batch's end.
    """
    strategy = learner.distribute_strategy
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return learner.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=list(callbacks),
                           shuffle=False, verbose=verbose).history  # The pipeline shuffles.
    step = tf.function(lambda batch: strategy.run(learner.train_step, args=(batch,)), reduce_retracing=True)
    distributed = strategy.experimental_distribute_dataset(dataset)
    for callback in callbacks:
        callback.set_model(learner)
        callback.on_train_begin()
    history = {}
    for epoch in range(epochs):
        for metric in learner.metrics:
            metric.reset_state()
        for callback in callbacks:
            callback.on_epoch_begin(epoch)
        for index, batch in enumerate(itertools.islice(distributed, steps_per_epoch)):
            logs = {name: float(strategy.experimental_local_results(value)[0]) for name, value in step(batch).items()}
            for callback in callbacks:
                callback.on_train_batch_end(index, logs)
        for name, value in logs.items():
            history.setdefault(name, []).append(value)
        for callback in callbacks:
            callback.on_epoch_end(epoch, logs)
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: " + " ".join(f"{k}={v[-1]:.4f}" for k, v in history.items()))
    for callback in callbacks:
        callback.on_train_end()
    return history


def is_chief(name: str) -> bool:
    """Whether this process writes the run's files: always, except on the non-chief workers of a
    multi-worker cluster, which train in lockstep and write to a temporary directory instead (the
    layout Keras' multi-worker guide recommends). The chief is the "chief" task, else worker 0."""
    if name != "multi_worker":
        return True
    tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = tf_config.get("task", {})
    if "chief" in tf_config.get("cluster", {}):
        return task.get("type") == "chief"
    return int(task.get("index", 0)) == 0
