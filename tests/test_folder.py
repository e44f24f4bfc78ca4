"""`--dataset=folder:DIR`: a user's own images (here real Fashion-MNIST images saved as files),
labelled by a person through `--oracle=files`, with every strategy."""
import csv
import math
import os

import numpy as np
import pytest
import tensorflow as tf

from m2vaal_tf import data, experiment, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError, DataError

CLASSES = {2: "Pullover", 7: "Sneaker", 8: "Bag"}


def save_png(path, image):
    tf.io.write_file(str(path), tf.io.encode_png(image))


def make_folder(root, images, labels, per_class=10, unlabeled=60, test=True, colour_every=0):
    """DIR/labeled/<class>/, DIR/unlabeled/ (+ one unreadable file), optionally DIR/test/<class>/.
    Returns {unlabelled file name: true class name}, the answers a person would give."""
    chosen = {c: np.flatnonzero(labels == c) for c in CLASSES}
    answers = {}
    for c, name in CLASSES.items():
        os.makedirs(root / "labeled" / name)
        for k, i in enumerate(chosen[c][:per_class]):
            save_png(root / "labeled" / name / f"{k:03d}.png", images[i])
        if test:
            os.makedirs(root / "test" / name)
            for k, i in enumerate(chosen[c][per_class:per_class + 8]):
                save_png(root / "test" / name / f"{k:03d}.png", images[i])
    os.makedirs(root / "unlabeled")
    rest = np.sort(np.concatenate([chosen[c][per_class + 8:per_class + 8 + unlabeled // 3] for c in CLASSES]))
    for k, i in enumerate(rest):
        image = images[i]
        if colour_every and k % colour_every == 0:  # a larger colour image, to be resized and converted
            image = np.repeat(np.repeat(np.repeat(image, 3, axis=-1), 2, axis=0), 2, axis=1)
        save_png(root / "unlabeled" / f"img{k:04d}.png", image)
        answers[f"unlabeled/img{k:04d}.png"] = CLASSES[int(labels[i])]
    (root / "unlabeled" / "broken.png").write_bytes(b"\x89PNG but not really")
    return answers


@pytest.fixture(scope="module")
def folder(tmp_path_factory, fashion_mnist_arrays):
    train_x, train_y, _, _ = fashion_mnist_arrays
    root = tmp_path_factory.mktemp("own_images")
    answers = make_folder(root, train_x[:3000], train_y[:3000])
    return str(root), answers


def test_folder_loads_seed_set_pool_and_test_set(folder):
    root, answers = folder
    warnings = []
    dataset = data.load_dataset(f"folder:{root}", warn=warnings.append)
    assert dataset.class_names == ("Bag", "Pullover", "Sneaker")
    assert dataset.image_shape == (28, 28, 1)
    assert len(dataset.val_labels) == 6  # a fifth of the 30 labelled images is held out
    assert dataset.seed_indices.tolist() == list(range(24))
    assert (dataset.pool_labels[:24] >= 0).all() and (dataset.pool_labels[24:] == -1).all()
    assert len(dataset.pool_labels) == 24 + len(answers)
    assert len(dataset.test_labels) == 24 and sorted(set(dataset.test_labels.tolist())) == [0, 1, 2]
    assert dataset.pool_sources[24] == "unlabeled/img0000.png"
    assert len(warnings) == 1 and "broken.png" in warnings[0] and "skipped 1 unreadable" in warnings[0]


def person_labels(run_dir, round_index, answers):
    path = os.path.join(run_dir, "queries", f"round_{round_index:02d}", "labels.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["label"] = answers[row["source"]]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def folder_config(root, tmp_path, run_name, **overrides):
    settings = dict(dataset=f"folder:{root}", oracle="files", strategy="entropy", budget=8, max_labeled=40,
                    epochs=2, batch_size=16, vae_epochs=2, vae_batch_size=16, projector_samples=40,
                    logdir=str(tmp_path),
                    run_name=run_name)
    return ExperimentConfig(**{**settings, **overrides})


def test_own_images_round_trip_with_a_person_labelling(folder, tmp_path):
    root, answers = folder
    config = folder_config(root, tmp_path, "mine", max_labeled=32)
    lines = []
    pool = experiment.prepare(config).run(out=lines.append)
    assert pool.pending.round == 0 and len(pool.pending.selected) == 8
    rows = person_labels(config.run_dir, 0, answers)
    assert all(r["source"].startswith("unlabeled/") for r in rows)
    resumed = ExperimentConfig(**{**config.__dict__, "resume": True})
    pool = experiment.prepare(resumed).run(out=lines.append)
    assert pool.complete and [r.labeled for r in pool.rounds] == [24, 32]
    names = ("Bag", "Pullover", "Sneaker")
    assert [names[y] for y in pool.rounds[0].labels] == [r["label"] for r in rows]
    assert 0 <= pool.rounds[-1].metrics["test_accuracy"] <= 1


def test_without_a_test_folder_only_validation_accuracy_is_reported(tmp_path, fashion_mnist_arrays):
    train_x, train_y, _, _ = fashion_mnist_arrays
    root = tmp_path / "no_test"
    make_folder(root, train_x[:3000], train_y[:3000], unlabeled=30, test=False)
    config = folder_config(str(root), tmp_path / "logs", "no_test", max_rounds=1)
    lines = []
    pool = experiment.prepare(config).run(out=lines.append)
    record = pool.rounds[0]
    assert math.isnan(record.metrics["test_accuracy"]) and 0 <= record.metrics["validation_accuracy"] <= 1
    assert any("test_acc=n/a" in line for line in lines)


def test_colour_images_of_any_size_make_an_rgb_data_set(tmp_path, fashion_mnist_arrays):
    train_x, train_y, _, _ = fashion_mnist_arrays
    root = tmp_path / "colour"
    make_folder(root, train_x[:3000], train_y[:3000], unlabeled=30, colour_every=5)
    dataset = data.load_dataset(f"folder:{root}", image_size=24, warn=lambda message: None)
    assert dataset.image_shape == (24, 24, 3)
    grey_source = dataset.pool_images[0]
    assert np.array_equal(grey_source[..., 0], grey_source[..., 1])  # grey images become grey RGB
    config = folder_config(str(root), tmp_path / "logs", "colour", image_size=24, strategy="m2vaal", max_rounds=2)
    pool = experiment.prepare(config, dataset=dataset).run(out=lambda line: None)
    assert len(pool.pending.selected) == 8


@pytest.mark.parametrize("strategy", strategies.names())
def test_every_strategy_queries_own_images(folder, tmp_path, strategy):
    root, _ = folder
    config = folder_config(root, tmp_path, strategy, strategy=strategy, epochs=1, max_rounds=2,
                           projector_every=0, mc_samples=2)
    pool = experiment.prepare(config).run(out=lambda line: None)
    selected = pool.pending.selected
    assert len(selected) == 8 and len(set(selected)) == 8 and min(selected) >= 24  # only unlabelled images


@pytest.mark.parametrize("overrides, error, message", [
    (dict(oracle="simulated"), ConfigError, "use --oracle=files"),
    (dict(initial_classes=(0, 1)), ConfigError, "--initial_classes does not apply"),
])
def test_folder_settings_that_cannot_work_are_refused(folder, tmp_path, overrides, error, message):
    root, _ = folder
    with pytest.raises(error, match=message):
        experiment.prepare(folder_config(root, tmp_path, "bad", **overrides))
    assert not os.path.exists(tmp_path / "bad")


def test_malformed_folders_are_named(tmp_path):
    with pytest.raises(DataError, match="no directory .*labeled"):
        data.load_dataset(f"folder:{tmp_path}")
    os.makedirs(tmp_path / "labeled" / "only_class")
    os.makedirs(tmp_path / "unlabeled")
    with pytest.raises(DataError, match="1 class folder"):
        data.load_dataset(f"folder:{tmp_path}")
