"""Tightness: how close the measured counts come to each bound and exponent ceiling, and where.

Claim examined (SCIENCE.md section 8): "no bound is violated" says little unless the counts come
close to the bounds somewhere.  For each bound (T1, T2, T3 with limit-point constants) and each
exponent ceiling (1 where T3 applies: analytic with bounded iterates; 2 where only T1/T2 do), a
search over registry families and their parameters, from several starts, finds the cases that
bring measured/bound (over informative checks only, :mod:`theory.evidence`; for T3 the part
``(N - K)/(bound - K)`` after the entry time ``K``) or fitted exponent/ceiling closest to 1, and
shows how the best ratio moves with the family's parameter:

* ``cosh(s x)/s^2`` ((L0, L1) = (1, s), nondegenerate minimum) against ``L1 Delta`` for T2, from
  starts at a prescribed gap ``Delta``;
* ``(1+x^2)^(-a/2)`` (analytic, L-smooth, iterates escape: ceiling 2) against ``a``: exponent
  ``(a+2)/(a+1)`` tends to 2 as ``a -> 0``;
* ``x^(2p)`` (analytic, bounded: ceiling 1) against ``p``: exponent ``(2p-2)/(2p-1)`` tends to 1;
* the Cartis-Gould-Toint function against ``tau``: ``armijo`` with ``eta0 = 1, lam = 0.4``
  follows its nodes, exponent ``2/(1+2 tau)`` tends to 2 as ``tau -> 0``;
* ``cosh(x)`` near its minimum against the Armijo parameter ``lam``: the bounds T1 and T2 charge
  each step only ``lam`` times its actual decrease.

Table: the standard piece rows (:mod:`experiments.machinery.pieces`) with the labels ``search``
and ``axis_value`` (the parameter of the search at that case; for ``cosh``, ``L1 Delta`` of the
case's starts) and ``known_exponent``.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

from experiments import bounds
from experiments.machinery.cases import Case, eps_grid
from experiments.machinery.study import main, save_figure, verdict_rows

NAME = "tightness"
GRID = {
    "searches": {
        "cosh": {"function": "cosh", "parameter": "s", "values": [1.0, 4.0, 16.0], "delta": [1e-2, 1.0, 1e2, 1e4],
                 "eps": (1e-1, 1e-6, 4), "max_iter": 20_000},
        "escape": {"function": "escape", "parameter": "a", "values": [0.5, 1.0, 4.0, 16.0], "x0": [0.5, 2.0],
                   "eps": (3e-2, 1e-4, 4), "max_iter": 100_000_000},
        "monomial": {"function": "monomial", "parameter": "p", "values": [2, 4, 8, 16, 32], "x0": [0.9, -0.6],
                     "eps": (1e-2, 1e-8, 4), "max_iter": 100_000_000},
        "cgt": {"function": "cgt", "parameter": "tau", "values": [0.25, 0.1, 0.05, 0.02], "x0": [0.0],
                "algorithm_params": {"eta0": 1.0, "lam": 0.4}, "eps": (1e-1, 3e-3, 6), "max_iter": 300_000},
        "lam": {"function": "cosh", "parameter": "lam", "values": [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95], "s": 1.0,
                "delta": [1e-2], "eps": (1e-1, 1e-6, 4), "max_iter": 20_000},
    },
    "algorithm": "armijo, reference defaults eta0 = 0.1, lam = 0.5, f1 = 2 unless the search sets them",
    "eps": "(largest, smallest, per decade)",
    "targets": {"bounds": ["T1", "T2", "T3-point"], "ceilings": {"ceiling 1": 1.0, "ceiling 2": 2.0}},
}
QUICK_GRID = {
    "cosh": {"values": [1.0], "delta": [1e-2, 1.0], "eps": (1e-1, 1e-3, 4)},
    "escape": {"values": [1.0], "x0": [0.5], "eps": (3e-2, 3e-3, 4), "max_iter": 20_000},
    "monomial": {"values": [2], "x0": [0.9], "eps": (1e-2, 1e-4, 4), "max_iter": 20_000},
    "cgt": {"values": [0.1], "eps": (1e-1, 1e-2, 4), "max_iter": 20_000},
    "lam": {"values": [0.5, 0.9], "delta": [1e-2], "eps": (1e-1, 1e-3, 4)},
}
#: Bound targets (checks of the bounds study, experiments/bounds.py).
BOUNDS = tuple(GRID["targets"]["bounds"])
#: Exponent targets: the ceiling (largest exponent the applicable theorems allow).
CEILINGS = GRID["targets"]["ceilings"]
#: Human names of the searches in the figure, with the parameter on the x axis.
NAMES = {"cosh": "cosh(s x)/s^2 (x: L1*Delta)", "escape": "(1+x^2)^(-a/2) (x: a)", "monomial": "x^(2p) (x: p)",
         "cgt": "Cartis-Gould-Toint (x: tau)", "lam": "cosh(x) (x: lam)"}
STYLES = {"cosh": ("o", "C0"), "escape": ("s", "C1"), "monomial": ("^", "C2"), "cgt": ("D", "C3"), "lam": ("v", "C4")}


def cosh_start(s, delta):
    """The positive start of ``cosh(s x)/s^2`` with ``f(x0) - f_* = delta``: ``arccosh(1 + s^2 delta)/s``."""
    return float(np.arccosh(1.0 + s**2 * delta) / s)


def known_exponent(search, value):
    """The exponent of ``armijo`` the literature gives for the case (nan where none is known)."""
    if search == "escape":
        return (value + 2.0) / (value + 1.0)
    if search == "monomial":
        return (2.0 * value - 2.0) / (2.0 * value - 1.0)
    if search == "cgt":
        return 2.0 / (1.0 + 2.0 * value)
    return float("nan")


def cases(quick=False):
    """One case per (search, parameter value) of :data:`GRID` (``cosh``: per (s, Delta), from ``+-x0``)."""
    out = []
    for search, grid in GRID["searches"].items():
        grid = {**grid, **QUICK_GRID[search]} if quick else grid
        common = dict(eps=eps_grid(*grid["eps"]), max_iter=grid["max_iter"])
        for value in grid["values"]:
            labels = {"search": search, "axis_value": float(value), "known_exponent": known_exponent(search, value)}
            if search == "cosh":
                for delta in grid["delta"]:
                    x0 = cosh_start(value, delta)
                    out.append(Case(NAME, "cosh", {"s": value}, "armijo", x0=((x0,), (-x0,)), **common,
                                    labels={**labels, "axis_value": value * delta}))
            elif search == "lam":
                x0 = tuple((sign * cosh_start(grid["s"], delta),) for delta in grid["delta"] for sign in (1, -1))
                out.append(Case(NAME, "cosh", {"s": grid["s"]}, "armijo", {"lam": value}, x0=x0, **common,
                                labels=labels))
            else:
                out.append(Case(NAME, grid["function"], {grid["parameter"]: value}, "armijo",
                                dict(grid.get("algorithm_params", {})), x0=tuple((x,) for x in grid["x0"]),
                                **common, labels=labels))
    return out


# -- summary, figure, caption ---------------------------------------------------------------------


def _bound_rows(table, target):
    """The checks of one bound target, classified as the bounds study does (:func:`experiments.bounds.check_table`:
    ``evidence``, and ``ratio`` = ``(N - K)/(bound - K)`` for T3), with the search's labels."""
    checked = bounds.check_table(NAME, table, carry=("search", "axis_value", "max_iter"))
    return checked[(checked["theorem"] == target) & (checked["check"] == "reached")]


