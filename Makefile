# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test data clean-venv

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

clean-venv:
	rm -rf $(VENV)
