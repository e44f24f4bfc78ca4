"""Throughput of the VAAL family's iteration (M2-VAAL's joint one by default) and of pool scoring, per
precision, over several processes, against the machine's matmul ceilings; optionally against an
earlier commit.

  python bench/train_step.py [--runs 5] [--iterations 300] [--precisions float32,mixed_bfloat16]
                             [--batch 128] [--families m2vaal,vaal,tavaal] [--model_size small] [--base REV]

Each run is a fresh process (a slow or fast mode that a process keeps for its life shows up as the
spread between runs, not within one). A run trains the learner (M2-VAAL unless --families says
otherwise; --model_size=large for protocol C's networks) through the pipeline the experiments use
(128 labelled + 128 unlabelled real Fashion-MNIST images per iteration, protocol A's round 0 sets:
1,000 labelled, 10,000 candidates) for --iterations after a warm-up, scores the 55K pool
(encoder + classifier + D for M2-VAAL; what labeled_probability runs for the others), counts the
iteration's floating-point operations from its graph, and measures 2048² matmul in float32 and
bfloat16. The table gives per precision the median, min and max over runs, the min/median ratio,
the median rate of the iterations alone (first to last iteration's end, without what `fit` adds
around them), M2-VAAL scoring's GFLOP/s against its precision's ceiling (how far any further
speed-up of scoring can go), the step's effective GFLOP/s against both ceilings, and the seconds of
the VAE/D iterations of round 0 of protocols A and B at the official budget (E_v = 100), scaled
from the measured rate.
--base REV runs the same measurement on the code of commit REV (a temporary git worktree, float32
only when REV has no --precision) in the same invocation.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Round 0 VAE/D iterations at E_v = 100, batch 128, candidates 10,000 (rounds/budget.vae_iterations).
OFFICIAL_ITERATIONS = {"A": (1000 + 10000) * 100 // 128, "B": (500 + 10000) * 100 // 128}


def worker(precision, batch, iterations, warmup, family="m2vaal", model_size="small"):
    """One process's measurement, as a dict (printed as JSON by --worker)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np
    import tensorflow as tf

    from m2vaal_tf import data, models
    from m2vaal_tf.config import ExperimentConfig
    from m2vaal_tf.rounds import streams as pipelines

    options = dict(strategy=family, vae_batch_size=batch, model_size=model_size)
    if "precision" in ExperimentConfig.__dataclass_fields__:
        options["precision"] = precision
    elif precision != "float32":
        raise SystemExit(f"this code has no --precision; it cannot run {precision}")
    dataset = data.load_dataset("fashion_mnist")
    keras.utils.set_random_seed(0)
    model = models.build(family, ExperimentConfig(**options), dataset.image_shape, dataset.num_classes, 1)
    images, labels = dataset.pool_images, dataset.pool_labels
    ones = lambda n: np.ones(n, "float32")  # noqa: E731
    stream = pipelines.generative_batches(images[:1000], labels[:1000], ones(1000), images[1000:11000],
                                          ones(10000), batch, model.vae_steps + model.disc_steps - 1, seed=0)
    model.fit(stream, epochs=1, steps_per_epoch=warmup, verbose=0)
    stamps = []
    clock = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: stamps.append(time.perf_counter()))
    start = time.perf_counter()
    model.fit(stream, epochs=1, steps_per_epoch=iterations, verbose=0, callbacks=[clock])
    iterations_per_second = iterations / (time.perf_counter() - start)
    # From the first to the last iteration's end: the iterations alone, without what `fit` adds
    # before the first and after the last (an earlier version's pipeline waited there).
    alone_per_second = (len(stamps) - 1) / (stamps[-1] - stamps[0])

    model.labeled_probability(images[:4096])
    start = time.perf_counter()
    model.labeled_probability(images)
    scoring = len(images) / (time.perf_counter() - start)

    element = next(iter(stream))
    flops = _graph_flops(tf, tf.function(model.train_step).get_concrete_function(element).graph)
    # What labeled_probability computes, inlined so that the profiler sees every op (it does not look
    # into nested graph functions).
    scoring_graph = tf.function(lambda x: tf.sigmoid(model.discriminator(tf.concat(
        [model.encoder(x)[0], tf.nn.softmax(model.task_network(x))], axis=1)))).get_concrete_function(
        tf.TensorSpec((1000, *images.shape[1:]), tf.float32)).graph if family == "m2vaal" else None
    return {"images_per_second": 2 * batch * iterations_per_second, "iterations_per_second": iterations_per_second,
            "iterations_alone_images_per_second": 2 * batch * alone_per_second,
            "scoring_images_per_second": scoring, "gflop_per_iteration": flops / 1e9,
            "scoring_gflop_per_image": _graph_flops(tf, scoring_graph) / 1000 / 1e9 if scoring_graph else 0.0,
            "matmul_gflops": {dtype: _matmul_gflops(tf, dtype) for dtype in ("float32", "bfloat16")}}


def _graph_flops(tf, graph):
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return tf.compat.v1.profiler.profile(graph, options=options).total_float_ops


