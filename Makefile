# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint wheel-check docs bench results data clean-venv label-studio

# Label Studio for the real-server tests (tests/test_label_studio.py), in a venv of its own: see
# requirements/label-studio.txt for why. About 1 GB; `make test` makes it once.
LS_VENV  := .venv-label-studio
LS_STAMP := $(LS_VENV)/.installed

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,beam]'
	touch $@

data:
	@scripts/ensure_data.sh

$(LS_STAMP): requirements/label-studio.txt requirements/label-studio-constraints.txt
	$(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install --quiet --upgrade pip
	$(LS_VENV)/bin/pip install --quiet -r requirements/label-studio.txt -c requirements/label-studio-constraints.txt
	touch $@

label-studio: $(LS_STAMP)

demo: $(STAMP) data
	$(BIN)/python train.py --flagfile=configs/quickstart.cfg

# Test files in parallel, one worker per core up to 4, each file on one worker so that a file's
# module fixtures (one real run each) are computed once: 1.46x faster than serial on 2 cores.
test: $(STAMP) $(LS_STAMP) data lint
	M2VAAL_LABEL_STUDIO=$(LS_VENV)/bin/label-studio $(BIN)/python -m pytest -q -n auto --maxprocesses=4 --dist loadfile tests

lint: $(STAMP)
	$(BIN)/ruff check .

# The package as a user installs it: a wheel built from the tree, installed into an empty venv,
# m2vaal_tf.select(...) run there on arrays (CI runs it after the tests).
wheel-check:
	scripts/check_wheel.sh

# The API reference, generated from the docstrings into docs/api/ (open docs/api/index.html).
docs: $(STAMP)
	$(BIN)/pip install --quiet -e '.[docs]'
	$(BIN)/pdoc -o docs/api m2vaal_tf

# Benchmark tables (about 30 minutes on 2 cores): train step and scoring images/s, selection time
# vs pool size, TensorBoard summaries per round, seconds per round and peak memory per strategy.
bench: $(STAMP) data
	$(BIN)/python bench/train_step.py --runs 5 --base ab787ec
	$(BIN)/python bench/selection.py --sizes 10000,55000,200000
	$(BIN)/python bench/summaries.py
	$(BIN)/python bench/rounds.py

# The results grid at the authors' budget (docs/RESULTS.md): 75 runs, about 100 hours on 2 CPU
# cores in bfloat16, about 10 on one GPU by estimate (python scripts/grid_plan.py prints the plan
# and what is left). Resumable: run it again to go on; commit docs/results/runs/ as runs finish.
results: $(STAMP) data
	$(BIN)/pip install --quiet -e '.[plots]'
	scripts/grid.sh

clean-venv:
	rm -rf $(VENV) $(LS_VENV)
