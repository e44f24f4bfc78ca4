"""M2-VAAL with the adversarial loss (eq. 8): D on [μ, y']; query what D deems unlabelled."""
from m2vaal_tf.strategies import base, discriminator


@base.register
class M2VAAL(discriminator.DiscriminatorStrategy):
    name = model_family = "m2vaal"
