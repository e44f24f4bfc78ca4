"""The VAAL-family learners: networks, loss terms against hand computations, the switches,
selection by the discriminator, and short real runs."""
import csv
import io
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT, free_port, two_cpu_launcher

from m2vaal_tf import experiment, models, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.models import losses, networks
from m2vaal_tf.rounds import budget
from m2vaal_tf.rounds import streams as pipelines


@pytest.mark.parametrize("size, low, high", [("small", 0.7e6, 1.0e6), ("large", 2.8e6, 3.6e6)])
def test_network_shapes_and_sizes(size, low, high):
    preset = networks.PRESETS[size]
    classifier = networks.build_classifier((28, 28, 1), 10, preset)
    encoder = networks.build_encoder((28, 28, 1), preset)
    decoder = networks.build_decoder((28, 28, 1), preset.latent_dim + 10, preset)
    discriminator = networks.build_discriminator(preset.latent_dim + 10, preset)
    taps, ranker = networks.build_ranker(classifier, preset)
    images = np.random.default_rng(0).uniform(0, 255, (3, 28, 28, 1)).astype("float32")
    assert classifier(images).shape == (3, 10)
    assert [t.shape for t in encoder(images)] == [(3, 32), (3, 32)]
    assert decoder(np.zeros((3, 42), "float32")).shape == (3, 28, 28, 1)
    assert discriminator(np.zeros((3, 42), "float32")).shape == (3, 1)
    tap_values = taps(images)
    assert tap_values[-1].shape == (3, 10) and ranker(tap_values[:3]).shape == (3, 1)
    assert low < classifier.count_params() < high


@pytest.mark.parametrize("image_shape", [(14, 14, 1), (32, 32, 3)])
def test_decoder_matches_any_square_input(image_shape):
    assert networks.build_decoder(image_shape, 32).output.shape[1:] == image_shape


def tiny_config(**overrides):
    return ExperimentConfig(**{**dict(initial_labeled=10, budget=5, max_labeled=20, epochs=1), **overrides})


def build(family, round_index=1, **overrides):
    """A learner as in a later round (TA-VAAL's ranker is random only in round 0)."""
    keras.utils.set_random_seed(0)
    return models.build(family, tiny_config(**overrides), (28, 28, 1), 10, round_index)


@pytest.fixture(scope="module")
def batch(fashion_subset):
    images = fashion_subset.pool_images.astype("float32")
    return images[:4], fashion_subset.pool_labels[:4], images[4:10]


def sigmoid_bce(logits, target):
    return np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))


def game_terms(model, labeled, unlabeled, first=False):
    """The per-example terms of one game step, outside any optimizer (z = μ)."""
    model.sample_latent = lambda mean, log_var: mean
    return model.game_terms(labeled, unlabeled, first)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("form", ["elbo", "vaal", "tavaal"])
def test_vae_loss_forms_match_the_official_codes(batch, form):
    rng = np.random.default_rng(0)
    images = batch[0] / 255.0
    output = rng.normal(size=images.shape).astype("float32")
    mean, log_var = (rng.normal(size=(4, 32)).astype("float32") for _ in range(2))
    loss, _, reconstruction = losses.vae_loss(form, images, output, mean, log_var, beta=0.5)
    kl = 0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1.0 - log_var, axis=1)
    if form == "elbo":
        per_pixel = sigmoid_bce(output, images).sum(axis=(1, 2, 3))
        expected, expected_reconstruction = np.mean((per_pixel + 0.5 * kl) / 784), per_pixel / 784
    else:
        mse = np.mean((output - images) ** 2, axis=(1, 2, 3))
        kl_term = kl.sum() if form == "vaal" else np.mean(kl / 32)  # solver.py sums; TA-VAAL averages
        expected, expected_reconstruction = mse.mean() + 0.5 * kl_term, mse
    np.testing.assert_allclose(float(loss), expected, rtol=1e-4)
    np.testing.assert_allclose(reconstruction.numpy(), expected_reconstruction, rtol=1e-4)


