r"""T2: iteration bound of Armijo-like line searches on (L0, L1)-smooth functions.

Setting
-------
``f`` twice differentiable, bounded below, ``||hess f(x)|| <= L0 + L1 ||grad f(x)||``
(Zhang, He, Sra, Jadbabaie 2020).  ``Delta = f(x_0) - inf f``; ``N(eps)`` is the first
iteration with ``||g_k|| <= eps``.  For some variants the bound also needs
``G = grad_norm_max``, an upper bound on ``||g_k||`` along the run (e.g. the largest
gradient norm on the sublevel set ``{f <= f(x_0)}``, or the largest one measured).

Descent lemma
-------------
With ``u(t) = ||grad f(x + t(y - x))||``, ``r = ||y - x||``: ``u' <= (L0 + L1 u) r``, so
Gronwall gives ``L0 + L1 u(t) <= (L0 + L1 u(0)) exp(L1 r t)`` and
``||hess f(z(t))|| <= (L0 + L1 ||grad f(x)||) exp(L1 r t)``.  Taylor with integral
remainder then gives, with ``a = L1 r``,

.. math::

    f(y) \le f(x) + \langle \nabla f(x), y - x\rangle
        + \frac{e^a - 1 - a}{a^2}\,(L_0 + L_1\|\nabla f(x)\|)\,\|y - x\|^2 ,

and ``(e^a - 1 - a)/a^2`` increases from ``1/2`` to ``e - 2`` on ``0 < a <= 1``: for
``L1 ||y - x|| <= 1`` the constant ``e - 2`` of SCIENCE.md is correct (and conservative).

Step threshold
--------------
Direction ``g`` (``y = x - eta g``): every step

.. math::

    \eta \le \bar\eta(\|g\|) = \min\Big(\frac{1-\lambda}{(e-2)(L_0 + L_1\|g\|)},
        \frac{1}{L_1\|g\|}\Big)

passes the Armijo test; ``etabar`` decreases with ``||g||`` while
``s -> s^2 etabar(s)`` increases.  Direction ``g/||g||`` (``y = x - eta g/||g||``, test
``f(y) <= f(x) - lam eta ||g||``): every
``eta <= etabar_N(||g||) = min((1-lam)||g|| / ((e-2)(L0 + L1||g||)), 1/L1)`` passes, and
``etabar_N`` *increases* with ``||g||``.  A backtracking accepts ``eta > etabar/phi`` with
``phi = f1`` (``f1 ** (2 ** -r)`` after the bisection of ``armijo-dichotomy``, see
:func:`theory._common.backtracking_factor`).

Bounds (symbols: ``Delta`` = ``delta``, ``lam``, ``f1``, ``f2``, ``eta0``, ``L0``, ``L1``,
``G`` = ``grad_norm_max``, ``phi`` as above)
-----------------------------------------------------------------------------------------
``armijo`` (reset; needs no ``G``).  ``eta_k >= min(eta0, etabar(||g_k||)/f1)`` and the
decrease ``lam eta_k ||g_k||^2`` increases with ``||g_k||``, hence for ``||g_k|| > eps``

.. math::

    N(\varepsilon) \le \frac{\Delta}{\lambda}\max\Big(\frac{1}{\eta_0\varepsilon^2},
        \frac{f_1 (e-2)(L_0 + L_1\varepsilon)}{(1-\lambda)\varepsilon^2},
        \frac{f_1 L_1}{\varepsilon}\Big)
    \le a\,\varepsilon^{-2} + b\,\varepsilon^{-1}

(:func:`two_regime_coefficients`).  This is SCIENCE.md's T2; checked, correct.

``armijo-memory`` (needs ``G``).  Either the first trial ``eta_{k-1}`` passes or a
backtracking gives ``eta_k > etabar(||g_k||)/f1``, so ``eta_k >= min(eta0, min_{j<=k}
etabar(||g_j||)/f1) >= eta_G = min(eta0, etabar(G)/f1)`` and

.. math:: N(\varepsilon) \le \frac{\Delta}{\lambda\,\eta_G\,\varepsilon^2}.

The step never grows again, so one large gradient early on lowers every later step: only
an ``eps^-2`` regime, with ``L1 G`` in its constant.

``armijo-increase`` and ``armijo-dichotomy`` (need ``G`` and ``f2``; ``phi`` as above).
The memory bound holds with ``phi``.  Sharper: let ``m = min(eta0, etabar(eps)/phi)``.
Call *anchor* iteration 0 and every iteration with a backtracking.  An anchor decreases
``f`` by more than ``lam m eps^2`` (a backtracking gives ``lam eta_k ||g_k||^2 > lam
||g_k||^2 etabar(||g_k||)/phi >= lam eps^2 etabar(eps)/phi``; iteration 0 without
backtracking takes ``eta0 >= m``).  Between anchors the step is multiplied by ``f2`` at
each iteration, starting from ``> etabar(G)/phi``, so at most
``R = max(0, ceil(log(m phi / etabar(G)) / log f2) - 1)`` iterations after an anchor have
``eta_k < m``; the others decrease ``f`` by ``> lam m eps^2`` too.  So among the first
``N(eps)`` iterations at most ``Delta/(lam m eps^2)`` are "good" and each is followed by at
most ``R`` bad ones:

.. math::

    N(\varepsilon) \le \min\Big( (1 + R)\,\frac{\Delta}{\lambda m \varepsilon^2},
        \frac{\Delta}{\lambda \eta_G \varepsilon^2}\Big).

``R`` grows like ``log(L1 G / (L0 + L1 eps)) / log f2``: with ``f2 = 1e4`` it is 0 unless
``etabar(eps) / etabar(G)`` exceeds ``1e4``, and then the ``armijo`` bound (with ``phi``
for ``f1``) holds unchanged.

``armijo-normalized`` (needs no ``G``).  ``etabar_N`` increases with ``||g||``, so for
``k < N(eps)``, ``eta_k >= min(eta0, etabar_N(eps)/f1)`` and the decrease is
``lam eta_k ||g_k|| > lam eps min(eta0, etabar_N(eps)/f1)``:

.. math::

    N(\varepsilon) \le \frac{\Delta}{\lambda}\max\Big(\frac{1}{\eta_0\varepsilon},
        \frac{f_1 (e-2)(L_0 + L_1\varepsilon)}{(1-\lambda)\varepsilon^2},
        \frac{f_1 L_1}{\varepsilon}\Big).

References
----------
Zhang, He, Sra, Jadbabaie, ICLR 2020; Vankov et al., arXiv:2410.10800 (2024);
B. Bensaid, arXiv:2412.14637 (2024).  The descent lemma and the bound with explicit constants:
SCIENCE.md section 4.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp

from theory._common import (
    ROUNDS_TOL,
    VARIANTS,
    as_eps,
    backtracking_factor,
    check_line_search,
    check_nonnegative,
    check_variant,
    shaped,
)
from theory.hook import CheckedBound, RunFacts, TheoremChecks, no_delta_reason

E_MINUS_2 = math.e - 2.0
"""Constant of the (L0, L1) descent lemma for ``L1 ||y - x|| <= 1``."""

APPLIES_TO = VARIANTS
"""Algorithm names the bound covers."""

HYPOTHESES = (
    "f twice differentiable, bounded below, ||hess f(x)|| <= L0 + L1 ||grad f(x)|| on R^n "
    "(or on a set containing every trial point); Delta = f(x_0) - inf f; "
    "armijo-memory/-increase/-dichotomy also need G >= sup_k ||g_k||."
)
"""Hypotheses of T2, in words."""

CONSTANTS = {
    "armijo": ("delta", "L0", "L1", "lam", "f1", "eta0"),
    "armijo-memory": ("delta", "L0", "L1", "lam", "f1", "eta0", "grad_norm_max"),
    "armijo-increase": ("delta", "L0", "L1", "lam", "f1", "eta0", "f2", "grad_norm_max"),
    "armijo-dichotomy": ("delta", "L0", "L1", "lam", "f1", "eta0", "f2", "grad_norm_max"),
    "armijo-normalized": ("delta", "L0", "L1", "lam", "f1", "eta0"),
}
"""Constants each variant's bound needs."""


