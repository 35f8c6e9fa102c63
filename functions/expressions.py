"""Safe parsing of user expressions such as ``"x**4 + 3*y**2"`` or ``"log(cosh(x))**3"``.

The text is never evaluated as Python and never handed to ``eval``, ``sympify`` or
``parse_expr``. It is parsed by :func:`ast.parse` (syntax only), the tree is walked against a
whitelist, and the SymPy expression is built node by node:

- numbers: finite ``int`` and ``float`` literals of magnitude at most ``MAX_LITERAL``
  (floats are read exactly from their decimal ``repr``, ``0.1 -> 1/10``);
- names: variables (ASCII identifiers without leading underscore, at most
  ``MAX_NAME_LENGTH`` characters, not a function name, not a reserved word such as
  ``nan`` or ``inf``), declared parameters (replaced by their values), and the constants
  ``pi``, ``E``, ``e`` (so ``e`` is never a variable);
- operators ``+ - * / **`` and unary ``+ -``; a power with a numeric exponent needs
  ``|exponent| <= MAX_EXPONENT``, and a power of two numbers at most ``MAX_NUMBER_BITS`` bits;
- calls ``name(arg, ...)`` of a function in ``FUNCTIONS`` with its number of positional
  arguments (no keywords, no ``*args``).

Everything else is refused with a one-line :class:`ExpressionError` naming the construct:
attribute access, subscripts, lambdas, comparisons, strings, comprehensions, ``^``, ``%``,
``//``, unknown names, dunder names, and so on. Inputs longer than ``MAX_LENGTH`` characters,
nested deeper than ``MAX_DEPTH`` or with more than ``MAX_VARIABLES`` variables are refused,
and so is any character outside ASCII (Python would read the full-width ``ｘ`` as ``x``).
Variables are the free symbols in natural order (``x2`` before ``x10``) or in the order the
caller gives; a constant expression is refused (nothing to minimise). Analyticity is
certified from the tree by :func:`certify_analytic`.
"""

import ast
import re
import unicodedata
import warnings

import numpy as np
import sympy

from functions.analyticity import certify_analytic  # re-exported: part of this module's interface
from functions.objective import Differentiability, uniform_box_sampler
from functions.symbolic import symbolic_objective

MAX_LENGTH = 1000
MAX_DEPTH = 60
MAX_LITERAL = 1e15
MAX_EXPONENT = 64
MAX_NUMBER_BITS = 4096
MAX_NAME_LENGTH = 32
MAX_VARIABLES = 64
RESERVED_NAMES = frozenset({"nan", "NaN", "inf", "Inf", "infinity", "Infinity", "oo", "zoo", "I", "j", "J"})
"""Names a reader would take for a number (or SymPy's infinities and imaginary unit): refused."""


class ExpressionError(ValueError):
    """A user expression was refused; the message (one line) names what was refused."""


def _sigmoid(z):
    return 1 / (1 + sympy.exp(-z))


def _softplus(z):
    return sympy.log(1 + sympy.exp(z))


def _relu(z):
    return sympy.Max(0, z)


FUNCTIONS = {
    "exp": (sympy.exp, 1),
    "log": (sympy.log, 1),
    "ln": (sympy.log, 1),
    "sqrt": (sympy.sqrt, 1),
    "sin": (sympy.sin, 1),
    "cos": (sympy.cos, 1),
    "tan": (sympy.tan, 1),
    "sinh": (sympy.sinh, 1),
    "cosh": (sympy.cosh, 1),
    "tanh": (sympy.tanh, 1),
    "asin": (sympy.asin, 1),
    "acos": (sympy.acos, 1),
    "atan": (sympy.atan, 1),
    "asinh": (sympy.asinh, 1),
    "acosh": (sympy.acosh, 1),
    "atanh": (sympy.atanh, 1),
    "erf": (sympy.erf, 1),
    "sigmoid": (_sigmoid, 1),
    "softplus": (_softplus, 1),
    "abs": (sympy.Abs, 1),
    "Abs": (sympy.Abs, 1),
    "sign": (sympy.sign, 1),
    "heaviside": (sympy.Heaviside, 1),
    "Heaviside": (sympy.Heaviside, 1),
    "floor": (sympy.floor, 1),
    "ceiling": (sympy.ceiling, 1),
    "relu": (_relu, 1),
    "max": (sympy.Max, 2),
    "Max": (sympy.Max, 2),
    "min": (sympy.Min, 2),
    "Min": (sympy.Min, 2),
}
CONSTANTS = {"pi": sympy.pi, "E": sympy.E, "e": sympy.E}

