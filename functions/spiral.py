r"""The spiral valley: a bounded, L-smooth, non-analytic function on which Armijo needs
more than ``1/eps`` iterations.

In polar coordinates :math:`(r, \theta)` on the open unit disc, with
:math:`c = 1/(1 - r^2) \in [1, \infty)`,

.. math::

    f(x, y) = e^{-c} \left( \nu + u^2 \right), \qquad
    u = y \cos\varphi(c) - x \sin\varphi(c) = r \sin(\theta - \varphi(c)), \qquad
    \varphi(c) = \kappa \, \frac{e^{\beta c} - 1}{\beta}
    \quad (\varphi = \kappa c \text{ at } \beta = 0),

and :math:`f = 0` for :math:`r \ge 1`.  Symbols: :math:`\beta` = ``beta`` (winding rate, the
family parameter, ``0 <= beta < 1/2``), :math:`\kappa` = :func:`winding_scale` ``(beta)``,
:math:`\nu` = :data:`FLOOR`, :math:`\varphi` = :func:`winding`.

Two valleys (:math:`\theta = \varphi(c)` and :math:`\theta = \varphi(c) + \pi`, where
:math:`u = 0`) spiral towards the unit circle; along them :math:`f = \nu e^{-c}` decreases
to 0 while the angle :math:`\varphi(c)` grows without bound, so they have infinite length
inside the disc.  Between them the crests :math:`u^2 = r^2` stand :math:`1/\nu = 1000`
times higher.  The derivation of the rate of gradient descent and Armijo along a valley,
of the smoothness and of the failure of the Lojasiewicz inequality is in
:mod:`theory.spiral`; this module builds the registry entry and computes what the entry
declares:

* **L** (:func:`hessian_bound`): a bound on :math:`\|\nabla^2 f\|` over the whole plane,
  rigorous up to floating-point rounding.  ``f`` depends on :math:`\theta` only through
  :math:`\psi = \theta - \varphi(c)`, so in the polar frame each Hessian entry is
  :math:`a_0(c) + a_1(c) \sin 2\psi + a_2(c) \cos 2\psi`, each :math:`a_i` a signed sum of
  terms :math:`k\, r^m c^j e^{(l\beta - 1) c}` (:func:`polar_harmonics`, derived with
  SymPy).  On an interval of ``c`` every factor is monotone, so each term is bracketed by
  its end values; the operator norm of the symmetric 2x2 matrix
  :math:`[[A, B], [B, C]]` is :math:`|m| + \sqrt{d^2 + B^2}` with :math:`m = (A+C)/2`,
  :math:`d = (A-C)/2`, and :math:`|a_0 + a_1 \sin 2\psi + a_2 \cos 2\psi| \le |a_0| +
  \sqrt{a_1^2 + a_2^2}`.  Beyond :math:`c_{tail} = 60/(1-2\beta)` every term decreases, so
  its value at :math:`c_{tail}` (with :math:`r = 1`) bounds it.  The result is about 5.5 for
  every ``beta`` (the radial curvature of :math:`e^{-c}` on the crests, near :math:`c = 5.5`),
  within 2% of the largest sampled Hessian norm (``tests/test_spiral.py``).
* **winding scale** :math:`\kappa(\beta)` (:func:`winding_scale`): the smaller of
  :math:`\kappa_0 (1 - 2\beta)^2`, which keeps the peak
  :math:`8\kappa^2 (4/(1-2\beta))^4 e^{-4}` of the cross-valley curvature
  :math:`8\kappa^2 r^4 c^4 e^{-(1-2\beta)c}` at :math:`\approx 3.4` (``kappa0`` =
  :data:`WINDING_CAP`), and :math:`\Lambda_0 \sqrt{\nu} e^{-\beta c_0}`, which puts the
  locking number :math:`\Lambda(c) = \kappa e^{\beta c}/\sqrt{\nu}` at :math:`\Lambda_0` =
  :data:`LOCK_NUMBER` at :math:`c_0` = :data:`LOCK_C` (the valley floor holds iterates when
  :math:`\Lambda > 1`, :mod:`theory.spiral`).  The first is the smaller only for
  ``beta > 0.3954``.
* **starts** (:func:`valley_starts`): on a valley floor, where the valley holds the iterates
  (see :func:`locking_onset`): from a generic phase the iterate slides outward across the
  weak outer wall for several units of ``c`` before the valley catches it.
* **bounded iterates**: ``f = 0`` and ``grad f = 0`` outside the open disc, so a descent
  method that steps out stops there; and no step of length at most
  :math:`\eta_0 \|\nabla f\|` with :math:`\eta_0 <` :func:`exit_step` ``(beta)`` (about 0.38,
  against the reference ``eta0 = 0.1``) reaches the circle, since
  :math:`\|\nabla f(x)\| (1/(1 - r))` is bounded on the disc (bounded by the same interval
  method as ``L``).

Floating point: the oracles return exact zeros where :math:`c >` :data:`CUTOFF` (true values
of ``f`` and ``grad`` below 1e-260; the Hessian there is below its bound but not zero for
``beta`` near 1/2, irrelevant since no iterate gets near: see :mod:`theory.spiral` for where
float64 ends along the valley).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy

from functions.elementary import exact_number
from functions.objective import CriticalPoint, Differentiability
from functions.symbolic import symbolic_objective

X_SYMBOL = sympy.Symbol("x", real=True)
Y_SYMBOL = sympy.Symbol("y", real=True)

FLOOR = 1e-3
r"""Valley floor :math:`\nu`: ``f = nu e^-c`` on the valley, ``(nu + r^2) e^-c`` on the crests."""

WINDING_CAP = 0.3
r"""Largest winding scale :math:`\kappa_0` at ``beta = 0``; the cap is ``kappa0 (1 - 2 beta)^2``."""

LOCK_C = 5.0
r""":math:`c_0`: where the winding scale puts the locking number at :data:`LOCK_NUMBER`."""

LOCK_NUMBER = 3.0
r""":math:`\Lambda_0`: locking number :math:`\kappa e^{\beta c}/\sqrt{\nu}` at :data:`LOCK_C`."""

BETA_LIMIT = 0.5
"""``beta`` must be below this: at ``beta = 1/2`` the Hessian grows like ``c^4`` at the circle."""

CUTOFF = 600.0
"""Beyond ``c = 1/(1 - r^2) = CUTOFF`` the oracles return exact zeros (``e^-c < 1e-260``);
below it no intermediate of the compiled formulas overflows for ``beta < 1/2``."""

START_SPREAD_C = 0.5
"""Starts are drawn with ``c`` uniform in ``[c_on - START_SPREAD_C, c_on]``, ``c_on`` the locking onset."""

START_PHASE_FRACTION = 0.25
r"""Starts have a phase offset uniform in :math:`\pm` this fraction of the outer-wall width
:math:`\kappa e^{\beta c}` (radians): inside the valley's basin."""

