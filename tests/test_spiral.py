"""Tests of the spiral valley (issue 16): the registry entry ``spiral`` (functions/spiral.py), the
derivation of its rate (theory/spiral.py), the measurement helpers (experiments/spiral_rates.py) and the
suite's fitter on the derivation's counts (the measured exponents: tests/test_necessity.py).

Every tolerance is named; what each pins is said next to it.
"""

import math

import numpy as np
import pytest
import sympy

import armijo
import functions
from experiments import spiral_rates
from armijo.thresholds import eps_grid
from functions import spiral as spiral_function
from theory import spiral as spiral_theory
from theory.fit import fit_rate

BETAS = (0.0, 0.2, 0.3, 0.4)

HESSIAN_BOUND_SLACK = 0.02
"""The declared L is at most 2% above the largest sampled Hessian norm (it is a bound, and tight)."""

EXIT_BOUND_SLACK = 0.05
"""Same for the bound behind ``exit_step`` (max of ||grad f|| / (1 - r))."""

ROUNDING_RTOL = 1e-9
"""f from the registry oracle against the polar formula at c <= 30: the round trip c -> (x, y) -> c
rounds c by about c^2 u, which moves the phase phi(c) by kappa e^(beta c) c^2 u (2e-11 rad at
c = 30, beta = 0.3), a relative 1e-10 in f where the phase is small (observed 1.4e-10)."""

MANIFOLD_RTOL = 1e-9
"""The gradient norm of f at the slow manifold's point equals the model's formula (exact algebra)."""

GRADIENT_RTOL = 1e-3
"""Along armijo's iterates, after the phase relaxed, ||g_k|| / model(c_k) - 1 (measured: below 1e-4)."""

PHASE_ATOL = 1e-4
"""Phase of the iterates minus the slow manifold's phase, radians, after relaxation (measured: 1e-5)."""

DRIFT_RTOL = {5.0: 0.03, 8.0: 0.01, 12.0: 0.002}
"""Discrete drift of c per iteration over eta0 * dc/dt of the model, by start c (measured 0.98 at
c = 5 for beta = 0.4, 0.997 at 8, 0.9994 at 12: discrete-step corrections of order 1/Lambda^2)."""

LEADING_ORDER = 0.5
"""Coefficient allowed for the O(1/Lambda^2) departure from the leading-order formulas (1/4 to first order)."""

SECOND_ORDER = 2.0
"""Coefficient allowed for the O(1/c^2) rest of N(eps) / (C eps^-p) - 1 - (p/2 - 1)/c."""

THIRD_ORDER = 4.0
"""Coefficient allowed for the O(1/c^3) rest of the local exponent (measured: 1.1 to 3.1)."""

DECREASE_NOISE = 0.15
"""Relative rounding of the computed decrease where the exact one is 160 ulps of f (measured 0.13)."""

RELAXATION_ITERATIONS = 1000
"""Iterations allowed for the phase to relax onto the slow manifold before comparing."""


def _polar(X, beta):
    c = 1.0 / (1.0 - np.sum(X**2, axis=-1))
    angle = np.arctan2(X[..., 1], X[..., 0])
    phase = np.angle(np.exp(2j * (angle - spiral_function.winding(c, beta)))) / 2.0  # modulo pi (two valleys)
    return c, phase


def _grid_points(beta, c_values, phases):
    c, psi = np.meshgrid(c_values, phases, indexing="ij")
    return spiral_function.valley_point(c.ravel(), beta, psi.ravel())


# ----------------------------------------------------------------------------- the entry


def test_registry_entry_and_tags():
    objective = functions.get("spiral")
    assert objective.params == {"beta": 0.4}
    assert objective.analytic is False and "Piecewise" in objective.analytic_reason
    assert objective.l_smooth and objective.l0l1_smooth and objective.bounded_iterates
    assert objective.f_star == 0.0 and objective.minimizers == ()
    assert objective.constants["L"] == spiral_function.hessian_bound(0.4)
    assert (objective.constants["L0"], objective.constants["L1"]) == (objective.constants["L"], 0.0)
    assert objective.smoothness.startswith("C^2 on the plane, not C^3")
    assert functions.get("spiral", beta=0.0).smoothness.startswith("C-infinity")
    for bad in (0.5, 0.7, -0.1):
        with pytest.raises(ValueError):
            functions.get("spiral", beta=bad)


