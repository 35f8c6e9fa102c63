"""Algorithm names, their parameters with defaults, and up-front validation.

Every algorithm of the suite is declared here as data: its parameters with
defaults, and the policy for the first trial step of each iteration (for the
Armijo variants).  :func:`resolve_params` fills defaults and validates the
values before any work is done, so a bad parameter is a clear ``ValueError``
instead of a failure deep inside a run.

Defaults of the Armijo variants are those of the reference code of
B. Bensaid (arXiv:2412.14637): ``lam = 0.5``, ``f1 = 2``, ``f2 = 1e4``,
``eta0 = 0.1``.  Every result records the parameters it was run with.

The tuning-free rivals of Armijo (``polyak``, ``polyak-level``, ``adgd``, ``l0l1-gd``,
``normalized-gd-decay``; SCIENCE.md section 9) declare their step rule in ``first_trial``
and their source in ``reference``; the constants some of them need (``f_star``, ``L0``,
``L1``, ``R``) have no default and a finite cap (:data:`MAX_CONSTANT`).
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
        (recorded with every result); for the tuning-free rivals without a line
        search, the step rule itself.
    description : str
        One line for listings.
    required : tuple of str
        Parameters without a default: a run without them is refused
        (``polyak`` needs ``f_star``, ``l0l1-gd`` needs ``L0`` and ``L1``...).
    reference : str
        Where the algorithm comes from.
    """

    name: str
    defaults: dict = field(default_factory=dict)
    line_search: bool = False
    first_trial: str = ""
    description: str = ""
    required: tuple = ()
    reference: str = ""

    @property
    def parameters(self):
        """Every parameter name the algorithm accepts: the defaulted ones, then the required ones."""
        return tuple(self.defaults) + tuple(self.required)


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
        # -- tuning-free rivals of Armijo (SCIENCE.md section 9) -------------------------------
        AlgorithmSpec(
            "polyak", {}, False,
            "no trial (no line search): eta_k = (f(x_k) - f_star) / ||g_k||^2; one f and one grad "
            "per iteration; stops with precision_floor when |f(x_k) - f_star| is within "
            "precision_floor_ulps ulps of f(x_k), with step_underflow when f(x_k) < f_star beyond them",
            "Polyak's step with the optimal value f_star given",
            required=("f_star",),
            reference="B. T. Polyak, Introduction to Optimization, 1987; E. Hazan, S. Kakade, arXiv:1905.00313, 2019",
        ),
        AlgorithmSpec(
            "polyak-level", {"eta0": 0.1, "rho": 1.5, "beta": 0.5}, False,
            "no trial (no line search): eta_k = (f(x_k) - level_k) / ||g_k||^2 with the estimate "
            "level_k = min_{j<=k} f(x_j) - delta_k of f*; delta_0 = eta0 ||g_0||^2 (so eta_0 = eta0); "
            "delta_{k+1} = rho delta_k if f(x_{k+1}) <= min_{j<=k} f(x_j) - delta_k / 2 (half the targeted "
            "decrease was achieved), beta delta_k otherwise (no lower floor on delta); one f and one grad per "
            "iteration; stops with precision_floor when f(x_k) - level_k is within precision_floor_ulps ulps "
            "of f(x_k)",
            "Polyak's step with f* estimated by an adjustable target level",
            reference="B. T. Polyak, Introduction to Optimization, 1987; A. Nedic, D. Bertsekas, "
                      "SIAM J. Optim. 12(1), 2001 (the target level min f - delta, delta raised by rho on success "
                      "and lowered by beta otherwise); the success test at half the target follows the sufficient "
                      "descent test f <= f_rec - delta/2 of J.-L. Goffin, K. Kiwiel, Math. Program. 85, 1999: from the record point of a "
                      "convex f the full target is never reached (f(x - eta g) >= f(x) - eta ||g||^2), so the "
                      "full test would shrink delta at every such step and stall. Their lower floor on delta is "
                      "0 here: with a floor the step delta/||g||^2 grows without bound as ||g|| -> 0",
        ),
        AlgorithmSpec(
            "adgd", {"eta0": 1e-6}, False,
            "no trial (no line search): eta_0 = eta0; for k >= 1 eta_k = min(sqrt(1 + theta_{k-1}) eta_{k-1}, "
            "||x_k - x_{k-1}|| / (2 ||g_k - g_{k-1}||)) (inf when g_k = g_{k-1}), theta_k = eta_k / eta_{k-1}, "
            "theta_0 = inf; one grad per iteration, no f",
            "adaptive gradient descent without descent (AdGD)",
            reference="Y. Malitsky, K. Mishchenko, ICML 2020 (Algorithm 1; eta0 = 1e-6 as in their public code)",
        ),
        AlgorithmSpec(
            "l0l1-gd", {"eta": 1.0}, False,
            "no trial (no line search): eta_k = eta / (L0 + L1 ||g_k||)",
            "(L0,L1)-GD: step eta / (L0 + L1 ||g||) with (L0, L1) given",
            required=("L0", "L1"),
            reference="E. Gorbunov et al., arXiv:2409.14989, 2024 ((L0,L1)-GD, eta = nu/2 in their x^4 experiment; "
                      "nu e^nu = 1 is our reading, not verified in the paper); D. Vankov et al., arXiv:2410.10800, 2024. clipped-gd with "
                      "eta = 1/L0, gamma = L0/L1 takes min(1/L0, 1/(L1 ||g||)), within a factor 2 of this step",
        ),
        AlgorithmSpec(
            "normalized-gd-decay", {}, False,
            "no trial (no line search): x_{k+1} = x_k - R / sqrt(k + 1) * g_k / ||g_k||",
            "normalized GD with decaying steps R / sqrt(k + 1)",
            required=("R",),
            reference="D. Vankov et al., arXiv:2410.10800, 2024 (NGM with beta_k = R / sqrt(k + 1))",
        ),
    )
}

#: Caps of the constants the rivals take: squares and products of values up to this stay finite.
MAX_CONSTANT = 1e150

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
    "f_star": (-MAX_CONSTANT, MAX_CONSTANT, True, True),
    "rho": (1.0, 10.0, True, True),
    "beta": (0.0, 1.0, False, False),
    "L0": (0.0, MAX_CONSTANT, True, True),
    "L1": (0.0, MAX_CONSTANT, True, True),
    "R": (0.0, MAX_CONSTANT, False, True),
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
    unknown = sorted(set(params) - set(spec.parameters))
    if unknown:
        accepted = ", ".join(spec.parameters)
        raise ValueError(
            f"{algorithm} takes no parameter {', '.join(unknown)}; it accepts: {accepted}"
        )
    missing = [name for name in spec.required if params.get(name) is None]
    if missing:
        raise ValueError(f"{algorithm} needs {' and '.join(missing)} (no default): {_REQUIRED_HINTS[algorithm]}")
    resolved = {**spec.defaults, **params}
    checked = {name: check_in_range(name, value) for name, value in resolved.items()}
    if algorithm == "l0l1-gd" and checked["L0"] + checked["L1"] == 0:
        raise ValueError("l0l1-gd needs L0 + L1 > 0 (the step is eta / (L0 + L1 ||g||))")
    return checked


#: Why a required parameter has no default, for the error message.
_REQUIRED_HINTS = {
    "polyak": "the optimal value f* of the objective (polyak-level estimates it instead)",
    "l0l1-gd": "the (L0, L1)-smoothness constants, ||hess f(x)|| <= L0 + L1 ||grad f(x)||",
    "normalized-gd-decay": "the step scale, ideally the distance ||x0 - x*|| to a minimiser",
}
