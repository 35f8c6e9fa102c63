"""Batched Armijo searches over scalar functions ``phi_r(eta)``, one per row.

This is the lower of the two line-search layers (as in
``scipy.optimize._linesearch``): it knows nothing of ``x``, ``g`` or the
direction, only of

.. math::

    \\phi_r(\\eta) = f(x_r - \\eta\\, d_r), \\qquad
    \\text{accept } \\eta \\text{ iff } \\phi_r(\\eta) \\le \\phi_r(0) - \\lambda\\, \\eta\\, s_r

with ``phi0`` :math:`= \\phi_r(0)`, ``slope`` :math:`= s_r = \\langle g_r, d_r \\rangle`
(``||g||^2`` for the gradient direction, ``||g||`` for the normalized one)
and ``lam`` :math:`= \\lambda`.  The driver in :mod:`armijo.engine` builds
``phi`` from ``f``, the iterates and the directions.

Outcomes per row are named by the integer codes below; nothing is decided
silently:

* ``ACCEPTED``: the Armijo test passed at the returned step.
* ``PRECISION_FLOOR``: the first-order decrease ``eta * slope`` of the trial
  fell below ``precision_floor`` (a few ulps of ``phi0``), or the test passed
  with no computed decrease at all (``phi(eta) == phi0``): the test is decided
  by rounding, not by the function (SCIENCE.md section 6).
* ``STEP_UNDERFLOW``: the trial step fell below ``min_step`` (where the trial
  point equals the current point in floating point, or a user floor).
* ``NOISE_FLOOR``: the evaluation noise of ``phi`` decides the test.  With ``noise`` the
  bound on the noise of a difference ``phi(eta) - phi(0)`` (twice the noise of one value of
  ``f`` near ``x``, :mod:`functions.noise`), a trial is undecidable when its first-order
  margin ``(1 - lam) * eta * slope`` is at most ``noise`` (checked before evaluating, as the
  precision floor), or when its computed margin ``|phi(0) - lam * eta * slope - phi(eta)|``
  is below ``noise`` (after evaluating, accepted or not): rounding may have decided it, so
  the count from there on is not a measurement.

Why the margin and not ``lam * eta * slope``: for a small step the computed difference is
``-eta * slope`` plus noise, so the test has a margin ``(1 - lam) eta slope`` over the noise;
with ``lam = 1e-4`` a test against ``lam * eta * slope`` would stop 10^4 times too early, and
with ``lam`` near 1 far too late.  ``noise = None`` (or 0) disables the rule: only the
precision floor applies, as for objectives without a noise model.
"""

from __future__ import annotations

import math

import numpy as np

ACCEPTED = 0
PRECISION_FLOOR = 1
STEP_UNDERFLOW = 2
NOISE_FLOOR = 3


def armijo_test(phi_eta, phi0, eta, slope, lam):
    """The Armijo condition ``phi(eta) <= phi(0) - lam * eta * slope``, elementwise.

    Written once, used by the engine and by the tests that recompute it.
    A nan ``phi_eta`` fails the test (the step is rejected).
    """
    return phi_eta <= phi0 - lam * eta * slope


def first_order_margin(eta, slope, lam):
    """``(1 - lam) * eta * slope``: the margin of the Armijo test for a small step (before evaluating)."""
    return (1.0 - lam) * (eta * slope)


def computed_margin(phi_eta, phi0, eta, slope, lam):
    """``|phi0 - lam * eta * slope - phi_eta|``, the threshold computed as in :func:`armijo_test` (nan for a nan value)."""
    return np.abs(phi0 - lam * eta * slope - phi_eta)


class NoiseGate:
    """The noise ``2 N(x_k)`` of each row, evaluated only for rows whose margins come within ``cap``.

    Evaluating the noise kernel costs about as much as ``f``; it matters only for a trial whose
    margin is within the noise.  ``cap`` holds, per row, ``gate * 2 N`` from the row's last
    evaluation (``inf`` before the first, or when that ``N`` was 0 or nan): a margin above it is
    taken as above the noise without evaluating.  This assumes that ``N`` grows by less than the
    factor ``gate`` between two evaluations; ``gate = inf`` evaluates at every check (exact), and
    the tests compare both.  The compiled loop applies the same rule per start.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(rows) -> 2 N`` at the current iterates of those rows.
    cap : ndarray, shape (A,)
        Per row, updated in place when a row is evaluated.
    gate : float
        The factor (>= 1).
    """

    def __init__(self, evaluate, cap, gate):
        self.evaluate = evaluate
        self.cap = cap
        self.gate = gate
        self.values = np.full(cap.shape, np.nan)

    def against(self, rows, measure):
        """The noise to compare ``measure`` (margins of ``rows``, None: all) with: 0 where the margin is above
        the cap (the rule cannot fire), else ``2 N``, evaluated now where not yet known."""
        index = np.arange(self.cap.size) if rows is None else rows
        out = np.zeros(index.size)
        suspect = ~(measure > self.cap[index])
        if suspect.any():
            near = index[suspect]
            unknown = near[np.isnan(self.values[near])]
            if unknown.size:
                values = np.asarray(self.evaluate(unknown), dtype=np.float64)
                values[np.isnan(values)] = np.inf  # a bound that cannot be computed decides nothing
                self.values[unknown] = values
                with np.errstate(invalid="ignore", over="ignore"):
                    self.cap[unknown] = np.where(values > 0, self.gate * values, np.inf)
            out[suspect] = self.values[near]
        return out


