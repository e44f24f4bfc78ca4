"""The command line's flags, defined in one place and turned into an `ExperimentConfig`.

Only `train.py` imports this module; the library takes the config, never reads FLAGS.
"""
import sys

from absl import flags

from m2vaal_tf.config import DISTRIBUTE_CHOICES, ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.oracle import ORACLES
from m2vaal_tf.sizes import PRESETS
from m2vaal_tf.strategies.uncertainty import WEIGHTS

FLAGS = flags.FLAGS

flags.DEFINE_string("dataset", "fashion_mnist", "Data set: fashion_mnist, idx:DIR (four MNIST-style IDX files) "
                    "or tfds:NAME (a TFDS image classification data set).")
flags.DEFINE_string("data_dir", None, "Directory holding the data set's files (Fashion-MNIST IDX files, or "
                    "the TFDS data directory). Default: /usr/share/datasets/fashion-mnist, then the Keras cache.")
flags.DEFINE_string("strategy", "entropy", "Acquisition strategy (see README for the list).")
flags.DEFINE_integer("initial_labeled", 1000, "Size of the initial labelled set, drawn at random.")
flags.DEFINE_list("initial_classes", [], "Draw the initial labelled set only from these classes, e.g. 2,4,7.")
flags.DEFINE_integer("budget", 1000, "Samples queried per round.")
flags.DEFINE_integer("max_labeled", 8000, "Stop once this many samples are labelled.")
flags.DEFINE_integer("max_rounds", 0, "Stop after this many rounds (0 = until --max_labeled).")
flags.DEFINE_integer("epochs", 20, "Training epochs per round (models are retrained from scratch every round).")
flags.DEFINE_integer("batch_size", 64, "Global training batch size.")
flags.DEFINE_float("learning_rate", 1e-3, "Learning rate of the task learner (Adam).")
flags.DEFINE_integer("pool_subsample", 0, "Restrict the unlabelled pool to a random subset of this size "
                     "(0 = the whole pool); for quick runs.")
flags.DEFINE_integer("validation_size", 5000, "Training images held out as the validation set.")
flags.DEFINE_integer("scoring_batch_size", 2048, "Batch size for scoring the pool and evaluating.")
flags.DEFINE_enum("model_size", "small", list(PRESETS), "Network size preset: small (the seed's nets) or "
                  "large (about 3M classifier parameters, protocol C).")
flags.DEFINE_float("beta", 1.0, "Weight of the KL term of the β-VAE.")
flags.DEFINE_float("adversary_weight", 1.0, "Weight of the VAE's adversarial loss (VAAL family).")
flags.DEFINE_integer("vae_steps", 0, "VAE (M2-VAAL: joint) steps per iteration; 0 = the model's default "
                     "(VAAL 2, as its official code; M2-VAAL and TA-VAAL 1).")
flags.DEFINE_integer("disc_steps", 1, "Discriminator steps per iteration (VAAL family).")
flags.DEFINE_bool("adversarial", True, "M2-VAAL: include the adversarial loss (eq. 8); --noadversarial gives "
                  "eq. 9, the same as --strategy=m2vaal_noadv.")
flags.DEFINE_bool("classifier_gets_vae_grad", True, "M2-VAAL: let the decoder's gradient reach the classifier "
                  "through y' (the M2 idea: the unlabelled pool trains the classifier too).")
flags.DEFINE_enum("distribute", "auto", list(DISTRIBUTE_CHOICES),
                  "tf.distribute strategy: auto (mirrored over 2+ GPUs, else default), default, mirrored, "
                  "multi_worker (cluster from TF_CONFIG).")
flags.DEFINE_bool("jit_compile", False, "Compile train_step with XLA (single-device strategy only; Keras turns "
                  "XLA off under tf.distribute).")
flags.DEFINE_enum("uncertainty", "least_confidence", list(WEIGHTS),
                  "Uncertainty weight of --strategy=algorithm2.")
flags.DEFINE_integer("mc_samples", 20, "Monte-Carlo dropout passes of --strategy=bald.")
flags.DEFINE_integer("seed", 0, "Seed of the initial labelled set, the model initialisation and the selection.")
flags.DEFINE_enum("oracle", "simulated", list(ORACLES), "Who labels the queries: simulated (the data set's "
                  "labels) or files (a person fills in logs/<run>/queries/round_<k>/labels.csv, then --resume).")
