"""SavedModel export and the score CLI: loaded in a process that cannot import m2vaal_tf, the
exported model gives the in-process model's outputs; the CLI reads every input format."""
import csv
import io
import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT, write_idx

from m2vaal_tf import experiment, export, models, score, strategies
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import DataError
from m2vaal_tf.strategies import uncertainty

# Loads an export with m2vaal_tf made unimportable, and prints every function's outputs as JSON.
LOAD_WITHOUT_PACKAGE = """
import json, sys
import numpy as np
sys.modules["m2vaal_tf"] = None  # any import of the package now fails
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
images = np.load(sys.argv[2])
out = {
    "probabilities": model.classify(images)["probabilities"].numpy().tolist(),
    "predicted": model.classify(images)["predicted_class"].numpy().tolist(),
    "float_probabilities": model.signatures["serving_default"](images=tf.constant(images, tf.float32))[
        "probabilities"].numpy().tolist(),
    "embedding": model.embed(images)["embedding"].numpy().tolist(),
    "score": model.score(images)["score"].numpy().tolist(),
    "class_names": [n.decode() for n in model.class_names.numpy()],
    "strategy": model.strategy.numpy().decode(),
    "signatures": sorted(model.signatures),
}
print(json.dumps(out))
"""


def built_learner(strategy_name, dataset):
    config = ExperimentConfig(strategy=strategy_name)
    strategy = strategies.create(config)
    keras.utils.set_random_seed(0)
    return strategy, models.build(strategy.model_family, config, dataset.image_shape, dataset.num_classes, 1)


@pytest.fixture(scope="module")
def exports(tmp_path_factory, fashion_subset):
    """An M2-VAAL learner (score = D) and an entropy classifier (score = certainty), exported."""
    result = {}
    for name in ("m2vaal", "entropy"):
        strategy, learner = built_learner(name, fashion_subset)
        root = str(tmp_path_factory.mktemp("export"))
        path = export.export(learner, strategy, "least_confidence", fashion_subset.image_shape,
                             fashion_subset.class_names, root, 3)
        result[name] = (strategy, learner, root, path)
    return result


@pytest.fixture(params=["m2vaal", "entropy"])
def exported(request, exports):
    return exports[request.param]


@pytest.fixture
def m2vaal_export(exports):
    return exports["m2vaal"]


def load_elsewhere(model_dir, images, tmp_path):
    np.save(tmp_path / "images.npy", images)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", LOAD_WITHOUT_PACKAGE, model_dir, str(tmp_path / "images.npy")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_export_loads_without_the_package_and_matches_the_model(exported, fashion_subset, tmp_path):
    strategy, learner, root, path = exported
    images = fashion_subset.test_images[:37]
    assert os.path.realpath(os.path.join(root, export.LATEST)) == os.path.realpath(path)
    out = load_elsewhere(os.path.join(root, export.LATEST), images, tmp_path)
    probabilities = learner.predict_proba(images, 16)
    np.testing.assert_allclose(out["probabilities"], probabilities, atol=1e-5)
    np.testing.assert_allclose(out["float_probabilities"], probabilities, atol=1e-5)
    assert out["predicted"] == probabilities.argmax(axis=1).tolist()
    np.testing.assert_allclose(out["embedding"], learner.embed(images, 16), atol=1e-5)
    if strategy.model_family == "m2vaal":
        np.testing.assert_allclose(out["score"], 1 - learner.labeled_probability(images, 16), atol=1e-5)
    else:
        np.testing.assert_allclose(out["score"], uncertainty.weight("entropy", probabilities), atol=1e-5)
    assert out["class_names"] == list(fashion_subset.class_names)
    assert out["strategy"] == strategy.name
    assert out["signatures"] == ["classify", "embed", "score", "serving_default"]


def test_signatures_have_open_batch_and_documented_outputs(exported):
    strategy, learner, _, path = exported
    model = tf.saved_model.load(path)
    code_size = 32 + 10 if strategy.model_family == "m2vaal" else 256
    expected = {"classify": {"probabilities": ([None, 10], tf.float32), "predicted_class": ([None], tf.int64)},
                "serving_default": {"probabilities": ([None, 10], tf.float32),
                                    "predicted_class": ([None], tf.int64)},
                "embed": {"embedding": ([None, code_size], tf.float32)},
                "score": {"score": ([None], tf.float32)}}
    for name, outputs in expected.items():
        signature = model.signatures[name]
        (spec,) = signature.structured_input_signature[1].values()
        assert spec.shape.as_list() == [None, 28, 28, 1] and spec.dtype == tf.float32, name
        assert {k: (v.shape.as_list(), v.dtype) for k, v in signature.structured_outputs.items()} == outputs, name


def test_export_flag_writes_every_round_and_latest(tmp_path, fashion_subset):
    config = ExperimentConfig(strategy="margin", initial_labeled=100, budget=100, max_labeled=300,
                              pool_subsample=1000, epochs=2, batch_size=32, export=True, projector_every=0,
                              logdir=str(tmp_path), run_name="exported")
    experiment.prepare(config, dataset=fashion_subset).run(out=lambda line: None)
    root = os.path.join(config.run_dir, "export")
    assert sorted(n for n in os.listdir(root) if not n.startswith(".")) == [
        "latest", "round_00", "round_01", "round_02"]
    assert os.readlink(os.path.join(root, "latest")) == "round_02"
    model = tf.saved_model.load(os.path.join(root, "latest"))
    assert model.strategy.numpy() == b"margin"
    assert b"margin" in model.score_meaning.numpy()


