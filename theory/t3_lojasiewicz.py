r"""T3: O(1/eps) iteration bound under the Lojasiewicz inequality (analytic f, bounded iterates).

Setting
-------
``f`` real analytic, iterates bounded, converging to a critical point ``x*`` with value
``f_* = f(x*)``.  From iteration ``K`` on the iterates stay in a neighbourhood of ``x*``
where the Lojasiewicz inequality holds:

.. math:: |f(x) - f_*|^{\theta} \le C \|\nabla f(x)\|, \qquad \theta \in [1/2, 1).

Accepted steps are bounded below on the tail: ``eta_k >= eta_min`` for ``k >= K`` (T1/T2
give ``eta_min``: ``min(eta0, 2(1-lam)/(f1 L))``, or ``min(eta0, etabar(G)/f1)`` with ``G``
the largest gradient norm on the bounded set of iterates).

Algorithms covered
------------------
``armijo``, ``armijo-memory``, ``armijo-increase``, ``armijo-dichotomy`` (test
``f(x_{k+1}) <= f(x_k) - lam eta_k ||g_k||^2``), and ``armijo-normalized`` (test
``f(x_{k+1}) <= f(x_k) - lam eta_k ||g_k||``) with its own form below.

Bound
-----
With ``phi(s) = C s^(1-theta) / (1-theta)`` and ``gap_K = f(x_K) - f_*``:

.. math::

    N(\varepsilon) \le K + \frac{C\,\mathrm{gap}_K^{1-\theta}}
        {(1-\theta)\,\lambda\,\eta_{\min}\,\varepsilon}
    \qquad\text{(gradient direction)},

.. math::

    N(\varepsilon) \le K + \frac{C\,\mathrm{gap}_K^{1-\theta}}
        {(1-\theta)\,\lambda\,\eta_{\min}(\varepsilon)}
    \qquad\text{(armijo-normalized)},

where for ``armijo-normalized`` ``eta_min(eps) = min(eta0, etabar_N(eps)/f1)`` (T2) is
itself of order ``eps`` for small ``eps``, so both are ``O(1/eps)``.  Symbols: ``K`` =
``K``, ``gap_K`` = ``gap_K``, ``C`` = ``C``, ``theta`` = ``theta``, ``lam`` = ``lam``,
``eta_min`` = ``eta_min``, ``eps`` = ``eps``.

Derivation
----------
Write ``r_k = f(x_k) - f_* >= 0`` (non-increasing).  ``phi`` is concave with
``phi'(r) = C r^-theta >= 1/||g_k||`` by the inequality, so
``phi(r_k) - phi(r_{k+1}) >= phi'(r_k)(r_k - r_{k+1}) >= (r_k - r_{k+1}) / ||g_k||``.
The Armijo decrease ``r_k - r_{k+1} >= lam eta_k ||g_k||^2`` gives
``phi(r_k) - phi(r_{k+1}) >= lam eta_k ||g_k||``; summing from ``K`` (finite length):
``lam sum_{k>=K} eta_k ||g_k|| <= phi(gap_K)``.  For ``K <= k < N(eps)``,
``eta_k ||g_k|| > eta_min eps``, so ``(N - K) lam eta_min eps <= phi(gap_K)``.
Normalized test: ``r_k - r_{k+1} >= lam eta_k ||g_k||`` gives ``phi(r_k) - phi(r_{k+1})
>= lam eta_k`` and ``(N - K) lam eta_min(eps) <= phi(gap_K)``.  SCIENCE.md's T3:
checked, correct.  Crossing several critical values adds one such term per value.

References
----------
Lojasiewicz (1963); Absil, Mahony, Andrews, SIAM J. Optim. 16(2) 2005; Attouch & Bolte,
Math. Prog. 2009; B. Bensaid, arXiv:2412.14637 (2024).  The bound with explicit constants:
SCIENCE.md section 4; theta at a limit point and where a prediction applies: section 7.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory._common import (
    VARIANTS,
    as_eps,
    check_nonnegative,
    check_positive,
    check_variant,
    shaped,
)
from theory import t1_lsmooth
from theory.hook import CheckedBound, RunFacts, TheoremChecks
from theory.limits import is_minimum

APPLIES_TO = VARIANTS
"""Algorithm names the bound covers (given a lower bound ``eta_min`` on tail steps)."""

HYPOTHESES = (
    "f real analytic (or any f satisfying the Lojasiewicz inequality with exponent theta "
    "in [1/2, 1) and constant C near the limit x*), bounded iterates converging to x*, "
    "iterates in the Lojasiewicz neighbourhood from iteration K on, accepted steps >= "
    "eta_min on the tail."
)
"""Hypotheses of T3, in words."""

CONSTANTS = ("K", "gap_K", "C", "theta", "lam", "eta_min")
"""Constants the bound needs."""

CONSTANT_SOURCES = ("trace", "limit point")
"""Where ``C`` and ``theta`` may come from: the tail of the run's own trace, or the limit point."""


