"""Exponents (headline): N(eps) for analytic functions with bounded iterates against the worst cases.

Claim checked: for real-analytic functions with bounded iterates, every Armijo variant
reaches ``||grad f|| <= eps`` in ``O(1/eps)`` iterations (T3, exponent <= 1), while the
classical worst cases stay near ``eps^-2``: the Cartis-Gould-Toint function (L-smooth, not
analytic; ``armijo`` follows its nodes, exponent ``2/(1+2 tau)``) and ``escape``
(analytic but with unbounded iterates; exponent ``(a+2)/(a+1)``).  Every registry function
of dimension <= 64 is run with every Armijo variant; the fitted exponents are compared with
the largest exponent the applicable theorems allow and with the known value where there is one.
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.machinery.study import (group_rows, groups_cell, legend_outside, main, median_curve, save_figure,
                                    verdict_rows)
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid
from functions.labels import function_label

NAME = "exponents"
VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]


def _entry(function, params, eps_from, eps_to, max_iter, known_exponent, algorithm_params=None):
    """One function of the grid: its eps range (6 per decade), budget, parameter overrides and known exponent."""
    return {"function": function, "params": params,
            "eps": {"from": eps_from, "to": eps_to, "per_decade": 6}, "max_iter": max_iter,
            "algorithm_params": algorithm_params or {}, "known_exponent": known_exponent}


GRID = {
    #: eps ranges stop above the precision floor where f_* is far from 0 (cosh: f_* = 1, poly-three: local minima
    #: at 8 and 16, poly-four: f_* = 4, poly-eight: minima at 1, 2113, 4225; SCIENCE.md section 6). Symbolic
    #: entries run on the compiled backend and go deep (x^4 to 1e-10, x^6 to 1e-9: about 10^8 iterations);
    #: numeric ones (cgt, logistic) run on the NumPy engine and keep shorter ranges. known_exponent: of armijo.
    "functions": [
        _entry("monomial", {"p": 2}, 1e-2, 1e-10, 100_000_000, 2 / 3),
        _entry("monomial", {"p": 3}, 1e-2, 1e-9, 100_000_000, 4 / 5),
        _entry("cosh", {"s": 1.0}, 1e-2, 1e-6, 200_000, 0.0),
        _entry("rosenbrock", {}, 1e-2, 1e-10, 10_000_000, 0.0),
        _entry("poly-two", {}, 1e-2, 1e-8, 200_000, None),
        _entry("poly-three", {}, 1e-2, 1e-6, 200_000, None),
        _entry("poly-four", {}, 1e-2, 1e-6, 200_000, None),
        _entry("poly-five", {}, 1e-2, 1e-7, 300_000, None),
        _entry("poly-eight", {}, 1e-2, 1e-5, 300_000, None),
        _entry("escape", {"a": 1.0}, 3e-2, 1e-4, 100_000_000, 1.5),
        # cgt with eta0 = 1, lam = 0.4, so that armijo follows the worst-case nodes
        _entry("cgt", {"tau": 0.1}, 1e-1, 1e-3, 300_000, 2 / 1.2, {"eta0": 1.0, "lam": 0.4}),
        _entry("flat-exp", {}, 1e-2, 1e-8, 200_000, None),
        _entry("mexican-hat", {}, 1e-2, 1e-6, 200_000, None),
        _entry("logistic", {"samples": 400, "features": 10}, 1e-2, 1e-6, 200_000, 0.0),
    ],
    "algorithms": VARIANTS,  # reference defaults eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4, apart from the overrides
    "starts": 6,
    "seed": 17,
}
#: The quick grid: four families (both monomials), two decades of eps from each range's start, a short budget.
QUICK = {
    "functions": [{**entry, "max_iter": 20_000,
                   "eps": {"from": entry["eps"]["from"], "decades": 2, "per_decade": entry["eps"]["per_decade"]}}
                  for entry in GRID["functions"] if entry["function"] in ("monomial", "poly-two", "escape", "cgt")],
    "starts": 2,
}
#: Functions drawn in the headline panel: analytic with bounded iterates, and the two worst cases.
HEADLINE = [("monomial", '{"p": 2}'), ("poly-two", "{}"), ("poly-five", "{}"), ("cosh", '{"s": 1.0}'),
            ("cgt", '{"tau": 0.1}'), ("escape", '{"a": 1.0}')]
WORST_CASES = ("cgt", "escape")


def _params(overrides, algorithm):
    if algorithm in ("armijo", "armijo-memory"):
        return {k: v for k, v in overrides.items() if k != "f2"}
    return dict(overrides)


def cases(quick=False):
    grid = expand_grid(GRID, QUICK, quick)
    return [Case(experiment=NAME, function=entry["function"], function_params=entry["params"], algorithm=algorithm,
                 algorithm_params=_params(entry["algorithm_params"], algorithm), eps=entry["eps"],
                 max_iter=entry["max_iter"], starts=grid["starts"], seed=grid["seed"],
                 labels={"known_exponent": np.nan if entry["known_exponent"] is None else entry["known_exponent"]})
            for entry in grid["functions"] for algorithm in grid["algorithms"]]


def _label(function, params):
    return function_label(function, params)


def summarize(table):
    """The numbers of the figure, the table and the caption, from the tidy table only.

    Returns
    -------
    dict
        ``curves`` (median N(eps) of armijo on the :data:`HEADLINE` functions: label, worst case or not, eps,
        iterations), ``smallest_eps`` (of the finite medians), ``labels`` (the functions, in the table's order),
        ``rates[algorithm]`` (per function: label, model, exponent, 95% interval; the case row, i.e. the
        largest limit group), ``predicted[algorithm]`` (the rate predicted at the limit point of the largest
        group: label, exponent), ``ceilings`` and ``known`` (of armijo: label, value), ``exponents`` (armijo's
        fit per function), ``models`` (cases per model), ``cases`` and ``multi_limit_cases`` (cases whose
        starts reach more than one limit point), ``table_markdown`` and ``verdicts``.
    """
    armijo = table[table["algorithm"] == "armijo"]
    medians = median_curve(armijo, ["function", "function_params"])
    curves = []
    for function, params in HEADLINE:
        curve = medians[(medians["function"] == function) & (medians["function_params"] == params)]
        curve = curve[np.isfinite(curve["iterations_censored"]) & (curve["iterations_censored"] > 0)]
        if not curve.empty:
            curves.append({"label": _label(function, params),
                           "worst": function in WORST_CASES, "eps": curve["eps"].tolist(),
                           "iterations": curve["iterations_censored"].tolist()})
    shown = medians[np.isfinite(medians["iterations_censored"])]
    rows = table.drop_duplicates(["function", "function_params", "algorithm"])
    labels = [_label(f, p) for f, p in rows[["function", "function_params"]].drop_duplicates().itertuples(index=False)]
    rates = {}
    for algorithm in VARIANTS:
        subset = rows[rows["algorithm"] == algorithm]  # the case row: the largest limit group
        rates[algorithm] = {"label": [_label(f, p) for f, p in subset[["function", "function_params"]].itertuples(
                                index=False)],
                            "model": subset["case_model"].tolist(), "exponent": subset["case_exponent"].tolist(),
                            "ci_low": subset["case_exponent_ci_low"].tolist(),
                            "ci_high": subset["case_exponent_ci_high"].tolist()}
    groups = group_rows(table)
    largest = groups[groups["limit_group"] == 0]
    predicted = {}
    for algorithm in VARIANTS:
        subset = largest[(largest["algorithm"] == algorithm) & largest["group_predicted_model"].notna()]
        if not subset.empty:
            predicted[algorithm] = {"label": [_label(f, p) for f, p in subset[["function", "function_params"]]
                                              .itertuples(index=False)],
                                    "exponent": subset["group_predicted_exponent"].tolist()}
    armijo_rows = rows[rows["algorithm"] == "armijo"]
    ceilings = [(_label(f, p), value) for f, p, value in armijo_rows[
        ["function", "function_params", "case_predicted_exponent"]].itertuples(index=False) if np.isfinite(value)]
    known = [(_label(f, p), value) for f, p, value in armijo_rows[
        ["function", "function_params", "known_exponent"]].itertuples(index=False) if np.isfinite(value)]
    exponents = {f"{f} {p}": {"label": _label(f, p), "model": m, "exponent": e, "ci": [lo, hi], "known": k,
                              "predicted_max": pm}
                 for f, p, m, e, lo, hi, k, pm in armijo_rows[
                     ["function", "function_params", "case_model", "case_exponent", "case_exponent_ci_low",
                      "case_exponent_ci_high", "known_exponent", "case_predicted_exponent"]].itertuples(index=False)}
    table_lines = ["| function | known exponent (armijo) | " + " | ".join(VARIANTS) + " |",
                   "|---|---|" + "---|" * len(VARIANTS)]
    for f, p in rows[["function", "function_params"]].drop_duplicates().itertuples(index=False):
        cells = [groups_cell(groups[(groups["function"] == f) & (groups["function_params"] == p)
                                    & (groups["algorithm"] == algorithm)]) for algorithm in VARIANTS]
        k = rows[(rows["function"] == f) & (rows["function_params"] == p)]["known_exponent"].iloc[0]
        table_lines.append(f"| {_label(f, p)} | {'-' if not np.isfinite(k) else f'{k:.3f}'} | "
                           + " | ".join(cells) + " |")
    multi = groups.groupby(["function", "function_params", "algorithm"]).size()
    return {"curves": curves, "smallest_eps": float(shown["eps"].min()), "labels": labels, "rates": rates,
            "predicted": predicted, "ceilings": ceilings, "known": known, "exponents": exponents,
            "models": rows.groupby("case_model").size().to_dict(), "cases": int(len(multi)),
            "multi_limit_cases": int((multi > 1).sum()), "table_markdown": table_lines,
            "verdicts": verdict_rows(table)}


def draw(numbers, figures):
    """Left: armijo's median N(eps) on the headline functions with slopes 1 and 2 (worst cases dashed). Right:
    every function x variant's fitted rate (a power law with its interval, or an open triangle at 0 for linear
    convergence), the rate predicted at the limit point (black triangle), the largest exponent the theorems allow
    (grey bar) and the known exponent (red dashed bar)."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    figure, (left, right) = plt.subplots(1, 2, figsize=(11.5, 6.4), gridspec_kw={"width_ratios": [1, 1.25]})
    for curve in numbers["curves"]:
        left.loglog(curve["eps"], curve["iterations"], ls="--" if curve["worst"] else "-",
                    marker="s" if curve["worst"] else "o", lw=2.0 if curve["worst"] else 1.5, ms=3.5, markevery=3,
                    label=curve["label"] + (" (worst case)" if curve["worst"] else ""))
    eps_ref = np.array([1e-1, 1e-7])
    for slope, style in ((1, ":"), (2, "-.")):
        left.loglog(eps_ref, 10 * (eps_ref / eps_ref[0]) ** (-slope), color="k", ls=style, lw=1.2,
                    label=f"slope {slope}")
    left.set_xlim(2e-1, min(5e-9, numbers["smallest_eps"] / 2))
    left.set_ylim(1, 1e8)
    left.set_xlabel("eps (threshold on ||grad f||)")
    left.set_ylabel("N(eps), median over starts (armijo)")
    left.set_title("N(eps) of armijo; worst cases dashed", fontsize=10)
    left.grid(True, which="major", alpha=0.3)
    left.tick_params(labelsize=8)
    # under the panel, not beside it: beside it, the legend and the right panel's long tick labels left a wide gap
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False)

    positions = {label: i for i, label in enumerate(numbers["labels"])}
    offsets = np.linspace(-0.3, 0.3, len(VARIANTS))
    colours = {algorithm: plt.get_cmap("tab10")(k) for k, algorithm in enumerate(VARIANTS)}
    for label, value in numbers["ceilings"]:  # behind everything: the theorems' ceiling and the known exponent
        y = positions[label]
        right.plot([value, value], [y - 0.45, y + 0.45], color="0.55", lw=3.5, alpha=0.6, solid_capstyle="butt",
                   zorder=1)
    for label, value in numbers["known"]:
        y = positions[label]
        right.plot([value, value], [y - 0.45, y + 0.45], color="red", ls=(0, (2, 1.5)), lw=1.6, zorder=2)
    for offset, algorithm in zip(offsets, VARIANTS):
        rate = numbers["rates"][algorithm]
        y = np.array([positions[label] for label in rate["label"]]) + offset
        power = np.array([model != "logarithmic" for model in rate["model"]], dtype=bool)
        value = np.array(rate["exponent"], dtype=float)
        low = value - np.array(rate["ci_low"], dtype=float)
        high = np.array(rate["ci_high"], dtype=float) - value
        right.errorbar(value[power], y[power], xerr=[np.clip(np.nan_to_num(low[power]), 0, None),
                                                     np.clip(np.nan_to_num(high[power]), 0, None)],
                       fmt="o", ms=3.5, capsize=0, elinewidth=1.2, color=colours[algorithm], label=algorithm,
                       zorder=3)
        # linear convergence is a model of its own, not a small exponent: an open triangle at 0
        right.plot(np.zeros((~power).sum()), y[~power], "<", ms=5, mfc="none", color=colours[algorithm], zorder=3)
    # the predicted rates of a function, once per distinct value, pointing down onto its rows from above them
    predicted = {(label, round(float(value), 6)) for entry in numbers["predicted"].values()
                 for label, value in zip(entry["label"], entry["exponent"])}
    for label, value in sorted(predicted):
        right.plot([value], [positions[label] - 0.5], "v", ms=5.5, color="k", zorder=4)  # between two rows
    handles, labels = right.get_legend_handles_labels()
    extra = [Line2D([], [], ls="none", marker="<", ms=5, mfc="none", color="k",
                    label="logarithmic (linear convergence)"),
             Line2D([], [], ls="none", marker="v", ms=5.5, color="k", label="predicted from theta\nat the limit point"),
             Line2D([], [], color="0.55", lw=3.5, alpha=0.6, label="largest exponent the\ntheorems allow"),
             Line2D([], [], color="red", ls=(0, (2, 1.5)), lw=1.6, label="known exponent")]
    right.set_yticks(range(len(numbers["labels"])))
    right.set_yticklabels(numbers["labels"], fontsize=8)
    right.tick_params(axis="x", labelsize=8)
    right.set_ylim(len(numbers["labels"]) - 0.5, -0.7)
    right.set_xlabel("exponent p of N ~ eps^-p, 95% interval (largest limit group)")
    right.set_title("Rate per function and Armijo variant", fontsize=10)
    right.grid(True, axis="x", alpha=0.3)
    legend_outside(right, handles=handles + extra, labels=labels + [h.get_label() for h in extra], fontsize=8)
    figure.tight_layout()
    save_figure(figure, figures, NAME)


