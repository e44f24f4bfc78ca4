"""The active-learning loop as steps that a person in a notebook, or the command line, drives:
`fit` -> `evaluate` -> `query` -> `teach`, round after round; `run` plays them with `--oracle`.

The state is the command line's: pool.json is saved atomically when a round's query is chosen (as
pending) and again when its labels are in, before anything else is logged; TensorBoard logs,
results.csv, flags.txt and exports are the same files. A run started here therefore resumes with
`python train.py --flagfile=<run>/flags.txt --resume`, and a command-line run resumes here. With
every round seeded from (seed, round), a run killed at any moment reaches the same labelled set as
an uninterrupted one. `experiment.prepare` builds the loop; `experiment.open_loop` builds it from
arrays, a `tf.data.Dataset` or a data-set spec.
"""
import dataclasses
import os
import shutil
import tempfile
from typing import Callable, Dict, Optional, TextIO, Tuple

import numpy as np
import tensorflow as tf

from m2vaal_tf import atomic, distribute, oracle, stopping, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.data import Dataset
from m2vaal_tf.errors import DataError
from m2vaal_tf.played_round import NOTHING, PlayedRound
from m2vaal_tf.pool import ActivePool
from m2vaal_tf.reporting.summaries import RunSummaries
from m2vaal_tf.round_steps import RoundSteps
from m2vaal_tf.settings import FLAGFILE, flagfile_text


@dataclasses.dataclass(frozen=True)
class Query:
    """A round's batch to label, in the strategy's order: `teach(query.indices, labels)` answers it."""
    round: int
    indices: np.ndarray      # pool indices: rows of `loop.dataset.pool_images`
    images: np.ndarray       # uint8 [b, H, W, C]
    predicted: np.ndarray    # the round model's guess of each class
    sources: Tuple[str, ...]  # where each image came from (its file, or x_train[row]), "" where unknown


