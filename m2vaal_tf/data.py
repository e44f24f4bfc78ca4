"""Image classification data for active learning: loading, the fixed pool/validation split, the
initial labelled set, and the tf.data pipelines that feed the models.

Images stay uint8 [N, H, W, C] in memory (a 55K Fashion-MNIST pool is 43 MB); the networks scale
them to [0, 1] themselves, so exported models take raw pixels too.

Data set specs (`--dataset`):
  fashion_mnist   the original IDX files: --data_dir, else the Debian package's directory, else the
                  Keras cache, else a download attempt that fails with instructions when offline.
  idx:DIR         a user's data set laid out like the original four IDX files (any square size,
                  grey or colour, any number of classes).
  tfds:NAME       any TFDS image classification data set with 'train' and 'test' splits.
  folder:DIR      a user's images: DIR/labeled/<class>/ (the seed set; class names are the folder
                  names), DIR/unlabeled/ (the pool, labels unknown) and optionally DIR/test/<class>/;
                  see `folder_data.py`.
"""
import dataclasses
import gzip
import os
import sys
from typing import Optional, Sequence, Tuple

import numpy as np

from m2vaal_tf.errors import DataError

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
SYSTEM_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
KERAS_CACHE_FASHION_MNIST_DIR = os.path.join(os.path.expanduser("~"), ".keras", "datasets", "fashion-mnist")
IDX_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# The pool/validation split is the same for every run and seed, so that runs compare on one pool.
SPLIT_SEED = 0
_IDX_UBYTE = 0x08

MISSING_FASHION_MNIST_HINT = (
    "install the Debian package (sudo apt-get install dataset-fashion-mnist) or put the four files "
    f"{', '.join(s + '.gz' for s in IDX_STEMS.values())} into {KERAS_CACHE_FASHION_MNIST_DIR} or a "
    "directory passed as --data_dir")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """The pool to label (with the ground truth the simulated oracle answers from), the
    validation set and the test set."""
    name: str
    pool_images: np.ndarray
    pool_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: Tuple[str, ...]
    # Set for folder data sets: the pool images whose labels came with the data (the initial labelled
    # set), where each pool image came from, and a digest of the file list that a resumed run checks.
    seed_indices: Optional[np.ndarray] = None
    pool_sources: Optional[Tuple[str, ...]] = None
    fingerprint: Optional[str] = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def image_shape(self) -> Tuple[int, int, int]:
        return tuple(self.pool_images.shape[1:])


# ---------------------------------------------------------------------------------------------
# IDX files


