# partner-center: `make run` serves the demo on SQLite; `make test` runs lint, types, layering and tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export PARTNER_CENTER_DATA_DIR ?= $(CURDIR)/var

.PHONY: venv run test lint types layers unit bench clean catalog

$(BIN)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

venv: $(BIN)/.installed

run: venv
	PARTNER_CENTER_SANDBOX=$${PARTNER_CENTER_SANDBOX:-true} $(BIN)/partner-center db upgrade
	PARTNER_CENTER_SANDBOX=$${PARTNER_CENTER_SANDBOX:-true} $(BIN)/partner-center demo seed --if-empty
	PARTNER_CENTER_SANDBOX=$${PARTNER_CENTER_SANDBOX:-true} $(BIN)/partner-center serve --host $(HOST) --port $(PORT)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: venv
	$(BIN)/mypy

layers: venv
	$(BIN)/lint-imports --no-cache

# axe-core for the browser tests, from the npm registry at the locked version.
tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund

test: lint types layers tests/browser/node_modules/.package-lock.json
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: venv
	$(BIN)/python bench/gateway.py
	$(BIN)/python bench/rating.py
	$(BIN)/python bench/concurrency.py
	$(BIN)/python bench/reads.py
	@case "$$DATABASE_URL" in \
	  postgresql*) $(BIN)/python bench/usage_ingest.py ;; \
	  *) echo "bench/usage_ingest.py skipped: its baseline is a PostgreSQL COPY (set DATABASE_URL=postgresql://...)" ;; \
	esac

# The console's message catalog: extract the strings, merge them into the Chinese .po (translate
# what is new there), compile the .mo that is committed beside it.
CONSOLE := src/partner_center/http/console
catalog: venv
	cd $(CONSOLE) && ../../../../$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header -o /tmp/partner-center-console.pot .
	$(BIN)/pybabel update -N -w 100 -i /tmp/partner-center-console.pot -d $(CONSOLE)/locale -D messages -l zh
	$(BIN)/pybabel compile --use-fuzzy -d $(CONSOLE)/locale -D messages -l zh

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .mypy_cache .ruff_cache
