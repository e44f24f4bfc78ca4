"""VAAL (Sinha et al. 2019): task-agnostic VAE + discriminator on μ; query what D deems unlabelled."""
from m2vaal_tf.strategies import base, discriminator


@base.register
class VAAL(discriminator.DiscriminatorStrategy):
    name = model_family = "vaal"
