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

from theory import t1_lsmooth, t2_l0l1, t3_lojasiewicz, t4_oracle
from theory.estimators import estimate_L, iterates_bounded, l0l1_pareto_front, lojasiewicz_theta
from theory.fit import fit_rate, fit_two_regime
from theory.limits import group_starts, limit_points
from theory.local_rate import agreement, lojasiewicz_at, predict, steps_settled
from theory.theorems import check_kind, coverage, theorems_for
from theory.verdict import Verdict, check_bound, decide

#: Points sampled in the sublevel set to estimate L and (L0, L1).
ESTIMATION_SAMPLES = 4000
#: Above this dimension, Hessian norms are not sampled (too costly): T1/T2 not checked.
MAX_ESTIMATION_DIMENSION = 64
#: Relative padding of the sampled box around the starts and last iterates.
BOX_PADDING = 0.1


@dataclass(frozen=True)
class Hypotheses:
    """What is known or estimated about the objective, with the set it was estimated on."""

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


@dataclass(frozen=True, eq=False)
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


@dataclass(frozen=True)
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
    line_search = [r for r in results if r.algorithm in t1_lsmooth.APPLIES_TO]
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
    bounded = _bounded(_region_runs(results), getattr(objective, "bounded_iterates", None))
    L = L0 = L1 = G = front = None
    sampled_on = "not sampled"
    dimension = results[0].x.shape[1]
    if dimension <= MAX_ESTIMATION_DIMENSION and getattr(objective, "hess", None) is not None:
        region = _region_runs(results)
        points, sampled_on = sample_sublevel_set(objective, np.atleast_2d(starts), region, rng, samples)
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
        lower_estimates=lower,
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


def _why_unchecked(theorem, result, delta, lojasiewicz, limits, locals_):
    """Why a theorem that applies could check no count: the statuses, the window or the hypothesis."""
    reached = result.eps_hits >= 0
    statuses = ", ".join(f"{name} {count}" for name, count in result.status_counts().items() if count)
    if not reached.any():
        return f"no threshold was reached (statuses: {statuses})"
    if theorem in ("T1", "T2") and not np.isfinite(delta).any():
        return "Delta is unknown for every start (diverged, or no limit and no known inf f)"
    if theorem == "T3":
        if not any(estimate is not None for estimate in lojasiewicz):
            return ("no start has a Lojasiewicz estimate on the tail of its trace (it needs a converged or "
                    f"max_iter start with 8 recorded points or more; statuses: {statuses})")
        return "every threshold was reached before the tail window of the estimate began (K)"
    if theorem == "T3-point":
        kinds = sorted({limit.kind for limit in limits})
        if not any(limit.verified for limit in limits):
            return "no start has a verified limit point"
        if not any(kind.endswith("minimum") for kind in kinds):
            return (f"the limit points are {', '.join(kinds)}: their neighbourhood is not a sublevel set "
                    "(T3 with limit-point constants covers minima)")
        if not any(np.isfinite(local.theta) for local in locals_.values()):
            return "no Lojasiewicz exponent could be read at the limit points"
        return "the runs entered the sampled neighbourhood of their limit only after the last threshold"
    return "no count where the bound is defined"


