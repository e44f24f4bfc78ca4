"""Selection by the adversarial discriminator (VAAL, TA-VAAL, M2-VAAL): query the b unlabelled
samples that D is most sure are unlabelled, i.e. the lowest D(μ ⊕ side) probability of "labelled"."""
from m2vaal_tf.strategies import base


def served_probability(learner) -> base.ServedScore:
    """D's probability of "labelled" as an exported model's score; lower = ask first."""
    return base.ServedScore(lambda images: learner.discriminator_probability(images)[:, 0],
                            "the discriminator's probability that the image is already labelled; lower = ask first")


class DiscriminatorStrategy(base.ScoredStrategy):
    reads_discriminator = True

    def scores(self, outputs):
        return -outputs.discriminator_probability

    def serving_score(self, learner):
        return served_probability(learner)
