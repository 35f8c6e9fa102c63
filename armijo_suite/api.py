"""The Python interface: check the bounds on a function, or on a function class by a sweep.

>>> from armijo_suite import check
>>> report = check("x**4 + y**2", x0=[0.8, 0.6], algorithms=["armijo"], eps_min=1e-6)  # doctest: +SKIP
>>> report.algorithm("armijo").model, report.algorithm("armijo").exponent                # doctest: +SKIP
('power', 0.667)

:func:`check` takes an expression (parsed safely, never evaluated as Python), a registry
name (``function="cosh"``), or the user's own batched NumPy callables ``f(X) -> (B,)`` and
``grad(X) -> (B, n)`` with the class tags the user asserts; it runs the algorithms,
estimates the hypotheses, names each start's limit point, fits the rate per limit point,
checks every applicable bound and returns a frozen :class:`~armijo_suite.report.CheckReport`
(``.to_json()``, ``.text()``, ``.plot(path)``).  :func:`sweep` does so for every value of
declared parameters and compares the fitted exponents with a conjectured formula.

Bad input raises :class:`CheckInputError` (a ``ValueError``) with a one-line message; the
command line turns it into exit code 2.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np

from armijo import ALGORITHMS
from armijo.params import check_in_range, resolve_params
from experiments.machinery.cases import eps_grid
from experiments.machinery.runner import backend_choice, run_minimize
from theory.assessment import MAX_ESTIMATION_DIMENSION, assess_run, estimate_hypotheses, known_infimum

from armijo_suite.limits import (ALGORITHM_OPTIONS, DEFAULT_ALGORITHMS, DEFAULT_BOX, DEFAULT_EPS_MIN,  # noqa: F401
                                 DEFAULT_MAX_ITER, EPS_LIMITS, MAX_EPS_PER_DECADE, MAX_ITER_LIMIT, MAX_STARTS,
                                 MAX_SWEEP_VALUES, CheckInputError, check_numbers)
from armijo_suite.report import (CheckReport, ExpectReport, ExpectRow, FunctionReport, SweepReport,
                                 algorithm_report, headline_theta, number)

# ----------------------------------------------------------------------------- objectives


def _objective_from_callables(f, grad, hess, dimension, *, name, analytic, bounded, l_smooth, l0l1_smooth, f_star):
    from functions.objective import Objective, finite_difference_hessian, uniform_box_sampler

    if not callable(f) or not callable(grad):
        raise CheckInputError("f and grad must be callables: f(X) -> (B,), grad(X) -> (B, n)")
    if hess is not None and not callable(hess):
        raise CheckInputError("hess must be a callable hess(X) -> (B, n, n), or None (finite differences of grad)")
    for tag, value in (("analytic", analytic), ("bounded", bounded), ("l_smooth", l_smooth),
                       ("l0l1_smooth", l0l1_smooth)):
        if value not in (True, False, None):
            raise CheckInputError(f"{tag} must be True, False or None (unknown), got {value!r}")
    variables = tuple(f"x{i + 1}" for i in range(dimension))
    return Objective(
        name=name or "user callables", params={}, variables=variables, expression=None,
        f=f, grad=grad, hess=hess if hess is not None else finite_difference_hessian(grad, dimension),
        default_start=np.full(dimension, 0.5),
        sample_starts=uniform_box_sampler(np.full(dimension, DEFAULT_BOX[0]), np.full(dimension, DEFAULT_BOX[1])),
        analytic=analytic, analytic_reason="declared by the user" if analytic is not None else "not declared",
        smoothness="declared by the user", l_smooth=l_smooth, l0l1_smooth=l0l1_smooth, bounded_iterates=bounded,
        f_star=f_star, hess_method="user" if hess is not None else "central finite differences of grad",
        reference="user callables", description="user-supplied f and grad")


def _objective(expression, function, f, grad, hess, params, variables, dimension, tags):
    """The objective and the expression text (None for registry entries and callables)."""
    import functions

    given = [name for name, value in (("an expression", expression), ("function", function), ("f", f))
             if value is not None]
    if len(given) != 1:
        raise CheckInputError("give exactly one of: an expression, function=NAME, or f and grad callables"
                              + (f" (got {', '.join(given)})" if given else ""))
    params = dict(params or {})
    try:
        if function is not None:
            if variables is not None:
                raise CheckInputError("variables go with an expression, not with a registry function")
            return functions.get(function, **params), None
        if f is not None:
            if params or variables is not None:
                raise CheckInputError("params and variables go with an expression, not with callables")
            return _objective_from_callables(f, grad, hess, dimension, **tags), None
        return functions.from_expression(expression, parameters=params, variables=variables), expression
    except CheckInputError:
        raise
    except ValueError as error:  # ExpressionError and the registry's one-line errors
        raise CheckInputError(str(error)) from None


def _dimension(x0, variables, f):
    if f is None:
        return None
    if x0 is not None:
        return int(np.atleast_2d(np.asarray(x0, dtype=float)).shape[1])
    if variables is not None:
        return len(variables)
    raise CheckInputError("with callables give x0 (the start, which sets the dimension) or variables")


# ----------------------------------------------------------------------------- inputs


def describe_starts(objective, x0, starts, box, seed):
    """Where the starts come from, for the report."""
    if x0 is not None:
        return "given (x0)"
    count = 8 if starts is None else starts
    if box is not None:
        return f"{count} uniform in [{box[0]:g}, {box[1]:g}]^{objective.n} (seed {seed})"
    sampler_box = getattr(objective.sample_starts, "box", None)
    if sampler_box is not None:
        low, high = (np.asarray(v, dtype=float) for v in sampler_box)
        if np.all(low == low[0]) and np.all(high == high[0]):
            where = f"[{low[0]:g}, {high[0]:g}]^{objective.n}"
        else:
            where = "the box [" + ", ".join(f"{a:g}..{b:g}" for a, b in zip(low, high)) + "]"
        return f"{count} uniform in {where}, the function's start distribution (seed {seed})"
    return f"{count} from the function's start distribution (seed {seed})"


def _starts(objective, x0, starts, box, seed):
    if x0 is not None:
        if starts is not None:
            raise CheckInputError("give either x0 or starts, not both")
        if box is not None:
            raise CheckInputError("box draws random starts: give it with starts, not with x0")
        try:
            X = np.atleast_2d(np.asarray(x0, dtype=float))
        except (TypeError, ValueError):
            raise CheckInputError(f"x0 must be numbers, got {x0!r}") from None
        if X.ndim != 2 or X.shape[1] != objective.n:
            names = ", ".join(objective.variables)
            raise CheckInputError(f"x0 has {X.shape[-1] if X.ndim else 0} value(s) but the function has "
                                  f"{objective.n} variable(s) ({names})")
        if not np.isfinite(X).all():
            raise CheckInputError("x0 must be finite")
        return X
    count = 8 if starts is None else starts
    rng = np.random.default_rng(seed)
    if box is None:
        return np.asarray(objective.sample_starts(rng, count), dtype=float)
    try:
        low, high = (float(v) for v in box)
    except (TypeError, ValueError):
        raise CheckInputError(f"box takes (LO, HI), got {box!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise CheckInputError(f"box takes finite LO < HI, got {box!r}")
    return rng.uniform(low, high, size=(count, objective.n))


def validate_starts(objective, starts):
    """Refuse starts where ``f`` or its gradient is not finite, or the callables return bad shapes."""
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(objective.f(starts), dtype=float)
            gradients = np.asarray(objective.grad(starts), dtype=float)
    except Exception as error:  # noqa: BLE001 - the user's own callables may raise anything
        raise CheckInputError(f"evaluating the function at the starts failed: {type(error).__name__}: {error}") from None
    if values.shape != (starts.shape[0],) or gradients.shape != starts.shape:
        raise CheckInputError(f"f must map (B, n) to (B,) and grad (B, n) to (B, n): got {values.shape} and "
                              f"{gradients.shape} for starts of shape {starts.shape}")
    bad = ~(np.isfinite(values) & np.isfinite(gradients).all(axis=1))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        point = ", ".join(f"{v:g}" for v in starts[index])
        what = "f" if not np.isfinite(values[index]) else "the gradient"
        raise CheckInputError(f"{what} is not finite at the start ({point}); choose another start")


def algorithm_options(algorithm, options):
    """The options given for ``algorithm`` (the others belong to other algorithms), not yet validated."""
    accepted = ALGORITHMS[algorithm].parameters
    return {name: value for name, value in options.items() if value is not None and name in accepted}


def unused_options(algorithms, options):
    """Options given that no chosen algorithm takes (they would be silently ignored)."""
    return [name for name, value in options.items() if value is not None
            and not any(name in ALGORITHMS[a].parameters for a in algorithms)]


#: The pilot run that defines the sampled region when l0l1-gd's (L0, L1) are estimated and no Armijo
#: variant is among the chosen algorithms (Armijo iterates stay in the sublevel set of their start).
PILOT_ALGORITHM = "armijo"


def parameters_with(algorithm, **values):
    """``resolve_params`` as a check's one-line error (CheckInputError)."""
    try:
        return resolve_params(algorithm, **values)
    except ValueError as error:
        raise CheckInputError(str(error)) from None


