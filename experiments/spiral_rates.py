r"""``armijo`` along spiral valleys against the derivation of :mod:`theory.spiral`: the helpers.

What the valley cases share (the ``necessity`` experiment, :mod:`experiments.necessity`, and
the derivation's tests, ``tests/test_spiral.py``): starts on a valley floor
(:func:`valley_starts`), where their eps grid starts (:func:`grid_start_eps`), an iteration
budget from the reduced model (:func:`iteration_budget`), a table of the engine's first
hitting iterations beside the model's (:func:`first_hitting_table`), and ``armijo`` in
extended precision where float64 cannot go (:func:`reference_run`).  Exponents are fitted by
the suite's fitter (:func:`theory.fit.fit_rate`, through the experiment's standard pieces),
not here.

Prediction (:meth:`theory.spiral.ValleyModel.first_hitting`): ``armijo`` accepts every
first trial on ``spiral`` (:func:`theory.spiral.first_trial_always_accepted`), so it is
gradient descent with step ``eta0`` and follows the slow manifold with ``t = eta0 k``.  Two
columns: ``predicted_from_start`` integrates from the start's ``c`` (it ignores the few
hundred iterations in which the phase relaxes onto the manifold: an offset of up to a few
thousand iterations), ``predicted`` anchors the model at the first threshold of the grid
(``N(eps_0)`` measured, then the model's increments).  On ``mexican-hat`` no theorem
guarantees that every first trial passes (its cross-valley curvature
:math:`4 r^2 c^4 e^{-c}` reaches about 14 near ``c = 4.4``, so :math:`\eta_0 h_\perp \le
1.4 < 2`: the cross-valley mode stays stable, but T1 does not apply); the ``backtracks``
column says whether it happened.

Beyond what iterations can reach, :func:`reference_run` runs ``armijo`` in extended
precision (mpmath) from a valley start at large ``c``, past the float64 limit
(:func:`theory.spiral.float64_limit`), and compares the gradient norm and the drift of ``c``
with the model there.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

import functions
from armijo.thresholds import eps_grid
from functions import spiral as spiral_function
from theory import spiral as spiral_theory

ARMIJO = {"eta0": 0.1, "lam": 0.5, "f1": 2.0}
"""The reference defaults (SCIENCE.md section 2)."""

SPIRAL_GRID_START = 1.0
"""The spiral's eps grid starts at the model's gradient norm one unit of ``c`` past the
locking onset (starts are drawn half a unit before it: their phase has relaxed by then)."""

HAT_EPS_MAX = 1e-3
"""The Mexican hat's grid starts here (``c ~ 3``, past the onset of its slow manifold)."""

HAT_START_C = 2.5
"""Mexican-hat starts: ``c`` uniform in ``[HAT_START_C - 0.5, HAT_START_C]`` on its valley
``theta = c + pi/2``, phase offset uniform in ``+- HAT_START_PHASE``.  Its registry starts
(annulus, any phase) sometimes leave the disc in the first steps, where ``f = grad f = 0``:
a jump to ``N = 0`` for every eps, no measurement."""

HAT_START_PHASE = 0.05

BUDGET_MARGIN = 1.3
"""``max_iter`` is this factor times the model's count at the smallest eps, plus :data:`BUDGET_SLACK`."""

BUDGET_SLACK = 10_000


def valley_model(function, params):
    """The :class:`theory.spiral.ValleyModel` of a registry entry (``spiral`` or ``mexican-hat``)."""
    if function == "spiral":
        return spiral_theory.spiral_valley(float(params.get("beta", 0.4)))
    if function == "mexican-hat":
        return spiral_theory.mexican_hat_valley()
    raise ValueError(f"no valley model for {function!r}")


def grid_start_eps(function, params):
    """Largest threshold of a valley case: the spiral's gradient norm :data:`SPIRAL_GRID_START`
    past the locking onset, :data:`HAT_EPS_MAX` for the Mexican hat."""
    if function == "spiral":
        beta = float(params.get("beta", 0.4))
        onset = spiral_function.locking_onset(beta) + SPIRAL_GRID_START
        return float(valley_model(function, params).gradient_norm(np.array([onset]))[0])
    valley_model(function, params)  # refuses a function without a valley
    return HAT_EPS_MAX


