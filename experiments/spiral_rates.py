r"""Measured ``N(eps)`` of ``armijo`` along spiral valleys, against the derivation of :mod:`theory.spiral`.

The data of issue 16 (the ``necessity`` experiment reuses :func:`first_hitting_table` and
:func:`fit_exponent`): for the registry's ``spiral`` at several ``beta`` and for
``mexican-hat``, the first hitting iterations of ``armijo`` (reference defaults
``eta0 = 0.1, lam = 0.5, f1 = 2``) from starts on a valley floor, with the reduced model's
prediction at every (start, eps), and a fit of the exponent whose interval reflects the
choice of window.

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

Fit (:func:`fit_exponent`): least squares of ``log N`` (median over starts) on
``log(1/eps)`` over the whole grid; the interval spans the slopes of every sub-window of at
least :data:`MIN_SUB_WINDOW_DECADES` decades and every single start's slope, so a drifting
local slope widens it; the model's slope over the same window; and the *corrected* exponent
``p_inf + (measured slope - model slope)``, whose interval is ``p_inf`` plus the spread of
the slopes of ``log(N / predicted)`` over the same sub-windows: the pre-asymptotic
corrections that the derivation predicts (:func:`theory.spiral.local_exponent_correction`)
are removed, what remains is the measured departure from the derivation.

Beyond what iterations can reach, :func:`reference_run` runs ``armijo`` in extended
precision (mpmath) from a valley start at large ``c``, past the float64 limit
(:func:`theory.spiral.float64_limit`), and compares the gradient norm and the drift of ``c``
with the model there.

Run ``python -m experiments.spiral_rates`` (``--quick`` for a short grid).  With the NumPy
engine a long run costs about 100 us per iteration for a few starts; pass a compiled runner
(``runner=``) for the full grid.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

import functions
from functions import spiral as spiral_function
from theory import spiral as spiral_theory

ARMIJO = {"eta0": 0.1, "lam": 0.5, "f1": 2.0}
"""The reference defaults (SCIENCE.md section 2)."""

GRID = {
    "cases": [("spiral", {"beta": 0.2}, 3.0), ("spiral", {"beta": 0.3}, 3.0), ("spiral", {"beta": 0.4}, 3.0),
              ("spiral", {"beta": 0.0}, 3.0), ("mexican-hat", {}, 5.0)],
    "starts": 4,
    "seed": 16,
    "eps_per_decade": 8,
}
"""The measurement of issue 16: (function, parameters, decades of eps) per case."""

QUICK = {"cases": [(function, params, 0.5) for function, params, _ in GRID["cases"]], "starts": 2}
"""A short grid (about a minute with the NumPy engine)."""

MIN_SUB_WINDOW_DECADES = 1.5
"""Sub-windows of the fit interval span at least this many decades of eps."""

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


def asymptotic_exponent(function, params):
    """``p_inf``: ``(1 + 2 beta)/(1 + beta)`` for ``spiral``, 1 for ``mexican-hat``."""
    if function == "spiral":
        return spiral_theory.exponent(float(params.get("beta", 0.4)))
    return 1.0


def eps_grid(function, params, decades, per_decade):
    """Decreasing thresholds: ``decades`` decades from the grid start (see the constants)."""
    if function == "spiral":
        beta = float(params.get("beta", 0.4))
        eps_max = float(valley_model(function, params).gradient_norm(spiral_function.locking_onset(beta) + SPIRAL_GRID_START))
    else:
        eps_max = HAT_EPS_MAX
    count = int(round(decades * per_decade)) + 1
    return eps_max * np.logspace(0.0, -decades, count)


def default_runner(objective, starts, *, eps, max_iter, **algorithm_params):
    """``armijo`` with the NumPy engine (any callable with this signature may replace it)."""
    from armijo import minimize

    return minimize(objective.f, objective.grad, starts, "armijo", eps=eps, max_iter=max_iter, **algorithm_params)


def valley_starts(function, params, rng, count):
    """Starts on a valley floor: the registry's sampler for ``spiral``, :data:`HAT_START_C` for ``mexican-hat``."""
    if function == "spiral":
        return np.asarray(functions.get(function, **params).sample_starts(rng, count), dtype=float)
    c = rng.uniform(HAT_START_C - 0.5, HAT_START_C, size=count)
    angle = c + 0.5 * math.pi + rng.uniform(-HAT_START_PHASE, HAT_START_PHASE, size=count)
    r = np.sqrt(1.0 - 1.0 / c)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)


def _c_of(points):
    return 1.0 / (1.0 - np.sum(np.asarray(points, float) ** 2, axis=-1))