def with_f_star(objective, f_star):
    """The objective with the optimal value ``f_star`` the user asserts (None: unchanged).

    Raises
    ------
    CheckInputError
        For a value out of range, or one that contradicts an infimum the registry knows.
    """
    if f_star is None:
        return objective
    try:
        value = check_in_range("f_star", f_star)
    except ValueError as error:
        raise CheckInputError(str(error)) from None
    known = objective.f_star
    if known is not None and np.isfinite(known):
        if not math.isclose(value, known, rel_tol=1e-12, abs_tol=1e-12):
            raise CheckInputError(f"{objective.name}'s inf f is known ({known:g}): f_star must agree with it, "
                                  f"got {value:g}")
        return objective
    return dataclasses.replace(objective, f_star=value)


def rival_constants(objective, algorithms, options):
    """The constants the rivals need, resolved before any run.

    Returns
    -------
    constants : dict
        Algorithm -> extra parameters (``polyak``: ``f_star``; ``l0l1-gd``: the declared ``L0``, ``L1``).
    estimate : bool
        Whether l0l1-gd's (L0, L1) must be estimated from the runs (neither given nor declared).

    Raises
    ------
    CheckInputError
        ``polyak`` without a known or given f*, ``l0l1-gd`` with one of L0, L1 only or with constants
        that cannot be estimated (no Hessian, or dimension above the sampling limit),
        ``normalized-gd-decay`` without R.
    """
    constants, estimate = {}, False
    if "polyak" in algorithms:
        f_star, _ = known_infimum(objective)
        if not np.isfinite(f_star):
            raise CheckInputError("polyak needs f_star (the optimal value f*, not known for this function); "
                                  "polyak-level estimates it")
        constants["polyak"] = {"f_star": f_star}
    if "l0l1-gd" in algorithms:
        given = [name for name in ("L0", "L1") if options.get(name) is not None]
        declared = dict(getattr(objective, "constants", None) or {})
        if len(given) == 1:
            raise CheckInputError(f"l0l1-gd takes L0 and L1 (together); only {given[0]} is given")
        if not given and {"L0", "L1"} <= set(declared):
            constants["l0l1-gd"] = {"L0": float(declared["L0"]), "L1": float(declared["L1"])}
        elif not given:
            if objective.n > MAX_ESTIMATION_DIMENSION or getattr(objective, "hess", None) is None:
                why = (f"dimension {objective.n} > {MAX_ESTIMATION_DIMENSION}" if objective.n > MAX_ESTIMATION_DIMENSION
                       else "no Hessian to sample")
                raise CheckInputError(f"l0l1-gd needs L0 and L1 (they cannot be estimated here: {why})")
            estimate = True
    if "normalized-gd-decay" in algorithms and options.get("R") is None:
        raise CheckInputError("normalized-gd-decay needs R (the scale of its steps R/sqrt(k+1), ideally the "
                              "distance from the start to a minimiser)")
    return constants, estimate


