"""The registry: one :class:`Family` per function or parametrised family, looked up by name.

>>> from functions import get, names
>>> objective = get("monomial", p=3)
>>> objective.f([[2.0]])
array([64.])

``get`` validates and coerces the parameters (unknown names and bad values give a one-line
``ValueError`` listing the valid choices), fills in defaults, builds the
:class:`~functions.objective.Objective` once and caches it per ``(name, parameters)``.
"""

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from functions import cgt, elementary, logistic, mlp, neural, single_neuron, spiral
from functions.kernels import kernel_backend
from functions.objective import CriticalPoint, Objective  # noqa: F401  (public interface)


@dataclass(frozen=True)
class Parameter:
    """A family parameter.

    Parameters
    ----------
    name : str
    default : int, float or str
        Its type is the parameter's type (values are coerced to it).
    description : str
    minimum : float, optional
        Inclusive lower bound for numbers.
    choices : tuple of str, optional
        Allowed values for strings.
    maximum : float, optional
        Inclusive upper bound for numbers: every size parameter has one, so that a request
        answers in a second (or is refused) instead of running for minutes.
    """

    name: str
    default: object
    description: str
    minimum: float | None = None
    choices: tuple = ()
    maximum: float | None = None

    def coerce(self, family, value):
        """Return ``value`` converted to the parameter's type, or raise a one-line ValueError."""
        kind = type(self.default)
        where = f"{family}: parameter {self.name}"
        try:
            if kind is int:
                if isinstance(value, bool):
                    raise ValueError
                number = float(value) if not isinstance(value, int) else value
                if number != int(number):
                    raise ValueError
                value = int(number)
            elif kind is float:
                if isinstance(value, bool):
                    raise ValueError
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError
            else:
                value = str(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where} must be {'an integer' if kind is int else 'a finite number' if kind is float else 'text'}, got {value!r}") from None
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{where} must be >= {self.minimum}, got {value!r}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{where} must be <= {self.maximum:g}, got {value!r}")
        if self.choices and value not in self.choices:
            raise ValueError(f"{where} must be one of {', '.join(self.choices)}; got {value!r}")
        return value


@dataclass(frozen=True)
class Family:
    """A registry entry: how to build the objective and what it is.

    Parameters
    ----------
    name : str
        Registry name.
    build : callable
        ``build(**parameters) -> Objective`` (raises ValueError for bad values).
    parameters : tuple of Parameter
    description : str
        One line.
    tags : tuple of str
        Declared classes, e.g. ``("analytic", "(L0,L1)-smooth", "symbolic")``.
    """

    name: str
    build: Callable
    parameters: tuple = ()
    description: str = ""
    tags: tuple = field(default_factory=tuple)

    @property
    def defaults(self):
        """``{parameter name: default}``."""
        return {parameter.name: parameter.default for parameter in self.parameters}


