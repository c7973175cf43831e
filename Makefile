# Placecast: the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint typecheck pytest bench bless clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The benchmark section uses the DfE published statistics when they are beside the project.
DFE_STATS := $(wildcard ../shared/reference/dfe)

demo: $(STAMP)
	$(if $(DFE_STATS),PLACECAST_DFE_STATS=$(DFE_STATS) )$(BIN)/placecast demo --out placecast-output

# The web application on this machine (http://127.0.0.1:8000/), with the demo council on first start.
serve: $(STAMP)
	$(if $(DFE_STATS),PLACECAST_DFE_STATS=$(DFE_STATS) )$(BIN)/placecast serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

# Rewrite the golden report model from the demo (review the diff with `git diff tests/golden` before committing).
bless: $(STAMP)
	$(BIN)/python -m pytest tests/test_demo.py --bless -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_ingest.py

clean:
	rm -rf $(VENV) placecast-output .pytest_cache .mypy_cache .ruff_cache
