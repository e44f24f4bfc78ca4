"""`--precision`: the Keras dtype policy the learners are built with.

  float32         everything in float32
  mixed_bfloat16  layers compute in bfloat16 and keep float32 variables (Keras mixed precision); the
                  last layer of every network is float32, so logits, μ and log σ², pixel logits and D's
                  logit are float32, and so is everything computed from them: softmax, the KL, the
                  reconstruction BCE, every loss. bfloat16 has float32's exponent range, so no loss
                  scaling is needed.
  auto            mixed_bfloat16 where the hardware computes bfloat16 natively: a CPU with AVX512_BF16
                  or AMX-BF16 (oneDNN's bfloat16 kernels use them), or a GPU of compute capability
                  8.0 or more (Ampere and later); float32 elsewhere, where bfloat16 is emulated and slower.

The policy is set only while a learner is built (`policy_scope`): a layer keeps the policy it was
made with, and nothing else in the process changes.

`kernels()` names the hardware path the arithmetic takes. On a CPU, oneDNN picks its kernels by the
widest instruction set there, and kernels round differently: the same seed and flags gave 0.6466 with
AMX and 0.6554 without (protocol C, seed 1, round 0, bfloat16), and exactly 0.6554 again on the AMX
CPU with ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16. Runs reproduce number for number only on the same path.
"""
import contextlib
import functools
import os

import keras
import tensorflow as tf

MIXED = "mixed_bfloat16"
_BFLOAT16_CPU_FEATURES = ("avx512_bf16", "amx_bf16")
_KERNEL_CPU_FEATURES = ("amx_bf16", "avx512_bf16", "avx512f", "avx2")  # widest first


@functools.lru_cache(maxsize=None)
def cpu_flags() -> frozenset:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bfloat16() -> str:
    """Why this machine computes bfloat16 natively, or "" when it does not."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
        return f"GPU compute capability {capability[0]}.{capability[1]}" if tuple(capability) >= (8, 0) else ""
    found = [flag for flag in _BFLOAT16_CPU_FEATURES if flag in cpu_flags()]
    return f"CPU with {found[0].upper()}" if found else ""


def kernels() -> str:
    """The hardware path of this process's arithmetic: the GPU, or the widest CPU instruction set
    that oneDNN may use with the cap `ONEDNN_MAX_CPU_ISA` puts on it (oneDNN reads it at start)."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        return f"gpu {tf.config.experimental.get_device_details(gpus[0]).get('device_name', '')}".rstrip()
    widest = next((flag for flag in _KERNEL_CPU_FEATURES if flag in cpu_flags()), "other")
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return f"cpu {widest}" + (f" (ONEDNN_MAX_CPU_ISA={cap})" if cap else "")


def resolve(precision: str) -> str:
    """The policy name `--precision` means on this machine."""
    if precision != "auto":
        return precision
    return MIXED if native_bfloat16() else "float32"


def describe(precision: str) -> str:
    """What `--precision=precision` computes in here, why, and on which path: for the run's log."""
    reason = native_bfloat16() if precision == "auto" else ""
    return (f"precision {resolve(precision)}" + (f" (auto: {reason})" if reason else "")
            + f"; kernels {kernels()}")


@contextlib.contextmanager
def policy_scope(name: str):
    """Layers created inside compute with policy `name`; the global policy is restored after."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
