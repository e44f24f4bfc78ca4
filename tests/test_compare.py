"""The comparison runner: a resumable grid of real runs and the summary computed from them."""
import csv
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import PROJECT_ROOT

from m2vaal_tf.reporting import curves


def test_normalised_auc_is_the_mean_accuracy_along_the_curve():
    labeled = np.array([100, 200, 400])
    assert curves.normalised_auc(labeled, np.array([0.7, 0.7, 0.7])) == pytest.approx(0.7)
    # Trapezoids: (0.5+0.6)/2 * 100 + (0.6+0.9)/2 * 200 = 55 + 150, over 300 labelled.
    assert curves.normalised_auc(labeled, np.array([0.5, 0.6, 0.9])) == pytest.approx(205 / 300)
    assert curves.normalised_auc(np.array([50]), np.array([0.4])) == pytest.approx(0.4)


def curve(strategy, seed, accuracy, labeled=(100, 200, 300), misclassified=(0.5, 0.25), queried=(0, 1, 2, 3)):
    return curves.Curve(strategy, seed, np.array(labeled), np.array(accuracy), np.array(misclassified),
                        np.array(queried), np.array([0, 1]), 10.0)


def test_query_class_balance_and_new_classes():
    balanced = curve("random", 0, [0.5, 0.6, 0.7], queried=(0, 1, 2, 3))
    assert balanced.class_balance == pytest.approx(1.0) and balanced.new_class_fraction == pytest.approx(0.5)
    one_class = curve("m2vaal", 0, [0.5, 0.6, 0.7], queried=(3, 3, 3, 3))
    assert one_class.class_balance == pytest.approx(0.0) and one_class.new_class_fraction == pytest.approx(1.0)


def test_per_batch_balance_sees_one_class_batches_that_pooling_hides():
    """Two batches of one class each pool to a balanced mixture; per batch they are not balanced."""
    skewed = curves.Curve("m2vaal", 0, np.array([100, 200, 300]), np.array([0.5, 0.6, 0.7]), np.array([0.5, 0.5]),
                          np.array([0, 0, 0, 1, 1, 1, 1, 2]), np.array([0, 1, 2]), 10.0, batch_sizes=np.array([3, 5]))
    assert skewed.class_balance > 0.85
    by_hand = (0.0 - (0.8 * np.log(0.8) + 0.2 * np.log(0.2)) / np.log(3)) / 2
    assert skewed.batch_balance == pytest.approx(by_hand)
    assert skewed.worst_batch_share == pytest.approx(1.0)
    summary = curves.summarise([skewed])[0]
    assert summary.batch_balance == pytest.approx(by_hand) and summary.worst_batch_share == 1.0


def test_summary_over_seeds():
    summaries = curves.summarise([curve("random", 0, [0.5, 0.6, 0.7]), curve("random", 1, [0.7, 0.8, 0.9]),
                                  curve("entropy", 0, [0.5, 0.7, 0.8], misclassified=(0.75, 0.25))])
    random, entropy = summaries
    assert random.strategy == "random" and random.seeds == [0, 1]
    np.testing.assert_allclose(random.mean, [0.6, 0.7, 0.8])
    np.testing.assert_allclose(random.std, [np.sqrt(0.02)] * 3)  # sample std (ddof 1) of two values 0.2 apart
    assert random.auc_mean == pytest.approx(0.7) and random.auc_std == pytest.approx(np.sqrt(0.02))
    assert entropy.first_query_misclassified == pytest.approx(0.75) and entropy.misclassified == pytest.approx(0.5)
    assert entropy.std.tolist() == [0, 0, 0]
    table = curves.markdown(summaries)
    assert "| random | 0.600 ± 0.141 | 0.700 ± 0.141 | 0.800 ± 0.141 |" in table
    assert table.index("| entropy | 0.6") > table.index("| random | 0.7")  # AUC table, best first


def test_seeds_with_different_labelled_counts_are_an_error():
    with pytest.raises(ValueError, match="different labelled counts"):
        curves.summarise([curve("random", 0, [0.5, 0.6, 0.7]),
                          curve("random", 1, [0.5, 0.6, 0.7], labeled=(100, 150, 200))])


def compare(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "m2vaal_tf.compare", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600, **kwargs)


