"""M2-VAAL without the adversarial loss (eq. 9); D is still trained and selects."""
from m2vaal_tf.strategies import base, discriminator


@base.register
class M2VAALNoAdversarial(discriminator.DiscriminatorStrategy):
    name = model_family = "m2vaal_noadv"
