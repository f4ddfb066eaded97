# Every target bootstraps .venv itself: a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: validate test test-fast bench conformance fuzz clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

validate: $(STAMP)
	$(BIN)/gitops-validate

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# The inner loop: everything but the slow tier (hostile corpus, property-based, end-to-end).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

conformance: $(STAMP)
	$(BIN)/python -m pytest -q -m conformance

# Coverage-guided fuzzing of the loader and the kustomization reader (atheris, a Python 3.11
# wheel on PyPI), FUZZ_SECONDS per target, seeded with the repository's own YAML. A crash stops
# the run and leaves the input under .fuzz/crashes/. The bounded property tests run in `make test`.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= loader kustomization
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[fuzz]"
	@mkdir -p .fuzz/crashes
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p .fuzz/corpus-$$target; \
	  echo "fuzzing $$target for $(FUZZ_SECONDS)s"; \
	  $(BIN)/python -m tests.fuzzing.run_atheris $$target .fuzz/corpus-$$target apps base overlays argocd \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=30 \
	    -artifact_prefix=.fuzz/crashes/$$target- -print_final_stats=1 || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/python benchmarks/schema_throughput.py
	$(BIN)/python benchmarks/scale.py --apps 100 --envs 4
	$(BIN)/python benchmarks/peers.py

clean:
	rm -rf $(VENV) build *.egg-info
