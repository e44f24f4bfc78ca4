"""`results.csv`: one row per round, derived from the pool's round records (never edited apart)."""
import csv
import io

from m2vaal_tf import atomic

PHASES = ("train", "evaluate", "select")


def write_csv(rounds, path: str) -> None:
    metric_names = sorted({k for r in rounds for k in r.metrics} - {"test_accuracy", "validation_accuracy"})
    header = (["round", "labeled", "test_accuracy", "validation_accuracy"] + metric_names
              + [f"{phase}_seconds" for phase in PHASES] + ["selected", "precision"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for r in rounds:
        writer.writerow(
            [r.round, r.labeled, _fmt(r.metrics.get("test_accuracy")), _fmt(r.metrics.get("validation_accuracy"))]
            + [_fmt(r.metrics.get(name)) for name in metric_names]
            + [r.seconds.get(phase, "") for phase in PHASES] + [len(r.selected), r.precision])
    atomic.write_text(path, out.getvalue())


def _fmt(value) -> str:
    return "" if value is None else f"{value:.6g}"
