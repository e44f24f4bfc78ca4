"""Does bfloat16 keep the accuracy of float32? The same seeds in both precisions, on:

  quickstart  configs/quickstart.cfg end to end (entropy, 200 -> 1,000 labels, 5,000-image pool):
              final test accuracy and the normalised area under the learning curve
  B           round 0 of protocol B with M2-VAAL at the official budget (E_v = 100, 10,000
              candidates; the budget study's cell): the joint classifier's test accuracy, D's
              held-out AUC, and the test accuracy of the plain classifier trained on the initial
              set plus the queried batch (what the query is worth)

  python scripts/precision_parity.py [--parts quickstart,B] [--seeds 0,1,2]
                                     [--out docs/results/precision_parity.json] [--table_only]

Resumable: each finished cell goes to --out at once and is skipped on the next start. The table
gives per metric float32's and bfloat16's mean ± std (ddof 1) and seed range, and whether
bfloat16's mean lies inside float32's seed range: the test `auto` has to pass before it picks
bfloat16 by default.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import study_cells

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


PRECISIONS = ("float32", "mixed_bfloat16")
METRICS = {"quickstart": ("final_test_accuracy", "curve_area"),
           "B": ("test_accuracy", "discriminator_auc", "accuracy_after_query")}


def quickstart_cell(seed, precision):
    """train.py on the quickstart config, in a scratch log directory; its results.csv, summarised."""
    with tempfile.TemporaryDirectory(prefix="parity-") as logdir:
        subprocess.run([sys.executable, os.path.join(ROOT, "train.py"), "--flagfile=configs/quickstart.cfg",
                        f"--seed={seed}", f"--precision={precision}", f"--logdir={logdir}", "--run_name=parity",
                        "--projector_every=0"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(logdir, "parity", "results.csv"), newline="") as f:
            rows = list(csv.DictReader(f))
    from m2vaal_tf.reporting.curves import normalised_auc
    accuracies = [float(r["test_accuracy"]) for r in rows]
    labeled = [int(r["labeled"]) for r in rows]
    area = normalised_auc(np.array(labeled), np.array(accuracies))
    return {"final_test_accuracy": accuracies[-1], "curve_area": area,
            "curve": accuracies, "train_seconds": [float(r["train_seconds"]) for r in rows]}


def protocol_b_cell(dataset, seed, precision):
    import budget_study
    result = budget_study.cell(dataset, "B", "m2vaal", 100, 10000, seed=seed, precision=precision)
    return {key: result[key] for key in ("test_accuracy", "discriminator_auc", "accuracy_after_query", "seconds",
                                         "selected")}


def table(cells) -> str:
    from m2vaal_tf.reporting.grid_page import paired_interval
    rows = ["| part | metric | float32 mean ± std | float32 range | bfloat16 mean ± std | bfloat16 range | "
            "bfloat16 mean inside float32 range | bfloat16 − float32, paired by seed (95 % CI) |",
            "|---|---|---|---|---|---|---|---|"]
    for part, metrics in METRICS.items():
        for metric in metrics:
            values = {p: {c["seed"]: c[metric] for c in cells if c["part"] == part and c["precision"] == p}
                      for p in PRECISIONS}
            if not all(values.values()):
                continue
            full, half = list(values["float32"].values()), list(values["mixed_bfloat16"].values())
            inside = min(full) <= statistics.mean(half) <= max(full)
            paired = paired_interval([values["mixed_bfloat16"][s] - values["float32"][s]
                                      for s in values["float32"] if s in values["mixed_bfloat16"]])
            rows.append(f"| {part} | {metric} | {_spread(full)} | {min(full):.4f}–{max(full):.4f} | "
                        f"{_spread(half)} | {min(half):.4f}–{max(half):.4f} | {'yes' if inside else 'no'} | "
                        f"{'–' if paired is None else f'{paired[0]:+.4f} ± {paired[1]:.4f}'} |")
    return "\n".join(rows)


def _spread(values) -> str:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {std:.4f} (n={len(values)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="quickstart,B")
    parser.add_argument("--seeds", default="0,1,2")
    study_cells.add_arguments(parser, os.path.join(ROOT, "docs", "results", "precision_parity.json"))
    args = parser.parse_args()

    def plan():
        for part in args.parts.split(","):
            for seed in map(int, args.seeds.split(",")):
                for precision in PRECISIONS:
                    yield {"part": part, "seed": seed, "precision": precision}

    def compute(dataset, part, seed, precision):
        return quickstart_cell(seed, precision) if part == "quickstart" else protocol_b_cell(dataset, seed, precision)

    study_cells.run(args, plan, compute, table,
                    lambda done: json.dumps({k: v for k, v in done.items() if k not in ("selected", "curve")}))


if __name__ == "__main__":
    main()
