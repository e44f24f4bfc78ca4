"""Selection of each strategy on hand-made probability vectors, the registry, tie-breaking."""
import numpy as np
import pytest

from m2vaal_tf import strategies
from m2vaal_tf.strategies import uncertainty


class FixedProbabilities:
    """A learner whose predictions are given, so a strategy's choice can be checked by hand."""

    def __init__(self, probabilities_by_index):
        self.probabilities_by_index = probabilities_by_index

    def predict_proba(self, images, batch_size=None):
        return np.stack([self.probabilities_by_index[int(i)] for i in images[:, 0]])


def context_for(probabilities, unlabeled=None, seed=0):
    """A SelectionContext whose 'images' are the pool indices, so the fixed learner can look them up."""
    probabilities = {i: np.asarray(p, dtype=np.float64) for i, p in enumerate(probabilities)}
    pool_size = len(probabilities)
    unlabeled = np.arange(pool_size) if unlabeled is None else np.asarray(unlabeled)
    labeled = np.setdiff1d(np.arange(pool_size), unlabeled)
    return strategies.SelectionContext(
        learner=FixedProbabilities(probabilities), pool_images=np.arange(pool_size)[:, None],
        unlabeled=unlabeled, labeled=labeled, labels=np.zeros(len(labeled), np.int64),
        rng=np.random.default_rng(seed))


# Sample 0 is confident; 1 has a zero margin between two classes; 2 is spread over three classes.
PROBABILITIES = [[0.9, 0.05, 0.05], [0.5, 0.5, 0.0], [0.4, 0.3, 0.3]]


@pytest.mark.parametrize("name, expected_first", [
    ("least_confidence", 2),  # lowest top probability 0.4
    ("margin", 1),  # the two top classes tie exactly
    ("entropy", 2),  # most spread distribution
])
def test_uncertainty_strategies_pick_by_their_measure(name, expected_first):
    selected = strategies.get(name)().select(context_for(PROBABILITIES), budget=2)
    assert selected[0] == expected_first
    assert 0 not in selected  # the confident sample is the last choice of every measure


def test_measures_match_hand_computation():
    p = np.array(PROBABILITIES)
    np.testing.assert_allclose(uncertainty.least_confidence(p), [0.1, 0.5, 0.6])
    np.testing.assert_allclose(uncertainty.margin(p), [-0.85, 0.0, -0.1])
    expected_entropy = [-(0.9 * np.log(0.9) + 2 * 0.05 * np.log(0.05)), np.log(2),
                        -(0.4 * np.log(0.4) + 2 * 0.3 * np.log(0.3))]
    np.testing.assert_allclose(uncertainty.entropy(p), expected_entropy, rtol=1e-9)


def test_ties_go_to_the_lower_pool_index_whatever_the_order():
    tied = [[0.5, 0.5]] * 6
    for unlabeled in ([5, 3, 1, 0, 4, 2], [0, 1, 2, 3, 4, 5]):
        assert strategies.get("margin")().select(context_for(tied, unlabeled=unlabeled), 3).tolist() == [0, 1, 2]


@pytest.mark.parametrize("name", ["random", "least_confidence", "margin", "entropy"])
def test_selection_is_distinct_and_only_unlabeled(name):
    rng = np.random.default_rng(3)
    probabilities = rng.dirichlet(np.ones(4), size=50)
    unlabeled = np.sort(rng.choice(50, size=30, replace=False))
    selected = strategies.get(name)().select(context_for(probabilities, unlabeled=unlabeled), 12)
    assert len(selected) == 12 == len(set(selected.tolist()))
    assert set(selected.tolist()) <= set(unlabeled.tolist())


def test_random_is_determined_by_the_round_generator():
    probabilities = [[0.5, 0.5]] * 100
    first = strategies.get("random")().select(context_for(probabilities, seed=7), 10)
    again = strategies.get("random")().select(context_for(probabilities, seed=7), 10)
    other = strategies.get("random")().select(context_for(probabilities, seed=8), 10)
    assert first.tolist() == again.tolist() and first.tolist() != other.tolist()


def test_probabilities_are_computed_once_per_context():
    calls = []

    class Counting(FixedProbabilities):
        def predict_proba(self, images, batch_size=None):
            calls.append(len(images))
            return super().predict_proba(images)

    context = context_for(PROBABILITIES)
    context.learner = Counting(context.learner.probabilities_by_index)
    strategies.get("entropy")().select(context, 1)
    strategies.get("margin")().select(context, 1)
    assert calls == [3]


def test_registry_rejects_unknown_names():
    assert {"random", "least_confidence", "margin", "entropy"} <= set(strategies.names())
    with pytest.raises(ValueError, match="unknown strategy 'coin_flip'; choose one of: .*entropy"):
        strategies.get("coin_flip")


TOY_STRATEGY = '''
"""A toy strategy with a setting of its own: every k-th unlabelled sample."""
from m2vaal_tf.strategies import base


@base.register
class EveryKth(base.Strategy):
    name = "every_kth"

    def __init__(self, stride):
        self.stride = stride

    @classmethod
    def from_config(cls, config):
        return cls(stride=config.toy_stride)

    def choose(self, outputs, budget):
        return list(range(len(outputs.unlabeled)))[::self.stride][:budget]
'''


def test_a_strategy_with_its_own_flag_is_a_file_a_field_and_a_registry_line(tmp_path, monkeypatch, fashion_subset):
    import dataclasses
    import importlib.util

    from absl import flags as absl_flags

    from m2vaal_tf import experiment, flags
    from m2vaal_tf.config import ExperimentConfig
    from m2vaal_tf.errors import ConfigError
    from m2vaal_tf.settings import setting
    from m2vaal_tf.strategies import base

    # The file ...
    (tmp_path / "every_kth.py").write_text(TOY_STRATEGY)
    monkeypatch.setattr(base.REGISTRY, "classes", dict(base.REGISTRY.classes))  # forget the toy afterwards
    # ... its registry line (strategies/__init__.py imports each strategy module) ...
    spec = importlib.util.spec_from_file_location("every_kth", tmp_path / "every_kth.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))

    # ... and its field.
    @dataclasses.dataclass(frozen=True)
    class Config(ExperimentConfig):
        toy_stride: int = setting(3, "Take every k-th unlabelled sample.", minimum=1)

    flag_values = absl_flags.FlagValues()
    flags.define_flags(Config, flag_values)
    flag_values(["train.py", "--strategy=every_kth", "--toy_stride=7", "--initial_labeled=50", "--budget=20",
                 "--max_labeled=70", "--pool_subsample=400", "--epochs=1", "--projector_every=0",
                 f"--logdir={tmp_path}", "--run_name=toy"])
    config = flags.to_config(flag_values, Config)
    assert config.toy_stride == 7 and "--toy_stride=7" in flags.flagfile_text(config)
    assert "every_kth" in flag_values["strategy"].help  # the registry gives the flag its choices

    run = experiment.prepare(config, dataset=fashion_subset)
    unlabeled = run.pool.unlabeled_indices
    run.run(out=lambda line: None)
    assert run.pool.rounds[0].selected == unlabeled[::7][:20].tolist()
    with pytest.raises(ConfigError, match="--toy_stride=0 must be at least 1"):
        dataclasses.replace(config, toy_stride=0)
