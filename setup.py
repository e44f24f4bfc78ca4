"""Packaging for m2vaal_tf.

Dependencies are pinned to the compatible-release ranges that were installed and tested together on
Python 3.11 (TensorFlow 2.21 ships Keras 3.15 and TensorBoard 2.21).
"""
from setuptools import find_packages, setup

setup(
    name="m2vaal_tf",
    version="0.1.0",
    description="Deep active learning with generative models (M2-VAAL, VAAL, TA-VAAL) in TensorFlow/Keras",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["m2vaal_tf", "m2vaal_tf.*"]),
    python_requires=">=3.10",
    install_requires=[
        "tensorflow~=2.21.0",
        "keras~=3.15.0",
        "tensorflow-datasets~=4.9.10",
        "tensorboard~=2.21.0",
        "absl-py~=2.1",
        "numpy>=2.0,<2.5",  # np.trapezoid (reporting/curves.py) is numpy 2
    ],
    extras_require={"test": ["pytest>=8", "pytest-xdist>=3.5"], "plots": ["matplotlib>=3.8"]},
    entry_points={"console_scripts": [
        "m2vaal-train = m2vaal_tf.train:run",
        "m2vaal-compare = m2vaal_tf.compare:run",
        "m2vaal-score = m2vaal_tf.score:run",
    ]},
)
