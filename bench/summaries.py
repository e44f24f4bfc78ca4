"""Seconds the TensorBoard summaries add to a round, versus the labelled set's size.

  python bench/summaries.py [--labeled 1000,8000] [--samples 5000] [--budget 1000] [--repeats 3]

Writes, for a freshly built M2-VAAL (what is written costs the same whatever the training) on real
Fashion-MNIST pool images, what a round writes after selection: the scalars and per-epoch losses,
the reconstruction figure, the queried-batch grid, and the projector (labelled set + --samples
pool images: embedding, probabilities, discriminator scores, metadata, sprite, checkpoint). Prints
the median seconds of --repeats rounds per part.
"""
import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from m2vaal_tf import data, models  # noqa: E402
from m2vaal_tf.config import ExperimentConfig  # noqa: E402
from m2vaal_tf.reporting.summaries import RunSummaries, projector_sample  # noqa: E402


def time_round(summaries, learner, dataset, labeled_count, samples, budget, round_index, rng):
    pool = np.arange(len(dataset.pool_labels))
    labeled, selected = pool[:labeled_count], pool[labeled_count:labeled_count + budget]
    unlabeled = pool[labeled_count:]
    seconds = {}
    start = time.perf_counter()
    summaries.round_scalars(labeled_count, {"accuracy/test": 0.5, "accuracy/validation": 0.5})
    summaries.training_curves({"task_loss": [1.0] * 20, "vae_loss": [1.0] * 20})
    seconds["scalars"] = time.perf_counter() - start
    start = time.perf_counter()
    summaries.reconstructions(labeled_count, learner, dataset.test_images, dataset.test_labels)
    predicted = learner.predict_proba(dataset.pool_images[selected]).argmax(axis=1)
    summaries.queried_batch(labeled_count, dataset.pool_images[selected], dataset.pool_labels[selected], predicted)
    seconds["images"] = time.perf_counter() - start
    start = time.perf_counter()
    indices, status = projector_sample(labeled, selected, unlabeled, samples, rng)
    summaries.projector(round_index, learner, dataset.pool_images, indices, status, dataset.pool_labels[indices],
                        "least_confidence")
    seconds["projector"] = time.perf_counter() - start
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labeled", default="1000,8000")
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dataset = data.load_dataset("fashion_mnist")
    keras.utils.set_random_seed(0)
    learner = models.build("m2vaal", ExperimentConfig(strategy="m2vaal"), dataset.image_shape,
                           dataset.num_classes, 1)
    rng = np.random.default_rng(0)
    print(f"M2-VAAL, {args.samples} unlabelled samples projected, {args.budget} queried; "
          f"median of {args.repeats} rounds")
    print(f"{'labelled':>9s} {'projected':>10s} {'scalars s':>10s} {'images s':>9s} {'projector s':>12s} "
          f"{'total s':>8s}")
    for labeled_count in (int(n) for n in args.labeled.split(",")):
        with tempfile.TemporaryDirectory() as run_dir:
            summaries = RunSummaries(run_dir, dataset.class_names)
            rounds = [time_round(summaries, learner, dataset, labeled_count, args.samples, args.budget, r, rng)
                      for r in range(args.repeats + 1)][1:]  # the first round traces the functions
            summaries.close()
        median = {part: statistics.median(r[part] for r in rounds) for part in rounds[0]}
        print(f"{labeled_count:9d} {labeled_count + args.samples:10d} {median['scalars']:10.3f} "
              f"{median['images']:9.2f} {median['projector']:12.2f} {sum(median.values()):8.2f}")


if __name__ == "__main__":
    main()