def _settings(algorithms, options, eps_max, eps_min, eps_per_decade, max_iter, backend_name):
    algorithms = list(algorithms)
    if not algorithms:
        raise CheckInputError("give at least one algorithm")
    for name in algorithms:
        if name not in ALGORITHMS:
            raise CheckInputError(f"unknown algorithm {name!r}; choose among {', '.join(ALGORITHMS)}")
        if algorithms.count(name) > 1:
            raise CheckInputError(f"algorithm {name} is given twice")
    for name, value in options.items():
        if value is not None:
            try:
                check_in_range(name, value)
            except ValueError as error:
                raise CheckInputError(str(error)) from None
    eps_min_value = DEFAULT_EPS_MIN[backend_name] if eps_min is None else eps_min
    budget = DEFAULT_MAX_ITER[backend_name] if max_iter is None else max_iter
    check_numbers(eps_max=eps_max, eps_min=eps_min_value, eps_per_decade=eps_per_decade, max_iter=budget)
    eps = eps_grid(float(eps_max), float(eps_min_value), int(eps_per_decade))
    return algorithms, eps, int(budget)


def _run_check(objective, starts, parameters, estimated, eps, max_iter, backend, seed, expression_text, dropped,
               starts_drawn=""):
    """Run every algorithm with its ``parameters`` (resolved, in report order).

    The algorithms in ``estimated`` (l0l1-gd without (L0, L1)) run last, with the suite's (L0, L1) pair
    estimated from the other runs (the region the Armijo variants visited; an ``armijo`` pilot run to the
    first threshold when none was chosen); one :class:`~theory.assessment.Hypotheses` then serves every
    assessment, so the report's (L0, L1) are the ones the run used.
    """
    def run(algorithm, thresholds, params):
        return run_minimize(objective, starts, algorithm, backend=backend, eps=thresholds, max_iter=max_iter,
                            trace=True, **params)

    runs = {algorithm: run(algorithm, eps, params) for algorithm, params in parameters.items()
            if algorithm not in estimated}
    hypotheses, notes = None, {}
    if estimated:
        region = list(runs.values())
        if not any(ALGORITHMS[result.algorithm].line_search for result in region):
            region.append(run(PILOT_ALGORITHM, eps[:1], {}))
        hypotheses = estimate_hypotheses(objective, starts, region, seed=seed)
        if hypotheses.L0 is None or hypotheses.L1 is None or not hypotheses.L0 + hypotheses.L1 > 0:
            raise CheckInputError(f"the (L0, L1) pair could not be estimated on {hypotheses.sampled_on}; give L0 and "
                                  "L1 (they are needed by l0l1-gd)")
        for algorithm in estimated:
            params = parameters_with(algorithm, **parameters[algorithm], L0=hypotheses.L0, L1=hypotheses.L1)
            runs[algorithm] = run(algorithm, eps, params)
            notes[algorithm] = (f"(L0, L1) = ({hypotheses.L0:.4g}, {hypotheses.L1:.4g}) estimated, not given: the "
                                f"function's pair reported above, sampled on {hypotheses.sampled_on} (lower estimates)")
    runs = [runs[algorithm] for algorithm in parameters]
    if hypotheses is None:
        hypotheses = estimate_hypotheses(objective, starts, runs, seed=seed)
    assessments = tuple(assess_run(objective, result, hypotheses, fit_seed=seed) for result in runs)
    assessments = tuple(dataclasses.replace(a, notes=a.notes + (notes[a.algorithm],)) if a.algorithm in notes else a
                        for a in assessments)
    function = FunctionReport(
        name=objective.name,
        expression=expression_text if expression_text is not None else (
            str(objective.expression) if objective.expression is not None else None),
        variables=tuple(objective.variables),
        params=dict(objective.params),
        analytic=objective.analytic,
        analytic_reason=objective.analytic_reason,
        l_smooth_declared=objective.l_smooth,
        l0l1_smooth_declared=objective.l0l1_smooth,
        L=number(hypotheses.L), L0=number(hypotheses.L0), L1=number(hypotheses.L1),
        grad_norm_max=number(hypotheses.grad_norm_max),
        lojasiewicz_theta=headline_theta(assessments),
        f_star=number(hypotheses.f_star),
        f_star_source=hypotheses.f_star_source,
        bounded_iterates=hypotheses.bounded_iterates,
        constants_sampled_on=hypotheses.sampled_on,
        constants_are_lower_estimates=hypotheses.lower_estimates,
        dropped_names=tuple(dropped),
        starts_drawn=starts_drawn,
    )
    return CheckReport(function, tuple(algorithm_report(r, a) for r, a in zip(runs, assessments)), assessments)