BINARY_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
REFUSED_OPERATORS = {
    ast.BitXor: "'^' (bitwise xor in Python syntax; write ** for powers)",
    ast.Mod: "'%' (modulo)",
    ast.FloorDiv: "'//' (floor division)",
    ast.MatMult: "'@' (matrix product)",
    ast.BitAnd: "'&'",
    ast.BitOr: "'|'",
    ast.LShift: "'<<'",
    ast.RShift: "'>>'",
    ast.Invert: "'~'",
    ast.Not: "'not'",
}
CONSTRUCT_NAMES = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.Lambda: "lambda",
    ast.Compare: "comparisons",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "conditional expressions",
    ast.Dict: "dict displays",
    ast.Set: "set displays",
    ast.List: "list displays",
    ast.Tuple: "tuples",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Starred: "starred arguments",
    ast.NamedExpr: "assignment expressions (':=')",
    ast.JoinedStr: "f-strings",
    ast.FormattedValue: "f-strings",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


def _one_line(text, limit=60):
    """A short single-line rendering of ``text`` for error messages."""
    text = repr(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _refuse(what):
    raise ExpressionError(f"refused: {what}")


class _TreeToSympy:
    """Walk a whitelisted Python syntax tree and build the SymPy expression."""

    def __init__(self, parameters=None):
        self.variables = {}
        self.parameters = dict(parameters or {})
        self.parameters_used = set()

    def build(self, node, depth=0):
        if depth > MAX_DEPTH:
            _refuse(f"expression nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY_OPERATORS:
            return self._chain(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self._power(self.build(node.left, depth + 1), self.build(node.right, depth + 1))
        if isinstance(node, (ast.BinOp, ast.UnaryOp)) and type(node.op) in REFUSED_OPERATORS:
            _refuse(f"operator {REFUSED_OPERATORS[type(node.op)]}")
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Constant):
            return self._number(node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        _refuse(CONSTRUCT_NAMES.get(type(node), f"syntax {type(node).__name__}"))

    def _chain(self, node, depth):
        """Left-deep chains of + - (or * /) iteratively, so long sums are not 'deep'."""
        group = (ast.Add, ast.Sub) if isinstance(node.op, (ast.Add, ast.Sub)) else (ast.Mult, ast.Div)
        operations = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, group):
            operations.append((node.op, node.right))
            node = node.left
        result = self.build(node, depth + 1)
        for operator, right in reversed(operations):
            result = BINARY_OPERATORS[type(operator)](result, self.build(right, depth + 1))
            self._check_finite(result)
        return result

    @staticmethod
    def _check_finite(value):
        if value.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
            _refuse("a non-finite value (division by zero?)")

    def _power(self, base, exponent):
        if exponent.is_number:
            if not exponent.is_real or abs(float(exponent)) > MAX_EXPONENT:
                _refuse(f"exponent {_one_line(str(exponent))} (numeric exponents must be real with |exponent| <= {MAX_EXPONENT})")
            if base.is_number and base != 0:
                bits = abs(float(exponent)) * abs(float(sympy.log(abs(base), 2).evalf(20)))
                if bits > MAX_NUMBER_BITS:
                    _refuse(f"a numeric power with more than {MAX_NUMBER_BITS} bits")
        result = base**exponent
        self._check_finite(result)
        if result.is_number and result.is_real is not True:
            _refuse(f"a non-real number {_one_line(str(result))}")
        return result

    @staticmethod
    def _number(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "strings" if isinstance(value, (str, bytes)) else f"the literal {_one_line(value)}"
            _refuse(kind)
        if abs(value) > MAX_LITERAL or not np.isfinite(value):
            _refuse(f"the literal {_one_line(value)} (magnitude above {MAX_LITERAL:g} or not finite)")
        if isinstance(value, int):
            return sympy.Integer(value)
        return sympy.Rational(repr(value))

    def _name(self, name):
        if name.startswith("_"):
            _refuse(f"the name {_one_line(name)} (names may not start with '_')")
        if name in self.parameters:
            self.parameters_used.add(name)
            return self.parameters[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in RESERVED_NAMES:
            _refuse(f"the name {_one_line(name)} (reads as a number; choose another variable name)")
        if name in FUNCTIONS:
            _refuse(f"the function name {_one_line(name)} used as a variable")
        if len(name) > MAX_NAME_LENGTH or not name.isascii() or not name.isidentifier():
            _refuse(f"the variable name {_one_line(name)} (ASCII identifiers of at most {MAX_NAME_LENGTH} characters)")
        if name not in self.variables:
            if len(self.variables) >= MAX_VARIABLES:
                _refuse(f"more than {MAX_VARIABLES} variables")
            self.variables[name] = sympy.Symbol(name, real=True)
        return self.variables[name]

    def _call(self, node, depth):
        if not isinstance(node.func, ast.Name):
            _refuse("calling anything but a plain function name")
        name = node.func.id
        if name not in FUNCTIONS:
            _refuse(f"unknown function {_one_line(name)} (allowed: {', '.join(sorted(FUNCTIONS))})")
        if node.keywords:
            _refuse(f"keyword arguments in the call of {name}")
        if any(isinstance(argument, ast.Starred) for argument in node.args):
            _refuse(f"starred arguments in the call of {name}")
        function, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            _refuse(f"{name} takes {arity} argument{'s' if arity > 1 else ''}, got {len(node.args)}")
        arguments = [self.build(argument, depth + 1) for argument in node.args]
        for argument in arguments:
            if argument.is_number and abs(complex(sympy.N(argument, 15))) > MAX_LITERAL:
                _refuse(f"{name} of a constant of magnitude above {MAX_LITERAL:g}")
        result = function(*arguments)
        self._check_finite(result)
        if result.is_number and result.is_real is not True:
            _refuse(f"a non-real value {_one_line(str(result))}")
        return result


def _refuse_hidden_names(tree):
    """Name the most telling refusal first: underscore names, then attribute access."""
    nodes = list(ast.walk(tree))
    for node in nodes:
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            _refuse(f"the name {_one_line(node.id)} (names may not start with '_')")
    for node in nodes:
        if isinstance(node, ast.Attribute):
            _refuse(f"attribute access ('.{_one_line(node.attr)[1:-1]}')")


def natural_key(name):
    """Sort key of a variable name in natural order: ``x2`` before ``x10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _parameter_values(parameters):
    """Exact SymPy numbers of declared parameters; names must be valid and not constants."""
    values = {}
    for name, value in (parameters or {}).items():
        if not isinstance(name, str) or not name.isascii() or not name.isidentifier() or name.startswith("_"):
            _refuse(f"the parameter name {_one_line(name)} (ASCII identifiers not starting with '_')")
        if name in CONSTANTS or name in FUNCTIONS or name in RESERVED_NAMES:
            _refuse(f"the parameter name {_one_line(name)} (a constant, function or reserved name)")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            _refuse(f"the value {_one_line(value)} of parameter {name} (a number is needed)")
        if not np.isfinite(float(value)) or abs(float(value)) > MAX_LITERAL:
            _refuse(f"the value {_one_line(value)} of parameter {name} (finite, magnitude at most {MAX_LITERAL:g})")
        values[name] = sympy.Integer(int(value)) if float(value) == int(float(value)) else sympy.Rational(repr(float(value)))
    return values


def parse_expression(text, *, parameters=None, variables=None, allow_constant=False):
    """Parse ``text`` into ``(expression, symbols)`` without evaluating it as Python.

    Parameters
    ----------
    text : str
        The expression.
    parameters : dict, optional
        Names of the text that are parameters, with their numeric values (substituted
        exactly; every declared parameter must appear in the text).
    variables : sequence of str, optional
        The variables in the order of the coordinates of ``x``: every free name of the
        expression must be listed; a listed name that does not appear is a variable the
        function does not depend on.  Default: the free names in natural order.
    allow_constant : bool
        Accept an expression without variables (a formula such as a conjectured exponent).

    Returns
    -------
    expression : sympy.Expr
    symbols : tuple of sympy.Symbol
        The variables, in order.

    Raises
    ------
    ExpressionError
        With a one-line message naming what was refused.
    """
    if not isinstance(text, str):
        _refuse(f"input of type {type(text).__name__} (an expression must be text)")
    if len(text) > MAX_LENGTH:
        _refuse(f"an expression longer than {MAX_LENGTH} characters")
    if not text.strip():
        _refuse("an empty expression (nothing to minimise)")
    foreign = next((character for character in text if not character.isascii()), None)
    if foreign is not None:
        name = unicodedata.name(foreign, "unnamed")
        _refuse(f"the character {foreign!r} ({name}): expressions are ASCII")
    values = _parameter_values(parameters)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        detail = getattr(error, "msg", None) or type(error).__name__
        raise ExpressionError(f"refused: not a valid expression ({_one_line(str(detail))})") from None
    _refuse_hidden_names(tree)
    builder = _TreeToSympy(values)
    try:
        expression = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError(f"refused: expression nested deeper than {MAX_DEPTH} levels") from None
    unused = sorted(set(values) - builder.parameters_used)
    if unused:
        _refuse(f"the parameter {', '.join(unused)} (not in the expression)")
    if not isinstance(expression, sympy.Expr) or expression.is_real is False:
        _refuse("a non-real expression")
    free = {symbol.name: symbol for symbol in expression.free_symbols}
    if variables is None:
        symbols = tuple(free[name] for name in sorted(free, key=natural_key))
    else:
        order = list(variables)
        for name in order:
            if not isinstance(name, str) or not name.isascii() or not name.isidentifier() or name.startswith("_"):
                _refuse(f"the variable name {_one_line(name)} in the variable list")
            if name in values:
                _refuse(f"the name {name} as both a parameter and a variable")
        if len(set(order)) != len(order):
            _refuse("a variable listed twice")
        missing = [name for name in sorted(free, key=natural_key) if name not in order]
        if missing:
            _refuse(f"the variable {', '.join(missing)} (in the expression but not in the variable list)")
        if len(order) > MAX_VARIABLES:
            _refuse(f"more than {MAX_VARIABLES} variables")
        symbols = tuple(free.get(name, sympy.Symbol(name, real=True)) for name in order)
    if not symbols and not allow_constant:
        _refuse(f"a constant expression {_one_line(str(expression))} (no variables: nothing to minimise)")
    return expression, symbols


def dropped_names(text, expression, parameters=None):
    """Names written in ``text`` as variables that the expression does not depend on (``0*x``)."""
    tree = ast.parse(text.strip(), mode="eval")
    written = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    written -= set(CONSTANTS) | set(FUNCTIONS) | set(parameters or {})
    return sorted(written - {symbol.name for symbol in expression.free_symbols}, key=natural_key)


def from_expression(text, name="user", *, parameters=None, variables=None, rewrite=True):
    """Build an :class:`~functions.objective.Objective` from user text, safely.

    Parameters
    ----------
    text : str
        E.g. ``"x**4 + 3*y**2"``; see the module docstring for the accepted syntax.
    name : str
        The record's name.
    parameters : dict, optional
        Parameter names of the text with their values (e.g. ``{"p": 3}`` for ``"x**(2*p)"``).
    variables : sequence of str, optional
        Variable order (default: natural order of the free names).
    rewrite : bool
        Compile the numerically safer form (``log1p``, ``expm1``..., :mod:`functions.rewrites`);
        False compiles the expression as written (to measure what the rewrites change).

    Returns
    -------
    Objective
        Symbolic entry, variables in the requested (or natural) order, analyticity certified
        from the tree, other class tags unknown (None), default start ``(0.5, ..., 0.5)``
        (arbitrary: user expressions have no known start), starts uniform in
        ``[-2, 2]^n``.  ``params`` records the expression and the parameter values.

    Raises
    ------
    ExpressionError
        A one-line message naming what was refused.

    Examples
    --------
    >>> objective = from_expression("x**4 + 3*y**2")
    >>> objective.variables
    ('x', 'y')
    >>> float(objective.f([[1.0, 1.0]])[0])
    4.0
    >>> from_expression("x10 + x2**2 + x1**2").variables
    ('x1', 'x2', 'x10')
    """
    expression, symbols = parse_expression(text, parameters=parameters, variables=variables)
    analytic, _ = certify_analytic(expression)
    n = len(symbols)
    values = {key: value for key, value in (parameters or {}).items()}
    return symbolic_objective(
        name,
        {"expression": text, **values},
        expression,
        symbols,
        analytic=analytic,
        smoothness="C-infinity (analytic)" if analytic else "unknown",
        differentiability=Differentiability.ANALYTIC if analytic else Differentiability.UNKNOWN,
        default_start=np.full(n, 0.5),
        sample_starts=uniform_box_sampler(np.full(n, -2.0), np.full(n, 2.0)),
        reference="user expression",
        rewrite=rewrite,
        description=f"user expression {text.strip()}"
        + (f" with {', '.join(f'{k} = {v}' for k, v in values.items())}" if values else ""),
    )
