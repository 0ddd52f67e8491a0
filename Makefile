# The two commands: `make run` (set up, build the demo, open the app) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := workspace/demo.gpkg

.PHONY: setup run test demo browser postgres bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(DEMO): $(STAMP) $(wildcard data/demo/*.csv)
	$(BIN)/lagesbild demo --workspace $(DEMO)

demo: $(DEMO)

run: $(DEMO)
	$(BIN)/lagesbild serve --workspace $(DEMO)

browser:
	sh scripts/install-browser.sh

# PostgreSQL 15 + PostGIS 3 for the PostGIS store's tests (they start their own server)
postgres:
	sh scripts/install-postgres.sh

test: setup browser postgres
	LAGESBILD_REQUIRE_POSTGRES=1 $(BIN)/python -m pytest -n auto --dist loadscope --no-loadscope-reorder

clean:
	rm -rf $(VENV) workspace static/vendor .pytest_cache .hypothesis
