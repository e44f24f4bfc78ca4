"""Image classification data for active learning: one loader per kind of source, each returning a
`Dataset` (pool, validation and test sets); `load_dataset` picks the loader from `--dataset`.

  fashion_mnist   the original IDX files: --data_dir, else the Debian package's directory, else the
                  Keras cache, else a download attempt that fails with instructions when offline
                  (`idx.py`)
  idx:DIR         a user's data set laid out like the original four IDX files (any square size,
                  grey or colour, any number of classes) (`idx.py`)
  tfds:NAME       any TFDS image classification data set with 'train' and 'test' splits
                  (`tfds_source.py`)
  folder:DIR      a user's images: DIR/labeled/<class>/ (the seed set), DIR/unlabeled/ (the pool,
                  labels unknown) and optionally DIR/test/<class>/ (`folder.py`)
  csv:FILE        a user's image files listed with their labels, empty where unknown (`csv_list.py`)
  npz:PATH        a user's arrays x_train, y_train (-1: unknown) and optionally x_test, y_test,
                  class_names; Python users pass the arrays themselves (`arrays.py`)

The initial labelled set is drawn by `pool.py`; the tf.data pipelines live with the round's
training (`rounds/streams.py`).
"""
import sys
from typing import Optional

from m2vaal_tf.data import arrays, csv_list, folder, idx, tfds_source
from m2vaal_tf.data.dataset import Dataset, split_training
from m2vaal_tf.data.idx import IDX_STEMS, locate_fashion_mnist, read_idx, read_idx_directory
from m2vaal_tf.errors import DataError

__all__ = ["Dataset", "IDX_STEMS", "load_dataset", "locate_fashion_mnist", "read_idx", "read_idx_directory",
           "split_training"]


def _warn_on_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def load_dataset(spec: str = "fashion_mnist", data_dir: Optional[str] = None,
                 validation_size: int = 5000, image_size: int = 28, warn=None) -> Dataset:
    """Loads a data set by spec, split into pool, validation and test sets."""
    if spec.startswith("folder:") and len(spec) > 7:
        return folder.load(spec[7:], image_size, validation_size, warn or _warn_on_stderr)
    if spec == "fashion_mnist":
        return split_training(spec, *read_idx_directory(locate_fashion_mnist(data_dir)),
                              idx.FASHION_MNIST_CLASSES, validation_size)
    if spec.startswith("idx:") and len(spec) > 4:
        train_x, train_y, test_x, test_y = read_idx_directory(spec[4:])
        num_classes = int(max(train_y.max(), test_y.max())) + 1
        return split_training(spec, train_x, train_y, test_x, test_y, [str(c) for c in range(num_classes)],
                              validation_size)
    if spec.startswith("npz:") and len(spec) > 4:
        return arrays.load_npz(spec[4:], validation_size, image_size)
    if spec.startswith("csv:") and len(spec) > 4:
        return csv_list.load(spec[4:], image_size, validation_size, warn or _warn_on_stderr)
    if spec.startswith("tfds:") and len(spec) > 5:
        return tfds_source.load(spec[5:], data_dir, validation_size)
    raise DataError(f"--dataset={spec!r} is not understood; use fashion_mnist, idx:DIR, tfds:NAME, "
                    "folder:DIR, csv:FILE or npz:PATH")
