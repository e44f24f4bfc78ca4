"""A grid of runs (strategies × seeds) and its summary:

  python -m m2vaal_tf.compare --flagfile=configs/protocol_b.cfg --strategies=random,m2vaal --seeds=0,1,2

Takes every `train.py` flag. Each (strategy, seed) is an ordinary run under --logdir with the
default name `<protocol>_<strategy>_seed<seed>` (`_kingma_seed<seed>` for a joint model of Kingma's
bounds), inspectable and resumable like any other: a finished or recorded run is skipped, an
unfinished one resumed, so the command can be stopped and restarted.
The summary goes to `--summary_dir` (default `<logdir>/<protocol>_summary/`):

  curves.csv          mean and std (over seeds, ddof 1) of test accuracy per labelled count
  summary.md          the same as a table, and per strategy the normalised area under the curve,
                      the queried batches' misclassified fraction and seconds per run
  learning_curves.png mean ± std bands (needs `pip install -e .[plots]`; skipped without it)

With --records_dir, each finished run's record (pool.json, results.csv, flags.txt) is also copied to
`<records_dir>/<protocol>/<run>/`, where the repository keeps the grid (docs/results/runs). With
--unfinished_dir, an unfinished run's pool.json and flags.txt are copied to
`<unfinished_dir>/<protocol>/<run>/` after every round (the repository keeps them in
docs/results/unfinished), and a run missing from --logdir starts from that copy: committed, it lets a
fresh clone resume the run at its last completed round. Then

  python -m m2vaal_tf.compare --summarize [--records_dir=docs/results/runs] [--results_page=docs/RESULTS.md]

runs nothing: it rebuilds the generated block of the results page, and its plots, from the records alone.
"""
import dataclasses
import os
import sys
import time

from absl import flags as absl_flags

from m2vaal_tf import atomic, cli, flags, strategies
from m2vaal_tf.errors import ConfigError, UserError
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.reporting import curves, grid_page, plots, records

FLAGS = absl_flags.FLAGS


def define_flags():
    absl_flags.DEFINE_list("strategies", None, "Strategies to compare, e.g. random,entropy,m2vaal.")
    absl_flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds to run each strategy with.")
    absl_flags.DEFINE_string("summary_dir", "", "Where the summary goes (default <logdir>/<protocol>_summary).")
    absl_flags.DEFINE_string("records_dir", "", "Also copy each finished run's pool.json, results.csv and flags.txt "
                             "to <records_dir>/<protocol>/<run>/ (the repository keeps them in docs/results/runs).")
    absl_flags.DEFINE_string("unfinished_dir", "", "Keep each unfinished run's pool.json and flags.txt in "
                             "<unfinished_dir>/<protocol>/<run>/ after every round, and resume a run missing "
                             "from --logdir from there (the repository keeps them in docs/results/unfinished).")
    absl_flags.DEFINE_bool("summarize", False, "Run nothing: rebuild --results_page's generated block (and its "
                           "plots) from the records in --records_dir (default docs/results/runs).")
    absl_flags.DEFINE_string("results_page", "docs/RESULTS.md", "The page --summarize rewrites.")


def grid(base, strategy_names, seeds):
    """The configs of the grid, checked before any run starts."""
    if base.run_name:
        raise ConfigError("--run_name names one run; compare names each run <protocol>_<strategy>_seed<seed> "
                          "(with the joint model's objective where it is not the first: joint_defaults.py)")
    unknown = [s for s in strategy_names if s not in strategies.names()]
    if unknown:
        raise ConfigError(f"--strategies: {', '.join(unknown)} unknown; choose from: {', '.join(strategies.names())}")
    try:
        seed_values = [int(s) for s in seeds]
    except ValueError:
        raise ConfigError(f"--seeds={','.join(seeds)} must be comma-separated integers") from None
    return [dataclasses.replace(base, strategy=s, seed=seed) for s in strategy_names for seed in seed_values]


