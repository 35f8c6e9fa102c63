"""The noise of f's own evaluation (functions/noise.py), the safer rewrites (functions/rewrites.py)
and the noise-floor rule of the line search (armijo/linesearch.py, both backends).

* The rewrites are identities and remove the cancellation they target (against mpmath).
* The running error bound holds: ``|computed f(x) - f(x)| <= N(x)`` at sampled points, against a
  40-digit mpmath value, for the NumPy oracle and the compiled kernel; it is not vacuous: within
  a factor 100 of the noise level ECnoise measures along a line (where the noise is random).
* The rule: the first-order margin ``(1 - lam) eta <g, d>`` and the computed margin against
  ``2 N``; both backends and the scalar search stop at the same trial; the stop comes within a
  bounded number of iterations of the floor, for every Armijo variant, with a budget of 2e8.
"""

import math

import mpmath
import numpy as np
import pytest
import sympy

import functions
from armijo import minimize
from armijo.linesearch import ACCEPTED, NOISE_FLOOR, backtrack
from experiments.machinery.runner import run_minimize
from functions.noise import (UNIT_ROUNDOFF, ecnoise, engine_noise, noise_expression, relative_error_bound,
                             running_error_program)
from functions.rewrites import safe_rewrite
from functions.symbolic import SymbolicOracle

X, Y = sympy.symbols("x y", real=True)
LINE_SEARCH = ("armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized")

#: Expressions with one cancellation each (the rewrite removes it where a rule applies).
CANCELLING = ["log(1+x**2)+3*x**2", "exp(x)-1-x", "exp(x**2)-1", "cosh(x)-1", "1-cos(x)", "sqrt(1+x**2)-1",
              "x-log(1+x)", "(x**2+100)**2-199*x**2-10000", "log(cosh(x))+x**2", "exp(x)+exp(-x)-2-x**2/2",
              "1-1/(1+x**2)", "log(1+x**2+y**2)+x**2", "x**2+exp(y)-1-y", "cosh(x)+cos(x)-2"]


def _exact(expression, symbols, point, dps=40):
    with mpmath.workdps(dps):
        return expression.evalf(dps, subs={s: sympy.Float(float(c), dps) for s, c in zip(symbols, point)})


# -- rewrites --------------------------------------------------------------------------------------


@pytest.mark.parametrize("before, after", [
    (sympy.log(1 + X**2) + 3 * X**2, "3*x**2 + log1p(x**2)"),
    (sympy.exp(X) - 1 - X, "-x + expm1(x)"),
    (sympy.cosh(X) - 1, "2*sinh(x/2)**2"),
    (2 - 2 * sympy.cos(X), "4*sin(x/2)**2"),
    (sympy.sqrt(1 + X**2) - 1, "x**2/(sqrt(x**2 + 1) + 1)"),
    (sympy.cosh(X) + sympy.cos(X) - 2, "-2*sin(x/2)**2 + 2*sinh(x/2)**2"),
    (sympy.log(1 + sympy.exp(X)), "log1p(exp(x))"),
])
def test_rewrite_is_the_same_function(before, after):
    rewritten = safe_rewrite(before)
    assert str(rewritten) == after
    for point in (1e-9, 3e-4, 0.7, -1.3, 4.0):
        assert abs(_exact(rewritten, (X,), [point]) - _exact(before, (X,), [point])) <= 1e-30 * (
            1 + abs(_exact(before, (X,), [point])))


@pytest.mark.parametrize("expression", [X**2 - 1, (1 - X)**2 + 100 * (Y - X**2)**2, sympy.exp(X) - X,
                                        35 * X**8 - 360 * X**7 + 1, (X + 10**4)**2 - 2 * 10**4 * X - 10**8,
                                        sympy.log(sympy.cosh(X))])
def test_rewrite_leaves_other_expressions_alone(expression):
    """No factoring, no exp2/log2: polynomials and expressions without a pattern are unchanged."""
    assert safe_rewrite(expression) == expression


