"""The reference paper author's single-neuron benchmarks ``poly-two`` ... ``poly-eight``.

One neuron with polynomial activation ``a`` fitted to two data points with squared loss:

.. math::

    R(w, b) = \\tfrac12 \\left[a(b)^2 + a(w + b)^2\\right].

With :math:`u = b`, :math:`v = w + b` (an invertible linear change of variables,
:math:`(w, b) = (v - u, u)`) the risk separates, :math:`R = h(u) + h(v)` with
:math:`h = a^2/2` and :math:`h' = a a'`. Hence the critical points are the pairs
:math:`(u, v)` of real zeros of :math:`a a'`, computed exactly by SymPy, and their nature
follows from the one-dimensional nature of each coordinate (a linear change of variables
preserves local minima, maxima and saddles):

- in 1-D, let ``m`` be the order of the first non-zero derivative of ``h`` at the zero
  (``m >= 2``): ``m`` even and positive derivative: local minimum; even and negative: local
  maximum; ``m`` odd: inflection (``h`` increases on one side of the point and decreases on
  the other: a "one-sided" degenerate critical point);
- in 2-D: minimum + minimum = minimum; maximum + maximum = maximum; minimum + maximum =
  saddle; any inflection coordinate gives a saddle (moving that coordinate alone, R takes
  values above and below the critical value). The Hessian is singular exactly when one of
  the coordinates has ``m > 2``.

Activations (SCIENCE.md section 5): polyTwo ``z^2 - 1``, polyThree ``2z^3 - 3z^2 + 5``,
polyFour ``z^4 - 2z^2 + 3``, polyFive ``z^5 - 4z^4 + 2z^3 + 8z^2 - 11z - 12``, polyEight
``a(0) = 1``, ``a'(z) = 280 z (z-1)^3 (z-2)^3``.
"""

import numpy as np
import sympy

from functions.objective import CriticalPoint, Differentiability, uniform_box_sampler
from functions.symbolic import symbolic_objective

Z_SYMBOL = sympy.Symbol("z", real=True)
W_SYMBOL = sympy.Symbol("w", real=True)
B_SYMBOL = sympy.Symbol("b", real=True)


def _poly_eight_activation(z):
    t = sympy.Symbol("t", real=True)
    return sympy.expand(1 + sympy.integrate(280 * t * (t - 1) ** 3 * (t - 2) ** 3, (t, 0, z)))


ACTIVATIONS = {
    "poly-two": Z_SYMBOL**2 - 1,
    "poly-three": 2 * Z_SYMBOL**3 - 3 * Z_SYMBOL**2 + 5,
    "poly-four": Z_SYMBOL**4 - 2 * Z_SYMBOL**2 + 3,
    "poly-five": Z_SYMBOL**5 - 4 * Z_SYMBOL**4 + 2 * Z_SYMBOL**3 + 8 * Z_SYMBOL**2 - 11 * Z_SYMBOL - 12,
    "poly-eight": _poly_eight_activation(Z_SYMBOL),
}


def classify_one_dimensional(h, z, root):
    """Nature of the critical point ``root`` of the univariate polynomial ``h(z)``.

    Returns
    -------
    nature : str
        ``"minimum"``, ``"maximum"`` or ``"inflection"``.
    order : int
        Order ``m >= 2`` of the first non-vanishing derivative at ``root``.
    """
    derivative = sympy.diff(h, z)
    order = 1
    while True:
        derivative = sympy.diff(derivative, z)
        order += 1
        value = sympy.simplify(derivative.subs(z, root))
        if value != 0:
            break
    if order % 2 == 1:
        return "inflection", order
    return ("minimum" if value > 0 else "maximum"), order


def single_neuron_critical_points(activation, z=Z_SYMBOL):
    """All critical points of :math:`R(w, b)` for ``activation(z)``, classified exactly.

    Returns
    -------
    tuple of CriticalPoint
        Sorted by (u, v) = (b, w + b); ``exact`` holds the exact (w, b).
    """
    h = sympy.expand(activation**2 / 2)
    h_prime = sympy.Poly(sympy.diff(h, z), z)
    roots = sorted(set(h_prime.real_roots()), key=lambda r: float(r))
    nature = {root: classify_one_dimensional(h, z, root) for root in roots}
    points = []
    for u in roots:
        for v in roots:
            (kind_u, order_u), (kind_v, order_v) = nature[u], nature[v]
            kinds = {kind_u, kind_v}
            if "inflection" in kinds:
                kind = "saddle"
            elif kinds == {"minimum"}:
                kind = "minimum"
            elif kinds == {"maximum"}:
                kind = "maximum"
            else:
                kind = "saddle"
            value = h.subs(z, u) + h.subs(z, v)
            exact = (sympy.nsimplify(v - u), sympy.nsimplify(u))
            points.append(
                CriticalPoint(
                    x=np.array([float(exact[0]), float(exact[1])]),
                    value=float(value),
                    kind=kind,
                    hessian_degenerate=max(order_u, order_v) > 2,
                    note=(
                        f"separable R = h(u) + h(v), u = b = {u}: {kind_u} of order {order_u}, "
                        f"v = w + b = {v}: {kind_v} of order {order_v}"
                    ),
                    exact=exact,
                )
            )
    return tuple(points)


def single_neuron(name):
    """The single-neuron benchmark ``name`` (one of the keys of ``ACTIVATIONS``)."""
    activation = ACTIVATIONS[name]
    w, b = W_SYMBOL, B_SYMBOL
    expression = sympy.Rational(1, 2) * (activation.subs(Z_SYMBOL, b) ** 2 + activation.subs(Z_SYMBOL, w + b) ** 2)
    critical_points = single_neuron_critical_points(activation)
    f_star = min(point.value for point in critical_points)
    minimizers = tuple(point.x for point in critical_points if point.kind == "minimum" and point.value == f_star)
    return symbolic_objective(
        name,
        {},
        expression,
        (w, b),
        analytic=True,
        smoothness="C-infinity (analytic, polynomial)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=False,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=f_star,
        minimizers=minimizers,
        critical_points=critical_points,
        default_start=np.array([1.3, -2.1]),
        sample_starts=uniform_box_sampler([-3.0, -3.0], [3.0, 3.0]),
        reference="B. Bensaid, arXiv:2412.14637 (2024) and its public benchmark code; SCIENCE.md section 5",
        description=(
            f"R(w, b) = 1/2 [a(b)^2 + a(w+b)^2] with a(z) = {sympy.factor(activation)}. Coercive "
            "polynomial (compact sublevel sets), not L-smooth (degree >= 4), (L0,L1)-smooth (separable "
            "in (b, w+b) with univariate polynomial parts). "
            f"{len(critical_points)} critical points, {sum(p.kind == 'minimum' for p in critical_points)} local minima, "
            f"{len(minimizers)} global minima at value {f_star:g}. Starts uniform in [-3, 3]^2."
        ),
    )