TAIL_START = 60.0
"""``c_tail = TAIL_START / (1 - 2 beta)``: beyond it every term of the bounds decreases."""

BOUND_INTERVALS = 20_000
"""Geometric intervals of ``c`` on ``[1, c_tail]`` for :func:`hessian_bound` and :func:`exit_step`."""

ROUNDING_MARGIN = 1e-9
"""Relative margin added to the interval bounds for floating-point rounding."""


def check_beta(beta):
    """Raise ``ValueError`` unless ``0 <= beta < 1/2``."""
    if not (0.0 <= beta < BETA_LIMIT):
        raise ValueError(f"spiral: beta must satisfy 0 <= beta < 1/2 (the Hessian is unbounded at "
                         f"the unit circle for beta >= 1/2), got {beta}")


def winding_scale(beta):
    r"""Winding scale :math:`\kappa(\beta) = \min(\kappa_0 (1-2\beta)^2, \Lambda_0 \sqrt{\nu} e^{-\beta c_0})`.

    Parameters
    ----------
    beta : float
        Winding rate, ``0 <= beta < 1/2``.

    Returns
    -------
    float
        :math:`\kappa`; symbols as in the module docstring (``kappa0`` = :data:`WINDING_CAP`,
        ``Lambda0`` = :data:`LOCK_NUMBER`, ``c0`` = :data:`LOCK_C`, ``nu`` = :data:`FLOOR`).
    """
    check_beta(beta)
    return min(WINDING_CAP * (1.0 - 2.0 * beta) ** 2, LOCK_NUMBER * math.sqrt(FLOOR) * math.exp(-beta * LOCK_C))


