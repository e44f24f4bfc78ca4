"""Data in the forms users hold (`data/arrays.py`, `data/csv_list.py`): numpy arrays, `.npz`
(`--dataset=npz:PATH`), a `tf.data.Dataset`, and a CSV of image paths and labels, from real
Fashion-MNIST images of other sizes and channel counts."""
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT

from m2vaal_tf import data
from m2vaal_tf.data import arrays, csv_list
from m2vaal_tf.errors import DataError


@pytest.fixture(scope="module")
def real_images(fashion_mnist_arrays):
    train_x, train_y, test_x, test_y = fashion_mnist_arrays
    return train_x[:400], train_y[:400], test_x[:100], test_y[:100]


def test_float_colour_arrays_of_another_size_are_resized_and_kept_in_their_rows(real_images):
    x, y, x_test, y_test = real_images
    colour = np.repeat(tf.image.resize(x.astype(np.float32), (36, 36)).numpy(), 3, axis=-1) / 255.0  # 0-1 floats
    colour_test = np.repeat(x_test, 3, axis=-1)  # uint8 0-255, already 28x28
    dataset = arrays.from_arrays("test", colour, y, colour_test, y_test, validation_size=50, image_size=28)
    assert dataset.pool_images.dtype == np.uint8 and dataset.image_shape == (28, 28, 3)
    assert len(dataset.pool_images) == 350 and len(dataset.val_images) == 50 and len(dataset.test_images) == 100
    np.testing.assert_array_equal(dataset.test_images, colour_test)
    with pytest.raises(DataError, match="x_test has 1 channel"):
        arrays.from_arrays("test", colour, y, x_test, y_test, validation_size=50)
    rows = [int(source[len("x_train["):-1]) for source in dataset.pool_sources]
    np.testing.assert_array_equal(dataset.pool_labels, y[rows])  # each pool image knows its row
    back = np.abs(dataset.pool_images[:20, ..., 0].astype(int) - x[rows[:20], ..., 0].astype(int))
    assert back.mean() < 12  # 28 -> 36 -> 28 is close to the original, channel 0 of the grey-to-RGB copy
    assert dataset.class_names == tuple(str(c) for c in range(10))


def test_unknown_labels_make_a_seed_set_and_a_pool(real_images):
    x, y, _, _ = real_images
    known = np.full(len(y), -1)
    known[:100] = y[:100]
    dataset = arrays.from_arrays("test", x, known, validation_size=50)
    assert len(dataset.seed_indices) == 80 and len(dataset.val_images) == 20  # at most a fifth held out
    assert np.all(dataset.pool_labels[80:] == -1) and len(dataset.pool_images) == 380
    other = arrays.from_arrays("test", x[::-1], known[::-1], validation_size=50)
    assert other.fingerprint != dataset.fingerprint


