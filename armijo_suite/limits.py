"""The limits and defaults of a check, and the validation of plain numbers: no heavy import here,
so that a bad size is refused in well under a second (the command line checks these first)."""

from __future__ import annotations

import math

DEFAULT_ALGORITHMS = ("armijo", "armijo-increase", "gd")
#: Range of the thresholds: eps^2 and eps^-2 stay normal floats.
EPS_LIMITS = (1e-150, 1e150)
#: At most this many thresholds per decade (each is a column of every table).
MAX_EPS_PER_DECADE = 100
#: Default budget and smallest threshold per backend: the compiled loop runs ~10^8 iterations in
#: seconds (x^6 from 0.9 reaches 1e-10 after 1.75e8), the NumPy engine ~10^5.
DEFAULT_MAX_ITER = {"compiled": 200_000_000, "numpy": 200_000}
DEFAULT_EPS_MIN = {"compiled": 1e-10, "numpy": 1e-8}
#: The largest budget a start may have (the compiled loop counts in int64; 10^12 iterations are days).
MAX_ITER_LIMIT = 10**12
#: Random starts: at most this many.
MAX_STARTS = 10_000
#: A sweep has at most this many parameter values (product over swept parameters).
MAX_SWEEP_VALUES = 50
#: The default box of the random starts of an expression or of user callables.
DEFAULT_BOX = (-2.0, 2.0)
#: Parameters of the algorithms that a check accepts (``f_star`` is a check option of its own: the
#: optimal value, which polyak uses and the theory takes as the known infimum).
ALGORITHM_OPTIONS = ("eta0", "lam", "f1", "f2", "eta", "L0", "L1", "R")


class CheckInputError(ValueError):
    """Bad input to a check (the command line exits with code 2)."""


def _integer(value):
    return not isinstance(value, bool) and isinstance(value, int) or type(value).__name__ in ("int64", "int32")


def check_numbers(*, eps_max=None, eps_min=None, eps_per_decade=None, max_iter=None, starts=None, seed=None):
    """Refuse out-of-range sizes and thresholds (None: not given, the default applies)."""
    for label, value in (("eps_max", eps_max), ("eps_min", eps_min)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise CheckInputError(f"{label} must be finite and > 0, got {value!r}")
        if not EPS_LIMITS[0] <= value <= EPS_LIMITS[1]:
            raise CheckInputError(f"{label} must lie in [{EPS_LIMITS[0]:g}, {EPS_LIMITS[1]:g}] "
                                  "(the bounds use eps^2, which must stay a normal float)")
    if eps_max is not None and eps_min is not None and not eps_min < eps_max:
        raise CheckInputError(f"eps_min ({eps_min:g}) must be below eps_max ({eps_max:g})")
    if eps_per_decade is not None and not (_integer(eps_per_decade) and 1 <= eps_per_decade <= MAX_EPS_PER_DECADE):
        raise CheckInputError(f"eps_per_decade must be an integer in [1, {MAX_EPS_PER_DECADE}], got {eps_per_decade!r}")
    if max_iter is not None and not (_integer(max_iter) and 1 <= max_iter <= MAX_ITER_LIMIT):
        raise CheckInputError(f"max_iter must be an integer in [1, {MAX_ITER_LIMIT:.0e}], got {max_iter!r}")
    if starts is not None and not (_integer(starts) and 1 <= starts <= MAX_STARTS):
        raise CheckInputError(f"starts must be an integer in [1, {MAX_STARTS}], got {starts!r}")
    if seed is not None and not (_integer(seed) and 0 <= seed < 2**63):
        raise CheckInputError(f"seed must be an integer >= 0, got {seed!r}")