def _describe(row):
    """Where a ratio was measured, as a JSON-ready dict."""
    return {key: (float(value) if isinstance(value, (float, np.floating, int, np.integer)) else value)
            for key, value in row.items()}


def summarize(table):
    """The best ratio per target and how it moves with each search's parameter (no matplotlib).

    Parameters
    ----------
    table : pandas.DataFrame
        The study's table (standard piece rows with ``search``, ``axis_value``, ``known_exponent``).

    Returns
    -------
    dict
        ``bounds``: per bound target (T1, T2, T3-point) the number of ``checked`` and ``informative``
        counts, the ``best`` informative check (search, function, parameters, start, eps, N as
        ``measured``, bound, ratio) and per search its ``curve``: the parameter values ``x`` and the largest informative
        ratio at each; ``exponents``: per ceiling (1, 2) the ``best`` case (largest fitted
        exponent / ceiling, with its interval and the known exponent) and per search its ``curve``
        (``x``, ``exponent``, ``low``, ``high``, ``known``) over the cases whose model is a power law.
    """
    bounds = {}
    for target in BOUNDS:
        rows = _bound_rows(table, target)
        informative = rows[rows["evidence"] == "informative"]
        curves = {}
        for search, group in informative.groupby("search", sort=False):
            best = group.groupby("axis_value")["ratio"].max().sort_index()
            curves[search] = {"x": best.index.tolist(), "ratio": best.tolist()}
        best = None
        if len(informative):
            top = informative.loc[informative["ratio"].idxmax()]
            best = _describe(top[["search", "function", "function_params", "algorithm_params", "x0", "eps",
                                  "axis_value", "measured", "bound", "ratio"]])
        bounds[target] = {"checked": int(len(rows)), "informative": int(len(informative)), "best": best,
                          "curves": curves}
    per_case = table.drop_duplicates(["search", "function", "function_params", "algorithm_params", "axis_value"])
    exponents = {}
    for target, ceiling in CEILINGS.items():
        rows = per_case[np.isclose(per_case["case_predicted_exponent"], ceiling)
                        & (per_case["case_model"] == "power")].copy()
        rows["ratio"] = rows["case_exponent"] / ceiling
        curves = {}
        for search, group in rows.groupby("search", sort=False):
            group = group.sort_values("axis_value")
            curves[search] = {"x": group["axis_value"].tolist(), "exponent": group["case_exponent"].tolist(),
                              "low": group["case_exponent_ci_low"].tolist(),
                              "high": group["case_exponent_ci_high"].tolist(),
                              "known": group["known_exponent"].tolist()}
        best = None
        if len(rows):
            top = rows.loc[rows["ratio"].idxmax()]
            best = _describe(top[["search", "function", "function_params", "algorithm_params", "axis_value",
                                  "case_exponent", "case_exponent_ci_low", "case_exponent_ci_high", "known_exponent",
                                  "ratio"]])
        exponents[target] = {"ceiling": ceiling, "best": best, "curves": curves}
    return {"bounds": bounds, "exponents": exponents}