def test_m2vaal_terms_match_hand_computation(batch):
    model = build("m2vaal", beta=0.5)
    labeled, labels, unlabeled = batch
    terms = {k: v.numpy() for k, v in game_terms(model, labeled, unlabeled).items() if k.startswith(("vae", "adv"))}

    def by_hand(images):
        probabilities = softmax(model.task_network(images, training=False).numpy())
        mean, log_var = (t.numpy() for t in model.encoder(images))
        logits = model.decoder(np.concatenate([mean, probabilities], 1)).numpy()
        reconstruction = sigmoid_bce(logits, images / 255.0).sum(axis=(1, 2, 3))
        kl = 0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1.0 - log_var, axis=1)
        d_logit = model.discriminator(np.concatenate([mean, probabilities], 1)).numpy()[:, 0]
        return np.mean((reconstruction + 0.5 * kl) / 784.0), sigmoid_bce(d_logit, 1.0)

    vae_labeled, adv_labeled = by_hand(labeled)
    vae_unlabeled, adv_unlabeled = by_hand(unlabeled)
    np.testing.assert_allclose(terms["vae_labeled"], vae_labeled, rtol=1e-4)
    np.testing.assert_allclose(terms["vae_unlabeled"], vae_unlabeled, rtol=1e-4)
    np.testing.assert_allclose(terms["adv_labeled"], adv_labeled, rtol=1e-4)
    np.testing.assert_allclose(terms["adv_unlabeled"], adv_unlabeled, rtol=1e-4)


def test_m2vaal_reads_one_y_prime_everywhere(batch):
    """Decoder, L_adv, D's training and selection all see y' with dropout off."""
    model = build("m2vaal")
    images = batch[0]
    expected = softmax(model.task_network(images, training=False).numpy())
    decoder_side, discriminator_side = model.sides(images, first=tf.constant(True))
    np.testing.assert_allclose(decoder_side.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(discriminator_side.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(model.code(images).numpy()[:, 32:], expected, rtol=1e-5)


def one_iteration(model, batch, pairs=1, holdout=False):
    labeled, labels, unlabeled = batch
    weights_l, weights_u = np.ones(len(labeled), "float32"), np.ones(len(unlabeled), "float32")
    if holdout:
        weights_l[:], weights_u[:] = 0.0, 0.0
    pair = ((labeled, labels, weights_l), (unlabeled, weights_u))
    return model.train_step((pair,) * pairs)


def test_discriminator_learns_without_adversary_and_not_from_held_out_samples(batch):
    """--noadversarial leaves the VAE's adversarial term out but D still learns; samples held out
    of D's training (weight 0) leave D as it was."""
    model = build("m2vaal_noadv")
    before = [w.numpy().copy() for w in model.discriminator.weights]
    one_iteration(model, batch, holdout=True)
    assert all(np.allclose(b, w.numpy()) for b, w in zip(before, model.discriminator.weights))
    one_iteration(model, batch)
    assert not model.adversarial
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, model.discriminator.weights))


@pytest.mark.parametrize("switch", [True, False])
def test_vae_gradient_reaches_the_classifier_only_when_switched_on(batch, switch):
    model = build("m2vaal", classifier_gets_vae_grad=switch)
    labeled, labels, unlabeled = batch
    with tf.GradientTape() as tape:
        terms = game_terms(model, labeled, unlabeled)
        unlabeled_only = terms["vae_unlabeled"] + tf.reduce_mean(terms["adv_unlabeled"])
    gradients = tape.gradient(unlabeled_only, model.task_network.trainable_variables)
    reached = any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)
    assert reached == switch


def test_adversarial_gradient_trains_the_encoder_not_the_classifier(batch):
    model = build("m2vaal")
    labeled, labels, unlabeled = batch
    with tf.GradientTape(persistent=True) as tape:
        terms = game_terms(model, labeled, unlabeled)
        adversarial = tf.reduce_mean(terms["adv_labeled"]) + tf.reduce_mean(terms["adv_unlabeled"])
    assert all(g is None for g in tape.gradient(adversarial, model.task_network.trainable_variables))
    assert any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0
               for g in tape.gradient(adversarial, model.encoder.trainable_variables))