def _t3_point_bound(result, start, limit, local, hypotheses, lam, f1, eta0, f2):
    """T3 for one start with the limit point's constants (``theory.local_rate``) and its entry time ``K``.

    ``K`` is the first recorded iteration from which the recorded iterates stay in the outer
    sampled ball, with ``f(x_K) - f(x*)`` below the smallest gap on its sphere (minima only).
    Returns ``(bound, K)``: the bound is inf and ``K`` nan where not defined.
    """
    eps = result.eps
    nothing = (np.full(eps.size, np.inf), np.nan)
    if (local is None or not limit.verified or not np.isfinite(local.theta) or not np.isfinite(local.C)
            or not local.neighbourhood_gap > 0 or not 0.0 < local.theta < 1.0):
        return nothing
    gaps = result.trace.f[:, start] - limit.value
    recorded = np.isfinite(gaps)
    in_ball = np.linalg.norm(result.trace.x[:, start] - limit.point, axis=1) <= local.radius
    # from K on: every recorded iterate in the ball, and the gap below the sphere's smallest
    stays = np.flatnonzero(np.logical_and.accumulate((in_ball | ~recorded)[::-1])[::-1]
                           & recorded & (gaps < local.neighbourhood_gap))
    if not stays.size:
        return nothing
    K = int(result.trace.iteration[stays[0]])
    gap_K = max(float(gaps[stays[0]]), 0.0)
    algorithm = result.algorithm
    eta_min = t1_lsmooth.min_accepted_step(eps if algorithm == "armijo-normalized" else None, L=hypotheses.L,
                                           lam=lam, f1=f1, eta0=eta0, variant=algorithm, f2=f2)
    bound = t3_lojasiewicz.iteration_bound(eps, K=K, gap_K=gap_K, C=local.C, theta=local.theta, lam=lam,
                                           eta_min=eta_min, variant=algorithm)
    return np.where(result.eps_hits[start] >= K, bound, np.inf), K


