"""Seconds per active-learning round, per strategy, and the peak memory of a process doing it.

  python bench/rounds.py [--strategies all] [--labeled 1000] [--pool 10000] [--epochs 2] [--repeats 3]

Each strategy runs in its own process (so its peak resident memory is its own): --repeats real
rounds on Fashion-MNIST (a fresh model trained on --labeled images for --epochs, the VAAL family's
VAE/D for E_v = --epochs passes over the data (the official 100 takes 100 / --epochs times as long), then --labeled
images selected from a --pool subsample), the way the experiment plays them. Prints the median
seconds of train / select and the process's peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def one_strategy(name, labeled, pool, epochs, repeats):
    """Runs in the child: `repeats` one-query experiments, returns the rounds' seconds."""
    from m2vaal_tf import data, experiment
    from m2vaal_tf.config import ExperimentConfig
    dataset = data.load_dataset("fashion_mnist")
    rounds = []
    with tempfile.TemporaryDirectory() as logdir:
        for repeat in range(repeats):
            config = ExperimentConfig(strategy=name, initial_labeled=labeled, budget=labeled,
                                      max_labeled=2 * labeled, max_rounds=2, pool_subsample=pool, epochs=epochs,
                                      vae_epochs=epochs,
                                      projector_every=0, mc_samples=10, seed=repeat, logdir=logdir,
                                      run_name=f"{name}_{repeat}")
            run = experiment.prepare(config, dataset=dataset)
            run.run(out=lambda line: None)
            rounds.append(run.pool.rounds[0].seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"train": statistics.median(r["train"] for r in rounds),
            "select": statistics.median(r["select"] for r in rounds), "peak_mb": peak_mb}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", default="all")
    parser.add_argument("--labeled", type=int, default=1000)
    parser.add_argument("--pool", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_strategy(args.child, args.labeled, args.pool, args.epochs, args.repeats)))
        return
    from m2vaal_tf import strategies
    names = strategies.names() if args.strategies == "all" else args.strategies.split(",")
    print(f"one round: train on {args.labeled} labelled for {args.epochs} epochs, select {args.labeled} from "
          f"{args.pool}; median of {args.repeats}, each strategy in its own process")
    print(f"{'strategy':>17s} {'train s':>8s} {'select s':>9s} {'peak RSS MB':>12s}")
    for name in names:
        done = subprocess.run([sys.executable, __file__, f"--child={name}", f"--labeled={args.labeled}",
                               f"--pool={args.pool}", f"--epochs={args.epochs}", f"--repeats={args.repeats}"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name:>17s} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{name:>17s} {result['train']:8.1f} {result['select']:9.2f} {result['peak_mb']:12.0f}")


if __name__ == "__main__":
    main()
