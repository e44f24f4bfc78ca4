"""`m2vaal_tf.select`: selection on any model's arrays is the round loop's selection, with clear
errors for arrays that do not fit, and no TensorFlow."""
import subprocess
import sys

import numpy as np
import pytest

import m2vaal_tf
from m2vaal_tf import strategies
from m2vaal_tf.config import ExperimentConfig

POOL, CLASSES, LABELED = 120, 10, 15


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(7)
    labeled = np.sort(rng.choice(POOL, LABELED, replace=False))
    return dict(labeled=labeled, probabilities=rng.dirichlet(np.ones(CLASSES) * 0.3, size=POOL),
                embeddings=rng.normal(size=(POOL, 6)).astype(np.float32), labels=rng.integers(0, CLASSES, POOL),
                discriminator_probability=rng.uniform(size=POOL),
                sampled_probabilities=rng.dirichlet(np.ones(CLASSES), size=(4, POOL)))


class ArrayLearner:
    """A round's learner whose outputs are the arrays, looked up by the images (image i holds i)."""

    def __init__(self, arrays):
        self.arrays = arrays

    def predict_proba(self, images):
        return self.arrays["probabilities"][images[:, 0]]

    def embed(self, images):
        return self.arrays["embeddings"][images[:, 0]]

    def labeled_probability(self, images):
        return self.arrays["discriminator_probability"][images[:, 0]]

    def sample_probabilities(self, images, samples):
        return self.arrays["sampled_probabilities"][:samples, images[:, 0]]


@pytest.mark.parametrize("name", strategies.names())
def test_select_on_arrays_is_the_round_loops_selection(arrays, name):
    labeled = arrays["labeled"]
    unlabeled = np.setdiff1d(np.arange(POOL), labeled)
    context = strategies.SelectionContext(
        learner=ArrayLearner(arrays), pool_images=np.arange(POOL)[:, None], unlabeled=unlabeled, labeled=labeled,
        labels=arrays["labels"][labeled], rng=np.random.default_rng(11))
    config = ExperimentConfig(strategy=name, uncertainty="margin", mc_samples=4)
    expected = strategies.create(config).select(context, 9)
    outputs = {k: v for k, v in arrays.items() if k != "labeled"}
    selected = m2vaal_tf.select(name, 9, labeled, seed=11, uncertainty="margin", **outputs)
    assert selected.tolist() == expected.tolist()
    assert len(set(selected.tolist())) == 9 and not np.isin(selected, labeled).any()


def test_a_mask_indices_lists_and_labels_per_labelled_sample_agree(arrays):
    labeled = arrays["labeled"]
    mask = np.zeros(POOL, bool)
    mask[labeled] = True
    by_mask = m2vaal_tf.select("algorithm1", 10, mask, probabilities=arrays["probabilities"],
                               embeddings=arrays["embeddings"], labels=arrays["labels"])
    shuffled = labeled[::-1]  # indices in any order, labels aligned with them
    by_indices = m2vaal_tf.select("algorithm1", 10, shuffled.tolist(), probabilities=arrays["probabilities"].tolist(),
                                  embeddings=arrays["embeddings"], labels=arrays["labels"][shuffled])
    assert by_mask.tolist() == by_indices.tolist()


def test_the_highest_uncertainty_comes_first():
    probabilities = np.array([[0.9, 0.1], [0.5, 0.5], [0.6, 0.4], [1.0, 0.0]])
    assert m2vaal_tf.select("entropy", 3, [3], probabilities=probabilities).tolist() == [1, 2, 0]
    assert m2vaal_tf.select("vaal", 2, [0], discriminator_probability=[0.1, 0.9, 0.2, 0.05]).tolist() == [3, 2]


@pytest.mark.parametrize("call, message", [
    (lambda a: m2vaal_tf.select("coreset", 5, a["labeled"], probabilities=a["probabilities"]), "needs embeddings="),
    (lambda a: m2vaal_tf.select("entropy", 5, a["labeled"]), "needs the model's outputs"),
    (lambda a: m2vaal_tf.select("entropy", 5, a["labeled"], probabilities=a["probabilities"],
                                embeddings=a["embeddings"][:50]), "disagree on the pool's size"),
    (lambda a: m2vaal_tf.select("entropy", 0, a["labeled"], probabilities=a["probabilities"]), "budget=0"),
    (lambda a: m2vaal_tf.select("entropy", POOL, a["labeled"], probabilities=a["probabilities"]), "unlabelled"),
    (lambda a: m2vaal_tf.select("entropy", 5, [1, 1], probabilities=a["probabilities"]), "twice"),
    (lambda a: m2vaal_tf.select("entropy", 5, [POOL], probabilities=a["probabilities"]), "outside the pool"),
    (lambda a: m2vaal_tf.select("entropy", 5, np.zeros(3, bool), probabilities=a["probabilities"]), "mask of 3"),
    (lambda a: m2vaal_tf.select("algorithm1", 5, a["labeled"], probabilities=a["probabilities"],
                                embeddings=a["embeddings"], labels=[1, 2]), "labels= has 2 entries"),
    (lambda a: m2vaal_tf.select("nonsense", 5, a["labeled"], probabilities=a["probabilities"]), "nonsense"),
])
def test_arrays_that_do_not_fit_are_named(arrays, call, message):
    with pytest.raises(ValueError, match=message):
        call(arrays)


def test_importing_the_library_for_selection_loads_no_tensorflow():
    code = ("import sys, m2vaal_tf; m2vaal_tf.select('margin', 1, [0], probabilities=[[0.5, 0.5], [0.9, 0.1]]); "
            "print('tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
