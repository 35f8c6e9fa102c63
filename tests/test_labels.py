"""The one labelling function of figures and tables (functions/labels.py): what a person writes."""

import doctest

import pytest

import functions
from functions import labels
from functions.labels import function_label


@pytest.mark.parametrize("name, params, label", [
    ("monomial", {"p": 2}, "x^4"), ("monomial", '{"p": 3}', "x^6"), ("cosh", {"s": 1.0}, "cosh(x)"),
    ("cosh", '{"s": 16.0}', "cosh(16x)/256"), ("escape", {"a": 1.0}, "escape (a = 1)"),
    ("cgt", '{"tau": 0.1}', "CGT (tau = 0.1)"), ("rosenbrock", "{}", "Rosenbrock"), ("poly-two", {}, "poly-two"),
    ("logistic", '{"features": 10, "samples": 400}', "logistic (n = 400, d = 10)"),
    ("logistic", {"samples": 400, "features": 10, "seed": 3}, "logistic (n = 400, d = 10, seed = 3)"),
    ("power-norm", {"p": 4, "n": 10}, "||x||^4/4 (n = 10)"), ("mlp-tanh", {}, "mlp-tanh"),
    ("mlp-relu", '{"hidden": 3, "samples": 60}', "mlp-relu (hidden = 3, samples = 60)"),
    ("spiral", {"beta": 0.4}, "spiral (beta = 0.4)"), ("flat-exp", None, "exp(-1/x^2)"),
    ("user", {"p": 2}, "user (p = 2)"), ("user", "", "user"),
])
def test_labels_read_as_a_person_writes_them(name, params, label):
    assert function_label(name, params) == label


def test_every_family_has_a_label_without_braces_and_parameters_tell_labels_apart():
    for name in functions.names():
        text = function_label(name)
        assert text and "{" not in text and '"' not in text, (name, text)
    assert len({function_label("cosh", {"s": s}) for s in (0.5, 1.0, 2.0, 4.0)}) == 4
    assert len({function_label("monomial", {"p": p}) for p in range(1, 9)}) == 8


def test_the_module_examples_run():
    failed, attempted = doctest.testmod(labels)
    assert failed == 0 and attempted >= 3