def run_all(configs, out=print, records_dir="", unfinished_dir="") -> list:
    """Plays every run of the grid that is not finished yet (nor recorded in `records_dir`, by its name:
    a run of a replaced joint model does not stand for its strategy's run of today's); keeps the record
    of each finished one and, with `unfinished_dir`, a resumable copy of each unfinished one after every
    round. Returns where each run's pool.json is: its run directory, or its record."""
    import keras

    from m2vaal_tf import experiment
    places = []
    for number, config in enumerate(configs, start=1):
        label = f"[{number}/{len(configs)}] {config.resolved_run_name}"
        protocol, name = config.protocol or "compare", config.resolved_run_name
        if records_dir and records.is_kept(records_dir, protocol, name):
            out(f"{label}: recorded in {os.path.join(records_dir, protocol, name)}, skipped")
            places.append(os.path.join(records_dir, protocol, name))
            continue
        if unfinished_dir and records.restore_unfinished(unfinished_dir, protocol, name, config.run_dir):
            out(f"{label}: restored from {os.path.join(unfinished_dir, protocol, name)}")
        pool_path = ActivePool.path_in(config.run_dir)
        config = dataclasses.replace(config, resume=os.path.exists(pool_path))
        run = experiment.prepare(config)
        if run.pool.complete:
            out(f"{label}: finished before, skipped")
        else:
            start = time.perf_counter()
            out(f"{label}: {'resuming' if config.resume else 'starting'}")
            keep = ((lambda: records.keep_unfinished(config.run_dir, unfinished_dir, protocol, name))
                    if unfinished_dir else (lambda: None))
            run.run(out=lambda line: out(f"  {line}"), progress=sys.stdout, round_saved=keep)
            out(f"{label}: done in {time.perf_counter() - start:.0f}s")
            keras.backend.clear_session()  # each run builds its own models; free the previous ones
        if records_dir:
            kept = records.keep(config.run_dir, records_dir, protocol, name)
            out(f"{label}: record in {kept}")
        if unfinished_dir and run.pool.complete:  # after the record: a kill in between loses neither
            records.drop_unfinished(unfinished_dir, protocol, name)
        places.append(config.run_dir)
    return places


def write_summary(configs, places, directory: str, title: str) -> list:
    collected = [curves.read_curve(place, c.strategy, c.seed) for c, place in zip(configs, places)]
    summaries = curves.summarise(collected)
    os.makedirs(directory, exist_ok=True)
    atomic.write_text(os.path.join(directory, "curves.csv"), curves.curves_csv(summaries))
    atomic.write_text(os.path.join(directory, "summary.md"), f"# {title}\n\n" + curves.markdown(summaries))
    written = plots.learning_curves(summaries, os.path.join(directory, "learning_curves.png"), title)
    return [os.path.join(directory, n) for n in ("curves.csv", "summary.md")] + ([written] if written else [])


def main(argv):
    cli.reject_arguments(argv)
    cli.quiet_logging()
    try:
        if FLAGS.summarize:
            return summarize(FLAGS.records_dir or os.path.join("docs", "results", "runs"), FLAGS.results_page)
        if not FLAGS.strategies:
            raise ConfigError("--strategies: name the strategies to compare, e.g. --strategies=random,m2vaal")
        base = flags.to_config()
        configs = grid(base, FLAGS.strategies, FLAGS.seeds)
        cli.start_tensorflow()
        places = run_all(configs, records_dir=FLAGS.records_dir, unfinished_dir=FLAGS.unfinished_dir)
        protocol = base.protocol or "compare"
        directory = FLAGS.summary_dir or os.path.join(base.logdir, f"{protocol}_summary")
        written = write_summary(configs, places, directory, f"Protocol {protocol}: {len(FLAGS.seeds)} seed(s)")
    except UserError as e:
        cli.exit_with_error(str(e))
    print(open(os.path.join(directory, "summary.md"), encoding="utf-8").read())
    print("wrote " + ", ".join(written) + ("" if len(written) == 3 else
                                           " (no plot: pip install -e .[plots] for matplotlib)"))


def summarize(records_dir: str, page: str) -> None:
    if not os.path.isdir(records_dir):
        raise ConfigError(f"--records_dir={records_dir}: no such directory of run records")
    if not os.path.exists(page):
        raise ConfigError(f"--results_page={page}: no such file")
    figures = os.path.join(os.path.dirname(page), "results", "grid")
    by_protocol = grid_page.rewrite(page, records_dir, figure_dir=figures)
    counts = {p: len(r) for p, r in by_protocol.items()}
    print(f"rewrote {page} from {sum(counts.values())} run records "
          f"({', '.join(f'{p}: {n}' for p, n in sorted(counts.items())) or 'none'})")


def run():
    """Console-script entry point (`m2vaal-compare`)."""
    define_flags()
    cli.run_program(main, flags, __name__)


if __name__ == "__main__":
    run()
