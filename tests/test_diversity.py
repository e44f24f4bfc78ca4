"""The diversity strategies on hand-made latent points: farthest-first, quotas, uncertainty
weighting, k-center against brute force, BALD, and no duplicates or labelled picks anywhere."""

import numpy as np
import pytest

from m2vaal_tf import strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.strategies import algorithm1, algorithm2, bald, greedy


def test_farthest_first_picks_the_farthest_then_accounts_for_it():
    # Anchor at 0. Candidates at 10, 9 and -9: 10 is farthest; then 9 sits next to 10 (total
    # distance 9 + 1 = 10) while -9 is far from both (9 + 19 = 28), so -9 comes second.
    points = np.array([[9.0], [10.0], [-9.0]])
    assert greedy.farthest_first(points, np.array([[0.0]]), 2).tolist() == [1, 2]


def test_total_and_nearest_distance_reductions():
    points, anchors = np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 0.0], [6.0, 8.0]])
    np.testing.assert_allclose(greedy.reduce_distances(points, anchors, "sum"), [10.0, 10.0], rtol=1e-6)
    np.testing.assert_allclose(greedy.reduce_distances(points, anchors, "min"), [0.0, 5.0], atol=1e-3)


def test_chunked_distances_match_direct_computation(monkeypatch):
    monkeypatch.setattr(greedy, "_POOL_CHUNK", 7)
    monkeypatch.setattr(greedy, "_ANCHOR_CHUNK", 3)
    rng = np.random.default_rng(0)
    points, anchors = rng.normal(size=(50, 4)), rng.normal(size=(11, 4))
    direct = np.linalg.norm(points[:, None] - anchors[None], axis=2)
    np.testing.assert_allclose(greedy.reduce_distances(points, anchors, "sum"), direct.sum(1), rtol=1e-4)
    np.testing.assert_allclose(greedy.reduce_distances(points, anchors, "min"), direct.min(1), rtol=1e-3, atol=1e-3)


def test_k_center_matches_brute_force():
    """Greedy k-center: each pick maximises the distance to the nearest chosen-or-labelled point."""
    rng = np.random.default_rng(1)
    points, anchors = rng.normal(size=(40, 3)), rng.normal(size=(5, 3))
    picks = greedy.farthest_first(points, anchors, 6, reduce="min")
    centres, expected = list(anchors), []
    for _ in range(6):
        nearest = [min(np.linalg.norm(p - c) for c in centres) for p in points]
        for i in expected:
            nearest[i] = -1
        expected.append(int(np.argmax(nearest)))
        centres.append(points[expected[-1]])
    assert picks.tolist() == expected


@pytest.mark.parametrize("budget, available, expected", [
    (10, [5, 5, 5, 5, 5], [2, 2, 2, 2, 2]),
    (12, [5, 5, 5, 5, 5], [3, 3, 2, 2, 2]),  # remainder to the lowest classes
    (10, [0, 1, 5, 5, 5], [0, 1, 3, 3, 3]),  # shares of empty / small classes move on in class order
    (10, [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]),  # not enough candidates at all
])
def test_class_quotas(budget, available, expected):
    quotas = algorithm1.class_quotas(budget, np.array(available))
    assert quotas.tolist() == expected


class LatentLearner:
    """A learner with given probabilities and embeddings (indexed by the 'image', a pool index)."""

    def __init__(self, probabilities, embeddings):
        self.probabilities, self.embeddings = np.asarray(probabilities, float), np.asarray(embeddings, float)

    def predict_proba(self, images, batch_size=None):
        return self.probabilities[images[:, 0]]

    def embed(self, images, batch_size=None):
        return self.embeddings[images[:, 0]]

    def sample_probabilities(self, images, samples, batch_size=None):
        return np.stack([self.predict_proba(images)] * samples)


