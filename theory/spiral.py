r"""Gradient descent and Armijo along a spiral valley: analyticity is needed for ``O(1/eps)``.

Setting
-------
Functions of the plane with a winding valley, in polar coordinates :math:`(r, \theta)`,
:math:`c = 1/(1 - r^2)`:

.. math::

    f = e^{-c} \big( F(c) + m(c)\, h(\psi) \big), \qquad \psi = \theta - \varphi(c),

with ``f = 0`` for :math:`r \ge 1`.  The *floor* :math:`e^{-c} F` is the value on the valley
(where the *harmonic* ``h`` is smallest, :math:`h = 0`), :math:`e^{-c} m` the height of the
walls, :math:`\varphi` the *winding law*.  :class:`ValleyModel` holds ``F, m, h`` and
:math:`\varphi'`; two members:

* the registry's ``spiral`` (:mod:`functions.spiral`, :func:`spiral_valley`):
  :math:`F = \nu`, :math:`m = r^2`, :math:`h = \sin^2\psi`,
  :math:`\varphi' = \kappa e^{\beta c}` with ``0 <= beta < 1/2``, :math:`\kappa =`
  :func:`functions.spiral.winding_scale`, :math:`\nu =` :data:`functions.spiral.FLOOR`;
* the registry's ``mexican-hat`` (Absil, Mahony, Andrews 2005, :func:`mexican_hat_valley`):
  :math:`F = 1 - A`, :math:`m = A = 4r^4/(4r^4 + (1-r^2)^4)`, :math:`h = 1 - \sin\psi`
  (valley at :math:`\psi = \pi/2`), :math:`\varphi = c`.

Algorithm: ``armijo`` (first trial ``eta0`` every iteration, backtracking by ``f1``, test
``f(x - eta g) <= f(x) - lam eta ||g||^2``) from a start on a valley floor.

Statement
---------
**(A) Rate along the valley.**  Write :math:`\Omega = \varphi'(c)\, c'(r)` (radial
wavenumber of the valley, :math:`c' = 2 r c^2`) and :math:`D = -\partial_r f` at fixed
:math:`\psi` (the outward pull of the floor).  Gradient flow relaxes to the *slow manifold*
:math:`\psi = \psi^*(c)` solving

.. math:: m(c)\, h'(\psi^*) = -\Omega\, \frac{r^2 D e^{c}}{1 + r^2\Omega^2},

on which, exactly,

.. math::

    \|\nabla f\| = \frac{D}{\sqrt{1 + r^2\Omega^2}}, \qquad
    \dot r = \frac{D}{1 + r^2 \Omega^2}, \qquad
    \dot c = c'(r)\, \dot r

(:meth:`ValleyModel.gradient_norm`, :meth:`ValleyModel.drift`); the manifold exists while
the right-hand side stays within the range of :math:`m h'` (*locking*).  For the spiral,
to leading order as :math:`c \to \infty`,

.. math::

    \|\nabla f\| = \frac{\nu}{\kappa r} e^{-(1+\beta) c}, \qquad
    \dot c = \frac{\nu}{\kappa^2 r^2} e^{-(1+2\beta) c}, \qquad
    t(c) = \frac{\kappa^2}{(1+2\beta)\nu} e^{(1+2\beta) c}
           \Big(1 - \frac1c + O(c^{-2})\Big),

with relative corrections :math:`O(\Lambda^{-2})`, :math:`\Lambda = \kappa e^{\beta c}/\sqrt\nu`.

**(B) Armijo.**  On ``spiral`` every first trial passes when :math:`\eta_0 \le 2(1-\lambda)/L`
(T1); with :math:`L \le 5.7` (:func:`functions.spiral.hessian_bound`: 5.66 at ``beta = 0``,
less for larger ``beta``) this holds for the
reference ``eta0 = 0.1, lam = 0.5`` (threshold :math:`1/L \ge 0.175`): ``armijo`` *is*
gradient descent with step :math:`\eta_0`, and it tracks the flow with :math:`t = \eta_0 k`
(:math:`\eta_0 L \le 0.57`).  Hence

.. math::

    N(\varepsilon) = C \varepsilon^{-p}\,(1 + o(1)), \qquad
    p = \frac{1 + 2\beta}{1 + \beta}, \qquad
    C = \frac{\kappa^{2-p}\, \nu^{p-1}}{(1+2\beta)\, \eta_0},

:func:`exponent`, :func:`asymptotic_constant`.  The local exponent
:math:`d\log N / d\log(1/\varepsilon)` is

.. math:: p + \frac{2 - p}{2 (1+\beta) c^2} + O(c^{-3}) + O(\Lambda^{-2}),
    \qquad c \approx \frac{\ln(\nu/(\kappa\varepsilon))}{1+\beta},

(:func:`local_exponent_correction`): a pre-asymptotic excess of about 0.005 at
:math:`c = 8`.  ``p`` runs from 1 (``beta = 0``) to 4/3 (``beta -> 1/2``): 7/6 at 0.2,
16/13 at 0.3, 9/7 at 0.4.

**(C) Smoothness** (``spiral``).  Analytic in the open disc.  On the plane,
:math:`f \in C^k` exactly for :math:`k < 1/\beta` (:math:`C^\infty` at ``beta = 0``); the
Hessian is bounded (L-smooth) for ``beta < 1/2`` and then tends to 0 at the circle, so
``f`` is C^2 and (L0, L1)-smooth with (L0, L1) = (L, 0); at ``beta = 1/2`` it grows like
:math:`c^4` and neither holds (:func:`smoothness_order`).  Not analytic at any point of the
circle: ``f`` vanishes outside the disc and not inside.

**(D) No Lojasiewicz inequality** at the circle (the set of minimisers, ``f_* = 0``): along
the valley :math:`|f|^\theta/\|\nabla f\| = \nu^{\theta-1}\kappa r\,
e^{(1 + \beta - \theta) c}(1 + o(1)) \to \infty` for every :math:`\theta < 1 + \beta`, so for
every :math:`\theta \in [0, 1)` and every constant ``C`` the inequality fails in every
neighbourhood of every point of the circle (the valley accumulates on the whole circle)
(:func:`lojasiewicz_ratio`).  T3's hypothesis, not its conclusion, is what breaks.

**(E) Mexican hat.**  :math:`\varphi = c` and the floor :math:`e^{-c}(1-A) \sim e^{-c}/(4c^4)`
give :math:`N(\varepsilon) \sim 1/(\eta_0 \varepsilon)` with local exponent
:math:`1 + 4.5/c^2 + O(c^{-3})`: exponent 1, approached slowly from above (1.064 at
``eps = 1e-6``, 1.037 at 1e-8, 1.009 at 1e-15, over half a decade).  The same holds for ``spiral`` at
``beta = 0`` with correction :math:`1/(2c^2)`.

Derivation
----------
*Slow manifold.*  With :math:`f = e^{-c}(F + m h)`: :math:`\partial_\theta f = M h'`,
:math:`\partial_r f = F_0' + M' h - M \Omega h'` where :math:`F_0 = e^{-c} F`,
:math:`M = e^{-c} m` and :math:`\partial_r \psi = -\Omega`.  Gradient flow:
:math:`\dot r = -\partial_r f`, :math:`\dot\theta = -M h'/r^2`, so
:math:`\dot\psi = \dot\theta - \Omega \dot r = -M h' (r^{-2} + \Omega^2) - \Omega (F_0' + M' h)`.
The phase relaxes at rate :math:`M h'' (r^{-2}+\Omega^2)` (the cross-valley curvature),
much faster than ``c`` moves, to :math:`\dot\psi = 0`, the equation of (A) with
:math:`D = -(F_0' + M' h)`.  There :math:`\dot r = D + M\Omega h' = D/(1 + r^2\Omega^2)`,
:math:`r\dot\theta = r\Omega D/(1 + r^2\Omega^2)`, and
:math:`\|\nabla f\|^2 = \dot r^2 + r^2\dot\theta^2 = D^2/(1 + r^2\Omega^2)`.  It is the
arc-length picture: :math:`\sqrt{1 + r^2\Omega^2}\,dr` is the length of valley per
:math:`dr`, and :math:`\|\nabla f\| = |d f_{floor}/ds|`.  Where the gradient points: across
the valley only :math:`\dot r`, a fraction :math:`1/\sqrt{1 + r^2\Omega^2}` of it; the
bottom of the valley along a radius is at :math:`M \Omega h' = -D`, which differs from the
manifold by a relative :math:`O(1/(r\Omega)^2)`: the iterates track the radial bottom of
the valley, not :math:`h = 0` (for the spiral the lag is
:math:`\psi^* \approx -\nu/(2\kappa e^{\beta c})`).

*Spiral, leading order.*  :math:`F = \nu`, :math:`m = r^2`, :math:`h = \sin^2\psi`:
:math:`D = e^{-c} c' (\nu + (1 - 1/c - 1/c^2)\sin^2\psi^*)` and
:math:`\sin 2\psi^* \approx -\nu c'/(r^2 \Omega) = -\nu/(r \cdot r\kappa e^{\beta c})`;
with :math:`D e^c \approx c'(\nu + \psi^2)` this is
:math:`\psi^2 - 2K|\psi| + \nu = 0`, :math:`K = r^2\kappa e^{\beta c}`, which has a real
root (the manifold exists) iff :math:`K \ge \sqrt\nu`, i.e. :math:`r^2\Lambda \ge 1`; then
:math:`\psi^* \approx -\nu/(2K)` and :math:`\sin^2\psi^* \approx \nu/(4 r^4\Lambda^2)`.  With :math:`r\Omega = 2r^2c^2\kappa e^{\beta c}
\gg 1`: :math:`\|\nabla f\| = D/(r\Omega)` and :math:`\dot c = c' D/(r\Omega)^2`, giving
(A).  The time integral:
:math:`\int (1 - 1/c)e^{\gamma c}dc = e^{\gamma c}/\gamma - \mathrm{Ei}(\gamma c) =
(e^{\gamma c}/\gamma)(1 - 1/c - 1/(\gamma c^2) + \dots)`, :math:`\gamma = 1 + 2\beta`.
Inverting :math:`\|\nabla f\| = \varepsilon` for ``c`` and substituting gives ``C`` and
``p``.  Local exponent: :math:`d\ln t/dc = \gamma + 1/c^2 + O(c^{-3})` and
:math:`d\ln(1/\|\nabla f\|)/dc = 1 + \beta + 1/(2c^2) + O(c^{-3})`; their ratio is (B).
Note the exact factors :math:`\varphi' = \kappa e^{\beta c}` and :math:`e^{-c}` cancel the
powers of ``c`` that :math:`c' = 2rc^2` brings: no logarithmic factor survives, only the
:math:`1/c^2` above (the ``r`` of the arc length :math:`r\,d\theta`).

*Armijo steps.*  Along the valley the gradient is the along-valley slope; across it the
curvature is :math:`h_\perp = 2 e^{-c} r^2 \Omega^2 \cos 2\psi^* \approx
8\kappa^2 r^4 c^4 e^{-(1-2\beta)c}`, at most :math:`\approx 3.4` by the choice of
:math:`\kappa`; along it the curvature is smaller still.  The Armijo test of a trial
:math:`\eta` fails only if :math:`\eta > 2(1-\lambda)/L_{loc}` for the curvature met along
the step; since the global bound is :math:`L \le 5.7`, the first trial ``eta0 = 0.1``
always passes (:func:`first_trial_always_accepted`), and :math:`\eta_0 h_\perp \le 0.34 < 2`
keeps the cross-valley mode damped: discrete GD follows the slow manifold with
:math:`t = \eta_0 k` up to :math:`O(\eta_0 h_\perp)` corrections of the relaxation, which do
not change the drift to leading order.  Measured (``tests/test_spiral.py``): no
backtracking; the gradient norm along the iterates equals the model's at their ``c`` within
1e-3 once the phase has relaxed; the drift of ``c`` per iteration is slower than
:math:`\eta_0\dot c` by a relative 2% at ``c = 5``, 0.3% at ``c = 8`` and 0.06% at
``c = 12`` (a discrete-step effect of order :math:`\Lambda^{-2}` which the flow model
leaves out: measured ``N`` therefore grows slightly slower than the model's over a window
that starts near ``c = 6``).

*Smoothness.*  Inside the disc ``f`` is built from exp, sin, cos, polynomials and
:math:`1/(1-r^2)` with a nonzero denominator: analytic.  A derivative of order ``k`` of
:math:`e^{-c} u^2` is a sum of terms :math:`e^{-c}\, \mathrm{poly}(c, r)\,(\varphi')^j`
with :math:`j \le k`; the top term, from differentiating the phase ``k`` times across the
valley, has modulus :math:`2^{k-1} e^{-c} r^2 \Omega^k \sim 2^{2k-1} \kappa^k c^{2k}
e^{-(1 - k\beta) c}`, which tends to 0 iff :math:`k\beta < 1` and is unbounded otherwise
(polynomially at :math:`k\beta = 1`).  All derivatives of order ``< k`` then tend to 0 at
the circle, matching the zero extension: :math:`f \in C^k` iff :math:`k < 1/\beta`
(``tests/test_spiral.py`` checks the top coefficients with the polar derivatives of
:mod:`functions.spiral`).  ``k = 2`` gives (C).

*Lojasiewicz.*  On the valley :math:`f = \nu e^{-c}` and (A) give (D).

*Mexican hat.*  :math:`\varphi' = 1`, :math:`r\Omega = 2r^2c^2 \gg 1`, floor
:math:`v(c) = e^{-c}/(1 + 4c^2(c-1)^2)`: :math:`\|\nabla f\| \approx |v'|/r` and
:math:`dt/dc = r/\|\nabla f\|`.  With :math:`1/\|\nabla f\| = e^c Q(c)`,
:math:`Q = 4c^4(1 + b/c + \dots)`, integration by parts gives
:math:`t = e^c rQ(1 - (rQ)'/(rQ) + (rQ)''/(rQ) - \dots)`, and the local exponent
:math:`(r/(\|\nabla f\| t)) / (1 + Q'/Q) = 1 + 4.5/c^2 + O(c^{-3})` (the :math:`1/c` terms
cancel, and so does ``b``).  No power above 1: the Mexican hat shows non-convergence of the
iterates, not a rate above ``1/eps``.

*Where the iterates are.*  The gradient at a point of the manifold is almost all along the
valley: its radial (cross-valley) part :math:`\dot r` is a fraction
:math:`1/\sqrt{1 + r^2\Omega^2}` of it.  Crests are :math:`\pi/\Omega` apart radially, the
cross-valley curvature is :math:`h_\perp = 2 e^{-c} r^2\Omega^2\cos 2\psi^*`, and ``e^-c``
multiplies every derivative of ``f`` (each is :math:`e^{-c}` times a polynomial in ``c``,
``r``, :math:`e^{\beta c}` and the harmonics of :math:`2\psi`,
:func:`functions.spiral.polar_harmonics`).  The valley's outer wall is weak: along a radius
:math:`\partial_r f = e^{-c}(-c'(\nu + r^2\psi^2) - 2 r^2\Omega\psi) + \dots`, which
pushes a point at phase :math:`\psi < 0` back inwards only while
:math:`|\psi| \lesssim 2\kappa e^{\beta c}` (about 0.2 rad at ``c = 5``); from a generic
phase the iterates run outward across the walls until :math:`\kappa e^{\beta c} = O(1)`
(``c ~ 11`` at ``beta = 0.4``), so the registry's starts lie on a valley floor.

*The sketch of issue 16, checked.*  Its exponent :math:`(1+2\beta)/(1+\beta)` for
:math:`\varphi = e^{\beta c}/\beta` is right, and so is the limit ``beta < 1/2`` for a
bounded Hessian *when the walls are* :math:`e^{-c}` *high* (the cross curvature is
:math:`e^{-c}\Omega^2 \sim c^4 e^{(2\beta-1)c}`; the sketch dropped the :math:`c^4`, which
makes ``beta = 1/2`` itself fail).  What it left out: (i) the Mexican hat's floor
:math:`e^{-c}/(4c^4)` adds a factor :math:`(\ln 1/\varepsilon)^{-4\beta/(1+\beta)}` to
:math:`N`, a local exponent :math:`4(p-1)/((1+\beta)c)` below ``p`` (0.08 at ``c = 10``,
``beta = 0.4``): the registry's ``spiral`` has a constant floor ratio :math:`\nu` instead;
(ii) with :math:`\kappa = 1` the cross curvature peaks near :math:`10^4` at ``beta = 0.4``,
far above :math:`2(1-\lambda)/\eta_0 = 10`, so the cross-valley mode of a step
:math:`\eta_0` is unstable, the first trial fails and the accepted step follows the
curvature, which varies with ``c`` across any reachable window and adds its own factor to
``N`` (measured: more than 2 backtracks per iteration from ``c = 5``,
``tests/test_spiral.py``): the winding scale is capped instead
(:func:`functions.spiral.winding_scale`, :math:`\eta_0 L \le 0.57`); (iii) ``beta < 1/2``
is a limit of walls of height :math:`e^{-c}`, not of the construction.  A scaling argument
(not built or tested here): with walls :math:`e^{-\mu c}` over the floor
:math:`\nu e^{-c}`, the cross curvature is :math:`\sim c^4 e^{-(\mu - 2\beta)c}`, bounded
(and tending to 0) for :math:`\mu > 2\beta`, and the walls hold the floor's pull
(:math:`e^{-\mu c}\Omega \gg c' \nu e^{-c}`) while :math:`\mu < 1 + \beta`; both hold
for every ``beta < 1``, with exponents up to 3/2.  3/2 is also what the fastest winding the
curvature allows gives: the walls must hold the floor's pull, :math:`M\Omega \ge G`
(:math:`G = |dV/dr|`, ``V`` the floor), with :math:`M\Omega^2 \le L`, so
:math:`\Omega \le L/G`; at :math:`\Omega = L/G`, (A) gives :math:`\|\nabla f\| = G^2/(rL)`
and :math:`\dot r = G^3/(rL)^2`, and for a flat floor (:math:`G` falling like
:math:`e^{-c}`, :math:`dc/dr = 2rc^2`) :math:`t = \int (rL)^2 dr/G^3 \approx
(rL)^2/(6 r c^2 G^3)`, i.e. :math:`N \sim L^{1/2}\varepsilon^{-3/2}/c^2`.

*Floating point.*  Along the valley the first-order decrease of a step relative to ``f`` is
:math:`\eta_0\|\nabla f\|^2/f = \eta_0 \nu e^{-(1+2\beta)c}/(\kappa r)^2` (leading
order).  The engine stops with ``precision_floor`` when it falls to ``precision_floor_ulps``
(4) ulps of ``f`` (:func:`float64_limit`: ``c ~ 19``, ``eps ~ 2e-13`` at ``beta = 0.4``).
Before that, the computed decrease carries a rounding noise of about 20 ulps of ``f``
(measured, ``tests/test_spiral.py``: within 15% of the exact decrease where that is 160
ulps), far less than the relative error :math:`\sim c^2 u` of ``f`` itself
(:math:`u = 2^{-53}`, from :math:`1 - r^2` in :math:`c = 1/(1-r^2)`): the trial point
differs from the iterate by a step nearly tangent to the circle, which leaves
:math:`1 - r^2` and its rounding almost unchanged.  With ``lam = 1/2`` the test keeps half
the decrease as margin, so it is decided by the function, not by rounding, while the
decrease exceeds about 100 ulps, i.e. up to about 1.5 units of ``c`` before the floor
(``c ~ 17.3``, ``eps ~ 3e-12`` at ``beta = 0.4``: ``float64_limit(beta, ulps=100)``).  The
step :math:`\eta_0\|\nabla f\|` stays far above the resolution of ``x`` there.  The
iteration count runs out long before: ``N ~ 1e8`` is reached near ``c ~ 10`` (``eps ~
1e-7``).  Beyond the reachable window the derivation is checked in valley coordinates (the
reduced model, any depth) and by Armijo runs in extended precision
(``experiments/spiral_rates.py``, ``reference_run``), where float64 cannot go.

References
----------
P.-A. Absil, R. Mahony, B. Andrews, Convergence of the iterates of descent methods for analytic
cost functions, SIAM J. Optim. 16(2), 2005 (the Mexican hat, after Palis and de Melo 1982);
S. Lojasiewicz (1963); H. Attouch, J. Bolte, Math. Prog. 116, 2009; B. Bensaid,
arXiv:2412.14637 (2024), the O(1/eps) result whose analyticity hypothesis this shows necessary;
issue 16 of this suite (the sketch checked above).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from functions import spiral as spiral_function

PHASE_ITERATIONS = 200
"""Fixed-point iterations for the slow-manifold phase (contraction factor ``O(1/Lambda^2)``)."""

PHASE_TOLERANCE = 1e-12
"""Largest residual of the slow-manifold equation accepted (in units of the harmonic's slope)."""

GRID_STEP = 1e-3
"""Step in ``c`` of the quadrature of ``t(c)`` (trapezoid; relative error ``~ (gamma h)^2 / 12``)."""


def exponent(beta):
    r"""Asymptotic ``armijo`` exponent on ``spiral``: :math:`p = (1 + 2\beta)/(1 + \beta)`."""
    spiral_function.check_beta(beta)
    return (1.0 + 2.0 * beta) / (1.0 + beta)


def asymptotic_constant(beta, eta0=0.1):
    r""":math:`C = \kappa^{2-p}\nu^{p-1} / ((1+2\beta)\eta_0)` in :math:`N(\varepsilon) \sim C \varepsilon^{-p}`.

    Parameters
    ----------
    beta : float
        Winding rate (``kappa`` = :func:`functions.spiral.winding_scale` ``(beta)``).
    eta0 : float
        The accepted step (every first trial, see :func:`first_trial_always_accepted`).
    """
    p = exponent(beta)
    kappa, nu = spiral_function.winding_scale(beta), spiral_function.FLOOR
    return kappa ** (2.0 - p) * nu ** (p - 1.0) / ((1.0 + 2.0 * beta) * eta0)


def local_exponent_correction(beta, c):
    r"""Leading pre-asymptotic excess of the local exponent: :math:`(2 - p)/(2(1+\beta)c^2)`."""
    p = exponent(beta)
    return (2.0 - p) / (2.0 * (1.0 + beta) * np.asarray(c, dtype=float) ** 2)


smoothness_order = spiral_function.smoothness_order
"""Largest ``k`` with ``f`` in ``C^k`` of the plane (derived in (C); defined with the entry)."""


def first_trial_always_accepted(beta, eta0=0.1, lam=0.5):
    r"""Whether every ``armijo`` first trial passes on ``spiral``: :math:`\eta_0 \le 2(1-\lambda)/L` (T1)."""
    return eta0 <= 2.0 * (1.0 - lam) / spiral_function.hessian_bound(beta)


def lojasiewicz_ratio(c, theta, beta):
    r""":math:`f^\theta / \|\nabla f\|` on the valley of ``spiral`` at ``c`` (slow manifold, exact model).

    Grows like :math:`e^{(1 + \beta - \theta)c}`: unbounded for every :math:`\theta < 1 + \beta`.
    Returned as a logarithm (the values overflow quickly).
    """
    model = spiral_valley(beta)
    c = np.asarray(c, dtype=float)
    log_f = -c + np.log(model.floor(c) + model.modulation(c) * model.harmonic(model.phase(c)))
    return theta * log_f - model.log_gradient_norm(c)


def float64_limit(beta, eta0=0.1, ulps=4.0):
    r"""``c`` on the valley of ``spiral`` where the first-order decrease :math:`\eta_0\|\nabla f\|^2`
    of the first trial falls to ``ulps`` ulps of ``f``.

    ``ulps = 4`` (the engine's ``precision_floor_ulps``) is where ``armijo`` stops with
    ``precision_floor``; ``ulps ~ 100`` is where rounding noise starts to matter (see the
    module docstring).  The ulp is taken as :math:`2^{-52} f` (its upper value; the lower
    is half of it, which moves the result by :math:`\ln 2/(1+2\beta) < 0.7` in ``c``), on
    the exact slow manifold.
    """
    model = spiral_valley(beta)
    grid = np.arange(spiral_function.locking_onset(beta), 200.0, 0.01)
    log_f = -grid + np.log(model.floor(grid) + model.modulation(grid) * model.harmonic(model.phase(grid)))
    margin = math.log(eta0) + 2.0 * model.log_gradient_norm(grid) - log_f - math.log(ulps * 2.0**-52)
    return float(grid[np.argmax(margin < 0.0)])


# ----------------------------------------------------------------------------- reduced model


@dataclass(frozen=True)
class ValleyModel:
    r"""A spiral valley :math:`f = e^{-c}(F(c) + m(c) h(\psi))`, :math:`\psi = \theta - \varphi(c)`.

    All callables are vectorised in ``c`` (or :math:`\psi`).

    Attributes
    ----------
    name : str
    floor, floor_slope : callable
        :math:`F(c)` and :math:`dF/dc`.
    modulation, modulation_slope : callable
        :math:`m(c)` and :math:`dm/dc`.
    harmonic, harmonic_slope : callable
        :math:`h(\psi)` (0 on the valley) and :math:`h'(\psi)`.
    phase_from_slope : callable
        The branch of :math:`(h')^{-1}` through the valley: ``psi`` with ``h'(psi) = s``.
    valley_phase : float
        :math:`\psi` where ``h = 0``.
    winding_rate : callable
        :math:`\varphi'(c)`.
    """

    name: str
    floor: Callable
    floor_slope: Callable
    modulation: Callable
    modulation_slope: Callable
    harmonic: Callable
    harmonic_slope: Callable
    phase_from_slope: Callable
    valley_phase: float
    winding_rate: Callable

    # -- the slow manifold -------------------------------------------------------

    def _geometry(self, c):
        r = spiral_function.radius(c)
        c_prime = 2.0 * r * c**2
        omega = self.winding_rate(c) * c_prime
        return r, c_prime, omega

    def _pull(self, c, phase):
        """:math:`D e^{c} = -e^{c}(F_0' + M' h)`, the outward pull at fixed phase, scaled by ``e^c``."""
        _, c_prime, _ = self._geometry(c)
        floor_term = self.floor_slope(c) - self.floor(c)
        modulation_term = self.modulation_slope(c) - self.modulation(c)
        return -c_prime * (floor_term + modulation_term * self.harmonic(phase))

    def _phase_and_residual(self, c):
        c = np.asarray(c, dtype=float)
        r, _, omega = self._geometry(c)
        phase = np.full(c.shape, self.valley_phase)
        scale = r**2 * omega / (self.modulation(c) * (1.0 + (r * omega) ** 2))
        for _ in range(PHASE_ITERATIONS):
            phase = self.phase_from_slope(-scale * self._pull(c, phase))
        return phase, np.abs(self.harmonic_slope(phase) + scale * self._pull(c, phase))

    def phase(self, c):
        r"""Phase :math:`\psi^*(c)` of the slow manifold (fixed point of the equation in (A)).

        Raises
        ------
        ValueError
            Where the manifold does not exist (no locking) or the iteration did not converge.
        """
        phase, residual = self._phase_and_residual(c)
        if not np.all(residual <= PHASE_TOLERANCE):
            raise ValueError(f"{self.name}: no slow manifold (the valley does not hold the iterates) "
                             f"at c = {np.asarray(c, float)[~(residual <= PHASE_TOLERANCE)][:3]}")
        return phase

    def locked(self, c):
        """Whether the slow manifold exists at ``c`` (boolean array)."""
        return self._phase_and_residual(c)[1] <= PHASE_TOLERANCE

    def log_gradient_norm(self, c):
        r""":math:`\ln\|\nabla f\| = -c + \ln(D e^c) - \tfrac12\ln(1 + r^2\Omega^2)` on the manifold."""
        c = np.asarray(c, dtype=float)
        r, _, omega = self._geometry(c)
        return -c + np.log(self._pull(c, self.phase(c))) - 0.5 * np.log1p((r * omega) ** 2)

    def gradient_norm(self, c):
        r""":math:`\|\nabla f\| = D/\sqrt{1 + r^2\Omega^2}` on the slow manifold at ``c``."""
        return np.exp(self.log_gradient_norm(c))

    def log_drift(self, c):
        r""":math:`\ln \dot c = \ln(c' D) - \ln(1 + r^2\Omega^2)` (gradient-flow time)."""
        c = np.asarray(c, dtype=float)
        r, c_prime, omega = self._geometry(c)
        return -c + np.log(c_prime * self._pull(c, self.phase(c))) - np.log1p((r * omega) ** 2)

    def drift(self, c):
        r""":math:`\dot c = dc/dt` on the slow manifold."""
        return np.exp(self.log_drift(c))

    # -- time and first hitting --------------------------------------------------

    def log_time(self, c_start, c_end, step=GRID_STEP):
        r"""Grid ``c`` from ``c_start`` to ``c_end`` and :math:`\ln t(c)`, :math:`t(c) = \int_{c_0}^{c} dc/\dot c`.

        Trapezoid rule accumulated in logarithms (``t`` overflows float64 near ``c = 400``);
        ``ln t(c_start) = -inf``.
        """
        grid = np.arange(c_start, c_end + step, step)
        log_rate = -self.log_drift(grid)
        pieces = np.logaddexp(log_rate[1:], log_rate[:-1]) + math.log(step / 2.0)
        return grid, np.concatenate([[-np.inf], np.logaddexp.accumulate(pieces)])

    def valley_c(self, eps, c_start, c_end):
        """``c`` on ``[c_start, c_end]`` where the gradient norm on the manifold equals ``eps``
        (``c_start`` for ``eps`` at or above it, ``nan`` below the norm at ``c_end``)."""
        grid = np.arange(c_start, c_end + GRID_STEP, GRID_STEP)
        log_g = self.log_gradient_norm(grid)
        if not np.all(np.diff(log_g) < 0):
            raise ValueError(f"{self.name}: the gradient norm is not decreasing along the valley on "
                             f"[{c_start}, {c_end}]")
        # eps at or above the gradient norm at c_start: reached at c_start (N = 0)
        return np.interp(-np.log(np.asarray(eps, dtype=float)), -log_g, grid, left=grid[0], right=np.nan)

    def first_hitting(self, eps, c_start, eta, c_end=None):
        r"""Predicted first hitting iterations :math:`N(\varepsilon) = (t(c_\varepsilon) - t(c_0))/\eta`.

        For gradient descent with step :math:`\eta` (``armijo`` when every first trial passes)
        started on the slow manifold at ``c_start``; 0 where :math:`\varepsilon` is at or
        above the start's gradient norm, ``nan`` beyond ``c_end``.

        Parameters
        ----------
        eps : array_like
            Thresholds on the gradient norm.
        c_start : float
            ``c`` of the start.
        eta : float
            The step.
        c_end : float, optional
            End of the grid (default: where the gradient norm is below ``min(eps)/10``).
        """
        eps = np.asarray(eps, dtype=float)
        if c_end is None:
            c_end = c_start + 1.0
            while self.log_gradient_norm(c_end) > math.log(eps.min() / 10.0):
                c_end += 1.0
        grid, log_t = self.log_time(c_start, c_end)
        c_eps = self.valley_c(eps, c_start, c_end)
        return np.exp(np.interp(c_eps, grid, log_t)) / eta

    def window_exponent(self, eps_high, eps_low, c_start, eta=0.1, points=25):
        r"""Least-squares slope of :math:`\log N` on :math:`\log(1/\varepsilon)` of the model over
        ``points`` log-spaced thresholds in ``[eps_low, eps_high]``: the derived exponent of a
        finite window, pre-asymptotic corrections included (compare a fit over that window with
        it, and with the limit)."""
        eps = np.logspace(math.log10(eps_high), math.log10(eps_low), points)
        counts = self.first_hitting(eps, c_start, eta)
        return float(np.polyfit(np.log(1.0 / eps), np.log(counts), 1)[0])

    def local_exponent(self, eps, c_start, eta=0.1, span_decades=0.5):
        r"""Local exponent :math:`-\Delta\ln N / \Delta\ln\varepsilon` of the model over ``span_decades``."""
        eps = np.asarray(eps, dtype=float)
        upper, lower = eps * 10.0 ** (span_decades / 2), eps * 10.0 ** (-span_decades / 2)
        counts = self.first_hitting(np.concatenate([upper, lower]), c_start, eta)
        n_upper, n_lower = counts[: eps.size], counts[eps.size:]
        return np.log(n_lower / n_upper) / (span_decades * math.log(10.0))


def spiral_valley(beta):
    """The :class:`ValleyModel` of the registry's ``spiral`` (:mod:`functions.spiral`)."""
    spiral_function.check_beta(beta)
    nu = spiral_function.FLOOR
    return ValleyModel(
        name=f"spiral(beta={beta})",
        floor=lambda c: np.full(np.shape(c), nu),
        floor_slope=lambda c: np.zeros(np.shape(c)),
        modulation=lambda c: 1.0 - 1.0 / np.asarray(c, float),
        modulation_slope=lambda c: 1.0 / np.asarray(c, float) ** 2,
        harmonic=lambda psi: np.sin(psi) ** 2,
        harmonic_slope=lambda psi: np.sin(2.0 * psi),
        phase_from_slope=lambda s: 0.5 * np.arcsin(np.clip(s, -1.0, 1.0)),
        valley_phase=0.0,
        winding_rate=lambda c: spiral_function.winding_rate(c, beta),
    )


def _hat_height(c):
    """Absil-Mahony-Andrews' ``A = 4 r^4 / (4 r^4 + (1 - r^2)^4)`` as a function of ``c``: ``1/(1 + 1/w)``,
    ``w = 4 c^2 (c - 1)^2`` (since ``r^4 c^4 = c^2 (c-1)^2``)."""
    c = np.asarray(c, float)
    w = 4.0 * c**2 * (c - 1.0) ** 2
    return w / (1.0 + w)


def _hat_height_slope(c):
    c = np.asarray(c, float)
    w = 4.0 * c**2 * (c - 1.0) ** 2
    w_slope = 8.0 * c * (c - 1.0) * (2.0 * c - 1.0)
    return w_slope / (1.0 + w) ** 2


def mexican_hat_valley():
    r"""The :class:`ValleyModel` of the registry's ``mexican-hat``: :math:`f = e^{-c}(1 - A\sin\psi)`
    written as floor :math:`1 - A` plus :math:`A (1 - \sin\psi)`, :math:`\varphi = c`."""
    return ValleyModel(
        name="mexican-hat",
        floor=lambda c: 1.0 - _hat_height(c),
        floor_slope=lambda c: -_hat_height_slope(c),
        modulation=_hat_height,
        modulation_slope=_hat_height_slope,
        harmonic=lambda psi: 1.0 - np.sin(psi),
        harmonic_slope=lambda psi: -np.cos(psi),
        phase_from_slope=lambda s: np.arccos(np.clip(-s, -1.0, 1.0)),
        valley_phase=0.5 * math.pi,
        winding_rate=lambda c: np.ones(np.shape(c)),
    )


# ----------------------------------------------------------------------------- SymPy form


def sympy_form():
    r"""The statement as SymPy expressions in ``beta, kappa, nu, eta0, epsilon, c``.

    Returns
    -------
    dict
        ``exponent`` :math:`p`, ``constant`` :math:`C`, ``iterations``
        :math:`C\varepsilon^{-p}`, ``gradient_norm`` and ``drift`` on the valley to leading
        order (with ``r = sqrt(1 - 1/c)``), ``local_exponent`` with its :math:`1/c^2` term, and
        ``lojasiewicz_exponent_growth`` (the rate :math:`1 + \beta - \theta` of
        :math:`\ln(f^\theta/\|\nabla f\|)` in ``c``).
    """
    beta, kappa, nu, eta0, eps, c, theta = sp.symbols("beta kappa nu eta_0 epsilon c theta", positive=True)
    p = (1 + 2 * beta) / (1 + beta)
    constant = kappa ** (2 - p) * nu ** (p - 1) / ((1 + 2 * beta) * eta0)
    r = sp.sqrt(1 - 1 / c)
    return {
        "exponent": p,
        "constant": constant,
        "iterations": constant * eps ** (-p),
        "gradient_norm": nu / (kappa * r) * sp.exp(-(1 + beta) * c),
        "drift": nu / (kappa**2 * r**2) * sp.exp(-(1 + 2 * beta) * c),
        "local_exponent": p + (2 - p) / (2 * (1 + beta) * c**2),
        "lojasiewicz_exponent_growth": 1 + beta - theta,
    }
