"""A user's own Keras model as the task network (`--model=package.module:function`, `model_fn=`):
every kind of strategy plays a round with a Keras Applications backbone, a command-line run with
export, TensorBoard and two replicas resumes after a kill, and a bad model is one clear error."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import user_models
from conftest import PROJECT_ROOT, kill_train_py_when, two_cpu_launcher

from m2vaal_tf import experiment
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError

TESTS = os.path.dirname(os.path.abspath(__file__))
SMALL_ROUND = dict(initial_labeled=20, budget=10, max_labeled=30, pool_subsample=200, epochs=1,
                   batch_size=16, vae_epochs=1, vae_batch_size=32, stop_set_size=0, projector_every=0)


@pytest.mark.parametrize("strategy", ["entropy", "coreset", "badge", "vaal", "m2vaal"])
def test_a_keras_applications_backbone_plays_a_round_with_each_kind_of_strategy(tmp_path, fashion_subset, strategy):
    config = ExperimentConfig(strategy=strategy, logdir=str(tmp_path), run_name=strategy, **SMALL_ROUND)
    """Round 0 (train, evaluate, select) as the round loop plays it; the command-line test below plays
    whole runs."""
    lines = []
    run = experiment.prepare(config, dataset=fashion_subset, model_fn=user_models.mobilenet)
    assert run.config.model == "user_models:mobilenet"
    played = run.play_unrecorded(out=lines.append)
    assert len(set(played.selected.tolist())) == 10 and set(played.selected.tolist()) <= set(run.pool.candidates)
    assert not set(played.selected.tolist()) & set(run.pool.labeled_indices.tolist())
    assert any("mobilenet_classifier" in line and "parameters" in line for line in lines)
    assert 0.0 <= played.metrics["test_accuracy"] <= 1.0

def test_own_model_from_the_command_line_on_two_replicas_resumes_after_a_kill(tmp_path, fashion_subset_dir,
                                                                               monkeypatch):
    """Killed once round 0's labels are saved, the run resumes from flags.txt (which names the model)
    and ends with the same labelled set an unkilled run has; its SavedModel embeds in the named layer."""
    monkeypatch.setenv("PYTHONPATH", TESTS)
    launcher = two_cpu_launcher(tmp_path)
    flags = [f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500", "--strategy=coreset",
             "--model=user_models:tiny_mlp", "--model_features_layer=embedding", "--distribute=mirrored",
             "--initial_labeled=32", "--budget=16", "--max_labeled=80", "--pool_subsample=300", "--epochs=2",
             "--batch_size=16", "--stop_set_size=0", "--export", "--projector_samples=50"]
    pool_path = tmp_path / "killed" / "pool.json"
    kill_train_py_when([*flags, f"--logdir={tmp_path}", "--run_name=killed"],
                       lambda: pool_path.exists() and len(json.loads(pool_path.read_text())["rounds"]) >= 1,
                       program=(str(launcher), "train.py"))
    resumed = subprocess.run([sys.executable, str(launcher), "train.py",
                              f"--flagfile={tmp_path / 'killed' / 'flags.txt'}", "--resume"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming at round" in resumed.stdout and "2 replica(s)" in resumed.stdout
    unkilled = subprocess.run([sys.executable, str(launcher), "train.py", *flags, f"--logdir={tmp_path}",
                               "--run_name=whole"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert unkilled.returncode == 0, unkilled.stderr[-3000:]
    ends = [json.loads((tmp_path / name / "pool.json").read_text())["rounds"] for name in ("killed", "whole")]
    assert [r["selected"] for r in ends[0]] == [r["selected"] for r in ends[1]]
    loaded = tf.saved_model.load(str(tmp_path / "killed" / "export" / "latest"))
    assert loaded.embed(np.zeros((3, 28, 28, 1), np.uint8))["embedding"].shape == (3, 32)  # tiny_mlp's embedding


@pytest.mark.parametrize("model, features_layer, message", [
    ("user_models:wrong_output", "", r"must output one \[batch, 10\] logits tensor"),
    ("no_such_module:build", "", "cannot import no_such_module"),
    ("user_models:no_such_function", "", "has no function no_such_function"),
    ("user_models:tiny_mlp", "no_such_layer", "--model_features_layer=no_such_layer: the model has no"),
])
def test_a_bad_model_is_one_error_before_anything_is_written(tmp_path, fashion_subset, model, features_layer,
                                                             message):
    config = ExperimentConfig(model=model, model_features_layer=features_layer, logdir=str(tmp_path), **SMALL_ROUND)
    with pytest.raises(ConfigError, match=message):
        experiment.prepare(config, dataset=fashion_subset)
    assert not os.listdir(tmp_path)


def test_model_spec_and_model_fn_must_be_importable():
    with pytest.raises(ConfigError, match="must be package.module:function"):
        ExperimentConfig(model="user_models.tiny_mlp")
    with pytest.raises(ConfigError, match="top level of a module"):
        experiment.prepare(ExperimentConfig(), model_fn=lambda shape, classes: None)
