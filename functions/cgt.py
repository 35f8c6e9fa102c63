"""The Cartis-Gould-Toint (2010) worst case for steepest descent, a C^1 Hermite spline.

Nodes (SCIENCE.md section 5), for :math:`k \\ge 0`:

.. math::

    g_k = -(k+1)^{-1/2-\\tau}, \\quad x_0 = 0, \\quad x_{k+1} = x_k - g_k,
    \\quad f_0 = \\zeta(1 + 2\\tau), \\quad f_{k+1} = f_k - g_k^2 / 2,

and ``f`` is the piecewise cubic Hermite interpolant of :math:`(x_k, f_k, g_k)`
(``scipy.interpolate.CubicHermiteSpline``). Steepest descent with unit step from
:math:`x_0` visits the nodes exactly, with :math:`\\|g_k\\| = (k+1)^{-1/2-\\tau}`.

Facts checked (derivation in :func:`cgt`'s docstring, numbers in the tests):

- On :math:`[x_k, x_{k+1}]`, of length :math:`s_k = |g_k|`, with
  :math:`\\rho = s_{k+1}/s_k < 1` and :math:`t \\in [0, 1]`, the derivative of the
  interpolant is :math:`-s_k (1 - t) - s_{k+1}(3t^2 - 2t) < 0` (because
  :math:`\\max_t (2t - 3t^2)/(1 - t) < 0.54 < 1`) and its second derivative is
  :math:`1 - \\rho (6t - 2) \\in [1 - 4\\rho, 1 + 2\\rho]`. So ``f`` decreases on
  :math:`[0, \\infty)` and is L-smooth with :math:`L \\le 3`.
- :math:`\\inf f = \\lim f_k = \\zeta(1+2\\tau) - \\tfrac12 \\sum_{k \\ge 0} (k+1)^{-1-2\\tau}
  = \\zeta(1 + 2\\tau)/2`, not attained (SCIENCE.md's claim holds). For
  :math:`\\tau \\le 1/2` the nodes go to infinity (:math:`x_k \\sim k^{1/2-\\tau}/(1/2-\\tau)`),
  which is why ``tau`` is restricted to ``(0, 1/2]``.

Continuations (our choices, documented, both keep f C^1 and bounded below by
:math:`\\zeta(1+2\\tau)/2`):

- left of :math:`x_0 = 0`: the quadratic :math:`f_0 + g_0 x + x^2/2` (f'' = 1, increasing
  as x decreases);
- right of the last node of the table cap (``MAX_NODES``; with ``tau = 0.1`` beyond
  :math:`x \\approx 630`): :math:`\\zeta/2 + (f_M - \\zeta/2) e^{-(x - x_M)/\\ell}` with
  :math:`\\ell = (f_M - \\zeta/2)/|g_M|` (slope matched, infimum unchanged, f'' tiny).

The node table is built lazily: it doubles until it covers the largest evaluation point,
up to ``MAX_NODES``.
"""

import numpy as np
from scipy.interpolate import CubicHermiteSpline
from scipy.special import zeta

from functions.objective import Differentiability, Objective, batched, uniform_box_sampler

INITIAL_NODES = 1024
MAX_NODES = 2**20


