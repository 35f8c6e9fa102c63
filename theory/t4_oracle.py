r"""T4: oracle counts (function evaluations) of Armijo-like line searches.

Setting
-------
Any ``f`` on which the accepted steps are bounded below: ``eta_k >= eta_min`` and every
trial ``eta <= etabar`` passes (T1: ``etabar = 2(1-lam)/L``; T2: ``etabar(G)`` with ``G``
the largest gradient norm along the run).  Counting convention of the engine: ``f_evals``
includes the initial ``f(x_0)`` and one evaluation per Armijo trial; ``b_k`` is the number
of rejected trials (backtracks) at iteration ``k``; ``n`` iterations are ``0, ..., n-1``.

Algorithms and bounds (symbols: ``eta0``, ``f1``, ``f2``, ``etabar`` = ``step_threshold``,
``eta_min``, ``r = floor(log f2 / log f1)``)
------------------------------------------------------------------------------------------
``armijo`` (per iteration).  The trials are ``eta0 f1^-j``; all those ``<= etabar`` pass,
so ``b_k <= max(0, ceil(log_{f1}(eta0/etabar)))`` (exactly ``b_k = log_{f1}(eta0/eta_k)``)
and

.. math:: \#f(n) \le 1 + n\,\big(1 + \max(0, \lceil \log_{f_1}(\eta_0/\bar\eta)\rceil)\big).

``armijo-increase``, ``armijo-normalized`` (``f2 > 1``) and ``armijo-memory``
(``f2 = 1``).  ``eta_0 = eta0 f1^-b_0`` and ``eta_k = f2 eta_{k-1} f1^-b_k``, so
``log eta_{n-1} = log eta0 + (n-1) log f2 - (sum_k b_k) log f1``: the identity

.. math::

    \sum_{k<n} b_k = \frac{(n-1)\log f_2 + \log \eta_0 - \log \eta_{n-1}}{\log f_1},
    \qquad
    \#f(n) \le 1 + n + \Big\lfloor\frac{(n-1)\log f_2 + \log(\eta_0/\eta_{\min})}
        {\log f_1}\Big\rfloor .

On average ``1 + log f2 / log f1`` evaluations per iteration: 14.29 with the reference
defaults ``f1 = 2, f2 = 1e4`` (SCIENCE.md says "15": the per-iteration count alternates
between 14 and 15, the long-run mean is 14.29).  ``armijo-memory`` spends at most
``log_{f1}(eta0/eta_min)`` backtracks over the whole run.

``armijo-dichotomy``.  After ``b_k >= 1`` backtracks it spends ``r`` more evaluations on
the bisection, whose gain ``s_k = log_{f1}(eta_k / (f2 eta_{k-1} f1^-b_k))`` lies in
``[0, 1)``.  The identity becomes ``sum_k (b_k - s_k) = ((n-1) log f2 + log(eta0/eta_{n-1}))
/ log f1``, so with ``n_b <= n`` backtracking iterations

.. math::

    \#f(n) = 1 + n + \sum_k b_k + r\,n_b
        \le 1 + n\,(2 + r) + \frac{(n-1)\log f_2 + \log(\eta_0/\eta_{\min})}{\log f_1}.

References
----------
Armijo (1966); Nocedal & Wright, ch. 3; B. Bensaid, arXiv:2412.14637 (2024).  The
telescoped count with explicit constants: SCIENCE.md section 4.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from theory._common import (
    VARIANTS,
    bisection_rounds,
    check_nonnegative,
    check_positive,
    check_variant,
    shaped,
)
from theory import t1_lsmooth
from theory.hook import CheckedBound, RunFacts, TheoremChecks

APPLIES_TO = VARIANTS
"""Algorithm names the bound covers."""

HYPOTHESES = (
    "accepted steps bounded below by eta_min (armijo: every trial <= etabar passes); "
    "eta_min and etabar come from T1 (L-smooth) or T2 ((L0, L1)-smooth with G)."
)
"""Hypotheses of T4, in words."""

CONSTANTS = {
    "armijo": ("eta0", "f1", "step_threshold"),
    "armijo-memory": ("eta0", "f1", "eta_min"),
    "armijo-increase": ("eta0", "f1", "f2", "eta_min"),
    "armijo-dichotomy": ("eta0", "f1", "f2", "eta_min"),
    "armijo-normalized": ("eta0", "f1", "f2", "eta_min"),
}
"""Constants each variant's bound needs."""


