"""Issue 53's re-runs: a run of a joint model other than the first is named apart, resumes only as the
model it trained, and is planned, skipped and reported apart from the first joint model's records."""
import dataclasses
import os
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

from m2vaal_tf import experiment, joint_defaults
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.reporting import grid_page, records
from m2vaal_tf.settings import FLAGFILE, flagfile_text, read_flagfile

RECORDS = os.path.join(PROJECT_ROOT, "docs", "results", "runs")
FIXTURE_RUNS = os.path.join(PROJECT_ROOT, "tests", "fixtures", "runs")
QUICK = dict(initial_labeled=100, budget=50, max_labeled=200, pool_subsample=500, epochs=1)


@pytest.mark.parametrize("settings, name", [
    (dict(strategy="algorithm1"), "C_algorithm1_kingma_seed0"),  # today's default: Kingma's bounds
    (dict(strategy="algorithm1", adversarial=True, m2_objective="soft"), "C_algorithm1_seed0"),  # the grid's
    (dict(strategy="m2vaal_noadv"), "C_m2vaal_noadv_kingma_seed0"),
    (dict(strategy="m2vaal_noadv", m2_objective="soft"), "C_m2vaal_noadv_seed0"),
    (dict(strategy="m2vaal"), "C_m2vaal_seed0"),  # its default is still the first joint model
    (dict(strategy="vaal", m2_objective="kingma"), "C_vaal_seed0"),  # no joint model: nothing to say
])
def test_the_default_name_says_the_joint_model_unless_it_is_the_first(settings, name):
    assert ExperimentConfig(**settings, protocol="C").resolved_run_name == name


@pytest.mark.parametrize("settings", [
    dict(strategy="algorithm1"), dict(strategy="algorithm2", adversarial=True),
    dict(strategy="m2vaal_noadv", m2_objective="soft"), dict(strategy="m2vaal", disc_steps=3),
])
def test_a_flags_txt_reads_back_as_the_joint_model_it_names(settings):
    config = ExperimentConfig(**settings).resolved()
    saved = read_flagfile(flagfile_text(config), ExperimentConfig)
    assert joint_defaults.of_saved(config.strategy, saved) == (config.adversarial, config.m2_objective,
                                                               config.disc_steps)
    # Written before --m2_objective existed: the first joint model.
    older = {k: v for k, v in saved.items() if k != "m2_objective"}
    assert joint_defaults.of_saved(config.strategy, older).m2_objective == "soft"


def test_a_run_resumes_only_as_the_joint_model_it_trained(tmp_path, fashion_subset):
    first = ExperimentConfig(**QUICK, strategy="algorithm1", adversarial=True, m2_objective="soft",
                             logdir=str(tmp_path), run_name="r")
    experiment.prepare(first, dataset=fashion_subset).start()  # flags.txt and the initial pool
    written = open(os.path.join(first.run_dir, FLAGFILE)).read()
    today = ExperimentConfig(**QUICK, strategy="algorithm1", logdir=str(tmp_path), run_name="r", resume=True)
    with pytest.raises(ConfigError, match=r"^--adversarial=False: the resumed run trained --adversarial=True "
                                          r"\(.*flags.txt\); resume it with --flagfile="):
        experiment.prepare(today, dataset=fashion_subset)
    kingma_adv = ExperimentConfig(**QUICK, strategy="algorithm1", adversarial=True, m2_objective="kingma",
                                  logdir=str(tmp_path), run_name="r", resume=True)
    with pytest.raises(ConfigError, match="--m2_objective=kingma: the resumed run trained --m2_objective=soft"):
        experiment.prepare(kingma_adv, dataset=fashion_subset)
    assert open(os.path.join(first.run_dir, FLAGFILE)).read() == written  # refused before anything is written
    experiment.prepare(dataclasses.replace(first, resume=True), dataset=fashion_subset)  # its own model


def test_the_committed_records_of_replaced_joint_models_are_exactly_issue_53s():
    replaced = sorted(r.run_name for runs in records.read_all(RECORDS).values() for r in runs if not r.current)
    assert replaced == sorted([f"C_algorithm{k}_seed{s}" for k in (1, 2) for s in range(3)]
                              + [f"{p}_m2vaal_noadv_seed{s}" for p in "AB" for s in range(3)])


def run_plan(*args):
    done = subprocess.run([sys.executable, "scripts/grid_plan.py", "--left", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [tuple(line.split()) for line in done.stdout.splitlines()]


def test_the_runs_left_are_the_new_defaults_runs_in_issue_53s_order(tmp_path):
    left = run_plan()
    assert left == [(p, s, str(seed)) for p, strategies in (("c", ("algorithm1", "algorithm2")),
                                                            ("b", ("m2vaal_noadv", "vaal_elbo")),
                                                            ("a", ("vaal_elbo",)))
                    for seed in range(3) for s in strategies]  # seed by seed; m2vaal's records stand, and
    # A's m2vaal_noadv's: A's check found the new default within the grid's spread (FIRST_MODEL_STANDS)
    everything = run_plan(f"--records_dir={tmp_path}")  # no records: the whole grid, C first
    assert len(everything) == 81 and everything[0] == ("c", "random", "0")


def test_compare_skips_a_recorded_run_and_summarises_it_from_its_record(tmp_path):
    done = subprocess.run([sys.executable, "-m", "m2vaal_tf.compare", "--protocol=T", "--strategies=random",
                           "--seeds=0,1", f"--records_dir={FIXTURE_RUNS}", f"--logdir={tmp_path}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("recorded in") == 2 and "starting" not in done.stdout
    assert "| random |" in open(tmp_path / "T_summary" / "summary.md").read()
    assert sorted(os.listdir(tmp_path)) == ["T_summary"]  # nothing was run


def test_the_page_reports_a_replaced_joint_models_runs_apart(tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(FIXTURE_RUNS, runs)
    flagfile = runs / "T" / "T_m2vaal_seed1" / FLAGFILE
    flagfile.write_text(flagfile.read_text().replace("--adversarial\n", "--noadversarial\n"))  # not m2vaal's eq. 8
    block = grid_page.render(records.read_all(str(runs)))
    main, appendix = block.split(grid_page.REPLACED)
    assert "### Protocol T: 5 finished runs" in main
    assert "With today's joint model so far: m2vaal: 1 of 1 seeds." in main
    assert "| m2vaal | 0 |" in main and "| m2vaal | 1 |" in appendix  # each seed on its side
    assert "### Protocol T, the first joint model, 1 run beside random's" in appendix
    assert "| random | 0,1 |" in appendix and "entropy" not in appendix
