# Everything a fresh machine with only Python 3.11 needs: `make demo`, `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system demo run test lint format bench dev clean screenshots

setup: $(VENV)/.installed system

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# poppler-utils: pdftotext/pdftoppm read factsheet PDFs back in tests and docs.
# chromium: headless, measures the HTML pages at phone width in tests and takes the
# screenshots in docs/.
system:
	@{ command -v pdftotext >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; } || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq poppler-utils chromium >/dev/null; }

demo: setup  ## demo data -> warehouse -> checks -> factsheets
	$(BIN)/kto demo

run: setup  ## the whole pipeline on KTO_LANDING_DIR
	$(BIN)/kto run

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# docs/screenshots/*.png from the marts of a `make demo` run (same KTO_* settings).
screenshots: setup
	$(BIN)/python tools/screenshots.py

bench: setup
	$(BIN)/kto bench

dev: setup  ## the Dagster UI on http://localhost:3000
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data dbt/target dbt/logs .dagster_home
