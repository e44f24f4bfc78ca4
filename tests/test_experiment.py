"""The round loop on real Fashion-MNIST subsets: learning, results, determinism, crash and resume."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROJECT_ROOT, kill_train_py_when

from m2vaal_tf import experiment
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.models import precision
from m2vaal_tf.pool import ActivePool

SMALL = dict(initial_labeled=100, budget=100, max_labeled=400, pool_subsample=1500, epochs=4, batch_size=32)


def run(tmp_path, dataset, run_name, **overrides):
    config = ExperimentConfig(**{**SMALL, **overrides}, logdir=str(tmp_path), run_name=run_name)
    lines = []
    pool = experiment.prepare(config, dataset=dataset).run(out=lines.append)
    return pool, lines, config.run_dir


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, fashion_subset):
    """An uninterrupted margin run: 100 labelled + 100 per round to 400 (4 rounds)."""
    return run(tmp_path_factory.mktemp("reference"), fashion_subset, "reference", strategy="margin")


def test_end_to_end_learns_and_logs_every_round(reference_run):
    pool, lines, run_dir = reference_run
    assert [len(r.selected) for r in pool.rounds] == [100, 100, 100, 0] and pool.complete
    with open(os.path.join(run_dir, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["labeled"]) for r in rows] == [100, 200, 300, 400]
    accuracies = [float(r["test_accuracy"]) for r in rows]
    assert min(accuracies) > 0.4, accuracies  # 10 classes: chance is 0.1
    assert accuracies[-1] > accuracies[0], accuracies
    assert all(float(r["train_seconds"]) > 0 for r in rows)
    # Each round keeps the precision it computed in: `auto` resolves per machine.
    assert {r["precision"] for r in rows} == {r.precision for r in pool.rounds} == {precision.resolve("auto")}
    # ... and the hardware path it took: CPUs with and without AMX give different numbers.
    assert {r.kernels for r in pool.rounds} == {precision.kernels()} and precision.kernels().startswith("cpu ")
    assert any(line.startswith("model ") and f"; kernels {precision.kernels()}" in line for line in lines)
    assert len([line for line in lines if line.startswith("round ")]) == 4
    # The oracle's labels are recorded with the indices and match the ground truth here.
    assert len(set(pool.labeled_indices.tolist())) == 400


def test_strategies_share_round_zero_then_query_differently(reference_run, tmp_path, fashion_subset):
    """Same seed, different strategy: the same initial set and model, a different first query,
    and the labels recorded are the oracle's answers."""
    random_pool, _, _ = run(tmp_path, fashion_subset, "random", strategy="random", max_rounds=2)
    margin_pool = reference_run[0]
    truth = fashion_subset.pool_labels
    # Both runs share round 0 (same seed, same initial set, same model); compare the first queries.
    def model_metrics(record):
        return {k: v for k, v in record.metrics.items() if not k.startswith("selected_")}

    assert model_metrics(margin_pool.rounds[0]) == model_metrics(random_pool.rounds[0])
    assert margin_pool.rounds[0].selected != random_pool.rounds[0].selected
    assert np.array_equal(truth[margin_pool.rounds[0].selected], margin_pool.rounds[0].labels)


def test_same_seed_same_selection(reference_run, tmp_path, fashion_subset):
    pool, _, _ = run(tmp_path, fashion_subset, "again", strategy="margin", max_rounds=3)
    reference = reference_run[0]
    assert [r.selected for r in pool.rounds[:2]] == [r.selected for r in reference.rounds[:2]]
    other, _, _ = run(tmp_path, fashion_subset, "other_seed", strategy="margin", max_rounds=2, seed=1)
    assert other.rounds[0].selected != reference.rounds[0].selected


def test_resume_after_exception_mid_round(reference_run, tmp_path, fashion_subset):
    config = ExperimentConfig(**SMALL, strategy="margin", logdir=str(tmp_path), run_name="crashy")
    crashing = experiment.prepare(config, dataset=fashion_subset)
    calls = []

    def oracle_dies_in_round_2(indices):
        calls.append(len(indices))
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        return fashion_subset.pool_labels[indices]

    crashing.oracle.label = oracle_dies_in_round_2
    with pytest.raises(RuntimeError, match="simulated crash"):
        crashing.run(out=lambda line: None)
    saved = ActivePool.load(ActivePool.path_in(config.run_dir), config.pool_settings())
    assert saved.next_round == 1  # the crashed round left nothing behind

    lines = []
    resumed = experiment.prepare(ExperimentConfig(**{**config.__dict__, "resume": True}),
                                 dataset=fashion_subset).run(out=lines.append)
    assert "resuming at round 1" in lines[0]
    reference = reference_run[0]
    assert resumed.labeled_indices.tolist() == reference.labeled_indices.tolist()
    assert resumed.labels.tolist() == reference.labels.tolist()
    with open(os.path.join(config.run_dir, "results.csv")) as f:
        assert len(list(csv.DictReader(f))) == 4