def test_registry_kernels_unchanged_except_the_spiral_angle():
    """Only the spiral's angle kappa (exp(beta c) - 1)/beta is printed differently (with expm1)."""
    for name in functions.names():
        oracle = functions.get(name).symbolic
        if oracle is None:
            continue
        plain = SymbolicOracle(oracle.expression, oracle.symbols, oracle.active_region, oracle.special_points,
                               rewrite=False)
        changed = [order for order in (0, 1, 2) if plain.printed(order) != oracle.printed(order)]
        assert changed == ([0, 1, 2] if name == "spiral" else []), name
    assert "numpy.expm1" in functions.get("spiral").symbolic.printed(0).statements[1]


@pytest.mark.parametrize("text", ["log(1+x**2)+3*x**2", "exp(x)-1-x", "cosh(x)-1", "1-cos(x)", "sqrt(1+x**2)-1",
                                  "x-log(1+x)"])
def test_rewrite_removes_the_cancellation(text):
    """Near the minimiser, as written, the error is about u absolute (the rounding of 1 + small); rewritten it is
    a few u relative, or u |x| where a second cancellation remains (expm1(x) - x, x - log1p(x))."""
    points = np.array([[1e-9], [1e-6], [1e-4]])
    errors = {}
    for rewrite in (False, True):
        objective = functions.from_expression(text, rewrite=rewrite)
        exact = np.array([float(_exact(objective.expression, objective.symbolic.symbols, p)) for p in points])
        errors[rewrite] = np.abs(objective.f(points) - exact)
        scale = np.abs(exact)
    assert errors[False].max() >= 1e-18
    second_cancellation = text in ("exp(x)-1-x", "x-log(1+x)")
    allowed = 10 * UNIT_ROUNDOFF * (np.abs(points[:, 0]) if second_cancellation else scale)
    assert (errors[True] <= allowed).all(), (errors, allowed)


# -- the bound -------------------------------------------------------------------------------------


@pytest.mark.parametrize("expression, expected", [
    (X**4, 3.0), (X**12, 11.0), (1 + X**4, 4.0), (sympy.cosh(2 * X) / 4, 4.0), (3 * X**2 / 2, 2.0),
    (safe_rewrite(sympy.log(1 + X**2) + 3 * X**2), 4.0), (safe_rewrite(sympy.sqrt(1 + X**2) - 1), 6.0),
    ((1 - X)**2, 3.0), (sympy.tanh(X**2), 7.0),
    (sympy.log(1 + X**2), None), (sympy.exp(X) - X, None), (X * Y + 1, None), (sympy.exp(X**2), None),
    (sympy.cosh(X) - 1, None), (safe_rewrite(sympy.exp(X) - 1 - X), None),
])
def test_relative_error_bound(expression, expected):
    """K (units of u) where no cancellation is possible; None where it is."""
    assert relative_error_bound(expression) == expected


def test_forward_program_equals_the_tree_form():
    """The printed kernel (forward mode, one temporary per operation) and the whole-tree bound agree."""
    rng = np.random.default_rng(3)
    for name in ("rosenbrock", "poly-two", "poly-eight", "flat-exp", "mexican-hat", "spiral"):
        oracle = functions.get(name).symbolic
        assert oracle.noise_model.kind == "kernel"
        points = 0.6 * rng.uniform(-1, 1, (40, oracle.dimension))
        tree = sympy.lambdify(oracle.symbols, oracle.components("noise")[0], "numpy")
        expected = UNIT_ROUNDOFF * np.broadcast_to(np.asarray(tree(*points.T), dtype=float), (40,))
        if oracle.active_region is not None:
            expected = np.where(oracle._active(points), expected, 0.0)
        np.testing.assert_allclose(oracle.noise(points), expected, rtol=1e-12, err_msg=name)
    statements, result = running_error_program(sympy.log(1 + X**2) + 3 * X**2)
    assert str(result) == "e_4" and len(statements) == 10


def _noise_at(objective, points):
    noise = engine_noise(objective)
    if callable(noise):
        return noise(points)
    return noise * np.abs(objective.f(points))


