"""From runs to verdicts: estimate the hypotheses, check every applicable bound, fit, decide.

This module ties the engine's run records to the theorem modules.  It takes an
objective (a registry entry or a user expression: anything with batched ``f``,
``grad``, ``hess`` and the class tags of :class:`functions.Objective`) and the
:class:`armijo.RunResult` of each algorithm, and returns

* :class:`Hypotheses`: analyticity (certified or declared), ``L`` and the
  ``(L0, L1)`` Pareto front estimated on a stated sampled set, ``f_*`` and where
  it comes from, whether the iterates stayed bounded;
* one :class:`Assessment` per run: the limit point of every start
  (:mod:`theory.limits`), ``Delta`` per start from the limit it reaches, every
  applicable bound evaluated for every start and threshold, and per group of starts
  with the same limit point (:class:`GroupAssessment`) the rate model and exponent
  (:func:`theory.fit.fit_rate`), the Lojasiewicz exponent, the checks and a verdict.
  Starts that reach different limit points are never fitted together.

Estimated constants are lower estimates of suprema (SCIENCE.md section 6): a
count above a bound computed from them is reported as a violation, with the
note that the constants were estimated, never hidden.

Which theorem applies
---------------------
* T1 (L-smooth) and T2 ((L0, L1)-smooth): for every Armijo variant, with ``L``
  and ``(L0, L1)`` estimated on the sampled sublevel set (the iterates of an
  Armijo method never leave ``{f <= f(x_0)}``), when those estimates exist.
* T3 (Lojasiewicz): analytic objective with bounded iterates; its constants
  ``K, f(x_K) - f_*, C, theta`` are estimated per start on the tail of the trace, with
  ``f_*`` the value of the start's verified limit point; checked on the thresholds
  reached after ``K``.

``Delta = f(x_0) - f_*`` of T1/T2 is per start: ``f(x_0) - f(x*)`` where the start's limit
``x*`` is verified (valid for the monotone Armijo variants, whose values stay above the
value of their limit), else ``f(x_0) - inf f`` where the infimum is known, else
``f(x_0)`` minus the lowest value the start itself reached (an under-estimate, said so).
Never from another algorithm's run, never for a start that diverged.
* T4 (oracle counts): every Armijo variant, with the minimal accepted step of T1.

Predicted largest exponent: 1 where T3 applies, 2 where only T1/T2 apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from functions.objective import Differentiability
from theory._common import VARIANTS
from theory.estimators import estimate_L, iterates_bounded, l0l1_pareto_front, lojasiewicz_theta
from theory.fit import fit_rate, fit_two_regime
from theory.limits import group_starts, is_minimum, limit_points
from theory.local_rate import agreement, lojasiewicz_at, predict, sphere_samples, steps_settled
from theory.hook import RunFacts
from theory.theorems import CHECKS, check_kind, coverage, theorems_for
from theory.verdict import Verdict, check_bound, decide

#: Points sampled in the sublevel set to estimate L and (L0, L1).
ESTIMATION_SAMPLES = 4000
#: Above this dimension, Hessian norms are not sampled (too costly): T1/T2 not checked.
MAX_ESTIMATION_DIMENSION = 64
#: Relative padding of the sampled box around the starts and last iterates.
BOX_PADDING = 0.1


@dataclass(frozen=True, kw_only=True)
class Hypotheses:
    """What is known or estimated about the objective, with the set it was estimated on.

    ``sampled_on`` and ``f_star_source`` say it in words (for display); ``sampled`` and
    ``f_star_known`` are what code tests.
    """

    function: str
    analytic: bool | None
    analytic_reason: str
    L: float | None
    L0: float | None
    L1: float | None
    l0l1_front: np.ndarray | None = field(repr=False, compare=False)
    grad_norm_max: float | None
    f_star: float
    f_star_source: str
    bounded_iterates: bool | None
    sampled_on: str
    lower_estimates: bool = True
    bounded_below: bool | None = None
    bounded_below_reason: str = ""
    sampled: bool = False
    f_star_known: bool = False


@dataclass(frozen=True, eq=False, kw_only=True)
class GroupAssessment:
    """Rate, Lojasiewicz exponent, checks and verdict of the starts that share one limit point.

    Attributes
    ----------
    limit : theory.limits.LimitPoint
        The limit point (``kind == "none"`` for the starts without a verified limit).
    starts : tuple of int
        Indices of the starts of the group.
    fit : theory.fit.RateFit
        Rate model and exponent of ``N(eps)`` over these starts only.
    theta : float or None
        Median Lojasiewicz exponent estimated on the tails of these starts (a restatement of
        the run: the second, labelled column).
    predicted_exponent : float
        Largest exponent the applicable theorems allow.
    checks : tuple of BoundCheck
        The bound checks restricted to these starts.
    verdict : theory.verdict.Verdict
    local : theory.local_rate.LocalLojasiewicz or None
        Lojasiewicz exponent and constant estimated at the limit point itself.
    prediction : theory.local_rate.Prediction or None
        The rate model and exponent that ``local.theta`` predicts, where it applies.
    agreement : bool or None
        Whether the fit agrees with the prediction (None where it does not apply).
    """

    limit: object
    starts: tuple
    fit: object
    theta: float | None
    predicted_exponent: float
    checks: tuple
    verdict: object
    local: object = None
    prediction: object = None
    agreement: bool | None = None


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """Bounds, limit points, rates per limit point and verdict for the run of one algorithm."""

    algorithm: str
    bounds: dict = field(repr=False)          # theorem -> (B, m) bound on eps_hits (T4: on f evals)
    checks: tuple = ()                        # BoundCheck per applicable theorem (all starts)
    fit: object = None                        # theory.fit.RateFit of the largest group
    two_regime: object = None                 # theory.fit.TwoRegimeFit where T2 applies
    lojasiewicz: tuple = ()                   # per-start LojasiewiczEstimate (or None)
    predicted_exponent: float = float("nan")
    verdict: object = None                    # theory.verdict.Verdict (the whole run)
    notes: tuple = ()
    limits: tuple = ()                        # per-start theory.limits.LimitPoint
    groups: tuple = ()                        # GroupAssessment, largest first
    delta: np.ndarray = field(default=None, repr=False)  # per-start Delta of T1/T2 (nan: none)
    delta_source: tuple = ()                  # per start: where Delta comes from
    unchecked: dict = field(default_factory=dict)  # theorem -> why no count could be checked
    entry: dict = field(default_factory=dict)      # T3, T3-point -> per-start entry time K (nan: none)


# -- hypotheses ----------------------------------------------------------------------------------


def _finite_rows(trace, start):
    rows = np.isfinite(trace.f[:, start]) & np.isfinite(trace.grad_norm[:, start])
    return np.flatnonzero(rows)


def visited_points(results):
    """Every recorded iterate (the traces) and last iterate of the usable starts of ``results``."""
    points = []
    for result in results:
        usable = _usable_starts(result)
        points.append(result.x[usable])
        if result.trace is not None and getattr(result.trace, "x", None) is not None:
            visited = result.trace.x[:, usable].reshape(-1, result.x.shape[1])
            points.append(visited[np.isfinite(visited).all(axis=1)])
    return np.vstack(points) if points else np.zeros((0, results[0].x.shape[1]))


def sample_sublevel_set(objective, starts, results, rng, count=ESTIMATION_SAMPLES):
    """Points of the region the runs visited, within ``{f <= max f(x_0)}``.

    The region is the bounding box of the starts and of every recorded iterate of the usable
    starts (padded by :data:`BOX_PADDING` of its largest side), sampled uniformly; the visited
    iterates themselves are added.  Returns the points and a description of the set.
    """
    visited = visited_points(results)
    corners = np.vstack([starts, visited])
    corners = corners[np.isfinite(corners).all(axis=1)]
    low, high = corners.min(axis=0), corners.max(axis=0)
    pad = BOX_PADDING * max(float(np.max(high - low)), 1e-3)
    low, high = low - pad, high + pad
    level = max(float(np.nanmax(r.f_initial)) for r in results)
    candidates = rng.uniform(low, high, size=(count, corners.shape[1]))
    with np.errstate(all="ignore"):
        values = objective.f(candidates)
    inside = candidates[np.isfinite(values) & (values <= level)]
    points = np.vstack([inside, starts, visited])
    points = points[np.isfinite(points).all(axis=1)]
    description = (f"{inside.shape[0]} uniform points of the box [{_fmt(low)}, {_fmt(high)}] around the "
                   f"iterates the runs visited, with f <= max f(x0) = {level:.4g}, plus the {visited.shape[0]} "
                   "recorded iterates")
    return points, description


def _usable_starts(result):
    """Starts whose last iterate says something about the region: not diverged, finite."""
    return ~np.isin(result.status, ("diverged", "non_finite")) & np.isfinite(result.x).all(axis=1)


def _region_runs(results):
    """The runs that define the sampled region: the Armijo variants (monotone, so their iterates
    stay in the sublevel set of their start) when there are any, else every run."""
    line_search = [r for r in results if r.algorithm in VARIANTS]
    return line_search or list(results)


def _fmt(vector):
    return "(" + ", ".join(f"{v:.3g}" for v in vector) + ")"


def estimate_hypotheses(objective, starts, results, *, seed=0, samples=ESTIMATION_SAMPLES):
    """Estimate the hypotheses of the theorems for ``objective`` from ``results``.

    Parameters
    ----------
    objective : functions.Objective
        The objective (batched ``f``, ``grad``, ``hess`` and class tags).
    starts : ndarray, shape (B, n)
        The starts every run began from.
    results : sequence of armijo.RunResult
        Runs of every algorithm on this objective from ``starts``.
    seed : int
        Seed of the sampling.
    samples : int
        Uniform samples drawn in the box.

    Returns
    -------
    Hypotheses
    """
    rng = np.random.default_rng(seed)
    f_star, source = known_infimum(objective)
    bounded_below, bounded_below_reason = bounded_below_facts(objective)
    bounded = _bounded(_region_runs(results), getattr(objective, "bounded_iterates", None))
    L = L0 = L1 = G = front = None
    sampled_on, sampled = "not sampled", False
    dimension = results[0].x.shape[1]
    if dimension <= MAX_ESTIMATION_DIMENSION and getattr(objective, "hess", None) is not None:
        region = _region_runs(results)
        points, sampled_on = sample_sublevel_set(objective, np.atleast_2d(starts), region, rng, samples)
        sampled = True
        with np.errstate(all="ignore"):
            hessians = objective.hess(points)
            gradients = objective.grad(points)
        finite = np.isfinite(hessians).all(axis=(1, 2)) & np.isfinite(gradients).all(axis=1)
        hess_norms = np.linalg.norm(hessians[finite], ord=2, axis=(1, 2))
        grad_norms = np.linalg.norm(gradients[finite], axis=1)
        if hess_norms.size:
            L = estimate_L(hess_norms, sampled_on).value
            pareto = l0l1_pareto_front(grad_norms, hess_norms, sampled_on=sampled_on)
            L0, L1, front = pareto.L0, pareto.L1, pareto.vertices
            # T2 for memory/increase/dichotomy needs G >= every ||g_k|| of the run: sampled points,
            # starts and every recorded gradient norm of the Armijo runs
            along = [np.nanmax(r.trace.grad_norm) for r in region
                     if r.trace is not None and np.isfinite(r.trace.grad_norm).any()]
            G = float(max(grad_norms.max(), *(np.nanmax(r.grad_norm_initial) for r in results), *along))
    elif dimension > MAX_ESTIMATION_DIMENSION:
        sampled_on = f"not sampled: dimension {dimension} > {MAX_ESTIMATION_DIMENSION}"
    # Constants the registry knows exactly replace the sampled (lower) estimates.
    declared = dict(getattr(objective, "constants", None) or {})
    if "L" in declared:
        L = float(declared["L"])
    if "L0" in declared and "L1" in declared:
        L0, L1 = float(declared["L0"]), float(declared["L1"])
    lower = not {"L", "L0", "L1"} <= set(declared)  # some constant was sampled
    if declared:
        sampled_on = (f"{sampled_on}; the registry declares the exact "
                      + ", ".join(f"{key} = {value:g}" for key, value in declared.items()))
    return Hypotheses(
        function=getattr(objective, "name", "user"),
        analytic=getattr(objective, "analytic", None),
        analytic_reason=getattr(objective, "analytic_reason", ""),
        L=L, L0=L0, L1=L1, l0l1_front=front, grad_norm_max=G,
        f_star=f_star, f_star_source=source, bounded_iterates=bounded, sampled_on=sampled_on,
        lower_estimates=lower, bounded_below=bounded_below, bounded_below_reason=bounded_below_reason,
        sampled=sampled, f_star_known=bool(np.isfinite(f_star)),
    )


def univariate_polynomial_facts(objective):
    """Real critical points and the infimum of a univariate polynomial objective (SymPy, exact degree).

    Returns ``(critical, f_star)``: a list of ``(x, value)`` pairs, and ``inf f`` (None when
    the polynomial is unbounded below or the objective is not a univariate polynomial).
    """
    import sympy as sp

    expression = getattr(objective, "expression", None)
    if expression is None or len(getattr(objective, "variables", ())) != 1:
        return [], None
    symbol = sorted(expression.free_symbols, key=lambda s: s.name)
    if len(symbol) != 1 or not expression.is_polynomial(symbol[0]):
        return [], None
    polynomial = sp.Poly(sp.expand(expression), symbol[0])
    if polynomial.degree() < 1:
        return [], None
    derivative = polynomial.diff(symbol[0])
    coefficients = [float(c) for c in derivative.all_coeffs()]
    roots = [complex(r) for r in np.roots(coefficients)] if derivative.degree() >= 1 else []
    critical = [(r.real, float(polynomial.eval(r.real))) for r in roots if abs(r.imag) < 1e-7 * (1 + abs(r))]
    degree, leading = polynomial.degree(), float(polynomial.LC())
    bounded_below = degree % 2 == 0 and leading > 0
    f_star = min(value for _, value in critical) if bounded_below and critical else None
    return critical, f_star


def known_infimum(objective):
    """``(inf f, where it comes from)``: known (registry, user, or a univariate polynomial), else nan."""
    known = getattr(objective, "f_star", None)
    if known is not None and np.isfinite(known):
        return float(known), "known infimum"
    _, polynomial_inf = univariate_polynomial_facts(objective)
    if polynomial_inf is not None:
        return float(polynomial_inf), "known infimum (smallest critical value of the polynomial)"
    return float("nan"), "unknown: Delta per start from the limit point it reaches"


BOUNDED_BELOW_RTOL = 1e-9
"""The leading form of a polynomial is negative somewhere on the unit sphere when its smallest value
there is below this share of its largest magnitude (positive everywhere when above)."""


def bounded_below_facts(objective):
    """Whether ``f`` is bounded below, where it can be decided, and why: ``(True/False/None, reason)``.

    * a polynomial: unbounded when its leading homogeneous form ``P_D`` is negative in some unit
      direction ``u`` (``f(t u) -> -inf`` as ``t -> inf``; one variable: odd degree or a negative
      leading coefficient): the direction is a witness, so this holds whatever infimum is asserted;
    * a known infimum (registry, user): bounded;
    * a polynomial whose ``P_D`` is positive on the whole sphere (sampled: an angle grid in 2-D,
      seeded random directions above): bounded;
    * any expression that is a sum of terms bounded below term by term (constants, even powers,
      ``exp``, ``cosh``, ``|.|``, products of nonnegative factors with a positive constant, what
      SymPy proves nonnegative): bounded;
    * otherwise unknown (None).
    """
    import sympy as sp

    known = getattr(objective, "f_star", None)
    known_text = (f"inf f = {known:.6g} is known" if known is not None and np.isfinite(known) else None)
    expression = getattr(objective, "expression", None)
    if expression is None:
        return (True, known_text) if known_text else (None, "not decided (no expression)")
    symbols = sorted(expression.free_symbols, key=lambda s: s.name)
    positive_form = None
    if symbols and expression.is_polynomial(*symbols):
        polynomial = sp.Poly(sp.expand(expression), *symbols)
        degree = polynomial.total_degree()
        if degree >= 1:
            leading = sp.Add(*[coefficient * sp.Mul(*[s**e for s, e in zip(symbols, exponents)])
                               for exponents, coefficient in polynomial.terms() if sum(exponents) == degree])
            directions = (np.array([[1.0], [-1.0]]) if len(symbols) == 1 else
                          sphere_samples(len(symbols), 4096, seed=0))
            values = np.asarray(sp.lambdify([symbols], leading, "numpy")(directions.T), dtype=float)
            values = np.broadcast_to(values, (directions.shape[0],))
            scale = float(np.max(np.abs(values)))
            worst = int(np.argmin(values))
            if values[worst] < -BOUNDED_BELOW_RTOL * scale:
                where = (f"{symbols[0].name} -> " + ("-inf" if directions[worst, 0] < 0 else "+inf") if len(symbols) == 1
                         else "t -> inf along t (" + ", ".join(f"{v:.3g}" for v in directions[worst]) + ")")
                return False, f"a polynomial of degree {degree} whose leading terms tend to -inf as {where}"
            if values.min() > BOUNDED_BELOW_RTOL * scale:
                positive_form = f"a polynomial whose leading form of degree {degree} is positive in every direction"
    if known_text:
        return True, known_text
    if positive_form:
        return True, positive_form
    if _certainly_bounded_below(expression):
        return True, "a sum of terms each bounded below"
    return None, "not decided"


def _certainly_bounded_below(expression):
    """A syntactic certificate that ``expression`` is bounded below (see :func:`bounded_below_facts`)."""
    import sympy as sp

    if expression.is_number:
        return bool(expression.is_real)
    if expression.is_extended_nonnegative:
        return True
    if isinstance(expression, sp.Add):
        return all(_certainly_bounded_below(term) for term in expression.args)
    return _certainly_nonnegative(expression)


def _certainly_nonnegative(expression):
    import sympy as sp

    if expression.is_extended_nonnegative:
        return True
    if isinstance(expression, sp.Pow) and expression.exp.is_integer and expression.exp.is_even:
        return bool(expression.base.is_extended_real)
    if isinstance(expression, (sp.exp, sp.cosh, sp.Abs)):
        return True
    if isinstance(expression, sp.Mul):
        return all(_certainly_nonnegative(factor) for factor in expression.args)
    if isinstance(expression, sp.Add):
        return all(_certainly_nonnegative(term) for term in expression.args)
    return False


def _bounded(results, declared=None):
    """Bounded iterates: a registry tag False stays False; otherwise judged from the traces."""
    if declared is False:
        return False
    verdicts = []
    for result in results:
        if result.trace is None:
            continue
        if (result.status == "diverged").any():
            return False
        for start in range(result.starts):
            rows = np.flatnonzero(np.isfinite(result.trace.x_norm[:, start]))
            if rows.size < 4:
                continue
            estimate = iterates_bounded(result.trace.x_norm[rows, start], result.trace.iteration[rows])
            verdicts.append(bool(estimate.bounded[0]))
    if not verdicts:
        return None
    return all(verdicts)


# -- one run ------------------------------------------------------------------------------------


def _lojasiewicz_per_start(result, limits):
    """Per-start (K, gap_K, C, theta) from the tail of the trace; None where not estimable.

    ``f_*`` is the value of the start's verified limit point; without one, the estimator
    estimates the limit value itself from the tail.
    """
    estimates = []
    for start in range(result.starts):
        rows = _finite_rows(result.trace, start)
        if rows.size < 8 or result.status[start] not in ("converged", "max_iter"):
            estimates.append(None)
            continue
        f_values = result.trace.f[rows, start]
        grad_norms = result.trace.grad_norm[rows, start]
        f_limit = limits[start].value if limits[start].verified else None
        try:
            estimate = lojasiewicz_theta(f_values, grad_norms, f_limit,
                                         sampled_on=f"tail of the trace of start {start}")
        except ValueError:
            estimates.append(None)
            continue
        if not 0.0 < estimate.theta < 1.0:
            estimates.append(None)
            continue
        K_row = rows[estimate.window[0]]
        estimates.append({
            "estimate": estimate,
            "K": int(result.trace.iteration[K_row]),
            "gap_K": float(result.trace.f[K_row, start] - estimate.f_limit),
            "theta": float(estimate.theta),
            "C": float(estimate.C),
        })
    return estimates


def _group_iterates(result, starts, limit):
    """The recorded iterates of ``starts`` (and their last iterates) with their values, and the
    largest gap ``f - f(x*)`` among those whose gradient norm is below the largest threshold
    (the top level of the profile at the limit point); ``(None, None)`` without a trace."""
    members = list(starts)
    points, values, norms = [result.x[members]], [result.f[members]], [result.grad_norm[members]]
    if result.trace is not None and getattr(result.trace, "x", None) is not None:
        points.append(result.trace.x[:, members].reshape(-1, result.x.shape[1]))
        values.append(result.trace.f[:, members].ravel())
        norms.append(result.trace.grad_norm[:, members].ravel())
    points, values, norms = np.vstack(points), np.concatenate(values), np.concatenate(norms)
    usable = np.isfinite(points).all(axis=1) & np.isfinite(values) & np.isfinite(norms)
    points, values, norms = points[usable], values[usable], norms[usable]
    if not values.size:
        return None, None
    gaps = values - limit.value
    reached = (norms <= result.eps[0]) & (gaps > 0)
    return (points, values), (float(np.max(gaps[reached])) if reached.any() else None)


def _classified_check(checked, result, starts=None):
    """The check of a :class:`theory.hook.CheckedBound` on these counts, each classified (:mod:`theory.evidence`).

    Its kind is what the theorem module says (:func:`theory.theorems.check_kind`); a bound at or
    above the counts' budget (``max_iter`` for ``N(eps)``) is vacuous.  With an entry time ``K``
    per start, the ratios are ``(N - K) / (bound - K)``, the part of the count the bound constrains.
    ``starts``: the rows to check (all by default).
    """
    rows = slice(None) if starts is None else list(starts)
    entry = None if checked.entry is None else checked.entry[rows]
    return check_bound(checked.measured[rows], checked.bound[rows], theorem=checked.check,
                       kind=check_kind(checked.check, result.algorithm), budget=checked.budget,
                       offset=0.0 if entry is None else np.nan_to_num(entry)[:, None])


def run_verdict(groups, checks, predicted):
    """The verdict of a whole run from its groups (largest first) and its bound checks.

    The largest group's verdict stands, except that a violation anywhere (in a group, or a count
    above a bound over all starts) makes the run ``violated``, and an inconsistency in a smaller
    group makes it ``inconsistent`` (each reason names its group).
    """
    largest = groups[0]
    verdict = largest.verdict
    for name in ("violated", "inconsistent"):
        others = [(number, g) for number, g in enumerate(groups, 1) if g.verdict.verdict == name]
        if others and verdict.verdict not in ("violated", name):
            return Verdict(name, tuple(f"limit group {number}: {reason}" for number, g in others
                                       for reason in g.verdict.reasons), tuple(checks), largest.fit.exponent,
                           predicted)
    if any(not c.holds for c in checks) and verdict.verdict != "violated":
        return decide(checks, largest.fit, predicted)
    return verdict


DELTA_UNDER_ESTIMATE = "f(x0) - lowest value this start reached (an under-estimate: no limit verified)"
"""Where ``Delta`` comes from for a start without a verified limit and without a known ``inf f``."""


def start_deltas(result, limits, hypotheses):
    """Per-start ``Delta`` of T1/T2 and where it comes from (see the module docstring)."""
    deltas = np.full(result.starts, np.nan)
    sources = []
    known = hypotheses.f_star_known and np.isfinite(hypotheses.f_star)
    for start in range(result.starts):
        if result.status[start] == "diverged":
            sources.append("none: the start diverged")
            continue
        if limits[start].verified:
            deltas[start] = result.f_initial[start] - limits[start].value
            sources.append("f(x0) - f(limit point)")
        elif known:
            deltas[start] = result.f_initial[start] - hypotheses.f_star
            sources.append(f"f(x0) - inf f ({hypotheses.f_star_source})")
        else:
            reached = [result.f[start]]
            if result.trace is not None:
                reached.append(np.nanmin(np.append(result.trace.f[:, start], np.inf)))
            lowest = float(np.nanmin(reached)) if np.isfinite(reached).any() else np.nan
            deltas[start] = result.f_initial[start] - lowest
            sources.append(DELTA_UNDER_ESTIMATE)
    deltas = np.where(np.isfinite(deltas) & (deltas > 0), deltas, np.nan)
    return deltas, tuple(sources)


def _with_verdict(verdict, text, name="inconclusive"):
    return Verdict(name, (text,) + verdict.reasons, verdict.checks, verdict.fitted_exponent,
                   verdict.predicted_exponent)


def _group_verdict(checks, fit, predicted, statuses, applicable, why_not, diverged, prediction=None, agrees=None):
    verdict = decide(checks, fit, predicted, statuses)
    if agrees is False and verdict.verdict in ("consistent", "inconclusive"):
        expected = (prediction.model if prediction.model == "logarithmic"
                    else f"power {prediction.exponent:.4g}")
        disagreement = (f"the fit ({fit.model}) disagrees with the prediction from the limit point's theta "
                        f"({expected})")
        # only a confident fit (nothing voided its counts, no flag, no warning label) is inconsistent
        # with the prediction; a labelled fit's interval is not promised (theory.fit)
        if fit.labelled:
            disagreement += f", but the fit is labelled ({', '.join(fit.labels)}): not a confident basis"
        confident = verdict.verdict == "consistent" and not fit.labelled
        return _with_verdict(verdict, disagreement, "inconsistent" if confident else "inconclusive")
    if not applicable:
        return _with_verdict(verdict, why_not)
    if not any(check.n_checked for check in checks):
        return _with_verdict(verdict, "no count could be checked against a bound")
    if diverged and verdict.verdict == "consistent":
        return _with_verdict(verdict, "some starts diverged")
    return verdict


def _prediction_window(fit):
    """The eps range the prediction at the limit point is made for: the deepest nested tail of the fit.

    The fitted interval is a claim about ``eps -> 0`` read at the deepest thresholds (the drift of
    the shallower ones is extrapolated, :mod:`theory.fit`), so the local exponent is taken where
    those thresholds lie; a crossover there still makes the prediction inapplicable.  The whole
    window where the fit has no nested tails.
    """
    if fit.nested:
        low, high, _ = fit.nested[-1]
        if np.isfinite(low) and np.isfinite(high):
            return float(low), float(high)
    return fit.eps_lo, fit.eps_hi


def _unbounded_below_reason(limit, hypotheses):
    """Why T3's hypotheses on ``f_*`` fail at a limit of a function unbounded below."""
    if is_minimum(limit.kind):
        nature = f"a local minimum ({limit.kind}) only"
    elif limit.point.size == 1 and limit.kind == "degenerate saddle":
        nature = "an inflection point (a degenerate saddle), not a minimum"
    else:
        nature = f"a {limit.kind}, not a minimum"
    if np.isfinite(hypotheses.f_star):
        used = f"the bounds are evaluated with the asserted f_* = {hypotheses.f_star:.6g}, which f goes below"
    else:
        used = "the bounds are evaluated with f_* = f(x*), the value the run converges to"
    return (f"f is unbounded below ({hypotheses.bounded_below_reason}): the limit point is {nature}, "
            f"inf f = -inf, and T3's hypotheses on f_* do not hold ({used})")


