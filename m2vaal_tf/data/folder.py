"""`--dataset=folder:DIR`: a user's own image files as a data set.

  DIR/labeled/<class>/*   the seed set, labelled by the folder it is in (class names: folder names)
  DIR/unlabeled/*         the pool to label; its labels are unknown (-1), so a person is the oracle
  DIR/test/<class>/*      optional test set

Images are resized to `image_size`² and are grey unless some image is in colour. The validation set
is held out of the labelled images: `validation_size` of them, at most a fifth (a seed set is
small, and most of it must stay for training). Without DIR/test the test set is empty and only
validation accuracy is reported. Unreadable files are reported through `warn` and skipped.
"""
import hashlib
import os

import numpy as np

from m2vaal_tf.data import image_files
from m2vaal_tf.data.dataset import Dataset, hold_out_of_seed
from m2vaal_tf.errors import DataError


def load(directory: str, image_size: int, validation_size: int, warn) -> Dataset:
    spec = f"folder:{directory}"
    labeled_root, unlabeled_root = os.path.join(directory, "labeled"), os.path.join(directory, "unlabeled")
    test_root = os.path.join(directory, "test")
    for required in (labeled_root, unlabeled_root):
        if not os.path.isdir(required):
            raise DataError(f"--dataset={spec}: no directory {required}; expected DIR/labeled/<class>/ images, "
                            "DIR/unlabeled/ images and optionally DIR/test/<class>/ images")
    class_names = tuple(sorted(d for d in os.listdir(labeled_root) if os.path.isdir(os.path.join(labeled_root, d))))
    if len(class_names) < 2:
        raise DataError(f"--dataset={spec}: {labeled_root} has {len(class_names)} class folder(s); at least 2 "
                        "are needed, one per class, named by the class")
    if os.path.isdir(test_root):
        unknown = sorted(set(os.listdir(test_root)) - set(class_names))
        if unknown:
            raise DataError(f"--dataset={spec}: {test_root} has class folder(s) {', '.join(unknown)} that "
                            f"{labeled_root} does not have")

    problems = []
    seed = _read(_class_files(labeled_root, class_names), problems)
    pool = _read([(path, -1) for path in image_files.list_images(unlabeled_root)], problems)
    test = _read(_class_files(test_root, class_names) if os.path.isdir(test_root) else [], problems)
    if problems:
        warn(f"--dataset={spec}: skipped {len(problems)} unreadable image(s): "
             + "; ".join(f"{path} ({reason})" for path, reason in problems))
    if not pool[0]:
        raise DataError(f"--dataset={spec}: {unlabeled_root} holds no readable image")
    channels = 3 if any(image.shape[-1] == 3 for part in (seed, pool, test) for image in part[0]) else 1
    seed_images, pool_images, test_images = (image_files.conform(part[0], (image_size, image_size), channels)
                                             for part in (seed, pool, test))
    seed_labels, test_labels = np.array(seed[1], np.int64), np.array(test[1], np.int64)

    val, train = hold_out_of_seed(f"--dataset={spec}", len(seed_labels), validation_size)
    held_out = len(val)
    sources = tuple(os.path.relpath(p, directory) for p in [seed[2][i] for i in train] + pool[2])
    digest = hashlib.sha1("\n".join(sources + (str(image_size), str(held_out))).encode()).hexdigest()[:16]
    return Dataset(name=spec, pool_images=np.concatenate([seed_images[train], pool_images]),
                   pool_labels=np.concatenate([seed_labels[train], np.array(pool[1], np.int64)]),
                   val_images=seed_images[val], val_labels=seed_labels[val],
                   test_images=test_images, test_labels=test_labels, class_names=class_names,
                   seed_indices=np.arange(len(train)), pool_sources=sources, fingerprint=digest)


def _class_files(root: str, class_names):
    """(path, class index) of the images in root/<class>/, class by class."""
    return [(path, label) for label, name in enumerate(class_names) if os.path.isdir(os.path.join(root, name))
            for path in image_files.list_images(os.path.join(root, name))]


def _read(files, problems: list):
    """(images, labels, paths) of the readable files; the others are added to `problems`."""
    images, kept, bad = image_files.decode([path for path, _ in files])
    problems += bad
    label_of = dict(files)
    return images, [label_of[path] for path in kept], kept