def test_expression_matches_the_polar_formula_and_vanishes_outside():
    beta = 0.3
    objective = functions.get("spiral", beta=beta)
    rng = np.random.default_rng(0)
    c = rng.uniform(1.01, 30.0, 40)
    psi = rng.uniform(-np.pi, np.pi, 40)
    X = spiral_function.valley_point(c, beta, psi)
    r = np.sqrt(1.0 - 1.0 / c)
    expected = np.exp(-c) * (spiral_function.FLOOR + (r * np.sin(psi)) ** 2)
    np.testing.assert_allclose(objective.f(X), expected, rtol=ROUNDING_RTOL)
    assert np.all(objective.f(X) > 0)
    outside = np.array([[1.0, 0.0], [0.6, -0.8], [2.0, 1.0], [0.0, 1.0 - 1e-4]])
    assert np.all(objective.f(outside) == 0) and np.all(objective.grad(outside) == 0)
    assert np.all(np.isfinite(objective.hess(outside)))


def test_oracles_are_finite_up_to_the_cutoff_for_beta_near_one_half():
    objective = functions.get("spiral", beta=0.49)
    c = np.array([100.0, 300.0, spiral_function.CUTOFF - 1.0])
    X = spiral_function.valley_point(c, 0.49, 0.3)
    for oracle in (objective.f, objective.grad, objective.hess):
        assert np.all(np.isfinite(oracle(X)))


