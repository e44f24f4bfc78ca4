"""Shared fixtures: the real Fashion-MNIST files and small real subsets of them."""
import gzip
import os
import signal
import socket
import struct
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from m2vaal_tf import data  # noqa: E402

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def kill_train_py_when(flags, ready, timeout=240, program=("train.py",)):
    """Starts `train.py` (or `program`, e.g. a launcher and train.py) with `flags` and SIGKILLs it as
    soon as `ready()` holds, failing if the run ends first: a crash at the worst moment, for the
    resume tests."""
    process = subprocess.Popen([sys.executable, *program, *flags], cwd=PROJECT_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline and process.poll() is None and not ready():
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()


def two_cpu_launcher(tmp_path):
    """A script that runs `python LAUNCHER PROGRAM ARGS...` with the CPU split into 2 logical devices,
    so that tf.distribute's MirroredStrategy has two replicas on one CPU."""
    launcher = tmp_path / "two_cpus.py"
    launcher.write_text(
        "import runpy, sys, tensorflow as tf\n"
        "tf.config.set_logical_device_configuration(tf.config.list_physical_devices('CPU')[0],\n"
        "    [tf.config.LogicalDeviceConfiguration()] * 2)\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    return launcher


def write_idx(path, array):
    """Writes a uint8 array as an IDX file (gzip-compressed when the name ends in .gz)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_idx_directory(directory, train_x, train_y, test_x, test_y, compress=True):
    os.makedirs(directory, exist_ok=True)
    suffix = ".gz" if compress else ""
    for stem, array in zip(data.IDX_STEMS.values(), (train_x, train_y, test_x, test_y)):
        write_idx(os.path.join(directory, stem + suffix), array)
    return directory


@pytest.fixture(scope="session")
def fashion_mnist_arrays():
    """The real Fashion-MNIST train/test arrays (the suite needs the data set; `make test` installs it)."""
    return data.read_idx_directory(data.locate_fashion_mnist())


@pytest.fixture(scope="session")
def fashion_subset_dir(tmp_path_factory, fashion_mnist_arrays):
    """A real Fashion-MNIST subset as IDX files: the first 3,000 training and 1,000 test images."""
    train_x, train_y, test_x, test_y = fashion_mnist_arrays
    directory = str(tmp_path_factory.mktemp("fashion_subset"))
    return write_idx_directory(directory, train_x[:3000, ..., 0], train_y[:3000], test_x[:1000, ..., 0], test_y[:1000])


@pytest.fixture(scope="session")
def fashion_subset(fashion_subset_dir):
    """The subset loaded as a Dataset: 2,500 pool, 500 validation, 1,000 test images."""
    return data.load_dataset(f"idx:{fashion_subset_dir}", validation_size=500)


def free_port() -> int:
    """A local TCP port nobody listens on (for servers the tests start: workers, TensorBoard, Label Studio)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
