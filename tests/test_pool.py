"""ActivePool: derived views, validation of recorded rounds, atomic save, refusing mismatched resumes."""
import json
import os

import pytest

from m2vaal_tf import atomic
from m2vaal_tf.errors import ConfigError, DataError
from m2vaal_tf.pool import ActivePool

SETTINGS = {"strategy": "entropy", "seed": 0}


def make_pool():
    return ActivePool(SETTINGS, initial_indices=[3, 7], initial_labels=[1, 0], candidates=[0, 1, 2, 4, 5, 6])


def test_views_follow_recorded_rounds():
    pool = make_pool()
    assert pool.unlabeled_indices.tolist() == [0, 1, 2, 4, 5, 6] and not pool.complete
    pool.record_round(2, "entropy", {"test_accuracy": 0.5}, {"train": 1.0}, selected=[5, 1], labels=[2, 2],
                      precision="float32", kernels="cpu avx2")
    assert pool.labeled_indices.tolist() == [3, 7, 5, 1]
    assert pool.labels.tolist() == [1, 0, 2, 2]
    assert pool.unlabeled_indices.tolist() == [0, 2, 4, 6]
    assert pool.next_round == 1 and not pool.complete
    pool.record_round(4, "entropy", {"test_accuracy": 0.6}, {"train": 1.0}, selected=[], labels=[],
                      precision="float32", kernels="cpu avx2")
    assert pool.complete


@pytest.mark.parametrize("selected, labels, message", [
    ([5, 5], [1, 1], "duplicates"),
    ([3], [1], "not unlabelled candidates"),
    ([9], [1], "not unlabelled candidates"),
    ([5], [], "1 selected samples but 0 labels"),
])
def test_bad_rounds_are_refused(selected, labels, message):
    pool = make_pool()
    with pytest.raises(ValueError, match=message):
        pool.record_round(2, "entropy", {}, {}, selected, labels, "float32", "cpu avx2")
    assert pool.next_round == 0


def test_save_load_round_trip(tmp_path):
    pool = make_pool()
    pool.record_round(2, "entropy", {"test_accuracy": 0.5}, {"train": 1.25}, selected=[5, 1], labels=[2, 2],
                      precision="float32", kernels="cpu avx2")
    path = str(tmp_path / "pool.json")
    pool.save(path)
    loaded = ActivePool.load(path, SETTINGS)
    assert loaded.to_json() == pool.to_json()
    assert loaded.rounds[0].seconds == {"train": 1.25}
    assert loaded.rounds[0].precision == "float32" and loaded.rounds[0].kernels == "cpu avx2"


def test_pools_saved_before_rounds_kept_their_precision_load_with_it_unrecorded():
    """The grid's committed records from before 2026-12-01 have no precision or kernels: they stay
    readable."""
    path = os.path.join(os.path.dirname(__file__), "..", "docs", "results", "runs", "B", "B_random_seed0",
                        "pool.json")
    saved = json.load(open(path))
    assert "precision" not in saved["rounds"][0]
    pool = ActivePool.load(path, saved["settings"])
    assert len(pool.rounds) == 25 and {(r.precision, r.kernels) for r in pool.rounds} == {("", "")}


def test_resume_with_changed_settings_is_refused(tmp_path):
    path = str(tmp_path / "pool.json")
    make_pool().save(path)
    with pytest.raises(ConfigError, match="--seed=1 differs from the resumed run's 0"):
        ActivePool.load(path, {"strategy": "entropy", "seed": 1})


def test_corrupt_pool_file_is_a_clear_error(tmp_path):
    path = tmp_path / "pool.json"
    path.write_text('{"format_version": 1, "settings": ')
    with pytest.raises(DataError, match="cannot read the saved pool"):
        ActivePool.load(str(path), SETTINGS)


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = str(tmp_path / "pool.json")
    pool = make_pool()
    pool.save(path)
    before = open(path).read()
    pool.record_round(2, "entropy", {}, {}, selected=[5], labels=[2], precision="float32", kernels="cpu avx2")

    def crash(*args):
        raise KeyboardInterrupt("killed during rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        pool.save(path)
    assert open(path).read() == before
    assert os.listdir(tmp_path) == ["pool.json"]  # no temporary file left behind
    assert json.loads(before)["rounds"] == []


def test_atomic_write_replaces_content(tmp_path):
    path = str(tmp_path / "f.txt")
    atomic.write_text(path, "one")
    atomic.write_text(path, "two")
    assert open(path).read() == "two"
