"""The settings each strategy leaves to its joint model (m2vaal_tf/joint_defaults.py): the joint-model
study's choice for new runs, and the first joint model for every committed record and one flag away."""
import dataclasses
import glob
import os

import pytest
from absl import flags
from conftest import PROJECT_ROOT

from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.flags import define_flags, to_config
from m2vaal_tf.settings import flagfile_text


def resolved(**settings):
    joint = ExperimentConfig(**settings).resolved()
    return joint.adversarial, joint.m2_objective, joint.disc_steps


@pytest.mark.parametrize("strategy, expected", [
    ("m2vaal", (True, "soft", 1)),           # eq. 8: the first joint model won on B
    ("m2vaal_noadv", (False, "kingma", 1)),  # eq. 9, D still selects
    ("algorithm1", (False, "kingma", 0)),    # eq. 9, D never read: not trained
    ("algorithm2", (False, "kingma", 0)),
    ("vaal", (True, "soft", 1)),             # D selects
    ("entropy", (True, "soft", 1)),          # no D at all: the old default, which it ignores
])
def test_each_strategy_gets_the_joint_model_the_study_chose(strategy, expected):
    assert resolved(strategy=strategy) == expected


@pytest.mark.parametrize("settings, expected", [
    (dict(strategy="algorithm1", adversarial=True), (True, "soft", 1)),      # the first Algorithm 1 model
    (dict(strategy="m2vaal_noadv", m2_objective="soft"), (False, "soft", 1)),  # the first m2vaal_noadv model
    (dict(strategy="m2vaal", m2_objective="kingma"), (True, "kingma", 1)),
    (dict(strategy="m2vaal", adversarial=False), (False, "kingma", 1)),
    (dict(strategy="m2vaal_noadv", adversarial=True), (False, "kingma", 1)),  # m2vaal_noadv is eq. 9 always
    (dict(strategy="algorithm2", disc_steps=2), (False, "kingma", 2)),
])
def test_named_settings_are_kept_and_the_first_joint_model_is_one_flag_away(settings, expected):
    assert resolved(**settings) == expected


def test_an_unresolved_config_can_change_strategy_and_a_resolved_one_writes_what_it_trains():
    base = ExperimentConfig(strategy="m2vaal")
    assert dataclasses.replace(base, strategy="algorithm1").resolved().disc_steps == 0  # as compare.py makes runs
    written = flagfile_text(dataclasses.replace(base, strategy="algorithm1").resolved())
    assert {"--noadversarial", "--m2_objective=kingma", "--disc_steps=0"} <= set(written.splitlines())
    assert "adversarial" not in flagfile_text(base) and "--m2_objective=auto" in flagfile_text(base)


RECORDS = sorted(glob.glob(os.path.join(PROJECT_ROOT, "docs", "results", "runs", "*", "*", "flags.txt")))


def test_every_committed_record_resolves_to_the_model_it_ran():
    """The grid ran the first joint model (soft y', eq. 8 for m2vaal and Algorithms 1/2, D trained): its
    records must resume and reproduce as that model under today's defaults."""
    assert len(RECORDS) == 75
    for path in RECORDS:
        flag_values = flags.FlagValues()
        define_flags(flag_values=flag_values)
        flag_values(["record", f"--flagfile={path}"])
        config = to_config(flag_values).resolved()
        if config.strategy in ("m2vaal", "m2vaal_noadv", "algorithm1", "algorithm2"):
            run = os.path.basename(os.path.dirname(path))
            assert (config.adversarial, config.m2_objective, config.disc_steps) == (
                config.strategy != "m2vaal_noadv", "soft", 1), run
