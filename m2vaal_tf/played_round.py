"""One round of the loop as its steps fill it in (`experiment.py`), and the seeds it draws from."""
import contextlib
import dataclasses
import time
from typing import Dict, Optional

import numpy as np

NOTHING = np.zeros(0, np.int64)
_CANDIDATE_STREAM = 0xCA4D


def round_seed(seed: int, round_index: int) -> int:
    """A well-mixed 31-bit seed for one round, so rounds and runs draw independent streams."""
    return int(np.random.SeedSequence([seed, round_index]).generate_state(1)[0] % (2**31 - 1))


@dataclasses.dataclass
class PlayedRound:
    """One round as its steps fill it in: trained learner, metrics, the chosen batch, timings."""
    index: int
    seed: int
    labeled: np.ndarray
    labels: np.ndarray
    unlabeled: np.ndarray
    final: bool
    learner: Optional[object] = None  # a models.Learner
    history: Dict[str, list] = dataclasses.field(default_factory=dict)
    metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
    seconds: Dict[str, float] = dataclasses.field(default_factory=dict)
    selected: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)
    predicted: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)
    stop_predictions: np.ndarray = dataclasses.field(default_factory=lambda: NOTHING)
    confidence: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))  # of `predicted`
    evaluated: bool = False  # its metrics measured (evaluate_round ran)

    @classmethod
    def begin(cls, index: int, config, labeled, labels, unlabeled) -> "PlayedRound":
        """The round's seed, labelled set, and candidates: every unlabelled candidate of the pool,
        or a fresh random --candidates_per_round of them (TA-VAAL's SUBSET), from the round's seed."""
        seed = round_seed(config.seed, index)
        if 0 < config.candidates_per_round < len(unlabeled):
            unlabeled = np.sort(np.random.default_rng([seed, _CANDIDATE_STREAM]).choice(
                unlabeled, size=config.candidates_per_round, replace=False))
        final = (len(labeled) >= config.max_labeled or len(unlabeled) == 0
                 or bool(config.max_rounds and index + 1 >= config.max_rounds))
        return cls(index=index, seed=seed, labeled=labeled, labels=labels, unlabeled=unlabeled, final=final)

    @contextlib.contextmanager
    def timed(self, phase: str):
        start = time.perf_counter()
        yield
        self.seconds[phase] = time.perf_counter() - start