def test_npz_round_trip_and_the_command_line(real_images, tmp_path):
    x, y, x_test, y_test = real_images
    path = str(tmp_path / "mine.npz")
    arrays.save_npz(path, x[..., 0], y, x_test, y_test, class_names=[f"c{k}" for k in range(10)])
    loaded = data.load_dataset(f"npz:{path}", validation_size=50)
    direct = arrays.from_arrays("x", x, y, x_test, y_test, [f"c{k}" for k in range(10)], validation_size=50)
    np.testing.assert_array_equal(loaded.pool_images, direct.pool_images)
    assert loaded.class_names[3] == "c3" and loaded.fingerprint == direct.fingerprint
    done = subprocess.run([sys.executable, "train.py", f"--dataset=npz:{path}", "--validation_size=50",
                           "--initial_labeled=40", "--budget=20", "--max_labeled=60", "--epochs=1",
                           "--strategy=margin", "--projector_every=0", f"--logdir={tmp_path}", "--run_name=npz"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "round 1: labeled=60" in done.stdout


@pytest.mark.parametrize("arrays_in, message", [
    (dict(x_train=np.zeros((5, 8, 8)), y_train=np.zeros(4, int)), "y_train must be 5 integer labels"),
    (dict(x_train=np.full((5, 8, 8), 300.0), y_train=np.zeros(5, int)), "outside 0-255"),
    (dict(x_train=np.zeros((5, 8)), y_train=np.zeros(5, int)), "x_train must be images"),
    (dict(x_train=np.zeros((5, 8, 8)), y_train=np.array([0, 1, -2, 0, 1])), "label -2"),
    (dict(x_train=np.zeros((5, 8, 8)), y_train=np.zeros(5, int), x_test=np.zeros((2, 8, 8))), "both x_test"),
    (dict(x_train=np.zeros((5, 8, 8)), y_train=np.array([0, 1, 0, 1, 0]), class_names=["a"]), "names 1 classes"),
])
def test_bad_arrays_get_one_line_naming_the_array(arrays_in, message):
    with pytest.raises(DataError, match=message) as caught:
        arrays.from_arrays("npz:f.npz", **arrays_in, validation_size=1, image_size=8)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("--dataset=npz:f.npz: ")


def test_bad_npz_files(tmp_path):
    np.savez(tmp_path / "keys.npz", images=np.zeros((3, 8, 8)))
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    for name, message in (("keys.npz", "expected arrays x_train, y_train"), ("broken.npz", "cannot read it"),
                          ("absent.npz", "cannot read it")):
        with pytest.raises(DataError, match=message):
            data.load_dataset(f"npz:{tmp_path / name}")


def test_tf_data_dataset_of_pairs_and_of_dicts(real_images):
    x, y, _, _ = real_images
    pairs = tf.data.Dataset.from_tensor_slices((x[:30], y[:30]))
    images, labels = arrays.from_tf_dataset("data", pairs)
    np.testing.assert_array_equal(images, x[:30])
    np.testing.assert_array_equal(labels, y[:30])
    dicts = tf.data.Dataset.from_tensor_slices({"image": x[:30], "label": y[:30]})
    np.testing.assert_array_equal(arrays.from_tf_dataset("data", dicts)[1], y[:30])
    with pytest.raises(DataError, match="pairs"):
        arrays.from_tf_dataset("data", tf.data.Dataset.from_tensor_slices(x[:3]))


def write_csv_data(root, x, y):
    """Real images as files of three sizes, grey and colour; 30 labelled (by class name), 60 to label,
    20 for test, and one unreadable file. Returns the CSV's path."""
    names = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"]
    rows = ["path,label,split"]
    os.makedirs(root / "img")
    for i in range(110):
        image = x[i]
        if i % 3 == 1:
            image = tf.image.resize(image, (40, 40)).numpy().round().astype(np.uint8)
        if i % 3 == 2:
            image = np.repeat(image, 3, axis=-1)
        tf.io.write_file(str(root / "img" / f"{i}.png"), tf.io.encode_png(image))
        label, split = (names[y[i]], "") if i < 30 else ("", "") if i < 90 else (names[y[i]], "test")
        rows.append(f"img/{i}.png,{label},{split}")
    (root / "img" / "bad.png").write_bytes(b"not a png")
    rows.append("img/bad.png,,")
    (root / "list.csv").write_text("\n".join(rows) + "\n")
    return str(root / "list.csv")


def test_csv_of_paths_and_labels(real_images, tmp_path):
    x, y, _, _ = real_images
    path = write_csv_data(tmp_path, x, y)
    warnings = []
    dataset = csv_list.load(path, image_size=28, validation_size=5, warn=warnings.append)
    assert len(warnings) == 1 and "img/bad.png" in warnings[0]
    assert dataset.image_shape == (28, 28, 3) and len(dataset.test_images) == 20
    assert len(dataset.seed_indices) + len(dataset.val_images) == 30 and len(dataset.pool_images) == 60 + 25
    assert set(dataset.class_names) <= {"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                                        "Sneaker", "Bag", "Boot"}
    assert dataset.class_names == tuple(sorted(dataset.class_names))
    assert dataset.pool_sources[-1] == "img/89.png" and np.all(dataset.pool_labels[25:] == -1)


def test_bad_csv_is_one_line_from_the_command_line(tmp_path):
    (tmp_path / "no_header.csv").write_text("a.png,Bag\n")
    (tmp_path / "bad_split.csv").write_text("path,label,split\na.png,Bag,valid\nb.png,Coat,\n")
    for name, message in (("no_header.csv", "expected a header with columns path,label"),
                          ("bad_split.csv", "line 2 has split 'valid'")):
        done = subprocess.run([sys.executable, "train.py", f"--dataset=csv:{tmp_path / name}", "--oracle=files",
                               f"--logdir={tmp_path / 'logs'}"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              timeout=120, env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
        assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert not (tmp_path / "logs").exists()
