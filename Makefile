# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV_ENV := DEBUG=1
PORT ?= 8000
# Links in notification e-mails start with this: the address `make run` serves.
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run test lint assets deps migrate demo bench clean worker beat

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

build/static/css/app.css: node_modules/.installed $(wildcard static/scss/*.scss)
	npm run --silent build

deps: $(BIN)/.installed node_modules/.installed
assets: build/static/css/app.css

migrate: deps
	@echo "Preparing the database (the first time takes a minute or two)..."
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input -v1

demo: migrate
	SITE_URL=$(SITE_URL) $(DEV_ENV) $(BIN)/python manage.py load_demo

## make run: install, migrate, load demo data and serve on http://127.0.0.1:8000,
## with the deadline watcher running beside it (in-process, no Redis needed)
run: deps assets demo
	SITE_URL=$(SITE_URL) $(DEV_ENV) $(BIN)/python manage.py run_watcher_loop --exit-with-parent & watcher=$$!; \
	trap 'kill $$watcher 2>/dev/null' EXIT INT TERM; \
	SITE_URL=$(SITE_URL) $(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## With REDIS_URL set: a Celery worker, and exactly one beat
worker: deps
	$(BIN)/celery -A config worker --loglevel=INFO

beat: deps
	mkdir -p build
	$(BIN)/celery -A config beat --loglevel=INFO --schedule build/celerybeat-schedule

## make test: install what is missing and run the whole suite
test: deps assets
	$(DEV_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf build staticfiles .pytest_cache

## make bench: the performance benchmark on this machine's PostgreSQL (tests/bench/run.py):
## generates the data, serves it with gunicorn, measures with wrk, writes docs/benchmark-results.md.
## Smaller: BENCH_ESCALATIONS=10000 BENCH_WATCHER_OCCURRENCES=100000 make bench
bench: deps assets
	command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/run.py