def smoothness_order(beta):
    r"""Largest ``k`` with :math:`f \in C^k(\mathbb{R}^2)`: the largest integer below :math:`1/\beta`
    (``math.inf`` at ``beta = 0``), derived in :mod:`theory.spiral` (C)."""
    check_beta(beta)
    if beta == 0.0:
        return math.inf
    return math.ceil(1.0 / beta) - 1


def winding(c, beta):
    r"""Angle of the valley :math:`\varphi(c) = \kappa (e^{\beta c} - 1)/\beta` (``kappa c`` at ``beta = 0``)."""
    c = np.asarray(c, dtype=float)
    kappa = winding_scale(beta)
    if beta == 0.0:
        return kappa * c
    return kappa * np.expm1(beta * c) / beta


def winding_rate(c, beta):
    r""":math:`\varphi'(c) = \kappa e^{\beta c}`."""
    return winding_scale(beta) * np.exp(beta * np.asarray(c, dtype=float))


def radius(c):
    """``r = sqrt(1 - 1/c)``, the radius where ``1/(1 - r^2) = c``."""
    return np.sqrt(1.0 - 1.0 / np.asarray(c, dtype=float))


def locking_onset(beta):
    r"""The ``c`` from which starts are drawn: :math:`\Lambda(c) = \kappa e^{\beta c}/\sqrt{\nu} \ge \Lambda_0`.

    :data:`LOCK_C` when the winding scale is set by the locking rule; later when it is capped
    by the curvature (``beta > 0.3954``), where :math:`\kappa e^{\beta c} = \Lambda_0 \sqrt{\nu}`.
    At ``beta = 0`` the locking number is constant (:math:`\kappa/\sqrt{\nu} \le \Lambda_0`) and
    the onset is :data:`LOCK_C`.
    """
    kappa = winding_scale(beta)
    if beta == 0.0:
        return LOCK_C
    return max(LOCK_C, math.log(LOCK_NUMBER * math.sqrt(FLOOR) / kappa) / beta)


def valley_point(c, beta, phase=0.0, branch=0):
    """Points at ``1/(1 - r^2) = c`` and angle ``phi(c) + phase + pi * branch`` (shape ``(..., 2)``).

    ``phase = 0`` is the valley floor ``u = 0`` (branch 0 or 1: the two valleys).
    """
    c, phase, branch = np.broadcast_arrays(np.asarray(c, float), np.asarray(phase, float), np.asarray(branch))
    angle = winding(c, beta) + phase + np.pi * branch
    r = radius(c)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], axis=-1)


def valley_starts(beta):
    """Start sampler: ``c`` uniform in ``[c_on - 0.5, c_on]`` (``c_on`` = :func:`locking_onset`),
    phase offset uniform in ``+- START_PHASE_FRACTION * kappa e^(beta c)``, either valley."""
    onset = locking_onset(beta)

    def sample_starts(rng, count):
        c = rng.uniform(onset - START_SPREAD_C, onset, size=count)
        width = START_PHASE_FRACTION * winding_rate(c, beta)
        phase = rng.uniform(-1.0, 1.0, size=count) * width
        branch = rng.integers(0, 2, size=count)
        return valley_point(c, beta, phase, branch)

    return sample_starts


# ----------------------------------------------------------------------------- polar forms

_R, _C, _E, _P, _PSI = sympy.symbols("r c E P psi", positive=True)
_KAPPA, _BETA, _NU = sympy.symbols("kappa beta nu", positive=True)
_SIN, _COS = sympy.symbols("S Co")


def _radial(expression):
    r"""Radial derivative at fixed :math:`\theta` of an expression in ``r, c, E, P, psi``.

    With :math:`c = 1/(1-r^2)`: :math:`dc/dr = 2 r c^2`; :math:`E = e^{\beta c}`,
    :math:`P = e^{-c}`; :math:`\psi = \theta - \varphi(c)` with :math:`\varphi' = \kappa E`.
    """
    dc = 2 * _R * _C**2
    return (sympy.diff(expression, _R) + dc * sympy.diff(expression, _C)
            + dc * _BETA * _E * sympy.diff(expression, _E) - dc * _P * sympy.diff(expression, _P)
            - _KAPPA * _E * dc * sympy.diff(expression, _PSI))


