"""Closed-form symbolic entries: monomial, power-norm, rosenbrock, cosh, escape, flat-exp, mexican-hat."""


import numpy as np
import sympy

from functions.objective import CriticalPoint, Differentiability, uniform_box_sampler
from functions.symbolic import symbolic_objective

X_SYMBOL = sympy.Symbol("x", real=True)
Y_SYMBOL = sympy.Symbol("y", real=True)

FLAT_CUTOFF = 700.0
"""Exponent beyond which ``exp(-t)`` (t > 700) and its polynomial-weighted derivatives are
below 1e-290: the flat entries return exact zeros there instead of ``0 * inf = nan``."""


def exact_number(value):
    """The exact SymPy number written by ``repr(value)`` (``0.3 -> 3/10``, ``2.0 -> 2``)."""
    number = sympy.Rational(repr(float(value)))
    return sympy.Integer(number) if number.q == 1 else number


def monomial(p):
    """The even monomial :math:`f(x) = x^{2p}`.

    Parameters
    ----------
    p : int
        Half the degree, ``p >= 1``. ``p = 1`` is the L-smooth quadratic; for ``p >= 2`` the
        function is (L0,L1)-smooth but not L-smooth (SCIENCE.md section 5: ``armijo``
        exponent ``(2p-2)/(2p-1)``).
    """
    if p < 1:
        raise ValueError(f"monomial: p must be an integer >= 1, got {p}")
    x = X_SYMBOL
    return symbolic_objective(
        "monomial",
        {"p": p},
        x ** (2 * p),
        (x,),
        analytic=True,
        smoothness="C-infinity (analytic)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=p == 1,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=0.0,
        minimizers=(np.zeros(1),),
        critical_points=(CriticalPoint(np.zeros(1), 0.0, "minimum", hessian_degenerate=p >= 2, note="x^(2p) >= 0 = f(0)", exact=(sympy.Integer(0),)),),
        constants={"L": 2.0} if p == 1 else {},
        default_start=np.array([1.3]),
        sample_starts=uniform_box_sampler([-2.0], [2.0]),
        reference="SCIENCE.md section 5 (monomials); Bensaid arXiv:2412.14637",
        description=(
            "x^(2p): analytic, (L0,L1)-smooth, not L-smooth for p >= 2; degenerate minimum at 0 "
            "(Lojasiewicz exponent 1 - 1/(2p)). Default start 1.3 avoids lucky exact hits "
            "(x0 = 1 with eta = 1/4 lands on 0 for p = 2)."
        ),
    )


