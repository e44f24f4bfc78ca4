"""The experiment's settings as one frozen value, checked before anything is written.

Importing it loads no TensorFlow (strategies, sizes and uncertainty measures are numpy-only), so a
bad flag is reported at once.

`flags.py` builds it from absl flags; Python users construct it directly. Checks that need the
data (class range, pool size) live in `check_against_data`, called once the data set is loaded.
"""
import dataclasses
import os
from typing import Optional, Tuple

from m2vaal_tf import strategies
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.oracle import ORACLES
from m2vaal_tf.sizes import PRESETS
from m2vaal_tf.strategies.uncertainty import WEIGHTS

DISTRIBUTE_CHOICES = ("auto", "default", "mirrored", "multi_worker")

# Settings that fix which samples a run labels. A run resumed with any of them changed would
# silently mix two experiments, so `ActivePool.load` refuses it.
POOL_DEFINING_SETTINGS = (
    "dataset", "strategy", "initial_labeled", "initial_classes", "budget", "pool_subsample",
    "validation_size", "seed", "uncertainty",
)


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    dataset: str = "fashion_mnist"
    data_dir: Optional[str] = None
    strategy: str = "entropy"
    initial_labeled: int = 1000
    initial_classes: Tuple[int, ...] = ()
    budget: int = 1000
    max_labeled: int = 8000
    max_rounds: int = 0
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 1e-3
    pool_subsample: int = 0
    validation_size: int = 5000
    scoring_batch_size: int = 2048
    model_size: str = "small"
    beta: float = 1.0
    adversary_weight: float = 1.0
    vae_steps: int = 0
    disc_steps: int = 1
    adversarial: bool = True
    classifier_gets_vae_grad: bool = True
    distribute: str = "auto"
    jit_compile: bool = False
    uncertainty: str = "least_confidence"
    mc_samples: int = 20
    seed: int = 0
    oracle: str = "simulated"
    image_size: int = 28
    export: bool = False
    projector_every: int = 1
    projector_samples: int = 5000
    logdir: str = "logs"
    run_name: str = ""
    protocol: str = ""
    resume: bool = False
    progress: bool = False

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        """Checks that need no data; raises ConfigError naming the flag."""
        if self.strategy not in strategies.names():
            raise ConfigError(
                f"--strategy={self.strategy!r} is not a known strategy; choose one of: "
                f"{', '.join(strategies.names())}")
        positive = ("initial_labeled", "budget", "max_labeled", "epochs", "batch_size", "scoring_batch_size")
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name}={getattr(self, name)} must be at least 1")
        for name in ("max_rounds", "pool_subsample", "validation_size", "projector_every", "projector_samples"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name}={getattr(self, name)} must be 0 or more")
        if self.model_size not in PRESETS:
            raise ConfigError(f"--model_size={self.model_size!r} is not one of: {', '.join(PRESETS)}")
        if self.distribute not in DISTRIBUTE_CHOICES:
            raise ConfigError(f"--distribute={self.distribute!r} is not one of: {', '.join(DISTRIBUTE_CHOICES)}")
        if self.uncertainty not in WEIGHTS:
            raise ConfigError(f"--uncertainty={self.uncertainty!r} is not one of: {', '.join(WEIGHTS)}")
        if self.oracle not in ORACLES:
            raise ConfigError(f"--oracle={self.oracle!r} is not one of: {', '.join(ORACLES)}")
        if self.oracle == "files" and self.distribute == "multi_worker":
            raise ConfigError("--oracle=files needs one process to ask and wait; it does not run with "
                              "--distribute=multi_worker")
        if self.image_size < 8:
            raise ConfigError(f"--image_size={self.image_size} must be at least 8")
        if self.mc_samples < 2:
            raise ConfigError(f"--mc_samples={self.mc_samples} must be at least 2")
        for name in ("beta", "adversary_weight"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name}={getattr(self, name)} must be 0 or more")
        if self.vae_steps < 0 or self.disc_steps < 1:
            raise ConfigError(f"--vae_steps={self.vae_steps} must be 0 (the model's default) or more and "
                              f"--disc_steps={self.disc_steps} at least 1")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning_rate={self.learning_rate} must be positive")
        if self.max_labeled < self.initial_labeled and not self.dataset.startswith("folder:"):
            raise ConfigError(  # A folder data set's initial set is its labelled images: checked with the data.
                f"--max_labeled={self.max_labeled} is below --initial_labeled={self.initial_labeled}")
        if len(set(self.initial_classes)) != len(self.initial_classes):
            raise ConfigError(f"--initial_classes={_join(self.initial_classes)} lists a class twice")
        if any(c < 0 for c in self.initial_classes):
            raise ConfigError(f"--initial_classes={_join(self.initial_classes)} has a negative class")
        if self.run_name and (os.sep in self.run_name or self.run_name in (".", "..")):
            raise ConfigError(f"--run_name={self.run_name!r} must be a plain directory name")

    def check_against_data(self, num_classes: int, pool_size: int) -> None:
        """Checks that need the loaded data set's class count and pool size."""
        if self.max_labeled < self.initial_labeled:
            raise ConfigError(f"--max_labeled={self.max_labeled} is below the {self.initial_labeled} initially "
                              "labelled samples")
        out_of_range = [c for c in self.initial_classes if c >= num_classes]
        if out_of_range:
            raise ConfigError(
                f"--initial_classes={_join(self.initial_classes)} names class {out_of_range[0]}, but the "
                f"data set has classes 0..{num_classes - 1}")
        if self.initial_labeled >= pool_size:
            raise ConfigError(
                f"--initial_labeled={self.initial_labeled} leaves no unlabelled samples in a pool of {pool_size}")
        if self.pool_subsample > pool_size - self.initial_labeled:
            raise ConfigError(
                f"--pool_subsample={self.pool_subsample} exceeds the {pool_size - self.initial_labeled} "
                f"unlabelled samples of the pool")
        candidates = self.pool_subsample or pool_size - self.initial_labeled
        if self.budget > candidates:
            raise ConfigError(
                f"--budget={self.budget} is larger than the unlabelled pool ({candidates} samples)")
        if self.max_labeled > self.initial_labeled + candidates:
            raise ConfigError(
                f"--max_labeled={self.max_labeled} exceeds the {self.initial_labeled + candidates} samples "
                f"that the labelled set plus the unlabelled pool hold")

    @property
    def resolved_run_name(self) -> str:
        """`--run_name`, or one derived from protocol, strategy and seed."""
        if self.run_name:
            return self.run_name
        protocol = self.protocol or (
            f"{self.dataset.replace(':', '-').replace('/', '-')}-{self.initial_labeled}+{self.budget}")
        return f"{protocol}_{self.strategy}_seed{self.seed}"

    @property
    def run_dir(self) -> str:
        return os.path.join(self.logdir, self.resolved_run_name)

    def pool_settings(self) -> dict:
        """The settings stored with the pool and compared on resume."""
        return {name: _jsonable(getattr(self, name)) for name in POOL_DEFINING_SETTINGS}


def _join(values) -> str:
    return ",".join(str(v) for v in values)


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value