def _matmul_gflops(tf, dtype, n=2048, calls=20):
    a = tf.cast(tf.random.normal((n, n)), dtype)
    b = tf.cast(tf.random.normal((n, n)), dtype)
    product = tf.function(lambda: tf.matmul(a, b))
    product().numpy()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            result = product()
        result.numpy()
        best = min(best, (time.perf_counter() - start) / calls)
    return 2 * n ** 3 / best / 1e9


def run_processes(tree, precision, args, family="m2vaal"):
    """`args.runs` worker processes on the code in `tree`; their measurements."""
    environment = {**os.environ, "PYTHONPATH": tree, "TF_CPP_MIN_LOG_LEVEL": "2"}
    results = []
    for run in range(args.runs):
        completed = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--worker", f"--precision={precision}",
             f"--batch={args.batch}", f"--iterations={args.iterations}", f"--warmup={args.warmup}",
             f"--family={family}", f"--model_size={args.model_size}"],
            cwd=tree, env=environment, capture_output=True, text=True)
        if completed.returncode != 0:
            raise SystemExit(f"worker failed ({tree}, {precision}):\n{completed.stderr[-2000:]}")
        results.append(json.loads(completed.stdout.strip().splitlines()[-1]))
        print(f"  {os.path.basename(tree)} {family} {precision} run {run + 1}/{args.runs}: "
              f"{results[-1]['images_per_second']:.0f} img/s", file=sys.stderr, flush=True)
    return results


def row(label, precision, results):
    step = [r["images_per_second"] for r in results]
    scoring = [r["scoring_images_per_second"] for r in results]
    median_step = statistics.median(step)
    iterations_per_second = statistics.median(r["iterations_per_second"] for r in results)
    gflops = statistics.median(r["gflop_per_iteration"] for r in results) * iterations_per_second
    ceilings = {d: statistics.median(r["matmul_gflops"][d] for r in results) for d in ("float32", "bfloat16")}
    seconds = {p: n / iterations_per_second for p, n in OFFICIAL_ITERATIONS.items()}
    scoring_gflops = statistics.median(scoring) * statistics.median(r["scoring_gflop_per_image"] for r in results)
    ceiling = ceilings["bfloat16" if "bfloat16" in precision else "float32"]
    scoring_share = f"{scoring_gflops:.0f} ({scoring_gflops / ceiling:.0%})" if scoring_gflops else "–"
    alone = statistics.median(r["iterations_alone_images_per_second"] for r in results)
    return (f"| {label} | {precision} | {median_step:,.0f} | {min(step):,.0f} | {max(step):,.0f} | "
            f"{min(step) / median_step:.2f} | {alone:,.0f} | {statistics.median(scoring):,.0f} | {scoring_share} | "
            f"{gflops:.0f} | "
            f"{gflops / ceilings['float32']:.0%} | {gflops / ceilings['bfloat16']:.0%} | "
            f"{seconds['A']:,.0f} | {seconds['B']:,.0f} |"), ceilings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per precision")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--batch", type=int, default=128, help="labelled and unlabelled images per iteration, each")
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument("--families", default="m2vaal", help="learners to time: m2vaal, vaal, tavaal")
    parser.add_argument("--model_size", default="small", help="network preset: small, or large (protocol C)")
    parser.add_argument("--base", help="also measure this commit's code (M2-VAAL; float32 when it has no --precision)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--family", default="m2vaal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.precision, args.batch, args.iterations, args.warmup, args.family,
                                args.model_size)))
        return

    trees = [(f"this tree, {family}", ROOT, args.precisions.split(","), family) for family in args.families.split(",")]
    scratch = None
    if args.base:
        scratch = tempfile.mkdtemp(prefix="bench-base-")
        base_tree = os.path.join(scratch, args.base)
        subprocess.run(["git", "worktree", "add", "--detach", base_tree, args.base], cwd=ROOT, check=True,
                       capture_output=True)
        has_precision = "precision" in open(os.path.join(base_tree, "m2vaal_tf", "config.py")).read()
        trees.insert(0, (f"base {args.base}, m2vaal", base_tree,
                         args.precisions.split(",") if has_precision else ["float32"], "m2vaal"))
    try:
        lines, ceilings = [], None
        for label, tree, precisions, family in trees:
            for precision in precisions:
                line, ceilings = row(label, precision, run_processes(tree, precision, args, family))
                lines.append(line)
    finally:
        if scratch:
            subprocess.run(["git", "worktree", "remove", "--force", base_tree], cwd=ROOT, capture_output=True)
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"One iteration, batch {args.batch}+{args.batch}, {args.model_size} networks; {args.runs} processes per "
          f"row, {args.iterations} timed iterations each; {os.cpu_count()} CPU cores; matmul ceilings (2048²): "
          f"float32 {ceilings['float32']:.0f}, bfloat16 {ceilings['bfloat16']:.0f} GFLOP/s")
    print("| code | precision | step img/s median | min | max | min/median | iterations alone img/s | scoring img/s | "
          "scoring GFLOP/s (of its precision's ceiling) | step GFLOP/s | of fp32 ceiling | of bf16 ceiling | "
          "protocol A round 0 VAE/D s | protocol B round 0 VAE/D s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
