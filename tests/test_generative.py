"""The VAAL-family learners: networks, loss terms against hand computations, the switches,
selection by the discriminator, and short real runs."""
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from m2vaal_tf import experiment, models, strategies
from m2vaal_tf.models import networks
from m2vaal_tf.config import ExperimentConfig
from conftest import PROJECT_ROOT


@pytest.mark.parametrize("size, low, high", [("small", 0.7e6, 1.0e6), ("large", 2.8e6, 3.6e6)])
def test_network_shapes_and_sizes(size, low, high):
    preset = networks.PRESETS[size]
    classifier = networks.build_classifier((28, 28, 1), 10, preset)
    encoder = networks.build_encoder((28, 28, 1), preset)
    decoder = networks.build_decoder((28, 28, 1), preset.latent_dim + 10, preset)
    discriminator = networks.build_discriminator(preset.latent_dim + 10, preset)
    ranked = networks.build_loss_predictor(classifier, preset)
    images = np.random.default_rng(0).uniform(0, 255, (3, 28, 28, 1)).astype("float32")
    assert classifier(images).shape == (3, 10)
    assert [t.shape for t in encoder(images)] == [(3, 32), (3, 32)]
    assert decoder(np.zeros((3, 42), "float32")).shape == (3, 28, 28, 1)
    assert discriminator(np.zeros((3, 42), "float32")).shape == (3, 1)
    assert [t.shape for t in ranked(images)] == [(3, 10), (3, 1)]
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


def test_m2vaal_loss_terms_match_hand_computation(batch):
    model = build("m2vaal", beta=0.5)
    labeled, labels, unlabeled = batch
    terms = {k: v.numpy() for k, v in model.compute_losses(labeled, labels, unlabeled, training=False).items()}

    def softmax(logits):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def by_hand(images):
        probabilities = softmax(model.classifier(images).numpy())
        mean, log_var = (t.numpy() for t in model.encoder(images))
        logits = model.decoder(np.concatenate([mean, probabilities], 1)).numpy()  # z = μ when not training
        reconstruction = sigmoid_bce(logits, images / 255.0).sum(axis=(1, 2, 3))
        kl = 0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1.0 - log_var, axis=1)
        d_logit = model.discriminator(np.concatenate([mean, probabilities], 1)).numpy()[:, 0]
        return probabilities, (reconstruction + 0.5 * kl) / 784.0, sigmoid_bce(d_logit, 1.0)

    probabilities, vae_labeled, adv_labeled = by_hand(labeled)
    _, vae_unlabeled, adv_unlabeled = by_hand(unlabeled)
    np.testing.assert_allclose(terms["task"], -np.log(probabilities[np.arange(4), labels]), rtol=1e-4)
    np.testing.assert_allclose(terms["vae_labeled"], vae_labeled, rtol=1e-4)
    np.testing.assert_allclose(terms["vae_unlabeled"], vae_unlabeled, rtol=1e-4)
    np.testing.assert_allclose(terms["adv_labeled"], adv_labeled, rtol=1e-4)
    np.testing.assert_allclose(terms["adv_unlabeled"], adv_unlabeled, rtol=1e-4)
    # Eq. 8 adds the adversarial terms, weighted; eq. 9 (m2vaal_noadv) leaves them out.
    expected = terms["task"].mean() + vae_labeled.mean() + vae_unlabeled.mean()
    with_adversary = expected + model.adversary_weight * (adv_labeled.mean() + adv_unlabeled.mean())
    np.testing.assert_allclose(model.objective(terms).numpy(), with_adversary, rtol=1e-4)
    model.adversarial = False
    np.testing.assert_allclose(model.objective(terms).numpy(), expected, rtol=1e-4)


def test_discriminator_loss_and_training_without_adversary(batch):
    """--noadversarial leaves the VAE's adversarial term out but D still learns."""
    model = build("m2vaal_noadv")
    labeled, labels, unlabeled = batch
    before = [w.numpy().copy() for w in model.discriminator.weights]
    model.train_step(((labeled, labels), unlabeled))
    assert not model.adversarial
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, model.discriminator.weights))


