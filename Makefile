# The two commands of the quick start: `make demo` and `make test`.
# Each creates .venv with python3 if missing and installs paperdb into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DB ?= data/papers.db

.PHONY: demo test lint install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/paperdb --db $(DB) import data/samples/
	$(BIN)/paperdb --db $(DB) stats
	$(BIN)/paperdb --db $(DB) search "process supervision" --limit 3

test: $(STAMP)
	$(BIN)/python -m pytest -n 0

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(DB) $(DB)-wal $(DB)-shm
