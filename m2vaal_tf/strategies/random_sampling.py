"""Random sampling: the baseline every strategy must beat. Draws from the round's seeded generator."""
from m2vaal_tf.strategies import base


@base.register
class RandomSampling(base.Strategy):
    name = "random"

    def choose(self, outputs, budget):
        return outputs.rng.choice(len(outputs.unlabeled), size=budget, replace=False)
