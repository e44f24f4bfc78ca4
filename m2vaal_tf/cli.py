"""What the command-line programs (`m2vaal-train`, `m2vaal-compare`, `m2vaal-score`) share: a user
error is one line on stderr and exit status 2, whether it comes from a flag or from the work itself;
and TensorFlow starts without its C++ start-up chatter.
"""
import logging
import os
import sys

from absl import app, flags
from absl import logging as absl_logging


def exit_with_error(message: str) -> None:
    """Reports a user error on one line of stderr and exits 2, the usage-error status."""
    print(f"{os.path.basename(sys.argv[0])}: error: {message}", file=sys.stderr)
    sys.exit(2)


HELP_FLAGS = {"--help", "-help", "-h", "-?", "--helpshort", "--helpfull"}


def parse_or_exit(argv):
    """absl flag parser for `app.run` that reports a bad flag like any other user error, and ends
    with status 0 after printing the help that was asked for (absl exits 1 there)."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        exit_with_error(str(e))
    except SystemExit as e:
        if e.code == 1 and HELP_FLAGS & set(argv[1:]):
            sys.exit(0)
        raise


def run_program(main, *flag_modules) -> None:
    """`app.run(main)` with `--help` listing the flags of `flag_modules` (absl lists only the main
    module's own flags, and a console script's main module defines none) and bad flags reported
    on one line."""
    for module in flag_modules:
        for flag in flags.FLAGS.get_flags_for_module(module):
            flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    app.run(main, flags_parser=parse_or_exit)


def reject_arguments(argv) -> None:
    if len(argv) > 1:
        exit_with_error(f"unexpected arguments {' '.join(argv[1:])}; all settings are --flags")


def quiet_logging() -> None:
    """Python-side logs at WARNING: tf.distribute logs an INFO record per variable reduction, and
    TensorFlow's checkpointing logs INFO through absl (kept unless --verbosity was given)."""
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    if not flags.FLAGS["verbosity"].present:
        absl_logging.set_verbosity(absl_logging.WARNING)


def start_tensorflow() -> None:
    """Imports TensorFlow and finds its devices without the C++ start-up lines (the oneDNN notice,
    "Could not find cuda drivers", "failed call to cuInit ... (303)") that a newcomer on a CPU machine
    reads as failures. They are written to stderr before TensorFlow's log level is read, so only
    hiding stderr while TensorFlow starts silences them. A user who sets TF_CPP_MIN_LOG_LEVEL gets
    TensorFlow's own logging, untouched."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        import tensorflow  # noqa: F401
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf
        tf.config.list_physical_devices()  # device discovery logs too (cuInit)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