def evidence_kind(variant: str, constants: str = "sampled") -> str:
    """What a check of this bound is (:mod:`theory.evidence`): always ``"bound"``.

    Its constants (``(L0, L1)``, ``Delta`` and, for some variants, ``G``: the largest gradient norm
    sampled or recorded, which only loosens the bound) come from the sampled sublevel set and the
    start's limit point, never from the counts it bounds, so a check is informative wherever the
    bound lies below the run's iteration budget.

    Parameters
    ----------
    variant : str
        One of :data:`APPLIES_TO`.
    constants : str
        Where the constants come from (the signature is shared by every theorem module).
    """
    check_variant(variant)
    return "bound"

NEEDS_GRAD_NORM_MAX = ("armijo-memory", "armijo-increase", "armijo-dichotomy")


def descent_lemma_constant(a):
    """``(e^a - 1 - a) / a^2``, the exact constant of the descent lemma at ``a = L1 r``.

    It is ``1/2`` at ``a = 0`` and ``e - 2`` at ``a = 1``.
    """
    a_array = np.asarray(a, dtype=float)
    small = np.abs(a_array) < 1e-4
    safe = np.where(small, 1.0, a_array)
    value = np.where(small, 0.5 + a_array / 6.0, np.expm1(safe) - safe) / np.where(
        small, 1.0, safe**2)
    return shaped(value, a)


