"""Model families: the learner a round trains. One registry (`build`, `families`); a strategy names
the family it needs (`Strategy.model_family`); each learner builds itself and its optimisers from
its `LearnerSettings` (`Learner.for_round`). See `base.py` for the interface and its capabilities;
`m2vaal_tf.rounds` trains them."""
from m2vaal_tf.models import classifier, m2vaal, tavaal, vaal  # noqa: F401 (importing registers them)
from m2vaal_tf.models.base import DISCRIMINATE, RECONSTRUCT, Learner, build, families
from m2vaal_tf.models.hyperparameters import LearnerSettings

__all__ = ["DISCRIMINATE", "RECONSTRUCT", "Learner", "LearnerSettings", "build", "families"]
