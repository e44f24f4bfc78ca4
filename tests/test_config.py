"""Flag validation: each bad setting is one clear error naming the flag, before anything is written."""
import dataclasses
import os
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

from m2vaal_tf import experiment, flags
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError, DataError

QUICK = dict(initial_labeled=100, budget=50, max_labeled=200, pool_subsample=500, epochs=1)


@pytest.mark.parametrize("overrides, message", [
    (dict(strategy="coin_flip"), "--strategy='coin_flip' is not one of: .*entropy"),
    (dict(max_labeled=50), "--max_labeled=50 is below --initial_labeled=100"),
    (dict(budget=0), "--budget=0 must be at least 1"),
    (dict(initial_classes=(2, 2)), "lists a class twice"),
    (dict(learning_rate=0.0), "--learning_rate=0.0 must be positive"),
    (dict(run_name="a/b"), "must be a plain directory name"),
])
def test_static_checks(overrides, message):
    with pytest.raises(ConfigError, match=message):
        ExperimentConfig(**{**QUICK, **overrides})


@pytest.mark.parametrize("overrides, error, message", [
    (dict(budget=600), ConfigError, r"--budget=600 is larger than the unlabelled pool \(500 samples\)"),
    (dict(initial_classes=(2, 10)), ConfigError, "names class 10, but the data set has classes 0..9"),
    (dict(pool_subsample=5000), ConfigError, "--pool_subsample=5000 exceeds the 2400"),
    (dict(max_labeled=700), ConfigError, "--max_labeled=700 exceeds the 600 samples"),
    (dict(initial_labeled=300, initial_classes=(2,), max_labeled=400), DataError,
     "--initial_labeled=300 exceeds the .* pool samples of classes 2"),
])
def test_checks_against_the_data_write_nothing(tmp_path, fashion_subset, overrides, error, message):
    config = ExperimentConfig(**{**QUICK, **overrides}, logdir=str(tmp_path))
    with pytest.raises(error, match=message):
        experiment.prepare(config, dataset=fashion_subset)
    assert os.listdir(tmp_path) == []


def test_existing_run_needs_resume(tmp_path, fashion_subset):
    config = ExperimentConfig(**QUICK, logdir=str(tmp_path), run_name="r", max_rounds=1)
    experiment.prepare(config, dataset=fashion_subset).run(out=lambda line: None)
    with pytest.raises(ConfigError, match="already holds a run; pass --resume"):
        experiment.prepare(config, dataset=fashion_subset)


def test_flagfile_round_trip(tmp_path):
    flags.FLAGS(["train.py", "--flagfile=" + os.path.join(PROJECT_ROOT, "configs", "protocol_b_margin.cfg"),
                 "--seed=3", "--resume"])
    try:
        config = flags.to_config()
        path = tmp_path / "flags.txt"
        path.write_text(flags.flagfile_text(config))
        flags.FLAGS.unparse_flags()
        flags.FLAGS(["train.py", f"--flagfile={path}"])
        again = flags.to_config()
    finally:
        flags.FLAGS.unparse_flags()
    assert config.resume and not again.resume
    assert dataclasses.replace(config, resume=False, run_name=again.run_name) == again
    assert again.run_name == "B_margin_seed3" and again.initial_classes == (2, 4, 7)


@pytest.mark.parametrize("name", sorted(os.listdir(os.path.join(PROJECT_ROOT, "configs"))))
def test_every_config_parses(name, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)  # nested --flagfile paths are relative to the project root
    flags.FLAGS(["train.py", f"--flagfile=configs/{name}"])
    try:
        config = flags.to_config()
    finally:
        flags.FLAGS.unparse_flags()
    assert config.max_labeled > config.initial_labeled


def run_cli(*args, cwd=PROJECT_ROOT):
    return subprocess.run([sys.executable, os.path.join(PROJECT_ROOT, "train.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args, message", [
    (["--budget=abc"], "flag --budget=abc: invalid literal for int()"),
    (["extra"], "unexpected arguments extra"),
    (["--initial_classes=2,x"], "--initial_classes=2,x must be comma-separated integers"),
    (["--budget=60000"], "--budget=60000 is larger than the unlabelled pool"),
    (["--vae_epochs=0"], "--vae_epochs=0 must be at least 1"),
    (["--vae_batch_size=1"], "--vae_batch_size=1 must be at least 2"),
    (["--vae_loss=mse"], "--vae_loss='mse' is not one of: auto, vaal, tavaal, elbo"),
    (["--discriminator_holdout=0.7"], "--discriminator_holdout=0.7 must be at most 0.5"),
    (["--discriminator_holdout=-0.1"], "--discriminator_holdout=-0.1 must be 0 or more"),
    (["--candidates_per_round=-1"], "--candidates_per_round=-1 must be 0 or more"),
    (["--candidates_per_round=100", "--budget=200"], "--budget=200 is larger than --candidates_per_round=100"),
    (["--candidates_per_round=90000"], "--candidates_per_round=90000 exceeds the"),
    (["--task_recipe=sgd"], "--task_recipe='sgd' is not one of: plain, vaal"),
    (["--stop_kappa=1.5"], "--stop_kappa=1.5 must be between 0.0 and 1.0"),
    (["--stop_kappa=-0.1"], "--stop_kappa=-0.1 must be between 0.0 and 1.0"),
    (["--stop_kappa=high"], "flag --stop_kappa=high: could not convert string to float"),
    (["--stop_patience=0"], "--stop_patience=0 must be at least 1"),
    (["--stop_set_size=-5"], "--stop_set_size=-5 must be 0 or more"),
    (["--stop_kappa=0.99", "--stop_set_size=0"], "--stop_kappa=0.99 needs a stop set: set --stop_set_size above 0"),
])
def test_cli_errors_are_one_line_and_exit_2(tmp_path, args, message):
    result = run_cli(f"--logdir={tmp_path}", *args)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("train.py: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert os.listdir(tmp_path) == []


def test_flags_and_fields_agree_one_to_one_defaults_included():
    fields = {f.name: f for f in dataclasses.fields(ExperimentConfig)}
    defined = {flag.name: flag for flag in flags.FLAGS.get_flags_for_module(flags)}
    assert set(defined) == set(fields)
    for name, field in fields.items():
        default = tuple(int(v) for v in defined[name].default) if isinstance(field.default, tuple) \
            else defined[name].default
        assert default == field.default, name
        assert field.metadata["help"] in defined[name].help, name
    assert flags.to_config(flags.FLAGS) == ExperimentConfig()  # nothing parsed: every flag at its default


def test_roles_drive_flagfile_pool_settings_and_hparams():
    config = ExperimentConfig(resume=True, progress=True, oracle="files", seed=4)
    saved = {line.split("=")[0].lstrip("-").removeprefix("no") for line in flags.flagfile_text(config).split()}
    assert "resume" not in saved and "progress" not in saved and {"seed", "oracle", "strategy"} <= saved
    assert set(config.pool_settings()) == {"dataset", "strategy", "initial_labeled", "initial_classes", "budget",
                                           "pool_subsample", "validation_size", "uncertainty", "seed",
                                           "candidates_per_round"}
    assert "logdir" not in config.hparams() and config.hparams()["seed"] == 4


def test_the_documented_flag_table_is_the_generated_one():
    with open(os.path.join(PROJECT_ROOT, "docs", "FLAGS.md"), encoding="utf-8") as f:
        assert flags.markdown_table() in f.read(), "regenerate docs/FLAGS.md's table: m2vaal_tf.flags.markdown_table()"

