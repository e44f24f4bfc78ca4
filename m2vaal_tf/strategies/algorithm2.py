"""The seed's Algorithm 2, uncertainty-weighted diversity in the M2-VAAL latent space [μ, y'].

No class quota: every unlabelled point's total distance to the labelled set, rescaled to [0, 1]
over the pool, is multiplied by its prediction uncertainty (`--uncertainty`, rescaled to [0, 1]);
the best point is picked and joins the anchor set, greedily until the budget is spent."""
from m2vaal_tf.strategies import base, greedy, uncertainty


@base.register
class Algorithm2(base.Strategy):
    name = "algorithm2"
    model_family = "m2vaal"
    adversarial_by_default = False  # eq. 9 and no D: the selection reads only the latent space

    def __init__(self, uncertainty_measure: str):
        self.uncertainty_measure = uncertainty_measure

    @classmethod
    def from_config(cls, config):
        return cls(uncertainty_measure=config.uncertainty)

    def choose(self, outputs, budget):
        weights = uncertainty.weight(self.uncertainty_measure, outputs.probabilities)
        return greedy.farthest_first(outputs.embeddings, outputs.labeled_embeddings, budget, reduce="sum",
                                     weights=weights, normalise=True)
