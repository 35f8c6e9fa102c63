"""Tests of the theorem modules T1-T4 against a small reference Armijo implementation.

The reference implementation below is written from SCIENCE.md section 2 (it is not the
engine): it lets the bounds be checked without importing ``armijo/``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import sympy as sp

from theory import t1_lsmooth, t2_l0l1, t3_lojasiewicz, t4_oracle
from theory._common import VARIANTS, backtracking_factor, bisection_rounds
from theory.theorems import THEOREMS, theorems_for

EPS_GRID = np.logspace(0, -6, 25)
STARTS = np.array([-4.3, -1.7, -0.35, 0.62, 2.9])
PARAMETERS = [  # (eta0, lam, f1, f2): reference defaults, textbook, small increase factor
    (0.1, 0.5, 2.0, 1e4),
    (1.0, 1e-4, 2.0, 1e4),
    (1.0, 0.3, 3.0, 4.0),
]
MAX_ITER = 20000
RELATIVE_SLACK = 1e-12
"""Measured counts may exceed a bound only by rounding of the bound itself."""


# ----------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class Run:
    eps_hits: np.ndarray
    eps_hit_f_evals: np.ndarray
    steps: np.ndarray
    backtracks: np.ndarray
    grad_norms: np.ndarray
    f_evals: int


def armijo_run(f, grad, x0, variant, *, eta0, lam, f1, f2, eps=EPS_GRID, max_iter=MAX_ITER):
    """Reference Armijo-like method of SCIENCE.md section 2 on a scalar function."""
    x, fx, f_evals = float(x0), f(x0), 1
    hits = np.full(eps.size, -1)
    hit_f_evals = np.full(eps.size, -1)
    steps, backtracks, grad_norms = [], [], []
    previous = None
    rounds = bisection_rounds(f1, f2) if variant == "armijo-dichotomy" else 0
    for k in range(max_iter + 1):
        g = grad(x)
        norm = abs(g)
        grad_norms.append(norm)
        new = (hits < 0) & (norm <= eps)
        hits[new], hit_f_evals[new] = k, f_evals
        if norm <= eps[-1] or k == max_iter:
            break
        normalized = variant == "armijo-normalized"
        direction = g / norm if normalized else g
        slope = lam * (norm if normalized else norm**2)
        if k == 0 or variant == "armijo":
            trial = eta0
        elif variant == "armijo-memory":
            trial = previous
        else:
            trial = f2 * previous

        def accepted(step):
            nonlocal f_evals
            f_evals += 1
            value = f(x - step * direction)
            return value <= fx - step * slope, value

        ok, value = accepted(trial)
        rejected = 0
        while not ok:
            trial /= f1
            rejected += 1
            assert trial > 1e-300
            ok, value = accepted(trial)
        if rejected and rounds:
            low, high, low_value = trial, trial * f1, value
            for _ in range(rounds):
                middle = math.sqrt(low * high)
                ok, middle_value = accepted(middle)
                if ok:
                    low, low_value = middle, middle_value
                else:
                    high = middle
            trial, value = low, low_value
        x, fx, previous = x - trial * direction, value, trial
        steps.append(trial)
        backtracks.append(rejected)
    return Run(hits, hit_f_evals, np.array(steps), np.array(backtracks),
               np.array(grad_norms), f_evals)


def cosh_minus_one(x):
    """``cosh(x) - 1 = 2 sinh(x/2)^2`` without cancellation (``f_* = 0``: no precision
    floor), ``+inf`` on overflow so that a huge trial step is simply rejected."""
    try:
        return 2.0 * math.sinh(x / 2.0) ** 2
    except OverflowError:
        return math.inf


def logcosh(x):
    """``log cosh x``, accurate near 0 (``log1p(cosh x - 1)``) and for large ``|x|``."""
    if abs(x) > 20:
        return abs(x) - math.log(2.0) + math.log1p(math.exp(-2.0 * abs(x)))
    return math.log1p(cosh_minus_one(x))


# test functions: (f, grad, hess, inf f)
LOGCOSH = (logcosh, math.tanh, lambda x: 1 / math.cosh(min(abs(x), 700)) ** 2, 0.0)
COSH = (cosh_minus_one, math.sinh, lambda x: math.cosh(min(abs(x), 700)), 0.0)
QUARTIC = (lambda x: x**4, lambda x: 4 * x**3, lambda x: 12 * x**2, 0.0)
QUARTIC_L0L1 = (16.0 / 9.0, 3.0)
"""12 x^2 <= L0 + 3 * 4|x|^3 needs L0 >= max(12 x^2 - 12 |x|^3) = 16/9 at |x| = 2/3."""


def assert_hits_below(eps_hits, bound, max_iter=MAX_ITER):
    """``N(eps) <= bound``; a threshold never hit within ``max_iter`` iterations has
    ``N(eps) > max_iter`` and must have a bound above ``max_iter`` (slow runs exist: with
    ``lam = 1e-4`` dichotomy finds steps near ``2/L`` and oscillates on cosh)."""
    eps_hits, bound = np.asarray(eps_hits), np.asarray(bound, float)
    assert_below(eps_hits[eps_hits >= 0], bound[eps_hits >= 0])
    assert np.all(bound[eps_hits < 0] >= max_iter + 1)


def assert_below(measured, bound):
    measured, bound = np.asarray(measured, float), np.asarray(bound, float)
    assert np.all(measured <= bound * (1 + RELATIVE_SLACK)), (measured, bound)


# ----------------------------------------------------------------------------- lemmas


def test_descent_lemma_constant_is_e_minus_2_at_one_and_half_at_zero():
    assert t2_l0l1.descent_lemma_constant(1.0) == pytest.approx(math.e - 2, rel=1e-12)
    assert t2_l0l1.descent_lemma_constant(0.0) == pytest.approx(0.5)
    values = t2_l0l1.descent_lemma_constant(np.linspace(1e-3, 1, 200))
    assert np.all(np.diff(values) > 0) and values[-1] <= math.e - 2 + 1e-12


def test_l0l1_descent_lemma_holds_on_cosh():
    rng = np.random.default_rng(0)
    x = rng.uniform(-6, 6, 2000)
    y = x + rng.uniform(-1, 1, 2000)  # L1 |y - x| <= 1 with L1 = 1
    bound = np.cosh(x) + np.sinh(x) * (y - x) + (math.e - 2) * (1 + np.abs(np.sinh(x))) * (
        y - x) ** 2
    assert np.all(np.cosh(y) <= bound * (1 + 1e-14))


@pytest.mark.parametrize("normalized", [False, True])
@pytest.mark.parametrize("lam", [1e-4, 0.5, 0.9])
def test_every_step_below_threshold_passes_armijo_on_cosh(normalized, lam):
    for x in np.linspace(-6, 6, 41):
        g = math.sinh(x)
        if g == 0:
            continue
        threshold = t2_l0l1.step_threshold(abs(g), L0=1.0, L1=1.0, lam=lam,
                                           normalized=normalized)
        direction = g / abs(g) if normalized else g
        decrease = lam * (abs(g) if normalized else g * g)
        for eta in threshold * np.linspace(1e-3, 1, 30):
            assert math.cosh(x - eta * direction) <= math.cosh(x) - eta * decrease + 1e-15 * (
                math.cosh(x))


def test_lsmooth_threshold_is_exact_on_a_quadratic():
    lam, L = 0.3, 4.0
    threshold = t1_lsmooth.step_threshold(L=L, lam=lam)
    x, g = 1.0, L * 1.0
    f = lambda z: L * z * z / 2  # noqa: E731
    assert f(x - threshold * 0.999 * g) <= f(x) - lam * threshold * 0.999 * g * g
    assert f(x - threshold * 1.001 * g) > f(x) - lam * threshold * 1.001 * g * g


def test_dichotomy_backtracking_factor_and_accepted_steps_on_a_quadratic():
    assert bisection_rounds(2.0, 1e4) == 13
    assert bisection_rounds(2.0, 4.0) == 2
    phi = backtracking_factor("armijo-dichotomy", 2.0, 1e4)
    assert phi == pytest.approx(2.0 ** (2.0**-13))
    L, lam = 3.0, 0.3
    threshold = t1_lsmooth.step_threshold(L=L, lam=lam)  # exact acceptance boundary
    run = armijo_run(lambda z: L * z * z / 2, lambda z: L * z, 2.0, "armijo-dichotomy",
                     eta0=10.0, lam=lam, f1=2.0, f2=1e4, eps=np.array([1e-12]),
                     max_iter=50)
    backtracked = run.steps[run.backtracks > 0]
    assert backtracked.size > 10
    assert np.all(backtracked > threshold / phi) and np.all(backtracked <= threshold)


# ----------------------------------------------------------------------------- T1


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("eta0, lam, f1, f2", PARAMETERS)
def test_t1_bound_holds_on_logcosh(variant, eta0, lam, f1, f2):
    f, grad, _, inf_f = LOGCOSH
    for x0 in STARTS:
        run = armijo_run(f, grad, x0, variant, eta0=eta0, lam=lam, f1=f1, f2=f2)
        bound = t1_lsmooth.iteration_bound(EPS_GRID, delta=f(x0) - inf_f, L=1.0, lam=lam,
                                           f1=f1, eta0=eta0, variant=variant, f2=f2)
        assert_hits_below(run.eps_hits, bound)
        if variant != "armijo-normalized":
            step_floor = t1_lsmooth.min_accepted_step(L=1.0, lam=lam, f1=f1, eta0=eta0,
                                                      variant=variant, f2=f2)
            assert np.all(run.steps >= step_floor * (1 - 1e-12))


# ----------------------------------------------------------------------------- T2


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("eta0, lam, f1, f2", PARAMETERS)
@pytest.mark.parametrize("function, constants, eps_min",
                         [(COSH, (1.0, 1.0), 1e-6), (QUARTIC, QUARTIC_L0L1, 1e-3)],
                         ids=["cosh", "x^4"])
def test_t2_bound_holds(variant, eta0, lam, f1, f2, function, constants, eps_min):
    f, grad, _, inf_f = function
    L0, L1 = constants
    eps = EPS_GRID[EPS_GRID >= eps_min]
    for x0 in STARTS:
        run = armijo_run(f, grad, x0, variant, eta0=eta0, lam=lam, f1=f1, f2=f2, eps=eps)
        bound = t2_l0l1.iteration_bound(eps, delta=f(x0) - inf_f, L0=L0, L1=L1, lam=lam,
                                        f1=f1, eta0=eta0, variant=variant,
                                        grad_norm_max=run.grad_norms.max(), f2=f2)
        assert_hits_below(run.eps_hits, bound)


def test_t2_armijo_bound_matches_brief_formula():
    eps, delta, L0, L1, lam, f1, eta0 = 1e-2, 3.0, 2.0, 5.0, 0.5, 2.0, 0.1
    brief = delta / lam * max(1 / (eta0 * eps**2),
                              f1 * (math.e - 2) * (L0 + L1 * eps) / ((1 - lam) * eps**2),
                              f1 * L1 / eps)
    assert t2_l0l1.iteration_bound(eps, delta=delta, L0=L0, L1=L1, lam=lam, f1=f1,
                                   eta0=eta0) == pytest.approx(brief)
    a, b = t2_l0l1.two_regime_coefficients(delta=delta, L0=L0, L1=L1, lam=lam, f1=f1,
                                           eta0=eta0)
    grid = np.logspace(2, -8, 50)
    assert_below(t2_l0l1.iteration_bound(grid, delta=delta, L0=L0, L1=L1, lam=lam, f1=f1,
                                         eta0=eta0), a / grid**2 + b / grid)


def test_t2_increase_equals_armijo_bound_when_f2_is_large():
    common = dict(delta=1.0, L0=1.0, L1=1.0, lam=0.5, f1=2.0, eta0=0.1)
    eps = np.logspace(0, -6, 7)
    increase = t2_l0l1.iteration_bound(eps, variant="armijo-increase", grad_norm_max=50.0,
                                       f2=1e4, **common)
    assert np.allclose(increase, t2_l0l1.iteration_bound(eps, **common))
    # a huge gradient and a small f2: bad iterations appear, the bound grows
    bad = t2_l0l1.bad_iterations_per_anchor(eps, L0=1.0, L1=1.0, lam=0.5, f1=2.0, eta0=0.1,
                                            f2=1.5, grad_norm_max=1e6)
    assert np.all(bad >= 1)
    memory = t2_l0l1.iteration_bound(eps, variant="armijo-memory", grad_norm_max=1e6,
                                     **common)
    assert np.all(memory > t2_l0l1.iteration_bound(eps, **common))


def test_t2_needs_its_constants():
    common = dict(delta=1.0, L0=1.0, L1=1.0, lam=0.5, f1=2.0, eta0=0.1)
    with pytest.raises(ValueError):
        t2_l0l1.iteration_bound(0.1, variant="armijo-memory", **common)
    with pytest.raises(ValueError):
        t2_l0l1.iteration_bound(0.1, variant="armijo-increase", grad_norm_max=1.0, **common)
    with pytest.raises(ValueError):
        t2_l0l1.iteration_bound(0.1, delta=1.0, L0=1.0, L1=1.0, lam=1.0, f1=2.0, eta0=0.1)
    with pytest.raises(ValueError):
        t1_lsmooth.iteration_bound(0.1, delta=1.0, L=1.0, lam=0.5, f1=1.0, eta0=0.1)
    with pytest.raises(ValueError):
        t2_l0l1.iteration_bound(0.1, variant="armijo-bogus", **common)


# ----------------------------------------------------------------------------- T3


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("eta0, lam, f1, f2", PARAMETERS)
def test_t3_bound_holds_on_quartic(variant, eta0, lam, f1, f2):
    """x^4: |f|^(3/4) = |x|^3 = ||g||/4, so theta = 3/4, C = 1/4 globally, K = 0."""
    f, grad, _, _ = QUARTIC
    L0, L1 = QUARTIC_L0L1
    eps = EPS_GRID[EPS_GRID >= 1e-3]
    for x0 in STARTS:
        run = armijo_run(f, grad, x0, variant, eta0=eta0, lam=lam, f1=f1, f2=f2, eps=eps)
        normalized = variant == "armijo-normalized"
        # etabar decreases with ||g|| (worst case: the largest gradient); etabar_N increases
        # (worst case before N(eps): eps itself)
        reference = eps if normalized else run.grad_norms.max()
        eta_min = t2_l0l1.min_accepted_step(reference, L0=L0, L1=L1, lam=lam, f1=f1,
                                            eta0=eta0, variant=variant, f2=f2)
        bound = t3_lojasiewicz.iteration_bound(eps, K=0, gap_K=f(x0), C=0.25, theta=0.75,
                                               lam=lam, eta_min=eta_min, variant=variant)
        assert_hits_below(run.eps_hits, bound)
        # finite length: lam sum eta_k ||g_k|| <= phi(gap_0) (normalized: lam sum eta_k)
        path = run.steps if normalized else run.steps * run.grad_norms[:-1]
        assert_below(path.sum(), t3_lojasiewicz.finite_length_bound(
            gap_K=f(x0), C=0.25, theta=0.75, lam=lam))


# ----------------------------------------------------------------------------- T4


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("eta0, lam, f1, f2", PARAMETERS)
def test_t4_counts(variant, eta0, lam, f1, f2):
    f, grad, _, _ = COSH
    for x0 in STARTS:
        run = armijo_run(f, grad, x0, variant, eta0=eta0, lam=lam, f1=f1, f2=f2)
        n = run.steps.size
        growth = {"armijo-memory": 1.0, "armijo-increase": f2, "armijo-normalized": f2}
        if variant in growth:  # the telescoping identity is exact
            assert run.backtracks.sum() == pytest.approx(t4_oracle.telescoped_backtracks(
                n, run.steps[-1], eta0=eta0, f1=f1, f2=growth[variant]), abs=1e-6)
        G = run.grad_norms.max()
        normalized = variant == "armijo-normalized"
        reference = run.grad_norms[:-1].min() if normalized else G
        eta_min = t2_l0l1.min_accepted_step(reference, L0=1.0, L1=1.0, lam=lam, f1=f1,
                                            eta0=eta0, variant=variant, f2=f2)
        threshold = t2_l0l1.step_threshold(G, L0=1.0, L1=1.0, lam=lam)
        bound = t4_oracle.f_evals_bound(n, variant=variant, eta0=eta0, f1=f1, f2=f2,
                                        eta_min=eta_min, step_threshold=threshold)
        assert run.f_evals <= bound
        hit = run.eps_hits >= 0
        assert_below(run.eps_hit_f_evals[hit], t4_oracle.f_evals_bound(
            run.eps_hits[hit], variant=variant, eta0=eta0, f1=f1, f2=f2, eta_min=eta_min,
            step_threshold=threshold))
        if variant == "armijo":
            assert run.backtracks.max() <= t4_oracle.max_backtracks_per_iteration(
                eta0=eta0, f1=f1, step_threshold=threshold)


def test_t4_mean_evaluations_with_reference_defaults():
    assert t4_oracle.mean_f_evals_per_iteration(f1=2.0, f2=1e4) == pytest.approx(
        1 + math.log2(1e4))
    f, grad, _, _ = LOGCOSH  # steps settle near the minimum: the mean is reached
    run = armijo_run(f, grad, 1.3, "armijo-increase", eta0=0.1, lam=0.5, f1=2.0, f2=1e4,
                     eps=np.array([1e-300]), max_iter=200)
    per_iteration = (run.f_evals - 1) / run.steps.size
    assert abs(per_iteration - (1 + math.log2(1e4))) < 0.5


# ----------------------------------------------------------------------------- registry


def test_registry_modules_expose_the_interface():
    assert set(THEOREMS) == {"T1", "T2", "T3", "T4"}
    for module in THEOREMS.values():
        assert module.HYPOTHESES and set(module.APPLIES_TO) <= set(VARIANTS)
        for variant in module.APPLIES_TO:
            assert isinstance(module.sympy_form(variant), sp.Expr)
        assert module.__doc__ and "References" in module.__doc__
    assert set(theorems_for("armijo")) == {"T1", "T2", "T3", "T4"}
    assert theorems_for("adam") == {}


def test_every_algorithm_is_covered_or_says_why_not():
    """Each engine algorithm is covered by a theorem or listed, with its reason, as not covered (never both)."""
    from armijo import ALGORITHMS
    from theory.theorems import NOT_COVERED, coverage

    for name in ALGORITHMS:
        covered = bool(theorems_for(name))
        assert covered != (name in NOT_COVERED), name
        text = coverage(name)
        assert (text.startswith("T1") if covered else name in text and NOT_COVERED[name] in text), name
    assert set(NOT_COVERED) <= set(ALGORITHMS)
    for rival in ("polyak", "polyak-level", "adgd", "l0l1-gd", "normalized-gd-decay"):
        assert rival in NOT_COVERED


@pytest.mark.parametrize("variant", ["armijo", "armijo-normalized"])
def test_sympy_forms_agree_with_numbers(variant):
    values = dict(Delta=2.0, lam=0.4, f1=2.0, eta0=0.3, L0=1.5, L1=0.7, eps=1e-2, L=3.0)
    symbols = {s.name: s for s in t2_l0l1.sympy_form(variant).free_symbols}
    t2_value = float(t2_l0l1.sympy_form(variant).subs({
        symbols["Delta"]: values["Delta"], symbols["lambda"]: values["lam"],
        symbols["f_1"]: values["f1"], symbols["eta_0"]: values["eta0"],
        symbols["L_0"]: values["L0"], symbols["L_1"]: values["L1"],
        symbols["epsilon"]: values["eps"]}))
    assert t2_value == pytest.approx(t2_l0l1.iteration_bound(
        values["eps"], delta=values["Delta"], L0=values["L0"], L1=values["L1"],
        lam=values["lam"], f1=values["f1"], eta0=values["eta0"], variant=variant))
    t1_expr = t1_lsmooth.sympy_form(variant)
    symbols = {s.name: s for s in t1_expr.free_symbols}
    t1_value = float(t1_expr.subs({
        symbols["Delta"]: values["Delta"], symbols["lambda"]: values["lam"],
        symbols["f_1"]: values["f1"], symbols["eta_0"]: values["eta0"],
        symbols["L"]: values["L"], symbols["epsilon"]: values["eps"]}))
    assert t1_value == pytest.approx(t1_lsmooth.iteration_bound(
        values["eps"], delta=values["Delta"], L=values["L"], lam=values["lam"],
        f1=values["f1"], eta0=values["eta0"], variant=variant))
    t3_expr = t3_lojasiewicz.sympy_form("armijo")
    symbols = {s.name: s for s in t3_expr.free_symbols}
    t3_value = float(t3_expr.subs({symbols["K"]: 3, symbols["gap_K"]: 0.5, symbols["C"]: 2.0,
                                   symbols["theta"]: 0.75, symbols["lambda"]: 0.5,
                                   symbols["eta_min"]: 0.1, symbols["epsilon"]: 1e-3}))
    assert t3_value == pytest.approx(t3_lojasiewicz.iteration_bound(
        1e-3, K=3, gap_K=0.5, C=2.0, theta=0.75, lam=0.5, eta_min=0.1))


def test_bounds_are_vectorised_over_eps():
    eps = np.logspace(0, -4, 5)
    bound = t1_lsmooth.iteration_bound(eps, delta=1.0, L=1.0, lam=0.5, f1=2.0, eta0=1.0)
    assert bound.shape == eps.shape and np.all(np.diff(bound) > 0)
    assert isinstance(t1_lsmooth.iteration_bound(0.1, delta=1.0, L=1.0, lam=0.5, f1=2.0,
                                                 eta0=1.0), float)
