"""Core-set (Sener & Savarese 2018): k-center greedy on the classifier's penultimate features.
Each pick is the unlabelled point farthest from its nearest labelled (or already picked) point."""
from m2vaal_tf.strategies import base, greedy


@base.register
class Coreset(base.Strategy):
    name = "coreset"

    def choose(self, outputs, budget):
        return greedy.farthest_first(outputs.embeddings, outputs.labeled_embeddings, budget, reduce="min")
