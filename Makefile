# Cockpit: two commands. `make run` serves the app, `make test` runs the whole suite.
# Both create .venv and install everything first (a stamp file makes later runs instant).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
# The CPU torch wheel lies on disk here; look there first so no CUDA build is ever pulled.
WHEELS := $(wildcard /opt/wheels)
PIP_FLAGS := --disable-pip-version-check $(if $(WHEELS),--find-links $(WHEELS),)

.PHONY: install run test lint format demo bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@echo "==> installing torch==2.13.0 (CPU) first"
	$(BIN)/pip install $(PIP_FLAGS) --progress-bar on "torch==2.13.0"
	@echo "==> installing Cockpit and its pinned dependencies"
	$(BIN)/pip install $(PIP_FLAGS) --progress-bar on -e ".[dev]"
	@touch $(STAMP)

run: install
	@$(BIN)/cockpit demo --if-missing
	$(BIN)/cockpit app --port 8501

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/tagging.py
	$(BIN)/python bench/queries.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/refresh.py
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) var .pytest_cache
