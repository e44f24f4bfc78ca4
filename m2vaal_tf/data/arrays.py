"""Data sets a user holds as arrays: numpy arrays or a `tf.data.Dataset` passed from Python, and
`--dataset=npz:PATH`, the same arrays in one `.npz` file, so that a run started from Python can be
resumed from the command line.

  x_train      images [N, H, W] or [N, H, W, C]: uint8, integers 0-255, or floats (0-1 or 0-255)
  y_train      labels [N]: a class index, or -1 for an image whose label is unknown
  x_test       optional test images, as x_train
  y_test       optional test labels
  class_names  optional, one string per class (default: "0", "1", ...)

Every image is resized to `image_size`² (area-averaging when it shrinks) and keeps its channel
count. Where every label is known the data set is a benchmark: validation images are held out of
the training part and the simulated oracle answers from the labels. Where some are -1 the labelled
images are the seed set, as DIR/labeled is for a folder, and a person answers.
"""
import dataclasses
import hashlib
import io
from typing import Optional, Sequence

import numpy as np

from m2vaal_tf import atomic
from m2vaal_tf.data.dataset import SPLIT_SEED, Dataset, hold_out_of_seed, split_training
from m2vaal_tf.errors import DataError

UNKNOWN = -1
_RESIZE_CHUNK = 1024


def conform(spec: str, x_train, y_train, x_test=None, y_test=None, image_size: int = 28):
    """(x_train, y_train, x_test, y_test) checked, as uint8 images of `image_size`² and int64 labels
    (an empty test set where none is given); errors name them by `spec`, their --dataset."""
    x_train = _images(spec, "x_train", x_train, image_size)
    y_train = _labels(spec, "y_train", y_train, x_train)
    if (x_test is None) != (y_test is None):
        raise DataError(f"--dataset={spec}: give both x_test and y_test, or neither")
    if x_test is None:
        return x_train, y_train, x_train[:0], y_train[:0]
    x_test = _images(spec, "x_test", x_test, image_size)
    y_test = _labels(spec, "y_test", y_test, x_test)
    if len(x_test) and x_test.shape[1:] != x_train.shape[1:]:
        raise DataError(f"--dataset={spec}: x_test has {x_test.shape[-1]} channel(s) and x_train {x_train.shape[-1]}")
    if np.any(y_test == UNKNOWN):
        raise DataError(f"--dataset={spec}: y_test has unknown labels (-1); a test image needs its label")
    return x_train, y_train, x_test, y_test


def from_arrays(spec: str, x_train, y_train, x_test=None, y_test=None, class_names: Optional[Sequence[str]] = None,
                validation_size: int = 5000, image_size: int = 28, sources: Optional[Sequence[str]] = None) -> Dataset:
    """The `Dataset` of a user's arrays; `spec` is their --dataset (npz:PATH), and
    `sources` name x_train's rows (e.g. their files) in the labelling queries: "x_train[<row>]" else.
    Its fingerprint (of the arrays) is kept with the run, so a resume with other arrays is refused."""
    conformed = conform(spec, x_train, y_train, x_test, y_test, image_size)
    return from_conformed(spec, *conformed, class_names, validation_size, image_size, sources)


def from_conformed(spec: str, x_train, y_train, x_test, y_test, class_names: Optional[Sequence[str]],
                   validation_size: int, image_size: int, sources: Optional[Sequence[str]] = None) -> Dataset:
    """`from_arrays` for arrays that `conform` has already checked and resized (`open_loop` keeps them
    too, so it conforms them once)."""
    class_names = _class_names(spec, class_names, max(y_train.max(), y_test.max(initial=0)) + 1)
    digest = hashlib.sha1()
    for array in (x_train, y_train, x_test, y_test, np.array([image_size, validation_size])):
        digest.update(np.ascontiguousarray(array).tobytes())
    if np.all(y_train != UNKNOWN):
        dataset = split_training(spec, x_train, y_train, x_test, y_test, class_names, validation_size)
        pool_rows = np.random.default_rng(SPLIT_SEED).permutation(len(x_train))[validation_size:]  # as split
        return dataclasses.replace(dataset, fingerprint=digest.hexdigest()[:16],
                                   pool_sources=tuple(sources[r] if sources else f"x_train[{r}]" for r in pool_rows))
    seed_rows = np.flatnonzero(y_train != UNKNOWN)
    unlabeled_rows = np.flatnonzero(y_train == UNKNOWN)
    val, train = hold_out_of_seed(spec, len(seed_rows), validation_size)
    pool_rows = np.concatenate([seed_rows[train], unlabeled_rows])
    return Dataset(name=spec, pool_images=x_train[pool_rows], pool_labels=y_train[pool_rows],
                   val_images=x_train[seed_rows[val]], val_labels=y_train[seed_rows[val]],
                   test_images=x_test, test_labels=y_test, class_names=class_names,
                   seed_indices=np.arange(len(train)),
                   pool_sources=tuple(sources[r] if sources else f"x_train[{r}]" for r in pool_rows),
                   fingerprint=digest.hexdigest()[:16])


