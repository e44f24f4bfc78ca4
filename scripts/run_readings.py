"""One run read against the committed records: the numbers the notes on the results grid quote.

  python scripts/run_readings.py docs/results/runs/B/B_vaal_seed2 [--versus docs/results/runs/B/B_m2vaal_seed2]
  python scripts/run_readings.py logs/grid/B_tavaal_seed2      # a run still under way: its rounds so far

The results page (docs/RESULTS.md) aggregates over seeds; a note about one finished run needs that
run's own numbers beside the reference strategy's (random): its normalised AUC paired with the
reference's run of the same seed (same initial set), its per-round gap to the reference's mean over
seeds, when it first reaches an accuracy, and for the generative learners how D's held-out ROC AUC
and the misclassified share of the queries differ below and at or above that accuracy (the seed's
claim that D becomes uninformative as accuracy rises). A generative learner also trains a plain
classifier beside its own on the same labels (`reference_accuracy`); reading that one against random
separates what its labels are worth from what its jointly trained classifier makes of them, per run
and paired by seed over the learner's finished records. `--versus` pairs it with other runs, e.g.
M2-VAAL with and without the adversarial loss on one seed. Paired AUCs are over the rounds both runs
have played, so a run under way is compared on its rounds so far. numpy only.
"""
import argparse
import dataclasses
import os
import sys

import numpy as np

from m2vaal_tf.reporting import curves, grid_page, records

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def paired_auc(run: curves.Curve, other: curves.Curve) -> tuple:
    """(run's AUC, other's AUC, rounds) over the rounds both have played; their labelled counts must agree."""
    n = min(len(run.labeled), len(other.labeled))
    if not np.array_equal(run.labeled[:n], other.labeled[:n]):
        raise SystemExit(f"{other.strategy} seed {other.seed}: its labelled counts differ from the run's; "
                         "pair runs of one protocol only")
    return (curves.normalised_auc(run.labeled[:n], run.test_accuracy[:n]),
            curves.normalised_auc(other.labeled[:n], other.test_accuracy[:n]), n)


def first_at(labeled: np.ndarray, accuracy: np.ndarray, threshold: float) -> str:
    where = np.flatnonzero(accuracy >= threshold)
    return "never" if not len(where) else f"at {int(labeled[where[0]]):,} labelled ({accuracy[where[0]]:.4f})"


def split_by_accuracy(run: records.Record, threshold: float) -> list:
    """D's held-out AUC and the queries' misclassified share, below and at or above `threshold` accuracy."""
    accuracy = run.curve.test_accuracy
    lines = []
    for name, rounds in ((f"below {threshold:.2f}", accuracy < threshold),
                         (f"at >= {threshold:.2f}", accuracy >= threshold)):
        picked = [m for m, keep in zip(run.round_metrics, rounds) if keep]
        d_auc = np.array([m["discriminator_auc"] for m in picked if "discriminator_auc" in m])
        wrong = np.array([m["selected_misclassified"] for m in picked if "selected_misclassified" in m])
        text = f"  accuracy {name}: {len(picked)} round{'s' * (len(picked) != 1)}"
        if len(d_auc):
            text += f"; D AUC mean {d_auc.mean():.2f} ({d_auc.min():.2f}-{d_auc.max():.2f})"
        if len(wrong):
            text += f"; queries misclassified {wrong.mean():.0%} (mean of {len(wrong)} batch{'es' * (len(wrong) != 1)})"
        lines.append(text)
    return lines


def plain_classifier(run: records.Record) -> np.ndarray:
    """The plain classifier's test accuracy per round; NaN where the round did not record one."""
    return np.array([m.get("reference_accuracy", np.nan) for m in run.round_metrics], dtype=np.float64)


def plain_paired_auc(run: records.Record, reference: curves.Curve) -> tuple:
    """(plain classifier's AUC, reference's AUC, rounds) over the rounds both have played."""
    return paired_auc(dataclasses.replace(run.curve, test_accuracy=plain_classifier(run)), reference)


def plain_classifier_readings(run: records.Record, same_seed: list, siblings, references: list) -> list:
    """On protocol C the jointly trained classifier trails the plain one by 0.1-0.2, so the
    learner's curve mixes two things, its labels and its classifier; the plain curve reads the labels."""
    plain = plain_classifier(run)
    if not len(plain) or np.isnan(plain).any():
        return []
    own = run.curve.test_accuracy
    lead = plain - own
    lines = [f"  plain classifier beside it (reference_accuracy): normalised AUC "
             f"{curves.normalised_auc(run.curve.labeled, plain):.4f}; its lead over the run's own classifier "
             f"{lead.mean():+.3f} on average ({lead.min():+.3f} to {lead.max():+.3f}), ahead at "
             f"{int(np.sum(lead > 0))} of {len(own)} rounds"]
    if same_seed:
        mine, theirs, n = plain_paired_auc(run, same_seed[0])
        ahead = plain[1:n] > same_seed[0].test_accuracy[1:n]
        lines.append(f"  plain classifier paired with {same_seed[0].strategy} seed {run.curve.seed} over {n} "
                     f"rounds: {mine:.4f} - {theirs:.4f} = {mine - theirs:+.4f}; ahead at {int(ahead.sum())} "
                     f"of the {n - 1} rounds after round 0")
    by_seed = {r.curve.seed: r for r in references}
    pairs = [(r.curve.seed, r) for r in siblings if r.curve.seed in by_seed]
    own_gaps = [paired_auc(r.curve, by_seed[seed].curve) for seed, r in pairs]
    plain_gaps = [plain_paired_auc(r, by_seed[seed].curve) for seed, r in pairs]
    own_interval = grid_page.paired_interval([mine - theirs for mine, theirs, _ in own_gaps])
    plain_interval = grid_page.paired_interval([mine - theirs for mine, theirs, _ in plain_gaps])
    if own_interval and plain_interval:
        seeds = ",".join(str(seed) for seed, _ in pairs)
        lines.append(f"  {run.curve.strategy}'s records, seeds {seeds}, AUC minus {references[0].curve.strategy} "
                     f"paired by seed (95 % CI): own classifier {own_interval[0]:+.4f} ± {own_interval[1]:.4f}, "
                     f"plain classifier {plain_interval[0]:+.4f} ± {plain_interval[1]:.4f}")
    return lines


