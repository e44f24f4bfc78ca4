"""Throughput of L concurrent processes with cores/L threads each against one process with all the
cores, for the VAAL family's iteration and pool scoring: whether a grid of independent runs should be
played in parallel lanes (scripts/grid.sh) or one run at a time.

  python bench/lanes.py [--reps 3] [--lanes 2] [--iterations 200] [--model_size small] [--precision mixed_bfloat16]

On few cores the iteration's ops are small (batch 128 + 128, 28x28 images): splitting each one over
two threads costs synchronisation that two independent one-thread processes do not pay. A repetition
times one bench/train_step.py worker with the default threads, then L workers started together with
TF_NUM_INTRAOP_THREADS = TF_NUM_INTEROP_THREADS = cores / L, and sums their rates. The machine must be
otherwise idle.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_worker(args, threads=None):
    environment = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"}
    if threads:
        environment.update(TF_NUM_INTRAOP_THREADS=str(threads), TF_NUM_INTEROP_THREADS=str(threads))
    return subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "bench", "train_step.py"), "--worker", f"--precision={args.precision}",
         f"--iterations={args.iterations}", f"--warmup={args.warmup}", f"--model_size={args.model_size}"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process) -> dict:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"worker failed:\n{stderr[-2000:]}")
    return json.loads(stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--lanes", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--model_size", default="small", help="network preset: small, or large (protocol C)")
    parser.add_argument("--precision", default="mixed_bfloat16")
    args = parser.parse_args()
    threads = max(1, (os.cpu_count() or 1) // args.lanes)
    rows = []
    print(f"M2-VAAL iteration (batch 128+128) and 55K-image scoring, {args.model_size} networks, {args.precision}; "
          f"{os.cpu_count()} cores; 1 process with the default threads against {args.lanes} concurrent processes "
          f"of {threads} thread(s)\n")
    print("| repetition | 1 process: it/s | lanes: it/s (sum) | gain | 1 process: scoring img/s | "
          "lanes: scoring img/s (sum) | gain |")
    print("|---|---|---|---|---|---|---|")
    for rep in range(1, args.reps + 1):
        one = finish(start_worker(args))
        lanes = [finish(p) for p in [start_worker(args, threads) for _ in range(args.lanes)]]
        step = (one["iterations_per_second"], sum(r["iterations_per_second"] for r in lanes))
        scoring = (one["scoring_images_per_second"], sum(r["scoring_images_per_second"] for r in lanes))
        rows.append((step[1] / step[0], scoring[1] / scoring[0]))
        print(f"| {rep} | {step[0]:.2f} | {step[1]:.2f} | {rows[-1][0]:.2f}x | {scoring[0]:,.0f} | "
              f"{scoring[1]:,.0f} | {rows[-1][1]:.2f}x |", flush=True)
    print(f"| median | | | {statistics.median(r[0] for r in rows):.2f}x | | | "
          f"{statistics.median(r[1] for r in rows):.2f}x |")


if __name__ == "__main__":
    main()
