"""A person as the oracle (`--oracle=files`): the query is written, the run stops, the filled-in
labels file is checked and recorded on --resume; a bad file changes nothing."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT

from m2vaal_tf import experiment, oracle
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import DataError

SETTINGS = dict(strategy="margin", initial_labeled=100, budget=30, max_labeled=160, pool_subsample=800,
                epochs=2, batch_size=32, projector_every=0)


def start(tmp_path, dataset, run_name, **overrides):
    config = ExperimentConfig(**{**SETTINGS, **overrides}, logdir=str(tmp_path), run_name=run_name)
    lines = []
    pool = experiment.prepare(config, dataset=dataset).run(out=lines.append)
    return config, pool, lines


def resume(config, dataset):
    lines = []
    resumed = ExperimentConfig(**{**config.__dict__, "resume": True})
    pool = experiment.prepare(resumed, dataset=dataset).run(out=lines.append)
    return pool, lines


def labels_file(config, round_index):
    return os.path.join(config.run_dir, "queries", f"round_{round_index:02d}", oracle.LABELS_FILE)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_rows(path, rows, fieldnames=("pool_index", "image", "source", "model_guess", "label")):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fieldnames, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def fill_with_truth(path, dataset):
    """What a careful person does: label every row, some by class index and some by name."""
    rows = read_rows(path)
    for n, row in enumerate(rows):
        truth = int(dataset.pool_labels[int(row["pool_index"])])
        row["label"] = str(truth) if n % 2 else dataset.class_names[truth].upper()
    write_rows(path, rows)
    return rows


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, fashion_subset):
    _, pool, _ = start(tmp_path_factory.mktemp("simulated"), fashion_subset, "simulated")
    return pool


def test_query_is_written_and_the_run_stops(tmp_path, fashion_subset, simulated):
    config, pool, lines = start(tmp_path, fashion_subset, "person", oracle="files")
    assert not pool.rounds and pool.pending.round == 0 and not pool.complete
    assert pool.pending.selected == simulated.rounds[0].selected
    directory = os.path.dirname(labels_file(config, 0))
    rows = read_rows(labels_file(config, 0))
    assert [int(r["pool_index"]) for r in rows] == pool.pending.selected
    assert all(r["label"] == "" for r in rows)
    assert all(r["model_guess"] in fashion_subset.class_names for r in rows)
    first = tf.io.decode_png(tf.io.read_file(os.path.join(directory, rows[0]["image"]))).numpy()
    np.testing.assert_array_equal(first, fashion_subset.pool_images[int(rows[0]["pool_index"])])
    sheet = tf.io.decode_png(tf.io.read_file(os.path.join(directory, oracle.CONTACT_SHEET))).numpy()
    assert sheet.shape == (5 * 32, 6 * 32, 3)  # 30 images in 5 rows of 6, 28 px plus a 2 px frame
    assert "--resume" in lines[-1] and labels_file(config, 0) in lines[-1]
    # The query is in pool.json, so nothing is lost if the person takes a week.
    saved = json.load(open(os.path.join(config.run_dir, "pool.json")))
    assert saved["pending"]["selected"] == pool.pending.selected and saved["rounds"] == []


def test_filled_labels_are_recorded_and_the_run_matches_the_simulated_one(tmp_path, fashion_subset, simulated):
    config, _, _ = start(tmp_path, fashion_subset, "person", oracle="files")
    fill_with_truth(labels_file(config, 0), fashion_subset)
    pool, lines = resume(config, fashion_subset)
    assert "resuming at round 0 with the 30 labels" in lines[0]
    assert len(pool.rounds) == 1 and pool.pending.round == 1
    assert pool.rounds[0].labels == fashion_subset.pool_labels[pool.rounds[0].selected].tolist()
    fill_with_truth(labels_file(config, 1), fashion_subset)
    pool, lines = resume(config, fashion_subset)
    assert pool.complete and len(pool.rounds) == 3 and lines[-1].startswith("Done")
    # A person answering like the ground truth leads to the simulated run's labelled set, round by round.
    assert [r.selected for r in pool.rounds] == [r.selected for r in simulated.rounds]
    assert pool.labels.tolist() == simulated.labels.tolist()
    assert [r.metrics["selected_misclassified"] for r in pool.rounds[:-1]] == [
        r.metrics["selected_misclassified"] for r in simulated.rounds[:-1]]


def corrupt(rows, kind, dataset):
    rows = [dict(r) for r in rows]
    if kind == "empty label":
        rows[3]["label"] = ""
    elif kind == "unknown class":
        rows[4]["label"] = "Shrit"
    elif kind == "class index out of range":
        rows[4]["label"] = str(len(dataset.class_names))
    elif kind == "duplicate id":
        rows[5]["pool_index"] = rows[6]["pool_index"]
    elif kind == "foreign id":
        rows[7]["pool_index"] = "0"
    elif kind == "missing row":
        del rows[8]
    elif kind == "not a number":
        rows[2]["pool_index"] = "seven"
    return rows


@pytest.mark.parametrize("kind, message", [
    ("empty label", "no label"),
    ("unknown class", "unknown class 'Shrit'"),
    ("class index out of range", "unknown class '10'"),
    ("duplicate id", "appears twice"),
    ("foreign id", "was not asked in round 0"),
    ("missing row", "missing"),
    ("not a number", "is not a number"),
])
def test_bad_labels_file_is_refused_and_changes_nothing(tmp_path, fashion_subset, kind, message):
    config, pool, _ = start(tmp_path, fashion_subset, "person", oracle="files", max_labeled=130)
    path = labels_file(config, 0)
    rows = fill_with_truth(path, fashion_subset)
    write_rows(path, corrupt(rows, kind, fashion_subset))
    pool_json = open(os.path.join(config.run_dir, "pool.json")).read()
    with pytest.raises(DataError, match=message) as error:
        resume(config, fashion_subset)
    assert path in str(error.value) and "nothing was recorded" in str(error.value)
    assert open(os.path.join(config.run_dir, "pool.json")).read() == pool_json
    assert not os.path.exists(os.path.join(config.run_dir, "results.csv"))


def test_unanswered_query_is_reported_by_row_through_the_command_line(tmp_path, fashion_subset_dir):
    flags = [f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500", "--strategy=random",
             "--initial_labeled=50", "--budget=12", "--max_labeled=74", "--epochs=1", "--oracle=files",
             "--projector_every=0", f"--logdir={tmp_path}", "--run_name=cli"]
    first = subprocess.run([sys.executable, "train.py", *flags], cwd=PROJECT_ROOT, capture_output=True,
                           text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "Fill the 'label' column" in first.stdout
    again = subprocess.run([sys.executable, "train.py", f"--flagfile={tmp_path / 'cli' / 'flags.txt'}", "--resume"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2
    last = again.stderr.strip().splitlines()[-1]
    assert last.startswith("train.py: error:") and "12 problem(s)" in last and "line 2 (pool_index" in last