def evidence_kind(variant: str, constants: str = "sampled") -> str:
    """What a check of this bound is (:mod:`theory.evidence`).

    * ``armijo``: ``"bound"``: at most ``1 + ceil(log_{f1}(eta0/etabar))`` evaluations per iteration,
      which the count exceeds as soon as one iteration backtracks more (the engine does not cap
      the backtracks): informative wherever it is checked.
    * every other variant: ``"identity"``: the count is the telescoped formula by construction, with
      the last accepted step in place of ``eta_min`` (``armijo-dichotomy``: plus bisection terms that
      the bound counts in full); it can fail only through that one step falling below ``eta_min``,
      and its ratio tends to a constant on long runs whatever the function.

    Parameters
    ----------
    variant : str
        One of :data:`APPLIES_TO`.
    constants : str
        Where the constants come from (the signature is shared by every theorem module).
    """
    check_variant(variant)
    return "bound" if variant == "armijo" else "identity"


def max_backtracks_per_iteration(*, eta0: float, f1: float, step_threshold: float) -> int:
    """``armijo``: ``max(0, ceil(log_{f1}(eta0 / etabar)))`` rejected trials per iteration."""
    check_positive(eta0=eta0, step_threshold=step_threshold)
    ratio = math.log(eta0 / step_threshold) / math.log(f1)
    return max(0, math.ceil(ratio))


def telescoped_backtracks(n_iterations, last_step, *, eta0: float, f1: float,
                          f2: float = 1.0):
    """Exact total backtracks of iterations ``0..n-1`` (increase/memory/normalized trials).

    ``((n-1) log f2 + log eta0 - log eta_{n-1}) / log f1``; ``f2 = 1`` for
    ``armijo-memory``.  Zero for ``n = 0``.
    """
    n = np.asarray(n_iterations, dtype=float)
    step = np.asarray(last_step, dtype=float)
    value = ((n - 1.0) * math.log(f2) + np.log(eta0 / step)) / math.log(f1)
    return shaped(np.where(n > 0, value, 0.0), n_iterations)


def mean_f_evals_per_iteration(*, f1: float, f2: float) -> float:
    """Long-run mean of evaluations per iteration with increase trials: ``1 + log f2/log f1``."""
    return 1.0 + math.log(f2) / math.log(f1)