def load_npz(path: str, validation_size: int, image_size: int) -> Dataset:
    spec = f"npz:{path}"
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {key: saved[key] for key in saved.files}
    except (OSError, ValueError) as e:
        raise DataError(f"--dataset={spec}: cannot read it as a numpy .npz file ({e})") from None
    unknown = sorted(set(arrays) - {"x_train", "y_train", "x_test", "y_test", "class_names"})
    if "x_train" not in arrays or "y_train" not in arrays or unknown:
        raise DataError(f"--dataset={spec}: expected arrays x_train, y_train and optionally x_test, y_test, "
                        "class_names; "
                        f"it holds {', '.join(sorted(arrays)) or 'none'}")
    names = arrays.pop("class_names", None)
    return from_arrays(spec, **arrays, class_names=None if names is None else [str(n) for n in names],
                       validation_size=validation_size, image_size=image_size)


def save_npz(path: str, x_train, y_train, x_test=None, y_test=None, class_names=None) -> None:
    """Writes arrays in the layout `load_npz` reads (atomically: a killed write leaves no file)."""
    arrays = dict(x_train=np.asarray(x_train), y_train=np.asarray(y_train))
    if x_test is not None:
        arrays.update(x_test=np.asarray(x_test), y_test=np.asarray(y_test))
    if class_names is not None:
        arrays["class_names"] = np.array([str(n) for n in class_names])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic.write_bytes(path, buffer.getvalue())


def from_tf_dataset(spec: str, dataset):
    """(images, labels) of a `tf.data.Dataset` of (image, label) pairs or {"image", "label"} dicts."""
    images, labels = [], []
    for element in dataset.as_numpy_iterator():
        if isinstance(element, dict) and {"image", "label"} <= set(element):
            element = (element["image"], element["label"])
        if not isinstance(element, tuple) or len(element) != 2:
            raise DataError(f"--dataset={spec}: a tf.data.Dataset of (image, label) pairs or {{'image', 'label'}} "
                            "dicts is "
                            f"expected; an element is {type(element).__name__}")
        images.append(element[0])
        labels.append(element[1])
    if not images:
        raise DataError(f"--dataset={spec}: the tf.data.Dataset is empty")
    return np.stack(images), np.asarray(labels)


def _images(spec: str, name: str, images, image_size: int) -> np.ndarray:
    """uint8 [N, image_size, image_size, C]: scaled to 0-255 and resized."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4 or not len(images) and name == "x_train":
        raise DataError(f"--dataset={spec}: {name} must be images [N, H, W] or [N, H, W, C] with N > 0; its shape is "
                        f"{images.shape}")
    if images.dtype.kind == "b" or images.dtype.kind not in "uif":
        raise DataError(f"--dataset={spec}: {name} has dtype {images.dtype}; pixels are integers 0-255 or floats")
    if images.dtype.kind == "f" and len(images) and np.nanmax(images) <= 1.0:
        images = images * 255.0
    if len(images) and (np.any(~np.isfinite(images)) or images.min() < 0 or images.max() > 255):
        raise DataError(f"--dataset={spec}: {name} has pixels outside 0-255 (or 0-1 for floats), or NaNs")
    if images.shape[1:3] != (image_size, image_size):
        images = np.concatenate([_resize(images[i:i + _RESIZE_CHUNK], image_size)
                                 for i in range(0, max(len(images), 1), _RESIZE_CHUNK)])
    return np.round(images).astype(np.uint8)


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    import tensorflow as tf
    return tf.image.resize(images.astype(np.float32), (size, size), antialias=True).numpy()


def _labels(spec: str, name: str, labels, images: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(images) or len(labels) and labels.dtype.kind not in "iu":
        raise DataError(f"--dataset={spec}: {name} must be {len(images)} integer labels, one per image; it is "
                        f"{labels.dtype} {labels.shape}")
    labels = labels.astype(np.int64)
    if np.any(labels < UNKNOWN):
        raise DataError(f"--dataset={spec}: {name} has label {labels.min()}; labels are class indices, or -1 for "
                        "unknown")
    return labels


def _class_names(spec: str, class_names, needed: int):
    if class_names is None:
        return tuple(str(c) for c in range(max(needed, 2)))
    class_names = tuple(str(n) for n in class_names)
    if len(class_names) < needed:
        raise DataError(f"--dataset={spec}: the labels go up to {needed - 1} but class_names names "
                        f"{len(class_names)} classes")
    return class_names