def evidence_kind(variant: str, constants: str) -> str:
    """What a check of this bound is (:mod:`theory.evidence`): it depends on where ``C, theta`` come from.

    * ``"trace"``: ``C`` is the largest ``gap^theta / ||g||`` over the tail of the very trace whose
      counts the bound checks (:func:`theory.estimators.lojasiewicz_theta`), so the inequality holds
      at those iterates by construction and the derivation can fail only through the minimum step:
      a ``"restatement"`` of the run.
    * ``"limit point"``: ``C`` and ``theta`` are estimated at the limit point itself, independently of
      the run (:mod:`theory.local_rate`): a ``"bound"``, informative where it lies below the budget.
      (``K`` and ``gap_K`` still come from the trace: the measured/bound ratio of a threshold reached
      just after ``K`` is close to 1 by construction, ``K / (K + tail)``.)

    Parameters
    ----------
    variant : str
        One of :data:`APPLIES_TO`.
    constants : str
        One of :data:`CONSTANT_SOURCES`.
    """
    check_variant(variant)
    if constants not in CONSTANT_SOURCES:
        raise ValueError(f"constants must be one of {CONSTANT_SOURCES}, got {constants!r}")
    return "restatement" if constants == "trace" else "bound"


def desingularizer(s, *, C: float, theta: float):
    """``phi(s) = C s^(1-theta) / (1-theta)``."""
    _check(C=C, theta=theta)
    s_array = np.asarray(s, dtype=float)
    check_nonnegative(s=s_array)
    return shaped(C * s_array ** (1.0 - theta) / (1.0 - theta), s)


def finite_length_bound(*, gap_K: float, C: float, theta: float, lam: float) -> float:
    """Bound ``phi(gap_K) / lam`` on ``sum_{k>=K} eta_k ||g_k||`` (the path length)."""
    return float(desingularizer(gap_K, C=C, theta=theta)) / lam


def _check(*, C: float, theta: float) -> None:
    check_positive(C=C)
    if not 0.0 < theta < 1.0:
        raise ValueError(f"theta must be in (0, 1), got {theta}")


def iteration_bound(eps, *, K: int, gap_K: float, C: float, theta: float, lam: float,
                    eta_min, variant: str = "armijo"):
    """Upper bound on ``N(eps)`` from the Lojasiewicz inequality.

    Parameters
    ----------
    eps : float or array_like
        Gradient-norm thresholds, ``> 0``.
    K : int
        Entry iteration into the Lojasiewicz neighbourhood.
    gap_K : float
        ``f(x_K) - f_*``, ``>= 0``.
    C, theta : float
        Lojasiewicz constant and exponent.
    lam : float
        Armijo parameter.
    eta_min : float or array_like
        Lower bound on the accepted steps for ``k >= K`` (for ``armijo-normalized``, the
        bound at ``eps``, shaped like ``eps``).
    variant : str
        One of :data:`APPLIES_TO`.

    Returns
    -------
    float or ndarray
        The bound, shaped like ``eps``.

    Examples
    --------
    ``K`` plus the path length after ``K`` (at most ``phi(gap_K) / lam = 4`` here) over the
    length of one step, at least ``eta_min eps``: ``10 + 4 / (0.5 * 0.1) = 90``.

    >>> float(iteration_bound(0.1, K=10, gap_K=1.0, C=1.0, theta=0.5, lam=0.5, eta_min=0.5))
    90.0
    """
    check_variant(variant)
    _check(C=C, theta=theta)
    check_positive(eta_min=eta_min, lam=lam)
    check_nonnegative(K=K, gap_K=gap_K)
    eps_array = as_eps(eps)
    tail = finite_length_bound(gap_K=gap_K, C=C, theta=theta, lam=lam) / np.asarray(
        eta_min, dtype=float)
    if variant == "armijo-normalized":
        return shaped(K + tail * np.ones_like(eps_array), eps)
    return shaped(K + tail / eps_array, eps)


