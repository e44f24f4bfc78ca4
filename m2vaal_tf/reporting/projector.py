"""The TensorBoard embedding projector's files, one embedding per round, in `<run>/projector/`.

The Keras TensorBoard callback only projects `Embedding` layers, so the files are written by hand:
a checkpoint holding one variable per round (`round_03/.ATTRIBUTES/VARIABLE_VALUE`), and per round a
`metadata.tsv` and a sprite image, all listed in `projector_config.pbtxt`. TensorBoard lists a
projector only in a directory that also holds an event file, hence the directory's own writer.

The checkpoint is found through its `checkpoint` state file rather than named in the config: the
config's checkpoint path is taken relative to where TensorBoard was started, so a relative one
would break as soon as it is started elsewhere, and an absolute one when the logs are moved.
"""
import os
from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf
from google.protobuf import text_format
from tensorboard.plugins import projector

from m2vaal_tf import atomic
from m2vaal_tf.reporting import image_grid

DIRECTORY = "projector"
CONFIG_FILE = "projector_config.pbtxt"


def tensor_name(round_index: int) -> str:
    return f"{round_name(round_index)}/.ATTRIBUTES/VARIABLE_VALUE"


def round_name(round_index: int) -> str:
    return f"round_{round_index:02d}"


def write_round(directory: str, round_index: int, vectors: np.ndarray, header: Sequence[str],
                rows: Sequence[Sequence], images: np.ndarray) -> None:
    """Adds (or, when a resumed run replays the round, replaces) round `round_index`'s embedding:
    `vectors` [N, d], one metadata row per vector under `header`, and the N input images."""
    if not len(vectors) == len(rows) == len(images):
        raise ValueError(f"{len(vectors)} vectors, {len(rows)} metadata rows and {len(images)} images differ")
    os.makedirs(directory, exist_ok=True)
    name = round_name(round_index)
    metadata_file, sprite_file = f"{name}_metadata.tsv", f"{name}_sprite.png"
    atomic.write_text(os.path.join(directory, metadata_file), _tsv(header, rows))
    atomic.write_bytes(os.path.join(directory, sprite_file),
                       tf.io.encode_png(image_grid.sprite(images)).numpy())

    config = read_config(directory)
    embeddings: Dict[str, projector.EmbeddingInfo] = {e.tensor_name: e for e in config.embeddings}
    embedding = projector.EmbeddingInfo(tensor_name=tensor_name(round_index), metadata_path=metadata_file)
    embedding.sprite.image_path = sprite_file
    height, width = image_grid.sprite_thumbnail_size(len(images), images.shape[1:3])
    embedding.sprite.single_image_dim.extend([width, height])
    embeddings[embedding.tensor_name] = embedding

    values = _previous_values(directory, [n for n in embeddings if n != embedding.tensor_name])
    values[embedding.tensor_name] = np.asarray(vectors, dtype=np.float32)
    _write_checkpoint(directory, values)
    config = projector.ProjectorConfig()
    config.embeddings.extend(embeddings[n] for n in sorted(embeddings))
    atomic.write_text(os.path.join(directory, CONFIG_FILE), text_format.MessageToString(config))


def read_config(directory: str) -> projector.ProjectorConfig:
    config = projector.ProjectorConfig()
    path = os.path.join(directory, CONFIG_FILE)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            text_format.Parse(f.read(), config)
    return config


def _previous_values(directory: str, names: List[str]) -> Dict[str, np.ndarray]:
    if not names:
        return {}
    reader = tf.train.load_checkpoint(directory)
    return {name: reader.get_tensor(name) for name in names}


def _write_checkpoint(directory: str, values: Dict[str, np.ndarray]) -> None:
    """One checkpoint with every round's variable; the manager's state file points at it and
    the previous one is deleted only once the new one is complete."""
    variables = {name.split("/")[0]: tf.Variable(value, trainable=False) for name, value in values.items()}
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(**variables), directory, max_to_keep=1,
                                         checkpoint_name="embeddings")
    previous = manager.latest_checkpoint
    manager.save(checkpoint_number=int(previous.rsplit("-", 1)[1]) + 1 if previous else 0)


def _tsv(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """The projector's metadata format: a header line, then one tab-separated line per vector."""
    def cell(value) -> str:
        text = f"{value:.4f}" if isinstance(value, (float, np.floating)) else str(value)
        return text.replace("\t", " ").replace("\n", " ")
    return "".join("\t".join(cell(v) for v in line) + "\n" for line in [header, *rows])