def noise_against(noise, rows, measure):
    """What the margins ``measure`` of ``rows`` are compared with: None (no rule), the rows of an array, or a gate."""
    if noise is None:
        return None
    if isinstance(noise, NoiseGate):
        return noise.against(rows, measure)
    return noise if rows is None else noise[rows]


def backtrack(phi, phi0, slope, first_trial, *, lam, f1, precision_floor, min_step, noise=None):
    """Backtracking: divide each row's trial by ``f1`` until the Armijo test holds.

    Parameters
    ----------
    phi : callable
        ``phi(eta, rows)`` returns ``phi_r(eta_r)`` for the rows ``rows`` (an
        index array, or None for all rows) with ``eta`` of matching length.
        Each call is one function evaluation per row.
    phi0 : ndarray, shape (A,)
        ``phi_r(0) = f(x_r)``.
    slope : ndarray, shape (A,)
        Positive first-order decrease rate ``<g_r, d_r>``.
    first_trial : float or ndarray, shape (A,)
        First trial step (per row).
    lam : float
        Armijo constant in (0, 1).
    f1 : float
        Backtracking factor > 1.
    precision_floor : ndarray, shape (A,)
        Smallest resolvable decrease of ``phi`` per row.
    min_step : callable
        ``min_step(rows)`` returns the smallest meaningful step for those rows;
        called only for rows that were rejected at least once.
    noise : ndarray, shape (A,), or NoiseGate, optional
        Bound on the noise of ``phi(eta) - phi(0)`` per row (``NOISE_FLOOR``), or a
        :class:`NoiseGate` that evaluates it where a margin comes near; None: no rule.

    Returns
    -------
    step : ndarray, shape (A,)
        Accepted step (for other outcomes: the last step considered).
    value : ndarray, shape (A,)
        ``phi(step)`` for accepted rows, nan otherwise.
    outcome : ndarray of int8, shape (A,)
        ``ACCEPTED``, ``PRECISION_FLOOR``, ``STEP_UNDERFLOW`` or ``NOISE_FLOOR``.
    rejections : ndarray of int, shape (A,)
        Rejected trials per row.
    """
    count = phi0.shape[0]
    step = np.full(count, first_trial, dtype=np.float64)
    value = np.full(count, np.nan)
    outcome = np.full(count, ACCEPTED, dtype=np.int8)
    rejections = np.zeros(count, dtype=np.int64)

    # First trial on every row at once: no gathering on the common path.
    pending = _resolve_trials(phi, None, step, phi0, slope, lam, precision_floor, noise, value, outcome)
    smallest = None
    while pending.size:
        rejections[pending] += 1
        step[pending] /= f1
        if smallest is None:
            smallest = np.full(count, -np.inf)
            smallest[pending] = min_step(pending)
        elif np.isneginf(smallest[pending]).any():
            fresh = pending[np.isneginf(smallest[pending])]
            smallest[fresh] = min_step(fresh)
        underflow = step[pending] < smallest[pending]
        if underflow.any():
            outcome[pending[underflow]] = STEP_UNDERFLOW
            pending = pending[~underflow]
            if not pending.size:
                break
        pending = _resolve_trials(phi, pending, step, phi0, slope, lam, precision_floor, noise, value, outcome)
    return step, value, outcome, rejections