def _check_constants(L0: float, L1: float) -> None:
    check_nonnegative(L0=L0, L1=L1)
    if L0 + L1 <= 0:
        raise ValueError("L0 + L1 must be > 0")


def step_threshold(grad_norm, *, L0: float, L1: float, lam: float, normalized: bool = False):
    """Step ``etabar`` below which every trial passes the Armijo test.

    Parameters
    ----------
    grad_norm : float or array_like
        ``||g||`` at the current point.
    L0, L1 : float
        (L0, L1)-smoothness constants, ``>= 0``.
    lam : float
        Armijo parameter.
    normalized : bool
        Direction ``g/||g||`` and test ``f(x) - lam eta ||g||`` (``armijo-normalized``).

    Returns
    -------
    float or ndarray
        ``etabar(||g||)`` (decreasing) or ``etabar_N(||g||)`` (increasing).
    """
    _check_constants(L0, L1)
    s = np.asarray(grad_norm, dtype=float)
    with np.errstate(divide="ignore"):
        if normalized:
            first = (1.0 - lam) * s / (E_MINUS_2 * (L0 + L1 * s))
            second = np.full_like(s, np.inf if L1 == 0 else 1.0 / L1)
        else:
            first = (1.0 - lam) / (E_MINUS_2 * (L0 + L1 * s))
            second = np.where(L1 * s > 0, 1.0 / np.where(L1 * s > 0, L1 * s, 1.0), np.inf)
    return shaped(np.minimum(first, second), grad_norm)


def min_accepted_step(grad_norm, *, L0: float, L1: float, lam: float, f1: float,
                      eta0: float, variant: str = "armijo", f2: float | None = None):
    """Lower bound ``min(eta0, etabar(grad_norm) / phi)`` on the accepted step.

    Parameters
    ----------
    grad_norm : float or array_like
        For ``armijo``: ``||g_k||``.  For ``armijo-memory``/``-increase``/``-dichotomy``:
        ``max_{j<=k} ||g_j||`` (the largest gradient norm seen so far, or ``G``).
        For ``armijo-normalized``: ``min_{j<=k} ||g_j||`` (``> eps`` before ``N(eps)``).
    L0, L1, lam, f1, eta0 : float
        Constants and line-search parameters.
    variant : str
        One of :data:`APPLIES_TO`.
    f2 : float, optional
        Increase factor (``armijo-dichotomy`` bisection rounds).

    Returns
    -------
    float or ndarray
    """
    check_variant(variant)
    check_line_search(lam=lam, f1=f1, eta0=eta0)
    normalized = variant == "armijo-normalized"
    phi = backtracking_factor(variant, f1, f2)
    threshold = np.asarray(step_threshold(grad_norm, L0=L0, L1=L1, lam=lam,
                                          normalized=normalized))
    return shaped(np.minimum(eta0, threshold / phi), grad_norm)


