# Theory-verification suite for Armijo-like line searches.
# `make test` and `make experiments` do all the set-up themselves.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export MPLBACKEND := Agg
# One BLAS thread per process: JOBS processes would otherwise oversubscribe the cores (Dask workers do the same).
# Numba: a piece running in a worker process uses one Numba thread (experiments/pieces.py: piece_threads);
# a single process (JOBS=1, make bench, armijo check) uses NUMBA_NUM_THREADS (default: all cores).
export OMP_NUM_THREADS := 1
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: install test test-portable experiments calibration bench battery noise-battery clean
.DELETE_ON_ERROR:

install: $(STAMP)

# Re-install only when the project metadata changes (editable install: code changes need nothing).
# One line per step, and pip's own progress (what it downloads and installs): about a minute on a fresh clone.
$(STAMP): pyproject.toml
	@echo "install 1/3: the virtual environment $(VENV) ($(PYTHON))"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "install 2/3: pip itself, up to date"
	$(PY) -m pip install --upgrade pip
	@echo "install 3/3: the project and its dependencies (numpy, scipy, sympy, matplotlib, pandas, scikit-learn, numba, dask, pytest)"
	$(PY) -m pip install -e '.[test,dask,compiled]'
	touch $@
	@echo "installed: run make test, or .venv/bin/armijo check \"x**4\" --x0 1"

# The experiments, in report order (experiments/machinery/report.py lists the same names).
EXPERIMENTS := exponents monomials l0l1 variants eta0 neural bounds basins necessity tightness gorbunov vankov neuron_protocol deep
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
ifeq ($(QUICK),1)
CACHE   := cache/quick
FIGURES := cache/quick/figures
FLAGS   := --quick
else
CACHE   := cache
FIGURES := figures
FLAGS   :=
endif
# Keep the tables when a figure step fails (after CACHE is defined).
.PRECIOUS: $(CACHE)/%/table.csv
RUN_FLAGS := $(FLAGS) --jobs $(JOBS) $(if $(SCHEDULER),--scheduler $(SCHEDULER),)
# Code that decides the numbers: a change re-runs the tables (cached pieces of unchanged code are kept).
CORE := $(wildcard armijo/*.py functions/*.py theory/*.py) \
        $(addprefix experiments/machinery/,cases.py grid.py executors.py run.py pieces.py study.py)
TABLES := $(foreach e,$(filter-out bounds,$(EXPERIMENTS)),$(CACHE)/$(e)/table.csv)
PLOTS  := $(foreach e,$(EXPERIMENTS),$(FIGURES)/$(e).png)

# One worker per core, each taking whole test files (--dist loadfile: a module's fixtures run once).
test: $(STAMP)
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile
	$(MAKE) --no-print-directory test-portable

# The engine and theory tests again under another machine's arithmetic: OpenBLAS's oldest x86-64
# kernel and NumPy's baseline SIMD only (every runtime-dispatched feature disabled), so that a
# float compared exactly across two code paths fails here and not on a user's CPU. x86-64 only.
PORTABLE_TESTS := tests/test_engine.py tests/test_single_start.py tests/test_theory_bounds.py \
                  tests/test_fit.py tests/test_estimators.py tests/test_assessment.py
test-portable: $(STAMP)
	@if [ "$$(uname -m)" = x86_64 ]; then \
	  features="$$($(PY) -c 'from numpy._core._multiarray_umath import __cpu_dispatch__ as d; print(" ".join(d))')"; \
	  echo "second pass: OPENBLAS_CORETYPE=Prescott NPY_DISABLE_CPU_FEATURES=\"$$features\""; \
	  OPENBLAS_CORETYPE=Prescott NPY_DISABLE_CPU_FEATURES="$$features" $(PY) -m pytest -q -p no:cacheprovider $(PORTABLE_TESTS); \
	else \
	  echo "second pass skipped: OPENBLAS_CORETYPE and the x86-64 SIMD features apply to x86-64 only ($$(uname -m))"; \
	fi

experiments: $(FIGURES)/REPORT.md

# One results table per experiment (written atomically by the run step).
$(CACHE)/%/table.csv: experiments/%.py $(CORE) | $(STAMP)
	$(PY) -m experiments.$* run $(RUN_FLAGS)

# The necessity experiment's valley starts, eps grid and budgets come from experiments/spiral_rates.py.
$(CACHE)/necessity/table.csv: experiments/spiral_rates.py

# The reproduction studies share their labels, oracle-call counts and first-hitting curves (plot step only).
$(FIGURES)/gorbunov.png $(FIGURES)/vankov.png $(FIGURES)/neuron_protocol.png: experiments/reproduction.py

# The bounds experiment gathers every other table.
$(CACHE)/bounds/table.csv: experiments/bounds.py $(TABLES) | $(STAMP)
	$(PY) -m experiments.bounds run $(RUN_FLAGS)

# One figure (PNG, PDF and its summary JSON) per experiment, from its table only.
$(FIGURES)/%.png: $(CACHE)/%/table.csv experiments/machinery/study.py
	$(PY) -m experiments.$* plot $(FLAGS)

$(FIGURES)/REPORT.md: $(PLOTS) experiments/machinery/report.py $(wildcard $(FIGURES)/calibration.json)
	$(PY) -m experiments.machinery.report $(FLAGS)

# Calibration of the rate fitter on synthetic N(eps) with known truth (theory/calibration.py): not part of
# `make experiments` (about 2800 fits); REPORT.md includes its table when the JSON exists.
calibration: $(FIGURES)/calibration.json

$(FIGURES)/calibration.json: theory/fit.py theory/calibration.py experiments/calibration.py | $(STAMP)
	$(PY) -m experiments.calibration $(FLAGS) --jobs $(JOBS)

# The noise-floor battery in full (tests/noise_battery.py; `make test` runs its cheap part): the table of
# the floor before and after the safer rewrites, statuses and verdicts, both backends (a few minutes).
noise-battery: $(STAMP)
	cd tests && ../$(PY) noise_battery.py

# The JAX peer is optional: where it cannot be installed the bench runs without its keys (and says so).
bench: $(STAMP)
	@$(PY) -c 'import jax' 2>/dev/null || $(PY) -m pip install --quiet --quiet -e '.[peers]' \
	  || echo "JAX could not be installed: the bench runs without the peer"
	$(PY) -m experiments.machinery.bench $(if $(filter 1,$(QUICK)),--quick,)

# The battery of critical points with known theta and rate (tests/test_battery.py runs it too):
# its table; DEEP=1 runs every case to thresholds 100 times smaller.
battery: $(STAMP)
	$(PY) -m armijo_suite.battery $(if $(filter 1,$(DEEP)),--deep,)

clean:
	rm -rf cache build *.egg-info .pytest_cache
