"""The scoring pipeline: read the pool, run the export on it, write what a round needs.

  <output>/scores-SSSSS-of-NNNNN.csv   every image: item, score, predicted_class, class_name, probability
  <output>/failures-SSSSS-of-NNNNN.csv the images that did not decode: item, reason
  <output>/query.csv                   the `budget` highest scores, ranked as `m2vaal-score` ranks (exact top-k)
  <output>/candidates.npz              two-stage selection: the M rows kept, with probabilities and embeddings

Sharded files are the runner's to split; the query and the candidates are one combiner's output
each (`beam.combiners.Top.Of`), so they are exact whatever the number of workers.
"""
import csv
import io
import os

import apache_beam as beam
import numpy as np
from apache_beam.io.filesystems import FileSystems
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference

from m2vaal_tf.beam import model_handler, ranking, reading
from m2vaal_tf.beam.plan import UNCERTAIN, ScoringPlan

SCORES_HEADER = "item,score,predicted_class,class_name,probability"


def csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def score_line(row: ranking.Row, class_names) -> str:
    predicted = int(np.argmax(row.probabilities))
    return csv_line([row.item, f"{row.score:.9g}", predicted, class_names[predicted],
                     f"{row.probabilities[predicted]:.9g}"])


def write_file(path: str, data: bytes) -> str:
    """Through Beam's file systems (local, gs://, s3://, hdfs://), as the sharded outputs are."""
    with FileSystems.create(path) as f:
        f.write(data)
    return path


def ranked_text(rows, class_names) -> str:
    """A query, `rows` most wanted first, in `m2vaal-score`'s columns and the scores files' precision."""
    return f"rank,{SCORES_HEADER}\n" + "".join(
        f"{rank},{score_line(row, class_names)}\n" for rank, row in enumerate(rows, start=1))


def candidates_npz(rows) -> bytes:
    if not rows:
        raise ValueError("no image of the pool decoded: there are no candidates to select from")
    out = io.BytesIO()
    np.savez(out, items=np.array([r.item for r in rows]), scores=np.array([r.score for r in rows]),
             probabilities=np.stack([r.probabilities for r in rows]),
             embeddings=np.stack([r.embedding for r in rows]))
    return out.getvalue()


def build(pipeline, plan: ScoringPlan) -> None:
    """Adds the plan's transforms to `pipeline` (run it to score)."""
    pool = pipeline | "ReadPool" >> reading.ReadPool(plan.pool, plan.input_format, plan.image_shape)
    handler = KeyedModelHandler(model_handler.SavedModelHandler(plan.model_dir, plan.signatures(), plan.batch_size))
    rows = (pool.images
            | "RunInference" >> RunInference(handler)
            | "Rows" >> beam.MapTuple(lambda item, result: ranking.row_of(
                item, result.inference, plan.score, keep_embedding=bool(plan.candidates))))
    names = plan.class_names
    (rows | "ScoreLines" >> beam.Map(score_line, names)
          | "WriteScores" >> beam.io.WriteToText(os.path.join(plan.output, "scores"), ".csv", header=SCORES_HEADER))
    (pool[reading.FAILURES] | "FailureLines" >> beam.MapTuple(lambda item, reason: csv_line([item, reason]))
                            | "WriteFailures" >> beam.io.WriteToText(os.path.join(plan.output, "failures"), ".csv",
                                                                     header="item,reason"))
    if plan.budget:
        (rows | "Query" >> beam.combiners.Top.Of(plan.budget, key=ranking.by_score)
              | "WriteQuery" >> beam.Map(lambda top: write_file(os.path.join(plan.output, "query.csv"),
                                                                ranked_text(top, names).encode())))
    if plan.candidates:
        key = ranking.by_score if plan.keep == UNCERTAIN else ranking.sample_key(plan.seed)
        (rows | "Candidates" >> beam.combiners.Top.Of(plan.candidates, key=key)
              | "WriteCandidates" >> beam.Map(lambda top: write_file(os.path.join(plan.output, "candidates.npz"),
                                                                     candidates_npz(top))))
