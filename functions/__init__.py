"""The function library: a registry of test objectives with their properties, and safe
parsing of user expressions. See :mod:`functions.registry` and :mod:`functions.expressions`."""

from functions.expressions import ExpressionError, certify_analytic, from_expression
from functions.labels import function_label
from functions.registry import Objective, catalog, family_info, get, names
