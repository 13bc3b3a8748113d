# `make demo` and `make test` each do their whole set-up on a fresh machine:
# a local .venv and a redis-server binary. `make demo` installs only what the demo
# runs; `make test` adds the dev tools (the `dev` dependency group in pyproject.toml).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_STAMP := $(VENV)/.demo-stamp

.PHONY: test test-fast lint typecheck pytest demo redis-server clean docs dist extremes matrix

# The full suite runs last: its pytest summary closes the output CI reads.
test: lint typecheck docs dist extremes pytest

# Installs go through uv: seconds where pip takes a minute, and dependency groups
# without first upgrading pip to 25.1. nox (`make matrix`) uses the same uv. The venv
# gets no pip of its own (ensurepip alone takes longer than the rest of `make demo`'s
# set-up): the interpreter's pip installs uv into it (`pip --python`, pip >= 22.3).
# The target is uv itself, so a .venv made before uv was used gets it too.
$(BIN)/uv:
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet 'uv>=0.8' \
		|| { $(BIN)/python -m ensurepip --default-pip && $(BIN)/python -m pip install --quiet 'uv>=0.8'; }
INSTALL := $(BIN)/uv pip install --quiet --python $(BIN)/python

$(STAMP): pyproject.toml | $(BIN)/uv
	@# Bytecode now: the suite starts many Python processes, and with PYTHONDONTWRITEBYTECODE
	@# set (as on some machines) each would compile every module it imports again.
	$(INSTALL) --compile-bytecode -e '.[django,flask,hiredis]' --group dev
	@# uWSGI compiles from source; where it cannot be built its tests are skipped, saying why.
	$(INSTALL) uwsgi || echo "uWSGI could not be built here: its end-to-end tests will be skipped"
	touch $@

# The examples extra (Django, Flask, Flask-Session, gunicorn, uvicorn) and the demo's
# tables: no dev tools, no uWSGI.
$(DEMO_STAMP): pyproject.toml | $(BIN)/uv
	$(INSTALL) -e '.[examples,hiredis]' --group demo
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

# The edit loop: every test not marked e2e (no app servers). `make test` stays the full run.
test-fast: $(STAMP) redis-server
	$(BIN)/pytest -q -m "not e2e"

demo: $(DEMO_STAMP) redis-server
	$(BIN)/python scripts/demo.py $(ARGS)

clean:
	rm -rf $(VENV) .nox .mypy_cache .ruff_cache .pytest_cache dist build

# The Sphinx site, warnings as errors (the same build CI runs through `make test`).
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# `make bench` also installs the `bench` extra (the libraries it compares us
# with); `make test` never does. ARGS="--quick" for a ~30 s smoke run.
BENCH_STAMP := $(VENV)/.bench-stamp
.PHONY: bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(INSTALL) --compile-bytecode -e '.[django,flask,hiredis,bench]' --group dev
	touch $@

bench: $(BENCH_STAMP) redis-server wrk
	$(BIN)/python -m benchmarks.run $(ARGS)
	$(BIN)/python -m benchmarks.aio $(filter --quick,$(ARGS))

# The wheel and the sdist: what they hold, and `twine check --strict`.
dist: $(STAMP)
	$(BIN)/python scripts/check_dist.py

# The two ends of every axis of the matrix (noxfile.py: cells `oldest` and `newest`),
# on every test that starts no app server; a cell that cannot run is an error here.
extremes: $(STAMP) redis-server
	MATRIX_STRICT=1 $(BIN)/nox -s cell-oldest cell-newest summary -- -m "not e2e"

# Every cell of the version matrix, then its table. ARGS go to pytest (ARGS='-m "not e2e"').
matrix: $(STAMP) redis-server
	$(BIN)/nox -t matrix -- $(ARGS)

# The web-load benchmark's load generator; without it the run uses a Python one.
.PHONY: wrk
wrk:
	@sh scripts/ensure-wrk
