# Developer entry points for datafor.platform. Every target but clean and
# distclean first runs tools/bootstrap.py, which creates .venv/ on the first
# run and returns at once when it is up to date.

VENV := .venv
BOOTSTRAP_PYTHON ?= python3
VENV_PYTHON := $(VENV)/bin/python
COLLECTION_VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/datafor-platform-$(COLLECTION_VERSION).tar.gz

.PHONY: help venv demo test lint sanity units pytest build install clean distclean

help:
	@echo "make venv       create or update .venv/ (set PYTHON=/path/to/python3 to choose the interpreter)"
	@echo "make demo       run tools/demo.py"
	@echo "make test       run every check and test, stopping at the first failure"
	@echo "make lint       ruff, mypy, ansible-lint, antsibull-changelog lint, antsibull-docs lint"
	@echo "make sanity     ansible-test sanity"
	@echo "make units      ansible-test units"
	@echo "make pytest     pytest over tests/emulator and tests/e2e"
	@echo "make build      build $(TARBALL)"
	@echo "make install    install the built collection into build/collections"
	@echo "make clean      remove build output and tool caches; distclean also removes .venv/"

venv:
	$(BOOTSTRAP_PYTHON) tools/bootstrap.py

demo: venv
	$(VENV_PYTHON) tools/demo.py

test: venv
	$(VENV_PYTHON) tools/test.py

lint: venv
	$(VENV_PYTHON) tools/test.py lint

sanity: venv
	$(VENV_PYTHON) tools/test.py sanity

units: venv
	$(VENV_PYTHON) tools/test.py units

pytest: venv
	$(VENV_PYTHON) tools/test.py pytest

build: venv
	$(VENV)/bin/ansible-galaxy collection build --force --output-path build/

install: build
	$(VENV)/bin/ansible-galaxy collection install --force -p build/collections $(TARBALL)

clean:
	rm -rf build tests/output .mypy_cache .pytest_cache .ruff_cache

distclean: clean
	rm -rf $(VENV)
