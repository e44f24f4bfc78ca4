"""MNIST-style IDX files: the original Fashion-MNIST files (`--dataset=fashion_mnist`, found where
`locate_fashion_mnist` says) and a user's data set in the same layout (`--dataset=idx:DIR`).
"""
import gzip
import os
from typing import Optional, Sequence

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
_IDX_UBYTE = 0x08

MISSING_FASHION_MNIST_HINT = (
    "install the Debian package (sudo apt-get install dataset-fashion-mnist) or put the four files "
    f"{', '.join(s + '.gz' for s in IDX_STEMS.values())} into {KERAS_CACHE_FASHION_MNIST_DIR} or a "
    "directory passed as --data_dir")


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


def locate_fashion_mnist(data_dir: Optional[str] = None) -> str:
    """The directory holding the Fashion-MNIST IDX files: `data_dir`, else the Debian package's
    directory, else the Keras cache, else a Keras download into the cache (fails offline, with a hint).

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