def read_idx(path: str, expected_ndim: Sequence[int]) -> np.ndarray:
    """Reads an unsigned-byte IDX file (gzip-compressed or not), validating its header and size."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(f"{path}: cannot read ({e}); the file is truncated or not a valid gzip/IDX file") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    if raw[2] != _IDX_UBYTE:
        raise DataError(f"{path}: IDX element type 0x{raw[2]:02x} is not supported (expected unsigned byte, 0x08)")
    ndim = raw[3]
    if ndim not in expected_ndim:
        raise DataError(f"{path}: IDX file has {ndim} dimensions, expected {' or '.join(map(str, expected_ndim))}")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected_bytes = int(np.prod(shape))
    if len(raw) - header_size != expected_bytes:
        raise DataError(f"{path}: header announces shape {shape} ({expected_bytes} bytes) but the file holds "
                        f"{len(raw) - header_size} bytes of data; it is truncated or corrupt")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape)


def _idx_path(directory: str, stem: str) -> str:
    for candidate in (stem + ".gz", stem):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    raise DataError(f"{directory}: missing {stem}.gz (or {stem})")


def read_idx_directory(directory: str):
    """Reads the four IDX files of an MNIST-style directory -> (train_x, train_y, test_x, test_y)."""
    if not os.path.isdir(directory):
        raise DataError(f"{directory}: no such directory")
    arrays = {}
    for key, stem in IDX_STEMS.items():
        path = _idx_path(directory, stem)
        arrays[key] = read_idx(path, expected_ndim=(3, 4) if key.endswith("images") else (1,))
        arrays[key + "_path"] = path
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{arrays[split + '_labels_path']}: {labels.shape[0]} labels for "
                            f"{images.shape[0]} images in {arrays[split + '_images_path']}")
        if images.ndim == 3:
            arrays[f"{split}_images"] = images[..., np.newaxis]
    train_x, test_x = arrays["train_images"], arrays["test_images"]
    if train_x.shape[1] != train_x.shape[2]:
        raise DataError(f"{arrays['train_images_path']}: images are {train_x.shape[1]}x{train_x.shape[2]}; "
                        "square images are expected")
    if train_x.shape[1:] != test_x.shape[1:]:
        raise DataError(f"{arrays['test_images_path']}: image shape {test_x.shape[1:]} differs from the "
                        f"training images' {train_x.shape[1:]}")
    return train_x, arrays["train_labels"].astype(np.int64), test_x, arrays["test_labels"].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Sources


def locate_fashion_mnist(data_dir: Optional[str] = None) -> str:
    """The directory holding the Fashion-MNIST IDX files, trying the places in the module docstring.

    An explicit `data_dir` is the only place looked at: a user who names a directory means it.
    """
    if data_dir:
        _idx_path(data_dir, IDX_STEMS["train_images"])  # Raises naming the missing file.
        return data_dir
    for directory in (SYSTEM_FASHION_MNIST_DIR, KERAS_CACHE_FASHION_MNIST_DIR):
        if all(os.path.isfile(os.path.join(directory, s + ".gz")) for s in IDX_STEMS.values()):
            return directory
    return _download_fashion_mnist()


def _download_fashion_mnist() -> str:
    """Lets Keras download Fashion-MNIST into its cache; fails with instructions when offline."""
    try:
        import keras
        keras.datasets.fashion_mnist.load_data()
    except Exception as e:  # Keras raises several types for network failures.
        raise DataError(f"Fashion-MNIST not found and the download failed ({type(e).__name__}); "
                        f"{MISSING_FASHION_MNIST_HINT}") from e
    return KERAS_CACHE_FASHION_MNIST_DIR


def _load_tfds(name: str, data_dir: Optional[str]):
    """Reads the 'train' and 'test' splits of a TFDS data set into uint8 arrays."""
    import tensorflow_datasets as tfds
    try:
        (train, test), info = tfds.load(name, split=["train", "test"], as_supervised=True,
                                        with_info=True, data_dir=data_dir)
    except Exception as e:  # TFDS raises many types: not found, no network, missing split.
        raise DataError(
            f"--dataset=tfds:{name}: cannot load it ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
            "prepare it where there is internet (`tfds build " + name + "`) and pass its directory as "
            "--data_dir") from e
    label = info.features["label"]
    arrays = []
    for split in (train, test):
        images, labels = [], []
        for image, y in tfds.as_numpy(split.batch(4096)):
            images.append(image)
            labels.append(y)
        arrays += [np.concatenate(images).astype(np.uint8), np.concatenate(labels).astype(np.int64)]
    if arrays[0].ndim != 4 or arrays[0].shape[1] != arrays[0].shape[2]:
        raise DataError(f"--dataset=tfds:{name}: images of shape {arrays[0].shape[1:]} are not square HxWxC")
    return (*arrays, tuple(label.names))


def _warn_on_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def load_dataset(spec: str = "fashion_mnist", data_dir: Optional[str] = None,
                 validation_size: int = 5000, image_size: int = 28, warn=None) -> Dataset:
    """Loads a data set by spec and splits its training part into pool and validation set."""
    if spec.startswith("folder:") and len(spec) > 7:
        from m2vaal_tf import folder_data
        return folder_data.load(spec[7:], image_size, validation_size, warn or _warn_on_stderr)
    if spec == "fashion_mnist":
        train_x, train_y, test_x, test_y = read_idx_directory(locate_fashion_mnist(data_dir))
        class_names = FASHION_MNIST_CLASSES
    elif spec.startswith("idx:") and len(spec) > 4:
        train_x, train_y, test_x, test_y = read_idx_directory(spec[4:])
        num_classes = int(max(train_y.max(), test_y.max())) + 1
        class_names = tuple(str(c) for c in range(num_classes))
    elif spec.startswith("tfds:") and len(spec) > 5:
        train_x, train_y, test_x, test_y, class_names = _load_tfds(spec[5:], data_dir)
    else:
        raise DataError(f"--dataset={spec!r} is not understood; use fashion_mnist, idx:DIR, tfds:NAME or folder:DIR")
    if len(class_names) < 2:
        raise DataError(f"--dataset={spec}: labels name {len(class_names)} class; at least 2 are needed")
    if validation_size >= len(train_x):
        raise DataError(f"--validation_size={validation_size} leaves no pool: the training split of "
                        f"--dataset={spec} has {len(train_x)} images")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(train_x))
    val, pool = order[:validation_size], order[validation_size:]
    return Dataset(name=spec, pool_images=train_x[pool], pool_labels=train_y[pool],
                   val_images=train_x[val], val_labels=train_y[val],
                   test_images=test_x, test_labels=test_y, class_names=class_names)


# ---------------------------------------------------------------------------------------------
# Initial pools


def draw_initial_labeled(pool_labels: np.ndarray, count: int, classes: Sequence[int],
                         rng: np.random.Generator) -> np.ndarray:
    """`count` pool indices drawn at random, only from `classes` when given (protocol B)."""
    eligible = np.arange(len(pool_labels))
    if classes:
        eligible = eligible[np.isin(pool_labels, classes)]
    if count > len(eligible):
        raise DataError(f"--initial_labeled={count} exceeds the {len(eligible)} pool samples of "
                        f"classes {','.join(map(str, classes))}")
    return np.sort(rng.choice(eligible, size=count, replace=False))


def draw_unlabeled_candidates(pool_size: int, labeled: np.ndarray, subsample: int,
                              rng: np.random.Generator) -> np.ndarray:
    """The unlabelled pool: every other sample, or a random `subsample` of them for quick runs."""
    rest = np.setdiff1d(np.arange(pool_size), labeled)
    if subsample:
        rest = np.sort(rng.choice(rest, size=subsample, replace=False))
    return rest


# ---------------------------------------------------------------------------------------------
# tf.data pipelines


def labeled_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int):
    """Shuffled (image, label) batches for one pass over a labelled set.

    The arrays are already in memory, so `cache()` would add nothing; batching before the float
    conversion makes it one vectorised op per batch.
    """
    import tensorflow as tf
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True).prefetch(tf.data.AUTOTUNE)


def endless_image_batches(images: np.ndarray, batch_size: int, seed: int):
    """Float image batches drawn from an endlessly repeated, reshuffled pool (the unlabelled side
    of the generative learners' two-pool batches)."""
    import tensorflow as tf
    ds = tf.data.Dataset.from_tensor_slices(images)
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat().batch(batch_size)
    return ds.map(lambda x: tf.cast(x, tf.float32), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def image_batches(images: np.ndarray, batch_size: int):
    """Unshuffled float image batches for prediction over a pool or test set."""
    import tensorflow as tf
    ds = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    return ds.map(lambda x: tf.cast(x, tf.float32), num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=True).prefetch(tf.data.AUTOTUNE)
