r"""The Lojasiewicz exponent at a limit point, the rate it predicts, and where that prediction applies.

Setting
-------
``x*`` a critical point of ``f`` (a verified limit point, :mod:`theory.limits`) with value
``f_* = f(x*)``.  The Lojasiewicz inequality near ``x*``:

.. math:: |f(x) - f_*|^{\theta} \le C \|\nabla f(x)\|, \qquad \theta \in [1/2, 1).

Definition first: ``theta`` is decided by the **smallest** gradient on each level set near
``x*``, ``m(c) = min { ||grad f(x)|| : f(x) = f_* + c, x near x* } ~ c^theta`` as ``c -> 0``.
A monotone method converging to ``x*`` has ``f(x_k) > f_*``: only the levels above ``f_*``
matter (at a saddle reached along its stable manifold the other side does not slow the run).
Estimated here from the point itself, not from the run whose counts it then explains
(``theta`` = ``theta``, ``C`` = ``C``); :attr:`LocalLojasiewicz.method_kind` says which way:

* ``morse``: a nondegenerate Hessian gives ``theta = 1/2`` (Morse lemma);
* ``univariate taylor``: one variable, the first Taylor coefficient beyond the constant that is
  not explained by the uncertainty of ``x*`` has order ``k >= 2``: ``theta = 1 - 1/k``
  (``|f - f_*| ~ a |x - x*|^k``, ``|f'| ~ k a |x - x*|^{k-1}``); the coefficients are read from
  the SymPy derivatives at ``x*`` (orders up to :data:`MAX_TAYLOR_ORDER`);
* ``homogeneous form``: several variables, the lowest-order homogeneous part ``P_d`` of the
  Taylor expansion at ``x*`` (``d <= MAX_FORM_DEGREE``) has a gradient that vanishes nowhere on
  the unit sphere (so ``x*`` is its only critical point): ``||grad f|| >= c r^{d-1}``,
  ``|f - f_*| <= C r^d``, and ``theta = 1 - 1/d``;
* ``level sets`` otherwise (curved valleys, mixed orders, non-isolated sets): ``m(c)`` is
  computed by minimising ``||grad f||`` on ``{f = f_* + c}`` for :data:`LEVELS_PER_DECADE`
  levels per decade over :data:`LEVEL_DECADES` decades below the run's own levels (a
  Levenberg-Marquardt / Gauss-Newton step on ``||grad f||^2`` with the level as a linearised
  constraint, then a return to the level along the gradient), from many starts: the run's own
  iterates and the continuation of the run's last iterates down the levels (the valley the run
  follows), points on straight rays (coordinate directions, the Hessian's eigenvectors, seeded
  random ones) where they cross the level, and the best points of the neighbouring levels.
  The neighbourhood of ``x*`` at level ``c`` is the ball of radius :data:`NEIGHBOURHOOD_FACTOR`
  times the distance of the run's valley at that level (at most the outer sphere's radius):
  on a set of minima it keeps the search at ``x*`` and away from the set's other points.
  ``theta`` is the least-squares slope of ``log m`` against ``log c`` over the deepest
  :data:`FIT_DECADES` decades of levels; its interval spans the one-decade slopes there and
  twice the slope's standard error (a width of at least :data:`THETA_HALF_WIDTH` each side).
  Each ``m(c)`` found is an upper bound of the true minimum on that level; the slope is the
  true ``theta`` when the search finds the minimum at every level (up to a constant factor),
  and lower when it misses the valley at the smallest levels only.  Straight rays alone would
  miss curved valleys: on ``(y - x^2)^2 + x^4`` every ray sees quadratic growth (theta 1/2),
  while along ``y = x^2``, ``f = x^4`` and ``||grad f|| = 4|x|^3`` (theta 3/4).

At a degenerate point of a function that is not analytic (``objective.analytic is False``) no
estimate is made: no Lojasiewicz inequality is guaranteed there (``exp(-1/x^2)``, the spiral).

Scales
------
The exponent is asymptotic.  ``x^4 + a x^2`` has ``theta = 1/2``, but its quadratic term
dominates the gradient only below ``||g|| ~ 2a sqrt(a/2)``; above, the run sees ``x^4``.  The
**profile** ``m(c)`` over the levels gives a local exponent ``theta(g)`` at each gradient norm
(one-decade slopes): along rays (the two sides of ``x*`` for one variable, exactly the level
sets) for the exact cases, from the level sets otherwise.  ``valid_below_eps`` is the largest
gradient norm below which every local exponent predicts the asymptotic rate within
:data:`VALIDITY_TOL`; where the profile never reaches the asymptotic exponent, the smallest
gradient norm probed (the prediction then applies only below the probed range).

Prediction
----------
With a constant accepted step near the limit (``armijo`` near a degenerate minimum keeps
``eta0``; fixed-step baselines), gradient descent on ``|f - f_*| ~ r^k`` gives
(SCIENCE.md, "Rate models near a limit point"):

* ``theta = 1/2``: linear convergence, ``N(eps) = a + b log(1/eps)``: model ``logarithmic``;
* ``theta in (1/2, 1)``: ``N(eps) ~ eps^-(2 - 1/theta)``: model ``power`` with that exponent
  (``x^(2p)``: ``theta = 1 - 1/(2p)``, exponent ``(2p-2)/(2p-1)``).

:func:`predict` gives the rate **over the fit window actually measured**: the asymptotic one
where the window lies below ``valid_below_eps``, else the one of the local exponent over the
window (the term that dominates there), when that exponent predicts one rate across the window
(within :data:`STRADDLE_TOL`); a window that straddles a crossover gets no prediction, and a
disagreement counts only where a prediction applies.

Derivation (one variable, ``f - f_* = a s^k`` with ``s = |x - x*|``): a constant step
``eta`` gives ``s_{k+1} = s_k - eta k a s_k^{k-1}``, so ``s_k ~ (c n)^{-1/(k-2)}`` for
``k > 2`` and ``s_k ~ rho^n`` for ``k = 2``; ``||g|| = k a s^{k-1} <= eps`` after
``n ~ eps^{-(k-2)/(k-1)}`` iterations, and ``(k-2)/(k-1) = 2 - 1/theta`` with
``theta = (k-1)/k``.  Where the accepted steps are not constant (``armijo-increase``
multiplies them by ``f2``) the prediction does not apply and is not used.

T3 with these constants
-----------------------
``K`` is the entry into the sampled neighbourhood: the first recorded iteration from which
every recorded iterate lies in the outer ball and ``f(x_K) - f_* < m``, ``m`` the smallest gap
``f - f_*`` found on the outer sphere.  For a minimum the gap condition keeps a monotone method
converging to ``x*`` inside the ball (it cannot cross the sphere where ``f >= f_* + m``), as far
as the sampled ``m`` is the true minimum on the sphere; the recorded iterates check it.  ``C``
is the largest ``|f - f_*|^theta / ||grad f||`` over the outer spheres' samples and the level
sets' minima, so it is a lower estimate (a count above this bound says first that ``C`` was
under-estimated).  For saddles, maxima and non-isolated sets (some gaps on the sphere are
negative or zero) the neighbourhood is not a sublevel set and T3 is not evaluated with these
constants.

References
----------
Lojasiewicz (1963); Attouch & Bolte, Math. Prog. 2009; Absil, Mahony, Andrews 2005;
B. Bensaid, arXiv:2412.14637 (2024).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from theory.limits import _stiff_corrections, gradient_rounding_level

MAX_TAYLOR_ORDER = 12
"""Largest Taylor order read for the exact univariate exponent."""

TAYLOR_RTOL = 1e-12
"""Taylor coefficients (and forms) below this share of the largest are rounding of the evaluation."""

SHIFT_SAFETY = 10.0
"""A lower-order Taylor coefficient counts only when it exceeds this many times what an error of ``x*``
by its uncertainty would create from the higher-order ones (``sum_m binom(m, j) |a_m| delta^(m-j)``)."""

MAX_FORM_DEGREE = 8
"""Largest degree of the lowest-order homogeneous form read for the exact multivariate exponent."""

MAX_FORM_DIMENSION = 4
"""Largest dimension for the homogeneous-form test (its sphere is sampled)."""

MAX_FORM_OPERATIONS = 60
"""A non-polynomial expression is expanded for the homogeneous-form test only up to this many operations."""

FORM_SAMPLES = 2048
"""Points of the unit sphere where the form's gradient is checked (an angle grid in 2-D)."""

