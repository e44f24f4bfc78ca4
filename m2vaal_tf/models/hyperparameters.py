"""What a learner is built and trained with: the settings of the models, apart from those of the run
(where it logs, how it is distributed, whether it resumes), which the round loop keeps.

Learners get a `LearnerSettings`, never the whole `ExperimentConfig`, so that a model family can be
built from a handful of values (tests, benchmarks, a user's own loop) and so that what the models
read is listed in one place. `of` takes the values by name from any object that has them, so the
config's fields stay the only declaration of their defaults, help and checks.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class LearnerSettings:
    # the task network
    model_size: str
    model: str
    model_features_layer: str
    # how a classifier trains (every strategy's, and the task learner of VAAL and TA-VAAL)
    task_recipe: str
    learning_rate: float
    epochs: int
    batch_size: int
    # the VAAL family's game
    vae_epochs: int
    vae_batch_size: int
    vae_steps: int
    disc_steps: int
    vae_loss: str
    beta: float
    adversary_weight: float
    discriminator_holdout: float
    # M2-VAAL's joint model
    adversarial: bool
    classifier_gets_vae_grad: bool
    m2_objective: str
    gumbel_temperature: float
    joint_checkpoints: int
    joint_keep_best: bool
    # how it computes
    precision: str
    jit_compile: bool
    scoring_batch_size: int
    seed: int

    @classmethod
    def of(cls, source) -> "LearnerSettings":
        """The learner's settings, taken by name from `source` (an ExperimentConfig, or settings); a
        config first resolves the settings it leaves to its strategy (`ExperimentConfig.resolved`)."""
        if isinstance(source, cls):
            return source
        if hasattr(source, "resolved"):
            source = source.resolved()
        return cls(**{field.name: getattr(source, field.name) for field in dataclasses.fields(cls)})
