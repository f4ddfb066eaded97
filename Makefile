# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

TESTSTAMP := $(VENV)/.installed-test

.PHONY: validate hooks test test-fast bench conformance fuzz clean

# Runtime dependencies only: what `make validate` and the pre-commit hook need.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

# The test and lint tools (pytest, ruff, mypy, pre-commit...) on top, for `make test`.
$(TESTSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(TESTSTAMP)

validate: $(STAMP)
	$(BIN)/gitops-validate

# pre-commit into .venv and the git hook of this clone (.pre-commit-config.yaml).
hooks: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pre-commit==4.7.0"
	$(BIN)/pre-commit install

test: $(TESTSTAMP)
	$(BIN)/python -m pytest -n 2 -q

# The inner loop: everything but the slow tier (hostile corpus, property-based, end-to-end).
test-fast: $(TESTSTAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

conformance: $(TESTSTAMP)
	$(BIN)/python -m pytest -q -m conformance

# Coverage-guided fuzzing of the loader and the kustomization reader (atheris, a Python 3.11
# wheel on PyPI), FUZZ_SECONDS per target, seeded with the repository's own YAML. A crash stops
# the run and leaves the input under .fuzz/crashes/. The bounded property tests run in `make test`.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= loader kustomization
fuzz: $(STAMP)
	@$(BIN)/python -c "import atheris" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[fuzz]"
	@mkdir -p .fuzz/crashes
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .fuzz/corpus-$$target; \
	  echo "fuzzing $$target for $(FUZZ_SECONDS)s"; \
	  $(BIN)/python -m tests.fuzzing.run_atheris $$target .fuzz/corpus-$$target apps base overlays argocd \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=30 \
	    -artifact_prefix=.fuzz/crashes/$$target- -print_final_stats=1 || exit 1; \
	done

bench: $(TESTSTAMP)
	$(BIN)/python benchmarks/schema_throughput.py
	$(BIN)/python benchmarks/scale.py --apps 100 --envs 4
	$(BIN)/python benchmarks/peers.py

clean:
	rm -rf $(VENV) build *.egg-info
