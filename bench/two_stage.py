"""What the two-stage selection of `m2vaal-beam-score --strategy=badge|coreset --candidates=M` does to
the query, against the full in-memory selection over Fashion-MNIST's 55,000-image pool.

  python bench/two_stage.py [--budget 1000] [--sizes 2000,5000,10000,20000] [--epochs 20]

Round 0 of protocol A: a classifier trained on 1,000 random labels (`train.py --export`, the
grid's recipe), exported; its embeddings and probabilities over the pool are computed once. For each
strategy the full selection (all 54,000 unlabelled images) is compared with the selection from M
candidates kept the two ways the pipeline keeps them: the M most uncertain (entropy, ties to the
lower item, `ranking.in_memory_top`, which the test checks equal to Beam's) and a seeded uniform
sample. Columns: the share of the full query it finds; the k-center radius (coreset's objective:
the largest distance from an unlabelled image to its nearest labelled or queried one, lower is
better); the test accuracy of a classifier trained on the 1,000 + 1,000 labels (one seed: about
±0.005 of noise); the selection's seconds. The first stage's cost is the pipeline's (bench/beam_score.py).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def round_zero(work: str, epochs: int):
    """(export dir, labelled pool indices) of protocol A's round 0, trained once under `work`."""
    run = os.path.join(work, "A_round0")
    if not os.path.exists(os.path.join(run, "pool.json")):
        subprocess.run([sys.executable, "train.py", "--flagfile=configs/protocol_a.cfg", "--strategy=coreset",
                        "--max_rounds=1", f"--epochs={epochs}", "--export", f"--logdir={work}",
                        "--run_name=A_round0", "--projector_every=0"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(run, "pool.json")) as f:
        labeled = np.asarray(json.load(f)["initial"]["indices"], dtype=np.int64)  # round 0 labels these
    return os.path.join(run, "export", "latest"), labeled


def test_accuracy(dataset, indices, epochs: int) -> float:
    """A fresh preset classifier (it scales raw pixels itself) trained on the pool images `indices`
    (Adam 1e-3, batch 64)."""
    import keras

    from m2vaal_tf.config import ExperimentConfig
    from m2vaal_tf.models import task_networks
    from m2vaal_tf.models.hyperparameters import LearnerSettings
    keras.utils.set_random_seed(0)
    network = task_networks.build(LearnerSettings.of(ExperimentConfig()), dataset.image_shape, dataset.num_classes)
    network.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"],
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(dataset.pool_images[indices].astype("float32"), dataset.pool_labels[indices], batch_size=64,
                epochs=epochs,
                verbose=0)
    return float(network.evaluate(dataset.test_images.astype("float32"), dataset.test_labels, verbose=0)[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--sizes", default="2000,5000,10000,20000")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "m2vaal_two_stage"))
    args = parser.parse_args()
    from m2vaal_tf import data, score, selection
    from m2vaal_tf.beam import ranking
    from m2vaal_tf.data import pool_files
    from m2vaal_tf.strategies import greedy, uncertainty
    model_dir, labeled = round_zero(args.work, args.epochs)
    dataset = data.load_dataset("fashion_mnist")
    model = score.load_model(model_dir)
    images = dataset.pool_images
    probabilities = np.concatenate([model.classify(images[i:i + 2048])["probabilities"].numpy()
                                    for i in range(0, len(images), 2048)])
    embeddings = np.concatenate([model.embed(images[i:i + 2048])["embedding"].numpy()
                                 for i in range(0, len(images), 2048)])
    names = pool_files.item_names(len(images))
    unlabeled = np.setdiff1d(np.arange(len(images)), labeled)
    entropy = uncertainty.entropy(probabilities)
    sample = np.array([ranking.sample_key(0)(ranking.Row(names[i], 0.0, None)).score for i in range(len(images))])

    def radius(queried):
        anchors = embeddings[np.concatenate([labeled, queried])]
        return float(greedy.reduce_distances(embeddings[unlabeled], anchors, "min").max())

    def chosen_from(strategy, pool_rows):
        rows = np.concatenate([labeled, pool_rows])
        started = time.time()
        picked = selection.select(strategy, args.budget, np.arange(len(labeled)), probabilities=probabilities[rows],
                                  embeddings=embeddings[rows], seed=0)
        return rows[picked], time.time() - started

    print(f"`python bench/two_stage.py --budget {args.budget} --sizes {args.sizes} --epochs {args.epochs}` "
          f"(pool {len(images):,}, {len(labeled):,} labelled, {os.cpu_count()} cores)\n")
    print("| strategy | candidates | kept by | share of the full query | k-center radius | test accuracy | "
          "selection seconds |")
    print("|---|---|---|---|---|---|---|")
    for strategy in ("coreset", "badge"):
        full, seconds = chosen_from(strategy, unlabeled)
        print(f"| {strategy} | all {len(unlabeled):,} | – | 1.000 | {radius(full):.2f} | "
              f"{test_accuracy(dataset, np.concatenate([labeled, full]), args.epochs):.4f} | {seconds:.1f} |",
              flush=True)
        for size in (int(s) for s in args.sizes.split(",")):
            for kept_by, key in (("entropy", entropy), ("seeded sample", sample)):
                candidates = unlabeled[ranking.in_memory_top([names[i] for i in unlabeled], key[unlabeled], size)]
                query, seconds = chosen_from(strategy, candidates)
                share = len(np.intersect1d(query, full)) / args.budget
                accuracy = test_accuracy(dataset, np.concatenate([labeled, query]), args.epochs)
                print(f"| {strategy} | {size:,} | {kept_by} | {share:.3f} | {radius(query):.2f} | {accuracy:.4f} | "
                      f"{seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