def draw(numbers, figures):
    """Six panels: the best informative ratio of T1, T2, T3-point against each search's parameter, the
    fitted exponents against the ceilings 1 and 2 with the known curves, and T1, T2 against ``lam``."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    figure, axes = plt.subplots(2, 3, figsize=(15, 8.4))
    for axis, target in zip(axes[0], BOUNDS):
        entry = numbers["bounds"][target]
        for search, curve in entry["curves"].items():
            marker, colour = STYLES[search]
            axis.loglog(curve["x"], curve["ratio"], marker=marker, color=colour, ms=5, lw=1)
        axis.axhline(1.0, color="k", ls="--", lw=1)
        best = entry["best"]
        ratio = "(N - K)/(bound - K)" if target.startswith("T3") else "measured/bound"
        axis.set_title(f"{target}: largest informative {ratio}\n"
                       + (f"{best['ratio']:.3g} ({NAMES[best['search']].split(' (')[0]}, {_parameter(best)}; "
                          f"{entry['informative']} of {entry['checked']} checks informative)" if best
                          else "no informative check"), fontsize=9)
        axis.set_xlabel("the search's parameter (see legend)")
        axis.set_ylabel("largest informative ratio over starts, eps")
        axis.grid(True, which="both", alpha=0.25)
    for axis, target in zip(axes[1][:2], CEILINGS):
        entry = numbers["exponents"][target]
        for search, curve in entry["curves"].items():
            marker, colour = STYLES[search]
            x, exponent = np.array(curve["x"]), np.array(curve["exponent"], dtype=float)
            low = np.clip(exponent - np.array(curve["low"], dtype=float), 0, None)
            high = np.clip(np.array(curve["high"], dtype=float) - exponent, 0, None)
            axis.errorbar(x, exponent, yerr=[np.nan_to_num(low), np.nan_to_num(high)], fmt=marker, color=colour,
                          ms=5, capsize=3)
            known = np.array(curve["known"], dtype=float)
            if np.isfinite(known).any():
                axis.plot(x, known, "-", color=colour, lw=1, alpha=0.6)
        axis.axhline(entry["ceiling"], color="k", ls="--", lw=1)
        axis.set_xscale("log")
        values = sorted({x for curve in entry["curves"].values() for x in curve["x"]})
        if values and values[-1] < 100 * values[0]:  # less than two decades: label the values themselves
            axis.set_xticks(values)
            axis.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        best = entry["best"]
        axis.set_title(f"{target}: fitted exponent (95% interval), known curve (line)\n"
                       + (f"closest: {best['case_exponent']:.3f} = {best['ratio']:.3f} x ceiling "
                          f"({NAMES[best['search']].split(' (')[0]})" if best else "no power law fitted"), fontsize=9)
        axis.set_xlabel("the search's parameter (see legend)")
        axis.set_ylabel("exponent p of N(eps) ~ eps^-p")
        axis.grid(True, which="both", alpha=0.25)
    scan = axes[1][2]
    for target, style in (("T1", "-"), ("T2", "--"), ("T3-point", ":")):
        curve = numbers["bounds"][target]["curves"].get("lam")
        if curve:
            scan.plot(curve["x"], curve["ratio"], style, marker=STYLES["lam"][0], color=STYLES["lam"][1], ms=5,
                      label=target)
    for axis in axes.ravel():  # the searches' parameters: a few values, labelled at the decades only
        axis.xaxis.set_minor_formatter(NullFormatter())
    scan.set_xlabel("Armijo parameter lam (cosh(x), starts near the minimum)")
    scan.set_ylabel("largest informative ratio")
    scan.set_title("T1 (solid), T2 (dashed), T3-point (dotted) against lam:\nthe bounds charge lam of each "
                   "actual decrease", fontsize=9)
    scan.set_ylim(bottom=0)
    scan.grid(alpha=0.25)
    handles = [plt.Line2D([], [], marker=STYLES[search][0], color=STYLES[search][1], lw=1, ms=5)
               for search in NAMES]
    handles.append(plt.Line2D([], [], color="k", ls="--", lw=1))
    legend_left = 0.82
    figure.tight_layout(rect=(0.0, 0.0, legend_left, 0.96))
    figure.legend(handles, [*NAMES.values(), "bound (ratio 1) or ceiling"], loc="center left",
                  bbox_to_anchor=(legend_left, 0.5), fontsize=8, frameon=False, title="search", title_fontsize=8)
    figure.suptitle("How close the counts come to each bound (informative checks only) and to each exponent ceiling",
                    fontsize=11)
    save_figure(figure, figures, NAME)


def _parameter(best):
    """``lam = 0.9``, ``p = 32``, ``L1*Delta = 0.01``: the search's parameter at a best ratio."""
    name = {"cosh": "L1*Delta"}.get(best["search"], GRID["searches"][best["search"]]["parameter"])
    return f"{name} = {best['axis_value']:g}"


