"""RunInference's model handler for a SavedModel written by `--export` (export.py).

Beam's own `TFModelHandlerNumpy` loads a SavedModel through `tf.keras.models.load_model` (and
tensorflow_hub), which Keras 3 refuses for a plain SavedModel, and calls one signature. This handler
loads the export with `tf.saved_model.load`, as any consumer of it does, and calls the serving
signatures a pipeline needs (classify always; score and embed when asked) on one batch, so every
image is read once.
"""
from typing import Any, Iterable, Optional, Sequence

import numpy as np
from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from m2vaal_tf.beam.plan import CLASSIFY


class SavedModelHandler(ModelHandler[np.ndarray, PredictionResult, Any]):
    def __init__(self, model_dir: str, signatures: Sequence[str] = (CLASSIFY,), max_batch_size: int = 256):
        super().__init__(min_batch_size=1, max_batch_size=max_batch_size)
        self.model_dir, self.signatures = model_dir, tuple(signatures)

    def load_model(self):
        import tensorflow as tf
        return tf.saved_model.load(self.model_dir)

    def run_inference(self, batch: Sequence[np.ndarray], model, inference_args: Optional[dict] = None
                      ) -> Iterable[PredictionResult]:
        """Each image's outputs ({probabilities, predicted_class[, score][, embedding]}) as numpy; the
        example itself is not kept, so rows stay small whatever the image size."""
        import tensorflow as tf
        images = tf.constant(np.stack(batch).astype(np.float32))
        outputs = {}
        for name in self.signatures:
            outputs.update({key: value.numpy() for key, value in model.signatures[name](images=images).items()})
        return [PredictionResult(None, {key: value[i] for key, value in outputs.items()}) for i in range(len(batch))]

    def get_metrics_namespace(self) -> str:
        return "m2vaal_tf_inference"