def _harmonics(expression):
    """Coefficients ``(a0, a1, a2)`` of ``a0 + a1 sin(2 psi) + a2 cos(2 psi)``."""
    expanded = sympy.expand(expression.subs({sympy.sin(_PSI): _SIN, sympy.cos(_PSI): _COS}))
    coefficients = [sympy.S.Zero] * 3
    rules = {(0, 0): (1, 0, 0), (2, 0): (sympy.Rational(1, 2), 0, -sympy.Rational(1, 2)),
             (0, 2): (sympy.Rational(1, 2), 0, sympy.Rational(1, 2)), (1, 1): (0, sympy.Rational(1, 2), 0)}
    for monomial, coefficient in sympy.Poly(expanded, _SIN, _COS).terms():
        for index, weight in enumerate(rules[monomial]):
            coefficients[index] += weight * coefficient
    return tuple(sympy.expand(a) for a in coefficients)


@lru_cache(maxsize=1)
def polar_harmonics():
    r"""Gradient and Hessian of ``f`` in the polar frame, as harmonics of :math:`2\psi`.

    Returns
    -------
    dict
        ``{"gr", "gt", "rr", "rt", "tt": (a0, a1, a2)}``: the radial and angular gradient
        components :math:`\partial_r f`, :math:`r^{-1}\partial_\theta f` and the Hessian
        entries :math:`f_{rr}`, :math:`\partial_r(r^{-1} f_\theta)`,
        :math:`r^{-2} f_{\theta\theta} + r^{-1} f_r` of the orthonormal polar frame, each
        :math:`a_0 + a_1 \sin 2\psi + a_2 \cos 2\psi` with SymPy coefficients in the symbols
        ``r, c, E = e^(beta c), P = e^-c, kappa, beta, nu``.
    """
    f = _P * (_NU + _R**2 * sympy.sin(_PSI) ** 2)
    f_r, f_t = _radial(f), sympy.diff(f, _PSI)
    entries = {
        "gr": f_r,
        "gt": f_t / _R,
        "rr": _radial(f_r),
        "rt": _radial(f_t) / _R - f_t / _R**2,
        "tt": sympy.diff(f_t, _PSI) / _R**2 + f_r / _R,
    }
    return {name: _harmonics(entry) for name, entry in entries.items()}


@lru_cache(maxsize=8)
def radial_derivative_harmonics(order):
    r"""The radial derivative :math:`\partial_r^k f` (fixed :math:`\theta`) as harmonics of :math:`2\psi`.

    Returns ``(a0, a1, a2)`` in the symbols of :func:`polar_harmonics`; the sup over
    :math:`\psi` at a given ``c`` is at most :math:`|a_0| + \sqrt{a_1^2 + a_2^2}` and at least
    :math:`\sqrt{a_1^2 + a_2^2} - |a_0|`.  Used to check where ``f`` stops being C^k.
    """
    expression = _P * (_NU + _R**2 * sympy.sin(_PSI) ** 2)
    for _ in range(order):
        expression = _radial(expression)
    return _harmonics(expression)


def harmonic_values(coefficients, c, beta):
    """Numeric ``(a0, a1, a2)`` of harmonic coefficients at ``c`` (array) for ``spiral(beta)``."""
    c = np.asarray(c, dtype=float)
    values = {_R: radius(c), _C: c, _E: np.exp(beta * c), _P: np.exp(-c),
              _KAPPA: winding_scale(beta), _BETA: beta, _NU: FLOOR}
    symbols = (_R, _C, _E, _P, _KAPPA, _BETA, _NU)
    return tuple(np.broadcast_to(sympy.lambdify(symbols, a, "numpy")(*(values[s] for s in symbols)), c.shape)
                 for a in coefficients)


