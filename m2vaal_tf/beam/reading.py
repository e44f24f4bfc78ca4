"""The pool as Beam reads it: a file pattern of images (one file an image) or of TFRecord shards
(`data/pool_files.py`: one `tf.train.Example` an image). Each element becomes (item, uint8 image)
conformed to the export's input, as `m2vaal-score` conforms a folder's images (the same
`image_files` functions). An element that does not decode is counted and sent to the failures
output with its item and the reason: one bad file never fails a pipeline over millions."""
import os

import apache_beam as beam
from apache_beam.io import fileio

from m2vaal_tf.beam.plan import TFRECORD
from m2vaal_tf.data import image_files, pool_files

FAILURES = "failures"
NAMESPACE = "m2vaal_tf"


def pattern_root(pattern: str) -> str:
    """The directory above the pattern's first wildcard: items are named relative to it."""
    head = pattern.split("*")[0].split("?")[0].split("[")[0]
    return head if head.endswith(os.sep) else os.path.dirname(head)


class DecodeImage(beam.DoFn):
    """(item, encoded bytes), or (file, pool record) -> (item, uint8 [H, W, C]); failures tagged with
    the item, or for a record that is not a pool record, with its file."""

    def __init__(self, image_shape, records: bool):
        self.image_shape, self.records = tuple(image_shape), records
        self.decoded = beam.metrics.Metrics.counter(NAMESPACE, "images_decoded")
        self.failed = beam.metrics.Metrics.counter(NAMESPACE, "images_failed")

    def process(self, element):
        import tensorflow as tf
        item, data = element
        try:
            if self.records:
                item, data = pool_files.parse_example(data)
            image = image_files.decode_bytes(data)
        except ValueError as e:
            yield self._failure(item, str(e))
            return
        except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as e:
            yield self._failure(item, image_files.reason(e))
            return
        self.decoded.inc()
        yield item, image_files.conform([image], self.image_shape[:2], self.image_shape[2])[0]

    def _failure(self, item, reason):
        self.failed.inc()
        return beam.pvalue.TaggedOutput(FAILURES, (item, reason))


class ReadPool(beam.PTransform):
    """pattern -> {images: (item, image), failures: (item, reason)}. Items are named relative to the
    pattern's directory (image files) or by their record's `item` feature (TFRecords)."""

    def __init__(self, pattern: str, kind: str, image_shape):
        super().__init__()
        self.pattern, self.kind, self.image_shape = pattern, kind, tuple(image_shape)

    def expand(self, begin):
        root = pattern_root(self.pattern)
        if self.kind == TFRECORD:
            raw = (begin
                   | "Pattern" >> beam.Create([self.pattern])
                   | "ReadRecords" >> beam.io.ReadAllFromTFRecord(with_filename=True)
                   | "FileOfRecord" >> beam.MapTuple(lambda path, record: (os.path.relpath(path, root), record)))
        else:
            raw = (begin
                   | "MatchFiles" >> fileio.MatchFiles(self.pattern)
                   | "SpreadFiles" >> beam.Reshuffle()  # else one worker reads every file the match found
                   | "ReadMatches" >> fileio.ReadMatches()
                   | "ItemAndBytes" >> beam.Map(lambda f: (os.path.relpath(f.metadata.path, root), f.read())))
        return raw | "Decode" >> beam.ParDo(DecodeImage(self.image_shape, self.kind == TFRECORD)).with_outputs(
            FAILURES, main="images")
