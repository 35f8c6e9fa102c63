"""The noise-floor battery: functions whose own evaluation cancels or rounds inside.

Each function has a nondegenerate or degenerate minimum at ``f_* = 0``, where the computed ``f``
carries a rounding error far above an ulp of ``f`` unless the printed kernel avoids it
(:mod:`functions.rewrites`).  Each runs from three starts on the default eps grid of ``armijo
check`` (1e-2 to 1e-10, 4 per decade), with ``armijo`` and ``armijo-increase``, on both
backends, compiled as written (``rewrite=False``) and in its safer form (the default).

``tests/test_noise_floor.py`` runs :data:`BATTERY` in ``make test``; ``make noise-battery``
runs :data:`BATTERY` and :data:`FULL_ONLY` and prints the table of the floor (:func:`floor_eps`)
before and after the rewrites, with the statuses and verdicts.
"""

from __future__ import annotations

import sys
from functools import lru_cache

import numpy as np

import functions
from experiments.machinery.cases import eps_grid
from experiments.machinery.runner import run_minimize
from theory.assessment import assess_run, estimate_hypotheses
from theory.high_precision import reference_run

#: (expression, what it exercises): cheap runs (linear convergence, at most ~250 iterations).
BATTERY = [
    ("log(1+x**2)+3*x**2", "inner log(1 + small)"),
    ("exp(x)-1-x", "exp(small) - 1 beside -x"),
    ("exp(x**2)-1", "exp(small) - 1"),
    ("cosh(x)-1", "cosh(small) - 1"),
    ("1-cos(x)", "1 - cos(small)"),
    ("sqrt(1+x**2)-1", "sqrt(1 + small) - 1"),
    ("x-log(1+x)", "x - log(1 + x)"),
    ("(x+10000)**2-20000*x-100000000", "a large constant (1e8) that cancels"),
    ("(x**2+100)**2-199*x**2-10000", "a large constant (1e4) that cancels"),
    ("log(1+x**2+y**2)+x**2", "inner log(1 + small), two variables"),
    ("x**2+exp(y)-1-y", "an exact term beside an inexact one"),
    ("log(cosh(x))+x**2", "inner rounding no rewrite removes"),
    ("exp(x)+exp(-x)-2-x**2/2", "nearly equal terms"),
    ("1-1/(1+x**2)", "1 - (1 - small)"),
]
#: Too slow for ``make test`` (a degenerate minimum: about 10^5 iterations per start).
FULL_ONLY = [("cosh(x)+cos(x)-2", "nearly equal terms, degenerate minimum x^4/12")]

STARTS = {1: np.array([[1.5], [-0.5], [0.3]]), 2: np.array([[1.2, -0.8], [-0.5, 1.5], [0.3, 0.4]])}
ALGORITHMS = ("armijo", "armijo-increase")
BACKENDS = ("numpy", "compiled")
EPS = np.array(eps_grid(1e-2, 1e-10, 4))
MAX_ITER = 200_000
FLOOR_STATUSES = ("noise_floor", "precision_floor")
#: Digits of the reference runs.
REFERENCE_DPS = 40


@lru_cache(maxsize=None)
def objective(text, rewrite):
    """The battery function, compiled in its safer form (``rewrite``) or as written."""
    return functions.from_expression(text, rewrite=rewrite)


def starts(text):
    return STARTS[objective(text, True).n]


@lru_cache(maxsize=None)
def run(text, rewrite, backend, algorithm):
    """One battery run (with a trace, for the assessment)."""
    return run_minimize(objective(text, rewrite), starts(text), algorithm, backend=backend, eps=EPS,
                        max_iter=MAX_ITER, trace=True)


@lru_cache(maxsize=None)
def reference(text, algorithm, start, max_iter):
    """The same start in ``REFERENCE_DPS`` digits on the exact expression (:mod:`theory.high_precision`)."""
    plain = objective(text, False)
    return reference_run(plain.expression, plain.symbolic.symbols, starts(text)[start], algorithm, eps=EPS,
                         max_iter=max_iter, dps=REFERENCE_DPS)


