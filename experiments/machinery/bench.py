"""Benchmarks of the engine (``make bench``): ratios measured side by side in one run.

Run ``python -m experiments.machinery.bench`` (``--quick`` for a run of under a minute with the
same keys).  Every measurement is repeated; the table and ``figures/bench.json`` give
the median with the min and max.  The two sides of a ratio are timed back to back
(A, B, A, B, ...) and the ratio is the median of the per-pair ratios, so both sides
see the same machine load.
Speed targets live here, never in tests (``tests/test_bench.py`` only runs the code
on a tiny size).

What is measured (issue 7):

1. batch throughput: ns per (start x iteration) of ``armijo`` on ``x^4`` and on
   ``poly-two`` at ``B = 1, 100, 10^4``, and the speed-up at ``B = 10^4`` over a plain
   scalar NumPy loop doing the same Armijo iterations one start at a time (timed on
   a subset of the starts: its cost per start does not depend on ``B``);
2. ``B = 1`` against gradient descent driven by SciPy's ``line_search_armijo``
   (``c1 = lam``, ``alpha0 = eta0``), same function, same number of iterations;
3. a run recording 40 thresholds against the same run with one (both run ``max_iter``);
4. engine overhead on ``logistic`` (``10^4`` samples x ``10^3`` features): engine wall
   time against the same number of bare ``f`` and ``grad`` calls;
5. the SymPy-compiled ``poly-two`` oracle (``f`` and ``grad``, ``B = 10^4``) against a
   hand-written NumPy one.

The compiled backend (issue 13), in the same run:

6. ``speedup_compiled_vs_scipy_b1``: microseconds per iteration of the SciPy-driven loop of 2.
   over those of the compiled backend (``x^4`` from the registry, one start, a run long
   enough that the call's fixed cost is amortised); ``speedup_vs_scipy_b1`` is now measured
   on the default backend (``run_minimize(..., backend="auto")``, the same iterations as the
   SciPy loop, end to end); the NumPy engine's time stays in the measurements;
7. ``ns_per_start_iter_compiled_b1e4_x4``: the compiled backend at ``B = 10^4`` on all of
   Numba's threads;
8. ``compile_seconds_first_call`` and ``compile_seconds_cached_call``: seconds from the request
   of the kernels of a new expression to the end of a first one-start and two-start run, in a
   fresh process, imports excluded (reported apart): first with the suite's loops already on
   disk (compiled once per installation: ``compile_seconds_cold`` is that first process, empty
   kernel and Numba caches), so that only the expression's kernels and lanes are compiled, then
   again with everything on disk;
9. ``seconds_check_x6_eps1e-10``: the run and assessment of ``armijo check "x**6" --x0 0.9
   --algorithm armijo --eps-min 1e-10`` as ``check`` performs them, through
   :func:`armijo.backend.run_minimize` (a proxy until ``check`` calls the runner: the
   report says so);
10. how often NumPy's transcendental functions and the C library's differ (the only source
    of differences between the backends), on 20000 points each.

The peer (issue 28), when JAX is installed (``pip install .[peers]``; without it these keys are
absent and the report says so):

11. ``speedup_compiled_vs_jax_b1_x4``, ``speedup_compiled_vs_jax_b1e4_x4``,
    ``speedup_compiled_vs_jax_b1e4_poly_two``: the same ``armijo`` runs on the compiled backend
    and on the JAX loop of :mod:`experiments.machinery.peers` (jit + vmap + ``lax.while_loop``,
    float64, CPU), timed alternately, both warm; the speed-up is the median of the paired
    ratios of JAX's seconds over the compiled backend's for the same task (same starts,
    ``eps_min``, ``max_iter``; both take the same iterations, checked);
12. ``jax_compile_seconds_first_call``: a fresh process, JAX imported, seconds to the end of the
    first call of a new solver on one start (tracing and XLA compilation), the peer's
    ``compile_seconds_first_call``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import scipy
import sympy
from scipy.optimize._linesearch import line_search_armijo

import functions
from armijo import minimize
from armijo.backend import run_minimize

#: Armijo constants of every comparison (the author's defaults, SCIENCE.md section 2).
CONSTANTS = {"eta0": 0.1, "lam": 0.5, "f1": 2.0}

#: Targets of issue 7: key -> (comparison, bound).
TARGETS = {
    "ns_per_start_iter_b1e4_x4": ("<=", 40.0),
    "speedup_vs_scalar_loop_b1e4_x4": (">=", 200.0),
    "speedup_vs_scipy_b1": (">=", 1.2),
    "speedup_numpy_engine_vs_scipy_b1": (">=", 1.0),
    "eps_grid_overhead_ratio": ("<=", 1.05),
    "engine_overhead_ratio_logistic": ("<=", 1.10),
    "compiled_oracle_ratio_poly_two": ("<=", 1.5),
    "speedup_compiled_vs_scipy_b1": (">=", 200.0),
    "ns_per_start_iter_compiled_b1e4_x4": ("<=", 3.0),
    "compile_seconds_first_call": ("<=", 3.0),
    "compile_seconds_cached_call": ("<=", 0.3),
    "seconds_check_x6_eps1e-10": ("<=", 15.0),
    "speedup_compiled_vs_jax_b1e4_x4": (">=", 1.0),
    "speedup_compiled_vs_jax_b1_x4": (">=", 1.0),
    "speedup_compiled_vs_jax_b1e4_poly_two": (">=", 1.0),
}

#: Keys of the JAX peer: absent from the report where JAX is not installed.
PEER_KEYS = ("speedup_compiled_vs_jax_b1e4_x4", "speedup_compiled_vs_jax_b1_x4",
             "speedup_compiled_vs_jax_b1e4_poly_two", "jax_compile_seconds_first_call")

#: Sizes of a run.  ``iterations`` per batched run, ``single_iterations`` at B = 1.
SIZES = {
    "full": dict(repeats=7, starts=(1, 100, 10_000), iterations=2000, single_iterations=20_000,
                 scalar_loop_starts=50, eps_grid_starts=10_000, eps_grid_iterations=2000, logistic=(10_000, 1_000),
                 logistic_iterations=30, oracle_starts=10_000, oracle_calls=200, compiled_single_iterations=2_000_000,
                 check_eps_min=1e-10, peer_eps_min=1e-8),
    "quick": dict(repeats=3, starts=(1, 100, 10_000), iterations=300, single_iterations=5000,
                  scalar_loop_starts=10, eps_grid_starts=10_000, eps_grid_iterations=2000, logistic=(10_000, 1_000),
                  logistic_iterations=8, oracle_starts=10_000, oracle_calls=50, compiled_single_iterations=1_000_000,
                  check_eps_min=1e-10, peer_eps_min=1e-8),
    "tiny": dict(repeats=1, starts=(1, 10), iterations=20, single_iterations=50,
                 scalar_loop_starts=2, eps_grid_starts=10, eps_grid_iterations=20, logistic=(50, 5),
                 logistic_iterations=3, oracle_starts=10, oracle_calls=2, compiled_single_iterations=100,
                 check_eps_min=1e-3, peer_eps_min=1e-3),
}

#: Every key of the report, in order (those of :data:`TARGETS` and the ones measured without a target).
REPORTED_KEYS = ("ns_per_start_iter_b1e4_x4", "speedup_vs_scalar_loop_b1e4_x4", "speedup_vs_scipy_b1",
                 "eps_grid_overhead_ratio", "engine_overhead_ratio_logistic", "compiled_oracle_ratio_poly_two",
                 "speedup_compiled_vs_scipy_b1", "ns_per_start_iter_compiled_b1e4_x4", "compile_seconds_first_call",
                 "compile_seconds_cached_call", "compile_seconds_cold", "seconds_check_x6_eps1e-10",
                 "speedup_numpy_engine_vs_scipy_b1",
                 *PEER_KEYS)

EPS_GRID_SIZE = 40
NO_THRESHOLD = [1e-300]  # never reached: the run lasts max_iter iterations


# -- the functions, written as a user would -------------------------------------------------


def quartic_f(X):
    return np.sum(X**4, axis=1)


def quartic_grad(X):
    return 4.0 * X**3


def quartic_f_1d(x):
    return np.sum(x**4)


def quartic_grad_1d(x):
    return 4.0 * x**3


def poly_two_f(X):
    """Hand-written ``R(w, b) = 1/2 [a(b)^2 + a(w + b)^2]``, ``a(z) = z^2 - 1``, batched."""
    w, b = X[:, 0], X[:, 1]
    inner, outer = b * b - 1.0, (w + b) ** 2 - 1.0
    return 0.5 * (inner * inner + outer * outer)


def poly_two_grad(X):
    w, b = X[:, 0], X[:, 1]
    total = w + b
    outer_term = 2.0 * ((total * total) - 1.0) * total
    G = np.empty_like(X)
    G[:, 0] = outer_term
    G[:, 1] = 2.0 * (b * b - 1.0) * b + outer_term
    return G


def quartic_starts(starts, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, size=(starts, 1))


# -- timing ------------------------------------------------------------------------------------


def summary(seconds, scale=1.0):
    """Median, min and max of repeated timings, times ``scale``."""
    values = [scale * s for s in seconds]
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def paired_ratio(seconds, numerator, denominator):
    """Median over repeats of the ratio of two runs timed back to back (robust to load drift)."""
    return statistics.median(a / b for a, b in zip(seconds[numerator], seconds[denominator]))


def alternate(repeats, **runs):
    """Time each run of ``runs`` ``repeats`` times, in alternation; return seconds and last results."""
    seconds = {name: [] for name in runs}
    results = {}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            results[name] = run()
            seconds[name].append(time.perf_counter() - start)
    return seconds, results


# -- 1. batch throughput and the scalar loop -------------------------------------------------


def scalar_armijo_loop(x0, iterations, eta0, lam, f1):
    """The same Armijo iterations on ``x^4``, one start at a time, as a user would write them."""
    finals = []
    for x in x0:  # each start as an array of shape (1,)
        value = np.sum(x**4)
        for _ in range(iterations):
            g = 4.0 * x**3
            g2 = np.dot(g, g)
            eta = eta0
            while True:
                trial = x - eta * g
                trial_value = np.sum(trial**4)
                if trial_value <= value - lam * eta * g2:
                    break
                eta /= f1
            x, value = trial, trial_value
        finals.append(x)
    return np.array(finals)


def throughput(f, grad, x0, iterations, repeats):
    """ns per (start x iteration) of ``armijo`` from ``x0`` (iterations actually made)."""
    seconds, results = alternate(repeats, engine=lambda: minimize(
        f, grad, x0, "armijo", eps=NO_THRESHOLD, max_iter=iterations, **CONSTANTS))
    done = int(results["engine"].iterations.sum())
    return summary(seconds["engine"], 1e9 / done), results["engine"]


def poly_two_starts(starts, seed=0):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=(starts, 2))


def bench_throughput(size):
    rows = {}
    engine_b1e4 = None
    for starts in size["starts"]:
        iterations = size["single_iterations"] if starts == 1 else size["iterations"]
        rows[f"ns_per_start_iter_b{starts}_x4"], result = throughput(
            quartic_f, quartic_grad, quartic_starts(starts), iterations, size["repeats"])
        rows[f"ns_per_start_iter_b{starts}_poly_two"], _ = throughput(
            poly_two_f, poly_two_grad, poly_two_starts(starts), iterations, size["repeats"])
        engine_b1e4 = (starts, result)
    starts, result = engine_b1e4
    subset = quartic_starts(starts)[: size["scalar_loop_starts"]]
    seconds, results = alternate(size["repeats"], scalar=lambda: scalar_armijo_loop(
        subset, size["iterations"], **CONSTANTS))
    # the scalar loop and the engine take the same iterations to the same points
    np.testing.assert_allclose(results["scalar"], result.x[: subset.shape[0]], rtol=1e-12)
    rows["ns_per_start_iter_scalar_loop_x4"] = summary(seconds["scalar"], 1e9 / (subset.shape[0] * size["iterations"]))
    return rows, starts


# -- 2. one start against SciPy ---------------------------------------------------------------


def scipy_armijo_descent(x, iterations, eta0, lam):
    """Gradient descent with SciPy's Armijo line search, as a user would write it."""
    value = quartic_f_1d(x)
    evaluations = 1
    for _ in range(iterations):
        g = quartic_grad_1d(x)
        step, calls, value = line_search_armijo(quartic_f_1d, x, -g, g, value, c1=lam, alpha0=eta0)
        evaluations += calls
        x = x - step * g
    return x, evaluations