FORM_RTOL = 1e-3
"""The form's gradient vanishes nowhere on the sphere when its smallest norm there exceeds this share
of its largest."""

SHELL_RADII = tuple(np.logspace(-1, -4, 7))
"""Radii of the sampled spheres, relative to ``1 + ||x*||``."""

SHELL_DIRECTIONS = 64
"""Random directions per sphere (besides the ``2 n`` coordinate directions and the Hessian's eigenvectors)."""

LEVELS_PER_DECADE = 2
"""Levels ``c`` of the profile per decade."""

LEVEL_DECADES = 20
"""Decades of levels below the top level (fewer where ``f - f_*`` or the gradient reaches its rounding)."""

RAY_DIRECTIONS = 16
"""Random directions of the ray profile (besides the coordinate directions and the Hessian's eigenvectors)."""

RAY_DECADES = 14
"""Decades of radii along each ray of a ray profile (below the outer radius)."""

RAY_POINTS_PER_DECADE = 8
"""Radii per decade along each ray."""

NEIGHBOURHOOD_FACTOR = 10.0
"""The level-set search at level ``c`` stays within this many times the distance of the run's valley
at that level from ``x*``."""

LEVEL_ITERATIONS = 40
"""Levenberg-Marquardt iterations of the level-set search (then :data:`LEVEL_POLISH` per later pass)."""

LEVEL_POLISH = 15
"""Iterations of each later pass (from the best points of the neighbouring levels)."""

LEVEL_PASSES = 2
"""Passes from the neighbouring levels' best points."""

LEVEL_RTOL = 1e-3
"""A point is on the level ``f_* + c`` when ``|f - f_* - c| <= LEVEL_RTOL c``."""

MAX_LEVEL_SET_DIMENSION = 10
"""Above this dimension the level-set search is not run (theta at a degenerate point not estimated)."""

GRAD_NOISE_FACTOR = 100.0
"""Profile points count only where the gradient exceeds this many times its rounding level at ``x*``."""

VALUE_NOISE_ULPS = 1e4
"""...and ``f - f_*`` exceeds this many ulps of ``f_*``."""

FIT_DECADES = 4.0
"""theta of the level sets: the slope over the deepest decades of valid levels."""

MIN_FIT_LEVELS = 5
"""Fewest valid levels for a level-set theta."""

THETA_HALF_WIDTH = 0.005
"""Smallest half-width of a level-set theta's interval (the search's own resolution)."""

LOGARITHMIC_TOL = 0.01
"""A theta within this of 1/2 predicts linear convergence (``logarithmic``)."""

VALIDITY_TOL = 0.02
"""A local exponent predicts the asymptotic rate when their predicted exponents differ by at most this."""

STRADDLE_TOL = 0.05
"""Over a fit window, local exponents whose predicted exponents spread by more than this straddle a
crossover: no single rate is predicted there."""

STEP_SETTLED_RTOL = 1e-6
"""Accepted steps are constant when the recorded tail steps agree within this relative spread."""


@dataclass(frozen=True)
class LevelProfile:
    """The smallest gradient norm found on each level ``{f = f_* + c}`` near ``x*``.

    Attributes
    ----------
    levels : ndarray
        ``c``, decreasing.
    grad_min : ndarray
        ``m(c)`` (nan where no point of the level was found, or below the rounding level).
    method : str
        ``"rays"`` or ``"level sets"``.
    """

    levels: np.ndarray
    grad_min: np.ndarray
    method: str

    def valid(self):
        """Mask of the levels with a finite, positive ``m(c)``."""
        return np.isfinite(self.grad_min) & (self.grad_min > 0)

    def local_exponents(self):
        """One-decade slopes of ``log m`` against ``log c``: ``(gradient norms, local thetas)``, the
        gradient norm being the geometric mean of the two ends, ordered from the top level down."""
        keep = self.valid()
        log_c, log_m = np.log10(self.levels[keep]), np.log10(self.grad_min[keep])
        norms, thetas = [], []
        for i in range(log_c.size):
            j = np.flatnonzero(log_c[i] - log_c >= 1.0 - 1e-9)
            if not j.size:
                continue
            j = j[0]
            thetas.append((log_m[i] - log_m[j]) / (log_c[i] - log_c[j]))
            norms.append(10 ** (0.5 * (log_m[i] + log_m[j])))
        return np.array(norms), np.array(thetas)