@pytest.mark.parametrize("text", CANCELLING)
@pytest.mark.parametrize("rewrite", [False, True])
def test_the_bound_holds_against_mpmath(text, rewrite):
    """|computed f - f| <= N at points from 1e-8 to 2, NumPy oracle and compiled kernel."""
    objective = functions.from_expression(text, rewrite=rewrite)
    rng = np.random.default_rng(7)
    n = objective.n
    scales = np.repeat(10.0 ** np.arange(-8, 1), 4)[:, None]
    points = scales * rng.uniform(-2, 2, (scales.size, n))
    points[:, 0] = np.abs(points[:, 0]) if text.startswith("x-log") else points[:, 0]
    exact = np.array([float(_exact(objective.expression, objective.symbolic.symbols, p)) for p in points])
    bound = _noise_at(objective, points)
    error = np.abs(objective.f(points) - exact)
    assert (error <= bound).all(), (text, points[error > bound].ravel(), error[error > bound], bound[error > bound])
    pytest.importorskip("numba")
    from functions.kernels import objective_kernels

    kernels = objective_kernels(objective)
    compiled = np.array([kernels.f(np.ascontiguousarray(p)) for p in points])
    assert (np.abs(compiled - exact) <= bound).all(), text
    if kernels.noise is not None:
        np.testing.assert_allclose([kernels.noise(np.ascontiguousarray(p)) for p in points], bound, rtol=1e-13)


def _ecnoise_at(objective, point):
    """ECnoise on 9 values along the first axis, the step grown until the estimate is accepted."""
    for h in 10.0 ** np.arange(-12, -3):
        line = np.repeat(point[None], 9, axis=0)
        line[:, 0] += (np.arange(9) - 4) * h * max(1.0, abs(point[0]))
        level, inform = ecnoise(objective.f(line))
        if inform == 1:
            return level
    return math.nan


@pytest.mark.parametrize("text", CANCELLING)
def test_the_bound_is_within_a_factor_100_of_the_measured_noise(text):
    """At a generic point, where the rounding errors behave like noise along a line: ECnoise's level
    (a standard deviation) is below the bound, and the bound is less than 100 times it."""
    objective = functions.from_expression(text, rewrite=False)
    point = np.full(objective.n, 0.3)
    level = _ecnoise_at(objective, point)
    bound = _noise_at(objective, point[None])[0]
    assert level <= bound <= 100 * level, (text, level, bound)


def test_ecnoise_recovers_a_known_noise_level():
    rng = np.random.default_rng(0)
    sigma = 1e-8
    values = np.cos(0.5 + 1e-4 * np.arange(9)) + sigma * rng.standard_normal(9)
    level, inform = ecnoise(values)
    assert inform == 1 and sigma / 3 <= level <= 3 * sigma
    assert ecnoise(np.full(9, 2.0))[1] == 2                      # h too small: no differences
    assert ecnoise(np.exp(np.arange(9.0)))[1] == 3               # h too large: values spread over 10%


# -- the rule --------------------------------------------------------------------------------------


def test_rule_compares_the_margin_not_lam_eta_slope():
    """phi(eta) = phi0 - eta s exactly: the margin is (1 - lam) eta s.  With noise just below it the trial is
    accepted, just above it the search stops at NOISE_FLOOR before evaluating -- for lam = 1e-4 and 0.9."""
    for lam in (1e-4, 0.5, 0.9):
        slope, eta, phi0 = 2.0, 0.25, 1.0
        margin = (1 - lam) * eta * slope
        calls = []

        def phi(step, rows):
            calls.append(step.copy())
            return phi0 - step * slope
        for noise, expected, evaluated in ((0.99 * margin, ACCEPTED, 1), (1.01 * margin, NOISE_FLOOR, 0)):
            calls.clear()
            _, _, outcome, _ = backtrack(phi, np.array([phi0]), np.array([slope]), eta, lam=lam, f1=2.0,
                                         precision_floor=np.array([0.0]), min_step=lambda rows: np.zeros(rows.size),
                                         noise=np.array([noise]))
            assert outcome[0] == expected and len(calls) == evaluated, (lam, noise)