def bench_scipy(size):
    """One start on x^4: the SciPy-driven loop against the default backend and the NumPy engine."""
    iterations = size["single_iterations"]
    x0 = np.array([1.5])
    quartic = functions.get("monomial", p=2)
    seconds, results = alternate(
        size["repeats"],
        default=lambda: run_minimize(quartic, x0, "armijo", eps=NO_THRESHOLD, max_iter=iterations, **CONSTANTS),
        engine=lambda: minimize(quartic_f, quartic_grad, x0, "armijo", eps=NO_THRESHOLD, max_iter=iterations,
                                **CONSTANTS),
        scipy=lambda: scipy_armijo_descent(x0, iterations, CONSTANTS["eta0"], CONSTANTS["lam"]),
    )
    assert results["engine"].iterations[0] == results["default"].iterations[0] == iterations
    rows = {
        "us_per_iter_b1_default_backend_x4": summary(seconds["default"], 1e6 / iterations),
        "us_per_iter_b1_engine_x4": summary(seconds["engine"], 1e6 / iterations),
        "us_per_iter_b1_scipy_x4": summary(seconds["scipy"], 1e6 / iterations),
    }
    details = {"f_evals": {"engine": int(results["engine"].f_evals[0]), "scipy": results["scipy"][1],
                           "default": int(results["default"].f_evals[0])},
               "default_backend": results["default"].backend,
               "speedup_numpy_engine_vs_scipy_b1": paired_ratio(seconds, "scipy", "engine")}
    return rows, paired_ratio(seconds, "scipy", "default"), details