def f_evals_bound(n_iterations, *, variant: str, eta0: float, f1: float,
                  f2: float | None = None, eta_min: float | None = None,
                  step_threshold: float | None = None):
    """Upper bound on function evaluations (initial one included) after ``n`` iterations.

    Parameters
    ----------
    n_iterations : int or array_like
        Number of iterations done (``N(eps)`` for the evaluations spent to reach ``eps``).
    variant : str
        One of :data:`APPLIES_TO`.
    eta0, f1 : float
        First trial step and backtracking divisor.
    f2 : float, optional
        Increase factor (increase, dichotomy, normalized).
    eta_min : float, optional
        Lower bound on accepted steps (all variants but ``armijo``).
    step_threshold : float, optional
        ``etabar``: every trial below it passes (``armijo``).

    Returns
    -------
    float or ndarray
        Shaped like ``n_iterations``.

    Examples
    --------
    ``armijo`` with ``eta0 = 1``, ``f1 = 2`` and ``etabar = 0.3``: at most ``ceil(log2(1/0.3)) = 2``
    backtracks per iteration, so 10 iterations cost at most ``1 + 10 * 3`` evaluations.

    >>> float(f_evals_bound(10, variant="armijo", eta0=1.0, f1=2.0, step_threshold=0.3))
    31.0
    """
    check_variant(variant)
    check_positive(eta0=eta0, f1_minus_1=f1 - 1.0)
    n = np.asarray(n_iterations, dtype=float)
    check_nonnegative(n_iterations=n)
    if variant == "armijo":
        if step_threshold is None:
            raise ValueError("armijo needs step_threshold")
        per_iteration = 1 + max_backtracks_per_iteration(
            eta0=eta0, f1=f1, step_threshold=step_threshold)
        return shaped(1.0 + n * per_iteration, n_iterations)
    if eta_min is None:
        raise ValueError(f"{variant} needs eta_min")
    if variant == "armijo-memory":
        f2 = 1.0
    elif f2 is None:
        raise ValueError(f"{variant} needs f2")
    telescoped = np.asarray(telescoped_backtracks(n, eta_min, eta0=eta0, f1=f1, f2=f2))
    if variant == "armijo-dichotomy":
        extra = n * (1.0 + bisection_rounds(f1, f2))
        return shaped(1.0 + n + np.floor(telescoped + extra), n_iterations)
    return shaped(1.0 + n + np.floor(telescoped), n_iterations)


def checks(run: RunFacts) -> TheoremChecks:
    """The bound on the evaluations spent to reach each threshold (:mod:`theory.hook`), where ``L`` is known.

    The minimal accepted step and ``etabar`` are T1's (:func:`theory.t1_lsmooth.min_accepted_step`);
    the bound is evaluated at the measured ``N(eps)`` of each start (nan where a threshold was not
    reached: no count, no bound).  It says nothing about the exponent of ``N(eps)``.
    """
    hypotheses, result = run.hypotheses, run.result
    if not hypotheses.L:
        return TheoremChecks()
    algorithm, search, hits = run.algorithm, run.line_search, result.eps_hits
    threshold = float(t1_lsmooth.step_threshold(L=hypotheses.L, lam=search["lam"]))
    if algorithm == "armijo-normalized":
        # normalized steps are bounded below in terms of ||g||: while ||g_k|| > eps_j,
        # eta_k >= min(eta0, 2 (1 - lam) eps_j / (f1 L)), one floor per threshold
        eta_min = np.asarray(t1_lsmooth.min_accepted_step(result.eps, L=hypotheses.L, variant=algorithm, **search),
                             dtype=float)
    else:
        eta_min = float(t1_lsmooth.min_accepted_step(L=hypotheses.L, variant=algorithm, **search))
    bound = np.asarray(f_evals_bound(np.where(hits >= 0, hits, 0), variant=algorithm, eta0=search["eta0"],
                                     f1=search["f1"], f2=search["f2"], eta_min=eta_min, step_threshold=threshold),
                       dtype=float)
    return TheoremChecks(bounds=(CheckedBound(check="T4", measured=result.eps_hit_f_evals,
                                              bound=np.where(hits >= 0, bound, np.nan), budget=None),))


def why_unchecked(check: str, run: RunFacts) -> str | None:
    """No reason of its own beyond the assessment's (None)."""
    return None


def sympy_form(variant: str = "armijo-increase") -> sp.Expr:
    """The bound on evaluations after ``n`` iterations as a SymPy expression."""
    check_variant(variant)
    n, eta0, f1, f2, eta_min, etabar, r = sp.symbols(
        "n eta_0 f_1 f_2 eta_min etabar r", positive=True)
    if variant == "armijo":
        return 1 + n * (1 + sp.Max(0, sp.ceiling(sp.log(eta0 / etabar) / sp.log(f1))))
    growth = sp.Integer(1) if variant == "armijo-memory" else f2
    telescoped = ((n - 1) * sp.log(growth) + sp.log(eta0 / eta_min)) / sp.log(f1)
    if variant == "armijo-dichotomy":
        return 1 + n * (2 + r) + telescoped
    return 1 + n + sp.floor(telescoped)
