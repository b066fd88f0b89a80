# Solidarity Screenings: `make run` serves the app with demo data; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run serve test test-pg lint install install-dev install-prod clean bench bench-totals bench-public

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,redis]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-prod: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres,redis]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-prod: $(VENV)/.installed-prod

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Production: settings from the environment (see README, "Deploying"), gunicorn.conf.py.
serve: install-prod
	APP_ENV=production $(BIN)/flask db upgrade
	APP_ENV=production exec $(BIN)/gunicorn -c gunicorn.conf.py

test: install-dev
	$(BIN)/python -m pytest -q

test-pg: install-dev
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q

# Load figures: list, screening, GeoJSON and dashboard under wrk against a bare hello (issue 6).
bench: install-dev
	$(BIN)/python -m bench.load $(BENCH_ARGS)

# Dashboard query and page times on 10,000 screenings and 1,000,000 contributions.
bench-totals: install-dev
	$(BIN)/python -m bench.totals

# The public list page and GeoJSON under load (gunicorn, 2 workers) against a bare Flask hello.
bench-public: install-dev
	$(BIN)/python -m bench.public

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