# -- 6.-10. the compiled backend ---------------------------------------------------------------


def bench_compiled_single(size, scipy_us_per_iteration):
    """us per iteration of the compiled backend, one start on x^4, and the speed-up over SciPy's loop."""
    iterations = size["compiled_single_iterations"]
    quartic = functions.get("monomial", p=2)
    x0 = np.array([1.5])
    seconds, results = alternate(size["repeats"], compiled=lambda: run_minimize(
        quartic, x0, "armijo", backend="compiled", eps=NO_THRESHOLD, max_iter=iterations, **CONSTANTS))
    assert results["compiled"].iterations[0] == iterations
    per_iteration = summary(seconds["compiled"], 1e6 / iterations)
    return {"us_per_iter_b1_compiled_x4": per_iteration}, scipy_us_per_iteration / per_iteration["median"]


def bench_compiled_throughput(size):
    """ns per (start x iteration) of the compiled backend at the largest batch, all Numba threads."""
    import numba

    starts = size["starts"][-1]
    iterations = size["iterations"]
    quartic = functions.get("monomial", p=2)
    x0 = quartic_starts(starts)
    seconds, results = alternate(size["repeats"], compiled=lambda: run_minimize(
        quartic, x0, "armijo", backend="compiled", eps=NO_THRESHOLD, max_iter=iterations, **CONSTANTS))
    done = int(results["compiled"].iterations.sum())
    return {f"ns_per_start_iter_compiled_b{starts}_x4": summary(seconds["compiled"], 1e9 / done)}, \
        {"numba_threads": numba.get_num_threads(), "threading_layer": _threading_layer()}