def _term_table(coefficient, beta, kappa):
    """Rows ``(k, m, j, l)`` of ``coefficient = P * sum k r^m c^j E^l`` at numeric parameters."""
    numeric = sympy.expand(coefficient.subs({_KAPPA: kappa, _BETA: beta, _NU: FLOOR}) / _P)
    if numeric == 0:
        return np.zeros((0, 4))
    table = np.array([[float(k), m, j, l] for (m, j, l), k in sympy.Poly(numeric, _R, _C, _E).terms()])
    if (table[:, 1:] < 0).any():  # the monotonicity argument of _abs_bound needs r^m, c^j, E^l, m, j, l >= 0
        raise ValueError("negative power in a polar coefficient")
    return table


def _abs_bound(table, c_low, c_high, beta, tail=False):
    """Upper bound of ``|P sum k r^m c^j E^l|`` on each interval ``[c_low, c_high]``.

    Every factor is monotone in ``c`` (``r^m``, ``c^j`` increasing, ``E^l P = e^((l beta - 1) c)``
    decreasing), so each term lies between its values with the factors at opposite ends.
    ``tail=True``: ``[c_low, oo)`` with every ``c^j e^((l beta - 1) c)`` decreasing from ``c_low``.
    """
    if table.size == 0:
        return np.zeros_like(c_low)
    k, m, j, l = (table[:, i][:, None] for i in range(4))
    decay = l * beta - 1.0
    if tail:
        high = np.abs(k) * c_low**j * np.exp(decay * c_low)
        return high.sum(axis=0)
    r_low, r_high = radius(c_low), radius(c_high)
    high = np.abs(k) * r_high**m * c_high**j * np.exp(decay * c_low)
    low = np.abs(k) * r_low**m * c_low**j * np.exp(decay * c_high)
    positive = k > 0
    upper = np.where(positive, high, -low).sum(axis=0)
    lower = np.where(positive, low, -high).sum(axis=0)
    return np.maximum(np.abs(upper), np.abs(lower))


def _intervals(beta):
    tail = TAIL_START / (1.0 - 2.0 * beta)
    edges = np.concatenate([[1.0], 1.0 + np.geomspace(1e-7, tail - 1.0, BOUND_INTERVALS)])
    return edges[:-1], edges[1:], tail


def _harmonic_bound(coefficients, c_low, c_high, beta, tail=False):
    """Bound of ``|a0 + a1 sin 2psi + a2 cos 2psi|`` over every ``psi``, per interval."""
    kappa = winding_scale(beta)
    a0, a1, a2 = (_abs_bound(_term_table(a, beta, kappa), c_low, c_high, beta, tail) for a in coefficients)
    return a0 + np.hypot(a1, a2)


def _combined(name_a, name_b, sign):
    return tuple(sympy.expand((a + sign * b) / 2) for a, b in zip(polar_harmonics()[name_a], polar_harmonics()[name_b]))


def _hessian_norm_bound(c_low, c_high, beta, tail=False):
    mean = _harmonic_bound(_combined("rr", "tt", 1), c_low, c_high, beta, tail)
    half_difference = _harmonic_bound(_combined("rr", "tt", -1), c_low, c_high, beta, tail)
    off_diagonal = _harmonic_bound(polar_harmonics()["rt"], c_low, c_high, beta, tail)
    return mean + np.hypot(half_difference, off_diagonal)


def _gradient_norm_bound(c_low, c_high, beta, tail=False):
    harmonics = polar_harmonics()
    return np.hypot(_harmonic_bound(harmonics["gr"], c_low, c_high, beta, tail),
                    _harmonic_bound(harmonics["gt"], c_low, c_high, beta, tail))


@lru_cache(maxsize=64)
def hessian_bound(beta):
    r"""Upper bound on :math:`\sup_{x \in \mathbb{R}^2} \|\nabla^2 f(x)\|` (the gradient-Lipschitz ``L``).

    Rigorous up to floating-point rounding (covered by :data:`ROUNDING_MARGIN`): the
    interval method of the module docstring on :data:`BOUND_INTERVALS` geometric intervals
    of :math:`c \in [1, c_{tail}]` and the monotone tail beyond.  ``f`` is C^2 on the plane
    for ``beta < 1/2`` (the Hessian tends to 0 at the circle, :mod:`theory.spiral`), so this
    bounds the Lipschitz constant of the gradient on the whole plane.

    Parameters
    ----------
    beta : float
        Winding rate, ``0 <= beta < 1/2``.

    Returns
    -------
    float
    """
    check_beta(beta)
    c_low, c_high, tail = _intervals(beta)
    inside = _hessian_norm_bound(c_low, c_high, beta).max()
    beyond = _hessian_norm_bound(np.array([tail]), None, beta, tail=True)[0]
    return float(max(inside, beyond) * (1.0 + ROUNDING_MARGIN))


