"""Checks that a change keeps behaviour: runs flagfiles with this checkout and with an earlier
commit (a temporary `git worktree`), and compares every round's selected indices, oracle labels and
test accuracy.

  python scripts/same_selections.py --base=ec2a9a2 [--configs=quickstart,quickstart_m2vaal]
      [--flags=--strategy=algorithm1] [--new_flags=--adversarial]

--flags go to both runs; --new_flags only to this checkout's, for the flag that restores a default
the change moved (issue 53: "today's behaviour stays one flag away").

Prints one line per run and round, and exits 1 if anything differs. Both runs use this
interpreter; each imports the package of its own tree (the script's directory comes first on
sys.path). The projector is off in both (it does not change the selection, and costs time), and
both compute in float32, the arithmetic every commit has (`--precision` defaults to auto since).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def play(tree: str, config: str, logdir: str, extra=()) -> list:
    """The rounds of `configs/<config>.cfg` run in `tree`: (labelled, selected, labels, test accuracy)."""
    with open(os.path.join(tree, "m2vaal_tf", "config.py"), encoding="utf-8") as f:
        pinned = ["--precision=float32"] if "precision" in f.read() else []
    subprocess.run([sys.executable, "train.py", f"--flagfile=configs/{config}.cfg", f"--logdir={logdir}",
                    "--run_name=run", "--projector_every=0", *pinned, *extra], cwd=tree, check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(logdir, "run", "pool.json"), encoding="utf-8") as f:
        rounds = json.load(f)["rounds"]
    return [(r["labeled"], r["selected"], r["labels"], r["metrics"]["test_accuracy"]) for r in rounds]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--configs", default="quickstart,quickstart_m2vaal")
    parser.add_argument("--flags", default="", help="comma-separated flags for both runs")
    parser.add_argument("--new_flags", default="", help="comma-separated flags for this checkout's run only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base_tree = os.path.join(scratch, "base")
        subprocess.run(["git", "worktree", "add", "--detach", base_tree, args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            same = True
            for config in args.configs.split(","):
                both, new = [f for f in args.flags.split(",") if f], [f for f in args.new_flags.split(",") if f]
                base = play(base_tree, config, os.path.join(scratch, "logs_base", config), both)
                here = play(ROOT, config, os.path.join(scratch, "logs_here", config), both + new)
                if len(base) != len(here):
                    print(f"{config}: {len(base)} rounds at {args.base}, {len(here)} here")
                    same = False
                for (labeled, selected, labels, accuracy), (_, selected2, labels2, accuracy2) in zip(base, here):
                    equal = selected == selected2 and labels == labels2 and accuracy == accuracy2
                    same &= equal
                    print(f"{config}: labeled={labeled} selected {len(selected)} "
                          f"{'same' if selected == selected2 else 'DIFFERENT'}, labels "
                          f"{'same' if labels == labels2 else 'DIFFERENT'}, test accuracy {accuracy:.4f} "
                          f"{'same' if accuracy == accuracy2 else f'DIFFERENT ({accuracy2:.4f})'}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", base_tree], cwd=ROOT, check=False)
    print("behaviour unchanged" if same else "behaviour CHANGED")
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