def readings(run: records.Record, references: list, versus: list, threshold: float,
             siblings: tuple = ()) -> list:
    curve = run.curve
    lines = [f"{run.run_name} ({curve.strategy}, seed {curve.seed}): {len(curve.labeled)} rounds, "
             f"{int(curve.labeled[0]):,} -> {int(curve.labeled[-1]):,} labelled",
             f"  normalised AUC {curves.normalised_auc(curve.labeled, curve.test_accuracy):.4f}; "
             f"first accuracy >= {threshold:.2f}: {first_at(curve.labeled, curve.test_accuracy, threshold)}"]
    reference = curves.summarise([r.curve for r in references])[0] if references else None
    same_seed = [r.curve for r in references if r.curve.seed == curve.seed]
    if reference is not None:
        if same_seed:
            mine, theirs, n = paired_auc(curve, same_seed[0])
            lines.append(f"  paired with {reference.strategy} seed {curve.seed} over {n} rounds: "
                         f"{mine:.4f} - {theirs:.4f} = {mine - theirs:+.4f}")
        n = min(len(curve.labeled), len(reference.labeled))
        gap = curve.test_accuracy[:n] - reference.mean[:n]
        behind = gap[1:] < 0
        lines.append(f"  {reference.strategy}'s mean over seeds {','.join(map(str, reference.seeds))}: first >= "
                     f"{threshold:.2f}: {first_at(reference.labeled, reference.mean, threshold)}; the run is "
                     f"behind it at {int(behind.sum())} of the {n - 1} rounds after round 0")
        lines += ["  | labelled | accuracy | " + f"{reference.strategy} mean | gap | D AUC | queries misclassified |"]
        for i in range(n):
            metrics = run.round_metrics[i]
            d_auc = f"{metrics['discriminator_auc']:.2f}" if "discriminator_auc" in metrics else ""
            wrong = f"{metrics['selected_misclassified']:.0%}" if "selected_misclassified" in metrics else ""
            lines.append(f"  | {int(curve.labeled[i]):,} | {curve.test_accuracy[i]:.4f} | {reference.mean[i]:.4f} | "
                         f"{gap[i]:+.3f} | {d_auc} | {wrong} |")
    lines += split_by_accuracy(run, threshold)
    lines += plain_classifier_readings(run, same_seed, siblings, references)
    for other in versus:
        mine, theirs, n = paired_auc(curve, other.curve)
        gap = curve.test_accuracy[:n] - other.curve.test_accuracy[:n]
        lines.append(f"  versus {other.run_name} over {n} rounds: AUC {mine:.4f} - {theirs:.4f} = "
                     f"{mine - theirs:+.4f}; ahead at {int((gap[1:] > 0).sum())} of the {n - 1} rounds after round 0")
    return lines


def read(run_dir: str, flag: str, protocol: str) -> records.Record:
    if not os.path.exists(os.path.join(run_dir, "pool.json")):
        raise SystemExit(f"{flag} {run_dir}: no pool.json there; expected a run record "
                         "(docs/results/runs/<protocol>/<run>) or a run's log directory (logs/grid/<run>)")
    return records.read_run(run_dir, protocol)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="the run: a record directory or a run's log directory, holding pool.json")
    parser.add_argument("--versus", nargs="*", default=[], help="runs of the same protocol to pair it with")
    parser.add_argument("--records_dir", default=os.path.join(ROOT, "docs", "results", "runs"))
    parser.add_argument("--protocol", help="the records' protocol; default: the run name's prefix (B_vaal_seed2: B)")
    parser.add_argument("--reference", default="random", help="the strategy whose records the run is read against")
    parser.add_argument("--accuracy", type=float, default=0.80, help="the test accuracy that splits the rounds")
    args = parser.parse_args()
    if not 0.0 < args.accuracy < 1.0:
        raise SystemExit(f"--accuracy={args.accuracy}: expected a test accuracy strictly between 0 and 1")
    protocol = args.protocol or os.path.basename(os.path.normpath(args.run)).split("_")[0]
    run = read(args.run, "run", protocol)
    versus = [read(path, "--versus", protocol) for path in args.versus]
    finished = records.read_all(args.records_dir).get(protocol, [])
    references = [r for r in finished if r.curve.strategy == args.reference]
    siblings = [r for r in finished if r.curve.strategy == run.curve.strategy]
    if not references:
        print(f"(no {args.reference} records for protocol {protocol} under {args.records_dir}: "
              "read without a reference)", file=sys.stderr)
    print("\n".join(readings(run, references, versus, args.accuracy, siblings)))


if __name__ == "__main__":
    main()
