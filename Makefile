# gasservice: the two commands a newcomer needs are `make run` and `make test`.
#
# With nothing set, `make run` uses the embedded defaults (SQLite in var/, kombu's filesystem
# broker, a file cache). `make test` uses PostgreSQL and Redis on 127.0.0.1 when they answer
# (override with DATABASE_URL / REDIS_URL / CELERY_BROKER_URL), else SQLite.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD := demo12345
DEMO_USERS := frontdesk agent technician supervisor branchmgr centremgr admin

# Test defaults (`?=`: an environment variable of the same name wins).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/gasservice
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
TEST_BROKER_URL ?= redis://127.0.0.1:6379/2
PYTEST_ARGS ?= -q -ra
E2E_ARTIFACTS_DIR ?= test-artifacts
LOCALE_IGNORE := -i .venv -i var -i node_modules -i staticfiles -i test-artifacts

.PHONY: help install run test lint messages compilemessages bench check-deploy

help:
	@echo "make run       install if needed, migrate, seed demo data, start web + worker + beat"
	@echo "make test      run the whole test suite (PostgreSQL/Redis on 127.0.0.1 when up)"
	@echo "make lint      ruff + missing-migration check"
	@echo "make messages  extract strings to locale/zh_Hans and compile the catalogue"
	@echo "make bench     list the benchmark commands (BENCH='bench_sweep --open 10000 --due 1000' runs one)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gasservice needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependencies changed.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The compiled catalogue (.mo) is committed; it is rebuilt when GNU gettext's msgfmt is there.
compilemessages: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then \
		$(MANAGE) compilemessages $(LOCALE_IGNORE) -v0; \
	else \
		echo "msgfmt (GNU gettext) not found: using the committed locale/*/LC_MESSAGES/django.mo"; \
	fi

messages: $(STAMP)
	$(MANAGE) makemessages -l zh_Hans $(LOCALE_IGNORE) -i tests --no-obsolete --no-location --no-wrap
	$(MAKE) compilemessages

run: compilemessages
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) migrate --noinput -v1
	$(MANAGE) seed_demo
	@echo ""
	@echo "  gasservice is starting at http://$(HOST):$(PORT)/  (health: http://$(HOST):$(PORT)/healthz)"
	@echo "  API docs: http://$(HOST):$(PORT)/api/docs/   admin: http://$(HOST):$(PORT)/admin/"
	@echo "  Demo logins (password $(DEMO_PASSWORD)): $(DEMO_USERS)"
	@echo "  Stop with Ctrl-C."
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT=$(PORT) PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}" \
		$(BIN)/honcho -f Procfile start

test: compilemessages
	@set -e; \
	port_open() { $(BIN)/python -c "import socket, sys; socket.create_connection(('127.0.0.1', $$1), 1)" 2>/dev/null; }; \
	if [ -z "$${DATABASE_URL:-}" ]; then \
		if port_open 5432; then export DATABASE_URL="$(TEST_DATABASE_URL)"; \
		else echo "PostgreSQL does not answer on 127.0.0.1:5432: testing on SQLite"; fi; \
	fi; \
	if port_open 6379; then \
		export REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}"; \
		export CELERY_BROKER_URL="$${CELERY_BROKER_URL:-$(TEST_BROKER_URL)}"; \
	else echo "Redis does not answer on 127.0.0.1:6379: the real-worker tests will be skipped"; fi; \
	echo "DATABASE_URL=$${DATABASE_URL:-<sqlite>} CELERY_BROKER_URL=$${CELERY_BROKER_URL:-<filesystem>}"; \
	mkdir -p $(E2E_ARTIFACTS_DIR); \
	E2E_ARTIFACTS_DIR="$(CURDIR)/$(E2E_ARTIFACTS_DIR)" $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

check-deploy: $(STAMP)
	DEBUG=False SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		ALLOWED_HOSTS=example.org $(MANAGE) check --deploy --fail-level WARNING

bench: $(STAMP)
ifdef BENCH
	$(MANAGE) $(BENCH)
else
	@echo "Benchmarks (not part of make test; PostgreSQL: set DATABASE_URL):"
	@for c in $$($(MANAGE) help --commands | grep '^bench_'); do \
		echo "  $(MANAGE) $$c --help"; \
	done
	@echo "Run one with: make bench BENCH='bench_sweep --open 1000000 --due 1000'"
endif
