"""--precision: what auto picks, float32 where the losses and outputs are, the global policy left
alone, and the same selections from the same seed under mixed_bfloat16."""
import os

import keras
import numpy as np
import pytest

from m2vaal_tf import experiment, models
from m2vaal_tf.config import ExperimentConfig
from m2vaal_tf.errors import ConfigError
from m2vaal_tf.models import precision


@pytest.mark.parametrize("flags, expected", [({"avx512_bf16", "avx512f"}, "mixed_bfloat16"),
                                             ({"amx_bf16"}, "mixed_bfloat16"), ({"avx2", "avx512f"}, "float32")])
def test_auto_picks_bfloat16_only_where_the_cpu_computes_it(monkeypatch, flags, expected):
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset(flags))
    assert precision.resolve("auto") == expected
    assert precision.resolve("float32") == "float32" and precision.resolve("mixed_bfloat16") == "mixed_bfloat16"


@pytest.mark.parametrize("flags, cap, expected", [
    ({"amx_bf16", "avx512_bf16", "avx512f", "avx2"}, None, "cpu amx_bf16"),
    ({"amx_bf16", "avx512_bf16", "avx512f", "avx2"}, "AVX512_CORE_BF16",
     "cpu amx_bf16 (ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16)"),
    ({"avx512_bf16", "avx512f", "avx2"}, None, "cpu avx512_bf16"),
    ({"avx2", "sse4_2"}, None, "cpu avx2"),
    (set(), None, "cpu other")])
def test_kernels_name_the_widest_cpu_path_and_its_cap(monkeypatch, flags, cap, expected):
    """Rounds record it: the same seed gives other numbers on a CPU with AMX than on one without."""
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset(flags))
    if cap:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    else:
        monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert precision.kernels() == expected


def test_kernels_name_the_gpu_where_there_is_one(monkeypatch):
    monkeypatch.setattr(precision.tf.config, "list_physical_devices", lambda kind: ["gpu:0"])
    monkeypatch.setattr(precision.tf.config.experimental, "get_device_details",
                        lambda device: {"device_name": "NVIDIA A100", "compute_capability": (8, 0)})
    assert precision.kernels() == "gpu NVIDIA A100"


def test_bad_precision_is_refused():
    with pytest.raises(ConfigError, match="--precision='float16' is not one of: auto, float32, mixed_bfloat16"):
        ExperimentConfig(precision="float16")


def test_mixed_learner_computes_in_bfloat16_with_float32_variables_and_outputs():
    config = ExperimentConfig(strategy="m2vaal", precision="mixed_bfloat16")
    learner = models.build("m2vaal", config, (28, 28, 1), 10)
    assert keras.config.dtype_policy().name == "float32"  # only the learner's layers changed
    conv = learner.encoder.get_layer("enc_conv1")
    assert conv.compute_dtype == "bfloat16" and conv.kernel.dtype == "float32"
    assert all(v.dtype == "float32" for v in learner.trainable_variables)
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28, 1)).astype(np.uint8)
    for output in (learner.predict_proba(images), learner.embed(images), learner.labeled_probability(images)):
        assert output.dtype == np.float32 and np.all(np.isfinite(output))
    np.testing.assert_allclose(learner.predict_proba(images).sum(axis=1), 1.0, rtol=1e-5)


def test_same_seed_same_selection_in_mixed_bfloat16(tmp_path, fashion_subset):
    """Round 0's query only (`play_unrecorded`): where bfloat16 is emulated (CPUs without
    AVX512_BF16) a whole run is slow, and round 0 is where the two runs could first part."""
    def selected(name):
        config = ExperimentConfig(strategy="m2vaal", precision="mixed_bfloat16", initial_labeled=64, budget=32,
                                  max_labeled=96, pool_subsample=200, epochs=1, batch_size=32, vae_epochs=2,
                                  vae_batch_size=32, projector_every=0, logdir=str(tmp_path), run_name=name)
        os.makedirs(config.run_dir)  # where the round's state is kept while it trains
        played = experiment.prepare(config, dataset=fashion_subset).play_unrecorded(out=lambda line: None)
        assert np.isfinite(played.metrics["train_vae_loss"]) and len(played.selected) == 32
        return played.selected.tolist()
    assert selected("first") == selected("second")
