"""`m2vaal-beam-score` on Beam's DirectRunner in multi-processing mode with 2 workers, over real
Fashion-MNIST images written as PNG files and as TFRecord shards, each pool with corrupt entries:
every score equals the in-process scorer's, the query equals the in-memory selection exactly, and
the corrupt entries are counted, named and skipped."""
import csv
import glob
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import PROJECT_ROOT

from m2vaal_tf import score, selection
from m2vaal_tf.beam import ranking
from m2vaal_tf.data import pool_files
from m2vaal_tf.strategies import uncertainty

POOL = 1200
TWO_WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory):
    """A classifier trained one round on 200 real labels, exported as a user's run exports it."""
    logdir = tmp_path_factory.mktemp("beam_run")
    subprocess.run([sys.executable, "train.py", "--flagfile=configs/quickstart.cfg", "--max_rounds=1", "--epochs=2",
                    "--export", f"--logdir={logdir}", "--run_name=run", "--projector_every=0"],
                   cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=300)
    return str(logdir / "run" / "export" / "latest")


@pytest.fixture(scope="module")
def pool(tmp_path_factory, fashion_mnist_arrays):
    """The first POOL test images as PNG files (one replaced by text) and as 3 TFRecord shards (plus
    a record whose image is not an image and a file whose record is not a pool record)."""
    images = fashion_mnist_arrays[2][:POOL, ..., 0]
    root = tmp_path_factory.mktemp("beam_pool")
    names = pool_files.item_names(POOL)
    pool_files.write_png_files(images, str(root / "png"), names)
    (root / "png" / names[7]).write_bytes(b"this is not an image")
    pool_files.write_tfrecords(images, names, str(root / "records" / "pool"), shards=3)
    with tf.io.TFRecordWriter(str(root / "records" / "broken.tfrecord")) as writer:
        writer.write(pool_files.example_bytes("broken_image.png", b"\x89PNG truncated"))
        writer.write(b"not a tf.train.Example")
    return dict(root=root, images=images, names=names)


