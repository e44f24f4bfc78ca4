"""Model families: the learner a round trains. One registry (`build`, `families`); a strategy names
the family it needs (`Strategy.model_family`); each learner builds itself and its optimisers from
the config (`Learner.for_round`). See `base.py` for the interface and its capabilities."""
from m2vaal_tf.models import classifier, m2vaal, tavaal, vaal  # noqa: F401 (importing registers them)
from m2vaal_tf.models.base import DISCRIMINATE, RECONSTRUCT, Learner, RoundData, build, families
from m2vaal_tf.models.round_state import SECONDS_BEFORE_RESUME

__all__ = ["DISCRIMINATE", "RECONSTRUCT", "SECONDS_BEFORE_RESUME", "Learner", "RoundData", "build", "families"]