def _classified_check(theorem, measured, bound, result, entry=None):
    """The check of ``theorem`` on these counts, each classified (:mod:`theory.evidence`).

    Its kind is what the theorem module says (:func:`theory.theorems.check_kind`); ``N(eps)``
    cannot exceed the run's iteration budget ``max_iter``, so a bound at or above it is vacuous;
    T4's evaluations have no budget (the engine does not cap the backtracks).  ``entry``: per
    start, T3's entry time ``K`` read from the trace; the ratios are then ``(N - K) / (bound - K)``,
    the part of the count the bound constrains.
    """
    return check_bound(measured, bound, theorem=theorem, kind=check_kind(theorem, result.algorithm),
                       budget=None if theorem == "T4" else result.max_iter,
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


def start_deltas(result, limits, hypotheses):
    """Per-start ``Delta`` of T1/T2 and where it comes from (see the module docstring)."""
    deltas = np.full(result.starts, np.nan)
    sources = []
    known = hypotheses.f_star_source.startswith("known") and np.isfinite(hypotheses.f_star)
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
            sources.append("f(x0) - lowest value this start reached (an under-estimate: no limit verified)")
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
        # only a confident fit (nothing voided its counts, no flag) is inconsistent with the prediction
        return _with_verdict(verdict, disagreement,
                             "inconsistent" if verdict.verdict == "consistent" else "inconclusive")
    if not applicable:
        return _with_verdict(verdict, why_not)
    if not any(check.n_checked for check in checks):
        return _with_verdict(verdict, "no count could be checked against a bound")
    if diverged and verdict.verdict == "consistent":
        return _with_verdict(verdict, "some starts diverged")
    return verdict


def _short_statuses(result, fit, starts):
    """Statuses of the starts that stopped before the smallest threshold of the fit window."""
    eps, hits = result.eps, result.eps_hits[list(starts)]
    if np.isfinite(fit.eps_lo):
        column = int(np.argmin(np.abs(np.log(eps) - np.log(fit.eps_lo))))
        short = hits[:, column] < 0
    else:
        short = np.ones(len(starts), dtype=bool)
    return tuple(result.status[list(starts)][short].tolist())


def assess_run(objective, result, hypotheses, *, fit_seed=0):
    """Name every start's limit point, check every applicable bound, fit per limit point, decide.

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
    params = result.params
    algorithm = result.algorithm
    applicable = theorems_for(algorithm)
    smoothness = str(getattr(objective, "smoothness", "") or "")
    if "not C^1" in smoothness:
        # every theorem of the suite assumes a (locally Lipschitz) gradient
        applicable = {}
    eps = result.eps
    hits = result.eps_hits
    limits = limit_points(objective, result, seed=fit_seed)
    delta, delta_source = start_deltas(result, limits, hypotheses)
    bounds, checks, notes, entry = {}, [], [], {}
    lam, f1, eta0, f2 = params.get("lam"), params.get("f1"), params.get("eta0"), params.get("f2")
    step_floor = None
    if "T1" in applicable and hypotheses.L:
        bounds["T1"] = np.vstack([
            t1_lsmooth.iteration_bound(eps, delta=d, L=hypotheses.L, lam=lam, f1=f1, eta0=eta0,
                                       variant=algorithm, f2=f2) if np.isfinite(d) else np.full(eps.size, np.inf)
            for d in delta])
        if algorithm != "armijo-normalized":
            step_floor = float(t1_lsmooth.min_accepted_step(L=hypotheses.L, lam=lam, f1=f1, eta0=eta0,
                                                            variant=algorithm, f2=f2))
    if ("T2" in applicable and hypotheses.L0 is not None and hypotheses.L1 is not None
            and hypotheses.L0 + hypotheses.L1 > 0):
        bounds["T2"] = np.vstack([
            t2_l0l1.iteration_bound(eps, delta=d, L0=hypotheses.L0, L1=hypotheses.L1, lam=lam, f1=f1,
                                    eta0=eta0, variant=algorithm, grad_norm_max=hypotheses.grad_norm_max,
                                    f2=f2) if np.isfinite(d) else np.full(eps.size, np.inf)
            for d in delta])
    lojasiewicz = ()
    # boundedness of this run's iterates (a diverging baseline says nothing about armijo's)
    bounded_here = _bounded([result], getattr(objective, "bounded_iterates", None))
    t3_applies = "T3" in applicable and hypotheses.analytic and bounded_here
    if result.trace is not None and result.trace.iteration.size:
        lojasiewicz = tuple(_lojasiewicz_per_start(result, limits))
    group_list = group_starts(limits)
    locals_ = {}
    for group in group_list:
        if group.limit.verified:
            locals_[group.starts] = lojasiewicz_at(objective, group.limit, seed=fit_seed)
    if t3_applies and result.trace is not None and hypotheses.L:
        rows, point_rows = [], []
        entry["T3"], entry["T3-point"] = np.full(result.starts, np.nan), np.full(result.starts, np.nan)
        for start, estimate in enumerate(lojasiewicz):
            if estimate is None:
                rows.append(np.full(eps.size, np.inf))
                continue
            entry["T3"][start] = estimate["K"]
            eta_min = t1_lsmooth.min_accepted_step(eps if algorithm == "armijo-normalized" else None,
                                                   L=hypotheses.L, lam=lam, f1=f1, eta0=eta0,
                                                   variant=algorithm, f2=f2)
            bound = t3_lojasiewicz.iteration_bound(eps, K=estimate["K"], gap_K=estimate["gap_K"],
                                                   C=estimate["C"], theta=estimate["theta"], lam=lam,
                                                   eta_min=eta_min, variant=algorithm)
            # the bound speaks of thresholds reached after entering the neighbourhood
            rows.append(np.where(hits[start] >= estimate["K"], bound, np.inf))
        bounds["T3"] = np.vstack(rows)
        for start in range(result.starts):
            bound, entry["T3-point"][start] = _t3_point_bound(
                result, start, limits[start], next((local for members, local in locals_.items() if start in members),
                                                   None), hypotheses, lam, f1, eta0, f2)
            point_rows.append(bound)
        bounds["T3-point"] = np.vstack(point_rows)
    measured = {}
    for theorem in ("T1", "T2", "T3", "T3-point"):
        if theorem in bounds:
            measured[theorem] = hits
    if "T4" in applicable and hypotheses.L:
        threshold = float(t1_lsmooth.step_threshold(L=hypotheses.L, lam=lam))
        if algorithm == "armijo-normalized":
            # normalized steps are bounded below in terms of ||g||: while ||g_k|| > eps_j,
            # eta_k >= min(eta0, 2 (1 - lam) eps_j / (f1 L)), one floor per threshold
            eta_min = np.asarray(t1_lsmooth.min_accepted_step(eps, L=hypotheses.L, lam=lam, f1=f1, eta0=eta0,
                                                              variant=algorithm, f2=f2), dtype=float)
        else:
            eta_min = step_floor
        measured_iterations = np.where(hits >= 0, hits, 0)
        bound = np.asarray(t4_oracle.f_evals_bound(
            measured_iterations, variant=algorithm, eta0=eta0, f1=f1, f2=f2,
            eta_min=eta_min, step_threshold=threshold), dtype=float)
        bounds["T4"] = np.where(hits >= 0, bound, np.nan)  # no count, no bound
        measured["T4"] = result.eps_hit_f_evals
    checks = [_classified_check(theorem, measured[theorem], bounds[theorem], result, entry.get(theorem))
              for theorem in measured]
    unchecked = {check.theorem: _why_unchecked(check.theorem, result, delta, lojasiewicz, limits, locals_)
                 for check in checks if not check.n_checked}
    if hypotheses.sampled_on.startswith("not sampled"):
        notes.append(f"T1, T2, T4 not checked: constants {hypotheses.sampled_on}")
    unverified = [start for start, source in enumerate(delta_source) if "under-estimate" in source]
    if unverified and bounds:
        notes.append(f"{len(unverified)} start(s) without a verified limit point and no known inf f: "
                     "their Delta uses the lowest value they reached (bounds under-estimated)")

    two_regime = None
    if "T2" in bounds:
        median = np.array([np.median(col[col >= 0]) if (col >= 0).any() else np.nan for col in hits.T])
        with np.errstate(over="ignore"):
            usable = np.isfinite(median) & (median > 0) & np.isfinite(eps**-2.0)
        if usable.sum() >= 3:
            two_regime = fit_two_regime(eps[usable], median[usable])
    if t3_applies:
        predicted = 1.0
    elif bounds.get("T1") is not None or bounds.get("T2") is not None:
        predicted = 2.0
    else:
        predicted = float("nan")
    why_not = (f"{getattr(objective, 'name', 'f')} is not C^1: no theorem of the suite applies"
               if "not C^1" in smoothness else coverage(algorithm))
    diverged = bool((result.status == "diverged").any())
    groups = []
    for group in group_list:
        members = list(group.starts)
        fit = fit_rate(eps, hits[members], two_regime="T2" in bounds, seed=fit_seed)
        group_checks = tuple(_classified_check(theorem, measured[theorem][members], bounds[theorem][members], result,
                                               None if theorem not in entry else entry[theorem][members])
                             for theorem in measured)
        thetas = [lojasiewicz[start]["theta"] for start in members
                  if lojasiewicz and lojasiewicz[start] is not None]
        local = locals_.get(group.starts)
        prediction = agrees = None
        if local is not None:
            settled = result.trace is not None and all(steps_settled(result.trace.step[:, start])
                                                       for start in members)
            prediction = predict(local, settled)
            agrees = agreement(prediction, fit)
        verdict = _group_verdict(group_checks, fit, predicted, _short_statuses(result, fit, members),
                                 bool(applicable), why_not, diverged, prediction, agrees)
        groups.append(GroupAssessment(group.limit, group.starts, fit,
                                      float(np.median(thetas)) if thetas else None, predicted,
                                      group_checks, verdict, local, prediction, agrees))
    largest = groups[0]
    verdict = run_verdict(groups, checks, predicted)
    return Assessment(algorithm=algorithm, bounds=bounds, checks=tuple(checks), fit=largest.fit,
                      two_regime=two_regime, lojasiewicz=lojasiewicz, predicted_exponent=predicted,
                      verdict=verdict, notes=tuple(notes), limits=limits, groups=tuple(groups),
                      delta=delta, delta_source=delta_source, unchecked=unchecked, entry=entry)
