"""Tests of the safe expression parser: refusals, no execution, property tests, values."""

import os
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions import ExpressionError, from_expression
from functions.expressions import MAX_LENGTH

MARKER = "/tmp/armijo_parser_pwned_marker"

INJECTIONS = [
    f"__import__('os').system('touch {MARKER}')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 0",
    "x.real",
    "x[0]",
    "open('f')",
    f"exec(\"open('{MARKER}', 'w')\")",
    "eval('1')",
    "f(x=1)",
    "exp(x=1)",
    "exp(*x)",
    "__builtins__",
    "_x + 1",
    "'x'",
    "x if x else 0",
    "x < 1",
    "[x for x in y]",
    "{x: 1}",
    "(x, y)",
    "x and y",
    "globals()",
    "x := 1",
    "x ^ 2",
    "x % 2",
    "x // 2",
    "not x",
    "~x",
    "sin",
    "x**(10**10)",
    "10**10**10",
    "1e400 * x",
    "10**100 * x",
    "x / 0",
    "log(0) + x",
    "sqrt(-1) * x",
    "floor(exp(exp(exp(30)))) + x",
    "-" * 200 + "x",
    "exp(" * 70 + "x" + ")" * 70,
    "x" * (MAX_LENGTH + 1),
    "",
    "   ",
    "1 + 2",
    "pi * E",
    "x\x00",
    "import os",
    "x; y",
    "f'{x}'",
]


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_injections_and_invalid_input_are_refused_without_execution(text):
    if os.path.exists(MARKER):
        os.remove(MARKER)
    with pytest.raises(ExpressionError) as error:
        from_expression(text)
    message = str(error.value)
    assert message.startswith("refused:") and "\n" not in message
    assert not os.path.exists(MARKER)


def test_refusal_messages_name_the_construct():
    cases = {
        "x.real": "attribute",
        "x[0]": "subscript",
        "lambda: 0": "lambda",
        "open('f')": "unknown function 'open'",
        "f(x=1)": "unknown function 'f'",
        "exp(x=1)": "keyword",
        "__import__('os')": "__import__",
        "x ^ 2": "**",
        "1 + 2": "constant expression",
        "": "empty",
        "x < 1": "comparison",
        "x**100": "exponent",
    }
    for text, fragment in cases.items():
        with pytest.raises(ExpressionError, match=None) as error:
            from_expression(text)
        assert fragment in str(error.value), (text, str(error.value))


def _point_value(objective, point):
    return float(objective.f(np.array([point]))[0])


def test_valid_expressions_values_and_gradients():
    objective = from_expression("x**4 + 3*y**2")
    assert objective.variables == ("x", "y") and objective.analytic
    point = np.array([[1.5, -2.0]])
    assert objective.f(point)[0] == pytest.approx(1.5**4 + 12.0)
    np.testing.assert_allclose(objective.grad(point)[0], [4 * 1.5**3, -12.0])
    np.testing.assert_allclose(objective.hess(point)[0], [[12 * 1.5**2, 0.0], [0.0, 6.0]])

    single = from_expression("log(cosh(x))**3")
    assert single.variables == ("x",) and single.analytic
    x = 0.7
    value = np.log(np.cosh(x))
    assert single.f(np.array([[x]]))[0] == pytest.approx(value**3)
    assert single.grad(np.array([[x]]))[0, 0] == pytest.approx(3 * value**2 * np.tanh(x))

    several = from_expression("zeta*alpha + sigmoid(b) - 0.1*exp(-a**2) + pi")
    assert several.variables == ("a", "alpha", "b", "zeta")
    a, alpha, b, zeta = 0.3, -1.2, 2.0, 0.5
    expected = zeta * alpha + 1 / (1 + np.exp(-b)) - 0.1 * np.exp(-(a**2)) + np.pi
    assert _point_value(several, [a, alpha, b, zeta]) == pytest.approx(expected)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 4))
    step = 1e-6
    for j in range(4):
        shift = np.zeros(4)
        shift[j] = step
        np.testing.assert_allclose(several.grad(X)[:, j], (several.f(X + shift) - several.f(X - shift)) / (2 * step), rtol=1e-6, atol=1e-8)

    constant_gradient = from_expression("2*x + 3*y")
    np.testing.assert_array_equal(constant_gradient.grad(np.zeros((4, 2))), np.tile([2.0, 3.0], (4, 1)))
    np.testing.assert_array_equal(constant_gradient.hess(np.zeros((4, 2))), np.zeros((4, 2, 2)))


