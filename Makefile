# planspor: the project's front door. `make run` and `make test` set up what is missing first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
STAMP := $(VENV)/.installed
PYPROJECTS := $(wildcard shared/pyproject.toml verify/pyproject.toml runtime/pyproject.toml deploy/pyproject.toml services/*/pyproject.toml)
NODE_STAMP := node_modules/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: help setup browser run test unit integration e2e slow chaos bench bench-large up down status reset schemas asyncapi lint fmt

help:
	@echo "make run          set up, start the stack and the services (Ctrl-C stops them)"
	@echo "make test         set up, run make lint, start the test stack, run unit, integration and e2e tests"
	@echo "make lint         ruff (lint and format check), mypy, import-linter's architecture contracts"
	@echo "make fmt          format the code and apply ruff's safe fixes"
	@echo "make up / down    start / stop the local stack (NATS, Neo4j, PostgreSQL) in the background"
	@echo "make status       what of the stack is running"
	@echo "make unit | integration | e2e | slow   one tier of the tests"
	@echo "make chaos        the fault matrix: each fault under load on the test stack (kills 50 times), one table (at most 40 min)"
	@echo "make bench        benchmarks, printed as ratios against a baseline measured in the same run"
	@echo "make bench-large  the scale curve at 10k, 100k and 1M events (hours; bounded by BENCH_LARGE_SECONDS)"
	@echo "make reset        stop everything and delete the local data (var/dev, var/test)"
	@echo "make schemas      regenerate the JSON Schemas of the contracts"
	@echo "make asyncapi     regenerate the AsyncAPI documents of the services (shared/asyncapi/)"

$(STAMP): constraints.txt requirements-dev.txt $(PYPROJECTS)
	@echo "planspor: setting up the Python environment in $(VENV) (pinned by constraints.txt) ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -c constraints.txt -r requirements-dev.txt
	@touch $(STAMP)

# front-end libraries (htmx, cytoscape.js, axe-core, swagger-ui-dist): pinned by package-lock.json, served locally
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "planspor: npm is missing (Node.js 20 or newer): install it, then run make again"; exit 1; }
	@echo "planspor: installing the front-end libraries (npm ci, pinned by package-lock.json) ..."
	@SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)
	@$(PY) -m planspor_stack install

# the browser tier (tests/e2e/portal): Debian's chromium, driven by Playwright from PyPI
browser:
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ]; then echo "planspor: installing Debian's chromium for the browser tests ..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "planspor: the browser tests need Debian's chromium at $(CHROMIUM): sudo apt-get install chromium"; exit 1; fi; }

run: setup
	@$(PY) -m planspor_stack run

# lint first: a broken rule fails in seconds, before the test stack starts
test: lint setup browser
	@echo "planspor: running the unit, integration and e2e tests (the test stack starts on first use)"
	@$(PYTEST) -m "not slow"

unit: setup
	@$(PYTEST) -m "unit and not slow"

integration: setup
	@$(PYTEST) -m "integration and not slow"

e2e: setup browser
	@$(PYTEST) -m "e2e and not slow"

slow: setup
	@$(PYTEST) -m slow

# chaos: the test stack (profile test), each fault's repetitions bounded by --budget seconds, the whole by timeout
chaos: setup
	@timeout 2400 $(PY) tests/reliability/fault_matrix.py --repetitions 50 --budget 240

# bench: its own stack (profile test, var/bench, ports 2xxxx; NATS_URL/NEO4J_URI to use others), emptied by it
BENCH_ENV := PLANSPOR_VAR=$(CURDIR)/var/bench PLANSPOR_NEO4J_MIN_REPLAN_SECONDS=10 PLANSPOR_NATS_PORT=24222 PLANSPOR_NEO4J_PORT=27687 PLANSPOR_POSTGRES_PORT=25432
bench: setup
	@$(BENCH_ENV) $(PY) -m planspor_stack up --profile test --with nats,neo4j
	@export NATS_URL=$${NATS_URL:-$$($(BENCH_ENV) $(PY) -m planspor_stack nats-url --profile test)} NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:27687} \
	   NEO4J_PASSWORD=$${NEO4J_PASSWORD:-$$($(BENCH_ENV) $(PY) -m planspor_stack.settings neo4j-password --profile test)}; \
	 $(PY) services/knowledge/bench/bench_projection.py --may-empty-graph; rc=$$?; \
	 $(PY) runtime/bench/bench_relay.py; rc2=$$?; \
	 $(PY) services/portal/bench/bench_portal.py --may-empty-graph || rc2=1; \
	 $(PY) services/knowledge/bench/bench_scale.py --sizes 10000 --run-dir $(CURDIR)/var/bench/test/run --may-empty-graph || rc2=1; \
	 $(BENCH_ENV) PLANSPOR_KEEP_STACK=1 $(PY) tests/reliability/bench_commands.py || rc2=1; \
	 env -u NATS_URL -u NEO4J_URI -u NEO4J_PASSWORD $(PY) deploy/bench/bench_at_rest.py || rc2=1; \
	 env -u NATS_URL -u NEO4J_URI $(BENCH_ENV) $(PY) -m planspor_stack down --profile test; \
	 test $$rc -eq 0 -a $$rc2 -eq 0

# the scale curve at 10k, 100k and 1M events (issue #16): hours on a small shared machine, hence bounded
BENCH_LARGE_SECONDS ?= 14400
bench-large: setup
	@$(BENCH_ENV) $(PY) -m planspor_stack up --profile test --with nats,neo4j
	@export NATS_URL=$${NATS_URL:-$$($(BENCH_ENV) $(PY) -m planspor_stack nats-url --profile test)} NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:27687} \
	   NEO4J_PASSWORD=$${NEO4J_PASSWORD:-$$($(BENCH_ENV) $(PY) -m planspor_stack.settings neo4j-password --profile test)}; \
	 timeout $(BENCH_LARGE_SECONDS) $(PY) services/knowledge/bench/bench_scale.py --sizes 10000,100000,1000000 \
	   --run-dir $(CURDIR)/var/bench/test/run --may-empty-graph; rc=$$?; \
	 env -u NATS_URL -u NEO4J_URI $(BENCH_ENV) $(PY) -m planspor_stack down --profile test; \
	 test $$rc -eq 0

up: setup
	@$(PY) -m planspor_stack up --with nats,neo4j,postgres

down:
	@test -x $(PY) && $(PY) -m planspor_stack down && $(PY) -m planspor_stack down --profile test \
	  && $(BENCH_ENV) $(PY) -m planspor_stack down --profile test || true

status: setup
	@$(PY) -m planspor_stack status

reset: down
	@echo "planspor: deleting local data in var/dev, var/test and var/bench (and the PostgreSQL clusters kept outside var/)"
	@test -x $(PY) && $(PY) -m planspor_stack reset && $(PY) -m planspor_stack reset --profile test \
	  && $(BENCH_ENV) $(PY) -m planspor_stack reset --profile test || true
	@rm -rf var/dev var/test var/bench

schemas: setup
	@$(PY) -m planspor_shared.schemas

asyncapi: setup
	@$(PY) -m planspor_runtime.asyncapi

# one configuration for all of it: the root pyproject.toml ([tool.ruff], [tool.mypy], [tool.importlinter])
lint: $(STAMP)
	@echo "planspor: ruff check, ruff format --check, mypy, import-linter"
	@$(VENV)/bin/ruff check --quiet .
	@$(VENV)/bin/ruff format --check --quiet .
	@$(VENV)/bin/mypy
	@$(VENV)/bin/lint-imports --no-logo

# what can be fixed is fixed; what is left, ruff prints (and make lint refuses)
fmt: $(STAMP)
	@$(VENV)/bin/ruff check --fix --exit-zero --quiet .
	@$(VENV)/bin/ruff format --quiet .
