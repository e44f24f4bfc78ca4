"""`--oracle=label_studio` against a real Label Studio server (tests/label_studio_server.py), the test
playing the annotator through its REST API: a two-round experiment whose run is killed while it
waits and resumed, every odd case of a round (skipped, deleted, a foreign label, several
annotations, a server that is down, a bad key) as one line with pool.json as it was, and the key
kept out of every file and message."""
import dataclasses
import json
import os
import subprocess
import sys
import time

import label_studio_server
import pytest
from conftest import PROJECT_ROOT, kill_train_py_when

from m2vaal_tf import experiment
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import OracleError

SMALL = dict(validation_size=500, initial_labeled=20, budget=8, max_labeled=36, pool_subsample=200, epochs=1,
             stop_set_size=0, projector_every=0)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(label_studio_server.PROGRAM):
        if os.environ.get("M2VAAL_LABEL_STUDIO"):
            pytest.fail(f"M2VAAL_LABEL_STUDIO={label_studio_server.PROGRAM} does not exist")
        pytest.skip("Label Studio is not installed: make label-studio (make test does)")
    running = label_studio_server.start(str(tmp_path_factory.mktemp("label_studio")))
    yield running
    running.stop()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio_server.TOKEN)
    return label_studio_server.TOKEN


def answer(server, tasks, dataset):
    """Annotates `tasks` with their true class (Fashion-MNIST's label of the pool index)."""
    for task in tasks:
        server.annotate(task["id"], dataset.class_names[dataset.pool_labels[int(task["data"]["pool_index"])]])