def test_resuming_a_complete_run_does_nothing(reference_run, fashion_subset):
    _, _, run_dir = reference_run
    before = open(os.path.join(run_dir, "pool.json")).read()
    config = ExperimentConfig(**SMALL, strategy="margin", logdir=os.path.dirname(run_dir),
                              run_name="reference", resume=True)
    lines = []
    experiment.prepare(config, dataset=fashion_subset).run(out=lines.append)
    assert "already complete" in lines[0]
    assert open(os.path.join(run_dir, "pool.json")).read() == before


def test_killed_process_resumes_to_the_same_labeled_set(tmp_path, fashion_subset_dir):
    """SIGKILL a real `train.py` run mid-training, resume it from its flags.txt, and compare the
    final labelled set with an uninterrupted in-process run of the same flags."""
    flags = [f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500", "--strategy=entropy",
             "--initial_labeled=100", "--budget=100", "--max_labeled=300", "--pool_subsample=1500",
             "--epochs=3", "--batch_size=32", f"--logdir={tmp_path}", "--run_name=killed"]
    pool_path = tmp_path / "killed" / "pool.json"
    kill_train_py_when(flags, lambda: pool_path.exists() and len(json.loads(pool_path.read_text())["rounds"]) >= 1)
    killed_at = len(json.loads(pool_path.read_text())["rounds"])
    assert 1 <= killed_at < 3

    resumed = subprocess.run([sys.executable, "train.py", f"--flagfile={tmp_path / 'killed' / 'flags.txt'}",
                              "--resume"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at round {killed_at}" in resumed.stdout

    config = ExperimentConfig(dataset=f"idx:{fashion_subset_dir}", validation_size=500, strategy="entropy",
                              initial_labeled=100, budget=100, max_labeled=300, pool_subsample=1500,
                              epochs=3, batch_size=32, logdir=str(tmp_path), run_name="uninterrupted")
    uninterrupted = experiment.prepare(config).run(out=lambda line: None)
    final = json.loads(pool_path.read_text())
    assert [r["selected"] for r in final["rounds"]] == [r.selected for r in uninterrupted.rounds]
    assert [r["labels"] for r in final["rounds"]] == [r.labels for r in uninterrupted.rounds]


def test_tfds_dataset_with_colour_images_runs_a_round(tmp_path):
    """The networks adapt to the data set's image shape (here a mocked 32x32 RGB TFDS data set)."""
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=120):
        config = ExperimentConfig(dataset="tfds:cifar10", validation_size=20, initial_labeled=20, budget=10,
                                  max_labeled=30, epochs=1, logdir=str(tmp_path), run_name="cifar")
        pool = experiment.prepare(config).run(out=lambda line: None)
    assert [len(r.selected) for r in pool.rounds] == [10, 0]


def test_candidates_per_round_are_a_fresh_seeded_subset_each_round():
    """--candidates_per_round: TA-VAAL's SUBSET, a new random draw of the unlabelled pool every round,
    the same for the same seed, and all of the pool when it is smaller."""
    from m2vaal_tf.played_round import PlayedRound
    config = ExperimentConfig(candidates_per_round=50, initial_labeled=10, budget=5, max_labeled=100)
    labeled, labels, unlabeled = np.arange(10), np.zeros(10, np.int64), np.arange(10, 1000)
    first = PlayedRound.begin(0, config, labeled, labels, unlabeled).unlabeled
    assert len(first) == 50 and np.all(np.diff(first) > 0) and set(first) <= set(unlabeled)
    assert np.array_equal(first, PlayedRound.begin(0, config, labeled, labels, unlabeled).unlabeled)
    assert not np.array_equal(first, PlayedRound.begin(1, config, labeled, labels, unlabeled).unlabeled)
    assert len(PlayedRound.begin(1, config, labeled, labels, unlabeled[:30]).unlabeled) == 30