@pytest.mark.parametrize("family", ["vaal", "tavaal", "m2vaal"])
def test_discriminator_strategy_queries_the_lowest_probability(family, batch):
    model = build(family)
    images = np.concatenate([batch[0], batch[2]])
    probability = model.labeled_probability(images, batch_size=4)
    assert probability.shape == (10,) and np.all((probability > 0) & (probability < 1))
    context = strategies.SelectionContext(
        learner=model, pool_images=images, unlabeled=np.arange(10), labeled=np.array([], np.int64),
        labels=np.array([], np.int64), rng=np.random.default_rng(0))
    selected = strategies.get(family)().select(context, 3)
    assert sorted(selected.tolist()) == sorted(np.argsort(probability, kind="stable")[:3].tolist())


def test_tavaal_draws_r_at_random_in_the_first_iteration_only(batch):
    model = build("tavaal", round_index=0)
    images = batch[0]
    r = model.task_learner.score(images).numpy()
    decoder_side, discriminator_side = (t.numpy() for t in model.sides(images, first=tf.constant(True)))
    assert np.all((decoder_side >= 0) & (decoder_side < 1)) and np.array_equal(decoder_side, discriminator_side)
    assert not np.allclose(discriminator_side, r)
    decoder_side, discriminator_side = (t.numpy() for t in model.sides(images, first=tf.constant(False)))
    np.testing.assert_allclose(discriminator_side, r, rtol=1e-5)
    np.testing.assert_allclose(decoder_side, 1 / (1 + np.exp(-r)), rtol=1e-5)
    # selection, even in round 0, reads the trained ranker: the same scores twice
    np.testing.assert_array_equal(model.labeled_probability(images), model.labeled_probability(images))
    np.testing.assert_allclose(model.code(images).numpy()[:, 32:], r, rtol=1e-5)


def test_tavaal_phase_two_leaves_the_task_learner_and_ranker_alone(batch):
    model = build("tavaal", round_index=0)
    task_weights = [w.numpy().copy() for w in model.task_learner.weights]
    encoder_weights = [w.numpy().copy() for w in model.encoder.weights]
    one_iteration(model, batch)
    one_iteration(model, batch)
    assert all(np.array_equal(b, w.numpy()) for b, w in zip(task_weights, model.task_learner.weights))
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(encoder_weights, model.encoder.weights))


def test_vaal_takes_its_second_vae_step_on_a_new_pair(fashion_subset):
    """Two VAE steps per iteration read two different pairs of batches (solver.py:104-107)."""
    images, labels = fashion_subset.pool_images[:40], fashion_subset.pool_labels[:40]
    ones = np.ones(40, "float32")
    stream = pipelines.generative_batches(images, labels, ones, images, ones, batch_size=8,
                                          pairs_per_iteration=2, seed=0)
    first, second = next(iter(stream))
    assert first[0][0].shape == (8, 28, 28, 1) and second[1][0].shape == (8, 28, 28, 1)
    assert not np.array_equal(first[0][0].numpy(), second[0][0].numpy())
    assert build("vaal").vae_steps == 2 and build("m2vaal").vae_steps == 1


@pytest.mark.parametrize("protocol, labeled, candidates, expected", [
    ("A, TA-VAAL's first cycle: 1,000 labelled + SUBSET 10,000", 1000, 10000, 8593),
    ("A, the whole pool", 1000, 54000, 42968),
    ("B, the whole pool", 500, 54500, 42968),
    ("B, round 10 with a 10,000 subset", 500 + 640, 10000, 8703),
])
def test_the_official_iteration_budget(protocol, labeled, candidates, expected):
    assert budget.vae_iterations(labeled, candidates, vae_epochs=100, batch_size=128) == expected