FAMILIES = {
    family.name: family
    for family in (
        Family(
            "monomial",
            elementary.monomial,
            (Parameter("p", 2, "half the degree: f = x^(2p)", minimum=1, maximum=32),),
            "x^(2p): degenerate minimum, (L0,L1)-smooth, not L-smooth for p >= 2",
            ("symbolic", "analytic", "(L0,L1)-smooth"),
        ),
        Family(
            "power-norm",
            elementary.power_norm,
            (Parameter("p", 4, "an even power: f = ||x||^p / p", minimum=2, maximum=16),
             Parameter("n", 10, "the dimension", minimum=1, maximum=64)),
            "(1/p) ||x||^p: (L0,L1)-smooth with L0 = ((p-2)/L1)^(p-2), not L-smooth for p >= 4 (Vankov et al. 2024)",
            ("symbolic", "analytic", "(L0,L1)-smooth"),
        ),
        Family("rosenbrock", elementary.rosenbrock, (), "Rosenbrock's banana (1-x)^2 + 100 (y-x^2)^2", ("symbolic", "analytic")),
        Family(
            "cosh",
            elementary.cosh_family,
            (Parameter("s", 1.0, "scale: f = cosh(s x)/s^2; (L0, L1) = (1, s), 0 < s <= 100", maximum=100.0),),
            "cosh(s x)/s^2: strongly convex, (L0,L1) = (1, s), not L-smooth",
            ("symbolic", "analytic", "(L0,L1)-smooth"),
        ),
        Family(
            "escape",
            elementary.escape,
            (Parameter("a", 1.0, "decay: f = (1+x^2)^(-a/2), 0 < a <= 64", maximum=64.0),),
            "(1+x^2)^(-a/2) from x0 > 0: iterates escape to infinity, inf 0 not attained",
            ("symbolic", "analytic", "L-smooth", "unbounded iterates"),
        ),
        *(
            Family(
                name,
                partial(single_neuron.single_neuron, name),
                (),
                f"single-neuron benchmark {name}: R(w,b) = 1/2 [a(b)^2 + a(w+b)^2]",
                ("symbolic", "analytic", "(L0,L1)-smooth"),
            )
            for name in single_neuron.ACTIVATIONS
        ),
        Family(
            "cgt",
            cgt.cgt,
            (Parameter("tau", 0.1, "exponent: ||g_k|| = (k+1)^(-1/2-tau), 0 < tau <= 1/2", maximum=0.5),),
            "Cartis-Gould-Toint worst case: C^1 Hermite spline, armijo exponent 2/(1+2 tau)",
            ("numeric", "not analytic", "L-smooth", "unbounded iterates"),
        ),
        Family("flat-exp", elementary.flat_exp, (), "exp(-1/x^2): C-infinity, infinitely flat minimum, not analytic", ("symbolic", "not analytic", "L-smooth")),
        Family(
            "mexican-hat",
            elementary.mexican_hat,
            (),
            "Absil-Mahony-Andrews Mexican hat: C-infinity, descent iterates circle forever",
            ("symbolic", "not analytic", "L-smooth"),
        ),
        Family(
            "spiral",
            spiral.spiral,
            (Parameter("beta", 0.4, "winding rate: valley angle kappa (e^(beta c) - 1)/beta, c = 1/(1-r^2); 0 <= beta < 1/2", minimum=0.0),),
            "spiral valley e^-c (nu + u^2): bounded, L-smooth, not analytic; armijo exponent (1+2 beta)/(1+beta) > 1",
            ("symbolic", "not analytic", "L-smooth"),
        ),
        Family(
            "logistic",
            logistic.logistic,
            (
                Parameter("samples", 1000, "number of samples m (at most 10^4)", minimum=1, maximum=10_000),
                Parameter("features", 20, "number of features d (at most 10^3)", minimum=1, maximum=1_000),
                Parameter("seed", 0, "data seed", minimum=0, maximum=2**32 - 1),
                Parameter("l2", 0.0, "ridge regularisation lambda", minimum=0.0, maximum=1e6),
            ),
            "logistic regression on seeded synthetic data (numeric, batched)",
            ("numeric", "analytic", "L-smooth", "finite sum"),
        ),
        *(
            Family(
                f"mlp-{activation}",
                partial(neural.mlp, activation),
                (
                    Parameter("hidden", 10, "hidden units (at most 256)", minimum=1, maximum=256),
                    Parameter("samples", 200, "two-moons points (at most 10^4)", minimum=2, maximum=10_000),
                    Parameter("noise", 0.1, "Gaussian noise of the points", minimum=0.0, maximum=10.0),
                    Parameter("loss", "cross-entropy", "loss", choices=neural.LOSSES),
                    Parameter("seed", 0, "data seed", minimum=0, maximum=2**32 - 1),
                ),
                f"one-hidden-layer {activation} network on two moons (numeric, mini-batch oracle)",
                ("numeric", "analytic" if activation == "tanh" else "not C^1", "finite sum"),
            )
            for activation in ("tanh", "relu")
        ),
        *(
            Family(
                f"mlp-data-{activation}",
                partial(mlp.mlp_data, activation),
                (
                    Parameter("dataset", "digits", "data set shipped with scikit-learn", choices=mlp.DATASET_NAMES),
                    Parameter("hidden", "32", f"hidden widths, e.g. 32 or 64-64 (1 to {mlp.MAX_HIDDEN_LAYERS} layers "
                                              f"of 1 to {mlp.MAX_WIDTH} units)"),
                    Parameter("l2", 0.0, "weight decay lambda on every parameter", minimum=0.0, maximum=1e3),
                    Parameter("seed", 0, "seed of the train/test split", minimum=0, maximum=2**32 - 1),
                ),
                f"multilayer {activation} perceptron, softmax cross-entropy on a real data set (numeric, mini-batch oracle)",
                ("numeric", "analytic" if activation == "tanh" else "not C^1", "finite sum"),
            )
            for activation in ("tanh", "relu")
        ),
    )
}

