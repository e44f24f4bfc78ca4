"""The training program: `m2vaal-train --flagfile=configs/quickstart.cfg` (or `python train.py ...`).

Flags -> ExperimentConfig -> experiment. A problem with a flag, file or data set is reported on
one line and exits with status 2, before anything is written (or, for a labels file given on
--resume, without recording anything).
"""
import sys

from m2vaal_tf import cli, flags
from m2vaal_tf.errors import UserError


def main(argv):
    cli.reject_arguments(argv)
    cli.quiet_logging()
    try:
        config = flags.to_config()
        cli.start_tensorflow()  # only once the flags are known to be good
        from m2vaal_tf import experiment
        run = experiment.prepare(config)
        print(f"run {config.run_dir}: strategy={config.strategy} data={config.dataset} "
              f"pool={len(run.pool.unlabeled_indices)} labelled={len(run.pool.labeled_indices)}")
        run.run(progress=sys.stdout)
    except UserError as e:  # e.g. a labels file with problems: nothing was recorded
        cli.exit_with_error(str(e))


def run():
    """Console-script entry point (`m2vaal-train`)."""
    cli.run_program(main, flags)
