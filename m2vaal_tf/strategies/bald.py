"""BALD with Monte-Carlo dropout (Gal et al. 2017): the mutual information between the prediction
and the weights, H[mean_t p_t] - mean_t H[p_t] over `mc_samples` dropout passes; highest first."""
from m2vaal_tf.strategies import base, uncertainty


def mutual_information(sampled_probabilities):
    """[samples, N, classes] -> [N]: entropy of the mean minus the mean entropy."""
    mean_entropy = sum(uncertainty.entropy(p) for p in sampled_probabilities) / len(sampled_probabilities)
    return uncertainty.entropy(sampled_probabilities.mean(axis=0)) - mean_entropy


@base.register
class BALD(base.ScoredStrategy):
    name = "bald"

    def __init__(self, mc_samples: int):
        self.mc_samples = mc_samples

    @classmethod
    def from_config(cls, config):
        return cls(mc_samples=config.mc_samples)

    def scores(self, outputs):
        return mutual_information(outputs.sampled(self.mc_samples))