@pytest.mark.parametrize("beta", (0.0, 0.2, 0.4))
def test_gradient_and_hessian_match_central_differences(beta):
    objective = functions.get("spiral", beta=beta)
    X = objective.sample_starts(np.random.default_rng(3), 6)
    step = 1e-6
    for j in range(2):
        forward, backward = X.copy(), X.copy()
        forward[:, j] += step
        backward[:, j] -= step
        np.testing.assert_allclose(objective.grad(X)[:, j], (objective.f(forward) - objective.f(backward)) / (2 * step),
                                   rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(objective.hess(X)[:, :, j], (objective.grad(forward) - objective.grad(backward)) / (2 * step),
                                   rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("beta", (0.0, 0.2, 0.4, 0.49))
def test_hessian_bound_is_a_tight_bound(beta):
    """L-smoothness: the largest Hessian norm sampled densely over the disc stays below the declared
    L, and within HESSIAN_BOUND_SLACK of it."""
    objective = functions.get("spiral", beta=beta)
    c_values = np.concatenate([np.linspace(1.0005, 12.0, 700),
                               np.geomspace(12.0, min(40.0 / (1 - 2 * beta), spiral_function.CUTOFF - 1), 300)])
    X = _grid_points(beta, c_values, np.linspace(0.0, np.pi, 96, endpoint=False))
    sampled = np.abs(np.linalg.eigvalsh(objective.hess(X))).max()
    declared = objective.constants["L"]
    assert sampled <= declared <= (1.0 + HESSIAN_BOUND_SLACK) * sampled
    assert spiral_theory.first_trial_always_accepted(beta)  # 0.1 <= 2 (1 - 0.5) / L


@pytest.mark.parametrize("beta", (0.0, 0.4))
def test_exit_step_bounds_gradient_over_distance_to_the_circle(beta):
    """Bounded iterates: ||grad f(x)|| / (1 - r) <= 1/exit_step on the disc, so a step eta ||grad f||
    with eta <= exit_step never reaches the circle; outside the disc grad f = 0."""
    objective = functions.get("spiral", beta=beta)
    c_values = np.concatenate([np.linspace(1.0005, 12.0, 700), np.geomspace(12.0, 200.0, 200)])
    X = _grid_points(beta, c_values, np.linspace(0.0, np.pi, 96, endpoint=False))
    ratio = np.linalg.norm(objective.grad(X), axis=1) / (1.0 - np.linalg.norm(X, axis=1))
    bound = 1.0 / spiral_function.exit_step(beta)
    assert ratio.max() <= bound <= (1.0 + EXIT_BOUND_SLACK) * ratio.max()
    assert spiral_function.exit_step(beta) > spiral_rates.ARMIJO["eta0"]


def test_valley_starts_fold_the_registry_starts_onto_one_valley():
    """experiments.spiral_rates.valley_starts: the registry's starts, those on the second valley mapped
    by x -> -x onto the first (f is even: same values); all then lie near the floor of the first."""
    beta = 0.4
    objective = functions.get("spiral", beta=beta)
    drawn = objective.sample_starts(np.random.default_rng(3), 16)
    folded = spiral_rates.valley_starts("spiral", {"beta": beta}, np.random.default_rng(3), 16)
    flipped = np.all(folded == -drawn, axis=1)
    assert np.all(flipped | np.all(folded == drawn, axis=1)) and 0 < flipped.sum() < 16
    np.testing.assert_allclose(objective.f(folded), objective.f(drawn), rtol=1e-12)
    c = spiral_rates.start_c(folded)
    phase = np.arctan2(folded[:, 1], folded[:, 0]) - spiral_function.winding(c, beta)
    width = spiral_function.START_PHASE_FRACTION * spiral_function.winding_rate(c, beta)
    assert np.all(np.abs(np.angle(np.exp(1j * phase))) <= width * (1 + 1e-9))


def test_critical_points_and_their_kinds():
    objective = functions.get("spiral", beta=0.4)
    points = np.array([p.x for p in objective.critical_points])
    np.testing.assert_allclose(objective.grad(points), 0.0, atol=1e-12)
    np.testing.assert_allclose(objective.f(points), [p.value for p in objective.critical_points], rtol=1e-12)
    for point, hessian in zip(objective.critical_points, objective.hess(points)):
        eigenvalues = np.linalg.eigvalsh(hessian)
        expected = "maximum" if eigenvalues.max() < 0 else "minimum" if eigenvalues.min() > 0 else "saddle"
        assert point.kind == expected
    # no other critical point: d_theta f = 0 forces sin(2 psi) = 0; on the valleys (psi = 0) the
    # radial derivative is -nu c' e^-c < 0, on the crests (psi = pi/2) it changes sign once, at c_m
    c = np.linspace(1.0 + 1e-6, 60.0, 200_000)
    a0, _, a2 = spiral_function.harmonic_values(spiral_function.polar_harmonics()["gr"], c, 0.4)
    assert np.all(a0 + a2 < 0)
    crest = a0 - a2
    changes = np.flatnonzero(np.diff(np.sign(crest)))
    assert changes.size == 1 and c[changes[0]] == pytest.approx(spiral_function.crest_maximum_c(), abs=1e-3)


@pytest.mark.parametrize(("beta", "continuous", "unbounded"), [(0.4, 2, 3), (0.3, 3, 4), (0.25, 3, 4)])
def test_smoothness_order_at_the_circle(beta, continuous, unbounded):
    """C^k exactly for k < 1/beta: the k-th radial derivative tends to 0 at the circle for k < 1/beta
    and is unbounded for k >= 1/beta (its sup over the phase is at least sqrt(a1^2 + a2^2) - |a0|)."""
    assert spiral_theory.smoothness_order(beta) == continuous

    def sup_bounds(order, c):
        a0, a1, a2 = spiral_function.harmonic_values(spiral_function.radial_derivative_harmonics(order), c, beta)
        return np.abs(a0) + np.hypot(a1, a2), np.hypot(a1, a2) - np.abs(a0)

    upper, _ = sup_bounds(continuous, np.array([200.0, 400.0, 600.0]))
    assert np.all(np.diff(upper) < 0) and upper[-1] < 1e-6
    _, lower = sup_bounds(unbounded, np.array([50.0, 100.0, 200.0]))
    assert np.all(np.diff(lower) > 0) and lower[0] > 1e3
    assert spiral_theory.smoothness_order(0.0) == math.inf


def test_c_infinity_member_has_decaying_derivatives():
    c = np.array([50.0, 100.0, 200.0])
    for order in (2, 3, 4):
        a0, a1, a2 = spiral_function.harmonic_values(spiral_function.radial_derivative_harmonics(order), c, 0.0)
        upper = np.abs(a0) + np.hypot(a1, a2)
        assert np.all(np.diff(upper) < 0) and upper[-1] < 1e-20


# ----------------------------------------------------------------------------- the derivation


@pytest.mark.parametrize("beta", BETAS)
def test_slow_manifold_gradient_is_the_gradient_of_f(beta):
    """On the slow manifold the model's ||grad f|| = D / sqrt(1 + r^2 Omega^2) is exactly the norm of
    the registry function's gradient at (c, psi*(c)): the algebra of the derivation."""
    objective = functions.get("spiral", beta=beta)
    model = spiral_theory.spiral_valley(beta)
    c = np.array([5.0, 7.0, 10.0, 14.0])
    X = spiral_function.valley_point(c, beta, model.phase(c))
    np.testing.assert_allclose(np.linalg.norm(objective.grad(X), axis=1), model.gradient_norm(c), rtol=MANIFOLD_RTOL)


def test_mexican_hat_model_matches_the_registry_function():
    objective = functions.get("mexican-hat")
    model = spiral_theory.mexican_hat_valley()
    c = np.array([2.0, 3.0, 5.0, 8.0])
    angle = c + model.phase(c)
    r = np.sqrt(1.0 - 1.0 / c)
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    np.testing.assert_allclose(np.linalg.norm(objective.grad(X), axis=1), model.gradient_norm(c), rtol=MANIFOLD_RTOL)


@pytest.mark.parametrize("beta", BETAS)
def test_leading_order_and_asymptotic_constant(beta):
    """(A) and (B) of theory.spiral: the exact model approaches the leading-order formulas, and
    N(eps) / (C eps^-p) -> 1 with the predicted 1/c terms."""
    model = spiral_theory.spiral_valley(beta)
    kappa, nu = spiral_function.winding_scale(beta), spiral_function.FLOOR
    c = np.array([20.0, 40.0, 80.0])
    r = np.sqrt(1 - 1 / c)
    lead = nu / (kappa * r) * np.exp(-(1 + beta) * c)
    locking = kappa * r * np.exp(beta * c) / math.sqrt(nu)  # Lambda: corrections O(1/Lambda^2)
    np.testing.assert_allclose(model.gradient_norm(c) / lead, 1.0, atol=LEADING_ORDER / locking.min() ** 2)
    np.testing.assert_allclose(model.drift(c) / (lead * np.exp(-beta * c) / (kappa * r)), 1.0,
                               atol=LEADING_ORDER / locking.min() ** 2)
    p = spiral_theory.exponent(beta)
    for deep in (30.0, 60.0):
        eps = model.gradient_norm(np.array([deep]))
        ratio = model.first_hitting(eps, 10.0, 0.1)[0] / (spiral_theory.asymptotic_constant(beta) * eps[0] ** -p)
        # N = C eps^-p r^-p (1 - 1/c + ...): 1 + (p/2 - 1)/c + O(1/c^2) (measured coefficient -0.7 to -1.2)
        assert abs(ratio - 1 - (p / 2 - 1) / deep) < SECOND_ORDER / deep**2


@pytest.mark.parametrize("beta", BETAS)
def test_local_exponent_tends_to_p_with_the_derived_correction(beta):
    model = spiral_theory.spiral_valley(beta)
    p = spiral_theory.exponent(beta)
    c = np.array([15.0, 30.0])
    eps = model.gradient_norm(c)
    local = model.local_exponent(eps, 6.0, span_decades=0.2)
    predicted = p + spiral_theory.local_exponent_correction(beta, c)
    assert np.all(np.abs(local - predicted) < THIRD_ORDER / c**3)
    assert np.all(local > p)


def test_mexican_hat_exponent_is_one_with_slow_corrections():
    """(E): the local exponent of the Mexican hat's model is 1 + 4.5/c^2 + O(c^-3) (approached from
    below in c^2 (local - 1)), 1.064 at eps = 1e-6, 1.037 at 1e-8, 1.009 at 1e-15."""
    model = spiral_theory.mexican_hat_valley()
    c = np.array([10.0, 20.0, 40.0])
    excess = (model.local_exponent(model.gradient_norm(c), 2.0, span_decades=0.2) - 1.0) * c**2
    assert np.all(np.diff(excess) > 0) and np.all((3.0 < excess) & (excess < 4.5))
    local = model.local_exponent(np.array([1e-6, 1e-8, 1e-15]), 2.0)
    np.testing.assert_allclose(local, [1.064, 1.037, 1.009], atol=0.001)


def test_lipschitz_bound_over_the_range_of_beta():
    """(B): L <= 5.7 for every beta (largest at beta = 0), so eta0 = 0.1 passes at lam = 0.5."""
    bounds = np.array([spiral_function.hessian_bound(beta) for beta in np.linspace(0.0, 0.49, 15)])
    assert bounds.max() == bounds[0] < 5.7 and np.all(bounds > 5.0)


def test_exponents_and_sympy_form():
    assert spiral_theory.exponent(0.4) == pytest.approx(9 / 7)
    assert spiral_theory.exponent(0.2) == pytest.approx(7 / 6)
    assert spiral_theory.exponent(0.0) == 1.0
    form = spiral_theory.sympy_form()
    beta, kappa, nu, eta0 = sympy.symbols("beta kappa nu eta_0", positive=True)
    values = {beta: 0.3, kappa: spiral_function.winding_scale(0.3), nu: spiral_function.FLOOR, eta0: 0.1}
    assert float(form["exponent"].subs(values)) == pytest.approx(spiral_theory.exponent(0.3))
    assert float(form["constant"].subs(values)) == pytest.approx(spiral_theory.asymptotic_constant(0.3))
    assert sympy.limit(form["exponent"], beta, sympy.Rational(1, 2)) == sympy.Rational(4, 3)


@pytest.mark.parametrize("beta", BETAS)
def test_no_lojasiewicz_inequality_along_the_valley(beta):
    """(D): log(f^theta / ||grad f||) grows like (1 + beta - theta) c along the valley."""
    c = np.array([20.0, 40.0, 80.0])
    for theta in (0.5, 0.9, 0.99):
        log_ratio = spiral_theory.lojasiewicz_ratio(c, theta, beta)
        slope = np.diff(log_ratio) / np.diff(c)
        np.testing.assert_allclose(slope, 1 + beta - theta, atol=0.02)
        assert np.all(np.diff(log_ratio) > 0)


# ----------------------------------------------------------------------------- armijo on the valley


def _armijo_from(beta, c_start, phase, iterations):
    objective = functions.get("spiral", beta=beta)
    X0 = spiral_function.valley_point(np.asarray(c_start, float), beta, phase)
    return armijo.minimize(objective.f, objective.grad, np.atleast_2d(X0), "armijo", eps=[1e-300],
                           max_iter=iterations, trace=True, trace_per_decade=60, **spiral_rates.ARMIJO)


@pytest.mark.parametrize("beta", (0.0, 0.4))
def test_armijo_iterates_lock_onto_the_valley(beta):
    """From the registry's starts (phase off the floor, either valley) the phase of armijo's iterates
    converges to the slow manifold's, every first trial is accepted, and c increases."""
    objective = functions.get("spiral", beta=beta)
    model = spiral_theory.spiral_valley(beta)
    X0 = objective.sample_starts(np.random.default_rng(5), 4)
    result = armijo.minimize(objective.f, objective.grad, X0, "armijo", eps=[1e-300], max_iter=3000,
                             **spiral_rates.ARMIJO)
    c, phase = _polar(result.x, beta)
    c0, phase0 = _polar(X0, beta)
    assert np.all(result.backtracks == 0)
    assert np.all(c > c0)
    assert np.max(np.abs(phase0 - model.phase(c0))) > 10 * PHASE_ATOL  # the starts were off the manifold
    np.testing.assert_allclose(phase, model.phase(c), atol=PHASE_ATOL)


def test_generic_phase_starts_slide_outward_before_locking():
    """Why starts lie on a valley floor: from a generic phase at the same c the iterates cross the
    weak outer wall and run outward by units of c before a valley holds them; from the registry's
    starts c moves by a fraction of a unit in the same number of iterations."""
    beta = 0.4
    objective = functions.get("spiral", beta=beta)
    rng = np.random.default_rng(2)
    c0 = rng.uniform(4.5, 5.0, 12)
    X0 = spiral_function.valley_point(c0, beta, rng.uniform(0.0, np.pi, 12))
    floor_starts = objective.sample_starts(rng, 12)
    runs = [armijo.minimize(objective.f, objective.grad, X, "armijo", eps=[1e-300], max_iter=300, **spiral_rates.ARMIJO)
            for X in (X0, floor_starts)]
    generic_move = _polar(runs[0].x, beta)[0] - c0
    floor_move = _polar(runs[1].x, beta)[0] - _polar(floor_starts, beta)[0]
    assert np.median(generic_move) > 2.0 and np.max(floor_move) < 0.5


def test_uncapped_winding_makes_armijo_backtrack():
    """Why the winding scale is capped: with kappa = 1 at beta = 0.4 (the sketch of issue 16) the
    cross-valley curvature reaches 1e3 already near c = 5, the first trial eta0 = 0.1 fails and
    armijo backtracks several times per iteration; with the registry's kappa it never does."""
    beta = 0.4
    x, y = spiral_function.X_SYMBOL, spiral_function.Y_SYMBOL
    smooth = spiral_function.spiral_expression(beta, kappa=1.0)[1]
    value = sympy.lambdify((x, y), smooth, "numpy")
    gradient = sympy.lambdify((x, y), [sympy.diff(smooth, v) for v in (x, y)], "numpy")
    r, angle = math.sqrt(1 - 1 / 5.0), math.expm1(beta * 5.0) / beta
    start = np.array([[r * math.cos(angle), r * math.sin(angle)]])
    run = armijo.minimize(lambda X: value(X[:, 0], X[:, 1]),
                          lambda X: np.stack(gradient(X[:, 0], X[:, 1]), axis=1),
                          start, "armijo", eps=[1e-300], max_iter=2000, **spiral_rates.ARMIJO)
    assert run.backtracks[0] > 2 * run.iterations[0]
    assert _armijo_from(beta, 5.0, 0.0, 2000).backtracks[0] == 0


@pytest.mark.parametrize("beta", (0.2, 0.4))
@pytest.mark.parametrize("c_start", sorted(DRIFT_RTOL))
def test_gradient_along_the_valley_and_drift_match_the_derivation(beta, c_start):
    """||g_k|| along armijo's iterates equals the derived gradient norm at their c (GRADIENT_RTOL),
    and c advances at eta0 * dc/dt of the model (DRIFT_RTOL)."""
    model = spiral_theory.spiral_valley(beta)
    iterations = 3000
    result = _armijo_from(beta, c_start, 0.0, iterations)
    assert result.backtracks[0] == 0
    trace = result.trace
    c = 1.0 / (1.0 - trace.x_norm[:, 0] ** 2)
    relaxed = trace.iteration >= RELAXATION_ITERATIONS
    np.testing.assert_allclose(trace.grad_norm[relaxed, 0], model.gradient_norm(c[relaxed]), rtol=GRADIENT_RTOL)
    first, last = np.flatnonzero(relaxed)[[0, -1]]
    drift = (c[last] - c[first]) / (trace.iteration[last] - trace.iteration[first])
    expected = spiral_rates.ARMIJO["eta0"] * model.drift(0.5 * (c[first] + c[last]))
    assert drift == pytest.approx(expected, rel=DRIFT_RTOL[c_start])


def test_first_hitting_increments_match_the_model():
    """The engine's N(eps) on a short grid: increments within 1% of the model's (anchored table)."""
    table = spiral_rates.first_hitting_table("spiral", {"beta": 0.2}, starts=2, decades=0.125, eps_per_decade=16)
    assert (table["iterations"] > 0).all() and (table["backtracks"] == 0).all()
    assert set(table["status"]) == {"converged"}
    np.testing.assert_allclose(table["iterations"], table["predicted"], rtol=0.01)
    # from the start's c, up to the relaxation offset of the phase
    np.testing.assert_allclose(table["iterations"], table["predicted_from_start"], atol=3000)


@pytest.mark.parametrize("beta", (0.2, 0.4))
def test_float64_limit_is_where_the_precision_floor_stops_armijo(beta):
    """Where the first-order decrease of a step is 160 ulps of f, its computed value stays within
    DECREASE_NOISE of exact (rounding noise about 20 ulps); 1.5 units of c past float64_limit
    (4 ulps, the engine's floor) armijo stops with precision_floor."""
    objective = functions.get("spiral", beta=beta)
    model = spiral_theory.spiral_valley(beta)
    c_start = spiral_theory.float64_limit(beta, ulps=160.0)
    assert c_start < spiral_theory.float64_limit(beta, ulps=100.0) < spiral_theory.float64_limit(beta)
    x = spiral_function.valley_point(c_start, beta, float(model.phase(c_start)))[None]
    ratios = []
    for _ in range(300):
        g = objective.grad(x)
        decrease = objective.f(x)[0] - objective.f(x - 0.1 * g)[0]
        ratios.append(decrease / (0.1 * float(g[0] @ g[0])))
        x = x - 0.1 * g
    np.testing.assert_allclose(ratios, 1.0, atol=DECREASE_NOISE)
    late = spiral_theory.float64_limit(beta) + 1.5
    run = _armijo_from(beta, late, float(model.phase(late)), 1000)
    assert run.status[0] == "precision_floor"


def test_reference_run_in_extended_precision_past_float64():
    """Past the float64 limit (c = 25 > 19.1 at beta = 0.4), armijo in 50 digits: every first trial
    passes, ||g|| and the drift of c match the model (the derivation where float64 cannot go)."""
    beta = 0.4
    assert spiral_theory.float64_limit(beta) < 25.0
    run = spiral_rates.reference_run(beta, 25.0, 300, dps=50, record_every=50)
    late = run[run["k"] >= 150]
    assert (run["backtracks"] == 0).all()
    np.testing.assert_allclose(late["grad_norm"], late["model_grad_norm"], rtol=1e-6)
    np.testing.assert_allclose(late["drift_ratio"], 1.0, rtol=1e-4)


# ----------------------------------------------------------------------------- the suite's fitter on the derivation


@pytest.mark.parametrize("beta", (0.2, 0.4))
def test_suite_fitter_on_the_derived_counts(beta):
    """theory.fit.fit_rate on the valley model's own N(eps) (exact counts, known limit) over the
    necessity experiment's three decades: it picks the power model; its estimate lies between the
    limit p and the model's local exponent at the top of its window (the 1/c^2 correction still acts
    there), and its interval, a claim about eps -> 0 (issue 26), covers both the local exponent at the
    window's deepest threshold and the limit p.  (The old fitter read the window and labelled it
    pre_asymptotic; the offset class now absorbs the drift and needs no label, since its interval covers.)"""
    model = spiral_theory.spiral_valley(beta)
    eps_max = spiral_rates.grid_start_eps("spiral", {"beta": beta})
    eps = np.array(eps_grid(eps_max, eps_max * 1e-3, 8))
    c_start = spiral_function.locking_onset(beta) - spiral_function.START_SPREAD_C / 2
    counts = np.round(model.first_hitting(eps, c_start, spiral_rates.ARMIJO["eta0"]))
    fit = fit_rate(eps, counts[None, :])
    assert fit.model == "power"
    top, deepest = model.local_exponent(np.array([fit.eps_hi, fit.eps_lo]), c_start)
    assert spiral_theory.exponent(beta) < fit.exponent < top
    assert fit.ci_low <= deepest <= fit.ci_high
    assert fit.contains(spiral_theory.exponent(beta)) or fit.labelled
