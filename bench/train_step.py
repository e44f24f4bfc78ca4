"""Throughput of the joint M2-VAAL train_step and of pool scoring, on real Fashion-MNIST images.

  python bench/train_step.py [--repeats 5] [--steps 50] [--jit]

Prints a table of images/s (labelled + unlabelled images per step; pool images scored), the
median of --repeats timed runs after a warm-up, under the default strategy.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from m2vaal_tf import data, models  # noqa: E402
from m2vaal_tf.config import ExperimentConfig  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=64, help="labelled and unlabelled images per step, each")
    parser.add_argument("--jit", action="store_true", help="compile train_step with XLA")
    args = parser.parse_args()

    dataset = data.load_dataset("fashion_mnist")
    config = ExperimentConfig(strategy="m2vaal", jit_compile=args.jit)
    keras.utils.set_random_seed(0)
    model = models.build("m2vaal", config, dataset.image_shape, dataset.num_classes, round_index=1)
    n = args.batch * args.steps
    labeled, labels = dataset.pool_images[:n], dataset.pool_labels[:n]
    unlabeled = dataset.pool_images[n:2 * n]
    # One epoch = `steps` joint steps over real images; the pipeline is the one the runs use.
    training = model.training_data(labeled, labels, unlabeled, args.batch, seed=0).cache()
    model.fit(training, epochs=1, verbose=0, shuffle=False)  # warm-up: tracing and the cache

    step_rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.fit(training, epochs=1, verbose=0, shuffle=False)
        step_rates.append(2 * n / (time.perf_counter() - start))

    pool = dataset.pool_images
    model.labeled_probability(pool[:4096], 2048)  # warm-up
    score_rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.labeled_probability(pool, 2048)
        score_rates.append(len(pool) / (time.perf_counter() - start))

    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, XLA {'on' if args.jit else 'off'}; "
          f"median of {args.repeats} runs")
    print(f"{'what':48s} {'images/s':>10s} {'min':>10s} {'max':>10s}")
    for name, rates in ((f"joint M2-VAAL train_step (batch {args.batch}+{args.batch})", step_rates),
                        (f"pool scoring, encoder+classifier+D ({len(pool)} images)", score_rates)):
        print(f"{name:48s} {statistics.median(rates):10.0f} {min(rates):10.0f} {max(rates):10.0f}")


if __name__ == "__main__":
    main()
