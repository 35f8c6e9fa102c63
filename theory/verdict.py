"""Verdicts: measured counts against bounds, fitted exponents against predictions.

Pure functions on arrays (no engine import).  Every check is classified when it is made
(:mod:`theory.evidence`: informative, vacuous, identity or restatement), and verdicts rest on
informative evidence only:

* ``violated``: a measured count exceeds an applicable bound, or the fitted exponent's interval
  lies entirely above the predicted largest exponent (plus :data:`EXPONENT_TOL`);
* ``inconclusive``: the exponent interval contains both ``p <= ceiling`` and ``p > ceiling``
  (it supports neither), or the fit cannot decide (flags such as ``window_too_short``, jumps
  in most starts, no exponent), or a run status voids the counts (e.g. ``precision_floor`` or
  ``noise_floor``: the thresholds past such a stop are censored);
  where moreover counts were checked but none could have failed, the reasons say so;
* ``consistent`` otherwise: informative evidence and none against the theorems.  Consistent
  needs at least one informative check or an informative exponent interval; since a missing
  or spanning interval is already a reason for ``inconclusive``, in practice the interval
  lies below the ceiling plus the tolerance (it excludes the alternative ``p > ceiling``).

The assessment adds ``inconsistent``: a confident fit that disagrees with the rate predicted
from the Lojasiewicz exponent at the limit point (:mod:`theory.local_rate`).
"""

from __future__ import annotations

from collections import Counter

from dataclasses import dataclass

import numpy as np

from theory.evidence import (BOUND_RTOL, EXPONENT_TOL, classify, exceeds,  # noqa: F401  (BOUND_RTOL: public here)
                             exponent_evidence, spans_text, tightness)
from theory.fit import RateFit

INCONCLUSIVE_FLAGS = ("window_too_short", "insufficient_data", "jumps_in_most_starts",
                      "plateau_in_window")
"""Fit flags that make a verdict inconclusive."""

VOIDING_STATUSES = ("precision_floor", "noise_floor", "non_finite", "step_underflow")
"""Run statuses after which the counts are not measurements."""


@dataclass(frozen=True, kw_only=True)
class BoundCheck:
    """``measured <= bound`` over all (start, eps) entries with a measurement, classified.

    ``max_ratio`` is the largest measured/bound ratio over every check (``nan`` if nothing was
    checked); ``worst`` the index of that entry in the flattened arrays.  ``kind`` is what the
    theorem module says the check is (``bound``, ``identity``, ``restatement``); ``n_informative``
    and ``n_vacuous`` count the checks of each class (:func:`theory.evidence.classify`), and
    ``informative_median_ratio``, ``informative_max_ratio`` the tightness over the informative
    checks only (``nan`` if there are none).
    """

    theorem: str
    n_checked: int
    n_violations: int
    max_ratio: float
    worst: int
    kind: str = "bound"
    n_informative: int = 0
    n_vacuous: int = 0
    informative_median_ratio: float = float("nan")
    informative_max_ratio: float = float("nan")

    @property
    def holds(self) -> bool:
        """No count above the bound (also True when nothing was checked: see :attr:`n_checked`)."""
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


def check_bound(measured, bound, *, theorem: str = "", never=-1, kind: str = "bound", budget=None,
                offset=0.0) -> BoundCheck:
    """Compare measured counts with a bound of the same (broadcastable) shape, and classify each check.

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
    kind : str
        What the check is (:data:`theory.evidence.KINDS`; :func:`theory.theorems.check_kind`).
    budget : float, optional
        Largest value the measured quantity could reach in the run (``max_iter`` for ``N(eps)``);
        ``None``: not capped.  A bound at or above it is vacuous.
    offset : array_like
        A part of the bound read from the same counts (T3's entry time ``K``), broadcastable to
        ``measured``: the ratios are ``(measured - offset) / (bound - offset)``, the part of the count
        the bound constrains (violations still compare ``measured`` with ``bound``).
    """
    measured_array = np.asarray(measured, dtype=float)
    bound_array = np.broadcast_to(np.asarray(bound, dtype=float), measured_array.shape)
    checked = (measured_array != never) & np.isfinite(bound_array)
    if not checked.any():
        return BoundCheck(theorem=theorem, n_checked=0, n_violations=0, max_ratio=np.nan, worst=-1, kind=kind)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(checked, (measured_array - offset) / (bound_array - offset), -np.inf).ravel()
    violations = checked & exceeds(measured_array, bound_array)
    worst = int(np.argmax(ratio))
    classes = classify(measured_array, bound_array, kind=kind, budget=budget).ravel()
    informative = checked.ravel() & (classes == "informative")
    median, largest = tightness(ratio[informative])
    return BoundCheck(theorem=theorem, n_checked=int(checked.sum()), n_violations=int(violations.sum()),
                      max_ratio=float(ratio[worst]), worst=worst, kind=kind,
                      n_informative=int(informative.sum()),
                      n_vacuous=int((checked.ravel() & (classes == "vacuous")).sum()),
                      informative_median_ratio=median, informative_max_ratio=largest)


def decide(checks, fit: RateFit | None, predicted_exponent: float,
           statuses=()) -> Verdict:
    """Combine bound checks, the exponent fit and run statuses into a verdict (module docstring).

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
    low, high = (np.nan, np.nan) if fit is None or not np.isfinite(fitted) else (fit.ci_low, fit.ci_high)
    exponent = exponent_evidence(low, high, predicted_exponent)
    if exponent == "contradicts":
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
    if exponent == "spans":
        reasons.append(spans_text(low, high, predicted_exponent))
    if exponent != "supports" and any(c.n_checked for c in checks) and not any(c.n_informative for c in checks):
        reasons.append("no informative evidence: no check could have failed (each is vacuous, an identity or a "
                       "restatement) and no exponent interval excludes the theorems' alternative")
    if reasons:
        return Verdict("inconclusive", tuple(reasons), tuple(checks), fitted,
                       predicted_exponent)
    return Verdict("consistent", (), tuple(checks), fitted, predicted_exponent)
