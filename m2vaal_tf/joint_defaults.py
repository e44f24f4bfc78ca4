"""The M2-VAAL family's settings that the strategy decides unless the command line does (issue 53).

Three settings default to "the strategy's own" (None or auto) so that one rule, chosen on the
joint-model study's evidence (docs/RESULTS.md "The joint-model study"), gives each strategy its
joint model, while a run that names them (every committed record's flags.txt does) keeps the
model it ran:

- `adversarial`: eq. 8 (with L_adv) for `m2vaal`, eq. 9 for `m2vaal_noadv` (always) and for
  Algorithms 1 and 2, whose selection reads the latent space and never D.
- `m2_objective`: `kingma` (Kingma's M2 bounds) under eq. 9, where it lifted C's joint classifier
  from 0.115 below the plain reference to 0.034 above it (three seeds); `soft` (the first joint
  model) under eq. 8, where Kingma's form ended 0.067, 0.050 and 0.069 below it on B (seeds 0-2).
- `disc_steps`: 0 for an M2-VAAL model under eq. 9 whose selection never reads D (Algorithms 1
  and 2): D would be trained for nothing. 1 everywhere else, as before (a learner without D
  ignores it).

A run of another joint model than the first is named apart (`run_name_part`), and a run is
resumed only as the joint model it trained (`check_resume`), so that a run started under one
default never goes on under another.

Pure logic on names and values, no TensorFlow: the config calls it before anything is built.
"""
from typing import Mapping, NamedTuple, Optional

from m2vaal_tf import strategies
from m2vaal_tf.errors import ConfigError

FIRST_JOINT_MODEL = "soft"  # M2-VAAL's objective as the grid's first runs trained it


class JointSettings(NamedTuple):
    adversarial: bool
    m2_objective: str
    disc_steps: int


def resolve(strategy: str, adversarial: Optional[bool], m2_objective: str,
            disc_steps: Optional[int]) -> JointSettings:
    """The three settings with None / auto replaced by what `strategy` implies."""
    chosen = strategies.get(strategy)
    joint = is_joint(strategy)
    if chosen.model_family == "m2vaal_noadv":
        adversarial = False  # eq. 9 whatever --adversarial says (records of the first grid say it)
    elif adversarial is None:
        adversarial = chosen.adversarial_by_default
    if m2_objective == "auto":
        m2_objective = FIRST_JOINT_MODEL if adversarial else "kingma"
    if disc_steps is None:
        disc_steps = 0 if joint and not adversarial and not chosen.reads_discriminator else 1
    return JointSettings(bool(adversarial), m2_objective, disc_steps)


def is_joint(strategy: str) -> bool:
    """Whether `strategy` trains the M2-VAAL joint model, the only learner these settings change."""
    return strategies.get(strategy).model_family in ("m2vaal", "m2vaal_noadv")


def run_name_part(strategy: str, joint: JointSettings) -> str:
    """What a run's default name says of its joint model: nothing for the first joint model, whose
    runs (the grid's records) were named before there was another, else the objective
    (`C_algorithm1_kingma_seed0`). Why: a run of the new default must not land in the directory of
    a first-model run and resume it."""
    if not is_joint(strategy) or joint.m2_objective == FIRST_JOINT_MODEL:
        return ""
    return f"_{joint.m2_objective}"


def of_saved(strategy: str, saved: Mapping[str, str]) -> JointSettings:
    """The joint model a run's flags.txt (as `settings.read_flagfile` reads it) says it trained.
    A flags.txt written before `--m2_objective` existed trained the first joint model."""
    adversarial = {"true": True, "false": False}.get(saved.get("adversarial", ""))
    disc_steps = int(saved["disc_steps"]) if saved.get("disc_steps", "").isdigit() else None
    return resolve(strategy, adversarial, saved.get("m2_objective", FIRST_JOINT_MODEL), disc_steps)


def is_default(strategy: str, joint: JointSettings) -> bool:
    """Whether `joint` is what `strategy` trains today unless told otherwise (the study's choice)."""
    return not is_joint(strategy) or joint == resolve(strategy, None, "auto", None)


def check_resume(strategy: str, joint: JointSettings, saved: Mapping[str, str], flagfile: str) -> None:
    """Refuses to go on with a run under another joint model than the one it trained: the rounds
    before and after would be two experiments under one name (ConfigError naming the flag)."""
    if not is_joint(strategy):
        return
    trained = of_saved(strategy, saved)
    for name, (before, now) in zip(JointSettings._fields, zip(trained, joint)):
        if before != now:
            raise ConfigError(f"--{name}={now}: the resumed run trained --{name}={before} ({flagfile}); resume it "
                              f"with --flagfile={flagfile} --resume, or start a new --run_name")
