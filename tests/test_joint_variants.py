"""The joint model's variants (issue 53): each one's loss against a numpy reference, the gradient
paths each one opens or closes, M2-VAAL without D, and the validation checkpoints of the joint
classifier."""
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT

from m2vaal_tf import models, rounds
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.models import joint_checkpoints, m2vaal


def tiny_config(**overrides):
    return ExperimentConfig(**{**dict(strategy="m2vaal", initial_labeled=10, budget=5, max_labeled=20, epochs=1,
                                      precision="float32"), **overrides})


def build(family="m2vaal", **overrides):
    keras.utils.set_random_seed(0)
    return models.build(family, tiny_config(**overrides), (28, 28, 1), 10, 1)


@pytest.fixture(scope="module")
def batch(fashion_subset):
    images = fashion_subset.pool_images.astype("float32")
    return images[:4], fashion_subset.pool_labels[:4], images[4:10]


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid_bce(logits, target):
    return np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))


def kl(mean, log_var):
    return 0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1.0 - log_var, axis=1)


@pytest.fixture
def fixed_noise(monkeypatch):
    """The Gumbel noise's uniform draws, fixed (0.3 everywhere) so numpy can repeat the sample."""
    monkeypatch.setattr(m2vaal.keras.random, "uniform", lambda shape, **kwargs: tf.fill(shape, 0.3))
    return 0.3


def test_kingma_objective_matches_numpy(batch, fixed_noise):
    """Labelled images decoded with their one-hot label, unlabelled with the Gumbel-softmax sample of
    y'; the task term is L_T minus the entropy of y' per pixel; D still reads y'."""
    model = build(m2_objective="kingma", gumbel_temperature=0.5, beta=0.5)
    model.task_network.get_layer("features_dropout").rate = 0.0
    model.sample_latent = lambda mean, log_var: mean
    labeled, labels, unlabeled = batch
    images = np.concatenate([labeled, unlabeled])
    decoder_side, discriminator_side, task, report = model.sides_and_task(images, labels, first=False)

    logits = model.task_network(images, training=False).numpy().astype(np.float64)
    probabilities = softmax(logits)
    gumbel = -np.log(-np.log(fixed_noise))
    sample = softmax((np.log(probabilities[4:]) + gumbel) / 0.5)
    expected_side = np.concatenate([np.eye(10)[labels], sample])
    np.testing.assert_allclose(decoder_side.numpy(), expected_side, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(discriminator_side.numpy(), probabilities, rtol=1e-4, atol=1e-7)
    cross_entropy = -np.log(probabilities[np.arange(4), labels]).mean()
    entropy = -(probabilities[4:] * np.log(probabilities[4:])).sum(axis=1)
    np.testing.assert_allclose(float(task), cross_entropy - entropy.mean() / 784, rtol=1e-4)
    np.testing.assert_allclose(float(report["entropy"]), entropy.mean(), rtol=1e-4)

    terms = model.game_terms(labeled, unlabeled, first=False, labels=labels)
    mean, log_var = (t.numpy() for t in model.encoder(images))
    output = model.decoder(np.concatenate([mean, expected_side], 1).astype("float32")).numpy()
    per_example = (sigmoid_bce(output, images / 255.0).sum(axis=(1, 2, 3)) + 0.5 * kl(mean, log_var)) / 784
    np.testing.assert_allclose(float(terms["vae_labeled"]), per_example[:4].mean(), rtol=1e-4)
    np.testing.assert_allclose(float(terms["vae_unlabeled"]), per_example[4:].mean(), rtol=1e-4)
    np.testing.assert_allclose(float(terms["kl"]), kl(mean, log_var).mean(), rtol=1e-4)


@pytest.mark.parametrize("variant, weight", [(dict(), 1.0), (dict(adversary_weight=1 / 784), 1 / 784),
                                             (dict(adversarial=False), 0.0)])
def test_objective_total_weighs_the_adversarial_term_as_the_variant_says(batch, variant, weight):
    """(a) eq. 8, (c) L_adv on the per-pixel ELBO's scale, and eq. 9: the joint step's total."""
    model = build(**variant)
    labeled, labels, unlabeled = batch
    t = model.game_terms(labeled, unlabeled, first=False, labels=labels)
    expected = (float(t["vae_labeled"]) + float(t["vae_unlabeled"]) + float(t["task_loss"])
                + weight * (t["adv_labeled"].numpy().mean() + t["adv_unlabeled"].numpy().mean()))
    np.testing.assert_allclose(float(model.objective_total(t)), expected, rtol=1e-5)


@pytest.mark.parametrize("switch", [True, False])
def test_kingma_decoder_gradient_reaches_the_classifier_through_unlabelled_samples_only(batch, switch):
    model = build(m2_objective="kingma", classifier_gets_vae_grad=switch, adversarial=False)
    labeled, labels, unlabeled = batch
    variables = model.task_network.trainable_variables

    def reaches(part):
        with tf.GradientTape() as tape:
            t = model.game_terms(labeled, unlabeled, first=False, labels=labels)
            loss = t[f"vae_{part}"]
        return any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in tape.gradient(loss, variables))

    assert not reaches("labeled")  # M2's labelled bound has no q(y|x)
    assert reaches("unlabeled") == switch


