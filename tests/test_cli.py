"""The console scripts installed by `pip install -e .`: help, one-line errors, and a real run whose
stderr carries none of TensorFlow's C++ start-up lines."""
import os
import shutil
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

BIN = os.path.dirname(sys.executable)
TENSORFLOW_STARTUP = ("oneDNN", "cuInit", "cuda drivers", "absl::InitializeLog")


def program(name):
    path = os.path.join(BIN, name)
    if not os.path.exists(path):
        path = shutil.which(name)
    assert path, f"{name} is not installed next to {sys.executable} (pip install -e .)"
    return path


def run(*args, cwd=PROJECT_ROOT):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("name, flag", [("m2vaal-train", "--strategy"), ("m2vaal-compare", "--strategies"),
                                        ("m2vaal-score", "--images")])
def test_help(name, flag):
    result = run(program(name), "--help")
    assert result.returncode == 0 and flag in result.stdout, result.stderr


def test_bad_flag_is_one_line_and_no_tensorflow_log(tmp_path):
    result = run(program("m2vaal-train"), "--model_size=huge", f"--logdir={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["m2vaal-train: error: --model_size='huge' is not one of: small, large"]


def test_a_real_run_prints_no_tensorflow_startup_lines(tmp_path, fashion_subset_dir):
    result = run(program("m2vaal-train"), f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500",
                 "--initial_labeled=50", "--budget=50", "--max_labeled=100", "--pool_subsample=300", "--epochs=1",
                 "--projector_every=0", f"--logdir={tmp_path}", "--run_name=quiet", cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "final round" in result.stdout
    assert not [line for line in result.stderr.splitlines() if any(s in line for s in TENSORFLOW_STARTUP)], \
        result.stderr
