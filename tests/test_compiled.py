"""The compiled backend (armijo/compiled.py, functions/kernels.py) against the NumPy reference.

Validation corpus: every algorithm x 18 functions x 3 starts (plus named extra cases), run by both backends with the
same arguments (``experiments.machinery.runner.run_minimize(..., backend=...)``); the rivals get the constants
they need from :func:`required_parameters`.

* ``EXACT`` functions use only operations that are correctly rounded in IEEE arithmetic
  (``+ - * /``, integer powers printed as products, ``sqrt``): both backends must agree bit
  for bit on everything, floats and trace included.
* ``TRANSCENDENTAL`` functions (``exp``, ``log``, ``sin``, ``cosh``...) are evaluated by
  NumPy's SIMD loops on one side and by the C library on the other, which differ by an ulp
  on some inputs (functions/kernels.py, "what may differ"); integer outcomes (statuses, eps
  hits, counts, backtracks) must still be identical, and floats agree within
  ``FLOAT_TOLERANCE``.  Their eps grids stop at 1e-6, above the regime where Armijo
  decisions are made by rounding (the precision floor): there an ulp of ``f`` decides, and
  integers may legitimately differ (``test_precision_floor_boundary_is_named`` shows such a
  case rather than hiding it).

Every status is covered (converged, max_iter, precision_floor, noise_floor, step_underflow,
non_finite, diverged).  Skipped cleanly when Numba is absent; ``test_suite_works_without_numba`` runs the
runner in a subprocess where Numba cannot be imported.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import functions  # noqa: E402
from armijo import ALGORITHMS, armijo_test, minimize  # noqa: E402
from armijo.compiled import minimize_compiled, squared_norm  # noqa: E402
from armijo.engine import squared_norms  # noqa: E402
from experiments.machinery.runner import backend_choice, run_minimize  # noqa: E402
from functions.kernels import objective_kernels  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

INTEGER_FIELDS = ("status", "iterations", "f_evals", "grad_evals", "backtracks", "eps_hits",
                  "eps_hit_f_evals", "eps_hit_grad_evals")
FLOAT_FIELDS = ("x", "f", "grad_norm", "step", "f_initial", "grad_norm_initial")
TRACE_FIELDS = ("iteration", "step", "f", "grad_norm", "x_norm", "f_evals")

#: Transcendental functions: |a - b| <= rtol * |b| + atol for every final float.  An ulp of
#: difference in f or grad moves the iterates by ulps; near a minimiser at 0 the iterates
#: themselves are tiny, hence the absolute part.  (Largest seen on this corpus: see the test.)
FLOAT_TOLERANCE = dict(rtol=1e-11, atol=1e-13)
#: Rivals whose step is a quotient by a difference of nearly equal values amplify that ulp: Polyak's gap
#: f(x) - f* (at ||g|| ~ 1e-6 on cosh, f* = 1/4, the gap is ~1e-13 of f: an ulp of f is ~1e-3 of the step;
#: largest seen 3.8e-5 for polyak, 1.7e-3 for polyak-level) and AdGD's ||g_k - g_{k-1}|| (largest seen
#: 4.7e-10).  Integers must still agree.
RIVAL_FLOAT_TOLERANCE = {"polyak": dict(rtol=1e-2, atol=1e-13), "polyak-level": dict(rtol=1e-2, atol=1e-13),
                         "adgd": dict(rtol=1e-8, atol=1e-13)}
#: Non-monotone rivals on transcendental objectives: past these budgets the iterates circle the Mexican hat
#: (AdGD) or oscillate around the minimiser with steps R/sqrt(k+1) smaller than their distance to it
#: (normalized-gd-decay), and whether a threshold is crossed at iteration k or k + 12 is decided by ulps of
#: the direction (README, "normalized steps oscillating around a minimiser"; seen: eps hits 4639 against
#: 4651 on exp-log-sin, 2995 against none on the Mexican hat).  The corpus compares them up to there: AdGD
#: on the hat is bit-identical to 700 iterations (1e-6 apart at 1000); normalized-gd-decay's iterates
#: separate by ulps after ~200 iterations and then stay within one step R/sqrt(k+1) of each other
#: (largest seen 2e-4 relative), its floats are compared at that scale.
SENSITIVE_BUDGETS = {("mexican-hat", "adgd"): 700, ("exp-log-sin", "normalized-gd-decay"): 3000}
SENSITIVE_FLOAT_TOLERANCE = {("exp-log-sin", "normalized-gd-decay"): dict(rtol=0.0, atol=1.0 / math.sqrt(3000))}

COUPLED_QUARTIC = "p**4 + q**4 + r**4 + s**4 + t**4 + 3/10*(p*q + q*r + r*s + s*t)**2"

# (label, objective factory, starts, extra run arguments)
EXACT = [
    ("x^4", lambda: functions.get("monomial", p=2), [[1.3], [-0.7], [1.9]], {}),
    ("x^6", lambda: functions.get("monomial", p=3), [[0.9], [-1.4], [0.3]], {}),
    ("rosenbrock", lambda: functions.get("rosenbrock"), [[-1.2, 1.0], [0.5, 0.5], [1.5, 2.0]], {}),
    ("escape", lambda: functions.get("escape", a=1.0), [[0.7], [1.5], [2.5]], {}),
    ("poly-two", lambda: functions.get("poly-two"), [[1.3, -2.1], [0.2, 0.4], [-2.5, 2.9]], {}),
    ("poly-five", lambda: functions.get("poly-five"), [[1.3, -2.1], [0.2, 0.4], [-2.5, 2.9]], {}),
    ("poly-eight", lambda: functions.get("poly-eight"), [[0.3, 0.6], [1.1, 0.1], [-0.2, 1.7]], {}),
    ("coupled quartic 5-d", lambda: functions.from_expression(COUPLED_QUARTIC),
     [[1.0, -0.5, 0.3, 0.8, -1.2], [0.1, 0.2, -0.3, 0.4, 0.5], [-1.5, 1.5, -1.5, 1.5, 0.0]], {}),
    ("rational", lambda: functions.from_expression("x**2/(1 + y**2) + y**2 + sqrt(1 + x**2)"),
     [[1.0, 2.0], [-0.5, 0.1], [3.0, -1.0]], {}),
    # f_* = 1 far from 0: the floor for the Armijo variants; noise_floor with the relative noise
    # 4 u |f| of the kernel (functions/noise.py), precision_floor where 64 ulps of f are more
    ("1 + x^4", lambda: functions.from_expression("1 + x**4"), [[0.7], [-1.1], [0.4]],
     dict(eps=np.logspace(-2, -10, 9), max_iter=200_000)),
    ("1 + x^4, 64-ulp floor", lambda: functions.from_expression("1 + x**4"), [[0.7], [-1.1], [0.4]],
     dict(eps=np.logspace(-2, -10, 9), max_iter=200_000, precision_floor_ulps=64.0)),
    # a large constant that cancels: the noise kernel (exact arithmetic) stops the Armijo variants at
    # noise_floor near ||g|| ~ 1e-5, inside the grid
    ("(x^2+100)^2 - 199 x^2 - 10^4", lambda: functions.from_expression("(x**2+100)**2-199*x**2-10000"),
     [[1.5], [-0.5], [0.3]], dict(eps=np.logspace(-1, -8, 15))),
    # unbounded below: diverged (f < min_f or ||x|| > max_norm)
    ("-x^2", lambda: functions.from_expression("-x**2 - y**2"), [[0.3, 0.1], [-1.0, 2.0], [0.0, 1e-3]],
     dict(max_iter=100_000)),
]
TRANSCENDENTAL = [
    ("cosh", lambda: functions.get("cosh", s=2.0), [[2.1], [-0.4], [1.0]], {}),
    ("flat-exp", lambda: functions.get("flat-exp"), [[1.0], [-0.6], [0.3]], {}),
    ("mexican-hat", lambda: functions.get("mexican-hat"),
     [[-0.48, 0.14], [0.1, 0.7], [-0.5, -0.5]], dict(max_iter=3000)),
    ("exp-log-sin", lambda: functions.from_expression("exp(x)*sin(y) + log(1 + x**2) + y**2/10 + x**2"),
     [[0.5, 0.5], [-1.0, 2.0], [1.5, -0.3]], {}),
    # the gradient overflows after one fixed step: non_finite (baselines)
    ("exp(x^2)", lambda: functions.from_expression("exp(x**2)"), [[3.0], [2.0], [-2.5]], dict(max_iter=50)),
]
DEFAULTS = dict(eps=np.logspace(-1, -6, 11), max_iter=20_000, trace=True)


def required_parameters(algorithm, objective):
    """The constants a rival needs: f* (the registry's, else 0: a wrong f* is a case too), (L0, L1), R."""
    known = getattr(objective, "f_star", None)
    return {"polyak": dict(f_star=float(known) if known is not None and np.isfinite(known) else 0.0),
            "l0l1-gd": dict(L0=4.0, L1=3.0), "normalized-gd-decay": dict(R=1.0)}.get(algorithm, {})


def _arguments(label, algorithm, extra, objective):
    kwargs = {**DEFAULTS, **extra, **required_parameters(algorithm, objective)}
    if label == "exp(x^2)" and "eta" in ALGORITHMS[algorithm].defaults:
        kwargs["eta"] = 0.5  # a fixed step far too large: exp(x^2) overflows at the next iterate
    if (label, algorithm) in SENSITIVE_BUDGETS:
        kwargs["max_iter"] = SENSITIVE_BUDGETS[label, algorithm]
    return kwargs


def _run_both(label, factory, starts, algorithm, extra):
    objective = factory()
    kwargs = _arguments(label, algorithm, extra, objective)
    reference = run_minimize(objective, np.array(starts, dtype=float), algorithm, backend="numpy", **kwargs)
    compiled = run_minimize(objective, np.array(starts, dtype=float), algorithm, backend="compiled", **kwargs)
    assert reference.backend == "numpy" and compiled.backend == "compiled"
    return reference, compiled


def _assert_integers_equal(reference, compiled, label):
    for name in INTEGER_FIELDS:
        assert np.array_equal(getattr(reference, name), getattr(compiled, name)), (label, name)
    assert np.array_equal(reference.trace.iteration, compiled.trace.iteration), label
    assert np.array_equal(reference.trace.f_evals, compiled.trace.f_evals), label


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
@pytest.mark.parametrize("label, factory, starts, extra", EXACT, ids=[case[0] for case in EXACT])
def test_exact_corpus_is_bit_identical(label, factory, starts, extra, algorithm):
    reference, compiled = _run_both(label, factory, starts, algorithm, extra)
    _assert_integers_equal(reference, compiled, label)
    for name in FLOAT_FIELDS:
        assert np.array_equal(getattr(reference, name), getattr(compiled, name), equal_nan=True), (label, name)
    for name in TRACE_FIELDS:
        assert np.array_equal(getattr(reference.trace, name), getattr(compiled.trace, name), equal_nan=True), name
    assert reference.params == compiled.params and reference.first_trial == compiled.first_trial


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
@pytest.mark.parametrize("label, factory, starts, extra", TRANSCENDENTAL, ids=[case[0] for case in TRANSCENDENTAL])
def test_transcendental_corpus_same_integers_close_floats(label, factory, starts, extra, algorithm):
    reference, compiled = _run_both(label, factory, starts, algorithm, extra)
    _assert_integers_equal(reference, compiled, label)
    tolerance = SENSITIVE_FLOAT_TOLERANCE.get((label, algorithm), RIVAL_FLOAT_TOLERANCE.get(algorithm, FLOAT_TOLERANCE))
    for name in FLOAT_FIELDS:
        np.testing.assert_allclose(getattr(compiled, name), getattr(reference, name), equal_nan=True,
                                   err_msg=f"{label} {name}", **tolerance)
    for name in ("f", "grad_norm", "x_norm"):
        np.testing.assert_allclose(getattr(compiled.trace, name), getattr(reference.trace, name), equal_nan=True,
                                   err_msg=f"{label} trace {name}", **tolerance)


def test_corpus_covers_every_status():
    seen = set()
    for label, factory, starts, extra in EXACT + TRANSCENDENTAL:
        for algorithm in ALGORITHMS:
            objective = factory()
            kwargs = {**_arguments(label, algorithm, extra, objective), "trace": False}
            result = run_minimize(objective, np.array(starts, dtype=float), algorithm, backend="compiled", **kwargs)
            seen.update(result.status.tolist())
    # step_underflow needs a user floor on the step (a symbolic gradient is never an ascent direction)
    underflow = run_minimize(functions.from_expression("3*x**2/2"), [[1.0]], "armijo", backend="compiled",
                             eta0=1.0, eta_min=0.9)
    reference = run_minimize(functions.from_expression("3*x**2/2"), [[1.0]], "armijo", backend="numpy",
                             eta0=1.0, eta_min=0.9)
    assert underflow.status.tolist() == reference.status.tolist() == ["step_underflow"]
    seen.update(underflow.status.tolist())
    assert seen == {"converged", "max_iter", "precision_floor", "noise_floor", "step_underflow", "non_finite",
                    "diverged"}


def test_precision_floor_boundary_is_named():
    """Past the eps range of the corpus, on cosh (f_* = 1/4), decisions are made by rounding.

    ``armijo-increase`` from these starts is run to eps = 1e-9: the decrease ``eta ||g||^2``
    reaches a few ulps of ``f``, where the run stops at the noise floor (the relative bound
    ``4 u |f|`` of ``cosh(2 x)/4``, functions/noise.py) or the precision floor; where exactly
    depends on the last bit of ``f`` -- where NumPy's ``cosh`` and the C library's differ.
    The test records what happens instead of asserting equality: both backends stop every
    start with a named status, the same set of statuses up to a floor versus ``converged``,
    and identical eps hits above 1e-7.
    """
    objective = functions.get("cosh", s=2.0)
    starts = np.array([[2.1], [-0.4], [1.0], [-2.7]])
    kwargs = dict(eps=np.logspace(-1, -9, 17), max_iter=20_000)
    reference = run_minimize(objective, starts, "armijo-increase", backend="numpy", **kwargs)
    compiled = run_minimize(objective, starts, "armijo-increase", backend="compiled", **kwargs)
    allowed = {"converged", "precision_floor", "noise_floor"}
    assert set(reference.status) <= allowed and set(compiled.status) <= allowed
    coarse = reference.eps >= 1e-7
    assert np.array_equal(reference.eps_hits[:, coarse], compiled.eps_hits[:, coarse])


def test_armijo_condition_at_every_accepted_step_of_the_compiled_backend():
    """Rebuild the iterates from the recorded steps with NumPy and recheck the Armijo test.

    The recomputation uses the NumPy oracle of the same printed code, so on a polynomial it
    follows the same arithmetic: the test is checked exactly, and the values match bit for bit.
    """
    objective = functions.from_expression(COUPLED_QUARTIC)
    x0 = np.array([[1.0, -0.5, 0.3, 0.8, -1.2], [0.1, 0.2, -0.3, 0.4, 0.5]])
    lam = 0.3
    for algorithm in ("armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"):
        result = run_minimize(objective, x0, algorithm, backend="compiled", eps=[1e-3, 1e-6], max_iter=300,
                              trace=True, trace_per_decade=10_000, eta0=1.0, lam=lam)
        checked = 0
        for b in range(x0.shape[0]):
            x = x0[b:b + 1].copy()
            for k in range(result.iterations[b]):
                g = objective.grad(x)
                norm = math.sqrt(float(squared_norms(g)[0]))
                direction, slope = (g / norm, norm) if algorithm == "armijo-normalized" else (g, norm**2)
                eta = result.trace.step[k + 1, b]
                x_next = x - eta * direction
                value = objective.f(x_next)[0]
                assert armijo_test(value, objective.f(x)[0], eta, slope, lam), (algorithm, b, k)
                assert value == result.trace.f[k + 1, b]
                x = x_next
                checked += 1
            assert np.array_equal(x[0], result.x[b])
        assert checked >= 10, algorithm


class _CallCounter:
    """Spy on the NumPy oracles of one start: counts every call."""

    def __init__(self, objective):
        self.objective, self.f_calls, self.grad_calls = objective, 0, 0

    def f(self, X):
        self.f_calls += X.shape[0]
        return self.objective.f(X)

    def grad(self, X):
        self.grad_calls += X.shape[0]
        return self.objective.grad(X)


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_oracle_counts_equal_the_calls_made(algorithm):
    """The compiled counts equal the calls the algorithm makes, counted by a spy around the oracles."""
    objective = functions.from_expression(COUPLED_QUARTIC)
    x0 = np.random.default_rng(3).uniform(-1.5, 1.5, (4, 5))
    kwargs = dict(eps=[1e-2, 1e-4], max_iter=3000, trace=True, **required_parameters(algorithm, objective))
    compiled = run_minimize(objective, x0, algorithm, backend="compiled", **kwargs)
    for b in range(x0.shape[0]):
        spy = _CallCounter(objective)
        minimize(spy.f, spy.grad, x0[b], algorithm, **kwargs)
        assert compiled.f_evals[b] == spy.f_calls and compiled.grad_evals[b] == spy.grad_calls, b


@pytest.mark.parametrize("text", [
    "abs(x) + max(x, y)**2 - min(x, 2*y) + floor(x) + sign(y)*x + heaviside(x - y) + relu(y - 1)",
    "exp(x)*sin(y) + log(1 + x**2) + tanh(x*y) + erf(x) + atan(y)",
    "x**(3/2)*y**2 + (1 + x**2 + y**2)**(-5/2) + (2 + x*y)**0.3",
])
def test_kernels_evaluate_the_printed_code(text):
    """Kernels and NumPy oracles on points with zeros, ties and random values.

    Exact operations (step functions, max/min, sqrt powers) agree bit for bit; the second and
    third expressions call transcendental functions and a general power: values differ by a
    few ulps (here at most 2 for f), and a gradient component that is a sum of larger terms
    by more relative to itself (64 ulps seen), hence ``rtol = atol = 1e-13``.
    """
    objective = functions.from_expression(text)
    kernels = objective_kernels(objective)
    rng = np.random.default_rng(4)
    X = np.vstack([rng.uniform(0.05, 3, (200, 2)), [[0.5, 0.5], [1.0, 1.0], [2.0, 1.0], [0.3, 0.15]]])
    reference_f, reference_g = objective.f(X), objective.grad(X)
    compiled_f = np.array([kernels.f(row) for row in X])
    compiled_g = np.empty_like(reference_g)
    for row, out in zip(X, compiled_g):
        kernels.grad(row, out)
    if "exp" in text or "**0.3" in text:
        for got, expected in ((compiled_f, reference_f), (compiled_g, reference_g)):
            np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
    else:
        assert np.array_equal(compiled_f, reference_f) and np.array_equal(compiled_g, reference_g)


def test_squared_norm_is_numpys_pairwise_sum():
    rng = np.random.default_rng(7)
    for n in range(1, 301):
        X = rng.standard_normal((20, n)) * np.exp(rng.uniform(-20, 20, (20, n)))
        expected = (X * X).sum(axis=1)
        assert np.array_equal(squared_norms(X), expected)
        got = np.array([squared_norm(np.ascontiguousarray(row)) for row in X])
        assert np.array_equal(got, expected), n


def test_results_do_not_depend_on_threads():
    objective = functions.get("poly-five")
    starts = objective.sample_starts(np.random.default_rng(2), 64)
    kwargs = dict(eps=np.logspace(-1, -6, 6), max_iter=5000, trace=True)
    one = run_minimize(objective, starts, "armijo-increase", backend="compiled", threads=1, **kwargs)
    every = run_minimize(objective, starts, "armijo-increase", backend="compiled",
                         threads=numba.config.NUMBA_NUM_THREADS, **kwargs)
    for name in INTEGER_FIELDS:
        assert np.array_equal(getattr(one, name), getattr(every, name)), name
    for name in FLOAT_FIELDS:
        assert np.array_equal(getattr(one, name), getattr(every, name), equal_nan=True), name
    assert np.array_equal(one.trace.f, every.trace.f, equal_nan=True)


@pytest.mark.parametrize("kwargs, message", [
    (dict(algorithm="armijo", lam=1.5), r"lam must be in \(0, 1\)"),
    (dict(algorithm="armijo", f2=10.0), r"armijo takes no parameter f2"),
    (dict(algorithm="newton"), r"unknown algorithm 'newton'"),
    (dict(algorithm="armijo", eps=[1e-6, 1e-3]), r"strictly decreasing"),
    (dict(algorithm="armijo", max_iter=-1), r"max_iter must be a non-negative integer"),
    (dict(algorithm="armijo", max_iter=2**63), r"max_iter must be a non-negative integer"),
    (dict(algorithm="armijo", threads=0), r"threads must be an integer"),
])
def test_bad_parameters_fail_as_in_the_engine(kwargs, message):
    kernels = objective_kernels(functions.get("rosenbrock"))
    with pytest.raises(ValueError, match=message):
        minimize_compiled(kernels, np.ones((2, 2)), **kwargs)
    kwargs.pop("threads", None)
    if "threads" not in message:
        with pytest.raises(ValueError, match=message):
            minimize(functions.get("rosenbrock").f, functions.get("rosenbrock").grad, np.ones((2, 2)), **kwargs)


def test_wrong_dimension_and_backend_errors():
    kernels = objective_kernels(functions.get("rosenbrock"))
    with pytest.raises(ValueError, match="dimension 2"):
        minimize_compiled(kernels, np.ones((2, 3)))
    with pytest.raises(ValueError, match="backend 'compiled' cannot run logistic: numeric entry"):
        run_minimize(functions.get("logistic", samples=20, features=3), np.zeros(3), "armijo", backend="compiled")
    with pytest.raises(ValueError, match="backend must be one of"):
        run_minimize(functions.get("rosenbrock"), np.zeros(2), "armijo", backend="fortran")
    numeric = run_minimize(functions.get("logistic", samples=20, features=3), np.zeros(3), "armijo", max_iter=5)
    assert numeric.backend == "numpy"
    assert backend_choice(functions.get("logistic", samples=20, features=3)).reason == "numeric entry, no kernel"
    assert backend_choice(functions.get("rosenbrock")).backend == "compiled"


def test_catalog_says_which_entries_run_compiled():
    rows = {row["name"]: row["backend"] for row in functions.catalog()}
    for name, backend in rows.items():
        expected = "numpy (numeric entry, no kernel)" if functions.get(name).symbolic is None else "compiled"
        assert backend == expected, name
    assert rows["cgt"].startswith("numpy") and rows["monomial"] == "compiled"


def test_every_symbolic_registry_entry_compiles():
    for name in functions.names():
        objective = functions.get(name)
        if objective.symbolic is not None:
            assert backend_choice(objective, "compiled").backend == "compiled", name


def test_long_run_budget_is_int64():
    """A budget of 2^63 - 1 iterations is accepted; the run stops on its own (converged)."""
    result = run_minimize(functions.get("monomial", p=1), [[1.0]], "armijo", backend="compiled",
                          eps=[1e-8], max_iter=2**63 - 1, trace=True)
    assert result.status.tolist() == ["converged"] and result.max_iter == 2**63 - 1


def _python(code, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_kernels_are_loaded_from_the_disk_cache_by_a_second_process(tmp_path):
    code = (
        "import json, functions\n"
        "from functions.kernels import objective_kernels\n"
        "k = objective_kernels(functions.from_expression('x**4 + x*y + y**6'))\n"
        "print(json.dumps({'hits': sum(k.f.stats.cache_hits.values()) + sum(k.grad.stats.cache_hits.values()),\n"
        "                  'misses': sum(k.f.stats.cache_misses.values()) + sum(k.grad.stats.cache_misses.values()),\n"
        "                  'path': str(k.path)}))\n"
    )
    env = {"ARMIJO_KERNEL_CACHE": str(tmp_path)}
    first = _python(code, env)
    second = _python(code, env)
    assert first["misses"] == 2 and first["hits"] == 0
    assert second["misses"] == 0 and second["hits"] == 2
    assert first["path"] == second["path"] and first["path"].startswith(str(tmp_path))


def test_suite_works_without_numba():
    """With ``import numba`` failing, auto falls back to NumPy and says so; compiled is a clear error."""
    code = (
        "import sys, json\n"
        "sys.modules['numba'] = None  # import numba raises ImportError\n"
        "import numpy as np, functions, armijo\n"
        "from experiments.machinery.runner import backend_choice, run_minimize\n"
        "objective = functions.from_expression('x**4')\n"
        "result = run_minimize(objective, [[1.3]], 'armijo', eps=[1e-3], max_iter=10000)\n"
        "try:\n"
        "    run_minimize(objective, [[1.3]], 'armijo', backend='compiled')\n"
        "    error = None\n"
        "except ValueError as exc:\n"
        "    error = str(exc)\n"
        "rows = {row['name']: row['backend'] for row in functions.catalog()}\n"
        "print(json.dumps({'backend': result.backend, 'status': result.status.tolist(),\n"
        "                  'reason': backend_choice(objective).reason, 'error': error, 'monomial': rows['monomial']}))\n"
    )
    report = _python(code)
    assert report["backend"] == "numpy" and report["status"] == ["converged"]
    assert report["reason"] == "Numba is not installed"
    assert "Numba is not installed" in report["error"]
    assert report["monomial"] == "numpy (Numba not installed)"
