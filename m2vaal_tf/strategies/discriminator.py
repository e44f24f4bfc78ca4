"""Selection by the adversarial discriminator: query the b unlabelled samples that D is most sure
are unlabelled, i.e. the lowest D(μ ⊕ side) probability of "labelled". One strategy per learner of
the VAAL family (models/vaal.py, tavaal.py, m2vaal.py), each training its own D."""
from m2vaal_tf.strategies import base


def served_probability(learner) -> base.ServedScore:
    """D's probability of "not labelled yet" (1 - its probability of "labelled") as an exported
    model's score; higher = ask first."""
    return base.ServedScore(lambda images: 1.0 - learner.discriminator_probability(images)[:, 0],
                            "the discriminator's probability that the image is not labelled yet; higher = ask first")


class DiscriminatorStrategy(base.ScoredStrategy):
    reads_discriminator = True

    def scores(self, outputs):
        return -outputs.discriminator_probability

    def serving_score(self, learner):
        return served_probability(learner)


@base.register
class VAAL(DiscriminatorStrategy):
    """VAAL (Sinha et al. 2019): task-agnostic β-VAE, D on μ, the official loss."""
    name = model_family = "vaal"


@base.register
class VAALElbo(DiscriminatorStrategy):
    """VAAL with the per-pixel Bernoulli ELBO, whose latent code does not collapse (models/vaal.py)."""
    name = model_family = "vaal_elbo"


@base.register
class TAVAAL(DiscriminatorStrategy):
    """TA-VAAL (Kim et al. 2020): VAAL with the loss-prediction score r joined to the code."""
    name = model_family = "tavaal"


@base.register
class M2VAAL(DiscriminatorStrategy):
    """M2-VAAL with the adversarial loss (eq. 8, or eq. 9 under --noadversarial): D on [μ, y']."""
    name = model_family = "m2vaal"


@base.register
class M2VAALNoAdversarial(DiscriminatorStrategy):
    """M2-VAAL without the adversarial loss (eq. 9); D is still trained and selects."""
    name = model_family = "m2vaal_noadv"
