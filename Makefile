# Two entry points that work on a fresh machine with only Python 3.11+:
#   make demo   - create .venv if missing, install, play the scripted demo
#   make test   - create .venv if missing, install, lint, type-check, run all tests
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/ketenbot: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(BIN)/ketenbot

demo: $(BIN)/ketenbot
	$(BIN)/ketenbot demo

lint: $(BIN)/ketenbot
	$(BIN)/ruff check .
	$(BIN)/mypy bot handlers scheduling storage messages bench

test: lint
	$(BIN)/python -m pytest

bench: $(BIN)/ketenbot
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
