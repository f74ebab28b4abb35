# The project's commands. Each one does its own set-up from a fresh clone.
#   make demo    - run the demo against the bundled local Jira emulator
#   make demo-shell - the demo's set-up, then keep the emulator up and print commands to try (Ctrl-C stops)
#   make test    - create .venv from requirements-dev.txt and run every test layer
#   make gates   - ecosystem gates (sanity, ansible-lint, galaxy-importer, docs, install paths, EE, AWX, molecule);
#                  GATES="lint docs" runs a subset
#   make matrix  - unit, module and playbook tests on every supported ansible-core
#   make bench   - benchmarks (writes docs/performance.md); not part of make test
#   make mutation - mutation testing of the trust-deciding code (writes docs/test-strength.md);
#                  QUICK=1 runs a fixed sample for CI; not part of make test
#   make nox     - nox sessions (noxfile.py, antsibull-nox.toml): NOX="--list", NOX="-e lint docs-check"
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python 3.12 3.13 2>/dev/null || command -v python3)
VENV := .venv
STAMP := $(VENV)/.requirements-installed

.PHONY: venv test unit demo demo-shell gates matrix bench mutation nox clean

venv: $(STAMP)

$(STAMP): requirements-dev.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade -r requirements-dev.txt
	@touch $@

test: venv
	scripts/test

unit: venv
	$(VENV)/bin/pytest -q tests/unit

demo: venv
	scripts/demo

demo-shell: venv
	scripts/demo --shell

gates: venv
	scripts/gates/all $(GATES)

matrix: venv
	scripts/gates/matrix

nox:
	scripts/nox $(or $(NOX),--list)

clean:
	rm -rf build collections .pytest_cache .hypothesis .nox

bench: venv
	benchmarks/run

mutation: venv
	$(VENV)/bin/python -m pip install --quiet -r requirements-mutation.txt
	$(VENV)/bin/python scripts/mutation $(if $(QUICK),--quick)
