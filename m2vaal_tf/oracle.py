"""Oracles answer label queries (`--oracle`).

  simulated  answers at once from the data set's labels, as in the benchmarks
  files         a person: the query is written to `logs/<run>/queries/round_<k>/` (one PNG per image,
                a contact sheet, and `labels.csv` with an empty `label` column) and the run stops;
                `--resume` reads the filled-in file back, checks it, and continues
  label_studio  a person in Label Studio: the query becomes tasks with the model's guess
                (`m2vaal_tf/label_studio/`)

An oracle has these calls: `ask(query, out)` returns the `Answers`, or None when they will come
later, `collect(query, out)` returns them (or None, not yet) for a query asked before (the run was
resumed), `was_asked(query)` says whether a pending query was asked (or is yet to be), and
`instructions(query, resume_command)` tells the person what to do. The pool records
whatever an oracle answers, so a learner never reads ground truth, and it records nothing until
every label of the batch is in and valid.
"""
import csv
import io
import os
from typing import List, Optional, Sequence

import numpy as np

from m2vaal_tf import atomic
from m2vaal_tf.answers import Answers
from m2vaal_tf.errors import DataError
from m2vaal_tf.reporting import image_grid

LABELS_FILE = "labels.csv"
CONTACT_SHEET = "contact_sheet.png"
_SHOWN_PROBLEMS = 10


class SimulatedOracle:
    def __init__(self, ground_truth: np.ndarray):
        self._ground_truth = ground_truth

    def label(self, indices) -> np.ndarray:
        labels = self._ground_truth[np.asarray(indices, dtype=np.int64)]
        if np.any(labels < 0):
            raise DataError("the simulated oracle has no label for some queried images (the data set does not "
                            "give them); use --oracle=files")
        return labels

    def ask(self, query, out=print) -> Answers:
        return Answers(self.label(query.selected))

    collect = ask

    def was_asked(self, query) -> bool:
        """It answers at once: a pending query's labels are always there."""
        return True


class FileOracle:
    """A person labels the queried images by filling in a CSV file."""

    def __init__(self, queries_dir: str, pool_images: np.ndarray, class_names: Sequence[str],
                 sources: Optional[Sequence[str]] = None):
        self.queries_dir = queries_dir
        self.pool_images = pool_images
        self.class_names = tuple(class_names)
        self.sources = sources

    def round_dir(self, round_index: int) -> str:
        return os.path.join(self.queries_dir, f"round_{round_index:02d}")

    def labels_path(self, round_index: int) -> str:
        return os.path.join(self.round_dir(round_index), LABELS_FILE)

    def ask(self, query, out=print) -> None:
        """Writes the query's images, contact sheet and labels.csv; the labels come later."""
        import tensorflow as tf  # PNG encoding; the oracle module itself stays TensorFlow-free.
        directory = self.round_dir(query.round)
        os.makedirs(directory, exist_ok=True)
        images = self.pool_images[np.asarray(query.selected, dtype=np.int64)]
        rows = []
        for rank, (index, image, predicted) in enumerate(zip(query.selected, images, query.predicted)):
            name = f"{rank:04d}_pool{index}.png"
            atomic.write_bytes(os.path.join(directory, name), tf.io.encode_png(image).numpy())
            rows.append([index, name, self.sources[index] if self.sources else "", self.class_names[predicted], ""])
        columns = int(np.ceil(np.sqrt(len(images))))
        sheet = image_grid.contact_sheet(images, columns)
        atomic.write_bytes(os.path.join(directory, CONTACT_SHEET), tf.io.encode_png(sheet).numpy())
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["pool_index", "image", "source", "model_guess", "label"])
        writer.writerows(rows)
        atomic.write_text(self.labels_path(query.round), out.getvalue())  # last: its presence means complete
        return None

    def was_asked(self, query) -> bool:
        """Whether the query's files were written: a query chosen from Python (`loop.query()`), or one
        whose run was killed before they were, is asked again when the command line resumes it."""
        return os.path.exists(self.labels_path(query.round))

    def instructions(self, query, resume_command: str) -> str:
        return (f"Round {query.round}: {len(query.selected)} images to label in {self.round_dir(query.round)}/ "
                f"({CONTACT_SHEET} shows them in the order of {LABELS_FILE}). Fill the 'label' column of "
                f"{self.labels_path(query.round)} with a class index (0-{len(self.class_names) - 1}) or name "
                f"({', '.join(self.class_names)}), then continue with: {resume_command}")

    def collect(self, query, out=print) -> Answers:
        """The labels of `labels.csv`, checked against the query; raises DataError listing every
        offending row (and changes nothing) when the file is incomplete or wrong."""
        path = self.labels_path(query.round)
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            raise DataError(f"{path}: cannot read the labels for round {query.round} ({e.strerror})") from None
        if not rows or "pool_index" not in rows[0] or "label" not in rows[0]:
            raise DataError(f"{path}: expected a CSV with columns pool_index and label (as written by the run)")
        labels, problems, seen = {}, [], set()
        expected = set(int(i) for i in query.selected)
        for line, row in enumerate(rows, start=2):
            index_text, label_text = (row.get("pool_index") or "").strip(), (row.get("label") or "").strip()
            try:
                index = int(index_text)
            except ValueError:
                problems.append(f"line {line}: pool_index {index_text!r} is not a number")
                continue
            if index not in expected:
                problems.append(f"line {line}: pool_index {index} was not asked in round {query.round}")
            elif index in seen:
                problems.append(f"line {line}: pool_index {index} appears twice")
            seen.add(index)
            label = self._parse_label(label_text)
            if label is None:
                problems.append(f"line {line} (pool_index {index}): " + (
                    "no label" if not label_text else f"unknown class {label_text!r}"))
            elif index in expected:
                labels[index] = label
        missing = sorted(expected - seen)
        if missing:
            problems.append(f"pool_index {', '.join(map(str, missing[:_SHOWN_PROBLEMS]))} missing")
        if problems:
            shown = "; ".join(problems[:_SHOWN_PROBLEMS])
            more = f"; and {len(problems) - _SHOWN_PROBLEMS} more" if len(problems) > _SHOWN_PROBLEMS else ""
            raise DataError(f"{path}: {len(problems)} problem(s), nothing was recorded: {shown}{more}. Labels are a "
                            f"class index 0-{len(self.class_names) - 1} or one of: {', '.join(self.class_names)}")
        return Answers(np.array([labels[int(i)] for i in query.selected], dtype=np.int64))

    def _parse_label(self, text: str) -> Optional[int]:
        if not text:
            return None
        if text.isdigit():
            value = int(text)
            return value if value < len(self.class_names) else None
        lowered: List[str] = [name.lower() for name in self.class_names]
        return lowered.index(text.lower()) if text.lower() in lowered else None


def make(config, dataset, queries_dir: str):
    """The oracle `config.oracle` names (`ORACLES` in config.py lists them)."""
    if config.oracle == "simulated":
        return SimulatedOracle(dataset.pool_labels)
    if config.oracle == "files":
        return FileOracle(queries_dir, dataset.pool_images, dataset.class_names, dataset.pool_sources)
    if config.oracle == "label_studio":
        from m2vaal_tf.label_studio.oracle import LabelStudioOracle
        return LabelStudioOracle(config.label_studio_url, config.label_studio_project, config.resolved_run_name,
                                 config.label_studio_wait, config.label_studio_poll_seconds, dataset.pool_images,
                                 dataset.class_names, dataset.pool_sources)
    raise ValueError(f"unknown oracle {config.oracle!r}; choose one of: simulated, files, label_studio")
