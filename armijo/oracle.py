"""The one wrapper that counts oracle calls, per start.

The engine keeps the state of the starts that are still running in compact
arrays (row ``r`` of every array is the same start).  :class:`CountingOracle`
keeps its counters in the same compact layout: each call names the rows it
evaluates and adds one to each of them.  When starts stop, the engine reads
their counts and drops their rows with :meth:`CountingOracle.keep`.
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
        self.f_evals = np.zeros(starts, dtype=np.int64)
        self.grad_evals = np.zeros(starts, dtype=np.int64)

    def f(self, X, rows=None):
        """Evaluate ``f`` on the points ``X`` of the given compact rows (None: all rows)."""
        values = np.asarray(self._f(X), dtype=np.float64)
        if values.shape != (X.shape[0],):
            raise OracleError(
                f"f must map an array of shape {X.shape} to shape ({X.shape[0]},), "
                f"got shape {values.shape}"
            )
        if rows is None:
            self.f_evals += 1
        else:
            self.f_evals[rows] += 1
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
            self.grad_evals += 1
        else:
            self.grad_evals[rows] += 1
        return values

    def keep(self, mask):
        """Drop the counters of the rows where ``mask`` is False."""
        self.f_evals = self.f_evals[mask]
        self.grad_evals = self.grad_evals[mask]
