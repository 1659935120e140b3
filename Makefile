# aigw-delivery: every target sets up .venv from requirements.txt when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= staging
FORMAT ?= text

.PHONY: venv graph check test lint diagram clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

## graph: print the $(STACK) stack's graph offline, no credentials (STACK=prod make graph)
graph: venv
	$(BIN)/python -m stackctl graph $(STACK) --format $(FORMAT)

## check: run the policy pack over the $(STACK) stack offline (exit 1 on a mandatory violation)
check: venv
	$(BIN)/python -m stackctl check $(STACK)

## test: the whole offline test suite
test: venv
	$(BIN)/python -m pytest

## diagram: refresh the prod delivery diagram in README.md from the graph
diagram: venv
	$(BIN)/python -m stackctl.docs

## lint: ruff and mypy, as CI runs them
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