def test_roc_auc():
    assert budget.roc_auc(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == 1.0
    assert budget.roc_auc(np.array([0.1]), np.array([0.9])) == 0.0
    assert budget.roc_auc(np.array([0.5, 0.5]), np.array([0.5])) == 0.5


@pytest.mark.parametrize("strategy", ["m2vaal", "m2vaal_noadv", "vaal", "tavaal"])
def test_short_real_run_per_family(tmp_path, fashion_subset, strategy):
    config = ExperimentConfig(strategy=strategy, initial_labeled=64, budget=32, max_labeled=96, epochs=4,
                              pool_subsample=500, batch_size=32, vae_epochs=2, vae_batch_size=32,
                              logdir=str(tmp_path), run_name=strategy)
    lines = []
    pool = experiment.prepare(config, dataset=fashion_subset).run(out=lines.append)
    assert [len(r.selected) for r in pool.rounds] == [32, 0]
    metrics = pool.rounds[0].metrics
    assert metrics["test_accuracy"] > 0.2  # chance is 0.1
    assert metrics["vae_iterations"] == (64 + 500) * 2 // 32  # labelled + the 500 candidates, E_v 2, B 32
    assert 0 <= metrics["discriminator_auc"] <= 1 and metrics["reconstruction_loss"] > 0
    assert {"train_vae_loss", "train_discriminator_loss"} <= set(metrics)
    assert ("reference_accuracy" in metrics) == strategy.startswith("m2vaal")
    with open(os.path.join(tmp_path, strategy, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["vae_iterations"]) for r in rows] == [(64 + 500) * 2 // 32, (96 + 468) * 2 // 32]
    assert any("parameters" in line for line in lines)


def test_round_zero_is_one_model_for_the_classifier_strategies_and_vaal(tmp_path, fashion_subset):
    """One task-learner recipe: before any query, VAAL's task learner is the uncertainty strategies'
    model, and M2-VAAL's reference classifier is it too."""
    accuracies = {}
    for strategy in ("random", "least_confidence", "margin", "entropy", "vaal", "m2vaal"):
        config = ExperimentConfig(strategy=strategy, initial_labeled=60, budget=20, max_labeled=80, max_rounds=1,
                                  epochs=3, pool_subsample=300, vae_epochs=1, projector_every=0,
                                  logdir=str(tmp_path), run_name=strategy)
        metrics = experiment.prepare(config, dataset=fashion_subset).run(out=lambda line: None).rounds[0].metrics
        accuracies[strategy] = metrics.get("reference_accuracy", metrics["test_accuracy"])
    assert len(set(accuracies.values())) == 1, accuracies


def test_progress_is_one_line_on_a_terminal_and_plain_lines_elsewhere():
    from m2vaal_tf.rounds.progress import IterationProgress

    class Stream(io.StringIO):
        def __init__(self, tty):
            super().__init__()
            self.tty = tty

        def isatty(self):
            return self.tty

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((200, 2), "float32"), np.zeros((200, 1), "float32")
    for tty in (False, True):
        stream = Stream(tty)
        tracker = IterationProgress(200, "toy", out=stream)
        model.fit(x, y, batch_size=1, epochs=1, verbose=0, callbacks=[tracker])
        text = stream.getvalue()
        if tty:
            assert text.count("\n") == 1 and text.startswith("\r") and "200/200 it" in text
        else:
            assert text.count("\n") == 10 and "\r" not in text and "it/s" in text and "ETA" in text
        assert len(tracker.curves["loss"]) == 100


REPLICA_SCRIPT = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np, tensorflow as tf, keras
tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)
from m2vaal_tf.models import adversarial, m2vaal, networks

family = sys.argv[1]
data = np.load(sys.argv[2])
labeled, labels, unlabeled = data["labeled"], data["labels"], data["unlabeled"]

def one_step(strategy):
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = m2vaal.M2VAAL(networks.build_classifier((28, 28, 1), 10, dropout=0.0),
                              networks.build_encoder((28, 28, 1)), networks.build_decoder((28, 28, 1), 42),
                              networks.build_discriminator(42))
        model.sample_latent = lambda mean, log_var: mean  # the same z on any number of replicas
        model.compile(optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
        model.build_for_training((28, 28, 1))
    ones = np.ones(len(labeled), "float32")
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices((labeled, labels, ones)).batch(8),
                              tf.data.Dataset.from_tensor_slices((unlabeled, ones[:len(unlabeled)])).batch(8)))
    ds = ds.map(lambda l, u: ((l, u),))
    history = model.fit(ds, epochs=1, verbose=0, shuffle=False)
    return history.history, [w.numpy() for w in model.weights]

