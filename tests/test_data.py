"""IDX parsing, the fixed split, initial pools and the data-set sources."""
import os

import numpy as np
import pytest
import tensorflow_datasets as tfds
from conftest import write_idx, write_idx_directory

from m2vaal_tf import data, pool
from m2vaal_tf.errors import DataError
from m2vaal_tf.rounds import streams as pipelines


def test_real_fashion_mnist_split(fashion_mnist_arrays):
    dataset = data.load_dataset("fashion_mnist")
    assert dataset.pool_images.shape == (55000, 28, 28, 1) and dataset.pool_images.dtype == np.uint8
    assert dataset.val_images.shape == (5000, 28, 28, 1)
    assert dataset.test_images.shape == (10000, 28, 28, 1)
    assert dataset.class_names[2] == "Pullover" and dataset.num_classes == 10
    # Pool and validation partition the training set: match images back to training rows.
    train_x = fashion_mnist_arrays[0]
    row_of = {train_x[i].tobytes(): i for i in range(len(train_x))}
    pool_rows = {row_of[x.tobytes()] for x in dataset.pool_images}
    val_rows = {row_of[x.tobytes()] for x in dataset.val_images}
    assert not pool_rows & val_rows
    assert len(pool_rows | val_rows) == len({x.tobytes() for x in train_x})
    # The split is fixed: loading again gives the same validation set.
    assert np.array_equal(data.load_dataset("fashion_mnist").val_labels, dataset.val_labels)


def test_idx_round_trip_raw_and_gzip(tmp_path):
    array = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    for name in ("a.idx", "a.idx.gz"):
        write_idx(str(tmp_path / name), array)
        assert np.array_equal(data.read_idx(str(tmp_path / name), expected_ndim=(3,)), array)


@pytest.mark.parametrize("corruption, message", [
    (lambda raw: b"\x08\x00" + raw[2:], "bad magic"),
    (lambda raw: raw[:2] + b"\x0d" + raw[3:], "not supported"),
    (lambda raw: raw[:-5], "truncated or corrupt"),
    (lambda raw: raw + b"\x00", "truncated or corrupt"),
    (lambda raw: raw[:6], "truncated IDX header"),
])
def test_corrupt_idx_is_a_clear_error(tmp_path, corruption, message):
    good = tmp_path / "good.idx"
    write_idx(str(good), np.zeros((4, 5, 5), dtype=np.uint8))
    bad = tmp_path / "bad.idx"
    bad.write_bytes(corruption(good.read_bytes()))
    with pytest.raises(DataError, match=message) as error:
        data.read_idx(str(bad), expected_ndim=(3,))
    assert str(bad) in str(error.value)