def test_rule_stops_at_a_trial_whose_computed_margin_is_within_the_noise():
    """Curvature makes the computed margin small although the first-order margin is large: stop after evaluating."""
    lam, slope, eta, phi0 = 0.5, 1.0, 1.0, 0.0
    value = phi0 - lam * eta * slope - 1e-3           # passes with a margin of 1e-3

    def phi(step, rows):
        return np.full(step.size, value)
    for noise, expected in ((0.9e-3, ACCEPTED), (1.1e-3, NOISE_FLOOR)):
        batch = backtrack(phi, np.array([phi0]), np.array([slope]), eta, lam=lam, f1=2.0,
                          precision_floor=np.array([0.0]), min_step=lambda rows: np.zeros(rows.size),
                          noise=np.array([noise]))
        assert batch[2][0] == expected


def test_noise_argument_is_validated():
    f, grad = (lambda X: np.sum(X**2, axis=1)), (lambda X: 2 * X)
    for bad in (-1.0, math.inf, "1e-16", True):
        with pytest.raises(ValueError, match="noise"):
            minimize(f, grad, [[1.0]], noise=bad)
    for bad in (0.5, math.nan, "64"):
        with pytest.raises(ValueError, match="noise_gate"):
            minimize(f, grad, [[1.0]], noise=lambda X: np.zeros(len(X)), noise_gate=bad)


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_the_noise_gate_changes_no_result(backend):
    """The noise kernel evaluated only where a margin comes within 64 times the last noise evaluated (the
    default gate) gives the same runs as the kernel evaluated at every check (gate = inf): the battery as
    written and the registry's entries with a noise kernel, every Armijo variant."""
    if backend == "compiled":
        pytest.importorskip("numba")
    cases = [(functions.from_expression(text, rewrite=False), [[1.5], [-0.5], [0.3]])
             for text in ("log(1+x**2)+3*x**2", "(x**2+100)**2-199*x**2-10000", "cosh(x)-1", "x**2+exp(y)-1-y")]
    cases[-1] = (cases[-1][0], [[1.2, -0.8], [-0.5, 1.5]])
    cases += [(functions.get("rosenbrock"), [[-1.2, 1.0], [0.5, 0.5]]), (functions.get("poly-five"), [[1.3, -2.1]]),
              (functions.get("mexican-hat"), [[-0.48, 0.14]])]
    kwargs = dict(backend=backend, eps=np.logspace(-2, -10, 9), max_iter=3000)
    for objective, x0 in cases:
        assert objective.symbolic.noise_model.kind == "kernel"
        for algorithm in LINE_SEARCH:
            gated = run_minimize(objective, x0, algorithm, **kwargs)
            every = run_minimize(objective, x0, algorithm, noise_gate=math.inf, **kwargs)
            for name in ("status", "iterations", "f_evals", "backtracks", "eps_hits", "eps_hit_f_evals"):
                assert np.array_equal(getattr(gated, name), getattr(every, name)), (objective.name, algorithm, name)


