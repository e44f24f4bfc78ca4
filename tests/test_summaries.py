"""TensorBoard output read back with TensorBoard's own loaders: the event-file reader, the
projector's config format, and a real TensorBoard server answering the projector's requests."""
import csv
import math
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT, free_port
from google.protobuf import text_format
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.projector import projector_config_pb2

from m2vaal_tf import experiment
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.reporting import image_grid, projector, summaries

ROUNDS = 3
SETTINGS = dict(strategy="m2vaal", initial_labeled=60, budget=40, max_labeled=140, pool_subsample=300,
                epochs=2, batch_size=32, vae_epochs=2, vae_batch_size=32, projector_samples=150)


@pytest.fixture(scope="module")
def m2vaal_run(tmp_path_factory, fashion_subset):
    """A three-round M2-VAAL run on real Fashion-MNIST: 60 labelled + 40 per round to 140."""
    config = ExperimentConfig(**SETTINGS, logdir=str(tmp_path_factory.mktemp("logs")), run_name="m2vaal")
    pool = experiment.prepare(config, dataset=fashion_subset).run(out=lambda line: None)
    return config, pool


def load_events(run_dir):
    accumulator = event_accumulator.EventAccumulator(run_dir, size_guidance={event_accumulator.TENSORS: 0})
    accumulator.Reload()
    return accumulator


def test_accuracy_scalars_have_one_value_per_round_at_the_labelled_count(m2vaal_run):
    config, pool = m2vaal_run
    events = load_events(config.run_dir)
    with open(os.path.join(config.run_dir, "results.csv")) as f:
        rows = list(csv.DictReader(f))
    for tag, column in (("accuracy/test", "test_accuracy"), ("accuracy/validation", "validation_accuracy")):
        values = events.Tensors(tag)
        assert [e.step for e in values] == [60, 100, 140]
        np.testing.assert_allclose([float(tf.make_ndarray(e.tensor_proto)) for e in values],
                                   [float(r[column]) for r in rows], rtol=1e-6)
    assert [e.step for e in events.Tensors("selection/misclassified")] == [60, 100]
    assert len(events.Tensors("seconds/summaries")) == ROUNDS


def test_every_model_loss_is_logged_round_after_round(m2vaal_run):
    """The reference classifier's losses per epoch; the VAE/D phase's per stretch of iterations (one
    point per iteration when a round has fewer than 100); each tag's steps run on across rounds."""
    config, pool = m2vaal_run
    events = load_events(config.run_dir)
    iterations = sum(int(r.metrics["vae_iterations"]) for r in pool.rounds)
    expected = {"reference_loss": ROUNDS * SETTINGS["epochs"], "task_loss": iterations, "vae_loss": iterations,
                "reconstruction_loss": iterations, "adversarial_loss": iterations, "discriminator_loss": iterations}
    for loss, count in expected.items():
        steps = [e.step for e in events.Tensors(f"train/{loss}")]
        assert steps == list(range(1, count + 1)), loss
        assert all(np.isfinite(float(tf.make_ndarray(e.tensor_proto))) for e in events.Tensors(f"train/{loss}"))
    assert [e.step for e in events.Tensors("generative/discriminator_auc")] == [r.labeled for r in pool.rounds]


def decoded_images(events, tag):
    """(step, decoded image) of each image summary; the tensor holds width, height, PNG bytes."""
    result = []
    for event in events.Tensors(tag):
        width, height, png = tf.make_ndarray(event.tensor_proto)
        image = tf.io.decode_png(png).numpy()
        assert image.shape == (int(height), int(width), 3)
        result.append((event.step, image))
    return result


def test_reconstruction_and_query_grids_decode(m2vaal_run, fashion_subset):
    config, pool = m2vaal_run
    events = load_events(config.run_dir)
    figures = decoded_images(events, "images/reconstructions")
    assert [step for step, _ in figures] == [60, 100, 140]
    cell = 28 + 2 * 2
    # 3 examples per class, 10 classes: 3 rows of inputs, each above its row of reconstructions.
    assert figures[0][1].shape == (6 * cell, 10 * cell, 3)
    queried = decoded_images(events, "images/queried")
    assert [step for step, _ in queried] == [60, 100]
    side = math.ceil(math.sqrt(SETTINGS["budget"]))
    assert queried[0][1].shape == (math.ceil(SETTINGS["budget"] / side) * cell, side * cell, 3)
    # The first queried image sits inside the first cell's frame.
    first = fashion_subset.pool_images[pool.rounds[0].selected[0]][..., 0]
    np.testing.assert_array_equal(queried[0][1][2:30, 2:30, 0], first)


