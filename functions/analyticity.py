"""Certify real analyticity of a SymPy expression from its expression tree.

The rule (SCIENCE.md section 3) is conservative: an expression is certified analytic on the
whole of :math:`\\mathbb{R}^n` only when every node of its tree is one of

- numbers, the constants ``pi`` and ``E``, variables (taken real);
- sums and products;
- a power ``base**k`` with ``k`` a non-negative integer;
- a power ``base**k`` with ``k`` a negative integer, when SymPy proves ``base != 0``
  for all real values of the variables (e.g. ``1 + x**2``);
- a power ``base**q`` with any other exponent (``sqrt``, ``x**(3/2)``, ``x**y``), when SymPy
  proves ``base > 0`` for all real values (e.g. ``(1 + x**2)**(-1/2)``, ``sqrt(cosh(x))``);
- ``exp, sin, cos, sinh, cosh, tanh, atan, asinh, erf`` of an analytic argument (entire on
  the reals); ``log`` of an argument proven positive.

Anything else is refused, with the construct named in the reason: ``Abs``, ``Max``, ``Min``,
``sign``, ``Piecewise``, ``Heaviside``, ``floor``, ``ceiling`` (not analytic, most not even
differentiable); ``tan``, ``asin``, ``acos``, ``acosh``, ``atanh`` (singular or undefined
somewhere on the reals, and positivity of their argument range is not attempted); a power or
``log`` whose base SymPy cannot prove positive (``sqrt(x)`` is not analytic at 0 and not real
for ``x < 0``; ``x**(3/2)`` likewise); and unknown constructs. "Not certified" therefore
means "not proven analytic", which for the constructs above coincides with "not analytic".
"""

import sympy

ENTIRE_FUNCTIONS = (
    sympy.exp,
    sympy.sin,
    sympy.cos,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.atan,
    sympy.asinh,
    sympy.erf,
)

NON_ANALYTIC_CONSTRUCTS = {
    sympy.Abs: "Abs (not differentiable where its argument vanishes)",
    sympy.Max: "Max (not differentiable where the arguments tie)",
    sympy.Min: "Min (not differentiable where the arguments tie)",
    sympy.sign: "sign (discontinuous)",
    sympy.Piecewise: "Piecewise (pieces glued together are not one power series)",
    sympy.Heaviside: "Heaviside (discontinuous)",
    sympy.floor: "floor (discontinuous)",
    sympy.ceiling: "ceiling (discontinuous)",
    sympy.frac: "frac (discontinuous)",
    sympy.Mod: "Mod (discontinuous)",
    sympy.DiracDelta: "DiracDelta (not a function)",
    sympy.tan: "tan (poles at pi/2 + k pi)",
    sympy.cot: "cot (poles at k pi)",
    sympy.sec: "sec (poles)",
    sympy.csc: "csc (poles)",
    sympy.asin: "asin (defined only on [-1, 1], not analytic at +-1)",
    sympy.acos: "acos (defined only on [-1, 1], not analytic at +-1)",
    sympy.acosh: "acosh (defined only on [1, oo), not analytic at 1)",
    sympy.atanh: "atanh (defined only on (-1, 1))",
}

ANALYTIC_SUMMARY = (
    "built only from polynomials, exp, sin, cos, sinh, cosh, tanh, atan, asinh, erf, "
    "and log or non-integer powers of arguments proven positive: real analytic on R^n"
)


def _as_real_variables(expression):
    """Replace every free symbol by a real symbol of the same name (for sign proofs)."""
    replacements = {
        symbol: sympy.Symbol(symbol.name, real=True)
        for symbol in expression.free_symbols
        if symbol.is_real is not True
    }
    return expression.xreplace(replacements) if replacements else expression


def _failures(node):
    """Return the list of reasons why ``node`` is not certified analytic (empty if it is)."""
    if node.is_Number or node.is_NumberSymbol or node.is_Symbol:
        if node.is_Number and not node.is_finite:
            return [f"the constant {node} is not finite"]
        if node.is_Number and not node.is_real:
            return [f"the constant {node} is not real"]
        return []
    if node.is_Add or node.is_Mul:
        return [reason for argument in node.args for reason in _failures(argument)]
    if node.is_Pow:
        base, exponent = node.args
        reasons = _failures(base) + _failures(exponent)
        if exponent.is_Integer and exponent >= 0:
            return reasons
        if exponent.is_Integer:
            if base.is_nonzero is not True:
                reasons.append(f"({base})**({exponent}): a negative power of a base not proven nonzero")
            return reasons
        if base.is_positive is not True:
            reasons.append(
                f"({base})**({exponent}): a non-integer power of a base not proven positive "
                "(not analytic where the base is 0, not real where it is negative)"
            )
        return reasons
    if node.func in ENTIRE_FUNCTIONS:
        return [reason for argument in node.args for reason in _failures(argument)]
    if node.func == sympy.log:
        reasons = [reason for argument in node.args for reason in _failures(argument)]
        if len(node.args) != 1 or node.args[0].is_positive is not True:
            reasons.append(f"log({node.args[0]}): the argument is not proven positive")
        return reasons
    for construct, why in NON_ANALYTIC_CONSTRUCTS.items():
        if node.func == construct:
            return [why]
    return [f"{node.func.__name__}: construct not certified"]


def certify_analytic(expression):
    """Decide from the expression tree whether ``expression`` is real analytic on R^n.

    Parameters
    ----------
    expression : sympy.Expr
        The objective. Free symbols are taken real (replaced by real symbols of the same
        name before sign proofs).

    Returns
    -------
    analytic : bool
        True only when every node passes the conservative rule of the module docstring.
    reason : str
        One line: the summary of the rule when certified, else every failing construct
        (duplicates removed, first occurrence first).

    Examples
    --------
    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> certify_analytic(sympy.log(sympy.cosh(x)) ** 3)[0]
    True
    >>> certify_analytic(sympy.Abs(x))
    (False, 'not certified analytic: Abs (not differentiable where its argument vanishes)')
    """
    if not isinstance(expression, sympy.Basic):
        raise TypeError("certify_analytic takes a SymPy expression; parse text with from_expression")
    expression = _as_real_variables(expression)
    reasons = list(dict.fromkeys(_failures(expression)))
    if not reasons:
        return True, ANALYTIC_SUMMARY
    return False, "not certified analytic: " + "; ".join(reasons)
