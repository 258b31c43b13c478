# Quick start: `make book` builds the site; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA ?= data
PARAMS ?=
BUILD_ARGS := --data-dir $(DATA) $(if $(PARAMS),--params $(PARAMS))

.PHONY: book run check test bench mutants clean venv

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

venv: $(VENV)/.installed

book: venv  ## execute the notebooks and build the site into _build/html
	$(PY) -m safecity build $(BUILD_ARGS)

run: venv  ## execute the notebooks into book/ only
	$(PY) -m safecity run $(BUILD_ARGS)

check: venv  ## validate the data only
	$(PY) -m safecity check --data-dir $(DATA)

test: venv  ## unit tests, nbval on the executed notebooks, site and browser checks
	$(PY) -m pytest

bench: venv  ## the build against the plain way (papermill, then jupyter-book), wall and CPU time; writes bench/results.json
	$(PY) -m safecity.bench

mutants: venv  ## apply each of tools/mutants.py's small errors to a copy; the tests must catch every one (slow)
	nice $(PY) tools/mutants.py

clean:
	rm -rf _build _build-runs .build-staging .cache
