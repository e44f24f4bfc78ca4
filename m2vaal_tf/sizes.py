"""Network size presets, apart from the network code so that flag checking needs no TensorFlow."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class NetworkSize:
    conv_filters: tuple = (32, 64)
    hidden_units: int = 256
    latent_dim: int = 32
    discriminator_units: int = 512
    ranker_units: int = 128


# "small" follows the seed's description; "large" (about 3.3M classifier parameters on 28x28) is
# the bigger model of the seed's 50-label protocol C.
PRESETS = {
    "small": NetworkSize(),
    "large": NetworkSize(conv_filters=(64, 128), hidden_units=512),
}
