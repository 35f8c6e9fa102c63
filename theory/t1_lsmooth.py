r"""T1: iteration bound of Armijo-like line searches on L-smooth functions.

Setting
-------
``f : R^n -> R`` differentiable, bounded below, with ``L``-Lipschitz gradient
(``||grad f(x) - grad f(y)|| <= L ||x - y||``).  ``Delta = f(x_0) - inf f``.
``N(eps) = min{k : ||g_k|| <= eps}`` is the first hitting time in iterations.

Algorithms covered
------------------
All variants of SCIENCE.md section 2: ``armijo``, ``armijo-memory``, ``armijo-increase``,
``armijo-dichotomy`` and ``armijo-normalized`` (Armijo parameter ``lam``, backtracking
divisor ``f1``, first trial ``eta0``, increase factor ``f2``).

Bound
-----
For the gradient-direction variants,

.. math::

    N(\varepsilon) \le \frac{\Delta}{\lambda\,\eta_{\min}\,\varepsilon^2},
    \qquad \eta_{\min} = \min\Big(\eta_0, \frac{2(1-\lambda)}{\varphi L}\Big),

with :math:`\varphi` = ``backtracking_factor`` = ``f1`` except for ``armijo-dichotomy``,
where :math:`\varphi = f_1^{2^{-r}}`, :math:`r = \lfloor \log f_2 / \log f_1 \rfloor`
(``f1 ** (2 ** -13)`` ~ 1.00008 with the reference defaults).  Symbols:
:math:`\Delta` = ``delta``, :math:`\lambda` = ``lam``, :math:`\eta_0` = ``eta0``,
:math:`L` = ``L``, :math:`\varepsilon` = ``eps``.

For ``armijo-normalized`` (direction ``g/||g||``, test ``f(x - eta g/||g||) <= f(x) -
lam eta ||g||``):

.. math::

    N(\varepsilon) \le \frac{\Delta}{\lambda\,\varepsilon\,
        \min\big(\eta_0, 2(1-\lambda)\varepsilon / (f_1 L)\big)}
    = \frac{\Delta}{\lambda}\max\Big(\frac{1}{\eta_0\varepsilon},
        \frac{f_1 L}{2(1-\lambda)\varepsilon^2}\Big).

Derivation
----------
Descent lemma: ``f(x - eta d) <= f(x) - eta <g, d> + L eta^2 ||d||^2 / 2``.

* Direction ``d = g``: the Armijo test holds as soon as ``-eta + L eta^2/2 <= -lam eta``,
  i.e. for every ``eta <= etabar = 2(1-lam)/L``.  Any rejected trial is ``> etabar``; a
  backtracking accepts ``eta`` after rejecting ``f1 eta`` so ``eta > etabar / f1``
  (``> etabar / phi`` after the bisection of ``armijo-dichotomy``, see
  :func:`theory._common.backtracking_factor`).  ``armijo``: ``eta_k >= min(eta0,
  etabar/f1)``.  ``armijo-memory`` / ``-increase`` / ``-dichotomy``: either the first trial
  (``>= eta_{k-1}``) passes or a backtracking happens, so ``eta_k >= min(eta_{k-1},
  etabar/phi)`` and by induction ``eta_k >= eta_min`` (``etabar`` does not depend on
  ``x``, so no constant beyond ``L`` is needed).  While ``||g_k|| > eps`` each iteration
  decreases ``f`` by ``lam eta_k ||g_k||^2 > lam eta_min eps^2``; summing over
  ``k < N(eps)`` gives ``N lam eta_min eps^2 <= Delta``.
* Direction ``d = g/||g||``: the test holds for ``eta <= 2(1-lam)||g||/L``, which grows
  with ``||g||``; with increase trials ``eta_k >= min(eta0, min_{j<=k} 2(1-lam)||g_j||/(f1
  L)) > min(eta0, 2(1-lam) eps/(f1 L))`` for ``k < N(eps)``, and the decrease is
  ``lam eta_k ||g_k|| > lam eps min(...)``.

References
----------
Armijo (1966); Nocedal & Wright, *Numerical Optimization*, ch. 3;
B. Bensaid, arXiv:2412.14637 (2024).  The bound with explicit constants: SCIENCE.md section 4
(the sources state it without them, so no theorem number is quoted).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory._common import (
    VARIANTS,
    as_eps,
    backtracking_factor,
    check_line_search,
    check_positive,
    check_variant,
    shaped,
)
from theory.hook import CheckedBound, RunFacts, TheoremChecks, no_delta_reason

APPLIES_TO = VARIANTS
"""Algorithm names the bound covers."""

HYPOTHESES = (
    "f differentiable, bounded below, gradient L-Lipschitz on R^n (or on a convex set "
    "containing every trial point); Delta = f(x_0) - inf f."
)
"""Hypotheses of T1, in words."""

CONSTANTS = ("delta", "L", "lam", "f1", "eta0", "f2 (armijo-dichotomy only)")
"""Constants the bound needs."""


def evidence_kind(variant: str, constants: str = "sampled") -> str:
    """What a check of this bound is (:mod:`theory.evidence`): always ``"bound"``.

    Its constants (``L`` and ``Delta``) come from the sampled sublevel set and the start's limit
    point, never from the counts it bounds, so a check is informative wherever the bound lies below
    the run's iteration budget.

    Parameters
    ----------
    variant : str
        One of :data:`APPLIES_TO`.
    constants : str
        Where the constants come from (the signature is shared by every theorem module).
    """
    check_variant(variant)
    return "bound"


def step_threshold(*, L: float, lam: float, grad_norm=None, normalized: bool = False):
    """Largest ``etabar`` such that every trial step ``eta <= etabar`` passes the test.

    Parameters
    ----------
    L : float
        Lipschitz constant of the gradient.
    lam : float
        Armijo parameter, ``0 < lam < 1``.
    grad_norm : float or array_like, optional
        ``||g||``; needed only when ``normalized``.
    normalized : bool
        Direction ``g/||g||`` (``armijo-normalized``) instead of ``g``.

    Returns
    -------
    float or ndarray
        ``2 (1 - lam) / L``, or ``2 (1 - lam) ||g|| / L`` for the normalized direction.
    """
    check_positive(L=L)
    if not normalized:
        return 2.0 * (1.0 - lam) / L
    if grad_norm is None:
        raise ValueError("the normalized threshold needs grad_norm")
    grad_norm_array = np.asarray(grad_norm, dtype=float)
    return shaped(2.0 * (1.0 - lam) * grad_norm_array / L, grad_norm)


def min_accepted_step(eps=None, *, L: float, lam: float, f1: float, eta0: float,
                      variant: str = "armijo", f2: float | None = None):
    """Lower bound on every accepted step taken while ``||g_k|| > eps``.

    Parameters
    ----------
    eps : float or array_like, optional
        Gradient threshold; needed only for ``armijo-normalized``.
    L, lam, f1, eta0 : float
        Smoothness constant and line-search parameters.
    variant : str
        One of :data:`APPLIES_TO`.
    f2 : float, optional
        Increase factor, needed for ``armijo-dichotomy``.

    Returns
    -------
    float or ndarray
        ``min(eta0, 2(1-lam)/(phi L))`` (gradient direction) or
        ``min(eta0, 2(1-lam) eps/(f1 L))`` (normalized direction).
    """
    check_variant(variant)
    check_line_search(lam=lam, f1=f1, eta0=eta0)
    if variant == "armijo-normalized":
        if eps is None:
            raise ValueError("armijo-normalized: the step bound depends on eps")
        eps_array = as_eps(eps)
        threshold = step_threshold(L=L, lam=lam, grad_norm=eps_array, normalized=True)
        return shaped(np.minimum(eta0, threshold / f1), eps)
    phi = backtracking_factor(variant, f1, f2)
    return min(eta0, step_threshold(L=L, lam=lam) / phi)


def iteration_bound(eps, *, delta: float, L: float, lam: float, f1: float, eta0: float,
                    variant: str = "armijo", f2: float | None = None):
    """Upper bound on ``N(eps)`` for an ``L``-smooth function.

    Parameters
    ----------
    eps : float or array_like
        Gradient-norm thresholds, ``> 0``.
    delta : float
        ``f(x_0) - inf f``, ``>= 0``.
    L : float
        Lipschitz constant of the gradient.
    lam, f1, eta0 : float
        Armijo parameter, backtracking divisor, first trial step.
    variant : str
        One of :data:`APPLIES_TO`.
    f2 : float, optional
        Increase factor (only ``armijo-dichotomy`` uses it, through the bisection rounds).

    Returns
    -------
    float or ndarray
        The bound, shaped like ``eps``.

    Examples
    --------
    >>> round(iteration_bound(0.1, delta=1.0, L=2.0, lam=0.5, f1=2.0, eta0=1.0), 6)
    800.0
    """
    eps_array = as_eps(eps)
    if delta < 0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    eta_min = min_accepted_step(eps_array, L=L, lam=lam, f1=f1, eta0=eta0,
                                variant=variant, f2=f2)
    if variant == "armijo-normalized":
        return shaped(delta / (lam * eta_min * eps_array), eps)
    return shaped(delta / (lam * eta_min * eps_array**2), eps)


def checks(run: RunFacts) -> TheoremChecks:
    """The bound on ``N(eps)`` of every start of ``run`` (:mod:`theory.hook`), where ``L`` is known.

    Each start's bound uses its own ``Delta`` (``inf`` for a start without one); the theorem
    allows exponent 2 wherever it is evaluated.
    """
    hypotheses, result = run.hypotheses, run.result
    if not hypotheses.L:
        return TheoremChecks()
    eps, search = result.eps, run.line_search
    bound = np.vstack([
        iteration_bound(eps, delta=d, L=hypotheses.L, variant=run.algorithm, **search)
        if np.isfinite(d) else np.full(eps.size, np.inf)
        for d in run.delta])
    return TheoremChecks(bounds=(CheckedBound(check="T1", measured=result.eps_hits, bound=bound,
                                              budget=result.max_iter),),
                         predicted_exponent=2.0)


def why_unchecked(check: str, run: RunFacts) -> str | None:
    """Why the bound checked no count: no start has a ``Delta`` (None: no reason of its own)."""
    return no_delta_reason(run)


def sympy_form(variant: str = "armijo") -> sp.Expr:
    """The bound as a SymPy expression (symbols named as the parameters).

    ``phi`` stands for the backtracking factor (``f1``, or ``f1**(2**-r)`` for
    ``armijo-dichotomy``).
    """
    check_variant(variant)
    delta, L, lam, f1, eta0, eps, phi = sp.symbols(
        "Delta L lambda f_1 eta_0 epsilon varphi", positive=True)
    if variant == "armijo-normalized":
        return delta / (lam * eps * sp.Min(eta0, 2 * (1 - lam) * eps / (f1 * L)))
    factor = f1 if variant != "armijo-dichotomy" else phi
    return delta / (lam * sp.Min(eta0, 2 * (1 - lam) / (factor * L)) * eps**2)
