"""Selection by the adversarial discriminator (VAAL, TA-VAAL, M2-VAAL): query the b unlabelled
samples that D is most sure are unlabelled, i.e. the lowest D(μ ⊕ side) probability of "labelled"."""
from m2vaal_tf.strategies import base


class DiscriminatorStrategy(base.ScoredStrategy):
    def scores(self, context):
        return -context.learner.labeled_probability(context.pool_images[context.unlabeled],
                                                    context.scoring_batch_size)
