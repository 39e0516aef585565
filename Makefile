# Crowdbounty: `make up` brings the local platform up, `make test` runs every test.
# Each target installs what it needs first; a second run reuses what is there.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
FUZZ_STEPS ?= 10000

.PHONY: setup up down status test test-web test-contracts test-python lint typecheck fuzz bench bench-gas bench-storage bench-backend clean

$(VENV_STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Python packages into $(VENV) (first time ~40 s)..."
	@# --no-deps: the lock is complete, and it lets pydantic-settings sit beside Brownie's
	@# exact python-dotenv pin (see README, "Dependencies").
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

setup: $(VENV_STAMP)
	@$(BIN)/python -m devstack setup

up: setup
	$(BIN)/python -m devstack up

down: $(VENV_STAMP)
	$(BIN)/python -m devstack down

status: $(VENV_STAMP)
	$(BIN)/python -m devstack status

test: setup
	$(BIN)/python -m devstack test

# The browser tests alone: installs Debian's Chromium first if it is missing (needs root or sudo).
test-web: setup
	$(BIN)/python -m devstack test --only web

lint: setup
	$(BIN)/python -m devstack test --only lint,format,typecheck,slither

fuzz: setup
	$(BIN)/python -m devstack fuzz --steps $(FUZZ_STEPS)

bench: bench-gas bench-storage bench-backend

bench-gas: setup
	$(BIN)/python -m devstack bench gas

bench-storage: setup
	$(BIN)/python -m devstack bench storage

bench-backend: setup
	$(BIN)/python -m devstack bench backend

clean:
	rm -rf build .data reports .hypothesis .pytest_cache .mypy_cache .ruff_cache

# Every role's journey, scripted, against the running `make up` stack (moves the dev chain's clock).
.PHONY: demo
demo: setup
	$(BIN)/python -m client.demo
