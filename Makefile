# Financy — two commands on a fresh machine: `make up` (single box) and `make test`.
# Works as root with no terminal (CI) and through sudo; needs Python 3.11 (Debian 12's python3).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null || echo python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml scripts/system-packages.txt 2>/dev/null | sha1sum | cut -c1-12)
DATA_DIR ?= var
PORT ?= 8080
EDGE_PORT ?= 8081
# Test folders that exist (git keeps no empty folder, and pytest fails on a missing path).
TEST_DIRS := $(wildcard tests/unit tests/integration tests/e2e tests/deploy)
# The deployment validators (make validate-deploy) have a venv of their own: their pins never meet ours.
DEPLOY_VENV ?= .venv-deploy
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed-$(shell cat scripts/deploy-tools.txt scripts/fetch_kustomize.py 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: up test lint typecheck imports unit integration e2e bench eval install system-deps clean validate-deploy

# A venv made while ensurepip was missing (no python3-venv) has python but no pip: it is made again.
$(STAMP): pyproject.toml scripts/system-packages.txt scripts/install-system-deps.sh
	bash scripts/install-system-deps.sh
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "Financy needs Python 3.11; $(PYTHON) is $$($(PYTHON) -V 2>&1). Run: make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(VENV)/bin/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[core,edge,inference,speech,vision,train,embedded,dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

$(DEPLOY_STAMP): scripts/deploy-tools.txt scripts/install-deploy-tools.sh scripts/fetch_kustomize.py
	PYTHON=$(PYTHON) bash scripts/install-deploy-tools.sh $(DEPLOY_VENV)
	rm -f $(DEPLOY_VENV)/.installed-*
	touch $(DEPLOY_STAMP)

## make validate-deploy: the images, compose files, Kubernetes manifests and Ansible playbooks checked
## offline (hadolint, checkov, docker-compose config, kustomize + kubernetes-validate, ansible-lint)
## and the Ansible box and edge roles run for real on this machine (tests/deploy). Part of make test.
validate-deploy: $(STAMP) $(DEPLOY_STAMP)
	$(PY) -m pytest -q tests/deploy

system-deps:
	bash scripts/install-system-deps.sh

## make up: install, then run the single box on embedded PostgreSQL and Redis (Ctrl-C stops it).
up: $(STAMP)
	$(VENV)/bin/financy up --data-dir $(DATA_DIR) --port $(PORT) --edge-port $(EDGE_PORT)

## make test: install, then lint, type-check, check the dependency rule, and run every test
## (the deployment checks of make validate-deploy among them).
test: $(STAMP) $(DEPLOY_STAMP) lint typecheck imports
	$(PY) -m pytest -q $(TEST_DIRS)

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
	@if [ -d tests/e2e ]; then $(PY) -m pytest tests/e2e -q; else echo "no tests/e2e yet"; fi

## make bench: the benchmarks (tests/benchmarks); not part of make test. The parse latency (no
## servers), the end-to-end text path, speech (real-time factor vs raw faster-whisper), receipts
## (seconds per receipt vs the raw OCR engines), media jobs with 1 and 2 edge workers, and the
## Telegram webhook (acknowledgement and reply latency beside the raw dev chat), and the reports at
## 1M transactions on the machine's PostgreSQL (report routes, list pages, the chat's month total,
## beside raw SQL; FINANCY_BENCH_DATABASE_URL picks another server), and the fleet's delivery
## (edge outbox -> stream -> ingest commit -> reply, 1/2/4 ingest processes, beside redis-benchmark
## XADD and a raw batched psycopg insert), and the statement import (a 100,000-row CSV and OFX into
## a ledger of 1M transactions with dedupe and capture matching, beside a raw COPY of the same rows),
## and transaction search at 1M transactions in one ledger
## (API, service and raw SQL of the same searches: typos, accents, receipt lines, transcripts, filters).
bench: $(STAMP)
	$(PY) -m tests.benchmarks.parse
	$(PY) -m tests.benchmarks
	$(PY) -m tests.benchmarks.speech
	$(PY) -m tests.benchmarks.receipts
	$(PY) -m tests.benchmarks.media_jobs
	$(PY) -m tests.benchmarks.webhooks
	$(PY) -m tests.benchmarks.bench_reports
	$(PY) -m tests.benchmarks.fleet
	$(PY) -m tests.benchmarks.import_bench
	$(PY) -m tests.benchmarks.search_bench

## make eval: dev and test side by side (splits in tests/eval/splits.py; the test split is frozen
## third-party material): message understanding, word error rate and amounts on speech, receipt
## fields (tests/eval/README.md). About 6 minutes on 2 cores (3.5 of them OCR of 39 receipts).
eval: $(STAMP)
	$(PY) -m tests.eval
	$(PY) -m tests.eval.speech
	$(PY) -m tests.eval.receipts

clean:
	rm -rf $(VENV) $(DEPLOY_VENV) .mypy_cache .ruff_cache