def _short_statuses(result, fit, starts):
    """Statuses of the starts that stopped before the smallest threshold of the fit window."""
    eps, hits = result.eps, result.eps_hits[list(starts)]
    if np.isfinite(fit.eps_lo):
        column = int(np.argmin(np.abs(np.log(eps) - np.log(fit.eps_lo))))
        short = hits[:, column] < 0
    else:
        short = np.ones(len(starts), dtype=bool)
    return tuple(result.status[list(starts)][short].tolist())


def _why_unchecked(check, module, run):
    """Why a check that applies could check no count: no threshold reached, else the theorem's reason."""
    result = run.result
    if not (result.eps_hits >= 0).any():
        statuses = ", ".join(f"{name} {count}" for name, count in result.status_counts().items() if count)
        return f"no threshold was reached (statuses: {statuses})"
    return module.why_unchecked(check, run) or "no count where the bound is defined"


def _local_estimates(objective, result, group_list, fit_seed):
    """The Lojasiewicz exponent and constant at the verified limit point of every group (starts -> estimate)."""
    local = {}
    for group in group_list:
        if group.limit.verified:
            iterates, top_level = _group_iterates(result, group.starts, group.limit)
            local[group.starts] = lojasiewicz_at(objective, group.limit, seed=fit_seed, iterates=iterates,
                                                 top_level=top_level)
    return local