@pytest.mark.parametrize("switch", [True, False])
def test_vae_gradient_reaches_the_classifier_only_when_switched_on(batch, switch):
    model = build("m2vaal", classifier_gets_vae_grad=switch)
    labeled, labels, unlabeled = batch
    with tf.GradientTape() as tape:
        terms = model.compute_losses(labeled, labels, unlabeled)
        unlabeled_only = tf.reduce_mean(terms["vae_unlabeled"]) + tf.reduce_mean(terms["adv_unlabeled"])
    gradients = tape.gradient(unlabeled_only, model.classifier.trainable_variables)
    reached = any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)
    assert reached == switch


def test_adversarial_gradient_trains_the_encoder_not_the_classifier(batch):
    model = build("m2vaal")
    labeled, labels, unlabeled = batch
    with tf.GradientTape(persistent=True) as tape:
        terms = model.compute_losses(labeled, labels, unlabeled)
        adversarial = tf.reduce_mean(terms["adv_labeled"]) + tf.reduce_mean(terms["adv_unlabeled"])
    assert all(g is None for g in tape.gradient(adversarial, model.classifier.trainable_variables))
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


def test_tavaal_ranker_is_random_only_in_the_first_round(batch):
    config = tiny_config()
    first = models.build("tavaal", config, (28, 28, 1), 10, round_index=0)
    later = models.build("tavaal", config, (28, 28, 1), 10, round_index=1)
    images = batch[0]
    np.testing.assert_allclose(later.side_information(images, False), later.classifier(images)[1])
    side = first.side_information(images, False).numpy()
    assert side.shape == (4, 1) and np.all((side >= 0) & (side < 1))


@pytest.mark.parametrize("strategy", ["m2vaal", "m2vaal_noadv", "vaal", "tavaal"])
def test_short_real_run_per_family(tmp_path, fashion_subset, strategy):
    config = ExperimentConfig(strategy=strategy, initial_labeled=64, budget=32, max_labeled=96, epochs=8,
                              pool_subsample=500, batch_size=32, logdir=str(tmp_path), run_name=strategy)
    lines = []
    pool = experiment.prepare(config, dataset=fashion_subset).run(out=lines.append)
    assert [len(r.selected) for r in pool.rounds] == [32, 0]
    assert pool.rounds[0].metrics["test_accuracy"] > 0.2  # chance is 0.1
    assert {"train_task_loss", "train_vae_loss", "train_discriminator_loss"} <= set(pool.rounds[0].metrics)
    assert any("parameters" in line for line in lines)


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
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices((labeled, labels)).batch(8),
                              tf.data.Dataset.from_tensor_slices(unlabeled).batch(8)))
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
    launcher = tmp_path / "two_cpus.py"
    launcher.write_text(
        "import runpy, sys, tensorflow as tf\n"
        "tf.config.set_logical_device_configuration(tf.config.list_physical_devices('CPU')[0],\n"
        "    [tf.config.LogicalDeviceConfiguration()] * 2)\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    result = subprocess.run(
        [sys.executable, str(launcher), "train.py", f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500",
         "--strategy=m2vaal", "--distribute=mirrored", "--initial_labeled=64", "--budget=32", "--max_labeled=96",
         "--pool_subsample=500", "--epochs=2", "--batch_size=32", f"--logdir={tmp_path}", "--run_name=mirrored"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 replica(s)" in result.stdout and "final round" in result.stdout
    assert os.path.exists(tmp_path / "mirrored" / "results.csv")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_worker_round_on_localhost(tmp_path, fashion_subset_dir):
    """Two workers on 127.0.0.1 train one short M2-VAAL run in lockstep (bounded: 300 s, then killed).
    Both must see the same model (same accuracies); only the chief writes the run directory."""
    import json
    workers = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    args = [sys.executable, "train.py", f"--dataset=idx:{fashion_subset_dir}", "--validation_size=500",
            "--strategy=m2vaal", "--distribute=multi_worker", "--initial_labeled=64", "--budget=32",
            "--max_labeled=96", "--pool_subsample=500", "--epochs=2", "--batch_size=32", f"--logdir={tmp_path}",
            "--run_name=multi"]
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