@dataclass(frozen=True)
class LocalLojasiewicz:
    """Lojasiewicz exponent and constant at a critical point, with how they were obtained.

    Attributes
    ----------
    theta : float
        The exponent (nan when not estimable).
    C : float
        The constant on the sampled set (nan when not sampled).
    exact : bool
        ``theta`` from the structure (Morse, univariate Taylor order, homogeneous form), not
        from a search.
    method : str
        How, in words.
    neighbourhood_gap : float
        ``m``: the smallest ``f - f_*`` on the outer sphere (nan if not sampled; <= 0 for
        saddles, maxima and non-isolated sets).
    radius : float
        Radius of the outer sphere.
    theta_low, theta_high : float
        Interval of ``theta`` (equal to it where exact).
    method_kind : str
        ``morse``, ``univariate taylor``, ``homogeneous form``, ``level sets`` or ``none``.
    profile : LevelProfile or None
        ``m(c)`` over the levels (rays for the exact cases).
    valid_below_eps : float
        The gradient norm below which the asymptotic ``theta`` applies (see the module).
    asymptotic_reached : bool
        Whether the profile reaches the asymptotic exponent (else ``valid_below_eps`` is the
        smallest gradient norm probed and the regime change lies below it).
    """

    theta: float
    C: float
    exact: bool
    method: str
    neighbourhood_gap: float
    radius: float
    theta_low: float = float("nan")
    theta_high: float = float("nan")
    method_kind: str = "none"
    profile: LevelProfile | None = field(default=None, repr=False, compare=False)
    valid_below_eps: float = float("nan")
    asymptotic_reached: bool = True

    @property
    def lower_estimate(self) -> bool:
        return not self.exact


@dataclass(frozen=True)
class Prediction:
    """The rate model a Lojasiewicz exponent predicts over the fit window (or why none applies).

    ``model``, ``exponent``, ``exponent_low``, ``exponent_high``: the prediction compared with the
    fit (over its window); ``asymptotic_model``, ``asymptotic_exponent``: what ``theta`` at the
    point predicts as ``eps -> 0``; ``valid_below_eps``: where the asymptotic prediction applies;
    ``window``: the fit window ``(eps_lo, eps_hi)`` the prediction was made for (None: asymptotic);
    ``window_theta``: the local exponent over it (nan where the asymptotic one was used).
    """

    model: str | None
    exponent: float
    applies: bool
    reason: str
    exponent_low: float = float("nan")
    exponent_high: float = float("nan")
    asymptotic_model: str | None = None
    asymptotic_exponent: float = float("nan")
    valid_below_eps: float = float("nan")
    window: tuple | None = None
    window_theta: float = float("nan")


# ----------------------------------------------------------------------------- exact cases


def _taylor_coefficients(objective, point):
    """Signed Taylor coefficients ``a_1 .. a_MAX`` of a univariate objective at ``point`` (None if not readable)."""
    import sympy as sp

    expression = getattr(objective, "expression", None)
    variables = getattr(objective, "variables", ())
    if expression is None or len(variables) != 1:
        return None
    symbol = sorted(expression.free_symbols, key=lambda s: s.name)
    if len(symbol) != 1:
        return None
    coefficients = []
    derivative = expression
    factorial = 1.0
    for order in range(1, MAX_TAYLOR_ORDER + 1):
        derivative = sp.diff(derivative, symbol[0])
        factorial *= order
        try:
            value = float(derivative.subs(symbol[0], float(point[0])).evalf())
        except (TypeError, ValueError):
            return None
        if not np.isfinite(value):
            return None
        coefficients.append(value / factorial)
    return np.array(coefficients)


def _lowest_significant_order(magnitudes, uncertainty):
    """The lowest order ``j >= 2`` whose magnitude (``magnitudes[j - 1]``) is neither rounding nor
    explained by a shift of the point by ``uncertainty`` (see :data:`SHIFT_SAFETY`); None if none."""
    from math import comb

    largest = float(np.max(magnitudes)) if magnitudes.size else 0.0
    if largest == 0.0:
        return None
    orders = np.arange(1, magnitudes.size + 1)
    delta = max(float(uncertainty), 0.0)
    for j in range(2, magnitudes.size + 1):
        higher = orders > j
        shifted = sum(comb(int(m), j) * magnitudes[m - 1] * delta ** (m - j) for m in orders[higher])
        if magnitudes[j - 1] > max(TAYLOR_RTOL * largest, SHIFT_SAFETY * shifted):
            return j
    return None


def _univariate_order(objective, point, uncertainty=0.0):
    """Order ``k`` of the first significant Taylor coefficient beyond the constant (None if not readable)."""
    coefficients = _taylor_coefficients(objective, point)
    if coefficients is None:
        return None
    return _lowest_significant_order(np.abs(coefficients), uncertainty)


def sphere_samples(n, count, seed):
    """Points of the unit sphere in ``R^n``: an angle grid for ``n = 2``, seeded random ones otherwise."""
    if n == 2:
        angles = np.linspace(0.0, 2.0 * np.pi, count, endpoint=False)
        return np.column_stack([np.cos(angles), np.sin(angles)])
    directions = np.random.default_rng(seed).normal(size=(count, n))
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def _polynomial_forms(expression, symbols, point, max_degree):
    """Homogeneous parts ``P_1 .. P_max`` of the polynomial ``expression`` at ``point``, as
    ``{exponents: coefficient}`` dicts, by the exact binomial shift of every monomial (rational
    arithmetic on the binary value of ``point``: no cancellation)."""
    import itertools
    from fractions import Fraction
    from math import comb

    import sympy as sp

    polynomial = sp.Poly(expression, *symbols)
    centre = [Fraction(float(v)) for v in point]
    forms = [dict() for _ in range(max_degree)]
    for exponents, coefficient in polynomial.terms():
        coefficient = (Fraction(int(coefficient.p), int(coefficient.q)) if coefficient.is_Rational
                       else Fraction(float(coefficient)))
        pieces = [[(b, comb(a, b) * x ** (a - b)) for b in range(a + 1)] for a, x in zip(exponents, centre)]
        for combination in itertools.product(*pieces):
            shift = tuple(b for b, _ in combination)
            order = sum(shift)
            if 1 <= order <= max_degree:
                value = coefficient
                for _, factor in combination:
                    value *= factor
                forms[order - 1][shift] = forms[order - 1].get(shift, 0) + value
    return [{key: float(value) for key, value in form.items() if value != 0} for form in forms]


def _symbolic_forms(expression, symbols, point, max_degree):
    """As :func:`_polynomial_forms` for any expression (a generator, one order after the other):
    derivatives of ``f(x* + t u)`` in ``t`` at 0."""
    import sympy as sp

    n = len(symbols)
    t = sp.Symbol("t", real=True)
    u = sp.symbols(f"u0:{n}", real=True)
    derivative = expression.subs({s: float(point[i]) + t * u[i] for i, s in enumerate(symbols)},
                                 simultaneous=True)
    factorial = 1.0
    for order in range(1, max_degree + 1):
        derivative = sp.diff(derivative, t)
        factorial *= order
        form = sp.expand(derivative.subs(t, 0)) / factorial
        yield {} if form == 0 else {key: float(value) for key, value in sp.Poly(form, *u).terms()}


