#!/usr/bin/env bash
# The runs behind docs/RESULTS.md: three protocols, every strategy, seeds 0-2, at the sizes of
# configs/results_{a,b,c}.cfg. Resumable: run it again to continue where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
COMMON="random,least_confidence,margin,entropy"
$PYTHON -m m2vaal_tf.compare --flagfile=configs/results_b.cfg --strategies=$COMMON,m2vaal,m2vaal_noadv,vaal,tavaal --seeds=0,1,2
$PYTHON -m m2vaal_tf.compare --flagfile=configs/results_c.cfg --strategies=$COMMON,algorithm1,algorithm2,coreset,bald --seeds=0,1,2
$PYTHON -m m2vaal_tf.compare --flagfile=configs/results_a.cfg --strategies=$COMMON,m2vaal,m2vaal_noadv,vaal,tavaal --seeds=0,1,2
