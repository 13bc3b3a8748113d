# `make demo` and `make test` each do their whole set-up on a fresh machine:
# a local .venv with the project and its dev tools, and a redis-server binary.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test lint typecheck pytest demo redis-server clean test-django42 docs

test: lint typecheck docs test-django42 pytest

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# uWSGI compiles from source; where it cannot be built its tests are skipped, saying why.
	$(BIN)/python -m pip install --quiet uwsgi || echo "uWSGI could not be built here: its end-to-end tests will be skipped"
	touch $@

redis-server:
	@sh scripts/ensure-redis-server

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) redis-server
	$(BIN)/pytest

demo: $(STAMP) redis-server
	$(BIN)/python scripts/demo.py $(ARGS)

clean:
	rm -rf $(VENV) $(VENV42) .mypy_cache .ruff_cache .pytest_cache

# The Sphinx site, warnings as errors (the same build CI runs through `make test`).
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# `make bench` also installs the `bench` extra (the libraries it compares us
# with); `make test` never does. ARGS="--quick" for a ~30 s smoke run.
BENCH_STAMP := $(VENV)/.bench-stamp
.PHONY: bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: $(BENCH_STAMP) redis-server wrk
	$(BIN)/python -m benchmarks.run $(ARGS)
	$(BIN)/python -m benchmarks.aio $(filter --quick,$(ARGS))

# The Django tests again on the other supported LTS (the main venv has the newest).
VENV42 := .venv-django42
STAMP42 := $(VENV42)/.installed-stamp

$(STAMP42): pyproject.toml
	$(PYTHON) -m venv $(VENV42)
	$(VENV42)/bin/python -m pip install --quiet --upgrade pip
	$(VENV42)/bin/python -m pip install --quiet -e '.[dev]' 'Django>=4.2,<4.3'
	touch $@

test-django42: $(STAMP42) redis-server
	$(VENV42)/bin/python -c "import django; print('Django', django.get_version())"
	$(VENV42)/bin/pytest -q -p no:cacheprovider tests/test_django tests/test_docs_examples.py tests/test_fuzz_settings.py

# The web-load benchmark's load generator; without it the run uses a Python one.
.PHONY: wrk
wrk:
	@sh scripts/ensure-wrk