def _form_values(form, directions):
    """``P(u)`` and ``grad P(u)`` of a form ``{exponents: coefficient}`` at the rows of ``directions``."""
    values = np.zeros(directions.shape[0])
    gradient = np.zeros_like(directions)
    for exponents, coefficient in form.items():
        powers = np.prod(directions ** np.array(exponents), axis=1)
        values += coefficient * powers
        for k, e in enumerate(exponents):
            if e:
                lowered = np.array(exponents)
                lowered[k] -= 1
                gradient[:, k] += coefficient * e * np.prod(directions ** lowered, axis=1)
    return values, gradient


def _homogeneous_degree(objective, point, uncertainty=0.0, seed=0):
    """Cached :func:`_homogeneous_degree_of` (groups of several algorithms share a limit point)."""
    expression = getattr(objective, "expression", None)
    if expression is None:
        return None
    return _homogeneous_degree_of(expression, tuple(getattr(objective, "variables", ())),
                                  tuple(float(v) for v in point), float(uncertainty), seed)


@functools.lru_cache(maxsize=256)
def _homogeneous_degree_of(expression, variables, point, uncertainty, seed):
    """Degree ``d`` of the lowest-order homogeneous form ``P_d`` of ``f`` at ``point`` when its
    gradient vanishes nowhere on the unit sphere (the exact multivariate case); None otherwise.

    Polynomials are shifted exactly (:func:`_polynomial_forms`); other expressions are expanded by
    SymPy when they are small (:data:`MAX_FORM_OPERATIONS`), else the case is left to the level sets.
    """
    import sympy as sp

    point = np.array(point)
    n = len(variables)
    if not 2 <= n <= MAX_FORM_DIMENSION:
        return None
    by_name = {s.name: s for s in expression.free_symbols}
    if not set(by_name) <= set(variables):
        return None
    symbols = [by_name.get(name, sp.Symbol(name, real=True)) for name in variables]
    directions = sphere_samples(n, FORM_SAMPLES, seed)
    evaluated, magnitudes = [], []
    try:
        if expression.is_polynomial(*symbols):
            forms = _polynomial_forms(expression, symbols, point, MAX_FORM_DEGREE)
        elif sp.count_ops(expression) <= MAX_FORM_OPERATIONS:
            forms = _symbolic_forms(expression, symbols, point, MAX_FORM_DEGREE)
        else:
            return None
        for form in forms:
            evaluated.append(_form_values(form, directions))
            magnitudes.append(float(np.max(np.abs(evaluated[-1][0]))) if form else 0.0)
    except (TypeError, ValueError, ZeroDivisionError, sp.PolynomialError):
        return None
    magnitudes = np.array(magnitudes)
    if not np.isfinite(magnitudes).all():
        return None
    degree = _lowest_significant_order(magnitudes, uncertainty)
    if degree is None or degree < 3:
        return None
    norms = np.linalg.norm(evaluated[degree - 1][1], axis=1)
    if not np.isfinite(norms).all() or norms.max() == 0.0:
        return None
    return degree if norms.min() > FORM_RTOL * norms.max() else None


# ----------------------------------------------------------------------------- sampling


def _hessian_at(objective, point):
    with np.errstate(all="ignore"):
        hessian = np.asarray(objective.hess(point[None, :]), dtype=float)[0]
    return hessian if np.isfinite(hessian).all() else None


def _directions(point, hessian, seed, random_count):
    """Coordinate directions, the Hessian's eigenvectors (the extreme directions of a quadratic part:
    a narrow valley's soft direction is never left to chance) and seeded random ones, both signs."""
    n = point.size
    eigenvectors = (np.linalg.eigh(0.5 * (hessian + hessian.T))[1].T if hessian is not None
                    else np.zeros((0, n)))
    rng = np.random.default_rng(seed)
    directions = np.vstack([np.eye(n), -np.eye(n), eigenvectors, -eigenvectors, rng.normal(size=(random_count, n))])
    return directions / np.linalg.norm(directions, axis=1, keepdims=True)


def _evaluate(objective, X):
    with np.errstate(all="ignore"):
        values = np.asarray(objective.f(X), dtype=float)
        gradients = np.asarray(objective.grad(X), dtype=float)
    return values, gradients


def _shell_samples(objective, point, value, directions):
    """``f - f_*`` and ``||grad f||`` on the spheres of :data:`SHELL_RADII` (rows) in ``directions``."""
    n = point.size
    radii = np.array(SHELL_RADII) * (1.0 + float(np.linalg.norm(point)))
    X = (point[None, None, :] + radii[:, None, None] * directions[None, :, :]).reshape(-1, n)
    values, gradients = _evaluate(objective, X)
    return radii, (values - value).reshape(radii.size, -1), np.linalg.norm(gradients, axis=1).reshape(radii.size, -1)


def _noise_floors(objective, point, value):
    """Rounding levels at ``x*``: of the gradient (:func:`theory.limits.gradient_rounding_level`) and
    of ``f - f_*`` (ulps of ``f_*``)."""
    gradient_floor = float(gradient_rounding_level(objective, point[None, :])[0])
    value_floor = VALUE_NOISE_ULPS * float(np.spacing(abs(value))) if value != 0.0 else np.finfo(float).tiny
    return GRAD_NOISE_FACTOR * gradient_floor, max(value_floor, np.finfo(float).tiny)


def _levels(top, value_floor):
    """Levels ``c`` from ``top`` down :data:`LEVEL_DECADES` decades (not below ``value_floor``)."""
    count = int(LEVEL_DECADES * LEVELS_PER_DECADE) + 1
    levels = top * 10.0 ** (-np.arange(count) / LEVELS_PER_DECADE)
    return levels[levels > value_floor]


