# The two commands of the README: `make run` (whole system + demo data) and `make test`
# (every tier on fresh infrastructure). Everything they need is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test venv lint typecheck unit integration e2e migrate infra-up infra-down bench chaos \
	clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

run: venv  ## start infrastructure, both services and demo data; Ctrl-C stops everything
	bash deploy/local/run.sh

test: venv  ## lint + unit + integration + e2e on fresh infrastructure (profile `test`)
	bash deploy/local/test.sh

lint: venv
	$(BIN)/ruff check src test deploy

typecheck: venv  ## mypy: strict on the shared kernel, domain/ and application/ (pyproject.toml)
	$(BIN)/mypy

# The tiers below expect DATABASE_URL, KVROCKS_URL and KAFKA_BOOTSTRAP_SERVERS in the
# environment, e.g. `make infra-up PROFILE=test && set -a && . .local/test/env`.
unit: venv
	$(BIN)/pytest test/unit -q

integration: venv
	$(BIN)/pytest test/integration -q

e2e: venv
	$(BIN)/pytest test/e2e -q

migrate: venv
	$(BIN)/alembic upgrade head

PROFILE ?= run
infra-up:
	$(PYTHON) deploy/local/infra.py up --profile $(PROFILE)

infra-down:
	$(PYTHON) deploy/local/infra.py down --profile $(PROFILE)

# Load test on fresh infrastructure (profile `bench`, API on :38000); stops what it started.
# `make bench` = default sellout → reports/sellout-latest.json and .png;
# e.g. `make bench BENCH_ARGS="sustained --rate 500 --duration 30"`. See spec/performance.md.
BENCH_ARGS ?= sellout
bench: venv
	bash deploy/local/bench.sh $(BENCH_ARGS)

# Fault-injection suite on fresh infrastructure of its own (profile `chaos`, API on :31800):
# per scenario a fresh event, bounded load, one fault, settling, the checks; stops what it
# started. `make chaos` = every scenario → reports/chaos-latest.json and .md; e.g.
# `make chaos CHAOS_ARGS="--scenario api-kill"`, `CHAOS_ARGS=--short`. See spec/faults.md.
CHAOS_ARGS ?=
chaos: venv
	$(BIN)/python -m deploy.chaos $(CHAOS_ARGS)

clean:
	for p in run test bench chaos; do $(PYTHON) deploy/local/infra.py down --profile $$p; done
	rm -rf .local