def assess_group(group, run, checked, *, predicted, two_regime, applicable, why_not, fit_seed=0):
    """Rate, checks and verdict of the starts of one limit group.

    Parameters
    ----------
    group : theory.limits.LimitGroup
        The starts that share one limit point.
    run : theory.hook.RunFacts
        The run and what was computed on it once.
    checked : sequence of theory.hook.CheckedBound
        Every bound evaluated on the run (all starts).
    predicted : float
        Largest exponent the applicable theorems allow on the run.
    two_regime : bool
        Whether some bound has two regimes (the fit also tries that model).
    applicable : bool
        Whether some theorem covers the run.
    why_not : str
        Why none does (quoted in the verdict when ``applicable`` is False).
    fit_seed : int
        Seed of the bootstrap.

    Returns
    -------
    GroupAssessment
    """
    result, hypotheses = run.result, run.hypotheses
    members = list(group.starts)
    fit = fit_rate(result.eps, result.eps_hits[members], two_regime=two_regime, seed=fit_seed)
    group_checks = tuple(_classified_check(bound, result, members) for bound in checked)
    thetas = [run.lojasiewicz[start]["theta"] for start in members
              if run.lojasiewicz and run.lojasiewicz[start] is not None]
    local = run.local.get(group.starts)
    prediction = agrees = None
    if local is not None:
        settled = result.trace is not None and all(steps_settled(result.trace.step[:, start]) for start in members)
        prediction = predict(local, settled, window=_prediction_window(fit))
        agrees = agreement(prediction, fit)
    diverged = bool((result.status == "diverged").any())
    verdict = _group_verdict(group_checks, fit, predicted, _short_statuses(result, fit, members),
                             applicable, why_not, diverged, prediction, agrees)
    if hypotheses.bounded_below is False and group.limit.verified:
        verdict = _with_verdict(verdict, _unbounded_below_reason(group.limit, hypotheses), verdict.verdict)
    return GroupAssessment(limit=group.limit, starts=group.starts, fit=fit,
                           theta=float(np.median(thetas)) if thetas else None, predicted_exponent=predicted,
                           checks=group_checks, verdict=verdict, local=local, prediction=prediction, agreement=agrees)