class ActiveLearningLoop(RoundSteps):
    def __init__(self, config: ExperimentConfig, dataset: Dataset, pool: ActivePool):
        super().__init__(config, dataset, pool, distribute.make_strategy(config.distribute),
                         config.run_dir if distribute.is_chief(config.distribute)
                         else tempfile.mkdtemp(prefix="m2vaal_tf-worker-"))
        self.strategy = strategies.create(config)
        self.oracle = oracle.make(config, dataset, os.path.join(self.run_dir, "queries"))
        self.stop_rule = stopping.StopRule(config, pool.candidates)
        self.out: Callable[[str], None] = print
        self.progress: Optional[TextIO] = None
        self.round_saved: Callable[[], None] = lambda: None  # runs whenever labels are in pool.json
        self._played: Optional[PlayedRound] = None
        self._summaries: Optional[RunSummaries] = None

    # -- the pool as it stands -------------------------------------------------------------

    @property
    def labeled_indices(self) -> np.ndarray:
        return self.pool.labeled_indices

    @property
    def labels(self) -> np.ndarray:
        return self.pool.labels

    @property
    def unlabeled_indices(self) -> np.ndarray:
        return self.pool.unlabeled_indices

    @property
    def complete(self) -> bool:
        """Whether a round has ended without a query (the budget, --max_rounds or the stop rule)."""
        return self.pool.complete

    @property
    def learner(self):
        """The current round's trained models (a `models.Learner`, a keras.Model), once `fit` ran."""
        return self._played.learner if self._played else None

    # -- the steps ---------------------------------------------------------------------------

    def fit(self) -> Dict[str, list]:
        """Trains the round's models from scratch on the labelled set; returns the loss history."""
        self._waiting_for_no_labels("fit")
        self.start()
        self._played = self.begin_round()
        self.train(self._played, self.strategy, self.out, self.progress)
        return self._played.history

    def evaluate(self) -> Dict[str, float]:
        """The round's metrics: test and validation accuracy, the last losses, and the stop rule's
        agreement (fitting first if this round has not)."""
        if self._played is None:
            self.fit()
        if not self._played.evaluated:
            self.evaluate_round(self._played, self.stop_rule)
        return dict(self._played.metrics)

    def query(self) -> Query:
        """The batch to label: a pending one as it was saved, or the next round's (evaluating and
        fitting first where this round has not). It is saved in pool.json before it is returned. A
        final round (budget reached or stop rule) is recorded at once and returns an empty batch."""
        if self.pool.pending:
            return self._query_of(self.pool.pending)
        self.evaluate()
        played, self._played = self._played, None
        stop = self.stop_rule.verdict([r.metrics for r in self.pool.rounds] + [played.metrics], len(played.labeled))
        if stop and not played.final:
            played.final = True
            self.out(stop)
        if not played.final:
            self.select(played, self.strategy)
        pending = self.keep_query(played, self.strategy.name, self.out)
        self._summaries.played_round(played, self.dataset, self.config)
        self.export(played, self.strategy, self.out)
        if not len(played.selected):
            self._record(NOTHING)
        return self._query_of(pending)

    def teach(self, indices, labels) -> None:
        """Records the labels of the pending query (indices in any order, every one of them once)."""
        query = self.pool.pending
        if query is None:
            raise DataError("teach(): no query waits for labels; query() first")
        indices, labels = np.asarray(indices, np.int64).ravel(), np.asarray(labels).ravel()
        asked = [int(i) for i in query.selected]
        if len(indices) != len(labels) or sorted(indices.tolist()) != sorted(asked):
            raise DataError(f"teach(): round {query.round} asked for pool indices {asked[:5]}... ({len(asked)}); "
                            f"give each of them one label (got {len(indices)} indices, {len(labels)} labels)")
        if labels.dtype.kind not in "iu" or np.any((labels < 0) | (labels >= self.dataset.num_classes)):
            raise DataError(f"teach(): labels are class indices 0-{self.dataset.num_classes - 1}; got {labels[:5]}")
        label_of = dict(zip(indices.tolist(), labels.tolist()))
        self._record(np.array([label_of[i] for i in asked], np.int64))

    def run(self, out: Callable[[str], None] = print, progress: Optional[TextIO] = None,
            round_saved: Callable[[], None] = lambda: None) -> ActivePool:
        """Plays rounds with the oracle until the labelling budget or `max_rounds` is reached, or until
        the oracle answers later; returns the pool. `progress` (e.g. sys.stdout) shows long training
        phases; `round_saved` runs whenever a round's labels are in pool.json (compare copies it then)."""
        self.out, self.progress, self.round_saved = out, progress, round_saved
        if self.pool.complete:
            out(f"{self.run_dir}: the run is already complete ({len(self.pool.rounds)} rounds); nothing to do")
            return self.pool
        self.start()
        try:
            if self.pool.pending and self.oracle.was_asked(self.pool.pending):
                answers = self.oracle.collect(self.pool.pending, out)  # raises, changing nothing, when wrong
                if answers is None:  # not all given yet, and the oracle does not wait
                    out(self.oracle.instructions(self.pool.pending, _resume_command(self.config)))
                    return self.pool
                out(f"{self.run_dir}: resuming at round {self.pool.pending.round} with the {len(answers.labels)} "
                    "labels of its query")
                self._record(answers.labels, answers.annotations)
            elif self.pool.rounds:
                out(f"{self.run_dir}: resuming at round {self.pool.next_round} "
                    f"with {len(self.pool.labeled_indices)} labelled samples")
            while not self.pool.complete:
                asked = self.query()
                if not len(asked.indices):
                    break
                answers = self.oracle.ask(self.pool.pending, out)
                if answers is None:
                    if len(self.stop_rule.stop_set):
                        out(self.stop_rule.explain(self.pool.pending.metrics.get("stop_kappa")))
                    out(self.oracle.instructions(self.pool.pending, _resume_command(self.config)))
                    return self.pool
                self._record(answers.labels, answers.annotations)
        finally:
            self.close()
        out(f"Done: {os.path.join(self.config.run_dir, 'results.csv')}; "
            f"TensorBoard: tensorboard --logdir {self.config.logdir}")
        return self.pool

    def play_unrecorded(self, out: Callable[[str], None] = print) -> PlayedRound:
        """The next round's training, evaluation and query, without saving, logging or asking anybody:
        for studies that compare what a round would query (scripts/budget_study.py)."""
        played = self.begin_round()
        self.train(played, self.strategy, out, self.progress)
        self.evaluate_round(played, self.stop_rule)
        if not played.final:
            self.select(played, self.strategy)
        return played

    def close(self) -> None:
        """Flushes the TensorBoard logs (a non-chief worker's scratch copy is removed)."""
        if self._summaries is not None:
            self._summaries.close()
            self._summaries = None
        if self.run_dir != self.config.run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> "ActiveLearningLoop":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def start(self) -> None:
        """The run directory, flags.txt, the initial pool and the TensorBoard writers; every step
        starts them on first use."""
        if self._summaries is not None:
            return
        os.makedirs(self.run_dir, exist_ok=True)
        atomic.write_text(os.path.join(self.run_dir, FLAGFILE), flagfile_text(self.config))
        if not os.path.exists(self.pool_path):
            self.pool.save(self.pool_path)  # The initial labels are kept before any training.
        tf.config.experimental.enable_op_determinism()
        self._summaries = RunSummaries(self.run_dir, self.dataset.class_names)
        self._summaries.hparams(self.config.hparams(), trial_id=self.config.resolved_run_name)

    def _waiting_for_no_labels(self, step: str) -> None:
        if self.pool.pending:
            raise DataError(f"{step}(): round {self.pool.pending.round}'s query waits for its labels; teach() them "
                            "first (query() returns it again)")
        if self.pool.complete:
            raise DataError(f"{step}(): the run is complete ({len(self.pool.rounds)} rounds)")

    def _record(self, labels, annotations=()) -> None:
        self.start()
        self.record_answer(labels, self._summaries, self.out, annotations)
        self.round_saved()

    def _query_of(self, pending) -> Query:
        indices = np.asarray(pending.selected, np.int64)
        sources = self.dataset.pool_sources
        return Query(round=pending.round, indices=indices, images=self.dataset.pool_images[indices],
                     predicted=np.asarray(pending.predicted, np.int64),
                     sources=tuple(sources[i] if sources else "" for i in indices))


def _resume_command(config: ExperimentConfig) -> str:
    return f"python train.py --flagfile={os.path.join(config.run_dir, FLAGFILE)} --resume"
