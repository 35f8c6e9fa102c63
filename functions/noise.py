"""The noise of f's own evaluation: a running error bound printed from the same SymPy tree as f.

Near a minimiser the Armijo test compares two computed values of ``f`` whose difference is
tiny; when it is below the rounding error of the evaluation, rounding decides the test, not
the function (SCIENCE.md section 6).  The rounding error is not always an ulp of ``f``: in
``log(1 + x**2) + 3*x**2`` at ``x = 1e-9`` the rounding of ``1 + x**2`` costs ``1e-16``
absolute while ``f`` is ``4e-18``.  This module bounds the error of the *printed* kernel.

The bound
---------
Each node ``v`` of the expression tree is computed with an error ``err(v)``; to first order in
the unit roundoff ``u = 2**-53``

.. math::

    \\mathrm{err}(v) \\le c_v\\, u\\, |v| + \\sum_{w \\in \\mathrm{children}(v)}
        \\Big|\\frac{\\partial v}{\\partial w}\\Big|\\, \\mathrm{err}(w)

with ``c_v`` the roundings of the node (``n - 1`` for a sum or product of ``n`` terms, bounded
over any order of evaluation; ``k - 1`` for an integer power ``k`` by square-and-multiply;
``2 * LIBRARY_ULPS`` for a library function, whose error is at most that many ulps and an ulp
is at most ``2 u |v|``), variables and exactly representable constants exact.  The bound of
the root, :func:`noise_expression`, is a SymPy expression in the variables (in units of
``u``); it is printed and compiled like ``f`` itself (:mod:`functions.kernels`), so both
backends evaluate the same noise kernel.

Where no cancellation can amplify an error, a static analysis (:func:`relative_error_bound`)
gives a constant ``K`` with ``err(f) <= K u |f(x)|`` for every ``x``: sums of terms of one
sign, products, powers, functions whose relative condition number is bounded on their
argument's range (``tanh``, ``atan``, ``asinh``, ``erf``, ``log1p`` of a nonnegative,
``expm1`` of a nonpositive argument) and any library function of an exact argument.  Such an
objective needs no kernel: its noise is ``K u |f(x)|`` (one multiplication per iteration).
``x**4`` has ``K = 3``; ``log(1 + x**2) + 3*x**2`` is not relative (a log of ``1 + small``),
its rewritten form ``log1p(x**2) + 3*x**2`` is (``K = 4``, :mod:`functions.rewrites`).

The engine compares the noise with each Armijo decision (:mod:`armijo.linesearch`, status
``noise_floor``).  :func:`ecnoise` (More and Wild 2011) estimates the noise from function
values alone; the tests use it, and an mpmath reference, to validate the bound.

References
----------
N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM 2002, sections
3.1 and 3.3 (running error analysis).  J. J. More and S. M. Wild, "Estimating computational
noise", SIAM J. Sci. Comput. 33(3), 2011.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy
from sympy.codegen.cfunctions import expm1, log1p

#: The unit roundoff of float64 (round to nearest): ``|fl(v) - v| <= u |v|``.
UNIT_ROUNDOFF = 2.0**-53

#: Largest error of each library function in ulps of its result, as assumed by the bound.
#: Measured on 2e4 uniform points per function against mpmath (40 digits), NumPy 2.4 (SIMD
#: loops, AVX-512 machine) and glibc through Numba, the larger of the two, rounded up to a whole
#: ulp: exp 0.64, log 0.52, sin 0.51, cos 0.51, tan 0.53, atan 0.53, asin 0.81, acos 0.80,
#: log1p 0.73, expm1 0.75, power 0.68 -> 1; cosh 1.00, sinh 1.57, asinh 1.36, atanh 1.41,
#: acosh 1.33 -> 2; tanh 2.03, erf 2.42 (SciPy) -> 3.
LIBRARY_ULPS = {
    sympy.exp: 1, sympy.log: 1, sympy.sin: 1, sympy.cos: 1, sympy.tan: 1, sympy.atan: 1,
    sympy.asin: 1, sympy.acos: 1, log1p: 1, expm1: 1,
    sympy.sinh: 2, sympy.cosh: 2, sympy.asinh: 2, sympy.atanh: 2, sympy.acosh: 2,
    sympy.tanh: 3, sympy.erf: 3,
}
#: ``numpy.power`` with a non-integer exponent.
POWER_ULPS = 1

#: Functions whose relative condition number ``|a F'(a) / F(a)|`` is at most 1 on the whole
#: real line (``tanh``, ``atan``, ``asinh``, ``erf``), or on the sign of argument given.
_BOUNDED_CONDITION = {sympy.tanh: 0, sympy.atan: 0, sympy.asinh: 0, sympy.erf: 0, log1p: 1, expm1: -1}

_PIECEWISE_CONSTANT = (sympy.sign, sympy.floor, sympy.ceiling, sympy.Heaviside)


class NoiseModelUnavailable(ValueError):
    """The expression has a node the running error analysis does not know."""


@dataclass(frozen=True)
class NoiseModel:
    """How the evaluation noise of a symbolic objective is bounded.

    Attributes
    ----------
    relative : float or None
        ``K`` with ``|computed f(x) - f(x)| <= K u |f(x)|`` for every ``x`` (no cancellation
        possible), or None.
    expression : sympy.Expr or None
        Where ``relative`` is None: the running error bound in units of ``u``
        (:func:`noise_expression`), to be printed as a kernel; None as well when the
        expression has a node without an error rule (then there is no noise model).
    reason : str
        One line: why the model is relative, why a kernel, or why there is none.
    """

    relative: float | None
    expression: object
    reason: str

    @property
    def kind(self):
        """``"relative"``, ``"kernel"`` or ``"none"``."""
        if self.relative is not None:
            return "relative"
        return "kernel" if self.expression is not None else "none"


def _exact_number(number):
    """True when the printed constant is exactly ``number`` (no rounding when printed)."""
    if number.is_Integer:
        return abs(int(number)) <= 2**53
    if number.is_Rational:
        q = int(number.q)
        return abs(int(number.p)) <= 2**53 and q & (q - 1) == 0
    if number.is_Float:
        return sympy.Rational(float(number)) == sympy.Rational(number)
    return False


def _library_units(node):
    """Roundings of a library function, in units of ``u |value|`` (an ulp is at most ``2 u |v|``)."""
    return 2 * LIBRARY_ULPS[type(node)]


def _sign(node):
    """+1 when ``node >= 0`` is known, -1 when ``node <= 0`` is known, else 0."""
    if node.is_nonnegative:
        return 1
    if node.is_nonpositive:
        return -1
    if isinstance(node, (log1p, expm1)):
        return _sign(node.args[0])  # both have the sign of their argument
    if node.is_Mul:
        signs = [_sign(factor) for factor in node.args]
        return 0 if 0 in signs else int(np.prod(signs))
    if node.is_Pow and node.exp.is_Integer:
        base = _sign(node.base)
        return 1 if int(node.exp) % 2 == 0 else base
    return 0


def _power_of_two(number):
    """True for a number ``+-2**k``: multiplying by it is exact (barring overflow and underflow)."""
    if not number.is_Rational or number == 0:
        return False
    p, q = abs(int(number.p)), int(number.q)
    return (p == 1 or q == 1) and p & (p - 1) == 0 and q & (q - 1) == 0


def _factors(mul):
    """The factors of a product and the roundings of the product (a factor ``+-2**k`` is exact)."""
    factors = [factor for factor in mul.args if factor != -1]
    exact = sum(1 for factor in factors if _power_of_two(factor))
    return factors, max(len(factors) - 1 - exact, 0)


# -- the static relative bound ---------------------------------------------------------------


def relative_error_bound(expression):
    """``K`` with ``err(f) <= K u |f(x)|`` everywhere, or None where cancellation is possible.

    See the module docstring for the rules; a sum of two exact terms (``1 - x``) rounds once
    and is relative too.  Any node the analysis does not know gives None.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> relative_error_bound(x**4), relative_error_bound(sympy.log(1 + x**2))
    (3.0, None)
    """
    memo = {}

    def relative(node):
        if node in memo:
            return memo[node]
        value = _relative(node, relative)
        memo[node] = value
        return value

    value = relative(expression)
    return None if not np.isfinite(value) else float(value)


def _relative(node, relative):
    if node.is_Symbol:
        return 0.0
    if node.is_Number or node.is_NumberSymbol:
        return 0.0 if node.is_Number and _exact_number(node) else 1.0
    if node.is_Add:
        parts = [relative(term) for term in node.args]
        if len(parts) == 2 and max(parts) == 0:
            return 1.0
        signs = {_sign(term) for term in node.args}
        if signs in ({1}, {-1}):
            return max(parts) + len(parts) - 1
        return np.inf
    if node.is_Mul:
        factors, roundings = _factors(node)
        return sum(relative(factor) for factor in factors) + roundings
    if node.is_Pow:
        base, exponent = node.base, node.exp
        if exponent.is_Integer:
            k = abs(int(exponent))
            return k * relative(base) + k - 1 + (1 if exponent < 0 else 0)
        if exponent.is_Rational and exponent.q == 2:
            p = abs(int(exponent.p))
            return p * (relative(base) / 2 + 1) + p - 1 + (1 if exponent < 0 else 0)
        if exponent.is_Number and _exact_number(exponent):
            return float(abs(exponent)) * relative(base) + 2 * POWER_ULPS
        return np.inf
    if isinstance(node, sympy.Abs):
        return relative(node.args[0])
    if type(node) in LIBRARY_ULPS and len(node.args) == 1:
        argument = node.args[0]
        inner = relative(argument)
        if inner == 0:
            return float(_library_units(node))
        domain = _BOUNDED_CONDITION.get(type(node))
        if domain is not None and (domain == 0 or _sign(argument) == domain):
            return _library_units(node) + inner  # condition number at most 1
        return np.inf
    return np.inf


# -- the running error bound -------------------------------------------------------------------


def noise_expression(expression, known=None):
    """The first-order running error bound of ``expression``, in units of ``u`` (a SymPy expression).

    ``|computed f(x) - f(x)| <= u * noise_expression(f)(x)`` to first order in ``u``, for the
    kernel printed from ``expression`` by :mod:`functions.kernels` (see the module docstring).

    Parameters
    ----------
    expression : sympy.Expr
    known : dict, optional
        Errors of symbols that stand for computed values (the temporaries of a
        common-subexpression elimination): ``{t: e}``; other symbols are exact variables.

    Raises
    ------
    NoiseModelUnavailable
        For a node the analysis does not know (none of the parser's functions).

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> noise_expression(1 - x)
    Abs(x - 1)
    """
    memo = {}
    known = known or {}

    def error(node):
        if node not in memo:
            memo[node] = known.get(node, sympy.S.Zero) if node.is_Symbol else _error(node, error)
        return memo[node]

    return error(expression)


def running_error_program(expression, temporaries="t_", errors="e_"):
    """The running error bound of ``expression`` as straight-line code, in forward mode.

    Every operation of the expression (sum, product, power, library call, ``abs``; shared
    subtrees once) becomes a temporary ``t_i`` computed from earlier temporaries, and gets an
    error ``e_i`` by the rules of :func:`noise_expression` with the earlier errors as known
    symbols and ``|value_i|`` written ``|t_i|``.  The cost is a few operations per operation of
    ``f``: the whole-tree form repeats a subtree's value and error in every product that
    multiplies it.  Other nodes (``Piecewise``, ``Max``...) are one temporary each, with their
    error in whole-tree form.  Equal to :func:`noise_expression` up to rounding when the
    program sums in the tree's order.

    Returns
    -------
    statements : list of (sympy.Symbol, sympy.Expr)
        ``(t_i, value_i)`` and ``(e_i, error_i)`` in evaluation order.
    result : sympy.Expr
        The bound of the whole expression (units of ``u``): an error symbol, or 0.
    """
    names, error_names = sympy.numbered_symbols(temporaries), sympy.numbered_symbols(errors)
    values, known, statements = {}, {}, []

    def visit(node):
        if node in values:
            return values[node]
        if node.is_Atom:
            return node
        walked = node.is_Add or node.is_Mul or node.is_Pow or isinstance(node, sympy.Abs) or (
            type(node) in LIBRARY_ULPS and len(node.args) == 1)
        value = node.func(*[visit(argument) for argument in node.args], evaluate=False) if walked else node
        temporary = next(names)
        statements.append((temporary, value))
        bound = noise_expression(value, known).xreplace({sympy.Abs(value): sympy.Abs(temporary)})
        if bound != 0:
            name = next(error_names)
            statements.append((name, bound))
            known[temporary] = name
        values[node] = temporary
        return temporary

    root = visit(expression)
    return statements, known.get(root, sympy.S.Zero)


def _error(node, error):
    Abs = sympy.Abs
    if node.is_Symbol:
        return sympy.S.Zero
    if node.is_Number or node.is_NumberSymbol:
        return sympy.S.Zero if node.is_Number and _exact_number(node) else Abs(node)
    if node.is_Add:
        terms = node.args
        return sympy.Add(*[error(term) for term in terms]) + (len(terms) - 1) * sympy.Add(*[Abs(t) for t in terms])
    if node.is_Mul:
        factors, roundings = _factors(node)
        total = roundings * Abs(node)
        for i, factor in enumerate(factors):
            inner = error(factor)
            if inner != 0:
                total += Abs(sympy.Mul(*(factors[:i] + factors[i + 1:]))) * inner
        return total
    if node.is_Pow:
        base, exponent = node.base, node.exp
        if exponent.is_Integer:
            k = abs(int(exponent))
            roundings = k - 1 + (1 if exponent < 0 else 0)
        elif exponent.is_Rational and exponent.q == 2:
            p = abs(int(exponent.p))
            roundings = 2 * p - 1 + (1 if exponent < 0 else 0)
        else:
            roundings = 2 * POWER_ULPS
        total = roundings * Abs(node)
        if error(base) != 0:
            total += Abs(exponent * base ** (exponent - 1)) * error(base)
        if not exponent.is_Number or error(exponent) != 0:
            total += Abs(node * sympy.log(base)) * error(exponent)
        return total
    if isinstance(node, sympy.Abs):
        return error(node.args[0])
    if isinstance(node, (sympy.Max, sympy.Min)):
        return sympy.Max(*[error(argument) for argument in node.args])
    if isinstance(node, sympy.Piecewise):
        return sympy.Piecewise(*[(error(value), condition) for value, condition in node.args])
    if isinstance(node, _PIECEWISE_CONSTANT):
        return sympy.S.Zero
    if type(node) in LIBRARY_ULPS and len(node.args) == 1:
        argument = node.args[0]
        total = _library_units(node) * Abs(node)
        if error(argument) != 0:
            total += Abs(node.fdiff(1)) * error(argument)
        return total
    raise NoiseModelUnavailable(f"no running error rule for {type(node).__name__}")


def noise_model(expression):
    """The :class:`NoiseModel` of ``expression``: relative where possible, else a kernel.

    An expression with a node the analysis does not know has no model (``kind == "none"``).
    """
    relative = relative_error_bound(expression)
    if relative is not None:
        return NoiseModel(relative, None, f"no cancellation possible: |error| <= {relative:g} u |f|")
    try:
        return NoiseModel(None, noise_expression(expression), "cancellation possible: running error bound kernel")
    except NoiseModelUnavailable as error:
        return NoiseModel(None, None, f"no noise model ({error})")


def engine_noise(objective):
    """The ``noise`` argument of :func:`armijo.minimize` for an objective.

    ``K u`` (a float, ``N(x) = K u |f(x)|``) for a relative model, the batched noise oracle of
    the symbolic entry for a kernel model, None for numeric entries and callables (no model:
    the precision floor alone applies).
    """
    oracle = getattr(objective, "symbolic", None)
    if oracle is None:
        return None
    model = oracle.noise_model
    if model.kind == "relative":
        return model.relative * UNIT_ROUNDOFF
    return oracle.noise if model.kind == "kernel" else None


# -- ECnoise -----------------------------------------------------------------------------------


def ecnoise(values):
    """More and Wild's ECnoise: the noise level of ``f`` from values on a short line.

    Parameters
    ----------
    values : array_like, shape (m,)
        ``f(x + (i - m//2) h p)`` for ``i = 0 .. m-1`` (``m = 7`` to ``9`` is usual), with a
        direction ``p`` and a step ``h`` small enough for ``f`` to be smooth at that scale
        and large enough for the values to differ.

    Returns
    -------
    noise : float
        The estimated standard deviation of the noise (nan when no estimate).
    inform : int
        1 estimate found; 2 ``h`` too small (half the first differences vanish); 3 ``h`` too
        large (no consistent level, or values spread by more than 10%).

    Notes
    -----
    The ``k``-th differences of independent noise of deviation ``sigma`` have mean square
    ``(2k)!/(k!)^2 sigma^2``; the level ``sigma_k = sqrt(gamma_k mean(Delta^k f^2))`` is accepted
    at the first ``k`` where three consecutive levels agree within a factor 4 and the ``k``-th
    differences change sign (More and Wild 2011, algorithm ECnoise).
    """
    table = np.asarray(values, dtype=np.float64).copy()
    m = table.size
    low, high = table.min(), table.max()
    if not np.isfinite(table).all() or (high - low) > 0.1 * max(abs(high), abs(low)):
        return float("nan"), 3
    levels = np.zeros(m - 1)
    sign_change = np.zeros(m - 1, dtype=bool)
    gamma = 1.0
    for j in range(1, m):
        table = np.diff(table)
        if j == 1 and np.count_nonzero(table == 0) >= m / 2:
            return float("nan"), 2
        gamma *= 0.5 * j / (2 * j - 1)
        levels[j - 1] = np.sqrt(gamma * np.mean(table**2))
        sign_change[j - 1] = table.min() * table.max() < 0
    for k in range(m - 3):
        window = levels[k:k + 3]
        if window.max() <= 4 * window.min() and sign_change[k]:
            return float(levels[k]), 1
    return float("nan"), 3
