"""A study's grid as pure data, expanded by one helper (benchopt style).

Every study declares ``GRID`` (what ``make experiments`` runs) and ``QUICK`` (what replaces parts of
it on the quick grid of the tests) as plain data, JSON-ready: numbers, text, lists and dicts, with
eps grids written as ranges,

    {"from": 1e-2, "to": 1e-8, "per_decade": 8}          (or "decades": 6 in place of "to"),

never as prose.  :func:`expand_grid` merges ``QUICK`` over ``GRID`` and turns every range into its
thresholds (:func:`armijo.thresholds.eps_grid`); ``cases()`` reads the result and nothing else, so
the grid recorded with every table (``meta.json``) is the grid that ran.

>>> grid = expand_grid({"p": [2, 3], "eps": {"from": 1e-2, "to": 1e-4, "per_decade": 1}, "starts": 6},
...                    {"starts": 2}, quick=True)
>>> grid["eps"], grid["starts"], grid["p"]
((0.01, 0.001, 0.0001), 2, [2, 3])
"""

from __future__ import annotations

from armijo.thresholds import eps_grid

#: The keys of an eps range: its first threshold, its last one (or its length in decades), thresholds per decade.
RANGE_KEYS = ({"from", "to", "per_decade"}, {"from", "decades", "per_decade"})


def is_eps_range(value):
    """Whether ``value`` is an eps range (a dict with exactly the keys of :data:`RANGE_KEYS`)."""
    return isinstance(value, dict) and set(value) in RANGE_KEYS


def eps_range(value):
    """The thresholds of an eps range, largest first.

    >>> eps_range({"from": 1e-1, "decades": 2, "per_decade": 1})
    (0.1, 0.01, 0.001)
    """
    if not is_eps_range(value):
        raise ValueError(f"an eps range is {{'from', 'to' or 'decades', 'per_decade'}}, got {value!r}")
    low = value["to"] if "to" in value else value["from"] * 10.0 ** -value["decades"]
    return eps_grid(value["from"], low, value["per_decade"])


def merged(grid, overrides):
    """``grid`` with ``overrides`` over it: dicts merged key by key (recursively), everything else replaced."""
    out = dict(grid)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not is_eps_range(value):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def expanded(value):
    """Every eps range inside ``value`` (dicts and lists, recursively) turned into its thresholds."""
    if is_eps_range(value):
        return eps_range(value)
    if isinstance(value, dict):
        return {key: expanded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expanded(item) for item in value]
    return value


def expand_grid(grid, quick_grid=None, quick=False):
    """The grid a study runs: ``grid``, with ``quick_grid`` merged over it when ``quick``, ranges expanded.

    Parameters
    ----------
    grid : dict
        The study's ``GRID``.
    quick_grid : dict, optional
        The study's ``QUICK``: the values that change on the quick grid.
    quick : bool
        Whether to apply ``quick_grid``.

    Returns
    -------
    dict
        A new dict (the module's ``GRID`` is never modified).
    """
    return expanded(merged(grid, quick_grid or {}) if quick else grid)
