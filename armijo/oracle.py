"""The one wrapper that counts oracle calls, per start.

The engine keeps the state of the starts that are still running in compact
arrays (row ``r`` of every array is the same start).  :class:`CountingOracle`
keeps its counters in the same compact layout: each call names the rows it
evaluates and adds one to each of them.  When starts stop, the engine reads
their counts and drops their rows with :meth:`CountingOracle.keep`.

Most calls evaluate every running row (the first trial of a line search, every
gradient).  Those are counted once, in a plain integer shared by all rows; only
calls on some of the rows touch the per-row arrays.  The count of a row is the
sum of the two, so a call on all rows costs one integer increment, whatever the
number of starts.
"""

from __future__ import annotations

import numpy as np


class OracleError(ValueError):
    """The user's oracle returned arrays of the wrong shape."""


class CountingOracle:
    """Batched ``f`` and ``grad`` with per-start evaluation counters.

    Parameters
    ----------
    f : callable
        ``f(X) -> (B,)`` for ``X`` of shape ``(B, n)``.
    grad : callable
        ``grad(X) -> (B, n)``.
    starts : int
        Number of rows of the compact state when the run begins.

    Attributes
    ----------
    f_evals, grad_evals : ndarray of int
        Calls made so far for each compact row.
    """

    def __init__(self, f, grad, starts):
        self._f = f
        self._grad = grad
        # Calls on every running row, and extra calls on some rows only.
        self._f_all = 0
        self._grad_all = 0
        self._f_some = np.zeros(starts, dtype=np.int64)
        self._grad_some = np.zeros(starts, dtype=np.int64)

    @property
    def f_evals(self):
        return self._f_some + self._f_all

    @property
    def grad_evals(self):
        return self._grad_some + self._grad_all

    def counts(self, rows):
        """``(f_evals[rows], grad_evals[rows])`` without building the full arrays."""
        return self._f_some[rows] + self._f_all, self._grad_some[rows] + self._grad_all

    def f(self, X, rows=None):
        """Evaluate ``f`` on the points ``X`` of the given compact rows (None: all rows)."""
        values = np.asarray(self._f(X), dtype=np.float64)
        if values.shape != (X.shape[0],):
            raise OracleError(
                f"f must map an array of shape {X.shape} to shape ({X.shape[0]},), "
                f"got shape {values.shape}"
            )
        if rows is None:
            self._f_all += 1
        else:
            self._f_some[rows] += 1
        return values

    def grad(self, X, rows=None):
        """Evaluate ``grad`` on the points ``X`` of the given compact rows (None: all rows)."""
        values = np.asarray(self._grad(X), dtype=np.float64)
        if values.shape != X.shape:
            raise OracleError(
                f"grad must map an array of shape {X.shape} to the same shape, "
                f"got shape {values.shape}"
            )
        if rows is None:
            self._grad_all += 1
        else:
            self._grad_some[rows] += 1
        return values

    def keep(self, mask):
        """Drop the counters of the rows where ``mask`` is False."""
        self._f_some = self._f_some[mask]
        self._grad_some = self._grad_some[mask]