@lru_cache(maxsize=64)
def exit_step(beta):
    r"""A step factor :math:`\bar\eta` such that :math:`x - \eta \nabla f(x)` stays in the open disc
    for every :math:`x` in it and :math:`\eta \le \bar\eta`.

    :math:`\bar\eta = 1 / \sup (\|\nabla f(x)\| / (1 - r))`: a step of length
    :math:`\eta \|\nabla f(x)\|` shorter than the distance :math:`1 - r` to the circle cannot
    reach it.  The supremum is bounded by the interval method of :func:`hessian_bound`
    (with :math:`1 - r` at the interval's outer end); it is finite because
    :math:`\|\nabla f\| = O(c^2 e^{-(1-\beta) c})` and :math:`1/(1-r) \le 2c`.

    Parameters
    ----------
    beta : float
        Winding rate, ``0 <= beta < 1/2``.

    Returns
    -------
    float
    """
    check_beta(beta)
    c_low, c_high, tail = _intervals(beta)
    ratio = _gradient_norm_bound(c_low, c_high, beta) / (1.0 - radius(c_high))
    # beyond c_tail: 1/(1-r) <= 2c and c * (every gradient term) still decreases there
    beyond = 2.0 * tail * _gradient_norm_bound(np.array([tail]), None, beta, tail=True)[0]
    return float(1.0 / (max(ratio.max(), beyond) * (1.0 + ROUNDING_MARGIN)))


# ----------------------------------------------------------------------------- the entry


def spiral_expression(beta, kappa=None):
    """The exact SymPy expression (Piecewise) and its smooth branch, in ``(x, y)``.

    ``kappa`` replaces the winding scale :func:`winding_scale` (for comparisons only: the
    registry entry always uses the default).
    """
    check_beta(beta)
    x, y = X_SYMBOL, Y_SYMBOL
    q = x**2 + y**2
    c = 1 / (1 - q)
    kappa = exact_number(winding_scale(beta) if kappa is None else kappa)
    if beta == 0.0:
        angle = kappa * c
    else:
        beta_exact = exact_number(beta)
        angle = kappa * (sympy.exp(beta_exact * c) - 1) / beta_exact
    u = y * sympy.cos(angle) - x * sympy.sin(angle)
    smooth = sympy.exp(-c) * (exact_number(FLOOR) + u**2)
    return sympy.Piecewise((smooth, q < 1), (0, True)), smooth


def crest_maximum_c():
    r"""``c`` of the two crest maxima: the root of :math:`(1+\nu) c^2 - c - 1 = 0`.

    On a crest (:math:`u^2 = r^2`) ``f = e^{-c}(nu + 1 - 1/c)``, stationary in ``r`` where
    :math:`c^2(1 + \nu - 1/c) = 1`; the angular derivative vanishes there
    (:math:`\sin 2\psi = 0`).
    """
    return (1.0 + math.sqrt(1.0 + 4.0 * (1.0 + FLOOR))) / (2.0 * (1.0 + FLOOR))


def _crest_kind(beta):
    """Nature of the crest critical points from the polar Hessian (exact formulas, numeric values)."""
    c = np.array(crest_maximum_c())
    # at psi = pi/2: sin(2 psi) = 0, cos(2 psi) = -1
    entry = {}
    for name, coefficients in polar_harmonics().items():
        a0, _, a2 = harmonic_values(coefficients, c, beta)
        entry[name] = float(a0 - a2)
    hessian = np.array([[entry["rr"], entry["rt"]], [entry["rt"], entry["tt"]]])
    eigenvalues = np.linalg.eigvalsh(hessian)
    kind = "maximum" if eigenvalues.max() < 0 else "minimum" if eigenvalues.min() > 0 else "saddle"
    return kind, eigenvalues