def test_two_rounds_in_label_studio_with_a_kill_while_waiting(tmp_path, server, key, fashion_subset_dir,
                                                              fashion_subset):
    flags = [f"--dataset=idx:{fashion_subset_dir}", *(f"--{k}={v}" for k, v in SMALL.items()),
             "--strategy=margin", "--oracle=label_studio", f"--label_studio_url={server.url}",
             "--label_studio_project=two rounds", "--label_studio_wait=block", "--label_studio_poll_seconds=0.2",
             f"--logdir={tmp_path}", "--run_name=two_rounds"]
    kill_train_py_when(flags, lambda: len(server.tasks("two rounds", 0)) == 8)  # killed while it polls
    pool_path = tmp_path / "two_rounds" / "pool.json"
    pending = json.loads(pool_path.read_text())["pending"]
    tasks = server.tasks("two rounds", 0)
    # The queue: one task per queried image in the query's order (most wanted first), the guess as a
    # pre-annotation with its probability.
    assert [int(t["data"]["pool_index"]) for t in tasks] == pending["selected"]
    assert [t["predictions"][0]["result"][0]["value"]["choices"][0] for t in tasks] == [
        fashion_subset.class_names[c] for c in pending["predicted"]]
    assert [round(t["predictions"][0]["score"], 6) for t in tasks] == pending["confidence"]
    assert all(t["data"]["image"].startswith("data:image/png;base64,") and t["data"]["run"] == "two_rounds"
               for t in tasks)
    answer(server, tasks, fashion_subset)
    resumed = subprocess.Popen([sys.executable, "train.py", f"--flagfile={tmp_path / 'two_rounds' / 'flags.txt'}",
                                "--resume"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.time() + 300
    while len(server.tasks("two rounds", 1)) < 8 and resumed.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    answer(server, server.tasks("two rounds", 1), fashion_subset)
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr[-3000:]
    assert "resuming at round 0 with the 8 labels" in stdout and "0 of 8 annotated in Label Studio" in stdout
    rounds = json.loads(pool_path.read_text())["rounds"]
    assert [r["labeled"] for r in rounds] == [20, 28, 36]
    for record in rounds[:2]:  # every label arrived, as the annotator gave it, with who and when
        assert record["labels"] == [int(fashion_subset.pool_labels[i]) for i in record["selected"]]
        assert [a["annotator"] for a in record["annotations"]] == [label_studio_server.USER] * 8
        assert all(a["time"] and a["label_studio_task"] for a in record["annotations"])
    written = [p for p in (tmp_path / "two_rounds").rglob("*") if p.is_file()]
    assert not [p for p in written if key.encode() in p.read_bytes()] and key not in stdout + stderr


def test_each_odd_case_is_one_line_and_leaves_pool_json_as_it_was(tmp_path, server, key, fashion_subset,
                                                                  monkeypatch):
    config = ExperimentConfig(**SMALL, strategy="entropy", oracle="label_studio", label_studio_url=server.url,
                              label_studio_wait="exit", logdir=str(tmp_path), run_name="odd")
    lines = []
    experiment.prepare(config, fashion_subset).run(out=lines.append)
    pool_path = tmp_path / "odd" / "pool.json"
    before = pool_path.read_bytes()
    tasks = server.tasks("odd", 0)
    assert len(tasks) == 8 and "Round 0: 0 of 8 annotated (8 left) in Label Studio project 'odd'" in lines[-1]

    def resume():
        lines.clear()
        resumed = experiment.prepare(dataclasses.replace(config, resume=True), fashion_subset)
        resumed.run(out=lines.append)
        return lines

    answer(server, tasks[:6], fashion_subset)
    server.annotate(tasks[6]["id"], "", cancelled=True)  # skipped
    server.call("DELETE", f"/api/tasks/{tasks[7]['id']}")  # deleted in the UI
    out = resume()
    assert any(f"skipped in Label Studio, still to label: task {tasks[6]['id']}" in line for line in out)
    assert any("1 task(s) were deleted in Label Studio" in line and "created again" in line for line in out)
    assert "6 of 8 annotated (2 left)" in out[-1] and pool_path.read_bytes() == before
    recreated = server.tasks("odd", 0)[-1]
    assert len(server.tasks("odd", 0)) == 8 and recreated["data"]["pool_index"] == tasks[7]["data"]["pool_index"]
    assert not recreated["annotations"] and recreated["predictions"]

    server.annotate(recreated["id"], "Cat")  # not a Fashion-MNIST class
    with pytest.raises(OracleError, match=r"1 label\(s\) outside the classes .* nothing was recorded: task "
                                          rf"{recreated['id']} \(pool_index \d+\): 'Cat'"):
        resume()
    assert pool_path.read_bytes() == before

    server.annotate(recreated["id"], fashion_subset.class_names[3])  # a second, later annotation
    server.annotate(tasks[6]["id"], fashion_subset.class_names[0])
    out = resume()
    assert any(f"task {recreated['id']} (pool_index" in line and "has 2 annotations; the latest" in line
               for line in out)
    record = json.loads(pool_path.read_text())["rounds"][0]
    assert record["labels"][record["selected"].index(int(recreated["data"]["pool_index"]))] == 3

    before = pool_path.read_bytes()  # round 1 now waits for its labels
    down = dataclasses.replace(config, resume=True, label_studio_url="http://127.0.0.1:9")
    with pytest.raises(OracleError, match=r"Label Studio at http://127.0.0.1:9 cannot be reached .*--label_studio_url"):
        experiment.prepare(down, fashion_subset)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0" * 40)
    with pytest.raises(OracleError, match=r"refused the API key in \$LABEL_STUDIO_API_KEY \(401") as refused:
        experiment.prepare(dataclasses.replace(config, resume=True), fashion_subset)
    assert "0" * 40 not in str(refused.value) and pool_path.read_bytes() == before


def test_a_bad_key_from_the_command_line_is_one_line_without_the_key(tmp_path, server, fashion_subset_dir):
    wrong = "badbadbadbadbadbadbadbadbadbadbadbadbad0"
    result = subprocess.run(
        [sys.executable, "train.py", f"--dataset=idx:{fashion_subset_dir}", *(f"--{k}={v}" for k, v in SMALL.items()),
         "--oracle=label_studio", f"--label_studio_url={server.url}", f"--logdir={tmp_path}", "--run_name=bad_key"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in {**os.environ, "LABEL_STUDIO_API_KEY": wrong}.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "refused the API key in $LABEL_STUDIO_API_KEY" in errors[0]
    assert wrong not in result.stdout + result.stderr
    assert not (tmp_path / "bad_key" / "pool.json").exists()