flags.DEFINE_integer("image_size", 28, "--dataset=folder:DIR: images are resized to this size (square).")
flags.DEFINE_bool("export", False, "Write a SavedModel after every round to logs/<run>/export/round_<k> "
                  "(and export/latest) for scoring new images.")
flags.DEFINE_integer("projector_every", 1, "Write the TensorBoard embedding projector every this many rounds "
                     "(and in the final round); 0 = never.")
flags.DEFINE_integer("projector_samples", 5000, "Unlabelled pool samples shown in the projector next to the "
                     "labelled set (the queried batch is always among them).")
flags.DEFINE_string("logdir", "logs", "Root directory of run directories (TensorBoard --logdir).")
flags.DEFINE_string("run_name", "", "Run directory name under --logdir (default: <protocol>_<strategy>_seed<seed>).")
flags.DEFINE_string("protocol", "", "Protocol label used in the default run name (e.g. A, B, C).")
flags.DEFINE_bool("resume", False, "Continue the run in --logdir/--run_name from its last completed round.")
flags.DEFINE_bool("progress", False, "Show Keras progress bars for every training epoch.")

# Flags that describe one invocation rather than the experiment: not written to flags.txt.
_NOT_SAVED = {"resume", "progress"}


def to_config(flag_values=FLAGS) -> ExperimentConfig:
    try:
        initial_classes = tuple(int(c) for c in flag_values.initial_classes)
    except ValueError:
        raise ConfigError(f"--initial_classes={','.join(flag_values.initial_classes)} must be comma-separated "
                          "class indices, e.g. 2,4,7") from None
    return ExperimentConfig(
        dataset=flag_values.dataset, data_dir=flag_values.data_dir, strategy=flag_values.strategy,
        initial_labeled=flag_values.initial_labeled, initial_classes=initial_classes,
        budget=flag_values.budget, max_labeled=flag_values.max_labeled, max_rounds=flag_values.max_rounds,
        epochs=flag_values.epochs, batch_size=flag_values.batch_size, learning_rate=flag_values.learning_rate,
        pool_subsample=flag_values.pool_subsample, validation_size=flag_values.validation_size,
        scoring_batch_size=flag_values.scoring_batch_size, model_size=flag_values.model_size,
        beta=flag_values.beta, adversary_weight=flag_values.adversary_weight, vae_steps=flag_values.vae_steps,
        disc_steps=flag_values.disc_steps, adversarial=flag_values.adversarial,
        classifier_gets_vae_grad=flag_values.classifier_gets_vae_grad, distribute=flag_values.distribute,
        jit_compile=flag_values.jit_compile, uncertainty=flag_values.uncertainty,
        mc_samples=flag_values.mc_samples, seed=flag_values.seed, oracle=flag_values.oracle,
        image_size=flag_values.image_size, export=flag_values.export, projector_every=flag_values.projector_every,
        projector_samples=flag_values.projector_samples, logdir=flag_values.logdir,
        run_name=flag_values.run_name, protocol=flag_values.protocol, resume=flag_values.resume,
        progress=flag_values.progress)


def flagfile_text(config: ExperimentConfig, flag_values=FLAGS) -> str:
    """The run's resolved flags as a flagfile: `--flagfile=<run>/flags.txt --resume` continues it."""
    lines = []
    for flag in flag_values.get_flags_for_module(sys.modules[__name__]):
        if flag.name in _NOT_SAVED:
            continue
        # The config's values, not the command line's: `compare` runs many configs from one command line.
        value = config.resolved_run_name if flag.name == "run_name" else getattr(config, flag.name)
        if value is None:
            continue
        if isinstance(value, bool):
            lines.append(f"--{flag.name}" if value else f"--no{flag.name}")
        elif isinstance(value, (list, tuple)):
            lines.append(f"--{flag.name}={','.join(map(str, value))}")
        else:
            lines.append(f"--{flag.name}={value}")
    return "\n".join(lines) + "\n"
