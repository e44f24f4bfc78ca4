"""A round's training: what `fit()` is given to drive a fresh learner's `train_step` for one round.

  data.py         what a round trains on (RoundData) and what it gives back (RoundResult)
  epochs.py       a classifier: --epochs passes over the labelled set (its recipe's callbacks)
  game.py         the VAAL family: the learners it trains first, then the VAE/D game over the
                  official iteration budget, with samples held out of D's training
  streams.py      the tf.data input: labelled batches, endless labelled and unlabelled streams
  budget.py       the game's iteration budget, the held-out draw and D's ROC AUC on it
  round_state.py  the game kept on disk as it goes, so that a killed run resumes inside its round
  progress.py     progress lines and loss curves of a long phase

The learners (`m2vaal_tf.models`) are models only: their steps, their losses, what they score. This
package holds what a round does with them, so that the round loop (`round_steps.py`) asks for one
`train(...)` and gets a `RoundResult` back.
"""
from typing import Optional, TextIO

from m2vaal_tf.models import LearnerSettings
from m2vaal_tf.models.adversarial import AdversarialLearner
from m2vaal_tf.rounds import epochs, game
from m2vaal_tf.rounds.data import RoundData, RoundResult

__all__ = ["RoundData", "RoundResult", "train"]


def train(learner, data: RoundData, settings, seed: int, state_dir: Optional[str] = None,
          progress: Optional[TextIO] = None, progress_bars: bool = False) -> RoundResult:
    """Trains the fresh `learner` on one round's data. `settings`: its `LearnerSettings` (or an
    ExperimentConfig); `state_dir`: where a long round keeps its state to resume (None: nowhere);
    `progress`: a text stream for progress lines on long phases (None: silence); `progress_bars`:
    Keras' bar for every epoch of a classifier."""
    settings = LearnerSettings.of(settings)
    if isinstance(learner, AdversarialLearner):
        return game.train(learner, data, settings, seed, state_dir, progress, progress_bars)
    return RoundResult(epochs.train(learner, data, settings, seed, progress_bars), {})
