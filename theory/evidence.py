r"""Evidence that could have failed: the class of every bound check and of every exponent interval.

A check ``measured <= bound`` is evidence for a theorem only if the measured count could have
exceeded the bound (SCIENCE.md section 8).  Every check is classified when it is made, by
:func:`classify`, from the *kind* of the check (what its theorem module says it is, see
:func:`theory.theorems.check_kind`), the bound, the count and the run's budget:

================  ===========================================================================
class             rule
================  ===========================================================================
``informative``   kind ``bound``, and the bound lies below the run's budget for the measured
                  quantity at that eps (the count, capped by the budget, could have exceeded
                  it), its constants were estimated without the counts it bounds and its
                  hypotheses hold (the assessment computes a bound only where they do); a count
                  that exceeds its bound is informative by definition (it did fail)
``vacuous``       kind ``bound``, and the bound is at or above the budget (the count cannot
                  exceed it), or the count is censored (threshold never reached) with its lower
                  bound below the bound: undetermined
``identity``      kind ``identity``: equal by construction up to a step floor (T4's telescoped
                  evaluation count; it can fail only through the last accepted step falling below
                  ``eta_min``)
``restatement``   kind ``restatement``: constants taken from the same trace whose counts the
                  bound checks (T3 with tail constants; it can fail only through the minimum step)
================  ===========================================================================

The classes are disjoint: ``checked = informative + vacuous`` for a check of kind ``bound``,
and every check of the other kinds is of that kind.  The tightness of a theorem is the
distribution of ``measured / bound`` over its informative checks only (:func:`tightness`).

An exponent interval ``[low, high]`` for ``p`` in ``N(eps) ~ eps^-p``, against the largest
exponent ``c`` the applicable theorems allow (claim ``p <= c``, alternative ``p > c``, with the
tolerance :data:`EXPONENT_TOL`), is informative when it excludes one of the two
(:func:`exponent_evidence`):

* ``supports``: ``high <= c + EXPONENT_TOL`` (excludes ``p > c``);
* ``contradicts``: ``low > c + EXPONENT_TOL`` (excludes ``p <= c``: a violation);
* ``spans``: neither: the interval contains both ``p <= c`` and ``p > c`` and supports neither;
* ``none``: no interval (no exponent fitted, or no theorem applies).
"""

from __future__ import annotations

import numpy as np

BOUND_RTOL = 1e-12
"""Relative slack on ``measured <= bound`` (rounding of the bound itself)."""

EXPONENT_TOL = 0.05
"""A fitted exponent may exceed the ceiling by this much before it is a violation."""

KINDS = ("bound", "identity", "restatement")
"""What a check is, as its theorem module states it (``evidence_kind``)."""

CLASSES = ("informative", "vacuous", "identity", "restatement")
"""The class of one check (see the module docstring); ``""`` marks an entry that was not checked."""

EXPONENT_CLASSES = ("supports", "contradicts", "spans", "none")
"""The class of an exponent interval against the theorems' ceiling."""


def exceeds(measured, bound):
    """``measured > bound (1 + BOUND_RTOL)``, elementwise: a count above its bound."""
    return np.asarray(measured, dtype=float) > np.asarray(bound, dtype=float) * (1 + BOUND_RTOL)


def classify(measured, bound, *, kind, budget=None, censored=False):
    """The class of every check ``measured <= bound`` (see the module docstring).

    Parameters
    ----------
    measured : array_like
        The counts; for a censored entry, the lower bound on the count (e.g. the iterations of a
        run that used up its budget before reaching the threshold).
    bound : array_like
        The bounds, broadcastable to ``measured``.
    kind : str
        One of :data:`KINDS`.
    budget : float or array_like, optional
        Largest value the measured quantity could take in this run at that eps (the iteration
        budget ``max_iter`` for ``N(eps)``); ``None``: not capped (every finite bound is below it).
    censored : bool or array_like
        Entries whose count is only a lower bound (threshold never reached).

    Returns
    -------
    ndarray of str
        One of :data:`CLASSES` per entry, shaped like ``measured``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    measured_array = np.asarray(measured, dtype=float)
    bound_array = np.broadcast_to(np.asarray(bound, dtype=float), measured_array.shape)
    if kind != "bound":
        return np.full(measured_array.shape, kind, dtype=object)
    cap = np.inf if budget is None else np.broadcast_to(np.asarray(budget, dtype=float), measured_array.shape)
    censored_array = np.broadcast_to(np.asarray(censored, dtype=bool), measured_array.shape)
    failed = exceeds(measured_array, bound_array)
    vacuous = ~failed & (censored_array | (bound_array >= cap))
    return np.where(vacuous, "vacuous", "informative").astype(object)


def tightness(ratios):
    """Median and largest of ``ratios`` (measured/bound over informative checks); nan when empty."""
    values = np.asarray(ratios, dtype=float)
    values = values[np.isfinite(values)]
    if not values.size:
        return float("nan"), float("nan")
    return float(np.median(values)), float(values.max())


def exponent_evidence(low, high, ceiling, tol=EXPONENT_TOL):
    """The class of the exponent interval ``[low, high]`` against the claim ``p <= ceiling``.

    Parameters
    ----------
    low, high : float
        The interval (``nan`` where none was fitted).
    ceiling : float
        Largest exponent the applicable theorems allow (``nan`` where none applies).
    tol : float
        Tolerance above the ceiling.

    Returns
    -------
    str
        ``"supports"``, ``"contradicts"``, ``"spans"`` or ``"none"``.

    Examples
    --------
    >>> exponent_evidence(0.0, 4.54, 1.0), exponent_evidence(0.79, 0.81, 1.0), exponent_evidence(1.2, 1.3, 1.0)
    ('spans', 'supports', 'contradicts')
    """
    low, high, ceiling = float(low), float(high), float(ceiling)
    if not np.isfinite(ceiling):
        return "none"
    if np.isfinite(low) and low > ceiling + tol:
        return "contradicts"
    if np.isfinite(high) and high <= ceiling + tol:
        return "supports"
    if np.isfinite(low) or np.isfinite(high):
        return "spans"
    return "none"


def spans_text(low, high, ceiling, tol=EXPONENT_TOL):
    """The reason a spanning interval is no evidence: ``interval [0, 4.54] contains both p <= 1 and p > 1``."""
    return (f"exponent interval [{low:.3g}, {high:.3g}] contains both p <= {ceiling:g} and p > {ceiling:g} "
            f"(tolerance {tol:g}): it supports neither")
