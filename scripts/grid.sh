#!/usr/bin/env bash
# The results grid at the authors' budget, 3 seeds per strategy, in the order of the compute plan
# (docs/RESULTS.md, "The grid"): protocol B completely, then C, then A's uncertainty strategies, then
# A's generative learners. About 100 hours on 2 CPU cores (bfloat16), 10 on one GPU by estimate
# (python scripts/grid_plan.py: the plan, and the hours left given the committed records).
# The generative learners run seed by seed (every learner's seed 0, then seed 1, then seed 2): one of
# their runs takes 4-6 hours here, so this order compares them all on one seed days before the third.
# Resumable: a finished run is skipped and an interrupted one resumed, so run it again to go on.
# Each finished run's pool.json, results.csv and flags.txt are copied to docs/results/runs/<protocol>/
# (commit them with docs/RESULTS.md rebuilt by `python -m m2vaal_tf.compare --summarize`: a test checks
# that the page and the records agree); the last command rebuilds the page when the grid is done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
UNCERTAINTY=random,least_confidence,margin,entropy
GRID="$PYTHON -m m2vaal_tf.compare --records_dir=docs/results/runs"

# every seed of the cheap strategies at once, the generative learners one seed at a time
grid() {
  local protocol=$1 cheap=$2 generative=$3
  $GRID --flagfile="configs/grid_$protocol.cfg" --seeds=0,1,2 --strategies="$cheap"
  for seed in 0 1 2; do
    $GRID --flagfile="configs/grid_$protocol.cfg" --seeds=$seed --strategies="$generative"
  done
}

grid b $UNCERTAINTY m2vaal,m2vaal_noadv,vaal,tavaal
grid c $UNCERTAINTY,coreset,bald,badge algorithm1,algorithm2
grid a $UNCERTAINTY m2vaal,m2vaal_noadv,vaal,tavaal
$PYTHON -m m2vaal_tf.compare --summarize
