# Huikuan: `make demo` runs the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test test-postgres setup setup-test assets messages compile-messages lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime install (no test tools). The stamp re-runs it when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[postgres]"
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

# Compiled translations are build output: each .mo is compiled from its .po when the .po is newer
# (so two test runs started side by side never rewrite a catalogue the other is reading).
MO_FILES := $(patsubst %.po,%.mo,$(wildcard huikuan/locale/*/LC_MESSAGES/django.po))

huikuan/locale/%/LC_MESSAGES/django.mo: huikuan/locale/%/LC_MESSAGES/django.po
	msgfmt --check-format -o $@ $<

compile-messages: $(MO_FILES)

# Front-end libraries come from npm (package-lock.json pins them) and are copied into a
# git-ignored static folder the app serves itself: no CDN, no third-party files in the repo.
VENDOR := huikuan/web/static/vendor

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/echarts
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE \
	   node_modules/echarts/NOTICE $(VENDOR)/echarts/
	touch $@

assets: $(VENDOR)/.copied

setup: $(VENV)/.installed assets
	$(MAKE) --no-print-directory compile-messages
	$(BIN)/huikuan migrate --noinput
	$(BIN)/huikuan collectstatic --noinput --verbosity 0

setup-test: $(VENV)/.installed-test assets
	$(MAKE) --no-print-directory compile-messages

demo: setup
	$(BIN)/huikuan seed-demo --if-empty
	@echo ""
	@echo "Huikuan is running at http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	$(BIN)/huikuan runserver $(HOST):$(PORT)

test: setup-test
	$(BIN)/pytest

# The same suite on PostgreSQL; HUIKUAN_DATABASE_URL must point at a server you may create
# databases on (the test database is created and dropped by pytest-django).
test-postgres: setup-test
	@test -n "$$HUIKUAN_DATABASE_URL" || (echo "set HUIKUAN_DATABASE_URL=postgres://…" && exit 2)
	$(BIN)/pytest --create-db

messages: setup-test
	cd huikuan && ../$(BIN)/huikuan makemessages -l zh_Hans -l en --no-obsolete
	cd huikuan && ../$(BIN)/huikuan compilemessages

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark's rows are append-only like any ledger data, so it gets its own database
# (var/bench/ on SQLite) instead of the demo's; set HUIKUAN_DATABASE_URL to bench PostgreSQL.
bench: setup
	HUIKUAN_VAR_DIR=$${HUIKUAN_VAR_DIR:-var/bench} $(BIN)/huikuan migrate --noinput --verbosity 0
	HUIKUAN_VAR_DIR=$${HUIKUAN_VAR_DIR:-var/bench} $(BIN)/huikuan bench aging --receivables $${N:-100000}
	HUIKUAN_VAR_DIR=$${HUIKUAN_VAR_DIR:-var/bench} $(BIN)/huikuan bench daily --receivables $${N:-100000}

clean:
	rm -rf $(VENV) var/static node_modules $(VENDOR)
