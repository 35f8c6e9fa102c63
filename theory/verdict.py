"""Verdicts: measured counts against bounds, fitted exponents against predictions.

Pure functions on arrays (no engine import).  A verdict is ``violated`` when a measured
count exceeds an applicable bound or the fitted exponent's interval lies entirely above
the predicted largest exponent (plus :data:`EXPONENT_TOL`); ``inconclusive`` when the fit
cannot decide (flags such as ``window_too_short``, jumps in most starts, no exponent, or a
run status that voids the count, e.g. ``precision_floor`` or ``noise_floor``); ``consistent`` otherwise.  The
assessment adds ``inconsistent``: a confident fit that disagrees with the rate predicted
from the Lojasiewicz exponent at the limit point (:mod:`theory.local_rate`).
"""

from __future__ import annotations

from collections import Counter

from dataclasses import dataclass

import numpy as np

from theory.fit import RateFit

BOUND_RTOL = 1e-12
"""Relative slack on ``measured <= bound`` (rounding of the bound itself)."""

EXPONENT_TOL = 0.05
"""A fitted exponent may exceed the prediction by this much before it is a violation."""

INCONCLUSIVE_FLAGS = ("window_too_short", "insufficient_data", "jumps_in_most_starts",
                      "plateau_in_window")
"""Fit flags that make a verdict inconclusive."""

VOIDING_STATUSES = ("precision_floor", "noise_floor", "non_finite", "step_underflow")
"""Run statuses after which the counts are not measurements."""


@dataclass(frozen=True)
class BoundCheck:
    """``measured <= bound`` over all (start, eps) entries with a measurement.

    ``max_ratio`` is the largest measured/bound ratio (``nan`` if nothing was checked);
    ``worst`` the index of that entry in the flattened arrays.
    """

    theorem: str
    n_checked: int
    n_violations: int
    max_ratio: float
    worst: int

    @property
    def holds(self) -> bool:
        return self.n_violations == 0


@dataclass(frozen=True)
class Verdict:
    """``consistent``, ``violated``, ``inconsistent`` or ``inconclusive``, with the reasons.

    ``inconsistent`` (set by the assessment, not by :func:`decide`): no bound is exceeded, but
    a confident fit disagrees with the rate the limit point's Lojasiewicz exponent predicts.
    """

    verdict: str
    reasons: tuple[str, ...]
    checks: tuple[BoundCheck, ...]
    fitted_exponent: float
    predicted_exponent: float


def check_bound(measured, bound, *, theorem: str = "", never=-1) -> BoundCheck:
    """Compare measured counts with a bound of the same (broadcastable) shape.

    Parameters
    ----------
    measured : array_like
        Counts, e.g. ``eps_hits`` (``never`` entries, not reached, are skipped).
    bound : array_like
        Upper bounds, broadcastable to ``measured`` (``inf`` means no bound).
    theorem : str
        Label for the record.
    never : int
        Marker of entries without a measurement.
    """
    measured_array = np.asarray(measured, dtype=float)
    bound_array = np.broadcast_to(np.asarray(bound, dtype=float), measured_array.shape)
    checked = (measured_array != never) & np.isfinite(bound_array)
    if not checked.any():
        return BoundCheck(theorem, 0, 0, np.nan, -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(checked, measured_array / bound_array, -np.inf).ravel()
    violations = checked & (measured_array > bound_array * (1 + BOUND_RTOL))
    worst = int(np.argmax(ratio))
    return BoundCheck(theorem, int(checked.sum()), int(violations.sum()),
                      float(ratio[worst]), worst)


def decide(checks, fit: RateFit | None, predicted_exponent: float,
           statuses=()) -> Verdict:
    """Combine bound checks, the exponent fit and run statuses into a verdict.

    Parameters
    ----------
    checks : sequence of BoundCheck
        One per applicable theorem.
    fit : RateFit or None
        The rate fit (``None`` if none was made); a ``logarithmic`` model has exponent 0.
    predicted_exponent : float
        Largest exponent the applicable theorems allow (``2`` for T1/T2, ``1`` for T3).
    statuses : sequence of str
        Run statuses of the starts (one entry per start; the assessment passes those of the starts
        that stopped before the smallest threshold of the fit window).
    """
    reasons = []
    violated = [c for c in checks if not c.holds]
    reasons += [f"{c.theorem}: {c.n_violations} counts above the bound "
                f"(max ratio {c.max_ratio:.3g})" for c in violated]
    fitted = np.nan if fit is None else fit.exponent
    if fit is not None and np.isfinite(fit.ci_low) and (
            fit.ci_low > predicted_exponent + EXPONENT_TOL):
        reasons.append(f"exponent {fit.exponent:.3f} (CI low {fit.ci_low:.3f}) above the "
                       f"predicted {predicted_exponent:.3f}")
        violated.append(None)
    if violated:
        return Verdict("violated", tuple(reasons), tuple(checks), fitted, predicted_exponent)
    counts = Counter(statuses)
    voiding = [status for status in VOIDING_STATUSES if counts[status]]
    if voiding:
        stopped = ", ".join(f"{counts[status]} at {status}" for status in voiding)
        reasons.append(f"start(s) stopped before the deepest threshold ({stopped}): "
                       "their counts there are not measurements")
    if fit is None or not np.isfinite(fitted):
        reasons.append("no exponent fitted")
    else:
        reasons += [f"fit flag {flag}" for flag in fit.flags if flag in INCONCLUSIVE_FLAGS]
    if reasons:
        return Verdict("inconclusive", tuple(reasons), tuple(checks), fitted,
                       predicted_exponent)
    return Verdict("consistent", (), tuple(checks), fitted, predicted_exponent)
