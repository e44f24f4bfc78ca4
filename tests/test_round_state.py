"""A VAAL-family round killed after its state was kept resumes to the weights, loss curve and
selection of the same round never interrupted (rounds/round_state.py)."""
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import PROJECT_ROOT, kill_train_py_when

from m2vaal_tf import experiment, models, round_steps, rounds
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.rounds.round_state import FILE_NAME, RoundState, _variables


class Killed(Exception):
    pass


def round_data(dataset, labeled=64, candidates=500):
    images = dataset.pool_images
    return rounds.RoundData(images[:labeled], dataset.pool_labels[:labeled], images[labeled:labeled + candidates],
                            dataset.val_images, dataset.val_labels)


def train(family, config, data):
    """The round as the experiment plays it: seeded, a fresh learner, its training (state in the run)."""
    keras.utils.set_random_seed(7)
    learner = models.build(family, config, (28, 28, 1), 10, round_index=1)
    result = rounds.train(learner, data, config, seed=7, state_dir=config.run_dir)
    return learner, result.history, {**result.metrics, "seconds_before_resume": result.seconds_before_resume}


@pytest.mark.parametrize("family", ["m2vaal", "vaal", "tavaal"])
def test_round_killed_after_a_save_resumes_to_the_uninterrupted_round(tmp_path, fashion_subset, monkeypatch, family):
    config = ExperimentConfig(strategy=family, initial_labeled=64, budget=32, max_labeled=96, epochs=1,
                              vae_epochs=2, vae_batch_size=32, logdir=str(tmp_path), run_name="run")
    os.makedirs(config.run_dir)
    state_path = os.path.join(config.run_dir, FILE_NAME)
    data = round_data(fashion_subset)
    uninterrupted, expected_history, expected_metrics = train(family, config, data)
    assert expected_metrics["vae_iterations"] == 35 and expected_metrics["seconds_before_resume"] == 0.0
    assert not os.path.exists(state_path)

    saved_at = []
    keep = RoundState.save

    def keep_then_die(state, learner, iteration, curves, seconds):
        keep(state, learner, iteration, curves, seconds)
        saved_at.append(iteration)
        if len(saved_at) == 4:
            raise Killed()

    monkeypatch.setattr(RoundState, "save", keep_then_die)
    with pytest.raises(Killed):
        train(family, config, data)
    monkeypatch.undo()
    assert saved_at == [3, 6, 9, 12] and os.path.exists(state_path)

    resumed, history, metrics = train(family, config, data)
    assert not os.path.exists(state_path)  # the round's state goes when its training ends
    assert metrics["seconds_before_resume"] > 0
    for expected, actual in zip(_variables(uninterrupted), _variables(resumed), strict=True):
        np.testing.assert_array_equal(actual.numpy(), expected.numpy(), err_msg=expected.path)
    assert history == expected_history
    assert metrics["discriminator_auc"] == expected_metrics["discriminator_auc"]
    candidates = data.unlabeled_images
    np.testing.assert_array_equal(resumed.labeled_probability(candidates),
                                  uninterrupted.labeled_probability(candidates))


def test_a_state_of_another_round_is_not_used(tmp_path, fashion_subset):
    """Another round's state (other labels here) in the run's directory starts the round over."""
    config = ExperimentConfig(strategy="m2vaal", initial_labeled=64, budget=32, max_labeled=96, epochs=1,
                              vae_epochs=2, vae_batch_size=32, logdir=str(tmp_path), run_name="run")
    os.makedirs(config.run_dir)
    data = round_data(fashion_subset)
    other = rounds.RoundData(data.labeled_images, (data.labels + 1) % 10, data.unlabeled_images,
                             data.validation_images, data.validation_labels)
    keras.utils.set_random_seed(7)
    learner = models.build("m2vaal", config, (28, 28, 1), 10, round_index=1)
    def state(of):
        return RoundState.for_round(config.run_dir, config.precision, "m2vaal", of, 7, 35)
    state(other).save(learner, 30, {}, 100.0)
    assert state(data).restore(learner) == (0, {}, 0.0)
    assert state(other).restore(learner)[0] == 30


def test_a_state_of_another_precision_is_not_used(tmp_path, fashion_subset):
    """A run moved to a machine where `auto` resolves otherwise redoes the round in one precision,
    the one its record will name."""
    configs = {name: ExperimentConfig(strategy="m2vaal", precision=name, logdir=str(tmp_path), run_name="run")
               for name in ("float32", "mixed_bfloat16")}
    os.makedirs(configs["float32"].run_dir)
    data = round_data(fashion_subset)
    keras.utils.set_random_seed(7)
    learner = models.build("m2vaal", configs["float32"], (28, 28, 1), 10, round_index=1)
    def state(name):
        return RoundState.for_round(configs[name].run_dir, configs[name].precision, "m2vaal", data, 7, 35)
    state("mixed_bfloat16").save(learner, 30, {}, 100.0)
    assert state("float32").restore(learner) == (0, {}, 0.0)
    assert state("mixed_bfloat16").restore(learner)[0] == 30


def test_no_state_is_kept_under_multi_worker():
    """Every worker would have to resume from one state, and only the chief's files outlive a run."""
    assert round_steps.state_dir(ExperimentConfig(distribute="multi_worker")) is None
    assert round_steps.state_dir(ExperimentConfig(run_name="r")) == os.path.join("logs", "r")
    assert RoundState.for_round(None, "float32", "m2vaal", None, 0, 10) is None


def test_process_killed_mid_round_resumes_inside_it_to_the_same_queries(tmp_path, fashion_subset_dir):
    """SIGKILL a real M2-VAAL `train.py` run once its first round's state is on disk, resume it from
    its flags.txt: it goes on from that iteration and queries what an uninterrupted run queries."""
    settings = dict(validation_size=500, strategy="m2vaal", initial_labeled=100, budget=50, max_labeled=150,
                    max_rounds=1, pool_subsample=400, epochs=2, batch_size=32, vae_epochs=2, vae_batch_size=32,
                    projector_every=0)
    flags = [f"--dataset=idx:{fashion_subset_dir}", f"--logdir={tmp_path}", "--run_name=killed"]
    flags += [f"--{name}={value}" for name, value in settings.items()]
    run_dir = tmp_path / "killed"
    kill_train_py_when(flags, (run_dir / FILE_NAME).exists)
    assert json.loads((run_dir / "pool.json").read_text())["rounds"] == []  # killed inside round 0

    resumed = subprocess.run([sys.executable, "train.py", f"--flagfile={run_dir / 'flags.txt'}", "--resume"],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at iteration" in resumed.stdout and not (run_dir / FILE_NAME).exists()

    config = ExperimentConfig(dataset=f"idx:{fashion_subset_dir}", logdir=str(tmp_path), run_name="uninterrupted",
                              **settings)
    uninterrupted = experiment.prepare(config).run(out=lambda line: None)
    final = json.loads((run_dir / "pool.json").read_text())
    assert [r["selected"] for r in final["rounds"]] == [r.selected for r in uninterrupted.rounds]
    assert [r["metrics"]["test_accuracy"] for r in final["rounds"]] == [
        r.metrics["test_accuracy"] for r in uninterrupted.rounds]
