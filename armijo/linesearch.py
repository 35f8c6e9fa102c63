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
"""

from __future__ import annotations

import math

import numpy as np

ACCEPTED = 0
PRECISION_FLOOR = 1
STEP_UNDERFLOW = 2


def armijo_test(phi_eta, phi0, eta, slope, lam):
    """The Armijo condition ``phi(eta) <= phi(0) - lam * eta * slope``, elementwise.

    Written once, used by the engine and by the tests that recompute it.
    A nan ``phi_eta`` fails the test (the step is rejected).
    """
    return phi_eta <= phi0 - lam * eta * slope


def backtrack(phi, phi0, slope, first_trial, *, lam, f1, precision_floor, min_step):
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

    Returns
    -------
    step : ndarray, shape (A,)
        Accepted step (for other outcomes: the last step considered).
    value : ndarray, shape (A,)
        ``phi(step)`` for accepted rows, nan otherwise.
    outcome : ndarray of int8, shape (A,)
        ``ACCEPTED``, ``PRECISION_FLOOR`` or ``STEP_UNDERFLOW``.
    rejections : ndarray of int, shape (A,)
        Rejected trials per row.
    """
    count = phi0.shape[0]
    step = np.full(count, first_trial, dtype=np.float64)
    value = np.full(count, np.nan)
    outcome = np.full(count, ACCEPTED, dtype=np.int8)
    rejections = np.zeros(count, dtype=np.int64)

    # First trial on every row at once: no gathering on the common path.
    pending = _resolve_trials(phi, None, step, phi0, slope, lam, precision_floor, value, outcome)
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
        pending = _resolve_trials(phi, pending, step, phi0, slope, lam, precision_floor, value, outcome)
    return step, value, outcome, rejections


def _resolve_trials(phi, rows, step, phi0, slope, lam, precision_floor, value, outcome):
    """Test the current trials of ``rows`` (None: all); return the rejected rows.

    Rows whose trial is below the precision floor are marked and not evaluated;
    rows that pass are marked accepted with their value (or precision floor when
    the computed decrease is exactly zero).
    """
    if rows is None:
        eta, base, rate, floor = step, phi0, slope, precision_floor
    else:
        eta, base, rate, floor = step[rows], phi0[rows], slope[rows], precision_floor[rows]
    resolvable = eta * rate > floor
    if not resolvable.all():
        unresolved = np.flatnonzero(~resolvable) if rows is None else rows[~resolvable]
        outcome[unresolved] = PRECISION_FLOOR
        rows = np.flatnonzero(resolvable) if rows is None else rows[resolvable]
        eta, base, rate = step[rows], phi0[rows], slope[rows]
        if not rows.size:
            return rows
    trial_value = phi(eta, rows)
    passed = armijo_test(trial_value, base, eta, rate, lam)
    if rows is None:
        value[passed] = trial_value[passed]
        outcome[passed & (trial_value == base)] = PRECISION_FLOOR
        return np.flatnonzero(~passed)
    accepted_rows = rows[passed]
    value[accepted_rows] = trial_value[passed]
    outcome[accepted_rows[trial_value[passed] == base[passed]]] = PRECISION_FLOOR
    return rows[~passed]


def dichotomy_refine(phi, rows, step, value, phi0, slope, *, lam, f1, rounds, precision_floor):
    """Bisect ``log(eta)`` in ``[eta, f1*eta]`` for rows that backtracked; keep the largest accepted.

    After backtracking, ``step`` passed the Armijo test and ``f1 * step`` failed.
    Each round tests the geometric midpoint ``sqrt(lo * hi)`` (one evaluation
    per row); a pass moves ``lo`` up, a failure moves ``hi`` down.  A row stops
    refining when the midpoint's decrease is below its precision floor.

    Parameters
    ----------
    phi, phi0, slope, lam, f1, precision_floor
        As in :func:`backtrack`.
    rows : ndarray of int
        Rows to refine (accepted after at least one rejection).
    step, value : ndarray, shape (A,)
        Accepted steps and values, updated in place for ``rows``.
    rounds : int
        Number of bisection rounds, ``floor(log f2 / log f1)``.

    Returns
    -------
    ndarray of int, shape (A,)
        Rejected midpoints per row (to be counted as backtracks).
    """
    rejections = np.zeros(phi0.shape[0], dtype=np.int64)
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
        passed = armijo_test(trial_value, phi0[active], middle, slope[active], lam)
        passed &= trial_value != phi0[active]
        low[position[passed]] = middle[passed]
        value[active[passed]] = trial_value[passed]
        high[position[~passed]] = middle[~passed]
        rejections[active[~passed]] += 1
    step[rows] = low
    return rejections


def dichotomy_rounds(f1, f2):
    """Number of bisection rounds of ``armijo-dichotomy``: ``floor(log f2 / log f1)``."""
    return int(math.floor(math.log(f2) / math.log(f1) + 1e-12))