def _threading_layer():
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel region has run yet
        return None


_COMPILE_PROBE = """
import json, time
started = time.perf_counter()
import numba
numba_imported = time.perf_counter()
import numpy as np
import functions
from armijo.backend import run_minimize
imported = time.perf_counter()
objective = functions.from_expression({expression!r})
run_minimize(objective, [[0.7]], "armijo", backend="compiled", max_iter=10)
run_minimize(objective, [[0.7], [0.8]], "armijo", backend="compiled", max_iter=10)
done = time.perf_counter()
print(json.dumps({{"compile_seconds": done - imported, "import_numba_seconds": numba_imported - started,
                  "import_project_seconds": imported - numba_imported}}))
"""


def bench_compile(size):
    """Compilation of a new expression in a fresh process, then the same again from the disk cache.

    Three fresh processes share empty kernel and Numba caches: the first compiles everything
    (the suite's own loops, compiled once per installation, and the kernels of another
    expression): ``compile_seconds_cold``; the second runs a new expression (its kernels and
    lanes compiled, the suite's loops loaded): ``compile_seconds_first_call``; the third runs
    that expression again (everything loaded): ``compile_seconds_cached_call``.
    """
    import tempfile

    expression = f"x**4 + {size['repeats']}*x**2/7 + x/3"  # not in any cache of this run
    with tempfile.TemporaryDirectory() as kernel_cache, tempfile.TemporaryDirectory() as numba_cache:
        env = {**os.environ, "ARMIJO_KERNEL_CACHE": kernel_cache, "NUMBA_CACHE_DIR": numba_cache}
        runs = []
        for text in (f"x**6 + {size['repeats']}*x/5", expression, expression):
            completed = subprocess.run([sys.executable, "-c", _COMPILE_PROBE.format(expression=text)],
                                       capture_output=True, text=True, env=env, check=True)
            runs.append(json.loads(completed.stdout.strip().splitlines()[-1]))
    cold, first, cached = runs
    return first["compile_seconds"], cached["compile_seconds"], {"cold": cold, "first": first, "cached": cached,
                                                                 "expression": expression}