def _ray_profile(objective, point, value, directions, outer, levels, gradient_floor):
    """``m(c)`` as the smallest gradient norm where the rays ``x* + s u`` first cross each level
    (log-interpolated between radii), and the crossing points ``(level, ray) -> x``."""
    n = point.size
    radii = outer * 10.0 ** (-np.arange(int(RAY_DECADES * RAY_POINTS_PER_DECADE) + 1) / RAY_POINTS_PER_DECADE)
    radii = radii[radii > 64 * np.spacing(1.0 + float(np.linalg.norm(point)))][::-1]  # increasing
    X = (point[None, None, :] + radii[None, :, None] * directions[:, None, :]).reshape(-1, n)
    values, gradients = _evaluate(objective, X)
    gaps = (values - value).reshape(directions.shape[0], radii.size)
    norms = np.linalg.norm(gradients, axis=1).reshape(directions.shape[0], radii.size)
    grad_min = np.full(levels.size, np.nan)
    crossings = np.full((levels.size, directions.shape[0], n), np.nan)
    log_levels = np.log(levels)
    for ray in range(directions.shape[0]):
        gap, norm = gaps[ray], norms[ray]
        usable = np.isfinite(gap) & np.isfinite(norm) & (gap > 0) & (norm > gradient_floor)
        # the first run of usable radii from the smallest up, where the gap grows
        for j, level in enumerate(log_levels):
            above = np.flatnonzero(usable & (gap >= np.exp(level)))
            if not above.size or above[0] == 0 or not usable[above[0] - 1]:
                continue
            i = above[0]
            lo, hi = np.log(gap[i - 1]), np.log(gap[i])
            weight = (level - lo) / (hi - lo) if hi > lo else 1.0
            log_norm = np.log(norm[i - 1]) + weight * (np.log(norm[i]) - np.log(norm[i - 1]))
            radius = np.exp(np.log(radii[i - 1]) + weight * (np.log(radii[i]) - np.log(radii[i - 1])))
            crossings[j, ray] = point + radius * directions[ray]
            grad_min[j] = np.fmin(grad_min[j], np.exp(log_norm))
    return grad_min, crossings


# ----------------------------------------------------------------------------- level sets


def _to_level(objective, X, targets, center, steps=8):
    """Newton steps along the gradient, ``x <- x - (f - t) g / ||g||^2`` (each at most half the
    distance to ``center``), towards the level ``f = t`` per row.  Returns points, values, gradients."""
    X = X.copy()
    values, gradients = _evaluate(objective, X)
    for _ in range(steps):
        residual = values - targets
        squared = np.sum(gradients * gradients, axis=1)
        with np.errstate(all="ignore"):
            step = (residual / squared)[:, None] * gradients
        length = np.linalg.norm(step, axis=1)
        cap = 0.5 * np.linalg.norm(X - center, axis=1)
        with np.errstate(all="ignore"):
            scale = np.where(length > cap, cap / length, 1.0)
        move = np.isfinite(step).all(axis=1) & (squared > 0)
        with np.errstate(all="ignore"):
            X = np.where(move[:, None], X - scale[:, None] * step, X)
        values, gradients = _evaluate(objective, X)
    return X, values, gradients


def _to_valley_level(objective, X, targets, center):
    """:func:`_to_level`, and three times back to the floor of the valley nearby (a Newton step in the
    stiff directions, :func:`theory.limits._stiff_corrections`) then :func:`_to_level` (along a
    valley's floor the gradient points along the valley; from its wall, a move along the gradient
    crosses it): per row, the point on the level with the smaller gradient (where the stiff
    direction is not a valley's wall, as at the saddle of ``x^2 - y^4``, the plain move)."""
    plain, plain_values, plain_gradients = _to_level(objective, X, targets, center)
    valley = X
    for _ in range(3):
        valley, _ = _stiff_corrections(objective, valley, steps=1)
        valley, values, gradients = _to_level(objective, valley, targets, center)
    levels = np.abs(targets - objective_value_at(objective, center))
    plain_on = np.abs(plain_values - targets) <= LEVEL_RTOL * levels
    valley_on = np.abs(values - targets) <= LEVEL_RTOL * levels
    better = valley_on & (~plain_on | (np.linalg.norm(gradients, axis=1) < np.linalg.norm(plain_gradients, axis=1)))
    return (np.where(better[:, None], valley, plain), np.where(better, values, plain_values),
            np.where(better[:, None], gradients, plain_gradients))


def objective_value_at(objective, point):
    """``f(point)`` for one point."""
    with np.errstate(all="ignore"):
        return float(np.asarray(objective.f(np.asarray(point, dtype=float)[None, :]), dtype=float)[0])


def _on_level(values, targets, levels, X, center, radii):
    return (np.isfinite(values) & (np.abs(values - targets) <= LEVEL_RTOL * levels)
            & (np.linalg.norm(X - center, axis=1) <= radii))


def _minimise_on_levels(objective, X, targets, levels, center, radii, iterations):
    """Minimise ``||grad f||`` on ``{f = target}`` within ``radii`` of ``center``, per row (batched):
    Levenberg-Marquardt steps ``s`` minimising ``||g + H s||^2 + mu ||s||^2`` subject to
    ``g . s = target - f``, then :func:`_to_level`; a step is kept when the point stays on the level
    and in the ball and ``||grad f||`` decreases.  Returns points and their gradient norms (inf off the level)."""
    X, values, gradients = _to_valley_level(objective, X, targets, center)
    feasible = _on_level(values, targets, levels, X, center, radii)
    norms = np.where(feasible, np.linalg.norm(gradients, axis=1), np.inf)
    damping = np.full(X.shape[0], 1e-6)
    for _ in range(iterations):
        rows = np.flatnonzero(feasible & (damping < 1e12) & (norms > 0))
        if not rows.size:
            break
        with np.errstate(all="ignore"):
            hessians = np.asarray(objective.hess(X[rows]), dtype=float)
        g = gradients[rows]
        good = np.isfinite(hessians).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
        damping[rows[~good]] = np.inf
        rows, hessians, g = rows[good], hessians[good], g[good]
        if not rows.size:
            break
        # in the Hessian's eigenbasis (forming H^2 would square its condition number):
        # a = (H^2 + mu I)^-1 H g, b = (H^2 + mu I)^-1 g
        curvatures, directions = np.linalg.eigh(0.5 * (hessians + np.swapaxes(hessians, 1, 2)))
        residual = values[rows] - targets[rows]
        with np.errstate(all="ignore"):
            mu = damping[rows] * np.maximum(np.max(curvatures**2, axis=1), np.finfo(float).tiny)
            denominator = curvatures**2 + mu[:, None]
            components = np.einsum("bji,bj->bi", directions, g)
            a = np.einsum("bij,bj->bi", directions, curvatures * components / denominator)
            b = np.einsum("bij,bj->bi", directions, components / denominator)
            multiplier = (residual - np.sum(g * a, axis=1)) / np.sum(g * b, axis=1)
            steps = -(a + multiplier[:, None] * b)
        candidates, new_values, new_gradients = _to_level(objective, X[rows] + np.nan_to_num(steps), targets[rows],
                                                          center, steps=2)
        new_norms = np.linalg.norm(new_gradients, axis=1)
        accept = (_on_level(new_values, targets[rows], levels[rows], candidates, center, radii[rows])
                  & np.isfinite(new_norms) & (new_norms < norms[rows]))
        kept = rows[accept]
        X[kept], values[kept], gradients[kept], norms[kept] = (candidates[accept], new_values[accept],
                                                               new_gradients[accept], new_norms[accept])
        damping[kept] *= 0.1
        damping[rows[~accept]] *= 10.0
    return X, norms