def _two_regime_fit(result):
    """The two-regime fit of the median ``N(eps)`` over the starts (None with fewer than 3 usable thresholds)."""
    eps, hits = result.eps, result.eps_hits
    median = np.array([np.median(col[col >= 0]) if (col >= 0).any() else np.nan for col in hits.T])
    with np.errstate(over="ignore"):
        usable = np.isfinite(median) & (median > 0) & np.isfinite(eps**-2.0)
    if usable.sum() >= 3:
        return fit_two_regime(eps[usable], median[usable])
    return None


def assess_run(objective, result, hypotheses, *, fit_seed=0):
    """Name every start's limit point, check every applicable bound, fit per limit point, decide.

    Every theorem of :data:`theory.theorems.THEOREMS` that covers the algorithm evaluates its
    bounds through its ``checks`` hook (:mod:`theory.hook`); none is named here.

    Parameters
    ----------
    objective : functions.Objective
        The objective.
    result : armijo.RunResult
        A run (with a trace, for T3 and boundedness).
    hypotheses : Hypotheses
        From :func:`estimate_hypotheses` on the same objective.
    fit_seed : int
        Seed of the bootstrap.

    Returns
    -------
    Assessment
        ``groups`` largest first; ``fit`` and ``verdict`` of the whole run are those of the
        largest group, except that a violation in any group makes the run ``violated``.
    """
    algorithm = result.algorithm
    applicable = theorems_for(algorithm)
    has_gradient = getattr(objective, "differentiability", Differentiability.UNKNOWN).has_gradient
    if not has_gradient:
        # every theorem of the suite assumes a (locally Lipschitz) gradient
        applicable = {}
    limits = limit_points(objective, result, seed=fit_seed)
    delta, delta_source = start_deltas(result, limits, hypotheses)
    lojasiewicz = ()
    if result.trace is not None and result.trace.iteration.size:
        lojasiewicz = tuple(_lojasiewicz_per_start(result, limits))
    group_list = group_starts(limits)
    run = RunFacts(result=result, hypotheses=hypotheses, limits=limits, delta=delta, lojasiewicz=lojasiewicz,
                   local=_local_estimates(objective, result, group_list, fit_seed),
                   # boundedness of this run's iterates (a diverging baseline says nothing about armijo's)
                   bounded=_bounded([result], getattr(objective, "bounded_iterates", None)))
    said = {label: module.checks(run) for label, module in applicable.items()}
    checked = [bound for theorem in said.values() for bound in theorem.bounds]
    module_of = {bound.check: applicable[label] for label, theorem in said.items() for bound in theorem.bounds}
    bounds = {bound.check: bound.bound for bound in checked}
    entry = {bound.check: bound.entry for bound in checked if bound.entry is not None}
    checks = [_classified_check(bound, result) for bound in checked]
    unchecked = {check.theorem: _why_unchecked(check.theorem, module_of[check.theorem], run)
                 for check in checks if not check.n_checked}
    notes = []
    if not hypotheses.sampled:
        sampled = ", ".join(dict.fromkeys(theorem for theorem, source in CHECKS.values() if source == "sampled"))
        notes.append(f"{sampled} not checked: constants {hypotheses.sampled_on}")
    unverified = [start for start, source in enumerate(delta_source) if source == DELTA_UNDER_ESTIMATE]
    if unverified and bounds:
        notes.append(f"{len(unverified)} start(s) without a verified limit point and no known inf f: "
                     "their Delta uses the lowest value they reached (bounds under-estimated)")
    two_regime = any(theorem.two_regime for theorem in said.values())
    exponents = [theorem.predicted_exponent for theorem in said.values() if theorem.predicted_exponent is not None]
    predicted = float(min(exponents)) if exponents else float("nan")
    why_not = (f"{getattr(objective, 'name', 'f')} is not C^1: no theorem of the suite applies"
               if not has_gradient else coverage(algorithm))
    groups = [assess_group(group, run, checked, predicted=predicted, two_regime=two_regime,
                           applicable=bool(applicable), why_not=why_not, fit_seed=fit_seed)
              for group in group_list]
    verdict = run_verdict(groups, checks, predicted)
    return Assessment(algorithm=algorithm, bounds=bounds, checks=tuple(checks), fit=groups[0].fit,
                      two_regime=_two_regime_fit(result) if two_regime else None, lojasiewicz=lojasiewicz,
                      predicted_exponent=predicted, verdict=verdict, notes=tuple(notes), limits=limits,
                      groups=tuple(groups), delta=delta, delta_source=delta_source, unchecked=unchecked, entry=entry)