# ----------------------------------------------------------------------------- the interface


def check(expression=None, *, function=None, f=None, grad=None, hess=None, params=None, variables=None,
          x0=None, starts=None, box=None, seed=0, algorithms=DEFAULT_ALGORITHMS, eta0=None, lam=None, f1=None,
          f2=None, eta=None, L0=None, L1=None, R=None, f_star=None, eps_max=1e-2, eps_min=None, eps_per_decade=4,
          max_iter=None, backend="auto", name=None, analytic=None, bounded=None, l_smooth=None, l0l1_smooth=None):
    """Check the complexity bounds of Armijo-like methods on one function.

    Parameters
    ----------
    expression : str, optional
        The objective, e.g. ``"x**4 + 3*y**2"`` (parsed safely, never run as Python).
    function : str, optional
        A registry entry instead (``armijo functions`` lists them); ``params`` its parameters.
    f, grad, hess : callable, optional
        The user's own batched oracles instead: ``f(X) -> (B,)``, ``grad(X) -> (B, n)``,
        ``hess(X) -> (B, n, n)`` (optional; central differences of ``grad`` otherwise).
        With callables, give ``x0`` (it sets the dimension) and the class tags you assert:
        ``analytic``, ``bounded`` (bounded iterates), ``l_smooth``, ``l0l1_smooth`` (True,
        False or None for unknown), and ``f_star`` where ``inf f`` is known.
    params : dict, optional
        Parameter values: of the registry family, or of the names of the expression that are
        parameters, not variables (e.g. ``{"p": 3}`` for ``"x**(2*p)"``).
    variables : sequence of str, optional
        Variable order of an expression (default: natural order, ``x2`` before ``x10``).
    x0 : array_like, optional
        One start ``(n,)`` or several ``(B, n)``.
    starts, box, seed
        Otherwise ``starts`` random starts (default 8) drawn from the function's start
        distribution (for expressions: uniform in ``[-2, 2]^n``) or uniform in
        ``box = (LO, HI)`` per coordinate, with ``seed``.
    algorithms : sequence of str
        Engine algorithms (default ``armijo``, ``armijo-increase``, ``gd``; ``armijo algorithms``
        lists them, with the tuning-free rivals ``polyak``, ``polyak-level``, ``adgd``,
        ``l0l1-gd``, ``normalized-gd-decay``).
    eta0, lam, f1, f2, eta : float, optional
        Algorithm parameters (defaults: the engine's); each must belong to a chosen algorithm
        (``eta0`` is also AdGD's and polyak-level's first step, ``eta`` l0l1-gd's numerator).
    L0, L1 : float, optional
        l0l1-gd's constants, together; without them they are the function's declared constants, or
        estimated (the (L0, L1) pair of the report, sampled on the region the runs visited: lower
        estimates), or refused where they cannot be (no Hessian, dimension above 64).
    R : float, optional
        normalized-gd-decay's step scale (required with it).
    f_star : float, optional
        The optimal value ``inf f``: polyak's f* (without it, polyak uses the known infimum: the
        registry's, or a univariate polynomial's; else it is refused), and the theory's ``inf f``.
        For a registry entry whose infimum is known it must agree with it.
    eps_max, eps_min, eps_per_decade : float, float, int
        The thresholds on ``||grad f||`` (default ``1e-2`` to ``1e-10`` on the compiled
        backend, ``1e-8`` on NumPy; 4 per decade).
    max_iter : int, optional
        Budget per start (default ``2 10^8`` compiled, about 8 s per start that never
        converges; ``2 10^5`` NumPy).
    backend : str
        ``"auto"`` (compiled when Numba is installed and the function has a kernel),
        ``"compiled"`` or ``"numpy"``.
    name : str, optional
        A name for callables in the report.

    Returns
    -------
    CheckReport

    Raises
    ------
    CheckInputError
        Bad input, with a one-line message.
    """
    tags = dict(name=name, analytic=analytic, bounded=bounded, l_smooth=l_smooth, l0l1_smooth=l0l1_smooth)
    if f is None and (grad is not None or hess is not None):
        raise CheckInputError("grad and hess go with f")
    if f is not None and grad is None:
        raise CheckInputError("with f, give grad as well")
    if f is None and any(value is not None for key, value in tags.items()):
        raise CheckInputError("name and the class tags (analytic, bounded, ...) go with f and grad callables: "
                              "expressions and registry entries carry their own")
    check_numbers(eps_max=eps_max, eps_min=eps_min, eps_per_decade=eps_per_decade, max_iter=max_iter,
                  starts=starts, seed=seed)
    objective, text = _objective(expression, function, f, grad, hess, params, variables,
                                 _dimension(x0, variables, f), {**tags, "f_star": None})
    objective = with_f_star(objective, f_star)
    options = {"eta0": eta0, "lam": lam, "f1": f1, "f2": f2, "eta": eta, "L0": L0, "L1": L1, "R": R}
    try:
        choice = backend_choice(objective, backend)
    except ValueError as error:
        raise CheckInputError(str(error)) from None
    algorithms, eps, budget = _settings(algorithms, options, eps_max, eps_min, eps_per_decade, max_iter,
                                        choice.backend)
    unused = unused_options(algorithms, options)
    if unused:
        verb = "is a parameter" if len(unused) == 1 else "are parameters"
        raise CheckInputError(f"{' and '.join(unused)} {verb} of none of the chosen algorithms "
                              f"({', '.join(algorithms)})")
    constants, estimate = rival_constants(objective, algorithms, options)
    parameters, estimated = {}, []
    for algorithm in algorithms:
        chosen = {**algorithm_options(algorithm, options), **constants.get(algorithm, {})}
        if algorithm == "l0l1-gd" and estimate:
            parameters_with(algorithm, **chosen, L0=1.0, L1=1.0)  # its other parameters, refused before any work
            parameters[algorithm] = chosen
            estimated.append(algorithm)
        else:
            parameters[algorithm] = parameters_with(algorithm, **chosen)
    X = _starts(objective, x0, starts, box, seed)
    validate_starts(objective, X)
    dropped = ()
    if text is not None:
        from functions.expressions import dropped_names
        dropped = dropped_names(text, objective.expression, params)
    return _run_check(objective, X, parameters, tuple(estimated), eps, budget, choice.backend, seed, text, dropped,
                      describe_starts(objective, x0, starts, box, seed))


