# Everything a fresh machine with only Python 3.11 needs: `make demo`, `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# `make dev` listens on this machine only unless told otherwise (DEV_HOST=0.0.0.0).
DEV_HOST ?= 127.0.0.1
DEV_PORT ?= 3000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system demo run test test-deep test-hardening lint format bench dev clean screenshots

setup: $(VENV)/.installed system

$(VENV)/.installed: pyproject.toml devtools/pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]" -e ./devtools
	touch $@

# poppler-utils: pdftotext/pdftoppm read factsheet PDFs back in tests and docs.
# fonts-noto-color-emoji: emoji in tips and names print as emoji, not empty boxes (Typst
# falls back to it for glyphs DejaVu lacks; browsers do the same).
# chromium: headless, measures the HTML pages at phone width in tests and takes the
# screenshots in docs/.
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
system:
	@{ command -v pdftotext >/dev/null 2>&1 && test -f $(EMOJI_FONT) && \
		command -v chromium >/dev/null 2>&1; } || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			poppler-utils fonts-noto-color-emoji chromium >/dev/null; }

demo: setup  ## demo data -> warehouse -> checks -> factsheets
	$(BIN)/kto demo

run: setup  ## the whole pipeline on KTO_LANDING_DIR
	$(BIN)/kto run

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

# The long runs: every rule broken one at a time on each layer, through `kto run` and
# through refresh_job on the multiprocess executor; then the property-based tests with the
# deep profile (a dbt build per example, half a minute on an idle machine: 1000 examples
# take hours; DEEP_EXAMPLES=50 make test-deep for a shorter run).
test-deep: setup
	KTO_DEEP_TESTS=1 $(BIN)/pytest tests/test_gate.py -q
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest tests/test_properties.py tests/test_dbt_by_year.py -x -q \
		--hypothesis-show-statistics
	KTO_DEEP_TESTS=1 HYPOTHESIS_PROFILE=deep DEEP_EXAMPLES=$${DEEP_EXAMPLES:-20} \
		PII_EXAMPLES=$${PII_EXAMPLES:-20000} $(BIN)/pytest tests/test_pii.py -x -q
	KTO_STARTUP_RUNS=$${KTO_STARTUP_RUNS:-50} $(BIN)/pytest tests/test_startup_imports.py -x -q

# Every crash phase and every concurrency combination (tests/test_runs_hardening.py):
# a kto run each, so minutes to tens of minutes.
test-hardening: setup
	KTO_DEEP_TESTS=1 $(BIN)/pytest tests/test_runs_hardening.py -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# docs/screenshots/*.png from the marts of a `make demo` run (same KTO_* settings).
screenshots: setup
	$(BIN)/python tools/screenshots.py

# kto bench at SCALE x national size (bench/README.md); reports go to bench/results/.
SCALE ?= 0.05
bench: setup
	$(BIN)/kto bench --scale $(SCALE)

dev: setup  ## the Dagster UI on http://localhost:3000
	@# a shell that starts a job in the background ignores SIGINT in it, and dagster dev then
	@# ignores SIGTERM as well: restore SIGINT before it starts, so both stop it
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		$(BIN)/dagster dev -w workspace.yaml -h $(DEV_HOST) -p $(DEV_PORT)

clean:
	rm -rf data dbt/target dbt/logs .dagster_home
