"""`m2vaal-train --model=<module>:<function>` from the command line, as a user runs it: each kind of
strategy (uncertainty, diversity, gradient embedding, VAAL, M2-VAAL) plays its rounds with the user's
model, is SIGKILLed once round 0 is recorded, and resumes from flags.txt to the end of the run.
(test_user_model.py plays the same strategies with a Keras Applications backbone from Python, and
checks on two replicas that a killed run selects what an unkilled one does.)"""
import json
import os
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT, kill_train_py_when

TESTS = os.path.dirname(os.path.abspath(__file__))
M2VAAL_TRAIN = os.path.join(os.path.dirname(sys.executable), "m2vaal-train")


@pytest.mark.parametrize("strategy", ["entropy", "coreset", "badge", "vaal", "m2vaal"])
def test_the_installed_program_plays_a_users_model_and_resumes_after_a_kill(tmp_path, fashion_subset_dir,
                                                                          monkeypatch, strategy):
    assert os.path.exists(M2VAAL_TRAIN), "m2vaal-train is not installed beside this python (pip install -e .)"
    monkeypatch.setenv("PYTHONPATH", TESTS)  # where user_models lives, as a user's PYTHONPATH would hold theirs
    run_dir = tmp_path / strategy
    flags = [f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500", f"--strategy={strategy}",
             "--model=user_models:tiny_mlp", "--initial_labeled=32", "--budget=16", "--max_labeled=48",
             "--pool_subsample=300", "--epochs=2", "--batch_size=16", "--vae_epochs=1", "--vae_batch_size=32",
             "--stop_set_size=0", "--projector_every=0", f"--logdir={tmp_path}", f"--run_name={strategy}"]

    def rounds():
        pool_path = run_dir / "pool.json"
        return json.loads(pool_path.read_text())["rounds"] if pool_path.exists() else []

    kill_train_py_when(flags, lambda: len(rounds()) >= 1, program=(M2VAAL_TRAIN,))
    before = rounds()
    assert len(before) == 1 and len(before[0]["selected"]) == 16
    resumed = subprocess.run([sys.executable, M2VAAL_TRAIN, f"--flagfile={run_dir / 'flags.txt'}", "--resume"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming at round 1" in resumed.stdout and "user_models:tiny_mlp" in (run_dir / "flags.txt").read_text()
    after = rounds()
    assert after[0] == before[0]  # round 0's query and labels kept as they were
    assert [r["labeled"] for r in after] == [32, 48]
    csv_rows = (run_dir / "results.csv").read_text().strip().splitlines()
    assert len(csv_rows) == 3  # a header and each round once, although round 1 was begun twice
