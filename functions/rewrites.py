"""Numerically safer forms of a SymPy expression: the cancellations a library already avoids.

Before an expression is printed into code (:mod:`functions.kernels`), each component (``f``,
the gradient, the Hessian) is rewritten by :func:`safe_rewrite` into an equal expression whose
floating-point evaluation does not lose the small part of ``1 + small``-type terms:

=======================  ===============================  =====================================
pattern                  replaced by                      where the rule comes from
=======================  ===============================  =====================================
``log(1 + u)``           ``log1p(u)``                     C99 ``log1p`` (SymPy ``log1p_opt``)
``c*exp(u) - c``         ``c*expm1(u)``                   C99 ``expm1`` (SymPy ``expm1_opt``)
``c*cos(u) - c``         ``-2*c*sin(u/2)**2``             SciPy ``cosm1`` (SymPy ``cosm1_opt``)
``c*cosh(u) - c``        ``2*c*sinh(u/2)**2``             the same half-angle identity
``c*sqrt(1 + u) - c``    ``c*u/(sqrt(1 + u) + 1)``        SciPy ``powm1(1 + u, 1/2)``, conjugate form
=======================  ===============================  =====================================

The ``- c`` rules take a numeric term of an ``Add`` against a term ``k * F(...)`` of the
opposite sign when that reduces the leftover constant (SymPy's opportunistic
``FuncMinusOneOptim``: ``exp(x) - 1 - x`` becomes ``expm1(x) - x``, ``cosh(x) + cos(x) - 2``
becomes ``2 sinh(x/2)^2 - 2 sin(x/2)^2``).  Every replacement is an identity on the real
domain of the original term, so the rewritten expression is the same function; it differs
only in rounding.  Both the NumPy oracles and the Numba kernels are printed from the
rewritten form (``numpy.log1p``, ``numpy.expm1`` on both sides: NumPy's own loops and the C
library's), so the backends still share one printed kernel.

Unlike :func:`sympy.codegen.rewriting.optimize` with ``optims_c99``, nothing else is done:
SymPy's ``FuncMinusOneOptim`` also tries ``expr.factor()`` of the whole expression and keeps
the cheaper form, which refactors polynomials (``x**2 - 1`` into ``(x - 1)*(x + 1)``) and
changes the rounding of every polynomial of the registry; ``log1p_opt`` factors the arguments
of logarithms; ``exp2``/``log2`` change which library function runs without removing a
cancellation.  None of these is applied.
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p

#: Names of the rules, in the order :func:`safe_rewrite` applies them (for reports and tests).
RULES = ("log1p", "expm1", "cosm1", "coshm1", "sqrt1pm1")


def _minus_one(core):
    """``core - 1`` in a form without the cancellation, or None when no rule applies."""
    if isinstance(core, sympy.exp):
        return expm1(core.args[0])
    if isinstance(core, sympy.cos):
        return -2 * sympy.sin(core.args[0] / 2) ** 2
    if isinstance(core, sympy.cosh):
        return 2 * sympy.sinh(core.args[0] / 2) ** 2
    if core.is_Pow and core.exp == sympy.S.Half:
        constant, rest = core.base.as_coeff_Add()
        if constant == 1 and rest != 0:
            return rest / (sympy.sqrt(core.base) + 1)
    return None


def _rewrite_add(add):
    """Absorb the numeric term of ``add`` into ``F - 1`` forms where that reduces it."""
    constant, others = add.as_coeff_Add()
    if constant == 0 or not constant.is_Number:
        return add
    terms = []
    for term in sympy.Add.make_args(others):
        coefficient, core = term.as_coeff_Mul()
        if (coefficient.is_Number and sympy.sign(coefficient) == -sympy.sign(constant)
                and abs(coefficient + constant) < abs(constant)):
            replaced = _minus_one(core)
            if replaced is not None:
                constant += coefficient
                terms.append(coefficient * replaced)
                continue
        terms.append(term)
    return sympy.Add(constant, *terms)


def _is_log_of_one_plus(node):
    if not isinstance(node, sympy.log) or not node.args[0].is_Add:
        return False
    constant, rest = node.args[0].as_coeff_Add()
    return constant == 1 and rest != 0


def safe_rewrite(expression):
    """``expression`` with the rules of the module docstring applied everywhere (bottom-up).

    Parameters
    ----------
    expression : sympy.Expr

    Returns
    -------
    sympy.Expr
        An equal expression (the same function on the reals), or ``expression`` itself when
        no rule applies.

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> safe_rewrite(sympy.log(1 + x**2) + 3*x**2)
    3*x**2 + log1p(x**2)
    >>> safe_rewrite(sympy.exp(x) - 1 - x)
    -x + expm1(x)
    """
    if not isinstance(expression, sympy.Basic) or expression.is_Atom:
        return expression
    rewritten = expression.replace(lambda node: node.is_Add, _rewrite_add)
    return rewritten.replace(_is_log_of_one_plus, lambda node: log1p(node.args[0] - 1))
