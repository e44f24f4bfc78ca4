"""TensorBoard output of a run: one summary writer under the run directory.

Per-round scalars use the labelled count as the step, so learning curves of different strategies
and protocols line up on one axis.
"""
import tensorflow as tf


class RunSummaries:
    def __init__(self, run_dir: str):
        self._writer = tf.summary.create_file_writer(run_dir)

    def round_scalars(self, labeled: int, scalars: dict) -> None:
        with self._writer.as_default(step=labeled):
            for name, value in scalars.items():
                tf.summary.scalar(name, value)
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