def spiral(beta):
    r"""The registry entry ``spiral`` with winding rate ``beta`` (see the module docstring).

    Parameters
    ----------
    beta : float
        Winding rate, ``0 <= beta < 1/2``.  ``armijo`` (reference defaults) needs
        :math:`N(\varepsilon) \sim \varepsilon^{-(1+2\beta)/(1+\beta)}` iterations
        (:mod:`theory.spiral`); ``beta = 0`` is the linear winding law of Absil, Mahony and
        Andrews' Mexican hat, exponent 1.
    """
    check_beta(beta)
    expression, smooth = spiral_expression(beta)
    kappa = winding_scale(beta)
    c_crest = crest_maximum_c()
    crest_kind, crest_eigenvalues = _crest_kind(beta)
    crest_value = math.exp(-c_crest) * (FLOOR + 1.0 - 1.0 / c_crest)
    crest_points = tuple(
        CriticalPoint(valley_point(c_crest, beta, np.pi / 2, branch), crest_value, crest_kind,
                      note=f"crest u^2 = r^2 at c = {c_crest:.6f}; polar Hessian eigenvalues "
                           f"{crest_eigenvalues[0]:.4g}, {crest_eigenvalues[1]:.4g}")
        for branch in (0, 1))
    origin = CriticalPoint(np.zeros(2), FLOOR / math.e, "saddle",
                           note="Hessian e^-1 (-2 nu I + 2 n n^T), n = (-sin phi(1), cos phi(1)): "
                                "eigenvalues -2 nu/e and 2 (1 - nu)/e",
                           exact=(sympy.Integer(0), sympy.Integer(0)))
    order = smoothness_order(beta)
    onset = locking_onset(beta)

    return symbolic_objective(
        "spiral",
        {"beta": beta},
        expression,
        (X_SYMBOL, Y_SYMBOL),
        analytic=False,
        compiled_expression=smooth,
        active_region=(1 - X_SYMBOL**2 - Y_SYMBOL**2) * exact_number(CUTOFF) > 1,
        smoothness=(
            "C-infinity on the plane (flat at the unit circle), analytic inside the open disc, "
            "not analytic at the circle" if beta == 0.0 else
            f"C^{order} on the plane, not C^{order + 1} at the unit circle "
            f"(C^k exactly for k < 1/beta); analytic inside the open disc"),
        differentiability=Differentiability.SMOOTH if beta == 0.0 else Differentiability.C1,
        l_smooth=True,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=0.0,
        minimizers=(),
        critical_points=(origin,) + crest_points,
        constants={"L": hessian_bound(beta), "L0": hessian_bound(beta), "L1": 0.0},
        default_start=valley_point(onset - START_SPREAD_C / 2, beta),
        sample_starts=valley_starts(beta),
        reference=(
            "this suite (theory.spiral); winding valley after P.-A. Absil, R. Mahony, B. Andrews, "
            "SIAM J. Optim. 16(2), 2005"
        ),
        description=(
            f"Spiral valley f = e^-c (nu + (y cos phi - x sin phi)^2), c = 1/(1 - r^2), "
            f"phi = kappa (e^(beta c) - 1)/beta, nu = {FLOOR:g}, kappa = {kappa:.4g}; f = 0 for r >= 1. "
            "Two valleys of infinite length wind towards the unit circle (the minimisers, value 0, "
            "not isolated: `minimizers` is empty). L-smooth with the declared L (a rigorous bound, "
            "about 5.5, so every armijo first trial eta0 <= 2(1-lam)/L passes); (L0, L1) = (L, 0). "
            "Not analytic: f vanishes outside the disc but not inside, and no Lojasiewicz "
            "inequality holds at the circle. Iterates are bounded: f and grad vanish outside the "
            f"disc, and steps eta ||grad f|| with eta <= {exit_step(beta):.3g} never reach the circle. "
            f"Starts on a valley floor with c in [{onset - START_SPREAD_C:.3g}, {onset:.3g}]. "
            "armijo exponent (1 + 2 beta)/(1 + beta)."
        ),
    )
