"""`--dataset=csv:FILE`: image files listed in a CSV with their labels.

  path,label,split        header; `split` is optional
  shirts/a.png,Shirt,     a labelled training image (its class: the label's text)
  pool/b.jpg,,            an image whose label is unknown: the pool a person labels
  held/c.png,Bag,test     a test image

Paths are relative to the CSV's directory (or absolute). The class names are the labels found,
sorted (numerically when every label is a number). The images then go the way of numpy arrays
(`arrays.py`): resized to `image_size`², a benchmark when every training label is known, a seed set
plus a pool when some are empty. Unreadable files are reported through `warn` and skipped.
"""
import csv
import os

import numpy as np

from m2vaal_tf.data import arrays, image_files
from m2vaal_tf.errors import DataError

COLUMNS = ("path", "label", "split")


def load(path: str, image_size: int, validation_size: int, warn):
    spec = f"--dataset=csv:{path}"
    rows = _read_rows(spec, path)
    names = sorted({label for _, label, _ in rows if label},
                   key=lambda n: (0, int(n), "") if n.isdigit() else (1, 0, n))
    if len(names) < 2:
        raise DataError(f"{spec}: its labels name {len(names)} class(es); at least 2 are needed")
    index_of = {name: i for i, name in enumerate(names)}
    base = os.path.dirname(os.path.abspath(path))
    parts = {}
    problems = []
    for part in ("train", "test"):
        chosen = [(os.path.join(base, p), index_of.get(label, arrays.UNKNOWN)) for p, label, split in rows
                  if (split == "test") == (part == "test")]
        images, kept, bad = image_files.decode([p for p, _ in chosen])
        problems += bad
        label_of = dict(chosen)
        parts[part] = (images, np.array([label_of[p] for p in kept], np.int64), kept)
    if problems:
        warn(f"{spec}: skipped {len(problems)} unreadable image(s): "
             + "; ".join(f"{p} ({reason})" for p, reason in problems))
    if not parts["train"][0]:
        raise DataError(f"{spec}: lists no readable training image")
    channels = 3 if any(image.shape[-1] == 3 for part in parts.values() for image in part[0]) else 1
    x_train, x_test = (image_files.conform(parts[p][0], (image_size, image_size), channels) for p in ("train", "test"))
    if np.any(parts["test"][1] == arrays.UNKNOWN):
        raise DataError(f"{spec}: a test row has no label")
    return arrays.from_arrays(f"csv:{path}", x_train, parts["train"][1], x_test if len(x_test) else None,
                              parts["test"][1] if len(x_test) else None, names, validation_size, image_size,
                              sources=[os.path.relpath(p, base) for p in parts["train"][2]])


def _read_rows(spec: str, path: str):
    """(path, label, split) of every row, checked for shape; the header is required."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"path", "label"} <= set(reader.fieldnames):
                raise DataError(f"{spec}: expected a header with columns path,label (and optionally split)")
            rows = [((row["path"] or "").strip(), (row["label"] or "").strip(), (row.get("split") or "").strip())
                    for row in reader]
    except OSError as e:
        raise DataError(f"{spec}: cannot read it ({e.strerror})") from None
    for line, (image, _, split) in enumerate(rows, start=2):
        if not image:
            raise DataError(f"{spec}: line {line} has no path")
        if split not in ("", "train", "test"):
            raise DataError(f"{spec}: line {line} has split {split!r}; use train, test or nothing")
    if not rows:
        raise DataError(f"{spec}: lists no images")
    return rows
