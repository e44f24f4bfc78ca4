"""Image grids in numpy: framed contact sheets for TensorBoard and the projector's sprite.

Frames carry the one fact a glance needs (green: the classifier is right, red: wrong), since
TensorBoard draws no captions on images; the names go into the summary's description.
"""
import math
from typing import Optional, Sequence

import numpy as np

GREEN = (40, 170, 60)
RED = (220, 40, 40)
GREY = (128, 128, 128)
# WebGL textures, and so the projector's sprite, are limited to this many pixels a side.
MAX_SPRITE_SIDE = 8192


def to_rgb(images: np.ndarray) -> np.ndarray:
    """uint8 [N, H, W, 1 or 3] -> uint8 [N, H, W, 3]."""
    if images.shape[-1] == 1:
        return np.repeat(images, 3, axis=-1)
    if images.shape[-1] == 3:
        return images
    raise ValueError(f"images need 1 or 3 channels, got shape {images.shape}")


def contact_sheet(images: np.ndarray, columns: int, frame_colors: Optional[Sequence] = None,
                  frame: int = 2) -> np.ndarray:
    """uint8 RGB [rows*(H+2f), columns*(W+2f), 3] of the images in row-major order, each in a
    frame of `frame` pixels coloured `frame_colors[i]` (an RGB triple; grey by default); empty
    cells at the end stay black."""
    images = to_rgb(np.asarray(images, dtype=np.uint8))
    count, height, width, _ = images.shape
    colors = np.asarray(frame_colors if frame_colors is not None else [GREY] * count, dtype=np.uint8)
    rows = max(1, math.ceil(count / columns))
    cell_h, cell_w = height + 2 * frame, width + 2 * frame
    sheet = np.zeros((rows * cell_h, columns * cell_w, 3), dtype=np.uint8)
    for i in range(count):
        top, left = (i // columns) * cell_h, (i % columns) * cell_w
        sheet[top:top + cell_h, left:left + cell_w] = colors[i]
        sheet[top + frame:top + frame + height, left + frame:left + frame + width] = images[i]
    return sheet


def sprite(images: np.ndarray) -> np.ndarray:
    """The projector's sprite: a square grid of unframed thumbnails in row-major order, as the
    projector expects. Thumbnails are shrunk (by an integer factor) only when the grid would
    exceed `MAX_SPRITE_SIDE`; `sprite_thumbnail_size` gives their size."""
    images = np.asarray(images, dtype=np.uint8)
    side = math.ceil(math.sqrt(len(images)))
    factor = _shrink_factor(len(images), images.shape[1:3])
    height, width = images.shape[1] // factor, images.shape[2] // factor
    thumbnails = images[:, ::factor, ::factor][:, :height, :width]
    grid = np.zeros((side * height, side * width, images.shape[-1]), dtype=np.uint8)
    for i, thumbnail in enumerate(thumbnails):
        top, left = (i // side) * height, (i % side) * width
        grid[top:top + height, left:left + width] = thumbnail
    return grid


def sprite_thumbnail_size(count: int, image_size: Sequence[int]) -> tuple:
    """(height, width) of one sprite cell for `count` images of `image_size`."""
    factor = _shrink_factor(count, image_size)
    return image_size[0] // factor, image_size[1] // factor


def _shrink_factor(count: int, image_size: Sequence[int]) -> int:
    side = math.ceil(math.sqrt(count))
    return max(1, math.ceil(side * max(image_size) / MAX_SPRITE_SIDE))
