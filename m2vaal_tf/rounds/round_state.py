"""The VAAL family's round training kept on disk as it goes, so that a killed run resumes inside
the round instead of replaying it.

At the authors' budget one round of the VAAL family is thousands of iterations: 10-30 minutes on
2 cores. pool.json keeps finished rounds only, so a run resumed after kill -9 used to replay its
unfinished round from the start (the results grid, run across sessions that end by a kill, lost
half a round each time). Every tenth of the round this file keeps what the rest of it depends on:
every variable of the learner (networks, random generators' states), its loss trackers, both
optimizers, the iteration reached, the loss curve so far and the seconds spent. The round's input
stream is seeded, so the resumed round skips the iterations done and goes on with the very batches
it would have read: it ends with the weights of a round never interrupted (tested).

The state belongs to one round of one run: a key of the learner's family, the round's seed,
iteration count and precision and a digest of its images and labels must match, or the state is not
used. With the precision in the key every round computes in one precision, the one pool.json
records for it (a run moved to a machine where `--precision=auto` resolves otherwise redoes its
unfinished round). It is written atomically and removed when the round's training ends. Under
--distribute=multi_worker nothing is kept: every worker would have to resume from the same state,
and only the chief's files outlive the run.
"""
import hashlib
import io
import os
import time
from typing import Optional

import keras
import numpy as np

from m2vaal_tf import atomic, distribute
from m2vaal_tf.models import precision

FILE_NAME = "round_state.npz"
SAVES_PER_ROUND = 10


def fit(learner, stream, iterations: int, state: Optional["RoundState"], make_tracker, observers=()) -> tuple:
    """`iterations` of the seeded `stream` through `distribute.fit`, from where `state` (None: keep
    nothing) left the round; returns the round's IterationProgress, made by `make_tracker(start,
    curves)`, and the seconds the round trained before it was resumed."""
    start, curves, seconds_before = state.restore(learner) if state else (0, {}, 0.0)
    tracker = make_tracker(start, curves)
    if start < iterations:  # the stream is seeded: skipping the iterations done gives the batches ahead
        distribute.fit(learner, stream.skip(start), epochs=1, verbose=0, steps_per_epoch=iterations - start,
                       callbacks=[tracker, *observers] + ([state.keeper(tracker, seconds_before)] if state else []))
    if state:
        state.discard()
    return tracker, seconds_before


def _variables(learner) -> list:
    """Everything the rest of the round reads, in an order fixed by how the learner is built."""
    return [*learner.variables, *learner.metrics_variables, *learner.optimizer.variables,
            *learner.d_optimizer.variables]


class RoundState:
    def __init__(self, path: str, key: str):
        self.path, self.key = path, key

    @classmethod
    def for_round(cls, state_dir: Optional[str], precision_name: str, family: str, data, seed: int,
                  iterations: int) -> Optional["RoundState"]:
        """The state file of this round in `state_dir` (the run's directory); None where none is
        kept (`state_dir` None: under multi_worker, or a round played outside a run)."""
        if state_dir is None:
            return None
        digest = hashlib.sha256()
        for array in (data.labeled_images, data.labels, data.unlabeled_images):
            digest.update(np.ascontiguousarray(array).tobytes())
        return cls(os.path.join(state_dir, FILE_NAME),
                   f"{family}:{seed}:{iterations}:{precision.resolve(precision_name)}:{digest.hexdigest()}")

    def restore(self, learner) -> tuple:
        """(iteration reached, curves so far, seconds spent) from this round's saved state, its
        variables assigned to `learner`; (0, {}, 0.0) when there is none for this round."""
        if not os.path.exists(self.path):
            return 0, {}, 0.0
        with np.load(self.path, allow_pickle=False) as saved:
            variables = _variables(learner)
            count = sum(name.startswith("variable_") for name in saved.files)
            if str(saved["key"]) != self.key or count != len(variables) or any(
                    saved[f"variable_{i}"].shape != tuple(v.shape) for i, v in enumerate(variables)):
                return 0, {}, 0.0  # another round's, or another version's: start the round over
            for i, variable in enumerate(variables):
                variable.assign(saved[f"variable_{i}"])
            curves = {name[len("curve_"):]: saved[name].tolist() for name in saved.files if name.startswith("curve_")}
            return int(saved["iteration"]), curves, float(saved["seconds"])

    def save(self, learner, iteration: int, curves: dict, seconds: float) -> None:
        arrays = {f"variable_{i}": np.asarray(v.numpy()) for i, v in enumerate(_variables(learner))}
        arrays.update({f"curve_{name}": np.asarray(values, dtype=np.float64) for name, values in curves.items()})
        buffer = io.BytesIO()
        np.savez(buffer, key=np.str_(self.key), iteration=iteration, seconds=seconds, **arrays)
        os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)  # studies play rounds outside a run
        atomic.write_bytes(self.path, buffer.getvalue())

    def discard(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)

    def keeper(self, tracker, seconds_before: float) -> keras.callbacks.Callback:
        """A callback saving the state every tenth of the round; list it after `tracker` (the
        round's IterationProgress), whose curve it saves."""
        return _Keeper(self, tracker, seconds_before)


class _Keeper(keras.callbacks.Callback):
    def __init__(self, state: RoundState, tracker, seconds_before: float):
        super().__init__()
        self.state, self.tracker, self.seconds_before = state, tracker, seconds_before
        self.period = max(1, tracker.total // SAVES_PER_ROUND)
        self._start = 0.0

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        done = self.tracker.start + batch + 1
        if done % self.period == 0 and done < self.tracker.total:
            self.state.save(self.model, done, self.tracker.curves,
                            self.seconds_before + time.perf_counter() - self._start)