def test_redundant_parentheses_are_accepted():
    assert from_expression("(" * 150 + "x" + ")" * 150).variables == ("x",)


def test_step_functions_get_their_almost_everywhere_derivative():
    objective = from_expression("floor(x) + sign(y) + heaviside(x) + y**2")
    X = np.array([[0.5, 0.3], [-1.5, 2.0]])
    np.testing.assert_array_equal(objective.grad(X), [[0.0, 0.6], [0.0, 4.0]])
    np.testing.assert_array_equal(objective.hess(X)[:, 1, 1], [2.0, 2.0])


def test_user_expression_analyticity():
    assert not from_expression("abs(x) + y**2").analytic
    assert "Abs" in from_expression("abs(x) + y**2").analytic_reason
    assert not from_expression("max(x, y)").analytic
    assert not from_expression("sqrt(x)").analytic
    assert from_expression("sqrt(1 + x**2)").analytic
    assert not from_expression("relu(x)").analytic
    assert from_expression("x**0.5 + 1").analytic is False
    assert from_expression("e**x + E*x").analytic


def test_long_sums_are_not_refused_as_deep():
    text = "+".join(f"x{i % 10}**2" for i in range(120))
    assert len(text) <= MAX_LENGTH
    objective = from_expression(text)
    assert objective.n == 10
    assert objective.f(np.ones((1, 10)))[0] == pytest.approx(120.0)


GRAMMAR_ATOMS = st.sampled_from(["x", "y", "z1", "2", "0.5", "pi", "e", "3", "0", "1e3", "sin", "__x", "a.b"])
GRAMMAR_FUNCTIONS = st.sampled_from(["exp", "log", "sqrt", "cos", "tanh", "abs", "sigmoid", "max", "floor", "open", "tan"])
GRAMMAR_OPERATORS = st.sampled_from([" + ", " - ", "*", "/", "**", " ^ ", "%", ", "])


@st.composite
def grammar_expressions(draw, depth=0):
    """Random mostly-well-formed expressions (valid ones and near misses)."""
    choice = draw(st.integers(0, 3 if depth < 4 else 0))
    if choice == 0:
        return draw(GRAMMAR_ATOMS)
    if choice == 1:
        return f"{draw(GRAMMAR_FUNCTIONS)}({draw(grammar_expressions(depth=depth + 1))})"
    if choice == 2:
        return f"({draw(grammar_expressions(depth=depth + 1))}){draw(GRAMMAR_OPERATORS)}({draw(grammar_expressions(depth=depth + 1))})"
    return f"-{draw(grammar_expressions(depth=depth + 1))}"


def _parse_outcome(text):
    try:
        objective = from_expression(text)
    except ExpressionError as error:
        assert "\n" not in str(error)
        return None
    return objective


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_random_text_gives_objective_or_expression_error(text):
    _parse_outcome(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=string.printable, max_size=80))
def test_random_printable_text_gives_objective_or_expression_error(text):
    _parse_outcome(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grammar_expressions())
def test_random_grammar_expressions_parse_and_evaluate_or_are_refused(text):
    objective = _parse_outcome(text)
    if objective is not None:
        X = np.full((2, objective.n), 0.3)
        with np.errstate(all="ignore"):
            assert objective.f(X).shape == (2,)
            assert objective.grad(X).shape == (2, objective.n)


@pytest.mark.parametrize("text", ["floor(x + y)**2 + x**2", "sign(x - y)*x + y**2", "Heaviside(x*y)*x**2"])
def test_step_functions_of_composite_arguments_compile(text):
    # regression (found by hypothesis): the chain rule through a step function leaves Subs(...)
    objective = from_expression(text)
    X = np.array([[0.3, 0.7], [-1.2, 0.4]])
    assert np.isfinite(objective.f(X)).all()
    assert objective.grad(X).shape == (2, 2) and np.isfinite(objective.grad(X)).all()
    assert objective.hess(X).shape == (2, 2, 2)
    assert objective.analytic is False


def test_help_states_the_parser_limits():
    from armijo_suite.cli import EXPRESSION_LIMITS
    from functions import expressions

    assert EXPRESSION_LIMITS == {"length": expressions.MAX_LENGTH, "variables": expressions.MAX_VARIABLES,
                                 "depth": expressions.MAX_DEPTH, "exponent": expressions.MAX_EXPONENT}
