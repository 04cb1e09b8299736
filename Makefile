# docpipe: `make` is the one interface. CI runs `make test` on a fresh Debian machine, so every
# target installs what it needs first (apt packages, uv, the venv) and is quick when all is there.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

VENV := .venv
BIN := $(VENV)/bin
# One TeX package list for the Makefile and the render image (layers/texlive/Dockerfile).
TEX_PACKAGES := $(shell grep -v '^\s*\#' layers/texlive/packages.txt | grep -v '^\s*$$')
# LibreOffice (writer, no GUI) is for the tests alone: they open every DOCX we make in it.
APT_PACKAGES := $(TEX_PACKAGES) redis-server bubblewrap strace openssl libreoffice-writer-nogui
# Folders of loose modules checked one at a time: they share module names (conftest, handler).
MYPY_ROOTS := functions/submit functions/status functions/render tests tests/unit tests/integration tests/e2e tests/infra
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
STAMP := $(VENV)/.setup-done

.PHONY: help setup demo dev test lint synth deploy destroy bench loadtest soak fonts clean

help:
	@echo "make setup     install apt packages, uv and the venv (idempotent)"
	@echo "make demo      render the bundled samples end to end into out/"
	@echo "make dev       run the local stack (API on http://127.0.0.1:8000)"
	@echo "make test      lint + the whole test suite (starts Redis and moto itself)"
	@echo "make lint      ruff + mypy"
	@echo "make synth     synthesize the CDK app (no Docker, no AWS credentials)"
	@echo "make deploy    deploy to your AWS account and region (CDK_FLAGS='-c docpipe:prod=true ...')"
	@echo "make destroy   delete the stack, then list what is left and how to remove it"
	@echo "make bench     engine and pipeline benchmarks"
	@echo "make loadtest  locust against the local stack (SCENARIO= USERS= DURATION=)"
	@echo "make soak      chaos soak through the local stack (JOBS=300); fails if a job is lost or duplicated"

setup: $(STAMP) infra/node_modules/.package-lock.json

$(STAMP): pyproject.toml uv.lock layers/texlive/packages.txt
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "apt: installing $$missing"; \
	  $(SUDO) apt-get update -q; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
	@command -v uv >/dev/null || python3 -m pip install --quiet uv
	uv sync --frozen --all-extras
	$(BIN)/docpipe build-formats >/dev/null
	@touch $@

# The CDK CLI (npm aws-cdk, pinned by infra/package-lock.json).
infra/node_modules/.package-lock.json: infra/package.json infra/package-lock.json
	npm ci --prefix infra --no-audit --no-fund

demo: setup
	$(BIN)/docpipe demo --out out

dev: setup
	$(BIN)/docpipe dev

test: setup lint
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@for root in $(MYPY_ROOTS); do \
	  MYPYPATH=src:infra:$$root $(BIN)/mypy --explicit-package-bases $$root/*.py || exit 1; \
	done

# Deployable synth (bundles the Lambda wheels); add CDK_FLAGS='-c docpipe:bundle=false' for a fast offline one.
synth: setup
	infra/node_modules/.bin/cdk synth --quiet --no-notices $(CDK_FLAGS)
	$(BIN)/cfn-lint --ignore-checks W3005 -- cdk.out/Docpipe.template.json
	$(BIN)/hadolint layers/texlive/Dockerfile
	@echo "synth ok: cdk.out/Docpipe.template.json"

# The only targets that need AWS credentials (and, for deploy, a Docker daemon to build the render
# image). Both take the same CDK_FLAGS (context keys, see the README) as synth.
deploy: setup
	PYTHONPATH=infra $(BIN)/python -m docpipe_infra.lifecycle deploy $(CDK_FLAGS)

destroy: setup
	PYTHONPATH=infra $(BIN)/python -m docpipe_infra.lifecycle destroy $(CDK_FLAGS)

bench: setup
	$(BIN)/python -m loadtest.bench

# `make loadtest`: locust, headless, against the local stack it starts and stops itself, or against
# TARGET (a deployed stack's URL; API_KEY is sent as x-api-key and passed through the environment,
# never on a command line). SCENARIO: cached, fresh, mixed, async, status, a comma list, or all.
# Summaries in loadtest/results/<scenario>.md and .json; LOADTEST_ARGS adds loadtest.run options.
SCENARIO ?= cached
USERS ?= 50
DURATION ?= 30s
TARGET ?=
API_KEY ?=
LOADTEST_ARGS ?=
export API_KEY

loadtest: setup
	$(BIN)/python -m loadtest.run --scenario $(SCENARIO) --users $(USERS) --duration $(DURATION) $(if $(TARGET),--target $(TARGET)) $(LOADTEST_ARGS)

JOBS ?= 300

soak: setup
	$(BIN)/python -m loadtest.soak --jobs $(JOBS)

fonts: setup
	$(BIN)/docpipe fonts

clean:
	rm -rf out cdk.out .pytest_cache .mypy_cache .ruff_cache
