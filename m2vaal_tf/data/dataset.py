"""The data set type every loader returns, and the fixed split of a training set into the pool to
label and the validation set.

Images stay uint8 [N, H, W, C] in memory (a 55K Fashion-MNIST pool is 43 MB); the networks scale
them to [0, 1] themselves, so exported models take raw pixels too.
"""
import dataclasses
from typing import Optional, Tuple

import numpy as np

from m2vaal_tf.errors import DataError

# The pool/validation split is the same for every run and seed, so that runs compare on one pool.
SPLIT_SEED = 0
# The share of a seed set (the labelled images a user's data brings) held out for validation, at most.
VALIDATION_FRACTION = 0.2


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


def hold_out_of_seed(spec: str, seed_count: int, validation_size: int):
    """(validation, training) positions in a seed set: `validation_size` of its images, at most a
    fifth (a seed set is small, and most of it must stay for training); sorted, fixed by SPLIT_SEED."""
    held_out = min(validation_size, int(seed_count * VALIDATION_FRACTION))
    order = np.random.default_rng(SPLIT_SEED).permutation(seed_count)
    val, train = np.sort(order[:held_out]), np.sort(order[held_out:])
    if len(train) == 0 or held_out == 0:
        raise DataError(f"{spec}: {seed_count} labelled image(s) cannot give both a training and a validation "
                        "set; label a few more")
    return val, train


def split_training(spec: str, train_x, train_y, test_x, test_y, class_names, validation_size: int) -> Dataset:
    """A benchmark data set's training part split into pool and validation set (seeded, fixed)."""
    if len(class_names) < 2:
        raise DataError(f"--dataset={spec}: labels name {len(class_names)} class; at least 2 are needed")
    if validation_size >= len(train_x):
        raise DataError(f"--validation_size={validation_size} leaves no pool: the training split of "
                        f"--dataset={spec} has {len(train_x)} images")
    order = np.random.default_rng(SPLIT_SEED).permutation(len(train_x))
    val, pool = order[:validation_size], order[validation_size:]
    return Dataset(name=spec, pool_images=train_x[pool], pool_labels=train_y[pool],
                   val_images=train_x[val], val_labels=train_y[val],
                   test_images=test_x, test_labels=test_y, class_names=tuple(class_names))
