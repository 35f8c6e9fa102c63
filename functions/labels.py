"""How a person writes a registry function: its formula, or a short name with its parameters.

One labelling function serves every figure and every table of the report, so that a reader sees
``x^4`` and ``logistic (n = 400, d = 10)``, never ``monomial {"p": 2}`` or a raw dict:

>>> function_label("monomial", {"p": 2})
'x^4'
>>> function_label("logistic", '{"features": 10, "samples": 400}')
'logistic (n = 400, d = 10)'
>>> function_label("cosh", {"s": 4.0})
'cosh(4x)/16'

Parameters are given as a dict or as the JSON text of the tidy tables (``function_params``).
Families without a formula here are written as their name with the parameters that differ from
the registry's defaults (``mlp-tanh (hidden = 3, samples = 60)``); a name the registry does not
know (``user``) keeps every parameter.
"""

from __future__ import annotations

import json

from functions.registry import FAMILIES


def _number(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cosh(s):
    return "cosh(x)" if s == 1 else f"cosh({_number(float(s))}x)/{_number(float(s) ** 2)}"


#: Family -> how its parameters read (the parameters it names; the others are added when not default).
_WRITTEN = {
    "monomial": (("p",), lambda p: f"x^{2 * int(p['p'])}"),
    "power-norm": (("p", "n"), lambda p: f"||x||^{p['p']}/{p['p']} (n = {p['n']})"),
    "rosenbrock": ((), lambda p: "Rosenbrock"),
    "cosh": (("s",), lambda p: _cosh(p["s"])),
    "escape": (("a",), lambda p: f"escape (a = {_number(p['a'])})"),
    "cgt": (("tau",), lambda p: f"CGT (tau = {_number(p['tau'])})"),
    "flat-exp": ((), lambda p: "exp(-1/x^2)"),
    "mexican-hat": ((), lambda p: "Mexican hat"),
    "spiral": (("beta",), lambda p: f"spiral (beta = {_number(p['beta'])})"),
    "logistic": (("samples", "features"), lambda p: f"logistic (n = {p['samples']}, d = {p['features']})"),
}


def function_label(name, params=None):
    """The label of ``name`` with ``params`` in every figure and table (module docstring).

    Parameters
    ----------
    name : str
        Registry name (or any other name, e.g. ``"user"``).
    params : dict or str, optional
        The parameters, or their JSON text; missing ones take the registry's defaults.

    Returns
    -------
    str
    """
    if isinstance(params, str):
        params = json.loads(params) if params.strip() else {}
    params = dict(params or {})
    family = FAMILIES.get(name)
    if family is None:
        return _with(name, params)
    defaults = family.defaults
    full = {**defaults, **params}
    named, write = _WRITTEN.get(name, ((), None))
    extra = {key: value for key, value in full.items() if key not in named and value != defaults.get(key)}
    if write is None:
        return _with(name, extra)
    text = write(full)
    if not extra:
        return text
    more = ", ".join(f"{key} = {_number(value)}" for key, value in extra.items())
    return f"{text[:-1]}, {more})" if text.endswith(")") else f"{text} ({more})"


def _with(name, params):
    if not params:
        return name
    return f"{name} (" + ", ".join(f"{key} = {_number(value)}" for key, value in params.items()) + ")"