class CartisGouldTointSpline:
    """Lazily extended node table and the C^1 Hermite interpolant through it.

    Parameters
    ----------
    tau : float
        The exponent, ``0 < tau <= 1/2``.
    """

    def __init__(self, tau):
        self.tau = tau
        self.zeta = float(zeta(1.0 + 2.0 * tau))
        self.f_star = 0.5 * self.zeta
        self.nodes = self.values = self.slopes = None
        self.spline = None
        self._build(INITIAL_NODES)

    @property
    def node_count(self):
        """Number of nodes in the current table."""
        return self.nodes.size

    def node_table(self, count):
        """Exact recursion for the first ``count`` nodes: ``(x_k, f_k, g_k)`` arrays."""
        k = np.arange(count, dtype=np.float64)
        slopes = -((k + 1.0) ** (-0.5 - self.tau))
        nodes = np.concatenate([[0.0], np.cumsum(-slopes[:-1])])
        values = np.concatenate([[self.zeta], self.zeta - np.cumsum(0.5 * slopes[:-1] ** 2)])
        return nodes, values, slopes

    def _build(self, count):
        self.nodes, self.values, self.slopes = self.node_table(count)
        self.spline = CubicHermiteSpline(self.nodes, self.values, self.slopes, extrapolate=False)

    def _cover(self, largest):
        count = self.node_count
        while self.nodes[-1] < largest and count < MAX_NODES:
            count = min(2 * count, MAX_NODES)
        if count != self.node_count:
            self._build(count)

    def evaluate(self, x, order):
        """Derivative of ``order`` (0, 1 or 2) at the points ``x`` (1-D array)."""
        x = np.asarray(x, dtype=np.float64)
        finite = x[np.isfinite(x)]
        if finite.size:
            self._cover(finite.max())
        x_first, f_first, g_first = self.nodes[0], self.values[0], self.slopes[0]
        x_last, f_last, g_last = self.nodes[-1], self.values[-1], self.slopes[-1]
        out = np.full(x.shape, np.nan)
        left = x < x_first
        right = x > x_last
        middle = ~left & ~right & np.isfinite(x)
        if middle.any():
            out[middle] = self.spline(x[middle], nu=order)
        if left.any():
            d = x[left] - x_first
            out[left] = (f_first + g_first * d + 0.5 * d**2, g_first + d, np.ones_like(d))[order]
        if right.any():
            gap = f_last - self.f_star
            length = gap / abs(g_last)
            decay = np.exp(-(x[right] - x_last) / length)
            out[right] = (self.f_star + gap * decay, -gap / length * decay, gap / length**2 * decay)[order]
        return out


def cgt(tau):
    """The Cartis-Gould-Toint worst case with exponent ``tau`` (``0 < tau <= 1/2``).

    ``armijo`` with ``eta0 = 1`` and ``lam < 1/2`` accepts every first trial and follows
    the nodes (at node k the trial lands on node k+1 with decrease ``g_k^2/2``), so
    :math:`N(\\epsilon) \\approx \\epsilon^{-2/(1+2\\tau)}`. At ``lam = 1/2`` the Armijo test is an
    equality at every node and rounding decides: avoid it.
    """
    if not 0.0 < tau <= 0.5:
        raise ValueError(f"cgt: tau must be in (0, 1/2], got {tau}")
    spline = CartisGouldTointSpline(tau)

    @batched(1)
    def f(X):
        """Values, shape (B,)."""
        return spline.evaluate(X[:, 0], 0)

    @batched(1)
    def grad(X):
        """Gradients, shape (B, 1)."""
        return spline.evaluate(X[:, 0], 1)[:, None]

    @batched(1)
    def hess(X):
        """Second derivatives (one-sided at nodes, where f'' jumps), shape (B, 1, 1)."""
        return spline.evaluate(X[:, 0], 2)[:, None, None]

    return Objective(
        name="cgt",
        params={"tau": tau},
        variables=("x",),
        expression=None,
        f=f,
        grad=grad,
        hess=hess,
        default_start=np.zeros(1),
        sample_starts=uniform_box_sampler([0.0], [0.0]),
        analytic=False,
        analytic_reason="piecewise cubic spline: C^1 only, the second derivative jumps at the nodes",
        smoothness="C^1 (piecewise cubic, f'' jumps at nodes)",
        differentiability=Differentiability.C1,
        l_smooth=True,
        l0l1_smooth=True,
        bounded_iterates=False,
        f_star=spline.f_star,
        minimizers=(),
        critical_points=(),
        constants={"L": 3.0},
        hess_method="exact piecewise (right-continuous choice at the nodes)",
        reference="C. Cartis, N. I. M. Gould, Ph. L. Toint, SIAM J. Optim. 20(6), 2010",
        description=(
            "Worst case of steepest descent: unit steps from x0 = 0 visit the nodes x_{k+1} = x_k + "
            "(k+1)^(-1/2-tau) with ||g_k|| = (k+1)^(-1/2-tau). Decreasing on [0, oo), infimum "
            "zeta(1+2tau)/2 not attained (iterates unbounded, x_k ~ k^(1/2-tau)); L <= 3. All starts "
            "are x0 = 0 (the construction is about that start). Mind the floating-point floor: "
            "f_star is far from 0."
        ),
    )
