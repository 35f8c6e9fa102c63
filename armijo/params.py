"""Algorithm names, their parameters with defaults, and up-front validation.

Every algorithm of the suite is declared here as data: its parameters with
defaults, and the policy for the first trial step of each iteration (for the
Armijo variants).  :func:`resolve_params` fills defaults and validates the
values before any work is done, so a bad parameter is a clear ``ValueError``
instead of a failure deep inside a run.

Defaults of the Armijo variants are those of the reference code of
B. Bensaid (arXiv:2412.14637): ``lam = 0.5``, ``f1 = 2``, ``f2 = 1e4``,
``eta0 = 0.1``.  Every result records the parameters it was run with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AlgorithmSpec:
    """Declaration of one algorithm.

    Parameters
    ----------
    name : str
        Public name (``armijo``, ``armijo-increase``, ``gd``...).
    defaults : dict
        Parameter names with their default values.
    line_search : bool
        True for the Armijo variants.
    first_trial : str
        Human-readable policy for the first trial step of iteration ``k``
        (recorded with every result).
    description : str
        One line for listings.
    """

    name: str
    defaults: dict = field(default_factory=dict)
    line_search: bool = False
    first_trial: str = ""
    description: str = ""


_ARMIJO_BASE = {"eta0": 0.1, "lam": 0.5, "f1": 2.0}
_ARMIJO_GROWING = {**_ARMIJO_BASE, "f2": 1e4}

ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.name: spec
    for spec in (
        AlgorithmSpec(
            "armijo", dict(_ARMIJO_BASE), True, "eta0 at every iteration (reset)",
            "Armijo backtracking, first trial eta0 at every iteration",
        ),
        AlgorithmSpec(
            "armijo-memory", dict(_ARMIJO_BASE), True,
            "eta_{k-1}, the last accepted step (eta0 at k = 0)",
            "Armijo backtracking starting from the last accepted step",
        ),
        AlgorithmSpec(
            "armijo-increase", dict(_ARMIJO_GROWING), True,
            "f2 * eta_{k-1} (eta0 at k = 0)",
            "Armijo backtracking with increasing first trial (LC_EGD)",
        ),
        AlgorithmSpec(
            "armijo-dichotomy", dict(_ARMIJO_GROWING), True,
            "f2 * eta_{k-1} (eta0 at k = 0); after backtracking, "
            "floor(log f2 / log f1) bisections of log(eta) in [eta, f1*eta]",
            "armijo-increase refined by log-bisection after backtracking (LCD)",
        ),
        AlgorithmSpec(
            "armijo-normalized", dict(_ARMIJO_GROWING), True,
            "f2 * eta_{k-1} (eta0 at k = 0), direction g/||g||, "
            "test f(x - eta g/||g||) <= f(x) - lam eta ||g||",
            "normalized-direction Armijo with increasing first trial (LC_NGD)",
        ),
        AlgorithmSpec("gd", {"eta": 0.1}, False, "", "gradient descent, fixed step eta"),
        AlgorithmSpec(
            "clipped-gd", {"eta": 0.1, "gamma": 1.0}, False, "",
            "clipped GD: step eta * min(1, gamma/||g||) (Zhang et al. 2020)",
        ),
        AlgorithmSpec(
            "normalized-gd", {"eta": 0.01}, False, "", "normalized GD: x - eta g/||g||",
        ),
        AlgorithmSpec(
            "adam", {"eta": 1e-3, "beta1": 0.9, "beta2": 0.999, "adam_eps": 1e-8}, False, "",
            "Adam (Kingma & Ba 2015), default betas",
        ),
    )
}

#: The mini-batch methods of :func:`armijo.stochastic.minimize_stochastic`: each iteration draws a
#: batch; the line searches backtrack on that batch's loss (the batch of the gradient).
STOCHASTIC_ALGORITHMS: dict[str, AlgorithmSpec] = {
    spec.name: spec
    for spec in (
        AlgorithmSpec(
            "sls-armijo", dict(_ARMIJO_BASE), True, "eta0 at every iteration (reset)",
            "stochastic Armijo line search on the current mini-batch (Vaswani et al. 2019), reset to eta0",
        ),
        AlgorithmSpec(
            "sls-increase", {**_ARMIJO_BASE, "growth": 2.0, "eta_max": 1e3}, True,
            "min(eta_{k-1} * growth^(b/n), eta_max) (eta0 at k = 0)",
            "stochastic Armijo line search, first trial grown by growth^(b/n) (Vaswani et al. 2019, reset option 1)",
        ),
        AlgorithmSpec("sgd", {"eta": 0.1}, False, "", "stochastic gradient descent, fixed step eta"),
        AlgorithmSpec("adam", dict(ALGORITHMS["adam"].defaults), False, "",
                      "Adam (Kingma & Ba 2015) on mini-batch gradients, default betas"),
    )
}

# Open/closed intervals for every parameter name: (low, high, low_inclusive, high_inclusive).
_RANGES = {
    "eta0": (0.0, math.inf, False, False),
    "lam": (0.0, 1.0, False, False),
    "f1": (1.0, math.inf, False, False),
    "f2": (1.0, math.inf, False, False),
    "eta": (0.0, math.inf, False, False),
    "gamma": (0.0, math.inf, False, False),
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, True, False),
    "adam_eps": (0.0, math.inf, False, False),
    "growth": (1.0, math.inf, True, False),
    "eta_max": (0.0, math.inf, False, False),
}


def _interval_text(low, high, low_inclusive, high_inclusive):
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    high_text = "inf" if math.isinf(high) else f"{high:g}"
    return f"{left}{low:g}, {high_text}{right}"


def check_in_range(name, value):
    """Validate one named parameter against its interval.

    Parameters
    ----------
    name : str
        Parameter name (a key of the validation table).
    value : object
        Proposed value.

    Returns
    -------
    float
        The value as a float.

    Raises
    ------
    ValueError
        If the value is not a real number in the parameter's interval.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    low, high, low_inclusive, high_inclusive = _RANGES[name]
    above = number >= low if low_inclusive else number > low
    below = number <= high if high_inclusive else number < high
    if not (math.isfinite(number) and above and below):
        interval = _interval_text(low, high, low_inclusive, high_inclusive)
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return number


def get_spec(algorithm, algorithms=None):
    """Return the :class:`AlgorithmSpec` of ``algorithm`` in ``algorithms`` (default :data:`ALGORITHMS`)
    or raise a clear ``ValueError``."""
    algorithms = ALGORITHMS if algorithms is None else algorithms
    try:
        return algorithms[algorithm]
    except (KeyError, TypeError):
        known = ", ".join(algorithms)
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of: {known}") from None


def resolve_params(algorithm, algorithms=None, /, **params):
    """Fill defaults and validate the parameters of ``algorithm``.

    Parameters
    ----------
    algorithm : str
        An algorithm name of ``algorithms``.
    algorithms : dict, optional
        :data:`ALGORITHMS` (default) or :data:`STOCHASTIC_ALGORITHMS`.
    **params
        Parameter values; unknown names are refused.

    Returns
    -------
    dict
        Every parameter of the algorithm, as floats.

    Raises
    ------
    ValueError
        For an unknown algorithm, an unknown parameter name or a value out
        of range (e.g. ``lam`` outside ``(0, 1)``).
    """
    spec = get_spec(algorithm, algorithms)
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        accepted = ", ".join(spec.defaults)
        raise ValueError(
            f"{algorithm} takes no parameter {', '.join(unknown)}; it accepts: {accepted}"
        )
    resolved = {**spec.defaults, **params}
    return {name: check_in_range(name, value) for name, value in resolved.items()}