def test_relative_noise_equals_the_callable_it_stands_for():
    f, grad = (lambda X: 1.0 + np.sum(X**4, axis=1)), (lambda X: 4 * X**3)
    r = 4 * UNIT_ROUNDOFF
    kwargs = dict(eps=np.logspace(-2, -10, 9), max_iter=10**5, eta0=4.0)
    relative = minimize(f, grad, [[0.7], [-1.1]], noise=r, **kwargs)
    explicit = minimize(f, grad, [[0.7], [-1.1]], noise=lambda X: r * np.abs(f(X)), **kwargs)
    assert relative.status.tolist() == ["noise_floor", "noise_floor"]
    for name in ("status", "iterations", "f_evals", "eps_hits"):
        assert np.array_equal(getattr(relative, name), getattr(explicit, name))
    # without a noise model the precision floor stops the same runs later or at the same iteration
    plain = minimize(f, grad, [[0.7], [-1.1]], **kwargs)
    assert plain.status.tolist() == ["precision_floor", "precision_floor"]
    assert (plain.iterations >= relative.iterations).all()


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
@pytest.mark.parametrize("text", ["log(1+x**2)+3*x**2", "(x**2+100)**2-199*x**2-10000"])
def test_the_stop_comes_at_the_floor_within_a_bounded_number_of_iterations(text, backend):
    """Budget 2e8 (the compiled default of `armijo check`): every variant stops at noise_floor within a few
    hundred iterations; for armijo, no later than the first iterate where the first trial's first-order margin
    is within the noise, and not early: there that margin is less than 100 times the noise (a computed margin,
    smaller by the curvature, fell within the noise first)."""
    if backend == "compiled":
        pytest.importorskip("numba")
    objective = functions.from_expression(text, rewrite=False)
    x0 = np.array([[1.5], [-0.5], [0.3]])
    for algorithm in LINE_SEARCH:
        result = run_minimize(objective, x0, algorithm, backend=backend, eps=[1e-12], max_iter=200_000_000,
                              trace=True, trace_per_decade=10**6)
        assert (result.status == "noise_floor").all(), (algorithm, result.status)
        assert (result.iterations < 1000).all(), (algorithm, result.iterations)
        if algorithm == "armijo":
            trace = result.trace
            lam, eta0 = result.params["lam"], result.params["eta0"]
            for b in range(x0.shape[0]):
                rows = np.flatnonzero(np.isfinite(trace.grad_norm[:, b]))
                noise = _noise_at(objective, trace.x[rows, b])
                ratio = (1 - lam) * eta0 * trace.grad_norm[rows, b] ** 2 / (2 * noise)
                assert trace.iteration[rows][-1] == result.iterations[b]
                assert (ratio[:-1] > 1).all() and ratio[-1] <= 100, ratio


def test_noise_kernel_is_not_evaluated_where_no_cancellation_is_possible():
    """x^4: no kernel, the relative bound 3 u |f| (one multiplication per iteration)."""
    objective = functions.get("monomial", p=2)
    assert objective.symbolic.noise_model.kind == "relative" and engine_noise(objective) == 3 * UNIT_ROUNDOFF
    pytest.importorskip("numba")
    from functions.kernels import objective_kernels

    kernels = objective_kernels(objective)
    assert kernels.noise is None and kernels.noise_relative == 3 * UNIT_ROUNDOFF
    assert noise_expression(X**4) == 3 * X**4


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_polyak_gap_within_the_noise_stops_at_noise_floor(backend):
    """Polyak's step is (f(x_k) - target)/||g||^2: a gap within 2 N(x_k) is rounding.  With f* = 0 on a function
    whose terms cancel to a value below 0 (exp-log-sin: f* < 0), the gap crosses the noise on its way to a
    sign decided by rounding: both backends stop there with noise_floor, at the same iteration, the gap at the
    stop within 2 N and the gap one iteration earlier above it; without a noise model the run goes on to a
    rounding-decided stop.  Two starts stopping for different reasons at one iteration are both named."""
    if backend == "compiled":
        pytest.importorskip("numba")
    objective = functions.from_expression("exp(x)*sin(y) + log(1 + x**2) + y**2/10 + x**2")
    x0 = np.array([[0.5, 0.5], [-1.0, 2.0], [1.5, -0.3]])
    kwargs = dict(eps=np.logspace(-1, -6, 11), max_iter=20_000, f_star=0.0, trace=True, trace_per_decade=10**6)
    result = run_minimize(objective, x0, "polyak", backend=backend, **kwargs)
    assert result.status.tolist() == ["noise_floor", "step_underflow", "noise_floor"]
    noise = engine_noise(objective)
    for b in (0, 2):
        k = result.iterations[b]
        gaps = result.trace.f[:k + 1, b]
        bounds = 2 * noise(result.trace.x[:k + 1, b])
        assert abs(gaps[k]) <= bounds[k] and (np.abs(gaps[:k]) > bounds[:k]).all(), (gaps, bounds)
    # the reference without a noise model: statuses from the sign of a rounded gap
    plain = minimize(objective.f, objective.grad, x0, "polyak", **kwargs)
    assert (plain.iterations >= result.iterations).all() and "noise_floor" not in plain.status.tolist()
