# Two commands matter: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 180

.PHONY: duckdb1-client postgres bench-force venv demo test test-fast bench serve lint typecheck suites clean browser renderer

# An older DuckDB client in its own small venv: the tests open the published warehouse with it, as
# analysts' DuckDB 1.x tools do (see warehouse/open_formats.py for the versions measured).
DUCKDB1_VERSION := 1.1.3
DUCKDB1_VENV := .venv-duckdb1
DUCKDB1_STAMP := $(DUCKDB1_VENV)/.installed-$(DUCKDB1_VERSION)

$(DUCKDB1_STAMP):
	test -x $(DUCKDB1_VENV)/bin/python || $(PYTHON) -m venv $(DUCKDB1_VENV)
	$(DUCKDB1_VENV)/bin/python -m pip install --quiet duckdb==$(DUCKDB1_VERSION)
	touch $(DUCKDB1_STAMP)

duckdb1-client: $(DUCKDB1_STAMP)

# The two-worker test runs the Prefect server on PostgreSQL (Debian's postgresql-15), started by
# scripts/prefect_postgres.sh; installed here when missing (CI runs as root). Still missing: that test
# fails under CI=true and is skipped otherwise.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 \
		|| apt-get install -y -q postgresql-15 \
		|| (apt-get update -q && apt-get install -y -q postgresql-15) \
		|| echo "PostgreSQL could not be installed: tests/integration/test_two_workers.py will fail under CI=true"

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==26.3
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/csp demo

# Lint, then type check, then the tests; any failure stops the run.
test: lint renderer $(DUCKDB1_STAMP) postgres
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not server and not browser"

# The PDF renderer (headless Chromium, Debian package chromium): installed when missing and we are
# root with apt-get (CI); otherwise say how. The PDF tests fail, not skip, under CI=true without it.
renderer:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$CSP_CHROMIUM" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "PDF reports need Chromium: install the Debian package chromium (or set CSP_CHROMIUM)"; fi; }

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# Every Kent CSP's reports from the 27 real files (the 13-area manual check, timed): benchmarks/force_results.json
bench-force: $(STAMP)
	$(BIN)/python -m benchmarks.force_areas

serve: $(STAMP)
	$(BIN)/csp serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

suites: $(STAMP)
	$(BIN)/python -m expectations.build
	$(BIN)/python -m expectations.docs

clean:
	rm -rf $(VENV) $(DUCKDB1_VENV) data .pytest_cache

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^csp-indicators' > requirements.lock.new
	{ echo "# Exact versions of every dependency (pip freeze of a working venv). Regenerate with: make lock"; echo "setuptools==84.2.1"; cat requirements.lock.new; } > requirements.lock && rm requirements.lock.new
