"""Images per second and peak memory of scoring a pool: in-process `m2vaal-score` against
`m2vaal-beam-score` on Beam's DirectRunner with 1 and 2 workers, on Fashion-MNIST's 60,000 training
images, then on the same pool replicated 10 times (600,000 images) to show what grows with the pool.

  python bench/beam_score.py [--runs 3] [--replicated_runs 1] [--model DIR] [--work DIR] [--replicas 10]

The pool is written once under --work: PNG files, 10 TFRecord shards, and a .npy array (the
in-process scorer's fastest input); the replicated pool is hard links to the shards (and a
replicated .npy). Without --model a classifier is trained one round on 200 labels and exported.
Each cell runs --runs times (on the replicated pool, --replicated_runs times), each run a separate
process tree; its peak memory is the largest sum of the tree's resident set sizes, sampled every
0.2 s (shared pages count once per process, so it is an upper bound). Prints a markdown table of
medians.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
SHARDS = 10


def tree_rss_mb(pid: int) -> float:
    """The resident memory of `pid` and all its descendants, in MB."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def measured(command) -> tuple:
    """(seconds, peak MB of the process tree) of one run of `command`."""
    started = time.time()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            time.sleep(0.2)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    return time.time() - started, peak[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default="")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "m2vaal_beam_bench"))
    parser.add_argument("--replicas", type=int, default=10)
    parser.add_argument("--replicated_runs", type=int, default=1)
    args = parser.parse_args()
    pools = prepare(args.work, args.replicas)
    model = args.model or exported_model(args.work)
    rows = []
    os.makedirs(os.path.join(args.work, "out"), exist_ok=True)
    cells = [
        ("in-process m2vaal-score", ".npy array", "60,000", pools["npy"], None),
        ("in-process m2vaal-score", "PNG files", "60,000", pools["png"], None),
        ("Beam DirectRunner, 1 worker", "TFRecords", "60,000", pools["records"], 1),
        ("Beam DirectRunner, 2 workers", "TFRecords", "60,000", pools["records"], 2),
        ("Beam DirectRunner, 2 workers", "PNG files", "60,000", pools["png_pattern"], 2),
        ("in-process m2vaal-score", ".npy array", f"{60000 * args.replicas:,}", pools["npy_replicated"], None),
        ("Beam DirectRunner, 2 workers", "TFRecords", f"{60000 * args.replicas:,}", pools["records_replicated"], 2),
    ]
    for engine, form, size, pool, workers in cells:
        times, peaks = [], []
        for run in range(args.runs if size == "60,000" else args.replicated_runs):
            output = os.path.join(args.work, "out", f"{len(rows)}_{run}")
            subprocess.run(["rm", "-rf", output], check=True)
            if workers is None:
                command = [sys.executable, "-m", "m2vaal_tf.score", f"--model={model}", f"--images={pool}",
                           f"--output={output}.csv", "--top=1000"]
            else:
                command = [sys.executable, "-m", "m2vaal_tf.beam.program", f"--model={model}", f"--pool={pool}",
                           f"--output={output}", "--budget=1000", "--direct_running_mode=multi_processing",
                           f"--direct_num_workers={workers}"]
            seconds, peak = measured(command)
            times.append(seconds)
            peaks.append(peak)
        images = int(size.replace(",", ""))
        seconds = statistics.median(times)
        rows.append(f"| {engine} | {form} | {size} | {seconds:.0f} | {images / seconds:,.0f} | "
                    f"{statistics.median(peaks):,.0f} |")
        print(rows[-1], flush=True)
    print(f"\n`python bench/beam_score.py --runs {args.runs} --replicated_runs {args.replicated_runs}` "
          f"({os.cpu_count()} cores; medians of {args.runs} runs, {args.replicated_runs} on the replicated pool; "
          "each a whole program: start-up, reading, scoring, writing)\n")
    print("| engine | pool as | images | seconds | images/s | peak memory (MB, process tree) |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def prepare(work: str, replicas: int) -> dict:
    """The pool's files under `work`, written once (reused by later runs)."""
    import numpy as np

    from m2vaal_tf import data
    from m2vaal_tf.data import pool_files
    pools = dict(npy=os.path.join(work, "pool.npy"), png=os.path.join(work, "png"),
                 png_pattern=os.path.join(work, "png", "*.png"),
                 records=os.path.join(work, "records", "pool-*.tfrecord"),
                 npy_replicated=os.path.join(work, f"pool_x{replicas}.npy"),
                 records_replicated=os.path.join(work, f"records_x{replicas}", "*.tfrecord"))
    if os.path.exists(os.path.join(work, "ready")):
        return pools
    images = data.read_idx_directory(data.locate_fashion_mnist())[0][..., 0]
    names = pool_files.item_names(len(images))
    print(f"writing the pool ({len(images)} images) under {work} ...", flush=True)
    os.makedirs(work, exist_ok=True)
    np.save(pools["npy"], images)
    np.save(pools["npy_replicated"], np.concatenate([images] * replicas))
    pool_files.write_png_files(images, pools["png"], names)
    shards = pool_files.write_tfrecords(images, names, os.path.join(work, "records", "pool"), SHARDS)
    replicated = os.path.dirname(pools["records_replicated"])
    os.makedirs(replicated, exist_ok=True)
    for copy in range(replicas):
        for shard in shards:
            os.link(shard, os.path.join(replicated, f"copy{copy:02d}-{os.path.basename(shard)}"))
    open(os.path.join(work, "ready"), "w").close()
    return pools


def exported_model(work: str) -> str:
    path = os.path.join(work, "run", "run", "export", "latest")
    if not os.path.exists(path):
        subprocess.run([sys.executable, "train.py", "--flagfile=configs/quickstart.cfg", "--max_rounds=1",
                        "--export", f"--logdir={os.path.join(work, 'run')}", "--run_name=run",
                        "--projector_every=0"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return path


if __name__ == "__main__":
    main()
