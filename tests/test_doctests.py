"""The examples in the docstrings run: every module of the engine (armijo/) and of the theory (theory/) is a doctest.

An example that no longer matches what the code does fails here, in `make test`.
"""

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Packages whose docstring examples must run.
PACKAGES = ("armijo", "theory")
#: Modules that need an optional dependency, and which.
NEEDS = {"armijo.compiled": "numba"}
MODULES = [".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
           for package in PACKAGES for path in sorted((ROOT / package).glob("*.py"))]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    module = importlib.import_module(name)
    failed, _ = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS, verbose=False,
                                report=True)
    assert failed == 0, f"{failed} docstring example(s) of {name} failed (see the output above)"


def test_the_engine_has_examples():
    """At least the entry points carry an example (a test that cannot pass vacuously)."""
    finder = doctest.DocTestFinder()
    examples = {name: sum(len(test.examples) for test in finder.find(importlib.import_module(name)))
                for name in ("armijo.engine", "armijo.backend", "armijo.thresholds", "armijo.params",
                             "armijo.result", "armijo.linesearch", "armijo.stochastic", "armijo.adam")}
    assert all(count > 0 for count in examples.values()), examples


def test_the_theory_has_examples():
    """The fitter, a bound of each kind, the predicted exponent and the registry carry an example."""
    finder = doctest.DocTestFinder()
    examples = {name: sum(len(test.examples) for test in finder.find(importlib.import_module(name)))
                for name in ("theory.fit", "theory.t1_lsmooth", "theory.t3_lojasiewicz", "theory.t4_oracle",
                             "theory.local_rate", "theory.theorems", "theory.evidence")}
    assert all(count > 0 for count in examples.values()), examples
