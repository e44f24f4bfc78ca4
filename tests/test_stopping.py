"""The stopping rule: Cohen's kappa, the held-rounds count, the seeded stop set, and a real run that
logs kappa every round and ends under --stop_kappa."""
import csv
import dataclasses
import json
import os

import numpy as np
import pytest

from m2vaal_tf import experiment, stopping
from m2vaal_tf.config import ExperimentConfig


def test_kappa_is_one_for_identical_predictions_and_zero_at_chance():
    predictions = np.array([0, 1, 2, 2, 1, 0, 3])
    assert stopping.cohens_kappa(predictions, predictions) == 1.0
    assert stopping.cohens_kappa([4, 4, 4], [4, 4, 4]) == 1.0  # one class everywhere: identical, not undefined
    # Independent halves: each labeling is half 0, half 1, and they agree on half the items by chance.
    assert stopping.cohens_kappa([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.0)


def test_kappa_against_a_hand_computed_table():
    # 2x2 table [[20, 5], [10, 15]]: p_o = 35/50, p_e = (25*30 + 25*20)/50^2 = 0.5, kappa = 0.4.
    first = np.array([0] * 25 + [1] * 25)
    second = np.array([0] * 20 + [1] * 5 + [0] * 10 + [1] * 15)
    assert stopping.cohens_kappa(first, second) == pytest.approx(0.4)
    with pytest.raises(ValueError, match="same images"):
        stopping.cohens_kappa(first, second[:-1])


def test_held_rounds_counts_the_latest_run_of_rounds_above_the_threshold():
    assert stopping.held_rounds([None, 0.995, 0.97, 0.992, 0.999], 0.99) == 2
    assert stopping.held_rounds([None, 0.995], 0.99) == 1
    assert stopping.held_rounds([None], 0.99) == 0
    assert stopping.held_rounds([0.999, 0.98], 0.99) == 0


def test_stop_set_is_seeded_and_drawn_from_the_candidates():
    candidates = np.arange(100, 1100)
    first = stopping.draw_stop_set(candidates, 50, seed=3)
    assert np.array_equal(first, stopping.draw_stop_set(candidates, 50, seed=3))
    assert not np.array_equal(first, stopping.draw_stop_set(candidates, 50, seed=4))
    assert len(set(first.tolist())) == 50 and set(first.tolist()) <= set(candidates.tolist())
    assert np.array_equal(stopping.draw_stop_set(candidates[:10], 50, seed=3), candidates[:10])


def test_a_real_run_logs_kappa_and_ends_when_it_holds(tmp_path, fashion_subset):
    """Kappa from round 1 on; with a threshold any two trained models pass and patience 2, the run
    ends after round 2 without a query, long before --max_labeled."""
    config = ExperimentConfig(strategy="badge", initial_labeled=100, budget=50, max_labeled=600,
                              pool_subsample=1000, epochs=3, batch_size=32, stop_set_size=300, stop_kappa=0.05,
                              stop_patience=2, logdir=str(tmp_path), run_name="stops")
    lines = []
    pool = experiment.prepare(config, dataset=fashion_subset).run(out=lines.append)
    assert pool.complete and [len(r.selected) for r in pool.rounds] == [50, 50, 0]
    stop_lines = [line for line in lines if line.startswith("stopping at 200 labels")]
    assert len(stop_lines) == 1 and "--stop_kappa=0.05" in stop_lines[0], lines
    with open(os.path.join(config.run_dir, "results.csv")) as f:
        kappas = [row["stop_kappa"] for row in csv.DictReader(f)]
    assert kappas[0] == "" and all(0.05 <= float(k) <= 1.0 for k in kappas[1:]), kappas
    with open(os.path.join(config.run_dir, "pool.json")) as f:
        assert len(json.load(f)["stop_predictions"]) == 300


def test_the_person_labelling_is_told_the_current_kappa(tmp_path, fashion_subset):
    from m2vaal_tf import oracle
    config = ExperimentConfig(strategy="margin", initial_labeled=100, budget=20, max_labeled=200,
                              pool_subsample=500, epochs=2, batch_size=32, stop_set_size=200, oracle="files",
                              logdir=str(tmp_path), run_name="person")
    lines = []
    pool = experiment.prepare(config, dataset=fashion_subset).run(out=lines.append)
    assert any(line.startswith("Stopping rule: from the next round on") for line in lines), lines
    # The person labels round 0's query; round 1 then reports kappa against round 0.
    path = oracle.FileOracle(os.path.join(config.run_dir, "queries"), None, fashion_subset.class_names).labels_path(0)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "label": int(fashion_subset.pool_labels[int(row["pool_index"])])} for row in rows)
    lines = []
    resumed = dataclasses.replace(config, resume=True)
    experiment.prepare(resumed, dataset=fashion_subset).run(out=lines.append)
    told = [line for line in lines if line.startswith("Stopping rule: this round's predictions")]
    assert len(told) == 1 and "Cohen's kappa 0." in told[0] and "--stop_kappa=0.99" in told[0], lines
    assert len(pool.rounds) == 0


def test_replay_finds_where_the_rule_would_have_stopped(tmp_path):
    import subprocess
    import sys

    from conftest import PROJECT_ROOT
    path = tmp_path / "results.csv"
    path.write_text("round,labeled,test_accuracy,stop_kappa\n0,100,0.60,\n1,200,0.70,0.96\n2,300,0.75,0.98\n"
                    "3,400,0.76,0.99\n4,500,0.77,0.995\n")
    result = subprocess.run([sys.executable, os.path.join(PROJECT_ROOT, "scripts", "stop_rule_replay.py"), str(path),
                             "--thresholds=0.97,0.99", "--patience=2,3"], capture_output=True, text=True, check=True)
    rows = [line for line in result.stdout.splitlines() if line.startswith("| 0.9")]
    assert rows == ["| 0.97 | 2 | 400 | 0.7600 | +0.0100 |", "| 0.97 | 3 | 500 | 0.7700 | +0.0000 |",
                    "| 0.99 | 2 | 500 | 0.7700 | +0.0000 |", "| 0.99 | 3 | never (ran to 500) | – | – |"]
