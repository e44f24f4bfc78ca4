"""What the stopping rule would have said on finished runs: for each threshold K and patience R, the
labelled count at which `--stop_kappa=K --stop_patience=R` ends the run, its test accuracy then, and
the accuracy lost against going on to the run's last round.

  python scripts/stop_rule_replay.py logs/A_entropy_seed0/results.csv [more results.csv ...]
      [--thresholds 0.9,0.95,0.97,0.99] [--patience 1,2,3]

Reads only results.csv (its stop_kappa and test_accuracy columns), so it works on committed run
records too. Prints a markdown table per run.
"""
import argparse
import csv

from m2vaal_tf import stopping


def replay(rows, threshold: float, patience: int):
    """The first row at which the rule holds, or None when it never does."""
    kappas = []
    for row in rows:
        kappas.append(float(row["stop_kappa"]) if row.get("stop_kappa") else None)
        if stopping.held_rounds(kappas, threshold) >= patience:
            return row
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results.csv files of finished runs")
    parser.add_argument("--thresholds", default="0.9,0.95,0.97,0.99")
    parser.add_argument("--patience", default="1,2,3")
    args = parser.parse_args()
    for path in args.results:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows or "stop_kappa" not in rows[0]:
            raise SystemExit(f"{path}: no stop_kappa column (a run made before the stopping rule, or with "
                             "--stop_set_size=0)")
        final = rows[-1]
        print(f"\n{path}: kappa per round " + ", ".join(
            f"{r['labeled']}: {float(r['stop_kappa']):.4f}" for r in rows if r["stop_kappa"])
              + f"; final {final['labeled']} labels, test accuracy {float(final['test_accuracy']):.4f}")
        print("| --stop_kappa | --stop_patience | stops at labels | test accuracy then | lost vs the last round |")
        print("|---|---|---|---|---|")
        for threshold in map(float, args.thresholds.split(",")):
            for patience in map(int, args.patience.split(",")):
                row = replay(rows, threshold, patience)
                if row is None:
                    print(f"| {threshold} | {patience} | never (ran to {final['labeled']}) | – | – |")
                    continue
                lost = float(final["test_accuracy"]) - float(row["test_accuracy"])
                print(f"| {threshold} | {patience} | {row['labeled']} | {float(row['test_accuracy']):.4f} | "
                      f"{lost:+.4f} |")


if __name__ == "__main__":
    main()