def first_hitting_table(function, params, *, starts=4, seed=16, decades=3.5, eps_per_decade=8,
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
        The eps grid (:func:`eps_grid`).
    runner : callable
        ``runner(objective, X0, eps=..., max_iter=..., **algorithm_params) -> RunResult``.
    max_iter : int, optional
        Default: :data:`BUDGET_MARGIN` times the model's count from the earliest start to the
        smallest eps, plus :data:`BUDGET_SLACK`.
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
    eps = eps_grid(function, params, decades, eps_per_decade)
    X0 = valley_starts(function, params, np.random.default_rng(seed), starts)
    c0 = _c_of(X0)
    c_grid_start = float(model.valley_c(eps[:1], c0.min(), 60.0)[0])
    from_grid_start = model.first_hitting(eps, c_grid_start, eta)
    if max_iter is None:
        earliest = model.first_hitting(eps[-1:], c0.min(), eta)[0] if model.locked(np.array([c0.min()]))[0] else 0.0
        max_iter = int(BUDGET_MARGIN * max(earliest, from_grid_start[-1])) + BUDGET_SLACK
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


@dataclass(frozen=True)
class ExponentFit:
    """A fitted exponent of ``N(eps)`` with an interval from the window choice.

    Attributes
    ----------
    exponent : float
        Least-squares slope of ``log N`` (median over starts) on ``log(1/eps)`` over the window.
    low, high : float
        Smallest and largest slope over every sub-window of at least ``min_decades`` decades
        and over every start's own full-window slope.
    model_exponent : float
        The same slope of the model's (anchored) prediction: the derived value over this window.
    asymptotic_exponent : float
        ``p_inf``, the derived limit.
    corrected_exponent, corrected_low, corrected_high : float
        ``p_inf`` plus the slope of ``log(N / predicted)`` (and its sub-window spread).
    eps_high, eps_low : float
        The window.
    decades : float
    points : int
    starts : int
        Starts that reached every threshold.
    """

    exponent: float
    low: float
    high: float
    model_exponent: float
    asymptotic_exponent: float
    corrected_exponent: float
    corrected_low: float
    corrected_high: float
    eps_high: float
    eps_low: float
    decades: float
    points: int
    starts: int


def _slope(x, y):
    return float(np.polyfit(x, y, 1)[0])


def _sub_window_slopes(x, y, min_span):
    slopes = []
    for i in range(x.size):
        for j in range(i + 2, x.size):
            if x[j] - x[i] >= min_span:
                slopes.append(_slope(x[i:j + 1], y[i:j + 1]))
    return np.array(slopes)


def fit_exponent(table, asymptotic, min_decades=MIN_SUB_WINDOW_DECADES):
    """Fit the exponent of one (function, params) block of :func:`first_hitting_table`.

    Only starts that reached every threshold are used (a start that stopped early is reported
    by its ``status``); see :class:`ExponentFit`.
    """
    pivot = table.pivot(index="eps", columns="start", values="iterations").sort_index(ascending=False)
    predicted = table.pivot(index="eps", columns="start", values="predicted").sort_index(ascending=False)
    complete = [s for s in pivot.columns if (pivot[s] > 0).all() and np.isfinite(predicted[s]).all()]
    if not complete:
        raise ValueError("no start reached every threshold")
    eps = pivot.index.to_numpy(float)
    x = np.log(1.0 / eps)
    counts = pivot[complete].to_numpy(float)
    model = predicted[complete].to_numpy(float)
    log_n = np.log(np.median(counts, axis=1))
    log_model = np.log(np.median(model, axis=1))
    span = min(min_decades, 0.5 * math.log10(eps[0] / eps[-1])) * math.log(10.0)
    slopes = np.concatenate([_sub_window_slopes(x, log_n, span),
                             [_slope(x, np.log(counts[:, k])) for k in range(counts.shape[1])]])
    ratio = log_n - log_model
    ratio_slopes = np.concatenate([_sub_window_slopes(x, ratio, span),
                                   [_slope(x, np.log(counts[:, k] / model[:, k])) for k in range(counts.shape[1])]])
    measured, model_slope = _slope(x, log_n), _slope(x, log_model)
    return ExponentFit(
        exponent=measured, low=float(slopes.min()), high=float(slopes.max()), model_exponent=model_slope,
        asymptotic_exponent=float(asymptotic), corrected_exponent=float(asymptotic + measured - model_slope),
        corrected_low=float(asymptotic + ratio_slopes.min()), corrected_high=float(asymptotic + ratio_slopes.max()),
        eps_high=float(eps[0]), eps_low=float(eps[-1]), decades=float(math.log10(eps[0] / eps[-1])),
        points=int(eps.size), starts=len(complete),
    )


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


def measure(grid=None, runner=default_runner, progress=True):
    """Run the grid (default :data:`GRID`); return ``(table, fits)``: the concatenated tidy
    table and one row per (function, params) with the :class:`ExponentFit` fields."""
    grid = dict(GRID if grid is None else grid)
    tables, fits = [], []
    for function, params, decades in grid["cases"]:
        table = first_hitting_table(function, params, starts=grid["starts"], seed=grid["seed"],
                                    decades=decades, eps_per_decade=grid["eps_per_decade"], runner=runner)
        fit = fit_exponent(table, asymptotic_exponent(function, params))
        tables.append(table)
        fits.append({"function": function, "params": json.dumps(params, sort_keys=True),
                     "statuses": ";".join(sorted(set(table["status"]))),
                     "backtracks": int(table.groupby("start")["backtracks"].first().sum()),
                     **asdict(fit)})
        if progress:
            print(f"{function} {params}: exponent {fit.exponent:.4f} [{fit.low:.4f}, {fit.high:.4f}], "
                  f"model {fit.model_exponent:.4f}, corrected {fit.corrected_exponent:.4f} "
                  f"[{fit.corrected_low:.4f}, {fit.corrected_high:.4f}], p_inf {fit.asymptotic_exponent:.4f}, "
                  f"eps [{fit.eps_low:.3g}, {fit.eps_high:.3g}]", file=sys.stderr)
    return pd.concat(tables, ignore_index=True), pd.DataFrame(fits)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short grid")
    args = parser.parse_args(argv)
    grid = dict(GRID)
    if args.quick:
        grid.update(QUICK)
    _, fits = measure(grid)
    print(fits.to_string(index=False))


if __name__ == "__main__":
    main()
