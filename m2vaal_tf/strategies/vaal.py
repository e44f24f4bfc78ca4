"""VAAL (Sinha et al. 2019): task-agnostic VAE + discriminator on μ; query what D deems unlabelled.
The official loss (`vaal`) and one whose latent code does not collapse (`vaal_meankl`)."""
from m2vaal_tf.strategies import base, discriminator


@base.register
class VAAL(discriminator.DiscriminatorStrategy):
    name = model_family = "vaal"


@base.register
class VAALMeanKL(discriminator.DiscriminatorStrategy):
    """VAAL with the KL averaged per sample and latent dimension, so that μ does not collapse and D's
    score carries information (models/vaal.py, VAALMeanKL)."""
    name = model_family = "vaal_meankl"