def make_context(probabilities, embeddings, labeled, labels):
    pool_size = len(probabilities)
    labeled = np.asarray(labeled)
    return strategies.SelectionContext(
        learner=LatentLearner(probabilities, embeddings), pool_images=np.arange(pool_size)[:, None],
        unlabeled=np.setdiff1d(np.arange(pool_size), labeled), labeled=labeled, labels=np.asarray(labels),
        rng=np.random.default_rng(0))


def test_algorithm2_prefers_the_uncertain_of_two_equally_distant_points():
    # Labelled anchor at the origin (index 0); candidates 1 and 2 equally far, 2 is uncertain.
    probabilities = [[0.9, 0.1], [0.95, 0.05], [0.55, 0.45], [0.9, 0.1]]
    embeddings = [[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [1.0, 0.0]]
    for measure in ("least_confidence", "margin", "entropy"):
        context = make_context(probabilities, embeddings, labeled=[0], labels=[0])
        assert algorithm2.Algorithm2(uncertainty_measure=measure).select(context, 1).tolist() == [2]


def test_algorithm1_fills_each_predicted_class_from_its_own_anchors():
    # Class 0 labelled at x=0, class 1 labelled at x=100; two candidates predicted per class.
    probabilities = [[1, 0], [0, 1], [1, 0], [1, 0], [0, 1], [0, 1]]
    embeddings = [[0.0], [100.0], [1.0], [5.0], [99.0], [90.0]]
    context = make_context(probabilities, embeddings, labeled=[0, 1], labels=[0, 1])
    selected = strategies.get("algorithm1")().select(context, 2)
    assert selected.tolist() == [3, 5]  # per class, the farthest from that class's anchor


def test_bald_is_zero_for_a_deterministic_model():
    probabilities = np.random.default_rng(0).dirichlet(np.ones(4), size=7)
    np.testing.assert_allclose(bald.mutual_information(np.stack([probabilities] * 5)), 0.0, atol=1e-12)
    disagreeing = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    np.testing.assert_allclose(bald.mutual_information(disagreeing), [np.log(2)], rtol=1e-6)


@pytest.mark.parametrize("name", ["algorithm1", "algorithm2", "coreset", "bald", "badge"])
def test_no_duplicates_and_no_labeled_indices(name):
    rng = np.random.default_rng(2)
    probabilities = rng.dirichlet(np.ones(3) * 0.5, size=60)
    embeddings = rng.normal(size=(60, 5))
    labeled = rng.choice(60, size=15, replace=False)
    context = make_context(probabilities, embeddings, labeled, rng.integers(0, 3, size=15))
    selected = strategies.create(ExperimentConfig(strategy=name, mc_samples=3)).select(context, 20)
    assert len(selected) == 20 == len(set(selected.tolist()))
    assert not set(selected.tolist()) & set(labeled.tolist())


@pytest.mark.parametrize("strategy", ["algorithm1", "algorithm2", "coreset", "bald", "badge"])
def test_short_real_run_logs_selection_diagnostics(tmp_path, fashion_subset, strategy):
    import csv

    from m2vaal_tf import experiment
    config = ExperimentConfig(strategy=strategy, initial_labeled=64, budget=40, max_labeled=104, epochs=4,
                              pool_subsample=500, batch_size=32, mc_samples=5, vae_epochs=2, vae_batch_size=32,
                              logdir=str(tmp_path), run_name=strategy)
    pool = experiment.prepare(config, dataset=fashion_subset).run(out=lambda line: None)
    first = pool.rounds[0]
    truth = fashion_subset.pool_labels[first.selected]
    assert sum(first.metrics[f"selected_class_{c}"] for c in range(10)) == 40
    assert [first.metrics[f"selected_class_{c}"] for c in range(10)] == np.bincount(truth, minlength=10).tolist()
    assert 0.0 <= first.metrics["selected_misclassified"] <= 1.0 and first.metrics["selected_mean_distance"] > 0
    with open(tmp_path / strategy / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["selected_misclassified"] != "" and rows[1]["selected_misclassified"] == ""