def test_without_discriminator_steps_d_stays_untrained_and_the_joint_model_learns(batch):
    model = build(strategy="algorithm1", adversarial=False, disc_steps=0)
    labeled, labels, unlabeled = batch
    d_before = [w.numpy().copy() for w in model.discriminator.weights]
    c_before = [w.numpy().copy() for w in model.task_network.weights]
    weights_l, weights_u = np.ones(4, "float32"), np.ones(6, "float32")
    report = model.train_step((((labeled, labels, weights_l), (unlabeled, weights_u)),))
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(d_before, model.discriminator.weights))
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(c_before, model.task_network.weights))
    assert float(report["discriminator_loss"]) == 0.0


@pytest.mark.parametrize("settings, message", [
    (dict(strategy="m2vaal", disc_steps=0), "needs D"),
    (dict(strategy="m2vaal_noadv", disc_steps=0), "needs D"),
    (dict(strategy="vaal", disc_steps=0), "needs D"),
    (dict(strategy="algorithm1", adversarial=True, disc_steps=0), "--noadversarial"),
    (dict(strategy="m2vaal", joint_keep_best=True), "--joint_checkpoints"),
    (dict(strategy="m2vaal", m2_objective="enumerate"), "--m2_objective"),
])
def test_settings_that_cannot_work_are_refused(settings, message):
    with pytest.raises(ConfigError, match=message):
        tiny_config(**settings)


def test_no_discriminator_is_accepted_where_nothing_reads_it():
    assert tiny_config(strategy="algorithm2", adversarial=False, disc_steps=0).disc_steps == 0


def test_best_weights_keep_the_best_offer_and_live_in_the_learner():
    model = build(joint_checkpoints=4)
    best = model.best
    assert all(any(v is w for w in model.variables) for v in best.weights)  # the round state saves them
    first = [w.numpy().copy() for w in model.task_network.weights]
    best.offer(0.5, 10)
    for w in model.task_network.weights:
        w.assign(w + 1.0)
    best.offer(0.4, 20)  # worse: not kept
    best.offer(0.5, 30)  # a tie: the earlier stays
    assert float(best.accuracy.numpy()) == 0.5 and int(best.iteration.numpy()) == 10
    best.restore()
    assert all(np.array_equal(f, w.numpy()) for f, w in zip(first, model.task_network.weights))


