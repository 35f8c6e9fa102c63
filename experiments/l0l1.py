"""(L0,L1)-smoothness: N(eps) of Armijo against L1 and the initial gap Delta, with the T2 bound.

Claim checked (T2, SCIENCE.md section 4): on an (L0, L1)-smooth function ``armijo`` reaches
``||grad f|| <= eps`` within

    N(eps) <= (Delta/lam) max(1/(eta0 eps^2), f1 (e-2)(L0 + L1 eps)/((1-lam) eps^2), f1 L1/eps)

iterations: linear in ``Delta`` and in ``L1``, with no ``L1^2`` and no ``exp(L1 ...)`` factor.
Family ``cosh(s x)/s^2`` with ``(L0, L1) = (1, s)`` known exactly (``Objective.constants``);
``s`` scans ``L1`` and the start ``x0 = arccosh(1 + s^2 Delta)/s`` scans ``Delta`` over eight
decades.  Beside ``armijo`` and ``armijo-increase``: ``clipped-gd`` with the tuning of Zhang
et al. (2020), which needs ``(L0, L1)``; ``gd`` with the fixed step ``eta = eta0 = 0.1``, which
diverges once ``eta f''(x0) = eta (1 + s^2 Delta)`` exceeds about 2; and ``gd`` with the
largest safe fixed step ``eta = 1/f''(x0)`` (``1/L`` on the sublevel set of ``x0``), whose
cost grows like ``s^2 Delta = L1^2 Delta``.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from experiments.machinery.study import (failure_strip, legend_outside, main, median_curve, nearest_eps, save_figure,
                                         verdict_rows)
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid
from theory import t2_l0l1

NAME = "l0l1"
#: Armijo parameters (the reference defaults); eta0 is also the untuned fixed step of gd.
ETA0 = 0.1
#: The plotted methods: label -> (engine algorithm, how its parameters are set).
METHODS = {
    "armijo": "armijo, reference defaults eta0 = 0.1, lam = 0.5, f1 = 2",
    "armijo-increase": "armijo-increase, reference defaults (f2 = 1e4)",
    "clipped-gd": "clipped-gd, Zhang et al. 2020 tuning eta = 1/(10 L0), gamma = L0/L1 (needs L0, L1)",
    "gd eta=0.1": "gd with the fixed step eta = eta0 = 0.1 (untuned)",
    "gd eta=1/L(x0)": "gd with eta = 1/max f''(x0) = 1/L on the sublevel set of the starts (tied to the start)",
}
GRID = {
    "function": "cosh",  # cosh(s x)/s^2, (L0, L1) = (1, s)
    "s": [1.0, 2.0, 4.0, 8.0, 16.0],
    "delta": [10.0**k for k in range(-2, 7)],
    # per (s, delta): Delta_b = delta * 10^U(-0.1, 0.1), x0 = +-arccosh(1 + s^2 Delta_b)/s (random sign), seed 100 i + j
    "starts": 3,
    "methods": METHODS,
    "eps": {"from": 1e-1, "to": 1e-6, "per_decade": 4},
    "headline_eps": 1e-4,
    "max_iter": 20_000,
}
QUICK = {"s": [1.0, 4.0], "delta": [1e-1, 1e2], "starts": 2, "eps": {"from": 1e-1, "to": 1e-3, "per_decade": 4},
         "max_iter": 2_000}


def starts_for_gap(s, delta, count, seed):
    """Starts of ``cosh(s x)/s^2`` whose gaps ``f(x0) - f_*`` are ``delta * 10^U(-0.1, 0.1)`` (generic, both signs)."""
    rng = np.random.default_rng(seed)
    gaps = delta * 10.0 ** rng.uniform(-0.1, 0.1, count)
    signs = rng.choice([-1.0, 1.0], count)
    return signs * np.arccosh(1.0 + s**2 * gaps) / s


def method_case(method, s, delta, x0, eps, max_iter):
    """The case of one method at one (s, delta) cell (``x0``: the cell's starts)."""
    largest_curvature = float(np.max(np.cosh(s * x0)))  # f''(x0) = cosh(s x0): max of f'' on the sublevel set
    algorithm, params = {
        "armijo": ("armijo", {}),
        "armijo-increase": ("armijo-increase", {}),
        "clipped-gd": ("clipped-gd", {"eta": 1.0 / 10.0, "gamma": 1.0 / s}),
        "gd eta=0.1": ("gd", {"eta": ETA0}),
        "gd eta=1/L(x0)": ("gd", {"eta": 1.0 / largest_curvature}),
    }[method]
    return Case(experiment=NAME, function=GRID["function"], function_params={"s": s}, algorithm=algorithm,
                algorithm_params=params, eps=eps, max_iter=max_iter, x0=tuple((float(x),) for x in x0),
                labels={"method": method, "s": s, "delta_level": delta})


def cases(quick=False):
    grid = expand_grid(GRID, QUICK, quick)
    out = []
    for i, s in enumerate(grid["s"]):
        for j, delta in enumerate(grid["delta"]):
            x0 = starts_for_gap(s, delta, grid["starts"], seed=100 * i + j)
            out += [method_case(method, s, delta, x0, grid["eps"], grid["max_iter"]) for method in grid["methods"]]
    return out


# -- plot ---------------------------------------------------------------------------------------

STYLE = {"armijo": ("o-", "C0"), "armijo-increase": ("^-", "C1"), "clipped-gd": ("s-", "C2"),
         "gd eta=0.1": ("x-", "C3"), "gd eta=1/L(x0)": ("d-", "C4")}


def cell_summary(table, eps):
    """Per (method, s, delta level): median N(eps), median T2 bound, statuses, median Delta."""
    at_eps = table[np.isclose(table["eps"], eps)]
    curve = median_curve(at_eps, ["method", "s", "delta_level"])
    groups = at_eps.groupby(["method", "s", "delta_level"], sort=False)
    extra = groups.agg(bound=("bound_T2", "median"), delta=("initial_gap", "median"),
                       converged=("status", lambda v: int((v == "converged").sum())),
                       failed=("status", lambda v: int(v.isin(["diverged", "non_finite"]).sum())),
                       starts=("status", "size")).reset_index()
    return curve.merge(extra, on=["method", "s", "delta_level"])


def bound_ratios(table):
    """Largest measured/T2-bound ratio per (algorithm, s, delta level) over starts and eps."""
    checked = table[(table["iterations"] >= 0) & np.isfinite(table["bound_T2"])].copy()
    checked["ratio"] = checked["iterations"] / checked["bound_T2"]
    return checked.groupby(["method", "s", "delta_level"])["ratio"].max().reset_index()


def log_slope(x, y):
    """Least-squares slope of log y against log x over finite positive points (nan if < 2)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(y) & (y > 0)
    if keep.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def _largest(values):
    finite = [v for v in values.values() if np.isfinite(v)]
    return max(finite) if finite else float("nan")


def eta0_term_share(table):
    """Share of the (s, eps) pairs where ``1/(eta0 eps^2)`` is the largest term of armijo's T2 bound."""
    rows = table[table["algorithm"] == "armijo"].drop_duplicates(["s", "eps"])
    L0, L1, eps = 1.0, rows["s"].to_numpy(float), rows["eps"].to_numpy(float)
    params = json.loads(rows["algorithm_params"].iloc[0])
    lam, f1, eta0 = params["lam"], params["f1"], params["eta0"]
    first = 1.0 / (eta0 * eps**2)
    others = np.maximum(f1 * t2_l0l1.E_MINUS_2 * (L0 + L1 * eps) / ((1.0 - lam) * eps**2), f1 * L1 / eps)
    return float(np.mean(first >= others))


#: The rows of the failure strip under the top panels (a cell without N(eps) has no value on the log axis).
FAILURES = ("budget reached", "diverged")


def _draw_against(axes, cells, scan, fixed_column, fixed_value, budget):
    """N(eps) against ``scan`` (s or delta_level) at a fixed value of the other, with the T2 bound; the cells
    without N(eps) (budget reached, or some start diverged) in a strip under the axes. Returns the strip."""
    subset = cells[np.isclose(cells[fixed_column], fixed_value)]
    strip = failure_strip(axes, FAILURES)
    methods = [method for method in STYLE if (subset["method"] == method).any()]
    for k, method in enumerate(methods):
        style, color = STYLE[method]
        curve = subset[subset["method"] == method].sort_values(scan)
        finite = np.isfinite(curve["iterations_censored"])
        axes.loglog(curve[scan][finite], curve["iterations_censored"][finite], style, color=color, ms=5, label=method)
        lane = (k - (len(methods) - 1) / 2) * 0.12  # methods side by side within a row of the strip
        censored = curve[~finite & (curve["failed"] == 0)]
        strip.plot(censored[scan], np.full(len(censored), 0 + lane), "^", color=color, ms=6, mfc="none")
        failed = curve[~finite & (curve["failed"] > 0)]
        strip.plot(failed[scan], np.full(len(failed), 1 + lane), "X", color=color, ms=7)
        if method == "armijo":
            axes.loglog(curve[scan], curve["bound"], "--", color=color, lw=1.2, label="T2 bound (armijo)")
    axes.axhline(budget, color="gray", ls=":", lw=1)
    axes.grid(True, which="major", alpha=0.3)
    return strip


def summarize(table):
    """The numbers of the figure and the caption, from the tidy table only.

    Returns
    -------
    dict
        ``headline_eps`` (the grid's threshold nearest to ``GRID["headline_eps"]``), ``budget``, ``cells``
        (:func:`cell_summary` at it), ``ratios`` (:func:`bound_ratios`), ``s_values``, ``delta_levels``,
        ``fixed_delta`` and ``fixed_s`` (the middle values, held fixed in the top panels), and the headline
        numbers: ``t2_violations``, ``t2_max_ratio``, ``slopes`` (of log N against log L1 and log Delta per
        method), ``gd_fixed_diverged_cells``, ``gd_fixed_cells``, ``gd_divergence_rule_agreement`` (cells where
        the rule eta (1 + s^2 Delta) > 2 predicts gd's status), ``eta0_term_dominant_share``,
        ``armijo_iterations_range``, ``armijo_t2_bound_range``, ``tuned_gd_budget_cells`` (cells where gd with
        eta = 1/L(x0) ran out of budget), ``starts`` and ``verdicts``.
    """
    eps = nearest_eps(table, GRID["headline_eps"])
    cells = cell_summary(table, eps)
    ratios = bound_ratios(table)
    s_values = np.sort(table["s"].unique())
    delta_levels = np.sort(table["delta_level"].unique())
    armijo_like = table[table["algorithm"].isin(["armijo", "armijo-increase"])]
    checked = armijo_like[(armijo_like["iterations"] >= 0) & np.isfinite(armijo_like["bound_T2"])]
    violations = {method: int((group["iterations"] > group["bound_T2"]).sum())
                  for method, group in checked.groupby("method")}
    max_ratio = {method: float(group["ratio"].max()) for method, group in ratios.groupby("method")}
    slopes = {}
    for method in METHODS:
        rows = cells[cells["method"] == method]
        slopes[method] = {
            "against_L1": {f"{d:g}": log_slope(g["s"], g["iterations_censored"])
                           for d, g in rows.groupby("delta_level")},
            "against_delta": {f"{s:g}": log_slope(g["delta_level"], g["iterations_censored"])
                              for s, g in rows.groupby("s")},
        }
    armijo_cells = cells[cells["method"] == "armijo"]
    gd = cells[cells["method"] == "gd eta=0.1"]
    predicted_fail = ETA0 * (1.0 + gd["s"] ** 2 * gd["delta"]) > 2.0
    failed = gd["failed"] > 0
    tuned = cells[cells["method"] == "gd eta=1/L(x0)"]
    return {"headline_eps": eps, "budget": int(table["max_iter"].max()), "cells": cells, "ratios": ratios,
            "s_values": s_values, "delta_levels": delta_levels, "fixed_delta": delta_levels[len(delta_levels) // 2],
            "fixed_s": s_values[len(s_values) // 2], "t2_violations": violations, "t2_max_ratio": max_ratio,
            "slopes": slopes, "gd_fixed_diverged_cells": int(failed.sum()), "gd_fixed_cells": int(len(gd)),
            "gd_divergence_rule_agreement": int((predicted_fail == failed).sum()),
            "eta0_term_dominant_share": eta0_term_share(table),
            "armijo_iterations_range": (float(armijo_cells["iterations_censored"].min()),
                                        float(armijo_cells["iterations_censored"].max())),
            "armijo_t2_bound_range": (float(armijo_cells["bound"].min()), float(armijo_cells["bound"].max())),
            "tuned_gd_budget_cells": int((~np.isfinite(tuned["iterations_censored"])).sum()),
            "tuned_gd_cells": int(len(tuned)), "starts": int(table["start"].max()) + 1,
            "verdicts": verdict_rows(table, scanned=("delta_level",))}


def draw(numbers, figures):
    """Top: median N(eps) against L1 and against Delta, with armijo's T2 bound and the budget (dotted); the
    cells without N(eps) in a strip under each panel. Bottom left: the largest measured/T2-bound ratio per
    cell. Bottom right: fixed-step gd per cell, N(eps) written where it converged."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    cells, ratios, budget, eps = numbers["cells"], numbers["ratios"], numbers["budget"], numbers["headline_eps"]
    s_values, delta_levels = numbers["s_values"], numbers["delta_levels"]
    fixed_delta, fixed_s = numbers["fixed_delta"], numbers["fixed_s"]
    figure, axes = plt.subplots(2, 2, figsize=(12, 10.5))
    strips = []
    for panel, scan, fixed_column, fixed_value, xlabel, title in (
            (axes[0, 0], "s", "delta_level", fixed_delta, "L1 = s", f"against L1 at Delta ~ {fixed_delta:g}"),
            (axes[0, 1], "delta_level", "s", fixed_s, "initial gap Delta = f(x0) - f*",
             f"against Delta at L1 = s = {fixed_s:g}")):
        strip = _draw_against(panel, cells, scan, fixed_column, fixed_value, budget)
        strip.set_xlabel(xlabel)
        panel.set_title(title, fontsize=10)
        strips.append(strip)
    axes[0, 0].set_ylabel(f"N(eps = {eps:.0e}), median over starts")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    handles += [Line2D([], [], color="gray", ls=":", lw=1, label=f"budget ({budget} iterations)"),
                Line2D([], [], ls="none", marker="^", mfc="none", color="k", ms=6,
                       label="strip: budget reached\n(no N(eps))"),
                Line2D([], [], ls="none", marker="X", color="k", ms=7, label="strip: some start\ndiverged")]
    legend_outside(axes[0, 0], handles=handles, labels=[h.get_label() for h in handles], fontsize=8)

    ratio_axes = axes[1, 0]
    for method, style in (("armijo", "-"), ("armijo-increase", "--")):
        for k, s in enumerate(s_values):
            curve = ratios[(ratios["method"] == method) & np.isclose(ratios["s"], s)].sort_values("delta_level")
            ratio_axes.loglog(curve["delta_level"], curve["ratio"], style, marker="o", ms=3, color=f"C{k}")
    ratio_axes.axhline(1.0, color="k", lw=1)
    ratio_axes.set_xlabel("Delta")
    ratio_axes.set_ylabel("max over starts and eps of N(eps) / T2 bound")
    ratio_axes.set_title("measured / bound (<= 1: the bound holds)", fontsize=10)
    keys = ([Line2D([], [], color=f"C{k}", marker="o", ms=3, label=f"L1 = {s:g}") for k, s in enumerate(s_values)]
            + [Line2D([], [], color="k", ls="-", label="armijo"), Line2D([], [], color="k", ls="--",
                                                                       label="armijo-increase")])
    ratio_axes.legend(handles=keys, fontsize=8, loc="lower left", ncol=2)
    ratio_axes.grid(True, which="major", alpha=0.3)

    status = axes[1, 1]
    gd = cells[cells["method"] == "gd eta=0.1"]
    # one cell per (Delta, s) of the grid, edges halfway (in log) between the levels
    def edges(levels):
        logs = np.log(levels)
        middle = (logs[1:] + logs[:-1]) / 2
        return np.exp(np.concatenate([[2 * logs[0] - middle[0]], middle, [2 * logs[-1] - middle[-1]]]))
    x_edges, y_edges = edges(delta_levels), edges(s_values)
    converged_colour, diverged_colour = "#c7e9c0", "#fcbba1"
    for row in gd.itertuples(index=False):
        ok = row.failed == 0 and np.isfinite(row.iterations_censored)
        i = int(np.argmin(np.abs(np.log(delta_levels / row.delta_level))))
        j = int(np.argmin(np.abs(np.log(s_values / row.s))))
        status.fill_between(x_edges[i:i + 2], y_edges[j], y_edges[j + 1], lw=0,
                            color=converged_colour if ok else diverged_colour)
        status.text(row.delta_level, row.s, f"{row.iterations_censored:.0f}" if ok else "div.", fontsize=9,
                    ha="center", va="center", color="k" if ok else "#a50f15")
    deltas = np.logspace(np.log10(x_edges[0]), np.log10(x_edges[-1]), 200)
    status.plot(deltas, np.sqrt((2.0 / ETA0 - 1.0) / deltas), "k--", lw=1.2)
    status.set_xscale("log")
    status.set_yscale("log", base=2)
    status.set_xlim(x_edges[0], x_edges[-1])
    status.set_ylim(y_edges[0], y_edges[-1])
    status.set_xticks(delta_levels[::2])
    status.set_yticks(s_values)
    status.set_yticklabels([f"{s:g}" for s in s_values])
    status.set_xlabel("Delta")
    status.set_ylabel("L1 = s")
    status.set_title(f"gd with the fixed step eta = {ETA0}: N(eps) per cell", fontsize=10)
    figure.legend(handles=[Patch(color=converged_colour, label="gd converged (N(eps) written)"),
                           Patch(color=diverged_colour, label="gd diverged (from some start)"),
                           Line2D([], [], color="k", ls="--", lw=1.2, label="eta f''(x0) = 2")],
                  fontsize=8, loc="lower right", bbox_to_anchor=(0.99, 0.0), ncol=3, frameon=False)
    figure.suptitle("cosh(s x)/s^2, (L0, L1) = (1, s): cost against L1 and Delta, and the T2 bound", fontsize=11)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    save_figure(figure, figures, NAME)


def caption(numbers):
    """What the figure shows, with every number from :func:`summarize`."""
    eps, slopes = numbers["headline_eps"], numbers["slopes"]
    n_range, bound_range = numbers["armijo_iterations_range"], numbers["armijo_t2_bound_range"]
    s_values, delta_levels = numbers["s_values"], numbers["delta_levels"]
    return (
        f"cosh(s x)/s^2 with (L0, L1) = (1, s) for s in {', '.join(f'{s:g}' for s in s_values)}; "
        f"{numbers['starts']} generic starts per (s, Delta) with Delta from "
        f"{delta_levels.min():g} to {delta_levels.max():g}. Top: median N(eps = {eps:.0e}) against "
        f"L1 (Delta ~ {numbers['fixed_delta']:g}) and against Delta (L1 = {numbers['fixed_s']:g}), with the T2 bound "
        "of armijo (dashed) and the budget (dotted); the cells without N(eps) (some start diverged, or the budget ran "
        "out) are marked in the strip under each panel, not on the log axis. Bottom right: fixed-step gd per cell. "
        f"Over the whole grid armijo needs {n_range[0]:.0f} to {n_range[1]:.0f} iterations at eps = {eps:.0e} "
        f"while the T2 bound ranges from {bound_range[0]:.3g} to {bound_range[1]:.3g}: N grows about "
        f"logarithmically in L1 and Delta (slopes of log N against log Delta at most "
        f"{np.nanmax(list(slopes['armijo']['against_delta'].values())):.2f}), far below the bound's linear growth; "
        f"no count exceeds its T2 bound (violations: {numbers['t2_violations']}; largest measured/bound ratio "
        + ", ".join(f"{m} {r:.2g}" for m, r in numbers["t2_max_ratio"].items()) + "). "
        f"Fixed-step gd with eta = {ETA0} diverges in {numbers['gd_fixed_diverged_cells']} of "
        f"{numbers['gd_fixed_cells']} cells; the rule eta (1 + s^2 Delta) > 2 predicts "
        f"{numbers['gd_divergence_rule_agreement']} of {numbers['gd_fixed_cells']} statuses. "
        f"gd with the safe step 1/f''(x0) converges but its cost grows like L1^2 Delta (slopes of log N up to "
        f"{_largest(slopes['gd eta=1/L(x0)']['against_L1']):.2f} against log L1 and "
        f"{_largest(slopes['gd eta=1/L(x0)']['against_delta']):.2f} against log Delta, against "
        f"{_largest(slopes['armijo']['against_L1']):.2f} and {_largest(slopes['armijo']['against_delta']):.2f} "
        f"for armijo; "
        f"{numbers['tuned_gd_budget_cells']} of {numbers['tuned_gd_cells']} cells exhaust the "
        f"{numbers['budget']}-iteration budget). clipped-gd converges everywhere with (L0, L1) known. "
        f"With eta0 = {ETA0} the term 1/(eta0 eps^2) of the bound is the largest at "
        f"{numbers['eta0_term_dominant_share']:.0%} of the (s, eps) pairs of the grid, which is why the drawn bound "
        "barely depends on L1."
    )


#: The numbers of the summary JSON (the rest of :func:`summarize` is for the figure).
SUMMARY_KEYS = ("headline_eps", "t2_violations", "t2_max_ratio", "slopes", "gd_fixed_diverged_cells",
                "gd_fixed_cells", "gd_divergence_rule_agreement", "eta0_term_dominant_share",
                "armijo_iterations_range", "armijo_t2_bound_range", "verdicts")


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption and the headline numbers."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), **{key: numbers[key] for key in SUMMARY_KEYS}}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
