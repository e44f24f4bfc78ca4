"""`m2vaal-beam-score`: score a pool of image files or TFRecords with an export, on Apache Beam.

  m2vaal-beam-score --model=logs/<run>/export/latest --pool='/data/pool/*.png' --output=out/ --budget=1000
  m2vaal-beam-score ... --strategy=coreset --candidates=20000          # two-stage selection
  m2vaal-beam-score ... --runner=DataflowRunner --project=... --region=... --temp_location=gs://...

Its own flags are below; every other argument is a Beam pipeline option and goes to the runner
untouched (each runner has dozens, so they are not redeclared here). Without `--runner` it runs on
the DirectRunner in multi-processing mode, one worker per core. Prints one line per phase and a
summary; writes the pipeline's files (pipeline.py) and `summary.json` under --output.
"""
import argparse
import json
import logging
import os
import sys
import time

import numpy as np

from m2vaal_tf import atomic, cli, selection
from m2vaal_tf.beam import plan as plans
from m2vaal_tf.beam import ranking
from m2vaal_tf.errors import DataError, UserError

TWO_STAGE = ("badge", "coreset")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="m2vaal-beam-score", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="SavedModel written by --export (e.g. logs/<run>/export/latest)")
    p.add_argument("--pool", required=True, help="file pattern of the pool: images (*.png, *.jpg, ...) or TFRecords")
    p.add_argument("--output", required=True, help="directory for the outputs; must be new or empty")
    p.add_argument("--input_format", default="auto", choices=("auto", plans.IMAGES, plans.TFRECORD),
                   help="auto: TFRecords if the pattern's name holds .tfrecord, else image files")
    p.add_argument("--score", default=ranking.MODEL_SCORE, choices=ranking.SCORES,
                   help="what ranks the pool: the export's own score, or an uncertainty of its probabilities")
    p.add_argument("--budget", type=int, default=0, help="write the query of this many images (0: scores only)")
    p.add_argument("--strategy", default="", choices=("",) + TWO_STAGE,
                   help="a batch-aware strategy, selected in memory from --candidates rows (two-stage)")
    p.add_argument("--candidates", type=int, default=0, help="M: the rows the pipeline keeps for --strategy")
    p.add_argument("--keep", default=plans.UNCERTAIN, choices=(plans.UNCERTAIN, plans.SAMPLE),
                   help="which M rows: the most uncertain by --score, or a seeded uniform sample")
    p.add_argument("--labeled", default="", help="coreset's anchors, the labelled images: a folder of images, an "
                   "IDX or a .npy file (read in memory, as m2vaal-score reads --images)")
    p.add_argument("--seed", type=int, default=0, help="seeds --keep=sample and BADGE")
    p.add_argument("--batch_size", type=int, default=256, help="largest batch RunInference gives the model")
    p.add_argument("--beam_logs", action="store_true", help="show Beam's and its workers' own log lines")
    return p


def checked(args) -> None:
    """One line naming the flag for each misuse, before any work."""
    if args.budget < 0 or args.candidates < 0 or args.batch_size < 1:
        raise UserError("--budget and --candidates must be 0 or more and --batch_size at least 1")
    if args.strategy and not (args.candidates and args.budget):
        raise UserError(f"--strategy={args.strategy} selects in memory from the pipeline's candidates: set "
                        "--candidates=M and --budget")
    if args.candidates and not args.strategy:
        raise UserError("--candidates keeps rows for a two-stage --strategy (badge or coreset): name it")
    if args.strategy and args.budget > args.candidates:
        raise UserError(f"--budget={args.budget} is more than the --candidates={args.candidates} it selects from")
    if args.labeled and args.strategy != "coreset":
        raise UserError("--labeled gives coreset its anchors; it needs --strategy=coreset")


def pipeline_options(rest):
    """The runner's options; the DirectRunner in multi-processing mode unless a runner is named."""
    from apache_beam.options.pipeline_options import PipelineOptions
    if not any(a.startswith("--runner") for a in rest):
        rest = ["--runner=DirectRunner", "--direct_running_mode=multi_processing",
                f"--direct_num_workers={os.cpu_count() or 1}", *rest]
    return PipelineOptions(rest)


def ensure_new_output(output: str) -> None:
    from apache_beam.io.filesystems import FileSystems
    if FileSystems.match([FileSystems.join(output, "*")])[0].metadata_list:
        raise UserError(f"--output={output} already holds files; give a new or empty directory, so that "
                        "no shard of an earlier run is mixed with this one's")


