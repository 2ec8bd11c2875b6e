# Two commands on a fresh machine:  make run  (dashboard on the Baltimore demo data)  ·  make test  (whole suite)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DATABASE_URL ?= sqlite:///$(CURDIR)/instance/citistat.db

.PHONY: run test setup demo lint typecheck bench scheduler validate clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)  ## virtual environment and pinned packages, and Pango for the PDF documents
	@bash .ci/install-debian libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

instance/.demo-loaded: $(STAMP) $(wildcard cities/baltimore/*.yaml) $(wildcard cities/baltimore/measures/*/*.yaml)
	mkdir -p instance
	$(VENV)/bin/alembic upgrade head
	-$(PY) -m pipeline validate  # errors set aside what they concern; the rest loads
	$(PY) -m pipeline load
	$(PY) -m pipeline refresh
	touch instance/.demo-loaded

demo: instance/.demo-loaded  ## migrate the database, load the Baltimore demo data, refresh every metric

run: demo  ## serve the dashboard on http://127.0.0.1:8050 (refreshes in-process)
	$(VENV)/bin/alembic upgrade head
	APP_ENV=development RUN_SCHEDULER=1 $(PY) app.py

scheduler: demo  ## run the refresh scheduler as its own process
	$(PY) -m pipeline scheduler

validate: setup  ## check the registry
	$(PY) -m pipeline validate

lint: setup  ## ruff, mypy and the import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: setup  ## the whole suite (SQLite and PostgreSQL, browser tests in Debian's Chromium), after lint
	@bash .ci/install-debian
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

bench: setup  ## benchmarks: refresh (SQLite and PostgreSQL), registry, pages, page weight on a throttled phone
	$(PY) bench/refresh.py
	$(PY) bench/registry.py
	$(PY) bench/pages.py
	$(PY) bench/weight.py

clean:  ## remove the virtual environment and the local database
	rm -rf $(VENV) instance
