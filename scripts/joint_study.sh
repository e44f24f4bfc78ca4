#!/usr/bin/env bash
# The joint-model study (issue 53, docs/RESULTS.md "The joint-model study") in lanes, as grid.sh runs
# the grid: LANES processes (2 on CPUs, one thread each) share the plan of scripts/joint_study.py,
# each cell claimed by one lane. Resumable: a finished cell (docs/results/joint_study/<cell>.json) is
# skipped and an interrupted one resumes inside its round from logs/joint_study/<cell>/, so run it
# again to go on. Arguments go to joint_study.py (e.g. --protocols C --variants default,kingma).
# Each lane logs to logs/joint_study_lane<k>.log; commit docs/results/joint_study/ as cells finish.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
LANES=${LANES:-2}
THREADS=$(( $(nproc) / LANES > 0 ? $(nproc) / LANES : 1 ))
mkdir -p logs
exec 9>logs/joint_study.lock
flock -n 9 || { echo "scripts/joint_study.sh: another study is running (logs/joint_study.lock)" >&2; exit 1; }
rm -rf logs/joint_study/claims  # claims of an earlier, killed study: its cells resume
export PYTHONUNBUFFERED=1 TF_NUM_INTRAOP_THREADS=$THREADS TF_NUM_INTEROP_THREADS=$THREADS
pids=()
for k in $(seq "$LANES"); do
  "$PYTHON" scripts/joint_study.py "$@" > "logs/joint_study_lane$k.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
"$PYTHON" scripts/joint_study.py --table_only
