"""Image files (PNG, JPEG, BMP, GIF) to uint8 arrays of one size and channel count.

Used by `--dataset=folder:DIR` and by the score CLI. Files that cannot be decoded are returned as
problems for the caller to report, never dropped silently.
"""
import os
import re
from typing import List, Sequence, Tuple

import numpy as np

EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def list_images(directory: str) -> List[str]:
    """Image files directly in `directory`, sorted by name (the order scores and pools use)."""
    return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                  if name.lower().endswith(EXTENSIONS) and os.path.isfile(os.path.join(directory, name)))


def decode(paths: Sequence[str]) -> Tuple[List[np.ndarray], List[str], List[Tuple[str, str]]]:
    """Decodes each file to uint8 [H, W, 1 or 3] (alpha dropped): (images, their paths, problems)."""
    import tensorflow as tf
    images, kept, problems = [], [], []
    for path in paths:
        try:
            images.append(decode_bytes(tf.io.read_file(path)))
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
            problems.append((path, reason(e)))
            continue
        kept.append(path)
    return images, kept, problems


def decode_bytes(data) -> np.ndarray:
    """One encoded image (PNG, JPEG, BMP, GIF) to uint8 [H, W, 1 or 3], alpha dropped; raises
    tf.errors.InvalidArgumentError on bytes that are not an image. The Beam pipeline decodes the
    pool's files and records with it, so both paths read an image the same way."""
    import tensorflow as tf
    image = tf.io.decode_image(data, expand_animations=False).numpy()
    channels = image.shape[-1]
    return image[..., :1] if channels in (1, 2) else image[..., :3]


def reason(error) -> str:
    """TensorFlow's error message without its op and device decorations."""
    message = re.sub(r"\{\{.*?\}\}|\[Op:.*", "", (error.message or "").splitlines()[0] if error.message else "")
    return message.strip() or type(error).__name__


def conform(images, size: Tuple[int, int], channels: int) -> np.ndarray:
    """Resizes (area-averaging when shrinking) and converts grey <-> RGB to uint8 [N, *size, channels]."""
    import tensorflow as tf
    out = np.empty((len(images), *size, channels), dtype=np.uint8)
    for i, image in enumerate(images):
        image = np.asarray(image)
        if image.ndim == 2:
            image = image[..., np.newaxis]
        if image.shape[-1] != channels:
            image = (np.repeat(image, 3, axis=-1) if channels == 3
                     else tf.image.rgb_to_grayscale(image.astype(np.float32)).numpy())
        if tuple(image.shape[:2]) != tuple(size):
            image = tf.image.resize(image.astype(np.float32), size, antialias=True).numpy()
        out[i] = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return out
