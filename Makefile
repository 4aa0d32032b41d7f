# Two commands: `make demo` renders every client in params/, `make test` runs the suite.
# Both create .venv with the package and its test extras when it is missing or stale.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.cemlab-installed

.PHONY: test demo workshop bench clean-reports

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/cemlab render params/

workshop: $(STAMP)
	MPLBACKEND=Agg $(BIN)/cemlab present notebooks/workshop.ipynb

bench: $(STAMP)
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/render.py

clean-reports:
	rm -rf reports/*/ reports/index.html
