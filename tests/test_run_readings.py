"""scripts/run_readings.py: one run read against the records, on the small real grid of
tests/fixtures/runs (protocol "T": random, entropy and M2-VAAL, seeds 0 and 1, 60 -> 140 labels).
Every number is recomputed here from the runs' results.csv, not from the script's own functions."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
from conftest import PROJECT_ROOT

RUNS = os.path.join(PROJECT_ROOT, "tests", "fixtures", "runs")
SCRIPT = os.path.join(PROJECT_ROOT, "scripts", "run_readings.py")


def readings(*args):
    return subprocess.run([sys.executable, SCRIPT, *args, f"--records_dir={RUNS}"],
                          capture_output=True, text=True, timeout=120)


def column(run, name):
    with open(os.path.join(RUNS, "T", run, "results.csv"), encoding="utf-8") as f:
        return np.array([float(row[name]) if row[name] else np.nan for row in csv.DictReader(f)])


def auc(run, rounds=None):
    labeled, accuracy = column(run, "labeled")[:rounds], column(run, "test_accuracy")[:rounds]
    return np.trapezoid(accuracy, labeled) / (labeled[-1] - labeled[0])


def test_a_finished_run_against_random_and_a_second_run():
    done = readings(os.path.join(RUNS, "T", "T_m2vaal_seed0"), "--accuracy=0.25",
                    "--versus", os.path.join(RUNS, "T", "T_entropy_seed0"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    mine, theirs = auc("T_m2vaal_seed0"), auc("T_random_seed0")
    assert f"paired with random seed 0 over 3 rounds: {mine:.4f} - {theirs:.4f} = {mine - theirs:+.4f}" in out
    random_mean = (column("T_random_seed0", "test_accuracy") + column("T_random_seed1", "test_accuracy")) / 2
    accuracy, labeled = column("T_m2vaal_seed0", "test_accuracy"), column("T_m2vaal_seed0", "labeled")
    for count, acc, mean in zip(labeled, accuracy, random_mean):
        assert f"| {int(count):,} | {acc:.4f} | {mean:.4f} | {acc - mean:+.3f} |" in out
    assert f"behind it at {int(np.sum(accuracy[1:] < random_mean[1:]))} of the 2 rounds after round 0" in out
    # The split at 0.25 accuracy: D's held-out AUC averaged on each side.
    d_auc = column("T_m2vaal_seed0", "discriminator_auc")
    below = accuracy < 0.25
    assert f"accuracy below 0.25: {below.sum()} rounds; D AUC mean {d_auc[below].mean():.2f}" in out
    assert f"accuracy at >= 0.25: 1 round; D AUC mean {d_auc[~below].mean():.2f}" in out and (~below).sum() == 1
    versus = auc("T_entropy_seed0")
    assert f"versus T_entropy_seed0 over 3 rounds: AUC {mine:.4f} - {versus:.4f} = {mine - versus:+.4f}" in out


def test_a_run_under_way_is_paired_on_the_rounds_it_has_played(tmp_path):
    with open(os.path.join(RUNS, "T", "T_m2vaal_seed1", "pool.json"), encoding="utf-8") as f:
        state = json.load(f)
    state["rounds"] = state["rounds"][:2]
    run = tmp_path / "T_m2vaal_seed1"
    run.mkdir()
    (run / "pool.json").write_text(json.dumps(state), encoding="utf-8")
    done = readings(str(run))
    assert done.returncode == 0, done.stderr
    mine, theirs = auc("T_m2vaal_seed1", 2), auc("T_random_seed1", 2)
    assert "T_m2vaal_seed1 (m2vaal, seed 1): 2 rounds, 60 -> 100 labelled" in done.stdout
    assert f"over 2 rounds: {mine:.4f} - {theirs:.4f} = {mine - theirs:+.4f}" in done.stdout


def test_bad_input_is_one_line_naming_the_argument(tmp_path):
    missing = readings(str(tmp_path / "T_nothing_seed0"))
    assert missing.returncode != 0 and missing.stdout == ""
    assert missing.stderr.strip().count("\n") == 0 and "T_nothing_seed0: no pool.json there" in missing.stderr
    threshold = readings(os.path.join(RUNS, "T", "T_random_seed0"), "--accuracy=80")
    assert threshold.returncode != 0 and "--accuracy=80.0: expected a test accuracy" in threshold.stderr


def test_the_plain_classifier_beside_a_generative_learner_is_read_against_random():
    done = readings(os.path.join(RUNS, "T", "T_m2vaal_seed1"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    labeled = column("T_m2vaal_seed1", "labeled")
    plain, own = column("T_m2vaal_seed1", "reference_accuracy"), column("T_m2vaal_seed1", "test_accuracy")
    plain_auc = np.trapezoid(plain, labeled) / (labeled[-1] - labeled[0])
    lead = plain - own
    assert (f"normalised AUC {plain_auc:.4f}; its lead over the run's own classifier {lead.mean():+.3f} on "
            f"average ({lead.min():+.3f} to {lead.max():+.3f}), ahead at {int((lead > 0).sum())} of 3 rounds") in out
    random_auc = auc("T_random_seed1")
    ahead = int((plain[1:] > column("T_random_seed1", "test_accuracy")[1:]).sum())
    assert (f"plain classifier paired with random seed 1 over 3 rounds: {plain_auc:.4f} - {random_auc:.4f} = "
            f"{plain_auc - random_auc:+.4f}; ahead at {ahead} of the 2 rounds after round 0") in out
    # Over the learner's two finished seeds, each paired with random's same seed: mean ± t(1) * sd / sqrt(2).
    own_gaps, plain_gaps = [], []
    for seed in (0, 1):
        run_labeled = column(f"T_m2vaal_seed{seed}", "labeled")
        run_plain = column(f"T_m2vaal_seed{seed}", "reference_accuracy")
        own_gaps.append(auc(f"T_m2vaal_seed{seed}") - auc(f"T_random_seed{seed}"))
        plain_gaps.append(np.trapezoid(run_plain, run_labeled) / (run_labeled[-1] - run_labeled[0])
                          - auc(f"T_random_seed{seed}"))
    half = lambda gaps: 12.706 * np.std(gaps, ddof=1) / np.sqrt(2)  # noqa: E731
    assert (f"m2vaal's records, seeds 0,1, AUC minus random paired by seed (95 % CI): own classifier "
            f"{np.mean(own_gaps):+.4f} ± {half(own_gaps):.4f}, plain classifier {np.mean(plain_gaps):+.4f} ± "
            f"{half(plain_gaps):.4f}") in out


def test_a_strategy_without_a_plain_classifier_prints_no_plain_readings():
    done = readings(os.path.join(RUNS, "T", "T_entropy_seed0"))
    assert done.returncode == 0, done.stderr
    assert "paired with random seed 0" in done.stdout and "plain classifier" not in done.stdout
