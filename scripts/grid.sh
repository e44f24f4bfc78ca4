#!/usr/bin/env bash
# The results grid at the authors' budget, 3 seeds per strategy, in the order of the compute plan
# (python scripts/grid_plan.py: the plan, its hours, and the runs left given the committed records).
# The first grid ran protocol B, then C, then A, in about 86 hours of the two lanes below on a 2-core
# CPU with AMX (bfloat16). What is left now is issue 53's runs: the strategies whose default joint
# model changed (C's Algorithms 1 and 2, B's m2vaal_noadv) under their new names, and vaal_elbo on B
# and A; about 56 hours of the lanes on that machine, 6 on one GPU by estimate, five times more on a
# CPU without AVX512-BF16 or AMX (float32).
# The generative learners run seed by seed (every learner's seed 0, then seed 1, then seed 2): one of
# their runs takes hours, so this order compares them all on one seed before the third.
# LANES processes take the runs in that order, each run by one lane, each lane computing on its share
# of the cores: on 2 cores two one-thread processes do 1.17x (small networks) and 1.13x (large) the
# VAE/D iterations of one two-thread process (python bench/lanes.py, medians). LANES is 2 on CPUs and 1 where nvidia-smi lists a GPU (one process per GPU).
# A run's numbers depend on its thread count: the grid's CPU runs are reproduced with
# TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 on 2 cores, as here.
# Resumable: a finished run is skipped and an interrupted one resumed (inside its round, for the
# generative learners), so run it again to go on. Each lane logs to logs/grid_lane<k>.log.
# An unfinished run's pool.json and flags.txt are also kept in docs/results/unfinished/ after every
# round: commit them, and a fresh clone without logs/grid resumes the run at its last completed round.
# Each finished run's pool.json, results.csv and flags.txt are copied to docs/results/runs/<protocol>/
# (commit them with docs/RESULTS.md rebuilt by `python -m m2vaal_tf.compare --summarize`: a test checks
# that the page and the records agree); the last command rebuilds the page when the grid is done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
if [ -z "${LANES:-}" ]; then
  LANES=2 && nvidia-smi -L 2>/dev/null | grep -q GPU && LANES=1
fi
THREADS=$(( $(nproc) / LANES > 0 ? $(nproc) / LANES : 1 ))
CLAIMS=logs/grid_claims

# A lane plays, in plan order, every run left (scripts/grid_plan.py --left: the plan, and which runs
# have no committed record under their name) that no other lane has claimed (mkdir is atomic). A run's
# name says its joint model (joint_defaults.py), so a strategy whose default joint model changed
# (issue 53) has runs left again, under new names.
lane() {
  local protocol strategy seed
  "$PYTHON" scripts/grid_plan.py --left | while read -r protocol strategy seed; do
    mkdir "$CLAIMS/${protocol}_${strategy}_seed$seed" 2>/dev/null || continue
    "$PYTHON" -m m2vaal_tf.compare --records_dir=docs/results/runs --unfinished_dir=docs/results/unfinished \
      --flagfile="configs/grid_$protocol.cfg" --seeds="$seed" --strategies="$strategy"
  done
}

mkdir -p logs
exec 9>logs/grid.lock
flock -n 9 || { echo "scripts/grid.sh: another grid is running (logs/grid.lock)" >&2; exit 1; }
rm -rf "$CLAIMS" && mkdir -p "$CLAIMS"  # claims of an earlier, killed grid: its runs resume
export PYTHONUNBUFFERED=1
[ "$LANES" -gt 1 ] && export TF_NUM_INTRAOP_THREADS=$THREADS TF_NUM_INTEROP_THREADS=$THREADS
echo "scripts/grid.sh: $LANES lane(s) of $THREADS thread(s); logs/grid_lane<k>.log"
pids=()
for k in $(seq "$LANES"); do
  lane > "logs/grid_lane$k.log" 2>&1 &
  pids+=($!)
done
failed=0
for k in "${!pids[@]}"; do
  wait "${pids[$k]}" || { echo "scripts/grid.sh: lane $((k + 1)) failed, see logs/grid_lane$((k + 1)).log" >&2; failed=1; }
done
[ "$failed" = 0 ] || exit 1
"$PYTHON" -m m2vaal_tf.compare --summarize
