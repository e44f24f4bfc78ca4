"""What an oracle answers, in a module of its own: the oracles (oracle.py, label_studio/) and the
loop that records their answers share it, and none of them imports another for it."""
import dataclasses
from typing import Tuple

import numpy as np


@dataclasses.dataclass(frozen=True)
class Answers:
    """An oracle's labels for a query, in the query's order, and who gave each and when (a dict per
    label) where the oracle knows it."""
    labels: np.ndarray
    annotations: Tuple[dict, ...] = ()