def power_norm(p, n):
    """The radial power :math:`f(x) = \\frac{1}{p} \\|x\\|^p` on :math:`\\mathbb{R}^n` (Vankov et al. 2024, appendix G).

    Parameters
    ----------
    p : int
        An even power ``p >= 2`` (so that :math:`\\|x\\|^p = (x_1^2 + ... + x_n^2)^{p/2}` is a polynomial).
    n : int
        The dimension.

    Notes
    -----
    The Hessian has norm :math:`(p-1) r^{p-2}` and the gradient :math:`r^{p-1}` at :math:`r = \\|x\\|`,
    so for every :math:`L_1 > 0` the least feasible :math:`L_0` is
    :math:`\\max_r (p-1) r^{p-2} - L_1 r^{p-1} = ((p-2)/L_1)^{p-2}` (at :math:`r = (p-2)/L_1`):
    the family Vankov et al. scan (their Example A.1).  Declared here: :math:`L_1 = 1`.
    Gradient steps keep the iterates on the ray through :math:`x_0` (the gradient is radial).
    """
    if p < 2 or p % 2:
        raise ValueError(f"power-norm: p must be an even integer >= 2, got {p}")
    variables = sympy.symbols(f"x1:{n + 1}", real=True)
    radius_squared = sum(v**2 for v in variables)
    zero = np.zeros(n)
    return symbolic_objective(
        "power-norm",
        {"p": p, "n": n},
        radius_squared ** (p // 2) / p,
        tuple(variables),
        analytic=True,
        smoothness="C-infinity (analytic)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=p == 2,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=0.0,
        minimizers=(zero,),
        critical_points=(CriticalPoint(zero, 0.0, "minimum", hessian_degenerate=p >= 4,
                                       note="||x||^p / p >= 0 = f(0)", exact=(sympy.Integer(0),) * n),),
        constants={"L": 1.0} if p == 2 else {"L0": float((p - 2) ** (p - 2)), "L1": 1.0},
        default_start=np.ones(n),
        sample_starts=uniform_box_sampler([-2.0] * n, [2.0] * n),
        reference="D. Vankov et al., arXiv:2410.10800, 2024 (appendix G, Example A.1)",
        description=(
            "(1/p) ||x||^p, p even: analytic, (L0,L1)-smooth with L0 = ((p-2)/L1)^(p-2) for every L1 > 0, not "
            "L-smooth for p >= 4; degenerate minimum at 0 (Lojasiewicz exponent 1 - 1/p)."
        ),
    )


def rosenbrock():
    """Rosenbrock's banana :math:`f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`.

    Not (L0,L1)-smooth: on the parabola :math:`y = x^2` the gradient is :math:`(2(x-1), 0)`
    while the Hessian grows like :math:`800 x^2`.
    """
    x, y = X_SYMBOL, Y_SYMBOL
    return symbolic_objective(
        "rosenbrock",
        {},
        (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        (x, y),
        analytic=True,
        smoothness="C-infinity (analytic)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=False,
        l0l1_smooth=False,
        bounded_iterates=True,
        f_star=0.0,
        minimizers=(np.ones(2),),
        critical_points=(CriticalPoint(np.ones(2), 0.0, "minimum", note="Hessian [[802, -400], [-400, 200]] positive definite", exact=(sympy.Integer(1), sympy.Integer(1))),),
        default_start=np.array([-1.2, 1.0]),
        sample_starts=uniform_box_sampler([-2.0, -1.0], [2.0, 3.0]),
        reference="H. H. Rosenbrock, The Computer Journal 3(3), 1960",
        description=(
            "Curved valley, unique minimiser (1, 1); coercive polynomial, so sublevel sets are "
            "compact. Not L-smooth and not (L0,L1)-smooth (Hessian ~ 800 x^2 on y = x^2 where the "
            "gradient is only 2|x - 1|). Classical start (-1.2, 1)."
        ),
    )


def cosh_family(s):
    """:math:`f(x) = \\cosh(s x)/s^2`, with :math:`f'' = \\cosh(s x) \\le 1 + s |f'|`.

    Parameters
    ----------
    s : float
        Scale, ``s > 0``. Minimal (L0, L1) = (1, s); not L-smooth.
    """
    if not s > 0:
        raise ValueError(f"cosh: s must be > 0, got {s}")
    x = X_SYMBOL
    s_exact = exact_number(s)
    return symbolic_objective(
        "cosh",
        {"s": s},
        sympy.cosh(s_exact * x) / s_exact**2,
        (x,),
        analytic=True,
        smoothness="C-infinity (analytic)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=False,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=1.0 / s**2,
        minimizers=(np.zeros(1),),
        critical_points=(CriticalPoint(np.zeros(1), 1.0 / s**2, "minimum", note="f''(0) = 1 > 0", exact=(sympy.Integer(0),)),),
        constants={"L0": 1.0, "L1": float(s)},
        default_start=np.array([2.1]),
        sample_starts=uniform_box_sampler([-3.0], [3.0]),
        reference="SCIENCE.md section 5; Zhang, He, Sra, Jadbabaie, ICLR 2020",
        description=(
            "cosh(s x)/s^2: strongly convex (f'' >= 1), f'' = cosh(s x) <= 1 + s |f'(x)|, so "
            "(L0, L1) = (1, s) and these are minimal (equality as |x| -> oo and at 0); not L-smooth."
        ),
    )


def escape(a):
    """:math:`f(x) = (1 + x^2)^{-a/2}`: L-smooth, analytic, infimum 0 not attained.

    Parameters
    ----------
    a : float
        Decay exponent, ``a > 0``. From ``x0 > 0`` descent iterates run off to infinity
        (SCIENCE.md section 5: ``armijo`` exponent ``(a+2)/(a+1)``).
    """
    if not a > 0:
        raise ValueError(f"escape: a must be > 0, got {a}")
    x = X_SYMBOL
    a_exact = exact_number(a)
    return symbolic_objective(
        "escape",
        {"a": a},
        (1 + x**2) ** (-a_exact / 2),
        (x,),
        analytic=True,
        smoothness="C-infinity (analytic)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=True,
        l0l1_smooth=True,
        bounded_iterates=False,
        f_star=0.0,
        minimizers=(),
        critical_points=(CriticalPoint(np.zeros(1), 1.0, "maximum", note="f''(0) = -a < 0", exact=(sympy.Integer(0),)),),
        constants={"L": float(a)},
        default_start=np.array([1.0]),
        sample_starts=uniform_box_sampler([0.5], [3.0]),
        reference="SCIENCE.md section 5 (escape to infinity)",
        description=(
            "(1+x^2)^(-a/2): analytic and L-smooth (|f''| <= a, attained at 0), infimum 0 not "
            "attained; from x0 > 0 the iterates increase without bound, so the analytic O(1/eps) "
            "result does not apply (bounded iterates fail). Starts uniform in [0.5, 3]."
        ),
    )


def flat_exp():
    """:math:`f(x) = \\exp(-1/x^2)`, :math:`f(0) = 0`: C-infinity, flat at 0, not analytic.

    All derivatives vanish at 0, so no Lojasiewicz inequality holds there. Where
    :math:`1/x^2 > 700` the oracles return exact zeros (true values below 1e-290).
    """
    x = X_SYMBOL
    smooth_branch = sympy.exp(-1 / x**2)

    return symbolic_objective(
        "flat-exp",
        {},
        sympy.Piecewise((smooth_branch, sympy.Ne(x, 0)), (0, True)),
        (x,),
        analytic=False,
        compiled_expression=smooth_branch,
        active_region=x**2 * exact_number(FLAT_CUTOFF) > 1,
        smoothness="C-infinity, not analytic at 0",
        differentiability=Differentiability.SMOOTH,
        l_smooth=True,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=0.0,
        minimizers=(np.zeros(1),),
        critical_points=(CriticalPoint(np.zeros(1), 0.0, "minimum", hessian_degenerate=True, note="f > 0 = f(0) elsewhere; every derivative vanishes at 0", exact=(sympy.Integer(0),)),),
        default_start=np.array([1.0]),
        sample_starts=uniform_box_sampler([-2.0], [2.0]),
        reference="SCIENCE.md section 5 (flat minimum); classical example of a non-analytic C-infinity function",
        description=(
            "exp(-1/x^2), 0 at 0: even, increasing in |x|, so sublevel sets are intervals (bounded "
            "iterates); |f''| bounded (L-smooth). Infinitely flat minimum: no Lojasiewicz inequality "
            "at 0, so the O(1/eps) analytic bound does not apply."
        ),
    )


def mexican_hat():
    """Absil, Mahony and Andrews' (2005) Mexican hat, after Palis and de Melo (1982).

    In polar coordinates :math:`(r, \\theta)`,

    .. math::

        f = e^{-1/(1-r^2)} \\left[1 - \\frac{4 r^4}{4 r^4 + (1 - r^2)^4}
            \\sin\\left(\\theta - \\frac{1}{1 - r^2}\\right)\\right] \\quad (r < 1),
        \\qquad f = 0 \\quad (r \\ge 1).

    Written in Cartesian form with :math:`\\sin(\\theta - c) = (y \\cos c - x \\sin c)/r`,
    :math:`c = 1/(1 - r^2)`. For fixed ``r`` the minimum over ``theta`` lies on the spiral
    :math:`\\theta = 1/(1-r^2) + \\pi/2 \\pmod{2\\pi}`, along which
    :math:`f = e^{-c}(1-r^2)^4/(4r^4 + (1-r^2)^4)` decreases with ``r``: descent iterates
    follow the spiral valley, whose angle diverges as :math:`r \\to 1`, so they wind around
    the unit circle (the set of minimisers, value 0) forever without converging.

    How it was checked. The formula is the one printed in the paper (section 2, the
    Mexican hat figure) as recalled; our search tools did not return the paper's text, so it
    was checked against the paper's description instead: (i) the Cartesian form equals the
    polar formula at random points (test); (ii) f > 0 inside the disc and f = 0 on the
    circle and outside; (iii) Armijo gradient descent from starts inside the disc locks onto
    the spiral valley: the phase :math:`\\theta - 1/(1-r^2)` converges to :math:`\\pi/2`
    (mod 2 pi, within 0.3 degree after 4000 iterations from r = 0.5 and r = 0.9) while ``r``
    increases; the test ``test_mexican_hat_iterates_circle`` checks the angle increases
    monotonically, ``r`` increases, and the phase stays locked. Progress along the valley
    is slow (f ~ 1e-6, 20000 iterations add 0.001 to r) and in double precision the
    iterates stop near r ~ 0.97 where steps fall below the resolution of x.

    Smoothness: C-infinity except at the origin, where the angular term
    :math:`r^3 (y \\cos c - x \\sin c)` is only C^3 (the origin is a strict local maximum,
    value 1/e, irrelevant for the spiral). The oracles return exact zeros where
    :math:`1/(1-r^2) > 700` (true values below 1e-290), and the exact values at the origin.
    """
    x, y = X_SYMBOL, Y_SYMBOL
    q = x**2 + y**2
    c = 1 / (1 - q)
    smooth_branch = sympy.exp(-c) * (1 - 4 * q ** sympy.Rational(3, 2) * (y * sympy.cos(c) - x * sympy.sin(c)) / (4 * q**2 + (1 - q) ** 4))

    value_at_origin = float(np.exp(-1.0))
    return symbolic_objective(
        "mexican-hat",
        {},
        sympy.Piecewise((smooth_branch, q < 1), (0, True)),
        (x, y),
        analytic=False,
        compiled_expression=smooth_branch,
        active_region=(1 - q) * exact_number(FLAT_CUTOFF) > 1,
        # the compiled formulas give 0/0 at the exact origin (q**(-1/2) times 0): exact values there
        special_points=((np.zeros(2), value_at_origin, np.zeros(2), -2.0 * value_at_origin * np.eye(2)),),
        smoothness="C-infinity away from the origin (C^3 there), not analytic on the unit circle",
        differentiability=Differentiability.C1,
        l_smooth=True,
        l0l1_smooth=True,
        bounded_iterates=True,
        f_star=0.0,
        minimizers=(),
        critical_points=(CriticalPoint(np.zeros(2), float(np.exp(-1.0)), "maximum", note="f = e^-1 (1 - r^2) + O(r^3) near 0", exact=(sympy.Integer(0), sympy.Integer(0))),),
        default_start=np.array([0.5 * np.cos(4.0 / 3.0 + np.pi / 2), 0.5 * np.sin(4.0 / 3.0 + np.pi / 2)]),
        sample_starts=_annulus_sampler(0.3, 0.8),
        reference=(
            "P.-A. Absil, R. Mahony, B. Andrews, Convergence of the iterates of descent methods for "
            "analytic cost functions, SIAM J. Optim. 16(2), 2005 (after Palis and de Melo, 1982)"
        ),
        description=(
            "C-infinity, not analytic; minimisers: the whole set r >= 1 (value 0, not isolated, so "
            "`minimizers` is empty). Descent iterates follow a spiral valley and circle the unit "
            "circle forever without converging. L-smooth (the non-constant part has compact "
            "support). Iterates are bounded: inside the disc, or stopped at the first exit "
            "(f and grad vanish outside). Default start on the valley at r = 0.5; starts uniform "
            "in the annulus 0.3 <= r <= 0.8."
        ),
    )


def _annulus_sampler(inner, outer):
    """Starts uniform (in area) in the annulus ``inner <= r <= outer``."""

    def sample_starts(rng, count):
        radius = np.sqrt(rng.uniform(inner**2, outer**2, size=count))
        angle = rng.uniform(0.0, 2.0 * np.pi, size=count)
        return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)

    return sample_starts