def iteration_budget(function, params, c_start, eps_min, eta):
    """``max_iter`` for starts from ``c >= c_start`` down to ``eps_min``: :data:`BUDGET_MARGIN` times
    the model's count (0 where the valley does not hold ``c_start``) plus :data:`BUDGET_SLACK`."""
    model = valley_model(function, params)
    count = model.first_hitting(np.array([eps_min]), c_start, eta)[0] if model.locked(np.array([c_start]))[0] else 0.0
    return int(BUDGET_MARGIN * count) + BUDGET_SLACK


def default_runner(objective, starts, *, eps, max_iter, **algorithm_params):
    """``armijo`` with the NumPy engine (any callable with this signature may replace it)."""
    from armijo import minimize

    return minimize(objective.f, objective.grad, starts, "armijo", eps=eps, max_iter=max_iter, **algorithm_params)


def valley_starts(function, params, rng, count):
    """Starts on one valley floor, shape ``(count, 2)``.

    ``spiral``: the registry's sampler (``c`` and phase offset, :func:`functions.spiral.valley_starts`),
    starts drawn on the second valley mapped onto the first by ``x -> -x``.  ``f`` is even, so
    the two valleys are images of each other and ``armijo``'s iterates too: nothing is lost,
    and every start ends at the same place, so the limit-point machinery puts them in one
    group (it would otherwise split them by the two antipodal points where its Newton
    refinement stops).  ``mexican-hat`` (one valley): ``c`` uniform in
    ``[HAT_START_C - 0.5, HAT_START_C]`` on its valley ``theta = c + pi/2``, phase offset
    uniform in ``+- HAT_START_PHASE``.
    """
    if function == "spiral":
        beta = float(params.get("beta", 0.4))
        points = np.asarray(functions.get(function, **params).sample_starts(rng, count), dtype=float)
        phase = np.arctan2(points[:, 1], points[:, 0]) - spiral_function.winding(start_c(points), beta)
        return np.where((np.cos(phase) < 0.0)[:, None], -points, points)
    valley_model(function, params)
    c = rng.uniform(HAT_START_C - 0.5, HAT_START_C, size=count)
    angle = c + 0.5 * math.pi + rng.uniform(-HAT_START_PHASE, HAT_START_PHASE, size=count)
    r = np.sqrt(1.0 - 1.0 / c)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def start_c(points):
    """``c = 1/(1 - ||x||^2)`` of points (last axis: coordinates)."""
    return 1.0 / (1.0 - np.sum(np.asarray(points, float) ** 2, axis=-1))


def first_hitting_table(function, params, *, starts=4, seed=16, decades=3.0, eps_per_decade=8,
                        runner=default_runner, max_iter=None, algorithm_params=None):
    """Run ``armijo`` and return the tidy first-hitting table with the model's predictions.

    Parameters
    ----------
    function : str
        ``"spiral"`` or ``"mexican-hat"``.
    params : dict
        Family parameters (``{"beta": ...}`` for ``spiral``).
    starts, seed : int
        Starts drawn by :func:`valley_starts` with ``numpy.random.default_rng(seed)``.
    decades, eps_per_decade : float, int
        The eps grid: ``decades`` decades from :func:`grid_start_eps`.
    runner : callable
        ``runner(objective, X0, eps=..., max_iter=..., **algorithm_params) -> RunResult``.
    max_iter : int, optional
        Default: :func:`iteration_budget` from the earliest start.
    algorithm_params : dict, optional
        Default :data:`ARMIJO`.

    Returns
    -------
    pandas.DataFrame
        One row per (start, eps): ``function, params, start, c0, eps, iterations`` (-1 if not
        reached), ``predicted_from_start, predicted, status, backtracks, max_iter,
        algorithm_params``.
    """
    algorithm_params = dict(ARMIJO if algorithm_params is None else algorithm_params)
    eta = algorithm_params["eta0"]
    objective = functions.get(function, **params)
    model = valley_model(function, params)
    eps_max = grid_start_eps(function, params)
    eps = np.array(eps_grid(eps_max, eps_max * 10.0**-decades, eps_per_decade))
    X0 = valley_starts(function, params, np.random.default_rng(seed), starts)
    c0 = start_c(X0)
    c_grid_start = float(model.valley_c(eps[:1], c0.min(), 60.0)[0])
    from_grid_start = model.first_hitting(eps, c_grid_start, eta)
    if max_iter is None:
        max_iter = max(iteration_budget(function, params, float(c0.min()), eps[-1], eta),
                       int(BUDGET_MARGIN * from_grid_start[-1]) + BUDGET_SLACK)
    result = runner(objective, X0, eps=eps, max_iter=max_iter, **algorithm_params)
    rows = []
    for b in range(X0.shape[0]):
        hits = result.eps_hits[b].astype(float)
        if model.locked(np.array([c0[b]]))[0]:
            from_start = model.first_hitting(eps, c0[b], eta)
        else:
            from_start = np.full(eps.size, np.nan)
        anchored = hits[0] + (from_grid_start - from_grid_start[0]) if hits[0] >= 0 else np.full(eps.size, np.nan)
        for j in range(eps.size):
            rows.append({
                "function": function, "params": json.dumps(params, sort_keys=True), "start": b,
                "c0": c0[b], "eps": eps[j], "iterations": int(result.eps_hits[b, j]),
                "predicted_from_start": from_start[j], "predicted": anchored[j],
                "status": str(result.status[b]), "backtracks": int(result.backtracks[b]),
                "max_iter": max_iter, "algorithm_params": json.dumps(algorithm_params, sort_keys=True),
            })
    return pd.DataFrame(rows)