def parse_values(text):
    """Values of a swept parameter: ``"2,3,4"``, ``"2:8"`` (integers, inclusive) or ``"0.5:2:0.5"``."""
    text = text.strip()
    try:
        if ":" in text:
            parts = [float(part) for part in text.split(":")]
            if len(parts) not in (2, 3):
                raise ValueError
            start, stop = parts[0], parts[1]
            step = parts[2] if len(parts) == 3 else 1.0
            if not all(math.isfinite(p) for p in parts) or step <= 0:
                raise CheckInputError(f"a range START:STOP[:STEP] needs finite numbers and STEP > 0, got {text!r}")
            count = math.floor((stop - start) / step + 1e-9) + 1
            if count < 1:
                raise CheckInputError(f"the range {text!r} is empty")
            if count > MAX_SWEEP_VALUES:
                raise CheckInputError(f"the range {text!r} has {count} values; at most {MAX_SWEEP_VALUES}")
            values = [start + k * step for k in range(count)]
        else:
            values = [float(part) for part in text.split(",") if part.strip()]
    except CheckInputError:
        raise
    except ValueError:
        raise CheckInputError(f"sweep values are NUMBERS,... or START:STOP[:STEP], got {text!r}") from None
    if not values:
        raise CheckInputError(f"no value to sweep in {text!r}")
    if not all(math.isfinite(v) for v in values):
        raise CheckInputError(f"sweep values must be finite, got {text!r}")
    return [int(v) if float(v).is_integer() else v for v in values]


