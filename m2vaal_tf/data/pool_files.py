"""A pool kept as files, the way large unlabelled pools are kept: one PNG per image, or TFRecord
shards of `tf.train.Example`s holding the item's name and its encoded image.

The Beam scorer (`m2vaal_tf/beam`) reads both; the tests and `bench/beam_score.py` write them from
Fashion-MNIST's images. An item's name is its file name (relative to the pattern's directory) or
the record's `item` feature: the key that scores, queries and failures are reported under.
"""
import os
from typing import List, Sequence, Tuple

import numpy as np

ITEM, IMAGE = "item", "image"  # the features of a pool record


def item_names(count: int, start: int = 0) -> List[str]:
    """Zero-padded names, so that their order as strings is their order as numbers: ties in a score
    break towards the lower name, which is then the lower index, as the in-memory selection breaks them."""
    return [f"{i:07d}.png" for i in range(start, start + count)]


def encode_png(image: np.ndarray) -> bytes:
    import tensorflow as tf
    image = np.asarray(image, dtype=np.uint8)
    return tf.io.encode_png(image[..., np.newaxis] if image.ndim == 2 else image).numpy()


def write_png_files(images: np.ndarray, directory: str, names: Sequence[str]) -> None:
    os.makedirs(directory, exist_ok=True)
    for image, name in zip(images, names):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(encode_png(image))


def example_bytes(name: str, encoded_image: bytes) -> bytes:
    import tensorflow as tf
    feature = {ITEM: tf.train.Feature(bytes_list=tf.train.BytesList(value=[name.encode()])),
               IMAGE: tf.train.Feature(bytes_list=tf.train.BytesList(value=[encoded_image]))}
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def write_tfrecords(images: np.ndarray, names: Sequence[str], prefix: str, shards: int = 1) -> List[str]:
    """`shards` files `<prefix>-SSSSS-of-NNNNN.tfrecord`, the images dealt round-robin; their paths."""
    import tensorflow as tf
    paths = [f"{prefix}-{k:05d}-of-{shards:05d}.tfrecord" for k in range(shards)]
    os.makedirs(os.path.dirname(prefix) or ".", exist_ok=True)
    writers = [tf.io.TFRecordWriter(path) for path in paths]
    try:
        for i, (image, name) in enumerate(zip(images, names)):
            writers[i % shards].write(example_bytes(name, encode_png(image)))
    finally:
        for writer in writers:
            writer.close()
    return paths


def parse_example(record: bytes) -> Tuple[str, bytes]:
    """(item, encoded image) of a pool record; raises ValueError naming what is missing."""
    import tensorflow as tf
    try:
        features = tf.train.Example.FromString(record).features.feature
    except Exception as e:  # protobuf's DecodeError, whose module differs between implementations
        raise ValueError(f"not a tf.train.Example ({type(e).__name__})") from None
    if ITEM not in features or IMAGE not in features:
        raise ValueError(f"a record without the '{ITEM}' and '{IMAGE}' bytes features")
    return features[ITEM].bytes_list.value[0].decode(), features[IMAGE].bytes_list.value[0]