def bench_check_x6(size):
    """``armijo check "x**6" --x0 0.9 --algorithm armijo --eps-min 1e-10``, end to end.

    The command itself, in a fresh process (imports, kernel from the disk cache, the run on the
    default backend, the assessment, the report), timed from outside; ``--json`` gives what it
    found.
    """
    command = [sys.executable, "-m", "armijo_suite.cli", "check", "x**6", "--x0", "0.9", "--algorithm", "armijo",
               "--eps-min", f"{size['check_eps_min']:g}", "--json"]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    block = json.loads(completed.stdout)["algorithms"][0]
    return seconds, {"command": " ".join(command[2:]), "backend": block["backend"], "status": block["status"],
                     "max_iter": block["max_iter"], "model": block["model"], "exponent": block["exponent"],
                     "exponent_ci": block["exponent_ci"], "N_at_eps_min": block["iterations_median"][-1]}


#: Expressions whose NumPy and C-library evaluations are compared (points uniform in ``[lo, hi]``).
KERNEL_PROBES = {"exp(x)": (-5, 5), "log(x)": (1e-3, 5), "sin(x)": (-5, 5), "cosh(x)": (-5, 5),
                 "tanh(x)": (-5, 5), "atan(x)": (-5, 5), "erf(x)": (-5, 5), "x**(3/10)": (1e-3, 5),
                 "x**7 - 3*x**2 + sqrt(1 + x**2)": (-5, 5)}


def bench_kernel_differences(points=20_000):
    """Fraction of points where the NumPy oracle and the Numba kernel of an expression differ."""
    from functions.kernels import objective_kernels

    rng = np.random.default_rng(0)
    fractions = {}
    for text, (low, high) in KERNEL_PROBES.items():
        objective = functions.from_expression(text)
        kernels = objective_kernels(objective)
        X = rng.uniform(low, high, size=(points, 1))
        reference = objective.f(X)
        compiled = np.array([kernels.f(row) for row in X])
        fractions[text] = float(np.mean(reference != compiled))
    return fractions


# -- 11.-12. the JAX peer ----------------------------------------------------------------------


