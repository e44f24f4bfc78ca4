"""The M2-VAAL family's settings that the strategy decides unless the command line does (issue 53).

Three settings default to "the strategy's own" (None or auto) so that one rule, chosen on the
joint-model study's evidence (docs/RESULTS.md "The joint-model study"), gives each strategy its
joint model, while a run that names them (every committed record's flags.txt does) keeps the
model it ran:

- `adversarial`: eq. 8 (with L_adv) for `m2vaal`, eq. 9 for `m2vaal_noadv` (always) and for
  Algorithms 1 and 2, whose selection reads the latent space and never D.
- `m2_objective`: `kingma` (Kingma's M2 bounds) under eq. 9, where it lifted C's joint classifier
  from 0.115 below the plain reference to 0.034 above it (three seeds); `soft` (the first joint
  model) under eq. 8, where Kingma's form ended 0.067 below it on B.
- `disc_steps`: 0 for an M2-VAAL model under eq. 9 whose selection never reads D (Algorithms 1
  and 2): D would be trained for nothing. 1 everywhere else, as before (a learner without D
  ignores it).

Pure logic on names and values, no TensorFlow: the config calls it before anything is built.
"""
from typing import NamedTuple, Optional

from m2vaal_tf import strategies

FIRST_JOINT_MODEL = "soft"  # M2-VAAL's objective as the grid's first runs trained it


class JointSettings(NamedTuple):
    adversarial: bool
    m2_objective: str
    disc_steps: int


def resolve(strategy: str, adversarial: Optional[bool], m2_objective: str,
            disc_steps: Optional[int]) -> JointSettings:
    """The three settings with None / auto replaced by what `strategy` implies."""
    chosen = strategies.get(strategy)
    joint = chosen.model_family in ("m2vaal", "m2vaal_noadv")
    if chosen.model_family == "m2vaal_noadv":
        adversarial = False  # eq. 9 whatever --adversarial says (records of the first grid say it)
    elif adversarial is None:
        adversarial = chosen.adversarial_by_default
    if m2_objective == "auto":
        m2_objective = FIRST_JOINT_MODEL if adversarial else "kingma"
    if disc_steps is None:
        disc_steps = 0 if joint and not adversarial and not chosen.reads_discriminator else 1
    return JointSettings(bool(adversarial), m2_objective, disc_steps)