def _valley_continuation(objective, point, value, iterates, levels):
    """From the run's deepest iterates, down the levels one by one (:func:`_to_level`): points on
    each level along the valley the run follows (nan where not reached), shape ``(levels, seeds, n)``."""
    gaps = iterates[1] - value
    order = np.argsort(gaps)
    seeds = iterates[0][order[gaps[order] > 0][:4]]
    n = point.size
    path = np.full((levels.size, seeds.shape[0], n), np.nan)
    if not seeds.shape[0]:
        return path
    current = seeds.copy()
    seed_gaps = gaps[order[gaps[order] > 0][:4]]
    for j, level in enumerate(levels):
        below = level < seed_gaps  # continue only downwards from each seed
        if not below.any():
            continue
        moved, values, _ = _to_valley_level(objective, current[below], np.full(below.sum(), value + level), point)
        on = np.isfinite(values) & (np.abs(values - value - level) <= LEVEL_RTOL * level)
        rows = np.flatnonzero(below)
        current[rows[on]] = moved[on]
        path[j, rows[on]] = moved[on]
    return path


def _level_set_profile(objective, point, value, levels, directions, outer, gradient_floor, iterates, ray_points):
    """``m(c)`` by the level-set search (see the module docstring)."""
    n = point.size
    path = _valley_continuation(objective, point, value, iterates, levels) if iterates is not None else None
    # the neighbourhood at each level: NEIGHBOURHOOD_FACTOR times the valley's distance (the run's
    # iterates near that level, or the continuation below them)
    distance = np.full(levels.size, np.nan)
    starts = [[] for _ in levels]
    if iterates is not None:
        points, values = iterates
        gaps = values - value
        for j, level in enumerate(levels):
            near = np.flatnonzero((gaps > level / 10.0) & (gaps < level * 10.0))
            if near.size:
                chosen = near[np.argsort(np.abs(np.log(gaps[near] / level)))[:4]]
                starts[j].extend(points[chosen])
                distance[j] = np.min(np.linalg.norm(points[chosen] - point, axis=1))
            continued = path[j][np.isfinite(path[j]).all(axis=1)]
            if continued.shape[0]:
                starts[j].extend(continued)
                d = float(np.min(np.linalg.norm(continued - point, axis=1)))
                distance[j] = d if not np.isfinite(distance[j]) else min(distance[j], d)
    radii = np.where(np.isfinite(distance), np.minimum(outer, NEIGHBOURHOOD_FACTOR * distance), outer)
    for j in range(levels.size):
        crossing = ray_points[j][np.isfinite(ray_points[j]).all(axis=1)]
        starts[j].extend(crossing[np.linalg.norm(crossing - point, axis=1) <= radii[j]])
    rows = [(j, x) for j in range(levels.size) for x in starts[j]]
    grad_min = np.full(levels.size, np.nan)
    best = np.full((levels.size, n), np.nan)
    if not rows:
        return grad_min
    level_index = np.array([j for j, _ in rows])
    X = np.array([x for _, x in rows], dtype=float)
    for iterations in [LEVEL_ITERATIONS] + [LEVEL_POLISH] * LEVEL_PASSES:
        X, norms = _minimise_on_levels(objective, X, value + levels[level_index], levels[level_index], point,
                                       radii[level_index], iterations)
        for j in range(levels.size):
            mine = np.flatnonzero((level_index == j) & np.isfinite(norms))
            if mine.size:
                k = mine[np.argmin(norms[mine])]
                if not norms[k] >= grad_min[j]:
                    grad_min[j], best[j] = norms[k], X[k]
        # next pass: every level from the best points of its neighbours
        neighbours = [(j, best[i]) for j in range(levels.size) for i in (j - 1, j + 1)
                      if 0 <= i < levels.size and np.isfinite(best[i]).all()]
        if not neighbours:
            break
        level_index = np.array([j for j, _ in neighbours])
        X = np.array([x for _, x in neighbours], dtype=float)
    grad_min = np.where(grad_min > gradient_floor, grad_min, np.nan)
    # near x* the smallest gradient decreases with the level: a level whose minimum found is not below
    # every level above it is one where the search missed the valley (an upper bound only): left out
    above = np.fmin.accumulate(np.concatenate([[np.inf], grad_min[:-1]]))
    grad_min = np.where(grad_min < above, grad_min, np.nan)
    # and the profile ends where the search loses the valley for good: at the first two levels in a
    # row without a minimum (a level found again further down, alone, is not trusted)
    missing = ~np.isfinite(grad_min)
    found = np.flatnonzero(~missing)
    if found.size:
        gap = np.flatnonzero(missing[found[0]:-1] & missing[found[0] + 1:])
        if gap.size:
            grad_min[found[0] + gap[0]:] = np.nan
    return grad_min


# ----------------------------------------------------------------------------- the estimate


def _fit_profile(profile):
    """theta and its interval from the deepest :data:`FIT_DECADES` decades of a level-set profile."""
    keep = profile.valid()
    if keep.sum() < MIN_FIT_LEVELS:
        return np.nan, np.nan, np.nan
    log_c, log_m = np.log10(profile.levels[keep]), np.log10(profile.grad_min[keep])
    deep = log_c <= log_c.min() + FIT_DECADES + 1e-9
    if deep.sum() < MIN_FIT_LEVELS:
        deep = np.zeros_like(deep)
        deep[-MIN_FIT_LEVELS:] = True
    x, y = log_c[deep], log_m[deep]
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    se = float(np.sqrt(np.sum(residual**2) / max(x.size - 2, 1) / np.sum((x - x.mean()) ** 2)))
    tail = LevelProfile(profile.levels[keep][deep], profile.grad_min[keep][deep], profile.method)
    _, local = tail.local_exponents()
    low = min([slope - 2 * se, slope - THETA_HALF_WIDTH, *local])
    high = max([slope + 2 * se, slope + THETA_HALF_WIDTH, *local])
    return float(slope), float(low), float(high)


def predicted_exponent(theta):
    """``2 - 1/theta`` (0 at and below 1/2: linear convergence); SCIENCE.md section 4.

    >>> predicted_exponent(0.75), predicted_exponent(0.5), predicted_exponent(0.3)
    (0.6666666666666667, 0.0, 0.0)
    """
    return 2.0 - 1.0 / max(float(theta), 0.5)


