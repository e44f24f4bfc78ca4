"""The results grid's compute plan: per protocol and strategy, the rounds, the VAE/D iterations at the
grid's budget (configs/grid_*.cfg) and the hours they need, from measured rates; with the records
already in docs/results/runs, how many runs are done and the hours of those left (less the rounds
that the runs under way in logs/grid have finished).

  python scripts/grid_plan.py [--records_dir docs/results/runs] [--runs_dir logs/grid] [--gpu_speedup 10]
  python scripts/grid_plan.py --left    # the runs left, "protocol strategy seed" in plan order (grid.sh's)

The plan's order: protocol by protocol (C, B, A: issue 53's order for the runs its new joint-model
defaults add), each protocol's classifier strategies with every seed, then its generative learners
seed by seed. A run is done when its record is committed under its name, which names the joint model
(joint_defaults.py): a record of a replaced joint model does not count for today's.

Hours = VAE/D iterations / the learner's iterations per second + labelled images x epochs / the
classifier's training rate, per round, summed over the rounds. The rates are bench/train_step.py's
and a timed quickstart round's on the machine that ran the grid (2-core CPU with AMX, bfloat16),
written below with the commands that measured them; a GPU is assumed --gpu_speedup times faster (an
estimate, not measured). A CPU without AVX512-BF16 or AMX runs float32, about 5 times slower.
"""
import argparse
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CANDIDATES = 10000  # configs/grid_*.cfg --candidates_per_round
VAE_BATCH = 128
SEEDS = 3
# VAE/D iterations per second, bfloat16, 2 cores, median of processes (step img/s / 256):
#   python bench/train_step.py --runs 5 --iterations 200 --base ab787ec            -> m2vaal 3,463 img/s
#   python bench/train_step.py --runs 2 --iterations 150 --precisions mixed_bfloat16 --families vaal,tavaal
#                                                          -> vaal 2,548 (two VAE steps per iteration), tavaal 4,058
#   python bench/train_step.py --runs 2 --iterations 100 --precisions mixed_bfloat16 --model_size large
#                                                          -> m2vaal large 1,167
# M2-VAAL without the adversarial loss trains the same networks with the same steps: M2-VAAL's rate.
# Algorithms 1 and 2 no longer train D (issue 53): M2-VAAL's rate with D is an upper bound of their hours.
# vaal_elbo trains VAAL's networks with VAAL's steps; on B's round 0 it took 472 s against vaal's 484 s
# for the same 410 iterations (docs/RESULTS.md, "A VAAL whose D works"): VAAL's rate.
ITERATIONS_PER_SECOND = {("m2vaal", "small"): 13.5, ("m2vaal_noadv", "small"): 13.5, ("vaal", "small"): 9.95,
                         ("vaal_elbo", "small"): 9.95, ("tavaal", "small"): 15.9, ("m2vaal", "large"): 4.56}
# scripts/grid.sh plays the runs in two one-thread lanes on 2 cores, which do this many times the work of
# one two-thread process (the rates above), by network size, medians of 3 and 2 repetitions:
#   python bench/lanes.py --reps 3; python bench/lanes.py --reps 2 --iterations 100 --model_size large
LANE_GAIN = {"small": 1.17, "large": 1.13}
# Classifier training, labelled images x epochs per second (plain recipe, batch 64, bfloat16): the
# quickstart's last round, 1,000 images x 15 epochs in 2.5-2.8 s (scripts/precision_parity.py's
# train_seconds), rounded down; the large model's is an estimate from its ~4x FLOPs, not measured.
CLASSIFIER_IMAGES_PER_SECOND = {"small": 5000.0, "large": 1250.0}
# Per round: building and tracing the models, scoring the candidates, evaluating on the 10K test set
# (an estimate; a round of the quickstart spends about this outside training).
ROUND_OVERHEAD_SECONDS = 10.0
PROTOCOLS = {  # initial, budget, max, epochs, E_v, model size, strategies: in plan order
    "C": (50, 50, 500, 100, 100, "large",
          ("random", "least_confidence", "margin", "entropy", "coreset", "bald", "badge", "algorithm1",
           "algorithm2")),
    "B": (500, 64, 2000, 20, 100, "small",
          ("random", "least_confidence", "margin", "entropy", "m2vaal", "m2vaal_noadv", "vaal_elbo", "vaal",
           "tavaal")),
    "A": (1000, 1000, 8000, 20, 30, "small",
          ("random", "least_confidence", "margin", "entropy", "m2vaal", "m2vaal_noadv", "vaal_elbo", "vaal",
           "tavaal")),
}


# Strategies whose runs of the first joint model stand for today's (issue 53, item 5: A's re-run only if
# the new default moves A's round 0 by more than the seeds' spread). A m2vaal_noadv, seed 0: Kingma's
# bounds 0.817, the first model 0.818 (docs/results/joint_study/A_*_seed0.json), where the grid's three
# seeds spread 0.812-0.817 (sd 0.003).
FIRST_MODEL_STANDS = {("A", "m2vaal_noadv")}


def plan():
    """(protocol, strategy, seed) of every run, in the order the lanes take them: a protocol's
    classifier strategies with all their seeds, then its generative learners one seed at a time (one
    of their runs takes hours, so this compares them all on one seed before the next)."""
    from m2vaal_tf import strategies
    for protocol, (*_, names) in PROTOCOLS.items():
        generative = [n for n in names if strategies.get(n).model_family != "classifier"]
        for name in (n for n in names if n not in generative):
            for seed in range(SEEDS):
                yield protocol, name, seed
        for seed in range(SEEDS):
            for name in generative:
                yield protocol, name, seed


