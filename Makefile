# Two entry points that work on a fresh machine with only Python 3.11+:
#   make demo   - create .venv if missing, install, play the scripted demo
#   make test   - create .venv if missing, install, lint, type-check, run all tests
# and for maintainers:
#   make lock   - re-pin every dependency (with hashes) after a change to pyproject.toml
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin
# requirements.lock: what a deployment installs; requirements-dev.lock: plus the dev tools.
LOCK = requirements.lock
DEV_LOCK = requirements-dev.lock
COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11

.PHONY: demo test lint bench clean lock

$(BIN)/ketenbot: pyproject.toml $(DEV_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r $(DEV_LOCK)
	# Anything pyproject.toml gained since the lock was made still gets installed
	# (unpinned until the next `make lock`).
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

lock:
	test -x $(BIN)/uv || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install -q uv; }
	$(COMPILE) -o $(LOCK)
	$(COMPILE) --extra dev -o $(DEV_LOCK)

clean:
	rm -rf $(VENV) build *.egg-info
