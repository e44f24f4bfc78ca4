"""Run records: the part of a finished run that is committed to the repository, and read back.

A record is `<records_dir>/<protocol>/<run name>/` holding the run's `pool.json` (every round's
labels, metrics and seconds: the run's single source of truth), `results.csv` (the same, one line
per round) and `flags.txt` (how it was made). TensorBoard files stay in the log directory. Every
table of docs/RESULTS.md's grid sections is computed from records alone (`grid_page.py`).
An unfinished run keeps `pool.json` and `flags.txt` in a separate tree (docs/results/unfinished)
after every round, which no table reads: it is what a fresh clone resumes the run from.
"""
import dataclasses
import json
import os
import shutil
from typing import Dict, List

from m2vaal_tf import atomic, joint_defaults
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.reporting import curves
from m2vaal_tf.settings import FLAGFILE, saved_in

RECORD_FILES = ("pool.json", "results.csv", FLAGFILE)
UNFINISHED_FILES = ("pool.json", FLAGFILE)  # enough to resume: results.csv is derived from pool.json


def keep(run_dir: str, records_dir: str, protocol: str, run_name: str) -> str:
    """Copies a finished run's record files into `records_dir/protocol/run_name/` and returns that directory."""
    target = os.path.join(records_dir, protocol, run_name)
    _copy(RECORD_FILES, run_dir, target)
    return target


def is_kept(records_dir: str, protocol: str, run_name: str) -> bool:
    """Whether the run's record is in `records_dir`: compare and the grid's plan skip such a run."""
    return os.path.exists(os.path.join(records_dir, protocol, run_name, "results.csv"))


def keep_unfinished(run_dir: str, unfinished_dir: str, protocol: str, run_name: str) -> None:
    """Copies an unfinished run's pool.json and flags.txt into `unfinished_dir/protocol/run_name/`.

    Why: a run of the grid takes longer than a working session, and a session may start on a
    fresh clone without the log directory; committed, this copy lets the run resume at its last
    completed round instead of round 0 (every round is seeded from (seed, round), so the resumed
    run selects what the uninterrupted one would)."""
    _copy(UNFINISHED_FILES, run_dir, os.path.join(unfinished_dir, protocol, run_name))


def restore_unfinished(unfinished_dir: str, protocol: str, run_name: str, run_dir: str) -> bool:
    """Puts a kept unfinished run back into `run_dir` when that holds no run; True if it did."""
    source = os.path.join(unfinished_dir, protocol, run_name)
    if os.path.exists(os.path.join(run_dir, "pool.json")) or not os.path.exists(os.path.join(source, "pool.json")):
        return False
    _copy(UNFINISHED_FILES, source, run_dir)
    return True


def drop_unfinished(unfinished_dir: str, protocol: str, run_name: str) -> None:
    """Removes the unfinished copy of a run that has finished (its record replaces it): the whole
    directory, which may also hold the temporary file of a copy killed half-way."""
    target = os.path.join(unfinished_dir, protocol, run_name)
    shutil.rmtree(target, ignore_errors=True)
    if os.path.isdir(os.path.dirname(target)) and not os.listdir(os.path.dirname(target)):
        os.rmdir(os.path.dirname(target))


def _copy(names, source_dir: str, target_dir: str) -> None:
    """Each file atomically, so an interrupted copy leaves whole files."""
    os.makedirs(target_dir, exist_ok=True)
    for name in names:
        source = os.path.join(source_dir, name)
        if os.path.exists(source):
            with open(source, "rb") as f:
                atomic.write_bytes(os.path.join(target_dir, name), f.read())


@dataclasses.dataclass(frozen=True)
class Record:
    protocol: str
    run_name: str
    curve: curves.Curve
    round_metrics: List[dict]  # pool.json's per-round metrics, in round order
    current: bool = True  # trained its strategy's joint model of today (joint_defaults.is_default)


def read_all(records_dir: str) -> Dict[str, List[Record]]:
    """Every record under `records_dir`, by protocol (sorted), each protocol's runs sorted by name."""
    by_protocol: Dict[str, List[Record]] = {}
    if not os.path.isdir(records_dir):
        return by_protocol
    for protocol in sorted(os.listdir(records_dir)):
        protocol_dir = os.path.join(records_dir, protocol)
        if not os.path.isdir(protocol_dir):
            continue
        for run_name in sorted(os.listdir(protocol_dir)):
            run_dir = os.path.join(protocol_dir, run_name)
            if os.path.exists(os.path.join(run_dir, "pool.json")):
                by_protocol.setdefault(protocol, []).append(read_run(run_dir, protocol))
    return by_protocol


def read_run(run_dir: str, protocol: str) -> Record:
    """One run's record, from its `pool.json`: a committed record or a run still under way in its
    log directory, which lets a run be read against the records before it finishes."""
    with open(os.path.join(run_dir, "pool.json"), encoding="utf-8") as f:
        state = json.load(f)
    settings = state["settings"]
    curve = curves.curve_from_state(state, settings["strategy"], int(settings["seed"]))
    return Record(protocol, os.path.basename(os.path.normpath(run_dir)), curve,
                  [r["metrics"] for r in state["rounds"]], _is_current(run_dir, settings["strategy"]))


def _is_current(run_dir: str, strategy: str) -> bool:
    """Whether the run trained what its strategy trains today: a run of a joint model since replaced
    (issue 53's first joint model) is reported apart from the runs of today's."""
    saved = saved_in(run_dir, ExperimentConfig)
    return saved is None or joint_defaults.is_default(strategy, joint_defaults.of_saved(strategy, saved))
