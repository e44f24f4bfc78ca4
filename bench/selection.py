"""Selection time of the diversity strategies versus pool size.

  python bench/selection.py [--budget 1000] [--labeled 1000] [--repeats 3] [--sizes 10000,55000,1000000]

Pools up to 59K (with the anchors) are real Fashion-MNIST training images embedded by a freshly built
learner of each strategy's family: M2-VAAL's [μ, y'] code (42-d) for Algorithms 1 and 2, the
classifier's penultimate features (256-d) and probabilities for coreset and BADGE (selection cost
does not depend on training). Larger pools are synthetic Gaussian codes of the same widths with
Dirichlet class probabilities. Prints, per pool size and
strategy, the median seconds of --repeats selections and the peak memory allocated by the
selection (tracemalloc), which should grow linearly with the pool.
"""
import argparse
import os
import statistics
import time
import tracemalloc

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from m2vaal_tf import strategies  # noqa: E402
from m2vaal_tf.config import ExperimentConfig  # noqa: E402

STRATEGIES = ("algorithm1", "algorithm2", "coreset", "badge")
SYNTHETIC_WIDTHS = {"m2vaal": 42, "classifier": 256}  # the widths of the real codes


class PrecomputedOutputs:
    """Stands in for a trained learner: returns outputs computed once, indexed by pool position."""

    def __init__(self, probabilities, embeddings):
        self.probabilities, self.embeddings = probabilities, embeddings

    def predict_proba(self, images, batch_size=None):
        return self.probabilities[images[:, 0]]

    def embed(self, images, batch_size=None):
        return self.embeddings[images[:, 0]]


def real_codes(family, size):
    import keras

    from m2vaal_tf import data, models
    dataset = data.load_dataset("fashion_mnist")
    keras.utils.set_random_seed(0)
    model = models.build(family, ExperimentConfig(), dataset.image_shape, dataset.num_classes, 1)
    images = np.concatenate([dataset.pool_images, dataset.val_images])[:size]
    labels = np.concatenate([dataset.pool_labels, dataset.val_labels])[:size]
    return model.predict_proba(images, 4096), model.embed(images, 4096), labels


def synthetic_codes(size, width, rng):
    return (rng.dirichlet(np.ones(10), size=size).astype(np.float32),
            rng.normal(size=(size, width)).astype(np.float32), rng.integers(0, 10, size=size))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--labeled", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="10000,55000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(0)
    families = sorted({strategies.get(name).model_family for name in STRATEGIES})
    real = ({family: real_codes(family, 60000) for family in families}
            if any(s + args.labeled <= 60000 for s in sizes) else {})

    print(f"{args.budget} picks, {args.labeled} labelled anchors; median of {args.repeats} runs")
    print(f"{'pool':>9s} {'source':>9s} {'strategy':>11s} {'seconds':>9s} {'peak MB':>9s}")
    for size in sizes:
        total = size + args.labeled
        source = "real" if real and total <= len(real[families[0]][0]) else "synthetic"
        codes = {family: (tuple(a[:total] for a in real[family]) if source == "real" else
                          synthetic_codes(total, SYNTHETIC_WIDTHS[family], rng)) for family in families}
        labeled = np.arange(args.labeled)
        for name in STRATEGIES:
            probabilities, embeddings, labels = codes[strategies.get(name).model_family]
            learner = PrecomputedOutputs(probabilities, embeddings)
            times, peaks = [], []
            for _ in range(args.repeats):
                context = strategies.SelectionContext(
                    learner=learner, pool_images=np.arange(total)[:, None], unlabeled=np.arange(args.labeled, total),
                    labeled=labeled, labels=labels[:args.labeled], rng=np.random.default_rng(0))
                tracemalloc.start()
                start = time.perf_counter()
                selected = strategies.create(ExperimentConfig(strategy=name)).select(context, args.budget)
                times.append(time.perf_counter() - start)
                peaks.append(tracemalloc.get_traced_memory()[1] / 2**20)
                tracemalloc.stop()
                assert len(set(selected.tolist())) == args.budget
            print(f"{size:9d} {source:>9s} {name:>11s} {statistics.median(times):9.2f} {statistics.median(peaks):9.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
