"""Oracles answer label queries. The simulated oracle answers from the ground truth, as in the
benchmarks; the pool records whatever an oracle answers, so a learner never reads ground truth."""
import numpy as np


class SimulatedOracle:
    def __init__(self, ground_truth: np.ndarray):
        self._ground_truth = ground_truth

    def label(self, indices: np.ndarray) -> np.ndarray:
        return self._ground_truth[np.asarray(indices, dtype=np.int64)]