_CACHE = {}


def names():
    """Registry names, in registry order."""
    return list(FAMILIES)


def _family(name):
    if name not in FAMILIES:
        raise ValueError(f"unknown function {name!r}; valid names: {', '.join(FAMILIES)}")
    return FAMILIES[name]


def resolve_parameters(name, **params):
    """Validated, coerced parameters of ``name`` with defaults filled in."""
    family = _family(name)
    valid = {parameter.name: parameter for parameter in family.parameters}
    unknown = sorted(set(params) - set(valid))
    if unknown:
        choices = ", ".join(valid) if valid else "none"
        raise ValueError(f"{name}: unknown parameter {', '.join(unknown)}; valid parameters: {choices}")
    return {key: parameter.coerce(name, params.get(key, parameter.default)) for key, parameter in valid.items()}


def get(name, **params):
    """The objective ``name`` with ``params`` (defaults filled in), built once and cached.

    Raises
    ------
    ValueError
        Unknown name or parameter, or a bad parameter value (one line, listing choices).
    """
    resolved = resolve_parameters(name, **params)
    key = (name, tuple(sorted(resolved.items())))
    if key not in _CACHE:
        _CACHE[key] = FAMILIES[name].build(**resolved)
    return _CACHE[key]


def family_info(name):
    """Parameters with defaults and descriptions, description and tags of a family."""
    family = _family(name)
    return {
        "name": family.name,
        "parameters": {
            parameter.name: {"default": parameter.default, "description": parameter.description}
            | ({"minimum": parameter.minimum} if parameter.minimum is not None else {})
            | ({"maximum": parameter.maximum} if parameter.maximum is not None else {})
            | ({"choices": list(parameter.choices)} if parameter.choices else {})
            for parameter in family.parameters
        },
        "description": family.description,
        "tags": list(family.tags),
    }


def catalog():
    """JSON-ready rows, one per family at its default parameters (for ``armijo functions``)."""
    rows = []
    for name in FAMILIES:
        objective = get(name)
        rows.append(
            {
                "name": name,
                "parameters": dict(objective.params),
                "dimension": objective.n,
                "kind": "symbolic" if objective.expression is not None else "numeric",
                "backend": kernel_backend(objective),
                "analytic": objective.analytic,
                "analytic_reason": objective.analytic_reason,
                "smoothness": objective.smoothness,
                "l_smooth": objective.l_smooth,
                "l0l1_smooth": objective.l0l1_smooth,
                "bounded_iterates": objective.bounded_iterates,
                "f_star": None if objective.f_star is None else float(objective.f_star),
                "critical_points": len(objective.critical_points),
                "minimizers": len(objective.minimizers),
                "constants": {key: float(value) for key, value in objective.constants.items()},
                "hess_method": objective.hess_method,
                "tags": list(FAMILIES[name].tags),
                "reference": objective.reference,
                "description": objective.description,
            }
        )
    return rows
