"""What the command-line programs (`train.py`, `python -m m2vaal_tf.score`) share: a user error is
one line on stderr and exit status 2, whether it comes from a flag or from the work itself."""
import os
import sys

from absl import flags


def exit_with_error(message: str) -> None:
    """Reports a user error on one line of stderr and exits 2, the usage-error status."""
    print(f"{os.path.basename(sys.argv[0])}: error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_or_exit(argv):
    """absl flag parser for `app.run` that reports a bad flag like any other user error."""
    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        exit_with_error(str(e))
