# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench results data clean-venv

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

data:
	@scripts/ensure_data.sh

demo: $(STAMP) data
	$(BIN)/python train.py --flagfile=configs/quickstart.cfg

test: $(STAMP) data
	$(BIN)/python -m pytest -q tests

# Benchmark tables (about 17 minutes on 2 cores): train step and scoring images/s, selection time
# vs pool size, TensorBoard summaries per round, seconds per round and peak memory per strategy.
bench: $(STAMP) data
	$(BIN)/python bench/train_step.py --repeats 3
	$(BIN)/python bench/selection.py --sizes 10000,55000,200000
	$(BIN)/python bench/summaries.py
	$(BIN)/python bench/rounds.py

# The runs behind docs/RESULTS.md (hours on 2 cores; resumable), with the plots extra.
results: $(STAMP) data
	$(BIN)/pip install --quiet -e '.[plots]'
	scripts/results.sh

clean-venv:
	rm -rf $(VENV)
