"""The experiment's settings as one frozen value, checked before anything is written.

Each setting is declared once, as a field of `ExperimentConfig` made by `settings.setting(...)`: its
default, its help text, its choices and bounds, and its roles (written to flags.txt, defining the pool,
shown as an HParam). `flags.py` builds the command line from these fields, the pool check, flags.txt
and the HParams table read the same roles, and `check()` applies the choices and bounds, so adding a
setting is adding a field.

Importing it loads no TensorFlow (strategies, sizes and uncertainty measures are numpy-only), so a
bad flag is reported at once. Checks that need the data (class range, pool size) live in
`config_against_data.py`, called once the data set is loaded.
"""
import dataclasses
import os
import re
from typing import Optional, Tuple

from m2vaal_tf import joint_defaults, label_studio, strategies, vae_forms
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.settings import check_declared, fields_with_role, setting
from m2vaal_tf.sizes import PRESETS
from m2vaal_tf.strategies.uncertainty import WEIGHTS

DISTRIBUTE_CHOICES = ("auto", "default", "mirrored", "multi_worker")
VAE_LOSSES = ("auto", *vae_forms.FORMS)  # auto: the family's own
TASK_RECIPES = ("plain", "vaal")
PRECISIONS = ("auto", "float32", "mixed_bfloat16")  # models/precision.py resolves auto
ORACLES = ("simulated", "files", "label_studio")  # oracle.make builds each
SEED_SET_DATA = ("folder:", "csv:", "npz:")  # data that may bring a labelled seed set: their initial set
M2_OBJECTIVES = ("auto", "soft", "kingma")  # models/m2vaal.py; joint_defaults.py resolves auto