#: Reference defaults of armijo: the caption names only the parameters a search changes.
DEFAULTS = {"eta0": 0.1, "lam": 0.5, "f1": 2.0}


def _where(best):
    """``cosh {"s": 1.0}, lam = 0.9``: the case of a best ratio, with its non-default Armijo parameters."""
    changed = {key: value for key, value in json.loads(best["algorithm_params"]).items() if DEFAULTS.get(key) != value}
    return f"{best['function']} {best['function_params']}" + "".join(f", {k} = {v:g}" for k, v in changed.items())


def caption(numbers):
    """The caption: the best ratio per target, where it was found, and how it moves with the parameter."""
    parts = []
    for target, entry in numbers["bounds"].items():
        best = entry["best"]
        if best is None:
            parts.append(f"{target}: no informative check")
            continue
        movement = "; ".join(f"{NAMES[search].split(' (')[0]} {min(c['ratio']):.2g}..{max(c['ratio']):.2g}"
                             for search, c in entry["curves"].items())
        x0 = ", ".join(f"{value:.4g}" for value in json.loads(best["x0"]))
        parts.append(f"{target}: largest informative ratio {best['ratio']:.3g} on {_where(best)} from x0 = "
                     f"({x0}) at eps = {best['eps']:.3g} (N = {best['measured']:.0f}, bound "
                     f"{best['bound']:.4g}); {entry['informative']} of {entry['checked']} checks informative; per "
                     f"search, smallest..largest best ratio: {movement}")
    for target, entry in numbers["exponents"].items():
        best = entry["best"]
        if best is None:
            parts.append(f"{target}: no power law fitted")
            continue
        parts.append(f"{target}: closest {best['case_exponent']:.3f} [{best['case_exponent_ci_low']:.3f}, "
                     f"{best['case_exponent_ci_high']:.3f}] = {best['ratio']:.3f} x ceiling on {_where(best)} "
                     f"(known {best['known_exponent']:.3f})")
    scan = numbers["bounds"]["T1"]["curves"].get("lam")
    if scan:
        peak = int(np.argmax(scan["ratio"]))
        parts.append(f"Against lam (cosh(x) from Delta = 0.01), T1's best ratio goes from {scan['ratio'][0]:.2g} at "
                     f"lam = {scan['x'][0]:g} to {scan['ratio'][peak]:.2g} at lam = {scan['x'][peak]:g}"
                     + (f" and back to {scan['ratio'][-1]:.2g} at lam = {scan['x'][-1]:g}" if peak < len(scan["x"]) - 1
                        else "")
                     + ": the bound charges each step lam times its actual decrease, with the step floor "
                       "min(eta0, 2 (1 - lam)/(f1 L)), which falls below the accepted step eta0 for lam near 1")
    return ("Searches over registry families and their parameters (armijo, reference defaults unless stated; "
            "GRID in experiments/tightness.py) for the counts closest to each bound and exponent ceiling. A bound "
            "ratio counts only informative checks (a bound below the iteration budget, theory/evidence.py); for T3 "
            "with limit-point constants it is (N - K)/(bound - K), the part of the count the bound constrains after "
            "the entry time K read from the trace. " + ". ".join(parts) + ".")


def plot(table, figures):
    """:func:`draw` after :func:`summarize`; the summary with the caption."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "numbers": numbers, "verdicts": verdict_rows(table)}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
