"""`--dataset=tfds:NAME`: any TFDS image classification data set with 'train' and 'test' splits.

TFDS cannot download here (nor on many clusters): a data set that is not prepared fails with a hint
to build it elsewhere and pass its directory as --data_dir.
"""
from typing import Optional

import numpy as np

from m2vaal_tf.data.dataset import Dataset, split_training
from m2vaal_tf.errors import DataError


def load(name: str, data_dir: Optional[str], validation_size: int) -> Dataset:
    """Reads the 'train' and 'test' splits into uint8 arrays and splits off the validation set."""
    import tensorflow_datasets as tfds
    try:
        (train, test), info = tfds.load(name, split=["train", "test"], as_supervised=True,
                                        with_info=True, data_dir=data_dir)
    except Exception as e:  # TFDS raises many types: not found, no network, missing split.
        raise DataError(
            f"--dataset=tfds:{name}: cannot load it ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
            "prepare it where there is internet (`tfds build " + name + "`) and pass its directory as "
            "--data_dir") from e
    arrays = []
    for split in (train, test):
        images, labels = [], []
        for image, y in tfds.as_numpy(split.batch(4096)):
            images.append(image)
            labels.append(y)
        arrays += [np.concatenate(images).astype(np.uint8), np.concatenate(labels).astype(np.int64)]
    if arrays[0].ndim != 4 or arrays[0].shape[1] != arrays[0].shape[2]:
        raise DataError(f"--dataset=tfds:{name}: images of shape {arrays[0].shape[1:]} are not square HxWxC")
    return split_training(f"tfds:{name}", *arrays, info.features["label"].names, validation_size)
