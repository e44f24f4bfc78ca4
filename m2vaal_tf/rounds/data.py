"""What a round trains on, and what it gives back."""
import dataclasses
from typing import Dict, List

import numpy as np


@dataclasses.dataclass(frozen=True)
class RoundData:
    """What a round trains on: the labelled set with the oracle's labels, the round's unlabelled
    candidates, and the validation set (for recipes that keep their best epoch or checkpoint)."""
    labeled_images: np.ndarray
    labels: np.ndarray
    unlabeled_images: np.ndarray
    validation_images: np.ndarray
    validation_labels: np.ndarray


@dataclasses.dataclass
class RoundResult:
    """The round's loss curves ({loss: [values]}), its metrics ({name: value}), and the seconds its
    training took before a kill when it was resumed inside the round (the loop adds them to its time)."""
    history: Dict[str, List[float]]
    metrics: Dict[str, float]
    seconds_before_resume: float = 0.0