def test_a_round_with_checkpoints_reports_and_keeps_the_best(tmp_path, fashion_subset):
    """A short real round: the best checkpoint's validation accuracy is reported, and with
    --joint_keep_best the round ends with that classifier."""
    config = tiny_config(joint_checkpoints=3, joint_keep_best=True, vae_epochs=2, vae_batch_size=32,
                         logdir=str(tmp_path))
    keras.utils.set_random_seed(0)
    learner = models.build("m2vaal", config, fashion_subset.image_shape, 10, 0)
    data = rounds.RoundData(fashion_subset.pool_images[:40], fashion_subset.pool_labels[:40],
                            fashion_subset.pool_images[40:400], fashion_subset.val_images[:300],
                            fashion_subset.val_labels[:300])
    result = rounds.train(learner, data, config, seed=0)
    history, metrics = result.history, result.metrics
    accuracy = float(np.mean(learner.predict_proba(data.validation_images).argmax(axis=1) == data.validation_labels))
    assert 1 <= metrics["joint_best_iteration"] <= metrics["vae_iterations"]
    assert accuracy == pytest.approx(metrics["joint_best_validation_accuracy"], abs=1e-6)
    assert metrics["joint_best_validation_accuracy"] >= metrics["joint_last_validation_accuracy"]
    assert "kl_divergence" in history and metrics["vae_iterations"] == (40 + 360) * 2 // 32


def test_checkpoints_are_evenly_spaced():
    seen = []

    class Recorder:
        def offer(self, accuracy, iteration):
            seen.append(iteration)

    class Learner:
        optimizer = type("O", (), {"iterations": tf.Variable(0)})()

        def predict_proba(self, images):
            return np.eye(2)[np.zeros(len(images), int)]

    learner = Learner()
    callback = joint_checkpoints.ValidationCheckpoints(learner, Recorder(), np.zeros((3, 2)), np.zeros(3, int),
                                                       count=4, iterations=10, steps_per_iteration=1)
    for step in range(1, 11):
        learner.optimizer.iterations.assign(step)
        callback.on_train_batch_end(step - 1)
    assert seen == [2, 4, 6, 8, 10] and callback.last_accuracy == 1.0


def test_every_joint_study_cell_is_a_valid_configuration():
    """A cell that cannot be configured would fail hours into a lane: every one is built here."""
    import sys
    sys.path.insert(0, os.path.join(PROJECT_ROOT, "scripts"))
    import joint_study
    for protocol in joint_study.PROTOCOLS:
        for variant in joint_study.VARIANTS:
            config = joint_study.config_for(protocol, variant, seed=1)
            assert config.joint_checkpoints == joint_study.CHECKPOINTS and config.candidates_per_round == 10000
            assert config.resolved().disc_steps == (0 if protocol == "C" and not config.adversarial else 1)
    cells = [dict(protocol="C", variant="kingma", seed=s, joint_accuracy=a, joint_best_checkpoint_accuracy=a,
                  reference_accuracy=0.6, task_loss=1e-4, kl_nats=10.0, reconstruction=0.3, discriminator_auc=None,
                  seconds=1.0) for s, a in ((0, 0.62), (1, 0.66))]
    row = joint_study.table(cells).splitlines()[-1]
    assert "| C | kingma | 0,1 | 0.640 ± 0.028 |" in row and "| 0.040 ± 0.028 |" in row


def test_vaal_elbo_is_official_vaal_but_for_its_vae_loss(batch):
    official, elbo = build("vaal", strategy="vaal"), build("vaal_elbo", strategy="vaal_elbo")
    assert (official.vae_loss, elbo.vae_loss) == ("vaal", "elbo")
    assert elbo.vae_steps == official.vae_steps == 2 and elbo.disc_steps == official.disc_steps == 1
    assert [w.shape for w in elbo.weights] == [w.shape for w in official.weights]
    labeled, labels, unlabeled = batch
    elbo.sample_latent = lambda mean, log_var: mean
    t = elbo.game_terms(labeled, unlabeled, first=False)
    mean, log_var = (v.numpy() for v in elbo.encoder(labeled))
    output = elbo.decoder(mean).numpy()
    expected = ((sigmoid_bce(output, labeled / 255.0).sum(axis=(1, 2, 3)) + kl(mean, log_var)) / 784).mean()
    np.testing.assert_allclose(float(t["vae_labeled"]), expected, rtol=1e-4)
