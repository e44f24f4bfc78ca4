"""The active-learning loop from Python (`m2vaal_tf.open_loop`): fit, evaluate, query and teach on a
user's arrays and Keras model, with the command line's state, so that each resumes the other's run
and both select the same batches."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import user_models
from conftest import PROJECT_ROOT

import m2vaal_tf
from m2vaal_tf.errors import ConfigError, DataError

SMALL = dict(budget=10, epochs=2, projector_every=0)
WITH_TESTS_ON_PATH = {**os.environ, "PYTHONPATH": os.path.join(PROJECT_ROOT, "tests")}


@pytest.fixture(scope="module")
def real_arrays(fashion_mnist_arrays):
    train_x, train_y, test_x, test_y = fashion_mnist_arrays
    return train_x[:700], train_y[:700], test_x[:200], test_y[:200]


def saved_pool(run_dir):
    with open(os.path.join(run_dir, "pool.json")) as f:
        return json.load(f)


def test_a_person_labels_from_python_then_from_the_command_line_then_from_python(real_arrays, tmp_path):
    x, y, x_test, y_test = real_arrays
    known = np.full(len(y), -1)
    known[:60] = y[:60]  # a seed set of 60 labels; the rest is for the person to label
    settings = dict(test=(x_test, y_test), logdir=str(tmp_path), run_name="mine", max_labeled=90, validation_size=10,
                    **SMALL)
    loop = m2vaal_tf.open_loop((x, known), "entropy", user_models.tiny_mlp, **settings)
    run_dir = str(tmp_path / "mine")
    assert loop.config.oracle == "files" and len(loop.labeled_indices) == 50  # 10 held out for validation
    history = loop.fit()
    assert history and all(len(values) == 2 for values in history.values())  # two epochs of each loss
    metrics = loop.evaluate()
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and 0.0 <= metrics["validation_accuracy"] <= 1.0
    query = loop.query()
    assert query.round == 0 and len(query.indices) == 10 and query.images.shape == (10, 28, 28, 1)
    assert saved_pool(run_dir)["pending"]["selected"] == query.indices.tolist()  # saved before it is returned
    rows = [int(source[len("x_train["):-1]) for source in query.sources]
    np.testing.assert_array_equal(query.images, x[rows])
    truth = y[rows]

    before = open(os.path.join(run_dir, "pool.json")).read()
    with pytest.raises(DataError, match="waits for its labels"):
        loop.fit()
    with pytest.raises(DataError, match="asked for pool indices"):
        loop.teach(query.indices[:5], truth[:5])
    with pytest.raises(DataError, match="class indices 0-9"):
        loop.teach(query.indices, truth + 10)
    assert open(os.path.join(run_dir, "pool.json")).read() == before  # nothing recorded
    loop.teach(query.indices[::-1], truth[::-1])  # any order
    loop.close()
    assert saved_pool(run_dir)["rounds"][0]["labels"] == truth.tolist()

    cli = subprocess.run([sys.executable, "train.py", f"--flagfile={run_dir}/flags.txt", "--resume"], cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300, env=WITH_TESTS_ON_PATH)
    assert cli.returncode == 0, cli.stderr
    assert "resuming at round 1" in cli.stdout and "Round 1: 10 images to label" in cli.stdout
    asked = saved_pool(run_dir)["pending"]["selected"]

    with pytest.raises(ConfigError, match="already holds a run"):
        m2vaal_tf.open_loop((x, known), "entropy", user_models.tiny_mlp, **settings)
    with pytest.raises(ConfigError, match="data_fingerprint"):
        m2vaal_tf.open_loop((x[::-1], known), "entropy", user_models.tiny_mlp, resume=True, **settings)
    with m2vaal_tf.open_loop((x, known), "entropy", user_models.tiny_mlp, resume=True, **settings) as again:
        query = again.query()  # the command line's pending query
        assert query.round == 1 and query.indices.tolist() == asked
        again.teach(query.indices, y[[int(s[len("x_train["):-1]) for s in query.sources]])
    assert len(saved_pool(run_dir)["rounds"]) == 2 and saved_pool(run_dir)["pending"] is None


def test_python_and_the_command_line_select_the_same_batches(real_arrays, tmp_path):
    """The command line plays the loop's steps with the simulated oracle: a Python run that answers
    with the true labels is the same run."""
    x, y, x_test, y_test = real_arrays
    settings = dict(initial_labeled=40, max_labeled=60, validation_size=100, **SMALL)
    loop = m2vaal_tf.open_loop((x, y), "coreset", user_models.tiny_mlp, test=(x_test, y_test), logdir=str(tmp_path),
                               run_name="python", **settings)
    while not loop.complete:
        query = loop.query()
        if len(query.indices):
            loop.teach(query.indices, loop.dataset.pool_labels[query.indices])
    loop.close()
    flags = [f"--{name}={value}" for name, value in settings.items()]
    cli = subprocess.run([sys.executable, "train.py", f"--dataset=npz:{tmp_path}/python/data.npz", "--strategy=coreset",
                          "--model=user_models:tiny_mlp", *flags, f"--logdir={tmp_path}", "--run_name=cli"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300, env=WITH_TESTS_ON_PATH)
    assert cli.returncode == 0, cli.stderr
    python_rounds, cli_rounds = saved_pool(tmp_path / "python")["rounds"], saved_pool(tmp_path / "cli")["rounds"]
    assert len(python_rounds) == len(cli_rounds) == 3
    for ours, theirs in zip(python_rounds, cli_rounds):
        assert ours["selected"] == theirs["selected"] and ours["labels"] == theirs["labels"]
        assert ours["metrics"]["test_accuracy"] == theirs["metrics"]["test_accuracy"]


def test_misuse_gets_one_line(real_arrays, tmp_path):
    x, y, _, _ = real_arrays
    with pytest.raises(DataError, match="expected \\(images, labels\\) arrays"):
        m2vaal_tf.open_loop(42, logdir=str(tmp_path))
    with pytest.raises(ConfigError, match="--budget=0"):
        m2vaal_tf.open_loop((x, y), budget=0, logdir=str(tmp_path))
    loop = m2vaal_tf.open_loop((x, y), initial_labeled=20, budget=10, validation_size=100, logdir=str(tmp_path),
                               run_name="m")
    with pytest.raises(DataError, match="no query waits for labels"):
        loop.teach([1], [0])
    loop.close()
