# Two commands matter: `make demo` and `make test`. Both build .venv from nothing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 180

.PHONY: venv demo test test-fast bench serve lint typecheck suites clean browser renderer

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
test: lint renderer
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
	rm -rf $(VENV) data .pytest_cache

lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^csp-indicators' > requirements.lock.new
	{ echo "# Exact versions of every dependency (pip freeze of a working venv). Regenerate with: make lock"; echo "setuptools==84.2.1"; cat requirements.lock.new; } > requirements.lock && rm requirements.lock.new
