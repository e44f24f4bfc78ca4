"""The package is declared in pyproject.toml (PEP 621); this shim lets tools that call setup.py
directly (and the project's layout) find it."""
from setuptools import setup

setup()