def run_name(protocol, strategy, seed) -> str:
    """The name compare gives the run with configs/grid_<protocol>.cfg (which names no joint setting)."""
    from m2vaal_tf.config import ExperimentConfig
    return ExperimentConfig(strategy=strategy, seed=seed, protocol=protocol).resolved_run_name


def labelled_counts(initial, budget, maximum):
    """Every round's labelled count: +budget per round, the last capped at the maximum."""
    counts = [initial]
    while counts[-1] < maximum:
        counts.append(min(counts[-1] + budget, maximum))
    return counts


def run_hours(protocol, strategy, from_round=0):
    """(rounds, VAE/D iterations, hours) of a run's rounds from `from_round` on."""
    from m2vaal_tf.rounds.budget import vae_iterations
    initial, budget, maximum, epochs, vae_epochs, size, _ = PROTOCOLS[protocol]
    counts = labelled_counts(initial, budget, maximum)[from_round:]
    seconds = sum(n * epochs / CLASSIFIER_IMAGES_PER_SECOND[size] + ROUND_OVERHEAD_SECONDS for n in counts)
    from m2vaal_tf import strategies
    family = strategies.get(strategy).model_family  # the learner the strategy trains
    iterations = 0
    if family != "classifier":
        iterations = sum(vae_iterations(n, CANDIDATES, vae_epochs, VAE_BATCH) for n in counts)
        seconds += iterations / ITERATIONS_PER_SECOND[(family, size)]
    return len(counts), iterations, seconds / 3600


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records_dir", default=os.path.join(ROOT, "docs", "results", "runs"))
    parser.add_argument("--gpu_speedup", type=float, default=10.0)
    parser.add_argument("--runs_dir", default=os.path.join(ROOT, "logs", "grid"),
                        help="where the grid's unfinished runs are: their finished rounds count as done")
    parser.add_argument("--left", action="store_true", help="print the runs left, one 'protocol strategy seed' a "
                        "line in plan order, and nothing else")
    args = parser.parse_args()
    runs = list(plan())
    done = {run for run in runs if recorded(args.records_dir, *run)}
    if args.left:
        for protocol, strategy, seed in runs:
            if (protocol, strategy, seed) not in done:
                print(protocol.lower(), strategy, seed)
        return
    started = rounds_played(args.runs_dir, [run for run in runs if run not in done])
    print("| protocol | strategy | rounds | VAE/D iterations per run | hours per run (2 cores) | runs done | "
          "hours left (2 cores) | hours left (1 GPU, estimate) |")
    print("|---|---|---|---|---|---|---|---|")
    total = left = left_in_lanes = 0.0
    for protocol, (*_, strategies) in PROTOCOLS.items():
        for strategy in strategies:
            rounds, iterations, hours = run_hours(protocol, strategy)
            runs_done = sum((protocol, strategy, seed) in done for seed in range(SEEDS))
            remaining = hours * (SEEDS - runs_done) - sum(hours - run_hours(protocol, strategy, played)[2]
                                                         for (p, name, _), played in started.items()
                                                         if (p, name) == (protocol, strategy))
            total, left = total + hours * SEEDS, left + remaining
            left_in_lanes += remaining / LANE_GAIN[PROTOCOLS[protocol][5]]
            print(f"| {protocol} | {strategy} | {rounds} | {iterations:,} | {hours:.2f} | {runs_done}/{SEEDS} | "
                  f"{remaining:.1f} | {remaining / args.gpu_speedup:.1f} |")
    print(f"\nThe grid: {len(runs)} runs, {total:.0f} hours on 2 cores ({total / args.gpu_speedup:.0f} on one GPU by "
          f"estimate). Done: {len(done)} runs. Left: {len(runs) - len(done)} runs, {left:.0f} hours on 2 cores "
          f"({left / args.gpu_speedup:.0f} on one GPU); about {left_in_lanes:.0f} hours in scripts/grid.sh's two "
          f"lanes.")
    for (protocol, strategy, seed), played in sorted(started.items()):
        print(f"In progress: {run_name(protocol, strategy, seed)}, {played} of {run_hours(protocol, strategy)[0]} "
              "rounds played (counted in the hours left; a round under way is not).")


def recorded(records_dir, protocol, strategy, seed) -> bool:
    """Whether the run's record is committed: under its name, or under the first joint model's where
    that stands for today's (FIRST_MODEL_STANDS)."""
    names = {run_name(protocol, strategy, seed)}
    if (protocol, strategy) in FIRST_MODEL_STANDS:
        names.add(f"{protocol}_{strategy}_seed{seed}")
    from m2vaal_tf.reporting import records
    return any(records.is_kept(records_dir, protocol, name) for name in names)


def rounds_played(runs_dir, left):
    """{(protocol, strategy, seed): rounds finished} of the runs `left` under way in `runs_dir`."""
    from m2vaal_tf.pool import ActivePool
    started = {}
    for run in left:
        path = ActivePool.path_in(os.path.join(runs_dir, run_name(*run)))
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                started[run] = len(json.load(f)["rounds"])
    return started


if __name__ == "__main__":
    main()
