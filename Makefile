# Policy Forms — developer entry points. `make run` and `make test` work on a fresh
# machine with only Python 3.11: they create .venv and install everything.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate demo admin admin-password lint format messages bench e2e clean
.PHONY: serve-prod load architecture

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

messages: $(STAMP)
	$(PY) manage.py compile_translations

migrate: install messages
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo_site --base-url http://$(HOST):$(PORT)

admin: migrate
	$(PY) manage.py ensure_dev_admin --base-url http://$(HOST):$(PORT)

run: demo admin
	$(PY) manage.py collectstatic --noinput -v 0
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install messages
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) -m pytest --ignore=tests/e2e $(PYTEST_ARGS)
	@# Browser tests run on their own: they restore the migrated data between tests
	@# (serialized rollback), which cannot share a run with plain transactional tests.
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) -m pytest tests/e2e $(PYTEST_ARGS)

e2e: install messages
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# Cycles between apps, imports inside functions and modules over 600 lines (figures only).
architecture: install
	$(PY) scripts/architecture_report.py

bench: install messages
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var db.sqlite3 db.sqlite3-wal db.sqlite3-shm test-artifacts

admin-password: migrate
	$(PY) manage.py ensure_dev_admin --reset-password --base-url http://$(HOST):$(PORT)

# Production settings on this machine: PostgreSQL, Redis, gunicorn, task workers (see README, "Running at scale").
serve-prod: install
	scripts/serve_prod.sh

# Load and fault runs against gunicorn on loopback; prints figures, not part of `make test`.
load: install
	scripts/load.sh
