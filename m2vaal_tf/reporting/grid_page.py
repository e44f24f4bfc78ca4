"""The grid sections of docs/RESULTS.md, computed from the committed run records alone.

The page keeps its prose; everything between the two markers below is generated, so that
`python -m m2vaal_tf.compare --summarize` rebuilds it byte for byte from `docs/results/runs/` and a
test can check that the committed page and the committed records agree. Per protocol: how many
runs are finished, test accuracy per labelled count (mean ± std over seeds), per strategy the
normalised AUC and its difference to random paired by seed (same seed: same initial set) with a
95 % t interval, what the queries looked like, seconds per run, and per round the generative
learners' D AUC on held-out samples and M2-VAAL's reference-classifier accuracy.
"""
import math
import os
from typing import Dict, List, Optional, Sequence

import numpy as np

from m2vaal_tf import atomic
from m2vaal_tf.errors import UserError
from m2vaal_tf.reporting import curves, plots, records

BEGIN = "<!-- grid:begin (generated from docs/results/runs by `python -m m2vaal_tf.compare --summarize`) -->"
END = "<!-- grid:end -->"
PROTOCOL_ORDER = ("B", "C", "A")  # the order the first grid ran them in
REFERENCE = "random"
# Two-sided 95 % quantiles of Student's t for 1..10 degrees of freedom (numpy has no t distribution).
T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)
# Opens the sections of the runs whose joint model is no longer their strategy's default (records.Record.current).
REPLACED = ("The runs below trained the joint model that was every strategy's default before issue 53 "
            "(`--m2_objective=soft`, D trained). Today m2vaal_noadv and Algorithms 1 and 2 train Kingma's bounds "
            "under eq. 9 (m2vaal_tf/joint_defaults.py); their re-runs are named `<protocol>_<strategy>_kingma_seed<n>`"
            " and appear in the sections above.\n")


def paired_interval(differences: Sequence[float]) -> Optional[tuple]:
    """Mean and 95 % t interval half-width of paired differences; None with fewer than 2 pairs."""
    n = len(differences)
    if n < 2:
        return None
    t = T_975[n - 2] if n - 1 <= len(T_975) else 1.96
    values = np.asarray(differences, dtype=np.float64)
    return float(values.mean()), float(t * values.std(ddof=1) / math.sqrt(n))


def protocol_section(protocol: str, runs: List[records.Record], figure: Optional[str], heading: str = "") -> str:
    """The tables of one protocol's runs; `heading` replaces the count of finished runs."""
    summaries = {s.strategy: s for s in curves.summarise([r.curve for r in runs])}
    order = sorted(summaries, key=lambda name: (name != REFERENCE, name))
    heading = f", {heading}" if heading else f": {len(runs)} finished run{'s' * (len(runs) != 1)}"
    lines = [f"### Protocol {protocol}{heading}", ""]
    if figure:
        lines += [f"![Protocol {protocol} learning curves]({figure})", ""]
    lines += ["Test accuracy, mean ± std over seeds:", "",
             "| labelled | " + " | ".join(order) + " |", "|---|" + "---|" * len(order)]
    counts = sorted({int(n) for s in summaries.values() for n in s.labeled})
    for count in counts:
        cells = []
        for name in order:
            s = summaries[name]
            where = np.flatnonzero(s.labeled == count)
            cells.append(f"{s.mean[where[0]]:.4f} ± {s.std[where[0]]:.4f}" if len(where) else "")
        lines.append(f"| {count} | " + " | ".join(cells) + " |")
    lines += ["", "| strategy | seeds | AUC (normalised) | AUC − random, paired by seed (95 % CI) | "
              "first query misclassified | all queries misclassified | class balance (pooled / per batch) | "
              "worst batch's top class | queries from classes new to the initial set | seconds per run |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    auc = {(r.curve.strategy, r.curve.seed): curves.normalised_auc(r.curve.labeled, r.curve.test_accuracy)
           for r in runs}
    for name in sorted(order, key=lambda n: -summaries[n].auc_mean):
        s = summaries[name]
        differences = [auc[(name, seed)] - auc[(REFERENCE, seed)] for seed in s.seeds if (REFERENCE, seed) in auc]
        interval = paired_interval(differences) if name != REFERENCE else None
        paired = ("–" if name == REFERENCE else f"{differences[0]:+.4f} (1 seed)" if len(differences) == 1
                  else "–" if interval is None else f"{interval[0]:+.4f} ± {interval[1]:.4f}")
        lines.append(f"| {name} | {','.join(map(str, s.seeds))} | {s.auc_mean:.4f} ± {s.auc_std:.4f} | {paired} | "
                     f"{_percent(s.first_query_misclassified)} | {_percent(s.misclassified)} | "
                     f"{s.class_balance:.2f} / {s.batch_balance:.2f} | {_percent(s.worst_batch_share)} | "
                     f"{_percent(s.new_class_fraction)} | {s.seconds:,.0f} |")
    lines += _generative_rounds(runs)
    return "\n".join(lines) + "\n"


