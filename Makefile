# Two commands: `make demo` (set up + run the whole pipeline on a generated day) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint bench clean system-deps

setup: $(STAMP)

# torch is pinned exactly: 2.13.0 is the CPU build available locally; any other spec pulls CUDA.
$(STAMP): pyproject.toml setup.py moderation/features/_textscan.c moderation/rules/_literals.c moderation/_arrow_views.h
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[ray,text,dev]"
	touch $(STAMP)

# Debian's chromium for the browser tests, and a running PostgreSQL for the queue tests.
system-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start

demo: setup
	$(BIN)/python -m pipelines.demo

test: setup system-deps
	$(BIN)/python -m pytest -p no:cacheprovider

# Skip the heavy tests (PostgreSQL, Ray, browser) while developing; CI runs them all.
test-fast: setup
	$(BIN)/python -m pytest -m "not postgres and not ray and not browser and not slow"

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/rules.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/queue.py

clean:
	rm -rf var .pytest_cache