def _resolve_trials(phi, rows, step, phi0, slope, lam, precision_floor, noise, value, outcome):
    """Test the current trials of ``rows`` (None: all); return the rejected rows.

    Rows whose trial is below the precision floor, or whose first-order margin is within the
    noise, are marked and not evaluated; evaluated rows whose computed margin is within the
    noise are marked ``NOISE_FLOOR``; rows that pass are marked accepted with their value (or
    precision floor when the computed decrease is exactly zero).
    """
    if rows is None:
        eta, base, rate, floor = step, phi0, slope, precision_floor
    else:
        eta, base, rate, floor = step[rows], phi0[rows], slope[rows], precision_floor[rows]
    resolvable = eta * rate > floor
    loud = None
    if noise is not None:
        margin = first_order_margin(eta, rate, lam)
        loud = resolvable & ~(margin > noise_against(noise, rows, margin))
    if not resolvable.all() or (loud is not None and loud.any()):
        index = np.arange(step.size) if rows is None else rows
        outcome[index[~resolvable]] = PRECISION_FLOOR
        if loud is not None:
            outcome[index[loud]] = NOISE_FLOOR
            resolvable &= ~loud
        rows = index[resolvable]
        eta, base, rate = step[rows], phi0[rows], slope[rows]
        if not rows.size:
            return rows
    trial_value = phi(eta, rows)
    passed = armijo_test(trial_value, base, eta, rate, lam)
    if noise is not None:
        margin = computed_margin(trial_value, base, eta, rate, lam)
        undecided = margin < noise_against(noise, rows, margin)
        if undecided.any():
            index = np.arange(step.size) if rows is None else rows
            outcome[index[undecided]] = NOISE_FLOOR  # neither accepted nor rejected: the row leaves
            decided = ~undecided
            rows, trial_value, passed, base = index[decided], trial_value[decided], passed[decided], base[decided]
    if rows is None:
        value[passed] = trial_value[passed]
        outcome[passed & (trial_value == base)] = PRECISION_FLOOR
        return np.flatnonzero(~passed)
    accepted_rows = rows[passed]
    value[accepted_rows] = trial_value[passed]
    outcome[accepted_rows[trial_value[passed] == base[passed]]] = PRECISION_FLOOR
    return rows[~passed]


def dichotomy_refine(phi, rows, step, value, phi0, slope, *, lam, f1, rounds, precision_floor, noise=None):
    """Bisect ``log(eta)`` in ``[eta, f1*eta]`` for rows that backtracked; keep the largest accepted.

    After backtracking, ``step`` passed the Armijo test and ``f1 * step`` failed.
    Each round tests the geometric midpoint ``sqrt(lo * hi)`` (one evaluation
    per row); a pass moves ``lo`` up, a failure moves ``hi`` down.  A row stops
    refining when the midpoint's decrease is below its precision floor.  A midpoint whose
    computed margin is within the noise (:func:`computed_margin`) is undecided: its row stops
    refining and is reported, for the driver to stop it with ``NOISE_FLOOR``.  (The
    first-order noise check cannot fail at a midpoint: it lies above a step that passed it.)

    Parameters
    ----------
    phi, phi0, slope, lam, f1, precision_floor, noise
        As in :func:`backtrack`.
    rows : ndarray of int
        Rows to refine (accepted after at least one rejection).
    step, value : ndarray, shape (A,)
        Accepted steps and values, updated in place for ``rows``.
    rounds : int
        Number of bisection rounds, ``floor(log f2 / log f1)``.

    Returns
    -------
    rejections : ndarray of int, shape (A,)
        Rejected midpoints per row (to be counted as backtracks).
    undecided : ndarray of bool, shape (A,)
        Rows stopped at an undecided midpoint.
    """
    rejections = np.zeros(phi0.shape[0], dtype=np.int64)
    undecided = np.zeros(phi0.shape[0], dtype=bool)
    low = step[rows].copy()
    high = low * f1
    active = rows
    for _ in range(rounds):
        if not active.size:
            break
        position = np.searchsorted(rows, active)
        middle = np.sqrt(low[position] * high[position])
        resolvable = middle * slope[active] > precision_floor[active]
        active, position, middle = active[resolvable], position[resolvable], middle[resolvable]
        if not active.size:
            break
        trial_value = phi(middle, active)
        if noise is not None:
            margin = computed_margin(trial_value, phi0[active], middle, slope[active], lam)
            loud = margin < noise_against(noise, active, margin)
            if loud.any():
                undecided[active[loud]] = True
                quiet = ~loud
                active, position, middle, trial_value = active[quiet], position[quiet], middle[quiet], trial_value[quiet]
        passed = armijo_test(trial_value, phi0[active], middle, slope[active], lam)
        passed &= trial_value != phi0[active]
        low[position[passed]] = middle[passed]
        value[active[passed]] = trial_value[passed]
        high[position[~passed]] = middle[~passed]
        rejections[active[~passed]] += 1
    step[rows] = low
    return rejections, undecided


def dichotomy_rounds(f1, f2):
    """Number of bisection rounds of ``armijo-dichotomy``: ``floor(log f2 / log f1)``."""
    return int(math.floor(math.log(f2) / math.log(f1) + 1e-12))
