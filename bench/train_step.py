"""Throughput of the joint M2-VAAL train_step and of pool scoring, on real Fashion-MNIST images,
and where the step's time goes.

  python bench/train_step.py [--repeats 5] [--steps 50] [--jit]

Prints images/s (labelled + unlabelled images per step; pool images scored), the median of
--repeats timed runs after a warm-up, under the default strategy. The breakdown rows time each
sub-network's forward + backward pass alone on the same 2 x batch images, and the ceiling row is
this machine's float32 matmul rate: together they say whether the step is compute-bound.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np
import tensorflow as tf  # noqa: E402

from m2vaal_tf import data, models  # noqa: E402
from m2vaal_tf.models import pipelines  # noqa: E402
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
    ones = np.ones(n, "float32")
    training = pipelines.generative_batches(labeled, labels, ones, unlabeled, ones, args.batch, 1, seed=0)
    training = training.take(args.steps).cache()
    model.fit(training, epochs=1, verbose=0, shuffle=False)  # warm-up: tracing and the cache

    step_rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.fit(training, epochs=1, verbose=0, shuffle=False)
        step_rates.append(2 * n / (time.perf_counter() - start))

    pool = dataset.pool_images
    model.labeled_probability(pool[:4096])  # warm-up
    score_rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        model.labeled_probability(pool)
        score_rates.append(len(pool) / (time.perf_counter() - start))

    breakdown = []
    images = tf.constant(dataset.pool_images[:2 * args.batch].astype("float32"))
    codes = tf.zeros((2 * args.batch, model.decoder.input_shape[-1]))
    for name, network, inputs in (("classifier", model.task_network, images), ("encoder", model.encoder, images),
                                  ("decoder", model.decoder, codes), ("discriminator", model.discriminator,
                                                                      codes)):
        times = _seconds_per_call(_forward_backward(network, inputs), args.repeats)
        breakdown.append((f"  {name} forward+backward alone", [2 * args.batch / t for t in times]))

    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPU cores, XLA {'on' if args.jit else 'off'}; "
          f"median of {args.repeats} runs")
    print(f"{'what':48s} {'images/s':>10s} {'min':>10s} {'max':>10s}")
    for name, rates in ((f"joint M2-VAAL train_step (batch {args.batch}+{args.batch})", step_rates),
                        (f"pool scoring, encoder+classifier+D ({len(pool)} images)", score_rates), *breakdown):
        print(f"{name:48s} {statistics.median(rates):10.0f} {min(rates):10.0f} {max(rates):10.0f}")
    print(f"float32 matmul ceiling (2048x2048): {_matmul_gflops(args.repeats):.0f} GFLOP/s")


def _forward_backward(network, inputs):
    @tf.function
    def step():
        with tf.GradientTape() as tape:
            outputs = network(inputs, training=True)
            total = tf.add_n([tf.reduce_sum(o) for o in tf.nest.flatten(outputs)])
        return tape.gradient(total, network.trainable_variables)[0]
    return step


def _seconds_per_call(function, repeats, calls=20):
    """Seconds per call of `function`, one value per repeat, after a warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            result = function()
        result.numpy()
        times.append((time.perf_counter() - start) / calls)
    return times


def _matmul_gflops(repeats, n=2048):
    a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
    return 2 * n ** 3 / statistics.median(_seconds_per_call(tf.function(lambda: tf.matmul(a, b)), repeats)) / 1e9


if __name__ == "__main__":
    main()
