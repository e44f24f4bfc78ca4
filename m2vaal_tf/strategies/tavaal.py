"""TA-VAAL (Kim et al. 2020): VAAL with the loss-prediction score r joined to the code."""
from m2vaal_tf.strategies import base, discriminator


@base.register
class TAVAAL(discriminator.DiscriminatorStrategy):
    name = model_family = "tavaal"
