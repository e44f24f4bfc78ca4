"""Score new images with an exported model: `python -m m2vaal_tf.score --model=DIR --images=PATH`.

  --model   a SavedModel written by `--export` (e.g. logs/<run>/export/latest)
  --images  IDX file (.gz or not), .npy array ([N, H, W] or [N, H, W, C], raw pixel values 0-255),
            or a folder of PNG/JPEG/BMP/GIF files; resized and converted to the model's input
  --top     keep the K most wanted (0: all)
  --output  CSV path, or - for stdout

The CSV is ranked by the model's acquisition score, most wanted first: rank, item (index in the
file, or file name), score, predicted_class, class_name, probability (of the predicted class).
Exports score higher = ask first; those made before 2026-12-06 scored lower = ask first, and say so
in their `score_meaning`, which the ranking follows. The model is loaded with plain
`tf.saved_model.load`: nothing of m2vaal_tf's models is needed.
"""
import csv
import io
import os
import sys

import numpy as np
from absl import flags

from m2vaal_tf import atomic, cli
from m2vaal_tf.data import idx, image_files
from m2vaal_tf.errors import DataError, UserError

FLAGS = flags.FLAGS
OLD_DIRECTION = "lower = ask first"  # the score_meaning of exports made before 2026-12-06


def define_flags():
    """Defined when run as a program only, so that importing this module (tests, notebooks)
    does not clash with `train.py`'s flags in absl's global registry."""
    flags.DEFINE_string("model", None, "SavedModel directory written by --export (e.g. logs/<run>/export/latest).")
    flags.DEFINE_string("images", None, "Images to score: an IDX file, a .npy array, or a folder of image files.")
    flags.DEFINE_integer("top", 0, "Keep only the K images to ask first (0: all).")
    flags.DEFINE_string("output", "-", "Where to write the ranked CSV; - is standard output.")
    flags.DEFINE_integer("batch_size", 512, "Images per model call.")
    flags.mark_flags_as_required(["model", "images"])


def load_model(path: str):
    if not path or not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise DataError(f"--model={path}: not a SavedModel directory (no saved_model.pb); pass a run's "
                        "export, e.g. logs/<run>/export/latest (written with --export)")
    cli.start_tensorflow()
    import tensorflow as tf
    model = tf.saved_model.load(path)
    if not all(hasattr(model, name) for name in ("classify", "score", "class_names")):
        raise DataError(f"--model={path}: this SavedModel was not written by m2vaal_tf's --export "
                        "(no classify/score functions)")
    return model


def input_shape(model):
    """(H, W, C) of the model's images input."""
    spec = model.signatures["classify"].structured_input_signature[1]["images"]
    return tuple(int(d) for d in spec.shape[1:])


def read_images(path: str, shape):
    """(uint8 images conformed to `shape`, item names)."""
    if not path or not os.path.exists(path):
        raise DataError(f"--images={path}: no such file or folder")
    if os.path.isdir(path):
        paths = image_files.list_images(path)
        images, kept, problems = image_files.decode(paths)
        if problems:
            print(f"warning: --images={path}: skipped {len(problems)} unreadable image(s): "
                  + "; ".join(f"{p} ({reason})" for p, reason in problems), file=sys.stderr)
        if not images:
            raise DataError(f"--images={path}: the folder holds no readable PNG/JPEG/BMP/GIF image")
        names = [os.path.relpath(p, path) for p in kept]
    elif path.endswith(".npy"):
        try:
            images = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise DataError(f"--images={path}: cannot read the .npy array ({e})") from None
        images = _checked_array(path, images)
        names = [str(i) for i in range(len(images))]
    else:
        images = idx.read_idx(path, expected_ndim=(3, 4))
        names = [str(i) for i in range(len(images))]
    return image_files.conform(images, shape[:2], shape[2]), names


def _checked_array(path: str, images: np.ndarray) -> np.ndarray:
    if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise DataError(f"--images={path}: array of shape {images.shape}; expected [N, H, W] or [N, H, W, 1 or 3]")
    if not np.issubdtype(images.dtype, np.number):
        raise DataError(f"--images={path}: array of {images.dtype}; expected pixel values 0-255")
    if len(images) == 0:
        raise DataError(f"--images={path}: the array holds no image")
    low, high = float(images.min()), float(images.max())
    if low < 0 or high > 255:
        raise DataError(f"--images={path}: values span {low:g}..{high:g}; expected raw pixel values 0-255")
    if not np.issubdtype(images.dtype, np.integer) and high <= 1.0:
        raise DataError(f"--images={path}: values span {low:g}..{high:g}, scaled to [0, 1]; pass raw pixel "
                        "values 0-255 (the model scales them itself)")
    return images


def score(model, images: np.ndarray, batch_size: int):
    """(score, probabilities) of every image, in batches."""
    scores, probabilities = [], []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size]
        scores.append(model.score(batch)["score"].numpy())
        probabilities.append(model.classify(batch)["probabilities"].numpy())
    return np.concatenate(scores), np.concatenate(probabilities)


def ranked_csv(names, scores, probabilities, class_names, top: int, lower_first: bool = False) -> str:
    """Rows ranked by score, the most wanted first (the highest score, or the lowest where
    `lower_first`); ties keep the input order."""
    order = np.lexsort((np.arange(len(scores)), scores if lower_first else -scores))
    if top:
        order = order[:top]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rank", "item", "score", "predicted_class", "class_name", "probability"])
    for rank, i in enumerate(order, start=1):
        predicted = int(probabilities[i].argmax())
        writer.writerow([rank, names[i], f"{scores[i]:.6g}", predicted, class_names[predicted],
                         f"{probabilities[i, predicted]:.6g}"])
    return out.getvalue()


def main(argv):
    cli.reject_arguments(argv)
    if FLAGS.top < 0 or FLAGS.batch_size < 1:
        cli.exit_with_error(f"--top={FLAGS.top} must be 0 or more and --batch_size={FLAGS.batch_size} at least 1")
    try:
        model = load_model(FLAGS.model)
        images, names = read_images(FLAGS.images, input_shape(model))
    except UserError as e:
        cli.exit_with_error(str(e))
    scores, probabilities = score(model, images, FLAGS.batch_size)
    class_names = [name.decode() for name in model.class_names.numpy()]
    meaning = model.score_meaning.numpy().decode()
    text = ranked_csv(names, scores, probabilities, class_names, FLAGS.top,
                      lower_first=meaning.endswith(OLD_DIRECTION))
    if FLAGS.output == "-":
        sys.stdout.write(text)
    else:
        atomic.write_text(FLAGS.output, text)
    print(f"scored {len(images)} images with the {model.strategy.numpy().decode()} model {FLAGS.model}; "
          f"score = {meaning}"
          + ("" if FLAGS.output == "-" else f"; wrote {FLAGS.output}"), file=sys.stderr)


def run():
    """Console-script entry point (`m2vaal-score`)."""
    define_flags()
    cli.run_program(main, __name__)


if __name__ == "__main__":
    run()
