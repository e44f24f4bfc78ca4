"""Run records: the part of a finished run that is committed to the repository, and read back.

A record is `<records_dir>/<protocol>/<run name>/` holding the run's `pool.json` (every round's
labels, metrics and seconds: the run's single source of truth), `results.csv` (the same, one line
per round) and `flags.txt` (how it was made). TensorBoard files stay in the log directory. Every
table of docs/RESULTS.md's grid sections is computed from records alone (`grid_page.py`).
"""
import dataclasses
import json
import os
from typing import Dict, List

from m2vaal_tf import atomic
from m2vaal_tf.reporting import curves

RECORD_FILES = ("pool.json", "results.csv", "flags.txt")


def keep(run_dir: str, records_dir: str, protocol: str, run_name: str) -> str:
    """Copies a finished run's record files into `records_dir/protocol/run_name/` (each file
    atomically, so an interrupted copy leaves whole files) and returns that directory."""
    target = os.path.join(records_dir, protocol, run_name)
    os.makedirs(target, exist_ok=True)
    for name in RECORD_FILES:
        source = os.path.join(run_dir, name)
        if os.path.exists(source):
            with open(source, "rb") as f:
                atomic.write_bytes(os.path.join(target, name), f.read())
    return target


@dataclasses.dataclass(frozen=True)
class Record:
    protocol: str
    run_name: str
    curve: curves.Curve
    round_metrics: List[dict]  # pool.json's per-round metrics, in round order


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
            if not os.path.exists(os.path.join(run_dir, "pool.json")):
                continue
            with open(os.path.join(run_dir, "pool.json"), encoding="utf-8") as f:
                state = json.load(f)
            settings = state["settings"]
            curve = curves.read_curve(run_dir, settings["strategy"], int(settings["seed"]))
            by_protocol.setdefault(protocol, []).append(
                Record(protocol, run_name, curve, [r["metrics"] for r in state["rounds"]]))
    return by_protocol