def caption(numbers):
    """What the figure shows, with every number from :func:`summarize`."""
    headline = {key: value for key, value in numbers["exponents"].items()
                if key.split()[0] in ("monomial", "cgt", "escape")}
    text = "; ".join(f"{v['label']}: {v['exponent']:.3f} (known {v['known']:.3f})" for v in headline.values()
                     if v["exponent"] is not None and np.isfinite(v["exponent"]) and np.isfinite(v["known"]))
    return ("Left: median N(eps) of armijo (reference defaults; cgt with eta0 = 1, lam = 0.4 so that it "
            "follows the worst-case nodes) on log-log axes, with reference slopes 1 and 2. Right: the fitted "
            "rate of every function x Armijo variant, fitted on the starts of its largest limit group (starts "
            "that reach different critical points are fitted apart; the table lists every group): a power law "
            "with its 95% interval for eps -> 0 (drift, offset and model uncertainty included; [0, upper] where "
            "the data cannot tell a small power law from linear convergence: power-or-logarithmic), or an open "
            "triangle at 0 where the model is logarithmic (linear convergence: N = a + b log10(1/eps)); a "
            "black triangle above a function's rows marks the rate predicted from the Lojasiewicz exponent estimated "
            "at the limit point "
            "(2 - 1/theta, or 0 for theta = 1/2), where the accepted steps settle to a constant; grey "
            "bars mark the largest exponent the applicable theorems allow, red dashed bars the known exponent. "
            f"armijo: {text}. "
            "Models: " + ", ".join(f"{model} {count}" for model, count in numbers['models'].items()) + "; "
            f"{numbers['multi_limit_cases']} of {numbers['cases']} cases reach more than one limit point. "
            "eps ranges per function are chosen so that the tail window lies in the asymptotic regime "
            "(GRID in experiments/exponents.py).")


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption, the numbers and the table of REPORT.md."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "numbers": numbers["exponents"], "verdicts": numbers["verdicts"],
            "table_markdown": numbers["table_markdown"]}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
