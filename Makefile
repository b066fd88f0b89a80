# Solidarity Screenings: `make run` serves the app with demo data; `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run serve test test-pg lint install install-dev install-prod clean bench bench-totals bench-public \
	bench-lighthouse messages translations

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

# Translations (app/translations): the .po catalogues are committed, the .mo files built here.
LOCALES := uk it fr de pl es
KEYWORDS := -k _ -k _l -k gettext -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2 \
	-k pgettext:1c,2 -k npgettext:1c,2,3
# pybabel's default also skips folders whose names start with "_" (templates/_macros, _partials).
IGNORE_DIRS := --ignore-dirs=".* node_modules"
PO_FILES := $(foreach l,$(LOCALES),app/translations/$(l)/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

# Extract every msgid into the template, then merge it into each catalogue (new ones made).
messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg $(KEYWORDS) $(IGNORE_DIRS) --project="Solidarity Screenings" \
		-o app/translations/messages.pot .
	@for l in $(LOCALES); do \
		if [ -f app/translations/$$l/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel -q update --no-fuzzy-matching -i app/translations/messages.pot \
				-d app/translations -l $$l; \
		else \
			$(BIN)/pybabel -q init -i app/translations/messages.pot -d app/translations -l $$l \
				&& sed -i '0,/^#, fuzzy$$/{/^#, fuzzy$$/d}' \
					app/translations/$$l/LC_MESSAGES/messages.po; \
		fi; \
	done

# One .mo per .po, rebuilt only when its .po is newer.
%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel -q compile -i $< -o $@

translations: $(MO_FILES)

# Test-only tools from the npm registry (axe-core for tests/browser, lighthouse for bench/),
# pinned by package-lock.json; nothing from node_modules is served.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --prefer-offline
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev
install-prod: $(VENV)/.installed-prod

run: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Production: settings from the environment (see README, "Deploying"), gunicorn.conf.py.
serve: install-prod translations
	APP_ENV=production $(BIN)/flask db upgrade
	APP_ENV=production exec $(BIN)/gunicorn -c gunicorn.conf.py

test: install-dev translations node_modules/.installed
	$(BIN)/python -m pytest -q

test-pg: install-dev translations node_modules/.installed
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -q

# Load figures: list, screening, GeoJSON and dashboard under wrk against a bare hello (issue 6),
# on SQLite, then on PostgreSQL when it answers (in a database of its own, BENCH_PG_URL).
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/bench
bench: install-dev translations
	$(BIN)/python -m bench.load $(BENCH_ARGS)
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		psql "$(dir $(BENCH_PG_URL))postgres" -Atqc \
			"SELECT 1 FROM pg_database WHERE datname = '$(notdir $(BENCH_PG_URL))'" | grep -q 1 \
			|| createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_PG_URL)); \
		$(BIN)/python -m bench.load --postgres $(BENCH_PG_URL) $(BENCH_ARGS); \
	else echo "PostgreSQL is not answering on 127.0.0.1:5432: no PostgreSQL figures."; fi

# Dashboard query and page times on 10,000 screenings and 1,000,000 contributions.
bench-totals: install-dev
	$(BIN)/python -m bench.totals

# The public list page and GeoJSON under load (gunicorn, 2 workers) against a bare Flask hello.
bench-public: install-dev
	$(BIN)/python -m bench.public

# Lighthouse scores (performance, accessibility, best practices, SEO) of the home, a screening
# and the dashboard pages, under gunicorn with production settings (issue 7: 95 or more).
bench-lighthouse: install-dev translations node_modules/.installed
	$(BIN)/python -m bench.lighthouse $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