def run_score(*args):
    return subprocess.run([sys.executable, "-m", "m2vaal_tf.score", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=180)


def read_ranking(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_score_cli_ranks_idx_npy_and_png_folders_alike(m2vaal_export, fashion_subset, tmp_path):
    _, learner, root, _ = m2vaal_export
    images = fashion_subset.test_images[:30]
    model = tf.saved_model.load(os.path.join(root, "latest"))
    expected_scores = model.score(images)["score"].numpy()
    expected_order = np.lexsort((np.arange(30), -expected_scores))  # higher = ask first

    idx_path = str(tmp_path / "images-idx3-ubyte.gz")
    write_idx(idx_path, images[..., 0])
    npy_path = str(tmp_path / "images.npy")
    np.save(npy_path, images[..., 0])
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, image in enumerate(images):
        tf.io.write_file(str(folder / f"img{i:02d}.png"), tf.io.encode_png(image))
    (folder / "broken.png").write_bytes(b"not a png")

    model_dir = os.path.join(root, "latest")
    for source, items in ((idx_path, [str(i) for i in range(30)]), (npy_path, [str(i) for i in range(30)]),
                          (str(folder), [f"img{i:02d}.png" for i in range(30)])):
        output = tmp_path / "ranking.csv"
        done = run_score(f"--model={model_dir}", f"--images={source}", "--top=10", f"--output={output}")
        assert done.returncode == 0, done.stderr[-2000:]
        rows = read_ranking(output.read_text())
        assert [row["item"] for row in rows] == [items[i] for i in expected_order[:10]], source
        np.testing.assert_allclose([float(r["score"]) for r in rows], expected_scores[expected_order[:10]],
                                   rtol=1e-5)
        assert [int(r["predicted_class"]) for r in rows] == learner.predict_proba(
            images[expected_order[:10]], 16).argmax(axis=1).tolist()
        if source == str(folder):
            assert "broken.png" in done.stderr and "skipped 1 unreadable" in done.stderr


def test_score_cli_resizes_colour_images_to_the_models_input(m2vaal_export, fashion_subset, tmp_path):
    _, _, root, _ = m2vaal_export
    grey = fashion_subset.test_images[:4]
    rgb_large = np.repeat(np.repeat(np.repeat(grey, 3, axis=-1), 2, axis=1), 2, axis=2)  # 56x56 colour
    np.save(tmp_path / "large.npy", rgb_large)
    done = run_score(f"--model={os.path.join(root, 'latest')}", f"--images={tmp_path / 'large.npy'}")
    assert done.returncode == 0, done.stderr[-2000:]
    rows = read_ranking(done.stdout)
    model = tf.saved_model.load(os.path.join(root, "latest"))
    predicted = model.classify(grey)["predicted_class"].numpy()
    assert {int(r["item"]): int(r["predicted_class"]) for r in rows} == dict(enumerate(predicted.tolist()))


def test_score_cli_rejects_bad_input_with_one_line(m2vaal_export, tmp_path):
    _, _, root, _ = m2vaal_export
    images = tmp_path / "images.npy"
    np.save(images, np.random.default_rng(0).random((3, 28, 28)).astype(np.float32))
    done = run_score(f"--model={os.path.join(root, 'latest')}", f"--images={images}")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("score.py: error:") and "scaled to [0, 1]" in last
    assert not done.stdout


@pytest.mark.parametrize("array, message", [
    (np.zeros((3, 28, 28, 2), np.uint8), "expected [N, H, W] or [N, H, W, 1 or 3]"),
    (np.full((3, 28, 28), 300.0), "expected raw pixel values 0-255"),
    (np.zeros((0, 28, 28), np.uint8), "holds no image"),
])
def test_score_rejects_arrays_it_cannot_read(tmp_path, array, message):
    path = tmp_path / "images.npy"
    np.save(path, array)
    with pytest.raises(DataError, match=re.escape(message)):
        score.read_images(str(path), (28, 28, 1))


def test_score_names_a_missing_model_or_images(tmp_path):
    with pytest.raises(DataError, match="not a SavedModel directory"):
        score.load_model(str(tmp_path))
    with pytest.raises(DataError, match="no such file or folder"):
        score.read_images(str(tmp_path / "nothing.npy"), (28, 28, 1))


def test_ranking_follows_the_exports_direction():
    """Exports score higher = ask first; an export from before 2026-12-06 says "lower = ask first"
    in its score_meaning, and is ranked that way."""
    scores, probabilities = np.array([0.2, 0.9, 0.5]), np.eye(3)
    def items(text):
        return [row["item"] for row in read_ranking(text)]
    assert items(score.ranked_csv(["a", "b", "c"], scores, probabilities, ["x", "y", "z"], 0)) == ["b", "c", "a"]
    assert items(score.ranked_csv(["a", "b", "c"], scores, probabilities, ["x", "y", "z"], 0,
                                  lower_first=True)) == ["a", "c", "b"]