def reference_run(beta, c_start, iterations, *, dps=60, eta0=0.1, lam=0.5, f1=2.0, record_every=None, phase=None):
    r"""``armijo`` on ``spiral`` in extended precision (mpmath, ``dps`` digits) from the valley at ``c_start``.

    The start's phase is ``phase`` (default: the slow manifold's :math:`\psi^*(c)` from the
    float64 model, so that only a small transient relaxes).

    For ``c`` past :func:`theory.spiral.float64_limit`, where float64 decides the Armijo test
    by rounding.  The oracles are the entry's smooth branch and its SymPy gradient evaluated
    by mpmath; the start is the valley point computed in the same precision.

    Returns
    -------
    pandas.DataFrame
        Rows at every ``record_every`` iterations (default ``iterations // 50``): ``k, c,
        grad_norm, model_grad_norm, backtracks`` (cumulative), and ``drift_ratio``: the mean
        :math:`\Delta c/\Delta k` since the previous row over :math:`\eta_0 \dot c` of the
        model at the midpoint.
    """
    import mpmath
    import sympy

    record_every = record_every or max(1, iterations // 50)
    x_symbol, y_symbol = spiral_function.X_SYMBOL, spiral_function.Y_SYMBOL
    smooth = spiral_function.spiral_expression(beta)[1]
    gradient = [sympy.diff(smooth, s) for s in (x_symbol, y_symbol)]
    model = spiral_theory.spiral_valley(beta)
    with mpmath.workdps(dps):
        f = sympy.lambdify((x_symbol, y_symbol), smooth, modules="mpmath")
        g = sympy.lambdify((x_symbol, y_symbol), gradient, modules="mpmath")
        kappa = mpmath.mpf(sympy.N(spiral_function.exact_number(spiral_function.winding_scale(beta)), dps + 10))
        beta_mp = mpmath.mpf(sympy.N(spiral_function.exact_number(beta), dps + 10))
        c0 = mpmath.mpf(c_start)
        angle = kappa * c0 if beta == 0.0 else kappa * mpmath.expm1(beta_mp * c0) / beta_mp
        angle += mpmath.mpf(float(model.phase(c_start)) if phase is None else phase)
        r = mpmath.sqrt(1 - 1 / c0)
        x, y = r * mpmath.cos(angle), r * mpmath.sin(angle)
        value = f(x, y)
        backtracks = 0
        rows = []
        previous = None
        for k in range(iterations + 1):
            gx, gy = g(x, y)
            g2 = gx * gx + gy * gy
            if k % record_every == 0:
                c = 1 / (1 - x * x - y * y)
                row = {"k": k, "c": float(c), "grad_norm": float(mpmath.sqrt(g2)),
                       "model_grad_norm": float(model.gradient_norm(float(c))), "backtracks": backtracks,
                       "drift_ratio": np.nan}
                if previous is not None:
                    mid = float((c + previous[1]) / 2)
                    row["drift_ratio"] = float((c - previous[1]) / (k - previous[0])) / (eta0 * float(model.drift(mid)))
                rows.append(row)
                previous = (k, c)
            if k == iterations:
                break
            eta = mpmath.mpf(eta0)
            while True:
                trial_x, trial_y = x - eta * gx, y - eta * gy
                trial = f(trial_x, trial_y)
                if trial <= value - lam * eta * g2:
                    break
                eta /= f1
                backtracks += 1
            x, y, value = trial_x, trial_y, trial
    return pd.DataFrame(rows)
