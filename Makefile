# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: validate test bench conformance clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

validate: $(STAMP)
	$(BIN)/gitops-validate

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

conformance: $(STAMP)
	$(BIN)/python -m pytest -q -m conformance

bench: $(STAMP)
	$(BIN)/python benchmarks/schema_throughput.py
	$(BIN)/python benchmarks/scale.py --apps 100 --envs 4
	$(BIN)/python benchmarks/peers.py

clean:
	rm -rf $(VENV) build *.egg-info