def bad_iterations_per_anchor(eps, *, L0: float, L1: float, lam: float, f1: float,
                              eta0: float, f2: float, grad_norm_max: float,
                              variant: str = "armijo-increase"):
    """``R``: iterations after an anchor whose step may stay below ``m`` (increase trials).

    ``R = max(0, ceil(log(m phi / etabar(G)) / log f2) - 1)`` with
    ``m = min(eta0, etabar(eps)/phi)``; see the module docstring.
    """
    eps_array = as_eps(eps)
    phi = backtracking_factor(variant, f1, f2)
    m = np.minimum(eta0, np.asarray(step_threshold(eps_array, L0=L0, L1=L1, lam=lam)) / phi)
    floor_step = float(step_threshold(grad_norm_max, L0=L0, L1=L1, lam=lam)) / phi
    x = np.log(m / floor_step) / math.log(f2)
    return shaped(np.maximum(0.0, np.ceil(x + ROUNDS_TOL) - 1.0), eps)


def iteration_bound(eps, *, delta: float, L0: float, L1: float, lam: float, f1: float,
                    eta0: float, variant: str = "armijo", grad_norm_max: float | None = None,
                    f2: float | None = None):
    """Upper bound on ``N(eps)`` for an (L0, L1)-smooth function.

    Parameters
    ----------
    eps : float or array_like
        Gradient-norm thresholds, ``> 0``.
    delta : float
        ``f(x_0) - inf f``.
    L0, L1 : float
        (L0, L1)-smoothness constants.
    lam, f1, eta0 : float
        Line-search parameters.
    variant : str
        One of :data:`APPLIES_TO`; see :data:`CONSTANTS` for what each needs.
    grad_norm_max : float, optional
        ``G >= max_k ||g_k||``; required for :data:`NEEDS_GRAD_NORM_MAX`.
    f2 : float, optional
        Increase factor; required for ``armijo-increase`` and ``armijo-dichotomy``.

    Returns
    -------
    float or ndarray
        The bound, shaped like ``eps``.
    """
    check_variant(variant)
    check_line_search(lam=lam, f1=f1, eta0=eta0)
    _check_constants(L0, L1)
    if delta < 0:
        raise ValueError(f"delta must be >= 0, got {delta}")
    eps_array = as_eps(eps)
    if variant in NEEDS_GRAD_NORM_MAX and grad_norm_max is None:
        raise ValueError(f"{variant} needs grad_norm_max (largest gradient norm on the run)")
    if variant in ("armijo-increase", "armijo-dichotomy") and f2 is None:
        raise ValueError(f"{variant} needs f2")
    if variant == "armijo-normalized":
        step = min_accepted_step(eps_array, L0=L0, L1=L1, lam=lam, f1=f1, eta0=eta0,
                                 variant=variant)
        return shaped(delta / (lam * step * eps_array), eps)
    step_at_eps = min_accepted_step(eps_array, L0=L0, L1=L1, lam=lam, f1=f1, eta0=eta0,
                                    variant=variant, f2=f2)
    reset_bound = delta / (lam * step_at_eps * eps_array**2)
    if variant == "armijo":
        return shaped(reset_bound, eps)
    step_floor = min_accepted_step(grad_norm_max, L0=L0, L1=L1, lam=lam, f1=f1, eta0=eta0,
                                   variant=variant, f2=f2)
    memory_bound = delta / (lam * step_floor * eps_array**2)
    if variant == "armijo-memory":
        return shaped(memory_bound, eps)
    bad = bad_iterations_per_anchor(eps_array, L0=L0, L1=L1, lam=lam, f1=f1, eta0=eta0,
                                    f2=f2, grad_norm_max=grad_norm_max, variant=variant)
    return shaped(np.minimum((1.0 + bad) * reset_bound, memory_bound), eps)


