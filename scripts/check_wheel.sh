#!/usr/bin/env bash
# The package as a user installs it: builds a wheel from this tree, installs it (and its dependencies,
# from their ranges in pyproject.toml) into an empty virtualenv, and runs m2vaal_tf.select on arrays
# there, from a directory without the source tree. `make wheel-check`; CI runs it after the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip
"$work/venv/bin/pip" wheel --quiet --no-deps -w "$work/dist" .
"$work/venv/bin/pip" install --quiet "$work"/dist/m2vaal_tf-*.whl
cd "$work"
"$work/venv/bin/python" - <<'PY'
import numpy as np
import m2vaal_tf

probabilities = np.random.default_rng(0).dirichlet(np.ones(10), size=500)
labeled = np.arange(50)
chosen = m2vaal_tf.select("margin", 20, labeled, probabilities=probabilities)
top = np.sort(probabilities, axis=1)
margin = top[:, -1] - top[:, -2]
margin[labeled] = np.inf
assert set(chosen.tolist()) == set(np.argsort(margin)[:20].tolist()), chosen
assert m2vaal_tf.__file__.startswith(__import__("sys").prefix), m2vaal_tf.__file__  # the installed copy
print(f"wheel m2vaal_tf {m2vaal_tf.__version__}: installed in an empty venv; select('margin') on arrays works")
PY
