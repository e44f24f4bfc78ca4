"""docs/tutorial.py runs as a user would run it: a folder of real images, the user's own Keras model,
two rounds of BADGE and one of M2-VAAL, labels given through `teach`."""
import json
import os
import subprocess
import sys

from conftest import PROJECT_ROOT


def test_the_tutorial_runs(tmp_path):
    done = subprocess.run([sys.executable, os.path.join("docs", "tutorial.py")], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TUTORIAL_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "round 1: test accuracy" in done.stdout and "M2-VAAL round 0 asks for" in done.stdout
    with open(tmp_path / "logs" / "badge" / "pool.json") as f:
        badge = json.load(f)
    assert len(badge["rounds"]) == 2 and all(len(r["labels"]) == 20 for r in badge["rounds"])
    with open(tmp_path / "logs" / "m2vaal" / "pool.json") as f:
        assert len(json.load(f)["rounds"]) == 1