def reference_mismatches(text, algorithm, results):
    """(start, backend, rewrite) whose counts before the stop differ from the reference run's."""
    bad = []
    budget = int(max(result.iterations.max() for result in results)) + 1
    for b in range(starts(text).shape[0]):
        exact = reference(text, algorithm, b, budget)
        for result in results:
            reached = result.eps_hits[b] >= 0
            if not (np.array_equal(result.eps_hits[b][reached], exact.eps_hits[reached])
                    and np.array_equal(result.eps_hit_f_evals[b][reached], exact.eps_hit_f_evals[reached])):
                bad.append((b, result.backend))
    return bad


def verdict(text, rewrite, backend):
    """Verdict per algorithm: the assessment of the runs of :data:`ALGORITHMS` (hypotheses estimated on both)."""
    runs = [run(text, rewrite, backend, algorithm) for algorithm in ALGORITHMS]
    hypotheses = estimate_hypotheses(objective(text, rewrite), starts(text), runs, seed=0)
    return {result.algorithm: assess_run(objective(text, rewrite), result, hypotheses) for result in runs}


def floor_eps(result):
    """Where the floor is on the grid: the deepest threshold reached by the start that stopped first at a floor
    (the largest of the floor-stopped starts' deepest thresholds); None when no start stopped at a floor."""
    deepest = [EPS[row >= 0].min() if (row >= 0).any() else EPS[0] * 10
               for row, status in zip(result.eps_hits, result.status) if status in FLOOR_STATUSES]
    return float(max(deepest)) if deepest else None


def table(cases=BATTERY + FULL_ONLY, stream=sys.stdout):
    """Print the battery table (markdown): floor before and after the rewrites, statuses, verdicts."""
    print("| function | exercises | noise model (as written / rewritten) | algorithm | floor eps as written "
          "| floor eps rewritten | statuses as written | statuses rewritten | verdicts as written (numpy, compiled) "
          "| verdicts rewritten (numpy, compiled) | counts = mpmath |", file=stream)
    print("|---|---|---|---|---|---|---|---|---|---|---|", file=stream)
    for text, what in cases:
        models = " / ".join(objective(text, rewrite).symbolic.noise_model.kind for rewrite in (False, True))
        verdicts = {(rewrite, backend): verdict(text, rewrite, backend) for rewrite in (False, True)
                    for backend in BACKENDS}
        for algorithm in ALGORITHMS:
            results = {(rewrite, backend): run(text, rewrite, backend, algorithm)
                       for rewrite in (False, True) for backend in BACKENDS}
            floors = []
            for rewrite in (False, True):
                values = ["no floor" if v is None else f"{v:.3g}"
                          for v in (floor_eps(results[rewrite, backend]) for backend in BACKENDS)]
                floors.append(values[0] if values[0] == values[1] else ", ".join(values))
            statuses = [", ".join(f"{name} {count}" for name, count in
                                  results[rewrite, "compiled"].status_counts().items() if count)
                        + ("" if np.array_equal(results[rewrite, "compiled"].status, results[rewrite, "numpy"].status)
                           else " (numpy: " + ", ".join(results[rewrite, "numpy"].status) + ")")
                        for rewrite in (False, True)]
            verdict_text = [", ".join(verdicts[rewrite, backend][algorithm].verdict.verdict for backend in BACKENDS)
                            for rewrite in (False, True)]
            same = not reference_mismatches(text, algorithm, list(results.values()))
            print(f"| `{text}` | {what} | {models} | {algorithm} | {floors[0]} | {floors[1]} | {statuses[0]} "
                  f"| {statuses[1]} | {verdict_text[0]} | {verdict_text[1]} | {'yes' if same else 'NO'} |",
                  file=stream, flush=True)


if __name__ == "__main__":
    table()