def checks(run: RunFacts) -> TheoremChecks:
    """The bound on ``N(eps)`` of every start of ``run`` (:mod:`theory.hook`), two ways.

    Where ``f`` is analytic and the run's iterates stayed bounded, the theorem allows exponent 1.
    With a trace and ``L`` (for the minimal accepted step of T1), two checks:

    * ``"T3"``: ``K, f(x_K) - f_*, C, theta`` read per start on the tail of its trace;
    * ``"T3-point"``: ``C, theta`` estimated at the start's limit point
      (:func:`limit_point_bound`).

    Both bound only the thresholds reached after the entry time ``K``.
    """
    hypotheses, result = run.hypotheses, run.result
    if not (hypotheses.analytic and run.bounded):
        return TheoremChecks()
    if result.trace is None or not hypotheses.L:
        return TheoremChecks(predicted_exponent=1.0)
    eps, hits, algorithm = result.eps, result.eps_hits, run.algorithm
    search = run.line_search
    rows, point_rows = [], []
    entry, point_entry = np.full(result.starts, np.nan), np.full(result.starts, np.nan)
    for start, estimate in enumerate(run.lojasiewicz):
        if estimate is None:
            rows.append(np.full(eps.size, np.inf))
            continue
        entry[start] = estimate["K"]
        eta_min = t1_lsmooth.min_accepted_step(eps if algorithm == "armijo-normalized" else None,
                                               L=hypotheses.L, variant=algorithm, **search)
        bound = iteration_bound(eps, K=estimate["K"], gap_K=estimate["gap_K"], C=estimate["C"],
                                theta=estimate["theta"], lam=search["lam"], eta_min=eta_min, variant=algorithm)
        # the bound speaks of thresholds reached after entering the neighbourhood
        rows.append(np.where(hits[start] >= estimate["K"], bound, np.inf))
    for start in range(result.starts):
        bound, point_entry[start] = limit_point_bound(run, start)
        point_rows.append(bound)
    return TheoremChecks(
        bounds=(CheckedBound(check="T3", measured=hits, bound=np.vstack(rows), budget=result.max_iter, entry=entry),
                CheckedBound(check="T3-point", measured=hits, bound=np.vstack(point_rows), budget=result.max_iter,
                             entry=point_entry)),
        predicted_exponent=1.0)


def limit_point_bound(run: RunFacts, start: int):
    """T3 for one start with its limit point's constants (:mod:`theory.local_rate`) and its entry time ``K``.

    ``K`` is the first recorded iteration from which the recorded iterates stay in the outer
    sampled ball, with ``f(x_K) - f(x*)`` below the smallest gap on its sphere (minima only).
    Returns ``(bound, K)``: the bound is inf and ``K`` nan where not defined.
    """
    result, limit, local = run.result, run.limits[start], run.local_at(start)
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
    algorithm, search = run.algorithm, run.line_search
    eta_min = t1_lsmooth.min_accepted_step(eps if algorithm == "armijo-normalized" else None,
                                           L=run.hypotheses.L, variant=algorithm, **search)
    bound = iteration_bound(eps, K=K, gap_K=gap_K, C=local.C, theta=local.theta, lam=search["lam"],
                            eta_min=eta_min, variant=algorithm)
    return np.where(result.eps_hits[start] >= K, bound, np.inf), K


def why_unchecked(check: str, run: RunFacts) -> str | None:
    """Why a check checked no count: no tail estimate, no limit point fit for it, or entry too late."""
    if check == "T3":
        if not any(estimate is not None for estimate in run.lojasiewicz):
            statuses = ", ".join(f"{name} {count}" for name, count in run.result.status_counts().items() if count)
            return ("no start has a Lojasiewicz estimate on the tail of its trace (it needs a converged or "
                    f"max_iter start with 8 recorded points or more; statuses: {statuses})")
        return "every threshold was reached before the tail window of the estimate began (K)"
    kinds = sorted({limit.kind for limit in run.limits})
    if not any(limit.verified for limit in run.limits):
        return "no start has a verified limit point"
    if not any(is_minimum(kind) for kind in kinds):
        return (f"the limit points are {', '.join(kinds)}: their neighbourhood is not a sublevel set "
                "(T3 with limit-point constants covers minima)")
    if all(kind.startswith("non-isolated") for kind in kinds if kind != "none"):
        return (f"the limit points lie on non-isolated critical sets ({', '.join(kinds)}): every sphere "
                "around them crosses the set, so no ball around them is a sublevel set")
    if not any(np.isfinite(local.theta) for local in run.local.values()):
        return "no Lojasiewicz exponent could be read at the limit points"
    return "the runs entered the sampled neighbourhood of their limit only after the last threshold"


def sympy_form(variant: str = "armijo") -> sp.Expr:
    """The bound as a SymPy expression."""
    check_variant(variant)
    K, gap, C, theta, lam, eta_min, eps = sp.symbols(
        "K gap_K C theta lambda eta_min epsilon", positive=True)
    tail = C * gap ** (1 - theta) / ((1 - theta) * lam * eta_min)
    if variant == "armijo-normalized":
        return K + tail
    return K + tail / eps