@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    dataset: str = setting(
        "fashion_mnist", "Data set: fashion_mnist, idx:DIR (four MNIST-style IDX files), tfds:NAME (a TFDS "
        "image classification data set), folder:DIR (your images), csv:FILE (image paths and labels) or npz:PATH "
        "(your arrays); see docs/DATA.md.", defines_pool=True)
    data_dir: Optional[str] = setting(
        None, "Directory holding the data set's files (Fashion-MNIST IDX files, or the TFDS data directory). "
        "Default: /usr/share/datasets/fashion-mnist, then the Keras cache.", hparam=False)
    strategy: str = setting("entropy", "Acquisition strategy (see README for the list).",
                            choices=strategies.names, defines_pool=True)
    initial_labeled: int = setting(1000, "Size of the initial labelled set, drawn at random.", minimum=1,
                                   defines_pool=True)
    initial_classes: Tuple[int, ...] = setting(
        (), "Draw the initial labelled set only from these classes, e.g. 2,4,7.", defines_pool=True)
    budget: int = setting(1000, "Samples queried per round.", minimum=1, defines_pool=True)
    max_labeled: int = setting(8000, "Stop once this many samples are labelled.", minimum=1)
    max_rounds: int = setting(0, "Stop after this many rounds (0 = until --max_labeled).", minimum=0)
    epochs: int = setting(20, "Task learner: passes over the labelled set per round, the same for every strategy "
                          "(models are retrained from scratch every round).", minimum=1)
    batch_size: int = setting(64, "Task learner: global batch size.", minimum=1)
    learning_rate: float = setting(1e-3, "Learning rate of the task learner (Adam).")
    pool_subsample: int = setting(0, "Restrict the unlabelled pool to a random subset of this size (0 = the "
                                  "whole pool); for quick runs.", minimum=0, defines_pool=True)
    validation_size: int = setting(5000, "Training images held out as the validation set.", minimum=0,
                                   defines_pool=True)
    scoring_batch_size: int = setting(2048, "Batch size for scoring the pool and evaluating.", minimum=1,
                                      hparam=False)
    model_size: str = setting("small", "Network size preset: small (the seed's nets) or large (about 3M "
                              "classifier parameters, protocol C).", choices=tuple(PRESETS))
    model: str = setting("", "Your own Keras classifier instead of the preset, as package.module:function: it takes "
                         "(input_shape, num_classes) and returns an uncompiled keras.Model of raw pixels -> logits "
                         "(see README).")
    model_features_layer: str = setting("", "--model: the layer whose output is the penultimate features "
                                        "(default: the input of the last Dense layer).")
    beta: float = setting(1.0, "Weight of the KL term of the β-VAE.", minimum=0)
    adversary_weight: float = setting(1.0, "Weight of the VAE's adversarial loss (VAAL family).", minimum=0)
    vae_steps: int = setting(0, "VAE (M2-VAAL: joint) steps per iteration; 0 = the model's default (VAAL 2, "
                             "as its official code; M2-VAAL and TA-VAAL 1).", minimum=0)
    disc_steps: Optional[int] = setting(
        None, "Discriminator steps per iteration (VAAL family); 0 = D is not trained. Default: 0 where nothing needs "
        "D (M2-VAAL under eq. 9 for Algorithms 1 and 2, whose selection never reads it), else 1.",
        minimum=0)
    vae_epochs: int = setting(
        100, "VAAL family: passes over the data per round, E_v. A round trains floor((|L| + |candidates|) * E_v / "
        "--vae_batch_size) iterations over endless reshuffled labelled and unlabelled streams, the official "
        "codes' count (VAAL: train_epochs = 100; TA-VAAL: EPOCHV = 100).", minimum=1)
    vae_batch_size: int = setting(128, "VAAL family: labelled and unlabelled batch size of the VAE / D "
                                  "iterations (the official codes' 128).", minimum=2)
    vae_loss: str = setting(
        "auto", "VAE loss: vaal (MSE + KL summed over the batch, official VAAL), tavaal (MSE + KL averaged, "
        "official TA-VAAL), elbo (per-pixel Bernoulli ELBO); auto = the family's own (M2-VAAL: elbo).",
        choices=VAE_LOSSES)
    discriminator_holdout: float = setting(
        0.1, "VAAL family: fraction of the labelled and of the unlabelled samples kept out of D's training, on "
        "which D's ROC AUC (labelled vs unlabelled) is measured each round; 0 = none.", minimum=0)
    candidates_per_round: int = setting(
        0, "Draw a fresh random subset of this many unlabelled images each round (seeded), as TA-VAAL does "
        "with SUBSET = 10,000: the VAE trains on it and the query is chosen from it. 0 = all candidates.",
        minimum=0, defines_pool=True)
    task_recipe: str = setting(
        "plain", "How every task learner is trained: plain (Adam at --learning_rate for --epochs) or vaal "
        "(official VAAL: SGD 0.01, momentum 0.9, weight decay 5e-4, lr / 10 at each quarter of the epochs, "
        "the best epoch on validation kept).", choices=TASK_RECIPES)
    adversarial: Optional[bool] = setting(
        None, "M2-VAAL family: include the adversarial loss (eq. 8); --noadversarial gives eq. 9. Default: the "
        "strategy's own: eq. 8 for m2vaal, eq. 9 for m2vaal_noadv (always) and Algorithms 1 and 2.")
    classifier_gets_vae_grad: bool = setting(
        True, "M2-VAAL: let the decoder's gradient reach the classifier through y' (the M2 idea: the "
        "unlabelled pool trains the classifier too).")
    m2_objective: str = setting(
        "auto", "M2-VAAL's L_VAE: auto (kingma under eq. 9, soft under eq. 8: the joint-model study's choice), "
        "soft (the decoder reads the classifier's softmax y' for both pools: the first "
        "joint model) or kingma (Kingma's M2: labelled images decoded with their one-hot label, unlabelled with "
        "a Gumbel-softmax sample of y', plus the entropy of y', both detached from the classifier under "
        "--noclassifier_gets_vae_grad; see README's deviations).", choices=M2_OBJECTIVES)
    gumbel_temperature: float = setting(0.67, "--m2_objective=kingma: temperature of the Gumbel-softmax sample "
                                        "of y' (Maddison et al. 2017 recommend 2/3).", minimum=0.01)
    joint_checkpoints: int = setting(
        0, "M2-VAAL: measure the joint classifier's validation accuracy this many times a round (evenly spaced) "
        "and keep its best weights; reported as joint_best_validation_accuracy. 0 = never.", minimum=0)
    joint_keep_best: bool = setting(False, "M2-VAAL: end the round with the joint classifier of its best "
                                    "validation checkpoint (needs --joint_checkpoints), as official VAAL keeps "
                                    "its best task model.")
    distribute: str = setting("auto", "tf.distribute strategy: auto (mirrored over 2+ GPUs, else default), "
                              "default, mirrored, multi_worker (cluster from TF_CONFIG).",
                              choices=DISTRIBUTE_CHOICES)
    jit_compile: bool = setting(False, "Compile train_step with XLA (single-device strategy only; Keras turns "
                                "XLA off under tf.distribute).")
    precision: str = setting(
        "auto", "Arithmetic of the networks: float32, mixed_bfloat16 (bfloat16 compute, float32 variables, "
        "losses and outputs), or auto (mixed_bfloat16 on a CPU with AVX512_BF16/AMX or a GPU of compute "
        "capability 8.0+, else float32).", choices=PRECISIONS)
    uncertainty: str = setting("least_confidence", "Uncertainty weight of --strategy=algorithm2 (and the "
                               "exported score of strategies whose own score needs the whole pool).",
                               choices=WEIGHTS, defines_pool=True)
    mc_samples: int = setting(20, "Monte-Carlo dropout passes of --strategy=bald.", minimum=2)
    stop_set_size: int = setting(
        2000, "Unlabelled images, drawn once (seeded), on which consecutive rounds' predictions are compared "
        "by Cohen's kappa (stop_kappa in results.csv); 0 = not measured.", minimum=0)
    stop_kappa: float = setting(
        0.0, "End the run once stop_kappa has been at least this for --stop_patience rounds in a row "
        "(Bloodgood & Vijay-Shanker 2009 use 0.99); 0 = never end early.", minimum=0.0, maximum=1.0)
    stop_patience: int = setting(3, "Rounds in a row that --stop_kappa must hold before the run ends.", minimum=1)
    seed: int = setting(0, "Seed of the initial labelled set, the model initialisation and the selection.",
                        defines_pool=True)
    oracle: str = setting("simulated", "Who labels the queries: simulated (the data set's labels), files (a "
                          "person fills in logs/<run>/queries/round_<k>/labels.csv, then --resume) or label_studio "
                          "(a person in Label Studio; see docs/DATA.md).", choices=ORACLES, hparam=False)
    label_studio_url: str = setting("http://localhost:8080", "--oracle=label_studio: the server. Its API key is read "
                                    f"from ${label_studio.API_KEY_VARIABLE} only, never saved.", hparam=False)
    label_studio_project: str = setting("", "--oracle=label_studio: the project's title (created with the data "
                                        "set's classes if missing; default: the run's name) or numeric id.",
                                        hparam=False)
    label_studio_wait: str = setting("block", "--oracle=label_studio: block (poll until the round's tasks are all "
                                     "annotated) or exit (stop; --resume picks the round up).",
                                     choices=label_studio.WAITS, hparam=False)
    label_studio_poll_seconds: float = setting(10.0, "--label_studio_wait=block: seconds between polls.",
                                               minimum=0.01, hparam=False)
    image_size: int = setting(28, "Images of folder:, csv: and npz: data sets (and Python arrays) are resized to this "
                          "size (square).", minimum=8)
    export: bool = setting(False, "Write a SavedModel after every round to logs/<run>/export/round_<k> (and "
                           "export/latest) for scoring new images.", hparam=False)
    projector_every: int = setting(1, "Write the TensorBoard embedding projector every this many rounds (and "
                                   "in the final round); 0 = never.", minimum=0, hparam=False)
    projector_samples: int = setting(5000, "Unlabelled pool samples shown in the projector next to the "
                                     "labelled set (the queried batch is always among them).", minimum=0,
                                     hparam=False)
    logdir: str = setting("logs", "Root directory of run directories (TensorBoard --logdir).", hparam=False)
    run_name: str = setting("", "Run directory name under --logdir (default: <protocol>_<strategy>_seed<seed>; "
                            "<protocol>_<strategy>_kingma_seed<seed> for a joint model of Kingma's bounds).",
                            hparam=False)
    protocol: str = setting("", "Protocol label used in the default run name (e.g. A, B, C).")
    resume: bool = setting(False, "Continue the run in --logdir/--run_name from its last completed round.",
                           saved=False, hparam=False)
    progress: bool = setting(False, "Show Keras progress bars for every training epoch.", saved=False,
                             hparam=False)

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        """Checks that need no data; raises ConfigError naming the flag."""
        for field in dataclasses.fields(self):
            check_declared(field, getattr(self, field.name))
        if self.oracle != "simulated" and self.distribute == "multi_worker":
            raise ConfigError(f"--oracle={self.oracle} needs one process to ask and wait; it does not run with "
                              "--distribute=multi_worker")
        if self.discriminator_holdout > 0.5:
            raise ConfigError(f"--discriminator_holdout={self.discriminator_holdout} must be at most 0.5 (D needs "
                              "most samples to learn from)")
        if self.joint_keep_best and not self.joint_checkpoints:
            raise ConfigError("--joint_keep_best needs validation checkpoints: set --joint_checkpoints above 0")
        if self.disc_steps == 0 and joint_defaults.resolve(self.strategy, self.adversarial, self.m2_objective,
                                                           None).disc_steps:
            raise ConfigError(f"--disc_steps=0 leaves D untrained, but --strategy={self.strategy} needs D "
                              "(to select, or for the adversarial loss: pass --noadversarial)")
        if self.stop_kappa and not self.stop_set_size:
            raise ConfigError(f"--stop_kappa={self.stop_kappa} needs a stop set: set --stop_set_size above 0")
        if self.learning_rate <= 0:
            raise ConfigError(f"--learning_rate={self.learning_rate} must be positive")
        if self.max_labeled < self.initial_labeled and not self.dataset.startswith(SEED_SET_DATA):
            raise ConfigError(
                f"--max_labeled={self.max_labeled} is below --initial_labeled={self.initial_labeled}")
        if len(set(self.initial_classes)) != len(self.initial_classes):
            raise ConfigError(f"--initial_classes={_join(self.initial_classes)} lists a class twice")
        if any(c < 0 for c in self.initial_classes):
            raise ConfigError(f"--initial_classes={_join(self.initial_classes)} has a negative class")
        if self.model and not re.fullmatch(r"[\w.]+:[\w.]+", self.model):
            raise ConfigError(f"--model={self.model!r} must be package.module:function")
        if self.run_name and (os.sep in self.run_name or self.run_name in (".", "..")):
            raise ConfigError(f"--run_name={self.run_name!r} must be a plain directory name")

    def resolved(self) -> "ExperimentConfig":
        """The config with the settings left to the strategy (`--adversarial`, `--m2_objective`,
        `--disc_steps`; joint_defaults.py) made explicit. A run resolves its config once, so its
        flags.txt, HParams and models name what it trains; an unresolved config stays one that
        `dataclasses.replace(config, strategy=...)` can give to another strategy."""
        joint = joint_defaults.resolve(self.strategy, self.adversarial, self.m2_objective, self.disc_steps)
        return dataclasses.replace(self, **joint._asdict())

    def with_seed_set(self, dataset_name: str, seed_count: int) -> "ExperimentConfig":
        """A folder data set brings its labelled seed set: it is the initial labelled set."""
        if self.initial_classes:
            raise ConfigError(f"--initial_classes does not apply to --dataset={dataset_name}: its initial labelled "
                              "set is the images whose labels the data set gives")
        if self.oracle == "simulated":
            raise ConfigError(f"--oracle=simulated answers from the data set's labels, and the unlabelled images "
                              f"of --dataset={dataset_name} have none; use --oracle=files or label_studio")
        return dataclasses.replace(self, initial_labeled=seed_count)

    @property
    def resolved_run_name(self) -> str:
        """`--run_name`, or one derived from protocol, strategy, joint model (joint_defaults.run_name_part)
        and seed."""
        if self.run_name:
            return self.run_name
        protocol = self.protocol or (
            f"{self.dataset.replace(':', '-').replace('/', '-')}-{self.initial_labeled}+{self.budget}")
        joint = joint_defaults.resolve(self.strategy, self.adversarial, self.m2_objective, self.disc_steps)
        return f"{protocol}_{self.strategy}{joint_defaults.run_name_part(self.strategy, joint)}_seed{self.seed}"

    @property
    def run_dir(self) -> str:
        return os.path.join(self.logdir, self.resolved_run_name)

    def hparams(self) -> dict:
        """The settings that say what a run is (not where or how it is logged): the HParams table."""
        return {name: getattr(self, name) for name in fields_with_role(type(self), "hparam")}

    def pool_settings(self) -> dict:
        """The settings stored with the pool and compared on resume."""
        return {name: _jsonable(getattr(self, name)) for name in fields_with_role(type(self), "defines_pool")}


def _join(values) -> str:
    return ",".join(str(v) for v in values)


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value