def test_figure3_script_writes_the_last_rounds_reconstructions(m2vaal_run, tmp_path):
    config, _ = m2vaal_run
    out = tmp_path / "figure3.png"
    script = os.path.join(PROJECT_ROOT, "scripts", "figure3.py")
    done = subprocess.run([sys.executable, script, f"--run={config.run_dir}", f"--out={out}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the round at 140 labelled images" in done.stdout and "misclassified" in done.stdout
    _, last_figure = decoded_images(load_events(config.run_dir), "images/reconstructions")[-1]
    np.testing.assert_array_equal(tf.io.decode_png(out.read_bytes()).numpy(), last_figure)
    missing = subprocess.run([sys.executable, script, f"--run={tmp_path}", f"--out={tmp_path / 'none.png'}"],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 1 and "no images/reconstructions summary" in missing.stderr.strip().splitlines()[-1]


def test_hparams_record_the_runs_settings(m2vaal_run):
    config, _ = m2vaal_run
    events = load_events(config.run_dir)
    content = events.SummaryMetadata(hparams_metadata.SESSION_START_INFO_TAG).plugin_data.content
    info = hparams_metadata.parse_session_start_info_plugin_data(content)
    assert info.hparams["strategy"].string_value == "m2vaal"
    assert info.hparams["budget"].number_value == SETTINGS["budget"]
    assert "logdir" not in info.hparams
    experiment_content = events.SummaryMetadata(hparams_metadata.EXPERIMENT_TAG).plugin_data.content
    metrics = hparams_metadata.parse_experiment_plugin_data(experiment_content).metric_infos
    assert [m.name.tag for m in metrics] == list(summaries.HPARAMS_METRICS)


def read_projector_config(directory):
    config = projector_config_pb2.ProjectorConfig()
    with open(os.path.join(directory, projector.CONFIG_FILE)) as f:
        text_format.Parse(f.read(), config)
    return config


def test_projector_holds_each_rounds_latent_space(m2vaal_run, fashion_subset):
    config, pool = m2vaal_run
    directory = os.path.join(config.run_dir, projector.DIRECTORY)
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(directory))
    embeddings = read_projector_config(directory).embeddings
    assert [e.tensor_name for e in embeddings] == [projector.tensor_name(r) for r in range(ROUNDS)]
    reader = tf.train.load_checkpoint(directory)
    for round_index, embedding in enumerate(embeddings):
        labeled = 60 + 40 * round_index
        queried = SETTINGS["budget"] if round_index < ROUNDS - 1 else 0
        rows = labeled + SETTINGS["projector_samples"]
        # M2-VAAL's code is [μ, y']: the small preset's 32 latent dimensions plus 10 class probabilities.
        assert reader.get_variable_to_shape_map()[embedding.tensor_name] == [rows, 32 + 10]
        with open(os.path.join(directory, embedding.metadata_path)) as f:
            lines = [line.rstrip("\n").split("\t") for line in f]
        assert lines[0] == ["pool_index", "true_label", "predicted_label", "status",
                            "uncertainty_least_confidence", "discriminator_labeled_probability"]
        assert len(lines) == rows + 1 and all(len(line) == 6 for line in lines)
        status = [line[3] for line in lines[1:]]
        assert status.count("labeled") == labeled and status.count("selected") == queried
        indices = np.array([int(line[0]) for line in lines[1:]])
        np.testing.assert_array_equal(indices[:labeled], pool.labeled_indices[:labeled])
        truth = [fashion_subset.class_names[fashion_subset.pool_labels[i]] for i in indices]
        assert [line[1] for line in lines[1:]] == truth
        probabilities = np.array([float(line[5]) for line in lines[1:]])
        assert np.all((probabilities >= 0) & (probabilities <= 1))
        sprite = tf.io.decode_png(tf.io.read_file(os.path.join(directory, embedding.sprite.image_path))).numpy()
        side = math.ceil(math.sqrt(rows)) * 28
        assert sprite.shape == (side, side, 1) and list(embedding.sprite.single_image_dim) == [28, 28]
        np.testing.assert_array_equal(sprite[:28, :28], fashion_subset.pool_images[indices[0]])


def test_replayed_round_replaces_its_embedding(tmp_path):
    """A resumed run replays its interrupted round: the projector keeps one embedding per round."""
    images = np.zeros((4, 28, 28, 1), np.uint8)
    rows = [[i, "x"] for i in range(4)]
    projector.write_round(str(tmp_path), 0, np.ones((4, 3)), ["pool_index", "label"], rows, images)
    projector.write_round(str(tmp_path), 1, np.full((4, 3), 2.0), ["pool_index", "label"], rows, images)
    projector.write_round(str(tmp_path), 1, np.full((4, 3), 5.0), ["pool_index", "label"], rows, images)
    config = read_projector_config(str(tmp_path))
    assert [e.tensor_name for e in config.embeddings] == [projector.tensor_name(0), projector.tensor_name(1)]
    reader = tf.train.load_checkpoint(str(tmp_path))
    assert reader.get_tensor(projector.tensor_name(0)).tolist() == np.ones((4, 3)).tolist()
    assert reader.get_tensor(projector.tensor_name(1)).tolist() == np.full((4, 3), 5.0).tolist()
    assert len([n for n in os.listdir(tmp_path) if n.endswith(".index")]) == 1


def test_projector_sample_keeps_the_query_and_the_labelled_set():
    labeled, unlabeled = np.arange(10), np.arange(10, 100)
    selected = np.array([50, 12])
    indices, status = summaries.projector_sample(labeled, selected, unlabeled, 30, np.random.default_rng(0))
    assert len(indices) == 40 and len(set(indices.tolist())) == 40
    np.testing.assert_array_equal(indices[:12], [*range(10), 50, 12])
    assert status.tolist() == ["labeled"] * 10 + ["selected"] * 2 + ["unlabeled"] * 28
    assert set(indices[12:].tolist()) <= set(unlabeled.tolist()) - {50, 12}


def test_sprite_shrinks_thumbnails_to_fit_the_projectors_limit():
    count = 100_000  # 317 x 317 cells of 28 px would be 8,876 px a side
    images = np.zeros((count, 28, 28, 1), np.uint8)
    images[-1] = 255
    sprite = image_grid.sprite(images)
    assert image_grid.sprite_thumbnail_size(count, (28, 28)) == (14, 14)
    assert sprite.shape == (317 * 14, 317 * 14, 1) and sprite.shape[0] <= image_grid.MAX_SPRITE_SIDE
    last_row, last_col = divmod(count - 1, 317)
    assert sprite[last_row * 14:(last_row + 1) * 14, last_col * 14:(last_col + 1) * 14].min() == 255


def test_tensorboard_serves_the_projector_images_and_scalars(m2vaal_run):
    """What `tensorboard --logdir logs` shows: the projector run with its tensors, metadata and
    sprites, and the run's scalars and images."""
    config, _ = m2vaal_run
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", config.logdir,
                               "--port", str(port), "--load_fast=false"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://localhost:{port}/data/plugin"

    def get(path, **query):
        url = f"{base}/{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                runs = get("projector/runs")
                if b"m2vaal/projector" in runs:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "TensorBoard did not list the projector within 60 s"
            time.sleep(1)
        run, name = "m2vaal/projector", projector.tensor_name(ROUNDS - 1)
        assert b'"tensorShape"' in get("projector/info", run=run)
        metadata = get("projector/metadata", run=run, name=name).decode().splitlines()
        assert len(metadata) == 140 + SETTINGS["projector_samples"] + 1
        assert get("projector/sprite_image", run=run, name=name)[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"accuracy/test" in get("scalars/tags")
        assert b"images/reconstructions" in get("images/tags")
    finally:
        server.terminate()
        server.wait(timeout=30)
