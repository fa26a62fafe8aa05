# Entry points of the template. `make test` is what CI runs (.ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean lock

$(VENV)/ready: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

# Render the default (SQLite) project into demo/, install, migrate, add a demo user, serve it.
demo: $(VENV)/ready
	scripts/demo

# Lint the template's own code, then every test: bakes, hooks, the rendered suites on SQLite
# and PostgreSQL, Gunicorn over HTTP, the browser, containers. Two pytest-xdist workers: the
# container tests whole on one, the rest shared by module (tests/workers_plugin.py).
test: lint
	$(BIN)/pytest --numprocesses 2

# Serve both variants under Gunicorn and runserver, beside the hand-written DRF project and a
# bare Django view (bench/projects/), load them with wrk and print requests/s, latency, memory,
# container start and their ratios, each target met or not (about 8 minutes; see
# `.venv/bin/python -m bench --help`: BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS tune it).
# A package run from here, so that it imports tooling/ as the tests do.
bench: $(VENV)/ready
	$(BIN)/python -m bench

# Re-lock the rendered projects' requirements, each database's, after a change to the rendered
# requirements*.in (tooling/locks.py); every version not concerned stays.
lock: $(VENV)/ready
	$(BIN)/python -m tooling.locks

lint: $(VENV)/ready
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf demo artifacts .pytest_cache .hypothesis
