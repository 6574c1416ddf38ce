# Two commands: `make demo` (set up + run the demo cycle) and `make test` (set up + run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: help setup demo test lint eval eval-gate clean

help: ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed ## create .venv and install mediawatch with test tools

demo: $(VENV)/.installed ## run one full monitoring cycle over the bundled demo corpus (replayed on 127.0.0.1)
	HF_HUB_OFFLINE=1 $(VENV)/bin/mediawatch demo

test: $(VENV)/.installed ## run the test suite (SQLite; PostgreSQL when MEDIAWATCH_TEST_DATABASE_URL is set)
	HF_HUB_OFFLINE=1 $(PY) -m pytest

lint: $(VENV)/.installed ## ruff over the code
	$(VENV)/bin/ruff check .

eval: $(VENV)/.installed ## evaluate the classifiers on ../shared (writes eval/report.md) and area relevance
	HF_HUB_OFFLINE=1 $(VENV)/bin/mediawatch eval
	$(PY) eval/area_relevance.py

eval-gate: $(VENV)/.installed ## the CI eval gate: fail when a figure drops below its floor in eval/baseline.yaml
	HF_HUB_OFFLINE=1 $(VENV)/bin/mediawatch eval --gate --no-report

clean: ## remove working data
	rm -rf var
