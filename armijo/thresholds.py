"""The thresholds of a run: log-spaced grids ``eps_1 > ... > eps_m`` on ``||grad f||``.

One trajectory serves a whole grid (SCIENCE.md section 1): :func:`armijo.minimize` records the
first iteration with ``||grad f(x_k)|| <= eps_j`` for every threshold of the grid it is given.
:func:`eps_grid` is the one way the suite builds such a grid (``armijo check``, every study and
the tests), so that the same range gives the same floats everywhere.

>>> eps_grid(1e-2, 1e-4, 2)
(0.01, 0.0031622776601683794, 0.001, 0.00031622776601683794, 0.0001)
"""

from __future__ import annotations

import math

import numpy as np


def eps_grid(eps_max, eps_min, per_decade):
    """Log-spaced decreasing thresholds from ``eps_max`` to ``eps_min``, ``per_decade`` per decade.

    Parameters
    ----------
    eps_max, eps_min : float
        The first and last threshold, ``eps_max >= eps_min > 0`` (equal: a grid of one).
    per_decade : int
        Thresholds per decade (``>= 1``); a range that is not a whole number of steps is
        rounded to the nearest one, both ends kept.

    Returns
    -------
    tuple of float
        ``round(log10(eps_max / eps_min) * per_decade) + 1`` thresholds, decreasing.

    Raises
    ------
    ValueError
        For non-finite or non-positive ends, ``eps_min > eps_max``, or ``per_decade < 1``.

    Examples
    --------
    >>> eps_grid(1e-1, 1e-3, 1)
    (0.1, 0.01, 0.001)
    >>> len(eps_grid(1e-2, 1e-8, 8))
    49
    """
    if not (math.isfinite(eps_max) and math.isfinite(eps_min) and eps_max >= eps_min > 0):
        raise ValueError(f"an eps grid needs finite eps_max >= eps_min > 0, got {eps_max!r} and {eps_min!r}")
    if isinstance(per_decade, bool) or not isinstance(per_decade, (int, np.integer)) or per_decade < 1:
        raise ValueError(f"per_decade must be an integer >= 1, got {per_decade!r}")
    decades = np.log10(eps_max) - np.log10(eps_min)
    count = int(round(decades * per_decade)) + 1
    return tuple(float(v) for v in np.logspace(np.log10(eps_max), np.log10(eps_min), count))