def plan_for(args, model) -> plans.ScoringPlan:
    from m2vaal_tf import score
    meaning = model.score_meaning.numpy().decode()
    if args.score == ranking.MODEL_SCORE and meaning.endswith(score.OLD_DIRECTION):
        raise UserError(f"--model={args.model} ranks lower first (exported before 2026-12-06); export it again, "
                        "or rank by --score=least_confidence, margin or entropy")
    return plans.ScoringPlan(
        model_dir=args.model, pool=args.pool, input_format=plans.input_format(args.pool, args.input_format),
        output=args.output, image_shape=score.input_shape(model),
        class_names=tuple(n.decode() for n in model.class_names.numpy()), score=args.score, budget=args.budget,
        candidates=args.candidates, keep=args.keep, seed=args.seed, batch_size=args.batch_size)


def counters(result) -> dict:
    from apache_beam.metrics.metric import MetricsFilter

    from m2vaal_tf.beam import reading
    found = result.metrics().query(MetricsFilter().with_namespace(reading.NAMESPACE))["counters"]
    return {c.key.metric.name: int(c.committed if c.committed is not None else c.attempted) for c in found}


def main(argv=None) -> None:
    args, rest = parser().parse_known_args(argv)
    if not args.beam_logs:  # the runner's and workers' INFO and WARNING lines drown the progress lines
        logging.getLogger().setLevel(logging.ERROR)
        rest = [*rest, "--default_sdk_harness_log_level=ERROR"]
    try:
        checked(args)
        cli.start_tensorflow()
        from m2vaal_tf import score
        model = score.load_model(args.model)
        plan = plan_for(args, model)
        options = pipeline_options(rest)
        ensure_new_output(args.output)
    except UserError as e:
        cli.exit_with_error(str(e))
    import apache_beam as beam

    from m2vaal_tf.beam import pipeline
    print(f"scoring {args.pool} ({plan.input_format}) with {args.model}, score = {args.score}", file=sys.stderr)
    started = time.time()
    p = beam.Pipeline(options=options)
    pipeline.build(p, plan)
    result = p.run()
    result.wait_until_finish()
    seconds = time.time() - started
    counts = counters(result)
    scored, failed = counts.get("images_decoded", 0), counts.get("images_failed", 0)
    print(f"scored {scored} images in {seconds:.1f} s ({scored / max(seconds, 1e-9):.0f} images/s); "
          f"{failed} failed to decode" + (f" (listed in {args.output}/failures-*.csv)" if failed else ""),
          file=sys.stderr)
    summary = dict(pool=args.pool, model=args.model, score=args.score, images_scored=scored, images_failed=failed,
                   seconds=round(seconds, 2), budget=args.budget, strategy=args.strategy,
                   candidates=args.candidates, keep=args.keep)
    if args.strategy:
        try:
            summary["selected"] = select_from_candidates(args, model, plan)
        except UserError as e:
            cli.exit_with_error(str(e))
    atomic.write_text(os.path.join(args.output, "summary.json"), json.dumps(summary, indent=1) + "\n")


def select_from_candidates(args, model, plan) -> int:
    """The second stage: `--strategy` over the M candidates (and the labelled anchors), in memory."""
    from m2vaal_tf import score
    from m2vaal_tf.beam import pipeline
    with np.load(os.path.join(args.output, "candidates.npz")) as kept:
        items, scores = kept["items"], kept["scores"]
        probabilities, embeddings = kept["probabilities"], kept["embeddings"]
    if len(items) < args.budget:
        raise DataError(f"--budget={args.budget}: only {len(items)} images decoded to select from")
    anchors = np.zeros((0, embeddings.shape[1]), np.float32)
    if args.labeled:
        try:
            images, _ = score.read_images(args.labeled, plan.image_shape)
        except DataError as e:
            raise DataError(str(e).replace("--images=", "--labeled=", 1)) from None
        anchors = np.concatenate([model.embed(images[i:i + 512])["embedding"].numpy()
                                  for i in range(0, len(images), 512)])
    labeled = np.arange(len(anchors))
    chosen = selection.select(
        args.strategy, args.budget, labeled,
        probabilities=np.concatenate([np.zeros((len(anchors), probabilities.shape[1]), np.float32), probabilities]),
        embeddings=np.concatenate([anchors, embeddings]), seed=args.seed) - len(anchors)
    rows = [ranking.Row(str(items[i]), float(scores[i]), probabilities[i]) for i in chosen]
    atomic.write_text(os.path.join(args.output, "query.csv"), pipeline.ranked_text(rows, plan.class_names))
    print(f"selected {len(rows)} by {args.strategy} from {len(items)} candidates ({args.keep}); wrote "
          f"{args.output}/query.csv", file=sys.stderr)
    return len(rows)


def run():
    """Console-script entry point (`m2vaal-beam-score`)."""
    main()


if __name__ == "__main__":
    run()