#: The peer's runs: key -> (objective label, registry name and parameters, starts, iterations key of SIZES,
#: eps_min key of SIZES or None for a run of max_iter iterations).
PEER_RUNS = {
    "speedup_compiled_vs_jax_b1_x4": ("x^4", ("monomial", {"p": 2}), 1, "compiled_single_iterations", None),
    "speedup_compiled_vs_jax_b1e4_x4": ("x^4", ("monomial", {"p": 2}), "largest", "iterations", None),
    "speedup_compiled_vs_jax_b1e4_poly_two": ("poly-two", ("poly-two", {}), "largest", "iterations", "peer_eps_min"),
}

_JAX_COMPILE_PROBE = """
import json, time
from experiments.machinery import peers
peers._jax()
started = time.perf_counter()
solve = peers.armijo_solver(peers.quartic, eta0=0.1, lam=0.5, f1=2.0)
peers.run_solver(solve, [[0.7]], 1e-6, 10)
print(json.dumps({"compile_seconds": time.perf_counter() - started}))
"""


def bench_jax(size):
    """The compiled backend against the JAX peer on the same runs; None where JAX is not installed."""
    from experiments.machinery import peers

    if not peers.jax_available():
        return None
    keys, rows, details = {}, {}, {"versions": peers.versions()}
    solvers = {}
    for key, (label, (name, parameters), starts, iterations_key, eps_key) in PEER_RUNS.items():
        starts = size["starts"][-1] if starts == "largest" else starts
        iterations = size[iterations_key]
        eps_min = size[eps_key] if eps_key else NO_THRESHOLD[0]
        objective = functions.get(name, **parameters)
        x0 = quartic_starts(starts) if label == "x^4" else poly_two_starts(starts)
        if label not in solvers:
            solvers[label] = peers.armijo_solver(peers.PEER_FUNCTIONS[label], **CONSTANTS)
        solve = solvers[label]

        def compiled(x0=x0, objective=objective, eps_min=eps_min, iterations=iterations):
            return run_minimize(objective, x0, "armijo", backend="compiled", eps=[eps_min], max_iter=iterations,
                                **CONSTANTS)

        def jax_run(x0=x0, solve=solve, eps_min=eps_min, iterations=iterations):
            return peers.run_solver(solve, x0, eps_min, iterations)

        compiled(), jax_run()  # both warm: kernels loaded, XLA program compiled for these shapes
        seconds, results = alternate(size["repeats"], compiled=compiled, jax=jax_run)
        done = results["compiled"].iterations
        jax_x, _, jax_iterations = results["jax"]
        tag = key.removeprefix("speedup_compiled_vs_jax_")
        rows[f"ns_per_start_iter_compiled_{tag}"] = summary(seconds["compiled"], 1e9 / int(done.sum()))
        rows[f"ns_per_start_iter_jax_{tag}"] = summary(seconds["jax"], 1e9 / int(jax_iterations.sum()))
        keys[key] = paired_ratio(seconds, "jax", "compiled")
        details[tag] = {"starts": starts, "max_iter": iterations, "eps_min": eps_min,
                        "iterations_compiled": int(done.sum()), "iterations_jax": int(jax_iterations.sum()),
                        "starts_with_other_iterations": int((done != jax_iterations).sum()),
                        "statuses_compiled": sorted(set(results["compiled"].status.tolist())),
                        "largest_x_difference": float(np.abs(results["compiled"].x - jax_x).max())}
    completed = subprocess.run([sys.executable, "-c", _JAX_COMPILE_PROBE], capture_output=True, text=True,
                               check=True)
    keys["jax_compile_seconds_first_call"] = json.loads(completed.stdout.strip().splitlines()[-1])["compile_seconds"]
    return keys, rows, details


# -- 3. the eps grid --------------------------------------------------------------------------