def test_truncated_gzip_is_a_clear_error(tmp_path, fashion_subset_dir):
    original = open(os.path.join(fashion_subset_dir, "train-labels-idx1-ubyte.gz"), "rb").read()
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(original[: len(original) // 2])
    with pytest.raises(DataError, match="truncated or not a valid gzip"):
        data.read_idx(str(bad), expected_ndim=(1,))


def test_wrong_dimensionality_is_rejected(tmp_path):
    path = str(tmp_path / "labels.idx")
    write_idx(path, np.zeros((3, 2), dtype=np.uint8))
    with pytest.raises(DataError, match="2 dimensions, expected 1"):
        data.read_idx(path, expected_ndim=(1,))


def test_label_count_mismatch_is_rejected(tmp_path):
    x = np.zeros((10, 4, 4), np.uint8)
    write_idx_directory(str(tmp_path), x, np.zeros(9, np.uint8), x, np.zeros(10, np.uint8))
    with pytest.raises(DataError, match="9 labels for 10 images"):
        data.read_idx_directory(str(tmp_path))


def test_missing_file_names_it(tmp_path):
    with pytest.raises(DataError, match="missing train-images-idx3-ubyte.gz"):
        data.load_dataset("fashion_mnist", data_dir=str(tmp_path))


def test_user_idx_directory_any_square_size(tmp_path, fashion_mnist_arrays):
    """--dataset=idx:DIR with real images downsampled to 14x14 and only 3 classes, uncompressed."""
    train_x, train_y, test_x, test_y = fashion_mnist_arrays
    keep = np.isin(train_y, [0, 1, 2])[:2000]
    small_train = train_x[:2000][keep, ::2, ::2, 0]
    small_test = test_x[:300][np.isin(test_y[:300], [0, 1, 2]), ::2, ::2, 0]
    write_idx_directory(str(tmp_path), small_train, train_y[:2000][keep],
                        small_test, test_y[:300][np.isin(test_y[:300], [0, 1, 2])], compress=False)
    dataset = data.load_dataset(f"idx:{tmp_path}", validation_size=100)
    assert dataset.image_shape == (14, 14, 1)
    assert dataset.num_classes == 3
    assert len(dataset.pool_images) == int(keep.sum()) - 100


def test_non_square_images_are_rejected(tmp_path):
    x = np.zeros((10, 4, 6), np.uint8)
    write_idx_directory(str(tmp_path), x, np.zeros(10, np.uint8), x, np.zeros(10, np.uint8))
    with pytest.raises(DataError, match="square images are expected"):
        data.read_idx_directory(str(tmp_path))


def test_offline_download_fails_with_instructions(monkeypatch, tmp_path):
    import keras

    def offline():
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(data.idx, "SYSTEM_FASHION_MNIST_DIR", str(tmp_path / "none1"))
    monkeypatch.setattr(data.idx, "KERAS_CACHE_FASHION_MNIST_DIR", str(tmp_path / "none2"))
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        data.load_dataset("fashion_mnist")


def test_unknown_dataset_spec():
    with pytest.raises(DataError, match="--dataset='mnist' is not understood"):
        data.load_dataset("mnist")


@pytest.mark.parametrize("name, shape, first_class", [
    ("fashion_mnist", (28, 28, 1), "T-shirt/top"),  # TFDS ships its metadata: real class names.
    ("cifar10", (32, 32, 3), "0"),  # No metadata shipped: the mock numbers the classes.
])
def test_tfds_source(name, shape, first_class):
    with tfds.testing.mock_data(num_examples=60):
        dataset = data.load_dataset(f"tfds:{name}", validation_size=10)
    assert dataset.image_shape == shape
    assert len(dataset.pool_images) == 50 and len(dataset.test_images) == 60
    assert dataset.num_classes == 10 and dataset.class_names[0] == first_class


def test_tfds_unavailable_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="tfds build"):
        data.load_dataset("tfds:no_such_dataset_xyz", data_dir=str(tmp_path))


def test_initial_labeled_only_from_given_classes(fashion_subset):
    rng = np.random.default_rng(0)
    indices = pool.draw_initial_labeled(fashion_subset.pool_labels, 100, (2, 4, 7), rng)
    assert len(set(indices.tolist())) == 100
    assert set(fashion_subset.pool_labels[indices].tolist()) == {2, 4, 7}
    with pytest.raises(DataError, match="exceeds the"):
        pool.draw_initial_labeled(fashion_subset.pool_labels, 2000, (2,), rng)


def test_unlabeled_candidates_exclude_labeled_and_subsample():
    rng = np.random.default_rng(0)
    labeled = np.array([0, 5, 9])
    assert pool.draw_unlabeled_candidates(10, labeled, 0, rng).tolist() == [1, 2, 3, 4, 6, 7, 8]
    sub = pool.draw_unlabeled_candidates(10, labeled, 4, rng)
    assert len(sub) == 4 and not set(sub.tolist()) & {0, 5, 9}


def test_labeled_pipeline_batches_every_sample_once_per_epoch():
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1)
    labels = np.arange(10)
    ds = pipelines.labeled_dataset(images, labels, batch_size=4, seed=1)
    seen = [(int(x), int(y)) for xb, yb in ds for x, y in zip(xb.numpy().ravel(), yb.numpy())]
    assert sorted(seen) == [(i, i) for i in range(10)]
    assert seen != [(i, i) for i in range(10)]  # shuffled


def test_pipelines_end_their_iterators_without_waiting():
    """With tf.data's autotuning on, an iterator's teardown waited for the autotune thread's next
    wake-up (every 10 ms x 2^k since the iterator started): a 2 s pass could end at 2.56 s. The
    pipelines turn autotuning off; this passes only while they do."""
    images = np.zeros((64, 28, 28, 1), np.uint8)
    labels, ones = np.zeros(64, np.int64), np.ones(64, np.float32)
    for dataset in (pipelines.labeled_dataset(images, labels, batch_size=8, seed=0),
                    pipelines.generative_batches(images, labels, ones, images, ones, 8, 1, seed=0)):
        assert dataset.options().autotune.enabled is False
