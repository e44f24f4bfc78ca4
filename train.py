"""Command-line driver: `python train.py --flagfile=configs/quickstart.cfg`.

Flags -> ExperimentConfig -> experiment. A problem with a flag, file or data set is reported on
one line and exits with status 2, before anything is written (or, for a labels file given on
--resume, without recording anything).
"""
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TensorFlow's C++ start-up chatter out of the log.
# absl shows INFO records; tf.distribute logs one per variable reduction. Warnings still show.
logging.getLogger("tensorflow").setLevel(logging.WARNING)

from absl import app  # noqa: E402
from absl import logging as absl_logging  # noqa: E402

from m2vaal_tf import cli, flags  # noqa: E402
from m2vaal_tf.errors import UserError  # noqa: E402


def main(argv):
    if len(argv) > 1:
        cli.exit_with_error(f"unexpected arguments {' '.join(argv[1:])}; all settings are --flags")
    if not flags.FLAGS["verbosity"].present:
        absl_logging.set_verbosity(absl_logging.WARNING)  # TensorFlow's checkpointing logs INFO through absl.
    try:
        config = flags.to_config()
        from m2vaal_tf import experiment  # TensorFlow loads only once the flags are known to be good.
        run = experiment.prepare(config)
        print(f"run {config.run_dir}: strategy={config.strategy} data={config.dataset} "
              f"pool={len(run.pool.unlabeled_indices)} labelled={len(run.pool.labeled_indices)}")
        run.run(flags_text=flags.flagfile_text(config))
    except UserError as e:  # e.g. a labels file with problems: nothing was recorded
        cli.exit_with_error(str(e))


if __name__ == "__main__":
    app.run(main, flags_parser=cli.parse_or_exit)
