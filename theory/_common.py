"""Shared helpers of the theorem modules: variant names, validation, output shaping.

The Armijo variants are those of SCIENCE.md section 2.  They differ only in the first
trial step of each iteration (and, for ``armijo-normalized``, in the search direction):

==================== ====================================================================
name                 first trial at iteration ``k`` (``k = 0``: always ``eta0``)
==================== ====================================================================
``armijo``           ``eta0`` (reset)
``armijo-memory``    ``eta_{k-1}``
``armijo-increase``  ``f2 * eta_{k-1}``, ``f2 > 1``
``armijo-dichotomy`` as increase; after a backtracking, ``r = floor(log f2 / log f1)``
                     rounds of bisection of ``log eta`` in ``[eta, f1 * eta]``
``armijo-normalized`` direction ``g / ||g||``, trials as increase
==================== ====================================================================
"""

from __future__ import annotations

import math

import numpy as np

VARIANTS = (
    "armijo",
    "armijo-memory",
    "armijo-increase",
    "armijo-dichotomy",
    "armijo-normalized",
)
"""Names of the Armijo-like variants covered by the theorem modules."""

GROWING_VARIANTS = ("armijo-increase", "armijo-dichotomy", "armijo-normalized")
"""Variants whose first trial is ``f2`` times the last accepted step."""

ROUNDS_TOL = 1e-12
"""Slack added to ``log f2 / log f1`` before the floor, so that exact powers
(``f2 = f1**r``) give ``r`` rounds despite rounding of the logarithms."""


def check_variant(variant: str) -> None:
    """Raise ``ValueError`` unless ``variant`` is one of :data:`VARIANTS`."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")


def check_line_search(*, lam: float, f1: float, eta0: float) -> None:
    """Validate the Armijo parameters (``0 < lam < 1``, ``f1 > 1``, ``eta0 > 0``)."""
    if not 0.0 < lam < 1.0:
        raise ValueError(f"lam must be in (0, 1), got {lam}")
    if not f1 > 1.0:
        raise ValueError(f"f1 must be > 1, got {f1}")
    if not eta0 > 0.0:
        raise ValueError(f"eta0 must be > 0, got {eta0}")


def check_positive(**values: float) -> None:
    """Raise ``ValueError`` unless every keyword value is ``> 0``."""
    for name, value in values.items():
        if not np.all(np.asarray(value, dtype=float) > 0.0):
            raise ValueError(f"{name} must be > 0, got {value}")


def check_nonnegative(**values: float) -> None:
    """Raise ``ValueError`` unless every keyword value is ``>= 0``."""
    for name, value in values.items():
        if not np.all(np.asarray(value, dtype=float) >= 0.0):
            raise ValueError(f"{name} must be >= 0, got {value}")


def bisection_rounds(f1: float, f2: float) -> int:
    """Number of bisection rounds of ``armijo-dichotomy``: ``floor(log f2 / log f1)``."""
    if not f2 > 1.0:
        raise ValueError(f"f2 must be > 1, got {f2}")
    return int(math.floor(math.log(f2) / math.log(f1) + ROUNDS_TOL))


def backtracking_factor(variant: str, f1: float, f2: float | None = None) -> float:
    """Worst ratio (last rejected trial) / (accepted step) after a backtracking.

    Plain backtracking accepts ``eta`` after rejecting ``f1 * eta``: the factor is ``f1``.
    ``armijo-dichotomy`` then bisects ``log eta`` between the accepted ``lo = eta`` and the
    rejected ``hi = f1 * eta`` for ``r = floor(log f2 / log f1)`` rounds, keeping ``lo``
    accepted and ``hi`` rejected; each round halves ``log(hi / lo)``, so at the end
    ``hi / lo = f1 ** (2 ** -r)``.  Every rejected trial exceeds the step threshold
    ``etabar`` below which all steps pass, hence the accepted step is
    ``> etabar / backtracking_factor``.

    Parameters
    ----------
    variant : str
        One of :data:`VARIANTS`.
    f1 : float
        Backtracking divisor, ``> 1``.
    f2 : float, optional
        Increase factor; required for ``armijo-dichotomy``.

    Returns
    -------
    float
        ``f1`` for every variant except ``armijo-dichotomy``, ``f1 ** (2 ** -r)`` for it.
    """
    check_variant(variant)
    if variant != "armijo-dichotomy":
        return float(f1)
    if f2 is None:
        raise ValueError("armijo-dichotomy needs f2 (it fixes the number of bisection rounds)")
    return float(f1) ** (2.0 ** -bisection_rounds(f1, f2))


def shaped(values: np.ndarray, like) -> float | np.ndarray:
    """Return a Python float when ``like`` is a scalar, else the array ``values``."""
    if np.ndim(like) == 0:
        return float(np.asarray(values).reshape(()))
    return values


def as_eps(eps) -> np.ndarray:
    """``eps`` as a float array, validated ``> 0``."""
    eps_array = np.asarray(eps, dtype=float)
    check_positive(eps=eps_array)
    return eps_array