def _validity(profile, theta):
    """``(valid_below_eps, reached)``: the largest gradient norm below which every local exponent of
    ``profile`` predicts the rate of ``theta`` within :data:`VALIDITY_TOL`."""
    if profile is None:
        return np.nan, True
    norms, thetas = profile.local_exponents()
    if not norms.size:
        return np.nan, True
    target = predicted_exponent(theta)
    close = np.abs(np.array([predicted_exponent(t) for t in thetas]) - target) <= VALIDITY_TOL
    if not close[-1]:
        return float(norms[-1]), False
    first = norms.size - 1
    while first > 0 and close[first - 1]:
        first -= 1
    # up to the top of the profile, or to the level between the last close and the first far slope
    return float(norms[0] if first == 0 else np.sqrt(norms[first] * norms[first - 1])), True


def lojasiewicz_at(objective, limit, *, seed=0, iterates=None, top_level=None):
    """Lojasiewicz exponent, constant and profile at the verified limit point ``limit`` (module docstring).

    Parameters
    ----------
    objective : functions.Objective
        Batched ``f``, ``grad``, ``hess`` (and the SymPy expression for the exact cases).
    limit : theory.limits.LimitPoint
        A verified limit point.
    seed : int
        Seed of the random directions.
    iterates : tuple of ndarray, optional
        ``(points, values)``: the recorded iterates of the runs that reach ``limit`` and their
        ``f``: starts of the level-set search and the valley it follows.
    top_level : float, optional
        The largest level ``c`` of the profile (the gap of the runs where the eps grid starts);
        default the median gap on the sphere of radius ``SHELL_RADII[-1] (1 + ||x*||)``.

    Returns
    -------
    LocalLojasiewicz
    """
    point = np.asarray(limit.point, dtype=float)
    value = float(limit.value)
    hessian = _hessian_at(objective, point)
    directions = _directions(point, hessian, seed, SHELL_DIRECTIONS)
    radii, gaps, grads = _shell_samples(objective, point, value, directions)
    outer = float(radii[0])
    finite_outer = gaps[0][np.isfinite(gaps[0])]
    neighbourhood_gap = float(finite_outer.min()) if finite_outer.size else np.nan
    if limit.kind == "flat":
        return LocalLojasiewicz(np.nan, np.nan, False, "flat to rounding around the limit: no Lojasiewicz "
                                "exponent can be read", np.nan, outer)
    if limit.kind.startswith("non-isolated"):
        neighbourhood_gap = min(neighbourhood_gap, 0.0)  # the sphere crosses the set: no sublevel ball
    gradient_floor, value_floor = _noise_floors(objective, point, value)
    if top_level is None or not np.isfinite(top_level) or top_level <= 0:
        inner = gaps[-1][np.isfinite(gaps[-1]) & (gaps[-1] > 0)]
        top_level = float(np.median(inner)) if inner.size else np.nan
    levels = _levels(top_level, value_floor) if np.isfinite(top_level) else np.zeros(0)
    uncertainty = max(float(getattr(limit, "uncertainty", 0.0) or 0.0), 0.0)
    # the rays reach as far as the runs' iterates on the levels probed (the top level may lie outside
    # the outer sphere: a sextic's gap at ||g|| = 1e-2 is reached far from x*)
    reach = outer
    if iterates is not None and levels.size:
        on_levels = (iterates[1] - value > 0) & (iterates[1] - value <= levels[0])
        if on_levels.any():
            farthest = float(np.max(np.linalg.norm(iterates[0][on_levels] - point, axis=1)))
            reach = min(max(outer, 2.0 * farthest), 10.0 * (1.0 + float(np.linalg.norm(point))))
    rays, crossings = (_ray_profile(objective, point, value, directions[:4 * point.size + RAY_DIRECTIONS], reach,
                                    levels, gradient_floor)
                       if levels.size else (np.zeros(0), np.zeros((0, directions.shape[0], point.size))))
    profile = LevelProfile(levels, rays, "rays")
    kind = "none"
    if limit.kind in ("minimum", "saddle", "maximum"):
        theta, kind, method = 0.5, "morse", "nondegenerate Hessian (Morse lemma): theta = 1/2"
    elif getattr(objective, "analytic", None) is False:
        return LocalLojasiewicz(np.nan, np.nan, False, "not estimated (f is not analytic: at a degenerate point no "
                                "Lojasiewicz inequality is guaranteed, and Taylor orders say nothing of it)",
                                neighbourhood_gap, outer)
    else:
        order = _univariate_order(objective, point, uncertainty)
        degree = _homogeneous_degree(objective, point, uncertainty, seed) if order is None else None
        if order is not None:
            theta, kind, method = 1.0 - 1.0 / order, "univariate taylor", (
                f"univariate Taylor order k = {order}: theta = 1 - 1/k")
        elif degree is not None:
            theta, kind, method = 1.0 - 1.0 / degree, "homogeneous form", (
                f"lowest-order homogeneous form of degree d = {degree}, its gradient nonzero off x*: "
                "theta = 1 - 1/d")
    if kind != "none":
        theta_low = theta_high = theta
        exact = True
    elif point.size > MAX_LEVEL_SET_DIMENSION or not levels.size:
        why = (f"dimension {point.size} > {MAX_LEVEL_SET_DIMENSION}: the level-set search is not run"
               if levels.size else "no level above f(x*) could be resolved near the point")
        return LocalLojasiewicz(np.nan, np.nan, False, f"not estimated ({why})", neighbourhood_gap, outer)
    else:
        grad_min = _level_set_profile(objective, point, value, levels, directions, outer, gradient_floor,
                                      iterates, crossings)
        profile = LevelProfile(levels, grad_min, "level sets")
        theta, theta_low, theta_high = _fit_profile(profile)
        exact, kind = False, "level sets"
        valid = profile.valid()
        method = ((f"level sets: min ||grad f|| on f = f(x*) + c for {int(valid.sum())} levels c in "
                   f"[{levels[valid].min():.2g}, {levels[valid].max():.2g}], slope of log min||grad f|| "
                   f"against log c over the deepest {FIT_DECADES:g} decades (an estimate: the minima found "
                   "bound the true ones from above)") if valid.sum() >= MIN_FIT_LEVELS else
                  "level sets: too few levels resolved to read a slope")
        if not np.isfinite(theta):
            return LocalLojasiewicz(np.nan, np.nan, False, method, neighbourhood_gap, outer, method_kind=kind,
                                    profile=profile)
    valid_below, reached = _validity(profile, theta)
    C = _constant(theta, gaps, grads, profile)
    return LocalLojasiewicz(float(theta), C, exact, method, neighbourhood_gap, outer, float(theta_low),
                            float(theta_high), kind, profile, valid_below, reached)