def beam_score(export_dir, pattern, output, *flags):
    done = subprocess.run([sys.executable, "-m", "m2vaal_tf.beam.program", f"--model={export_dir}",
                           f"--pool={pattern}", f"--output={output}", *flags, *TWO_WORKERS],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(os.path.join(output, "summary.json")) as f:
        return json.load(f), done.stderr


def read_rows(pattern):
    rows = {}
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            rows.update({row["item"]: row for row in csv.DictReader(f)})
    return rows


def in_process(export_dir, images):
    model = score.load_model(export_dir)
    conformed = images[..., np.newaxis]
    scores, probabilities = score.score(model, conformed, 512)
    embeddings = model.embed(conformed)["embedding"].numpy()
    return model, scores, probabilities, embeddings


def test_image_files_score_as_in_process_and_the_query_is_exact(export_dir, pool, tmp_path):
    summary, stderr = beam_score(export_dir, str(pool["root"] / "png" / "*.png"), tmp_path / "out", "--budget=50")
    names, kept = pool["names"], [i for i in range(POOL) if i != 7]
    assert (summary["images_scored"], summary["images_failed"]) == (POOL - 1, 1)
    assert "1 failed to decode" in stderr
    assert list(read_rows(str(tmp_path / "out" / "failures-*.csv"))) == [names[7]]
    model, scores, probabilities, _ = in_process(export_dir, pool["images"][kept])
    rows = read_rows(str(tmp_path / "out" / "scores-*.csv"))
    assert len(glob.glob(str(tmp_path / "out" / "scores-*.csv"))) == 2  # both workers wrote a shard
    assert sorted(rows) == [names[i] for i in kept]
    beam_scores = np.array([float(rows[names[i]]["score"]) for i in kept])
    np.testing.assert_allclose(beam_scores, scores, rtol=0, atol=1e-5)
    assert [int(rows[names[i]]["predicted_class"]) for i in kept] == list(probabilities.argmax(axis=1))
    with open(tmp_path / "out" / "query.csv") as f:
        query = [row["item"] for row in csv.DictReader(f)]
    in_memory = score.ranked_csv([names[i] for i in kept], scores, probabilities,
                                 [n.decode() for n in model.class_names.numpy()], top=50)
    assert query == [row["item"] for row in csv.DictReader(in_memory.splitlines())]


def test_tfrecords_uncertainty_query_is_the_strategys_selection(export_dir, pool, tmp_path):
    summary, _ = beam_score(export_dir, str(pool["root"] / "records" / "*.tfrecord"), tmp_path / "out",
                            "--budget=40", "--score=margin")
    assert (summary["images_scored"], summary["images_failed"]) == (POOL, 2)
    failures = read_rows(str(tmp_path / "out" / "failures-*.csv"))
    assert sorted(failures) == ["broken.tfrecord", "broken_image.png"]
    assert "tf.train.Example" in failures["broken.tfrecord"]["reason"]
    _, _, probabilities, _ = in_process(export_dir, pool["images"])
    rows = read_rows(str(tmp_path / "out" / "scores-*.csv"))
    margins = np.array([float(rows[name]["score"]) for name in pool["names"]])
    np.testing.assert_allclose(margins, uncertainty.margin(probabilities), rtol=0, atol=1e-5)
    with open(tmp_path / "out" / "query.csv") as f:
        query = [row["item"] for row in csv.DictReader(f)]
    chosen = selection.select("margin", 40, [], probabilities=probabilities)
    assert query == [pool["names"][i] for i in chosen]


def test_two_stage_coreset_keeps_the_most_uncertain_and_selects_in_memory(export_dir, pool, tmp_path):
    labeled_dir = tmp_path / "labeled"
    pool_files.write_png_files(pool["images"][:100], str(labeled_dir), pool_files.item_names(100))
    pattern = str(pool["root"] / "records" / "pool-*.tfrecord")
    summary, _ = beam_score(export_dir, pattern, tmp_path / "out", "--score=entropy", "--strategy=coreset",
                            "--candidates=300", "--budget=30", f"--labeled={labeled_dir}")
    assert summary["selected"] == 30
    _, _, probabilities, embeddings = in_process(export_dir, pool["images"])
    kept = ranking.in_memory_top(pool["names"], uncertainty.entropy(probabilities), 300)
    with np.load(tmp_path / "out" / "candidates.npz") as candidates:
        assert list(candidates["items"]) == [pool["names"][i] for i in kept]
    anchors = embeddings[:100]  # the labelled images are the pool's first 100
    chosen = selection.select("coreset", 30, np.arange(100), embeddings=np.concatenate([anchors, embeddings[kept]]))
    with open(tmp_path / "out" / "query.csv") as f:
        query = [row["item"] for row in csv.DictReader(f)]
    assert query == [pool["names"][kept[i - 100]] for i in chosen]


@pytest.mark.parametrize("flags, message", [
    (["--strategy=badge", "--budget=5"], "--candidates"),
    (["--candidates=10"], "--strategy"),
    (["--strategy=coreset", "--candidates=10", "--budget=20"], "--budget=20"),
    (["--labeled=x", "--budget=5"], "--labeled"),
])
def test_misused_flags_get_one_line_and_exit_2(flags, message, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user runs it
    done = subprocess.run([sys.executable, "-m", "m2vaal_tf.beam.program", "--model=nowhere", "--pool=x",
                           f"--output={tmp_path / 'out'}", *flags], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env=env)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_an_output_that_holds_files_is_refused_before_any_work(export_dir, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scores-00000-of-00001.csv").write_text("item,score\n")
    done = subprocess.run([sys.executable, "-m", "m2vaal_tf.beam.program", f"--model={export_dir}", "--pool=x",
                           f"--output={tmp_path / 'out'}"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "--output=" in done.stderr.strip().splitlines()[-1]
    assert os.listdir(tmp_path / "out") == ["scores-00000-of-00001.csv"]


def test_the_rank_order_breaks_ties_to_the_lower_item_and_a_seeded_sample_is_order_free():
    rows = [ranking.Row(f"{i:03d}.png", score, np.ones(2) / 2) for i, score in enumerate([0.5, 0.9, 0.5, 0.9, 0.1])]
    ranked = sorted(rows, key=ranking.by_score, reverse=True)
    assert [r.item for r in ranked] == ["001.png", "003.png", "000.png", "002.png", "004.png"]
    assert list(ranking.in_memory_top([r.item for r in rows], [r.score for r in rows], 3)) == [1, 3, 0]
    many = [ranking.Row(f"{i:05d}.png", 0.0, None) for i in range(2000)]
    kept = {r.item for r in sorted(many, key=ranking.sample_key(7), reverse=True)[:100]}
    again = {r.item for r in sorted(many[::-1], key=ranking.sample_key(7), reverse=True)[:100]}
    other = {r.item for r in sorted(many, key=ranking.sample_key(8), reverse=True)[:100]}
    assert kept == again and len(kept & other) < 20  # the same 100 whatever the order; another seed, others
