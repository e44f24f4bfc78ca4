"""Scoring and selecting from an unlabelled pool of any size on Apache Beam, with a SavedModel that
`--export` wrote (issue 56): the same pipeline runs on the DirectRunner here and on Dataflow, Flink
or Spark (README, "Scoring a large pool on Apache Beam").

  reading.py        the pool's image files or TFRecords -> (item, uint8 image), failures apart
  model_handler.py  RunInference's handler: the export's serving signatures on a batch
  ranking.py        rows, the order of a query (exact top-k) and the two-stage candidates
  pipeline.py       the pipeline: every image's score, the query, the failures, the candidates
  program.py        `m2vaal-beam-score`, the command line

Needs `pip install 'm2vaal_tf[beam]'` (apache-beam); nothing else of the package imports it.
"""