def bench_eps_grid(size):
    """40 thresholds against one, both runs lasting ``max_iter`` iterations on every start."""
    x0 = quartic_starts(size["eps_grid_starts"])
    iterations = size["eps_grid_iterations"]
    probe = minimize(quartic_f, quartic_grad, x0, "armijo", eps=NO_THRESHOLD, max_iter=iterations, **CONSTANTS)
    smallest = 0.5 * probe.grad_norm.min()  # below every final gradient: never reached
    grid = np.geomspace(probe.grad_norm_initial.max(), smallest, EPS_GRID_SIZE)
    seconds, results = alternate(
        size["repeats"],
        grid=lambda: minimize(quartic_f, quartic_grad, x0, "armijo", eps=grid, max_iter=iterations, **CONSTANTS),
        one=lambda: minimize(quartic_f, quartic_grad, x0, "armijo", eps=[smallest], max_iter=iterations, **CONSTANTS),
    )
    assert (results["grid"].iterations == iterations).all() and (results["one"].iterations == iterations).all()
    hits = int((results["grid"].eps_hits >= 0).sum())
    rows = {"ms_eps_grid_40": summary(seconds["grid"], 1e3), "ms_eps_grid_1": summary(seconds["one"], 1e3)}
    return rows, paired_ratio(seconds, "grid", "one"), hits


# -- 4. engine overhead on logistic -----------------------------------------------------------


def bench_logistic(size):
    samples, features = size["logistic"]
    objective = functions.get("logistic", samples=samples, features=features)
    x0 = objective.default_start[None, :]
    iterations = size["logistic_iterations"]
    run = minimize(objective.f, objective.grad, x0, "armijo", eps=NO_THRESHOLD, max_iter=iterations, **CONSTANTS)
    f_calls, grad_calls = int(run.f_evals[0]), int(run.grad_evals[0])

    def bare_calls():
        for _ in range(f_calls):
            objective.f(x0)
        for _ in range(grad_calls):
            objective.grad(x0)

    seconds, _ = alternate(
        size["repeats"],
        engine=lambda: minimize(objective.f, objective.grad, x0, "armijo", eps=NO_THRESHOLD, max_iter=iterations,
                                **CONSTANTS),
        bare=bare_calls,
    )
    rows = {"ms_logistic_engine": summary(seconds["engine"], 1e3), "ms_logistic_bare_calls": summary(seconds["bare"], 1e3)}
    ratio = paired_ratio(seconds, "engine", "bare")
    return rows, ratio, {"samples": samples, "features": features, "f_calls": f_calls, "grad_calls": grad_calls}


# -- 5. compiled oracle -----------------------------------------------------------------------