one, w1 = one_step(tf.distribute.get_strategy())
two, w2 = one_step(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
for name in one:
    print(name, one[name][0], two[name][0])
    assert np.isclose(one[name][0], two[name][0], rtol=1e-4, atol=1e-5), name
worst = max(float(np.max(np.abs(a - b))) for a, b in zip(w1, w2))
print("max weight difference", worst)
assert worst < 1e-4
print("OK")
"""


def test_one_and_two_replicas_take_the_same_step(tmp_path, batch):
    """Same global batch on 1 and on 2 (logical CPU) replicas: same losses, same updated weights."""
    labeled, labels, unlabeled = batch
    np.savez(tmp_path / "batch.npz", labeled=np.concatenate([labeled, labeled]),
             labels=np.concatenate([labels, labels]), unlabeled=np.concatenate([unlabeled, unlabeled])[:8])
    script = tmp_path / "replicas.py"
    script.write_text(REPLICA_SCRIPT)
    result = subprocess.run([sys.executable, str(script), "m2vaal", str(tmp_path / "batch.npz")], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "OK" in result.stdout, result.stdout + result.stderr[-3000:]


def test_mirrored_run_from_the_command_line(tmp_path, fashion_subset_dir):
    """A short M2-VAAL run through train.py with --distribute=mirrored over 2 logical CPU devices."""
    launcher = two_cpu_launcher(tmp_path)
    result = subprocess.run(
        [sys.executable, str(launcher), "train.py", f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500",
         "--strategy=m2vaal", "--distribute=mirrored", "--initial_labeled=64", "--budget=32", "--max_labeled=96",
         "--pool_subsample=200", "--epochs=2", "--batch_size=32", "--vae_epochs=1", "--vae_batch_size=32",
         f"--logdir={tmp_path}", "--run_name=mirrored"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 replica(s)" in result.stdout and "final round" in result.stdout
    assert os.path.exists(tmp_path / "mirrored" / "results.csv")


def test_multi_worker_round_on_localhost(tmp_path, fashion_subset_dir):
    """Two workers on 127.0.0.1 train one short M2-VAAL run in lockstep (bounded: 300 s, then killed).
    Both must see the same model (same accuracies); only the chief writes the run directory."""
    import json
    workers = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    args = [sys.executable, "train.py", f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500",
            "--strategy=m2vaal", "--distribute=multi_worker", "--initial_labeled=64", "--budget=32",
            "--max_labeled=96", "--pool_subsample=200", "--epochs=2", "--batch_size=32", "--vae_epochs=1",
            "--vae_batch_size=32", f"--logdir={tmp_path}", "--run_name=multi"]
    processes = []
    for index in range(2):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                                      "task": {"type": "worker", "index": index}})}
        processes.append(subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=300))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (stdout, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
        assert "2 replica(s)" in stdout
    rounds = [[line.split("|")[0] for line in stdout.splitlines() if line.startswith("round ")]
              for stdout, _ in outputs]
    assert len(rounds[0]) == 2 and rounds[0] == rounds[1]
    assert sorted(os.listdir(tmp_path)) == ["multi"]
    assert os.path.exists(tmp_path / "multi" / "results.csv")


def test_multi_worker_needs_tf_config(monkeypatch):
    from m2vaal_tf import distribute
    from m2vaal_tf.errors import ConfigError
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ConfigError, match="needs TF_CONFIG"):
        distribute.make_strategy("multi_worker")


def test_m2vaal_joint_step_reads_the_classifier_trunk_once_with_the_same_results(batch):
    """y' of both pools and L_T of the labelled pool from one trunk pass equal the two-pass values
    (with dropout at 0, the head's only difference between the passes)."""
    model = build("m2vaal")
    labeled, labels, unlabeled = batch
    model.task_network.get_layer("features_dropout").rate = 0.0
    images = np.concatenate([labeled, unlabeled])
    decoder_side, discriminator_side, task_loss, report = model.sides_and_task(images, labels, first=False)
    expected_softmax = softmax(model.task_network(images, training=False).numpy())
    np.testing.assert_allclose(decoder_side.numpy(), expected_softmax, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(discriminator_side.numpy(), expected_softmax, rtol=1e-5, atol=1e-7)
    logits = model.task_network(labeled, training=False).numpy()
    expected_loss = np.mean(-np.log(softmax(logits)[np.arange(len(labels)), labels]))
    np.testing.assert_allclose(float(task_loss), expected_loss, rtol=1e-5)
    np.testing.assert_allclose(float(report["task_loss"]), expected_loss, rtol=1e-5)
