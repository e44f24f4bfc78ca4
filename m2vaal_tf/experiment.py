"""Setting up a run: `prepare` (the command line's way in: a config and a data-set spec) and
`open_loop` (Python's: arrays, a `tf.data.Dataset` or a spec, a strategy and your Keras model).

Both load and check everything before anything is written, so a bad flag, file or array costs no
state; both return the `loop.ActiveLearningLoop` that plays the rounds. Arrays from Python are kept
in the run directory as `data.npz` (`--dataset=npz:<run>/data.npz`), so that the command line can
resume a run that Python started.
"""
import dataclasses
import os
from typing import Callable, Optional, Sequence

import keras
import tensorflow as tf

from m2vaal_tf import config_against_data, joint_defaults
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.data import Dataset, arrays, load_dataset
from m2vaal_tf.errors import ConfigError, DataError
from m2vaal_tf.loop import ActiveLearningLoop
from m2vaal_tf.models import task_networks
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.settings import FLAGFILE, saved_in

DATA_FILE = "data.npz"


def prepare(config: ExperimentConfig, dataset: Optional[Dataset] = None,
            model_fn: Optional[Callable[..., keras.Model]] = None) -> ActiveLearningLoop:
    """Loads the data and checks the config against it and against the run directory; writes nothing.
    `model_fn(input_shape, num_classes)` is the user's task network, as `--model` names it."""
    if model_fn is not None:
        config = dataclasses.replace(config, model=task_networks.spec_of(model_fn))
    if dataset is None:
        dataset = load_dataset(config.dataset, config.data_dir, config.validation_size, config.image_size)
    if config.model:  # the user's model is built once here, so that its errors come before any state
        task_networks.build(config, dataset.image_shape, dataset.num_classes)
    if dataset.seed_indices is not None:
        config = config.with_seed_set(dataset.name, len(dataset.seed_indices))
    config_against_data.check(config, dataset.num_classes, len(dataset.pool_labels))
    settings = config.pool_settings()
    if dataset.fingerprint:
        settings["data_fingerprint"] = dataset.fingerprint  # the files or arrays, as pool indices refer to them
    pool_path = ActivePool.path_in(config.run_dir)
    if os.path.exists(pool_path):
        if not config.resume:
            raise ConfigError(f"--run_name={config.resolved_run_name}: {config.run_dir} already holds a run; "
                              "pass --resume (resume=True) to continue it or choose another --run_name")
        pool = ActivePool.load(pool_path, settings)
        _check_joint_model(config)
    else:
        if os.path.isdir(config.run_dir) and os.listdir(config.run_dir):
            raise ConfigError(f"--run_name={config.resolved_run_name}: {config.run_dir} exists and is not "
                              "an m2vaal_tf run (no pool.json); choose another --run_name or --logdir")
        pool = ActivePool.draw(settings, dataset.pool_labels, dataset.seed_indices, config)
    return ActiveLearningLoop(config, dataset, pool)


def _check_joint_model(config: ExperimentConfig) -> None:
    """A run resumes as the joint model it trained, whatever today's defaults (joint_defaults.py)."""
    saved = saved_in(config.run_dir, ExperimentConfig)
    if saved is not None:
        joint = joint_defaults.resolve(config.strategy, config.adversarial, config.m2_objective, config.disc_steps)
        joint_defaults.check_resume(config.strategy, joint, saved, os.path.join(config.run_dir, FLAGFILE))


def open_loop(data, strategy: str = "entropy", model_fn: Optional[Callable[..., keras.Model]] = None, *,
              test=None, class_names: Optional[Sequence[str]] = None, **settings) -> ActiveLearningLoop:
    """An active-learning loop on your data, ready for `fit`, `evaluate`, `query` and `teach` (or `run`).

    data         (x, y) numpy arrays, y = -1 where a label is unknown; a tf.data.Dataset of (image,
                 label) pairs; or a data-set spec as --dataset takes it ("folder:DIR", "npz:PATH", ...)
    strategy     any --strategy (entropy, badge, coreset, vaal, m2vaal, ...)
    model_fn     your task network: model_fn(input_shape, num_classes) -> an uncompiled keras.Model
                 with logits out (a top-level function, so that a resume can import it)
    test         optional (x_test, y_test) arrays or a tf.data.Dataset, for test accuracy
    class_names  optional names of the classes, for arrays
    settings     any other setting by its flag's name: budget=, initial_labeled=, epochs=, seed=,
                 logdir=, run_name=, resume=True, ... (the flag table, docs/)

    Where some labels are unknown, the labelled images are the seed set and a person answers:
    the oracle is `files` unless `oracle=` says otherwise. Without `max_labeled=` the run goes on
    until the pool is used up (or `max_rounds=`, or the stop rule).
    """
    if isinstance(data, str):
        config = ExperimentConfig(strategy=strategy, dataset=data, **settings)
        dataset = load_dataset(config.dataset, config.data_dir, config.validation_size, config.image_size)
        kept = None
    else:
        x, y = _arrays_of("data", data)
        x_test, y_test = _arrays_of("test", test) if test is not None else (None, None)
        config = ExperimentConfig(strategy=strategy, dataset="npz:arrays", **settings)  # names the run by default
        config = dataclasses.replace(config, run_name=config.resolved_run_name)
        path = os.path.join(config.run_dir, DATA_FILE)
        config = dataclasses.replace(config, dataset=f"npz:{path}")
        kept = (path, *arrays.conform(config.dataset, x, y, x_test, y_test, config.image_size))
        dataset = arrays.from_conformed(config.dataset, *kept[1:], class_names, config.validation_size,
                                        config.image_size)
    changes = {}
    if dataset.seed_indices is not None and "oracle" not in settings:
        changes["oracle"] = "files"
    if "max_labeled" not in settings:  # label until the pool is used up, unless told when to stop
        initial = len(dataset.seed_indices) if dataset.seed_indices is not None else config.initial_labeled
        changes["max_labeled"] = initial + (config.pool_subsample or len(dataset.pool_labels) - initial)
    loop = prepare(dataclasses.replace(config, **changes), dataset, model_fn)
    loop.start()
    if kept and not os.path.exists(kept[0]):
        arrays.save_npz(*kept, dataset.class_names)
    return loop


def _arrays_of(name: str, data):
    """(images, labels) of an (x, y) pair or a tf.data.Dataset."""
    if isinstance(data, tf.data.Dataset):
        return arrays.from_tf_dataset(f"open_loop({name}=...)", data)
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return data
    raise DataError(f"open_loop({name}=...): expected (images, labels) arrays, a tf.data.Dataset of (image, label) "
                    f"pairs{' or a data-set spec such as folder:DIR' if name == 'data' else ''}; got "
                    f"{type(data).__name__}")