def test_grid_runs_summarises_and_skips_finished_runs(tmp_path, fashion_subset_dir):
    flags = [f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500", "--protocol=T",
             "--initial_labeled=60", "--budget=40", "--max_labeled=140", "--pool_subsample=600", "--epochs=1",
             "--batch_size=32", "--projector_every=0", f"--logdir={tmp_path}",
             "--strategies=random,margin", "--seeds=0,1", f"--records_dir={tmp_path / 'records'}"]
    first = compare(*flags)
    assert first.returncode == 0, first.stderr[-2000:]
    for name in ("T_random_seed0", "T_random_seed1", "T_margin_seed0", "T_margin_seed1"):
        assert os.path.exists(tmp_path / name / "pool.json"), name
        assert f"--run_name={name}" in (tmp_path / name / "flags.txt").read_text()
        record = tmp_path / "records" / "T" / name
        assert sorted(os.listdir(record)) == ["flags.txt", "pool.json", "results.csv"]
        assert (record / "pool.json").read_bytes() == (tmp_path / name / "pool.json").read_bytes()
    summary = tmp_path / "T_summary"
    with open(summary / "curves.csv") as f:
        rows = list(csv.DictReader(f))
    assert [(r["strategy"], r["labeled"]) for r in rows] == [
        ("random", "60"), ("random", "100"), ("random", "140"), ("margin", "60"), ("margin", "100"), ("margin", "140")]
    # Same seed, same initial set and model: round 0 is shared by both strategies.
    assert rows[0]["test_accuracy_mean"] == rows[3]["test_accuracy_mean"]
    assert (summary / "learning_curves.png").exists() == (importlib.util.find_spec("matplotlib") is not None)
    table = (summary / "summary.md").read_text()

    again = compare(*flags)
    assert again.returncode == 0 and again.stdout.count(", skipped") == 4  # by their records
    assert again.stdout.count(f"recorded in {tmp_path / 'records' / 'T'}") == 4
    assert (summary / "summary.md").read_text() == table


def _selected_per_round(pool_path):
    with open(pool_path) as f:
        return [r["selected"] for r in json.load(f)["rounds"]]


def test_an_unfinished_run_resumes_on_a_fresh_log_directory_from_its_kept_copy(tmp_path, fashion_subset_dir):
    """The grid's runs outlast a session, and a session may start on a fresh clone: the copy kept
    in --unfinished_dir after every round must resume the run where it was, selecting what an
    uninterrupted run selects, and disappear when the run finishes."""
    unfinished = tmp_path / "unfinished"
    flags = [f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500", "--protocol=T", "--initial_labeled=60",
             "--budget=40", "--max_labeled=180", "--pool_subsample=600", "--epochs=1", "--batch_size=32",
             "--projector_every=0", "--strategies=margin", "--seeds=0"]
    kept = unfinished / "T" / "T_margin_seed0" / "pool.json"
    killed = subprocess.Popen([sys.executable, "-m", "m2vaal_tf.compare", *flags, f"--logdir={tmp_path / 'first'}",
                               f"--unfinished_dir={unfinished}"], cwd=PROJECT_ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (kept.exists() and _selected_per_round(kept)) and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    rounds_kept = _selected_per_round(kept)
    assert 1 <= len(rounds_kept) < 4, "the run was to be killed after its first round and before its last"

    resumed = compare(*flags, f"--logdir={tmp_path / 'fresh'}", f"--unfinished_dir={unfinished}")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "T_margin_seed0: restored from" in resumed.stdout and "resuming at round" in resumed.stdout
    assert not (unfinished / "T").exists()  # finished: nothing left to resume

    uninterrupted = compare(*flags, f"--logdir={tmp_path / 'whole'}")
    assert uninterrupted.returncode == 0, uninterrupted.stderr[-2000:]
    whole = _selected_per_round(tmp_path / "whole" / "T_margin_seed0" / "pool.json")
    assert len(whole) == 4 and whole[:len(rounds_kept)] == rounds_kept
    assert _selected_per_round(tmp_path / "fresh" / "T_margin_seed0" / "pool.json") == whole


def test_grid_refuses_a_run_name_and_unknown_strategies(tmp_path):
    for bad, message in (("--run_name=one", "--run_name names one run"), ("--strategies=random,nope", "nope unknown")):
        args = ["--strategies=random", f"--logdir={tmp_path}", bad]
        done = compare(*args)
        assert done.returncode == 2 and message in done.stderr.strip().splitlines()[-1]
        assert not os.listdir(tmp_path)