def _constant(theta, gaps, grads, profile):
    """``C``: the largest ``|f - f_*|^theta / ||grad f||`` over the shells and the profile's minima."""
    candidates = []
    usable = np.isfinite(gaps) & np.isfinite(grads) & (gaps != 0) & (grads > 0)
    if usable.any():
        with np.errstate(all="ignore"):
            candidates.append(np.max(theta * np.log(np.abs(gaps[usable])) - np.log(grads[usable])))
    if profile is not None and profile.valid().any():
        keep = profile.valid()
        candidates.append(np.max(theta * np.log(profile.levels[keep]) - np.log(profile.grad_min[keep])))
    return float(np.exp(max(candidates))) if candidates else np.nan


# ----------------------------------------------------------------------------- prediction


def steps_settled(steps):
    """Whether the recorded tail steps of a start are constant (the prediction applies)."""
    steps = np.asarray(steps, dtype=float)
    steps = steps[np.isfinite(steps)]
    if steps.size < 3:
        return False
    tail = steps[-max(3, steps.size // 4):]
    return bool(np.ptp(tail) <= STEP_SETTLED_RTOL * np.max(np.abs(tail)))


def _model(theta):
    return "logarithmic" if theta <= 0.5 + LOGARITHMIC_TOL else "power"


def _window_exponents(local, window):
    """Local exponents over the fit window ``(eps_lo, eps_hi)`` (interpolated at its ends in log ||g||);
    empty where the window lies outside the profile."""
    norms, thetas = local.profile.local_exponents() if local.profile is not None else (np.zeros(0), np.zeros(0))
    if not norms.size:
        return np.zeros(0)
    lo, hi = (float(v) for v in window)
    order = np.argsort(norms)
    log_norms, ordered = np.log(norms[order]), thetas[order]
    inside = ordered[(norms[order] >= lo) & (norms[order] <= hi)]
    ends = [float(np.interp(np.log(v), log_norms, ordered)) for v in (lo, hi)
            if log_norms[0] <= np.log(v) <= log_norms[-1]]
    return np.concatenate([inside, ends])


def predict(local, settled, window=None):
    """The model and exponent the Lojasiewicz exponent ``local`` predicts with constant steps near the
    limit, over the fit window ``window = (eps_lo, eps_hi)`` (see the module docstring)."""
    theta = local.theta
    if not np.isfinite(theta):
        return Prediction(None, np.nan, False, "no Lojasiewicz exponent at the limit point")
    low, high = ((local.theta_low, local.theta_high) if np.isfinite(getattr(local, "theta_low", np.nan))
                 else (theta, theta))
    asymptotic_model = _model(theta)
    asymptotic = 0.0 if asymptotic_model == "logarithmic" else predicted_exponent(theta)
    valid_below = float(getattr(local, "valid_below_eps", np.nan))
    common = dict(asymptotic_model=asymptotic_model, asymptotic_exponent=asymptotic, valid_below_eps=valid_below,
                  window=None if window is None else tuple(float(v) for v in window))
    if not settled:
        return Prediction(None, np.nan, False, "the accepted steps do not settle to a constant near the limit",
                          **common)
    asymptotic_range = (predicted_exponent(low), predicted_exponent(high))
    if (window is None or not all(np.isfinite(window)) or not np.isfinite(valid_below)
            or window[1] <= valid_below * (1 + 1e-9)):
        where = (f" (it applies below ||g|| = {valid_below:.2g}: the fit window lies there)"
                 if np.isfinite(valid_below) and window is not None else "")
        if asymptotic_model == "logarithmic":
            return Prediction("logarithmic", 0.0, True, f"theta = 1/2: linear convergence{where}", 0.0,
                              asymptotic_range[1] if low > 0.5 + LOGARITHMIC_TOL else 0.0, **common)
        return Prediction("power", asymptotic, True, f"theta = {theta:.4g}: exponent 2 - 1/theta{where}",
                          *asymptotic_range, **common)
    reached = getattr(local, "asymptotic_reached", True)
    thetas = _window_exponents(local, window)
    if not thetas.size:
        if window[0] >= valid_below and reached:
            thetas = np.array([theta])
        else:
            return Prediction(None, np.nan, False, "the fit window lies outside the range of gradient norms "
                              "where the exponent's scale dependence was probed", **common)
    exponents = np.array([predicted_exponent(t) for t in thetas])
    crossover = (f"the asymptotic theta {theta:.4g} applies only below ||g|| = {valid_below:.2g}"
                 if reached else f"the asymptotic theta {theta:.4g} is not reached above ||g|| = {valid_below:.2g}")
    if np.ptp(exponents) > STRADDLE_TOL:
        return Prediction(None, np.nan, False, f"the fit window [{window[0]:.3g}, {window[1]:.3g}] straddles a "
                          f"crossover (local theta from {thetas.min():.3g} to {thetas.max():.3g} there; {crossover})",
                          **common)
    window_theta = float(np.median(thetas))
    # the window's spread, widened by the asymptotic estimate's own uncertainty
    half = 0.5 * (asymptotic_range[1] - asymptotic_range[0])
    model = _model(window_theta)
    reason = (f"over the fit window the local theta is {window_theta:.4g} (the term that dominates there; "
              f"{crossover})")
    if model == "logarithmic":
        return Prediction("logarithmic", 0.0, True, reason, 0.0, float(exponents.max() + half), **common,
                          window_theta=window_theta)
    return Prediction("power", predicted_exponent(window_theta), True, reason, float(exponents.min() - half),
                      float(exponents.max() + half), **common, window_theta=window_theta)


def agreement(prediction, fit):
    """Whether a rate fit agrees with the prediction from the limit point.

    Rule: they agree when the prediction's range meets the fit's interval, with no margin added:
    ``exponent_low <= fit.ci_high`` and ``fit.ci_low <= exponent_high``.  The prediction's range is
    the exponent ``2 - 1/theta`` over the interval of theta (exact theta: one value; linear
    convergence: 0); the fit's interval already carries the window's drift, the offset and the
    model uncertainty (:mod:`theory.fit`), and is ``[0, upper]`` for ``logarithmic`` and
    ``power-or-logarithmic``, so a predicted linear convergence agrees exactly when the fit cannot
    exclude it.  ``None`` where the prediction does not apply or the fit is undetermined.
    """
    if not prediction.applies or fit.model == "undetermined" or not np.isfinite(fit.ci_low):
        return None
    low = prediction.exponent_low if np.isfinite(prediction.exponent_low) else prediction.exponent
    high = prediction.exponent_high if np.isfinite(prediction.exponent_high) else prediction.exponent
    return bool(low <= fit.ci_high and fit.ci_low <= high)
