"""What a scoring pipeline computes, as one value the launcher checks before Beam is imported:
the model, the pool and its format, the score, the query and the two-stage candidates."""
import dataclasses
import os
from typing import Tuple

from m2vaal_tf.beam import ranking

IMAGES, TFRECORD = "images", "tfrecord"  # the pool's formats
UNCERTAIN, SAMPLE = "uncertain", "sample"  # how the two-stage selection keeps its M candidates
CLASSIFY, SCORE, EMBED = "classify", "score", "embed"  # the export's signatures (export.py)


def input_format(pattern: str, given: str) -> str:
    """`given`, or what the pattern's extension says (.tfrecord* -> TFRecords, else image files)."""
    if given != "auto":
        return given
    return TFRECORD if ".tfrecord" in os.path.basename(pattern) else IMAGES


@dataclasses.dataclass(frozen=True)
class ScoringPlan:
    model_dir: str
    pool: str               # file pattern of images or TFRecords
    input_format: str       # IMAGES | TFRECORD
    output: str             # directory
    image_shape: Tuple[int, int, int]
    class_names: Tuple[str, ...]
    score: str = ranking.MODEL_SCORE
    budget: int = 0         # 0: no query
    candidates: int = 0     # M of the two-stage selection; 0: none
    keep: str = UNCERTAIN
    seed: int = 0
    batch_size: int = 256

    def signatures(self):
        """The export's signatures the plan reads: classify always, score and embed when needed."""
        wanted = [CLASSIFY]
        if self.score == ranking.MODEL_SCORE:
            wanted.append(SCORE)
        if self.candidates:
            wanted.append(EMBED)
        return wanted