def sweep(expression=None, *, over, function=None, params=None, expect=None, **check_options):
    """:func:`check` for every combination of the values in ``over``; compare with ``expect``.

    Parameters
    ----------
    expression, function : str
        As in :func:`check` (an expression whose parameters are the swept names, or a registry
        family whose parameters they are).
    over : dict
        Swept parameter -> list of values (at most :data:`MAX_SWEEP_VALUES` combinations).
    params : dict, optional
        Parameters held fixed.
    expect : str, optional
        A conjectured exponent as a formula in the swept parameters, e.g.
        ``"(2*p-2)/(2*p-1)"`` (same safe parser): each row agrees when it lies in the
        fitted interval of the first algorithm (the largest limit group).
    **check_options
        Everything else :func:`check` takes (``x0``, ``algorithms``, ``eps_min``...).

    Returns
    -------
    SweepReport
    """
    if not isinstance(over, dict) or not over:
        raise CheckInputError("over must map each swept parameter to its values")
    if check_options.get("f") is not None:
        raise CheckInputError("a sweep needs an expression or a registry family (callables have no parameters)")
    fixed = dict(params or {})
    over = dict(over)
    names = list(over)
    for name in names:
        if name in fixed:
            raise CheckInputError(f"{name} is both swept and fixed")
        values = over[name]
        if isinstance(values, str):
            over[name] = parse_values(values)
        elif not list(values):
            raise CheckInputError(f"no value to sweep for {name}")
    combinations = list(itertools.product(*(list(over[name]) for name in names)))
    if len(combinations) > MAX_SWEEP_VALUES:
        raise CheckInputError(f"{len(combinations)} parameter values to sweep; at most {MAX_SWEEP_VALUES}")
    formula = None
    if expect is not None:
        formula = _expect_formula(expect, names)
    rows, table = [], []
    for combination in combinations:
        values = dict(zip(names, combination))
        try:
            report = check(expression, function=function, params={**fixed, **values}, **check_options)
        except CheckInputError as error:
            raise CheckInputError(f"{_values_text(values)}: {error}") from None
        rows.append(report)
        table.append(values)
    expect_report = None
    if formula is not None:
        expect_rows = []
        for values, report in zip(table, rows):
            expected = _evaluate(formula, values)
            block = report.algorithms[0]
            low, high = block.exponent_ci
            agrees = (expected is not None and low is not None and high is not None
                      and low - 1e-12 <= expected <= high + 1e-12)
            expect_rows.append(ExpectRow(values, expected, block.model, block.exponent, block.exponent_ci, bool(agrees)))
        expect_report = ExpectReport(expect, rows[0].algorithms[0].algorithm,
                                     sum(row.agrees for row in expect_rows), tuple(expect_rows))
    return SweepReport({"parameters": names, "values": table, "fixed": fixed,
                        "target": expression if expression is not None else function}, tuple(rows), expect_report)


def _values_text(values):
    return ", ".join(f"{name}={value:g}" for name, value in values.items())


def _expect_formula(text, names):
    """The conjecture parsed safely; its only names must be swept parameters."""
    from functions.expressions import ExpressionError, parse_expression

    try:
        expression, symbols = parse_expression(text, allow_constant=True)
    except ExpressionError as error:
        raise CheckInputError(f"expect: {error}") from None
    unknown = [symbol.name for symbol in symbols if symbol.name not in names]
    if unknown:
        raise CheckInputError(f"expect: {', '.join(unknown)} is not a swept parameter ({', '.join(names)})")
    return expression


def _evaluate(formula, values):
    import sympy

    substituted = formula.subs({sympy.Symbol(name, real=True): value for name, value in values.items()})
    try:
        value = float(substituted)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