def _generative_rounds(runs: List[records.Record]) -> List[str]:
    """Per labelled count, the mean over seeds of D's held-out AUC and of the reference accuracy."""
    columns: Dict[str, Dict[int, List[float]]] = {}
    for run in runs:
        for labeled, metrics in zip(run.curve.labeled, run.round_metrics):
            for metric, label in (("discriminator_auc", "D AUC"), ("reference_accuracy", "reference accuracy")):
                if metric in metrics:
                    columns.setdefault(f"{run.curve.strategy} {label}", {}).setdefault(int(labeled), []).append(
                        metrics[metric])
    if not columns:
        return []
    names = sorted(columns)
    counts = sorted({n for column in columns.values() for n in column})
    lines = ["", "Generative learners per round, mean over seeds: D's ROC AUC on the samples held out of its "
             "training, and the accuracy of the plain classifier trained beside M2-VAAL on the same labels:", "",
             "| labelled | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for count in counts:
        lines.append(f"| {count} | " + " | ".join(f"{np.mean(columns[n][count]):.3f}" if count in columns[n] else ""
                                                   for n in names) + " |")
    return lines


def _percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0%}"


def render(by_protocol: Dict[str, List[records.Record]], figure_prefix: str = "results/grid/") -> str:
    """The generated block, markers included, from `records.read_all`'s records: the runs of today's
    models per protocol, then the runs of a joint model since replaced, beside the same random runs."""
    ordered = [p for p in PROTOCOL_ORDER if p in by_protocol] + sorted(set(by_protocol) - set(PROTOCOL_ORDER))
    sections = []
    for p in ordered:
        current = [r for r in by_protocol[p] if r.current]
        sections.append(protocol_section(p, current, f"{figure_prefix}{p}_learning_curves.png")
                        + _today_so_far(by_protocol[p]))
    replaced = {p: [r for r in by_protocol[p] if not r.current] for p in ordered}
    if any(replaced.values()):
        sections.append(REPLACED)
    for p in (p for p in ordered if replaced[p]):
        reference = [r for r in by_protocol[p] if r.curve.strategy == REFERENCE]
        sections.append(protocol_section(p, replaced[p] + reference, None, heading=(
            f"the first joint model, {len(replaced[p])} run{'s' * (len(replaced[p]) != 1)} beside random's")))
    return "\n".join([BEGIN, ""] + (sections or ["No finished grid runs yet.\n"]) + [END])


def _today_so_far(runs: List[records.Record]) -> str:
    """Names the strategies whose records are of a replaced joint model, with their re-runs' count."""
    replaced = sorted({r.curve.strategy for r in runs if not r.current})
    if not replaced:
        return ""
    counts = ", ".join(f"{name}: {sum(r.current and r.curve.strategy == name for r in runs)} of "
                       f"{sum(r.curve.strategy == name for r in runs if not r.current)} seeds" for name in replaced)
    return (f"\nWith today's joint model so far: {counts}. Their runs of the first joint model are "
            "in the sections after the last protocol.\n")


def rewrite(page: str, records_dir: str, figure_dir: Optional[str] = None) -> Dict[str, List[records.Record]]:
    """Replaces the generated block of `page` (a markdown file) and draws the learning-curve plots
    into `figure_dir` when given and matplotlib is installed; returns the records it read."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise UserError(f"{page}: needs exactly one generated block, from the line {BEGIN} to the line {END}")
    by_protocol = records.read_all(records_dir)
    atomic.write_text(page, text[:text.index(BEGIN)] + render(by_protocol) + text[text.index(END) + len(END):])
    if figure_dir and plots.available():
        os.makedirs(figure_dir, exist_ok=True)
        for protocol, runs in by_protocol.items():
            current = [r.curve for r in runs if r.current]  # as the protocol's section shows them
            plots.learning_curves(curves.summarise(current),
                                  os.path.join(figure_dir, f"{protocol}_learning_curves.png"),
                                  f"Protocol {protocol}, authors' budget ({len(current)} runs)")
    return by_protocol
