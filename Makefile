# Everything a fresh machine with only Python 3.11 needs: `make demo`, `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup system demo run test test-hardening lint format bench dev clean

setup: $(VENV)/.installed system

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# poppler-utils: pdftotext/pdftoppm read factsheet PDFs back in tests and docs.
# fonts-noto-color-emoji: emoji in tips and names print as emoji, not empty boxes (Typst
# falls back to it for glyphs DejaVu lacks; browsers do the same).
EMOJI_FONT := /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
system:
	@{ command -v pdftotext >/dev/null 2>&1 && test -f $(EMOJI_FONT); } || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			poppler-utils fonts-noto-color-emoji >/dev/null; }

demo: setup  ## demo data -> warehouse -> checks -> factsheets
	$(BIN)/kto demo

run: setup  ## the whole pipeline on KTO_LANDING_DIR
	$(BIN)/kto run

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

# Every crash phase and every concurrency combination (tests/test_runs_hardening.py):
# a kto run each, so minutes to tens of minutes.
test-hardening: setup
	KTO_DEEP_TESTS=1 $(BIN)/pytest tests/test_runs_hardening.py -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/kto bench

dev: setup  ## the Dagster UI on http://localhost:3000
	DAGSTER_HOME=$(CURDIR)/dagster_home $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data dbt/target dbt/logs .dagster_home
