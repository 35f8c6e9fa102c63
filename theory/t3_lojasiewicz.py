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
Math. Prog. 2009; B. Bensaid, arXiv:2412.14637 (2024).
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


def sympy_form(variant: str = "armijo") -> sp.Expr:
    """The bound as a SymPy expression."""
    check_variant(variant)
    K, gap, C, theta, lam, eta_min, eps = sp.symbols(
        "K gap_K C theta lambda eta_min epsilon", positive=True)
    tail = C * gap ** (1 - theta) / ((1 - theta) * lam * eta_min)
    if variant == "armijo-normalized":
        return K + tail
    return K + tail / eps