def two_regime_coefficients(*, delta: float, L0: float, L1: float, lam: float, f1: float,
                            eta0: float) -> tuple[float, float]:
    """``(a, b)`` with ``armijo``'s T2 bound ``<= a eps^-2 + b eps^-1`` for every eps.

    ``a = Delta/lam * max(1/eta0, f1 (e-2) L0/(1-lam))`` and
    ``b = Delta/lam * f1 L1 * max((e-2)/(1-lam), 1)`` (bound each term of the max by the
    sum of its ``eps^-2`` and ``eps^-1`` parts).  The regimes cross at ``eps = a / b``.
    """
    check_line_search(lam=lam, f1=f1, eta0=eta0)
    _check_constants(L0, L1)
    a = delta / lam * max(1.0 / eta0, f1 * E_MINUS_2 * L0 / (1.0 - lam))
    b = delta / lam * f1 * L1 * max(E_MINUS_2 / (1.0 - lam), 1.0)
    return a, b


def checks(run: RunFacts) -> TheoremChecks:
    """The bound on ``N(eps)`` of every start of ``run`` (:mod:`theory.hook`), where ``(L0, L1)`` is known.

    Each start's bound uses its own ``Delta`` (``inf`` for a start without one) and the largest
    gradient norm ``G`` of the hypotheses; the theorem allows exponent 2 and its bound has two
    regimes (the fit also tries that model).
    """
    hypotheses, result = run.hypotheses, run.result
    L0, L1 = hypotheses.L0, hypotheses.L1
    if L0 is None or L1 is None or not L0 + L1 > 0:
        return TheoremChecks()
    eps, search = result.eps, run.line_search
    bound = np.vstack([
        iteration_bound(eps, delta=d, L0=L0, L1=L1, variant=run.algorithm,
                        grad_norm_max=hypotheses.grad_norm_max, **search)
        if np.isfinite(d) else np.full(eps.size, np.inf)
        for d in run.delta])
    return TheoremChecks(bounds=(CheckedBound(check="T2", measured=result.eps_hits, bound=bound,
                                              budget=result.max_iter),),
                         predicted_exponent=2.0, two_regime=True)


def why_unchecked(check: str, run: RunFacts) -> str | None:
    """Why the bound checked no count: no start has a ``Delta`` (None: no reason of its own)."""
    return no_delta_reason(run)


def sympy_form(variant: str = "armijo") -> sp.Expr:
    """The bound as a SymPy expression.

    Symbols: ``Delta, lambda, f_1, f_2, eta_0, L_0, L_1, epsilon, G`` and ``varphi`` (the
    backtracking factor, ``f1`` or ``f1**(2**-r)`` for dichotomy).  For increase and
    dichotomy the expression is the ``min`` of the two bounds in the module docstring.
    """
    check_variant(variant)
    delta, lam, f1, f2, eta0, L0, L1, eps, G, phi = sp.symbols(
        "Delta lambda f_1 f_2 eta_0 L_0 L_1 epsilon G varphi", positive=True)
    c = sp.E - 2

    def etabar(s):
        return sp.Min((1 - lam) / (c * (L0 + L1 * s)), 1 / (L1 * s))

    if variant == "armijo":
        return delta / lam * sp.Max(1 / (eta0 * eps**2),
                                    f1 * c * (L0 + L1 * eps) / ((1 - lam) * eps**2),
                                    f1 * L1 / eps)
    if variant == "armijo-normalized":
        return delta / lam * sp.Max(1 / (eta0 * eps),
                                    f1 * c * (L0 + L1 * eps) / ((1 - lam) * eps**2),
                                    f1 * L1 / eps)
    factor = f1 if variant == "armijo-memory" else phi
    memory = delta / (lam * sp.Min(eta0, etabar(G) / factor) * eps**2)
    if variant == "armijo-memory":
        return memory
    m = sp.Min(eta0, etabar(eps) / factor)
    bad = sp.Max(0, sp.ceiling(sp.log(m * factor / etabar(G)) / sp.log(f2)) - 1)
    return sp.Min((1 + bad) * delta / (lam * m * eps**2), memory)
