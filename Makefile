# HourMM: one Makefile for the whole repository. The first run of any target creates .venv.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REQS := requirements-dev.txt libs/hourmm_common/requirements.txt services/binance_pricer/requirements.txt \
        services/polymarket_trader/requirements.txt sim/requirements.txt \
        lab/requirements.txt harness/requirements.txt cli/requirements.txt
PKGS := libs/hourmm_common services/binance_pricer services/polymarket_trader sim lab harness cli
PYTEST_ARGS ?=
HOURS ?= 1
SPEED ?= 30

.PHONY: install test test-e2e test-live lint bench demo clean

install: $(STAMP)

$(STAMP): $(REQS) $(addsuffix /pyproject.toml,$(PKGS))
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(addprefix -r ,$(REQS))
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation $(addprefix -e ,$(PKGS))
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not live and not soak" $(PYTEST_ARGS)

# Only the end-to-end tests (three real processes per test, on an accelerated clock).
test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q -m e2e $(PYTEST_ARGS)

test-live: $(STAMP)
	RUN_LIVE_TESTS=1 $(BIN)/python -m pytest -q -m live $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy libs/hourmm_common/src/hourmm_common \
	    services/binance_pricer/src/binance_pricer \
	    services/polymarket_trader/src/polymarket_trader \
	    sim/src/hourmm_sim lab/src/hourmm_lab harness/src/hourmm_harness cli/src/hourmm_cli

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

demo: $(STAMP)
	$(BIN)/python -m hourmm_cli demo --hours $(HOURS) --speed $(SPEED)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
