# Theory-verification suite for Armijo-like line searches.
# `make test` and `make experiments` do all the set-up themselves.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export MPLBACKEND := Agg

.PHONY: install test experiments bench clean

install: $(STAMP)

# Re-install only when the project metadata changes (editable install: code changes need nothing).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

test: $(STAMP)
	$(PY) -m pytest -q

experiments: $(STAMP)
	$(PY) -m experiments.run_all

bench: $(STAMP)
	$(PY) -m experiments.bench

clean:
	rm -rf cache build *.egg-info .pytest_cache