def bench_compiled_oracle(size):
    objective = functions.get("poly-two")
    X = poly_two_starts(size["oracle_starts"], seed=1)
    assert objective.variables == ("w", "b")
    np.testing.assert_allclose(objective.f(X), poly_two_f(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(objective.grad(X), poly_two_grad(X), rtol=1e-12, atol=1e-12)
    calls = size["oracle_calls"]

    def repeat(f, grad):
        def run():
            for _ in range(calls):
                f(X)
                grad(X)
        return run

    seconds, _ = alternate(size["repeats"], compiled=repeat(objective.f, objective.grad),
                           hand=repeat(poly_two_f, poly_two_grad))
    scale = 1e6 / calls
    rows = {"us_poly_two_compiled_f_grad": summary(seconds["compiled"], scale),
            "us_poly_two_hand_f_grad": summary(seconds["hand"], scale)}
    return rows, paired_ratio(seconds, "compiled", "hand")


# -- the report -------------------------------------------------------------------------------


def provenance():
    def git(*args):
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    status = git("status", "--porcelain")
    return {
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sympy": sympy.__version__,
        "commit": git("rev-parse", "HEAD"),
        "dirty": None if status is None else bool(status),
    }


def run(size_name):
    """Run every benchmark at ``size_name`` (a key of :data:`SIZES`); return the report."""
    size = SIZES[size_name]
    measurements, keys, details = {}, {}, {}
    rows, largest = bench_throughput(size)
    measurements.update(rows)
    engine_ns = rows[f"ns_per_start_iter_b{largest}_x4"]["median"]
    keys["ns_per_start_iter_b1e4_x4"] = engine_ns
    keys["speedup_vs_scalar_loop_b1e4_x4"] = rows["ns_per_start_iter_scalar_loop_x4"]["median"] / engine_ns
    rows, keys["speedup_vs_scipy_b1"], details["b1"] = bench_scipy(size)
    measurements.update(rows)
    scipy_us = rows["us_per_iter_b1_scipy_x4"]["median"]
    rows, keys["eps_grid_overhead_ratio"], details["eps_grid_hits"] = bench_eps_grid(size)
    measurements.update(rows)
    rows, keys["engine_overhead_ratio_logistic"], details["logistic"] = bench_logistic(size)
    measurements.update(rows)
    rows, keys["compiled_oracle_ratio_poly_two"] = bench_compiled_oracle(size)
    measurements.update(rows)
    rows, keys["speedup_compiled_vs_scipy_b1"] = bench_compiled_single(size, scipy_us)
    measurements.update(rows)
    rows, details["compiled_threads"] = bench_compiled_throughput(size)
    measurements.update(rows)
    keys["ns_per_start_iter_compiled_b1e4_x4"] = rows[f"ns_per_start_iter_compiled_b{largest}_x4"]["median"]
    keys["compile_seconds_first_call"], keys["compile_seconds_cached_call"], details["compile"] = bench_compile(size)
    keys["compile_seconds_cold"] = details["compile"]["cold"]["compile_seconds"]
    keys["seconds_check_x6_eps1e-10"], details["check_x6"] = bench_check_x6(size)
    details["kernel_difference_fraction"] = bench_kernel_differences(20_000 if size_name != "tiny" else 50)
    keys["speedup_numpy_engine_vs_scipy_b1"] = details["b1"].pop("speedup_numpy_engine_vs_scipy_b1")
    peer = bench_jax(size)
    if peer is None:
        details["peer"] = "JAX is not installed (pip install .[peers]): the peer keys are absent"
    else:
        peer_keys, rows, details["peer"] = peer
        keys.update(peer_keys)
        measurements.update(rows)
    met = {key: (keys[key] <= bound) if op == "<=" else (keys[key] >= bound)
           for key, (op, bound) in TARGETS.items() if key in keys}
    return {**keys, "targets": {key: f"{op} {bound:g}" for key, (op, bound) in TARGETS.items()},
            "met": met, "measurements": measurements, "details": details, "size": size_name,
            "sizes": {**size, "largest_batch": largest}, "constants": CONSTANTS, **provenance()}


def print_report(report):
    print(f"size {report['size']}: median [min, max] of {report['sizes']['repeats']} repeats")
    for name, value in report["measurements"].items():
        print(f"  {name:40s} {value['median']:12.2f}  [{value['min']:.2f}, {value['max']:.2f}]")
    print("keys:")
    for key in REPORTED_KEYS:
        if key not in report:
            print(f"  {key:40s} {'absent':>12s}  ({report['details']['peer']})")
        elif key in TARGETS:
            verdict = "met" if report["met"][key] else "NOT MET"
            print(f"  {key:40s} {report[key]:12.2f}  target {report['targets'][key]:8s} {verdict}")
        else:
            print(f"  {key:40s} {report[key]:12.2f}  (no target)")
    check_x6 = report["details"]["check_x6"]
    print(f"  check x^6: `{check_x6['command']}` on the {check_x6['backend']} backend: {check_x6['model']}, "
          f"exponent {check_x6['exponent']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (under a minute) with the same keys")
    parser.add_argument("--size", choices=sorted(SIZES), help="explicit size (tiny: the smoke test)")
    parser.add_argument("--output", default="figures/bench.json")
    args = parser.parse_args(argv)
    report = run(args.size or ("quick" if args.quick else "full"))
    print_report(report)
    directory = os.path.dirname(args.output)
    if directory:
        os.makedirs(directory, exist_ok=True)
    with open(args.output + ".tmp", "w") as handle:
        json.dump(report, handle, indent=2)
    os.replace(args.output + ".tmp", args.output)
    return report


if __name__ == "__main__":
    main()
