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
from armijo.thresholds import eps_grid
from experiments.machinery.cases import Case

NAME = "exponents"
VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
#: function, parameters, (eps_max, eps_min), max_iter, algorithm-parameter overrides, known exponent of `armijo`.
#: eps_min stays above the precision floor where f_* is far from 0 (cosh: f_* = 1, poly-three: local
#: minima at 8 and 16, poly-four: f_* = 4, poly-eight: minima at 1, 2113, 4225; SCIENCE.md section 6).
#: Symbolic entries run on the compiled backend and go deep (x^4 to 1e-10, x^6 to 1e-9: about 10^8
#: iterations); numeric ones (cgt, logistic) run on the NumPy engine and keep shorter ranges.
FUNCTIONS = [
    ("monomial", {"p": 2}, (1e-2, 1e-10), 100_000_000, {}, 2 / 3),
    ("monomial", {"p": 3}, (1e-2, 1e-9), 100_000_000, {}, 4 / 5),
    ("cosh", {"s": 1.0}, (1e-2, 1e-6), 200_000, {}, 0.0),
    ("rosenbrock", {}, (1e-2, 1e-10), 10_000_000, {}, 0.0),
    ("poly-two", {}, (1e-2, 1e-8), 200_000, {}, None),
    ("poly-three", {}, (1e-2, 1e-6), 200_000, {}, None),
    ("poly-four", {}, (1e-2, 1e-6), 200_000, {}, None),
    ("poly-five", {}, (1e-2, 1e-7), 300_000, {}, None),
    ("poly-eight", {}, (1e-2, 1e-5), 300_000, {}, None),
    ("escape", {"a": 1.0}, (3e-2, 1e-4), 100_000_000, {}, 1.5),
    ("cgt", {"tau": 0.1}, (1e-1, 1e-3), 300_000, {"eta0": 1.0, "lam": 0.4}, 2 / 1.2),
    ("flat-exp", {}, (1e-2, 1e-8), 200_000, {}, None),
    ("mexican-hat", {}, (1e-2, 1e-6), 200_000, {}, None),
    ("logistic", {"samples": 400, "features": 10}, (1e-2, 1e-6), 200_000, {}, 0.0),
]
GRID = {
    "functions": [f"{name} {params}" for name, params, *_ in FUNCTIONS],
    "algorithms": VARIANTS,
    "algorithm_params": "reference defaults eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4; cgt: eta0 = 1, lam = 0.4",
    "starts": 6,
    "eps_per_decade": 6,
}
QUICK = {"functions": ["monomial", "poly-two", "escape", "cgt"], "starts": 2, "max_iter": 20_000, "decades": 2}
#: Functions drawn in the headline panel: analytic with bounded iterates, and the two worst cases.
HEADLINE = [("monomial", '{"p": 2}'), ("poly-two", "{}"), ("poly-five", "{}"), ("cosh", '{"s": 1.0}'),
            ("cgt", '{"tau": 0.1}'), ("escape", '{"a": 1.0}')]


def _params(overrides, algorithm):
    if algorithm in ("armijo", "armijo-memory"):
        return {k: v for k, v in overrides.items() if k != "f2"}
    return dict(overrides)


def cases(quick=False):
    selected = [row for row in FUNCTIONS if not quick or row[0] in QUICK["functions"]]
    out = []
    for name, params, (eps_max, eps_min), max_iter, overrides, known in selected:
        if quick:
            eps_min = eps_max * 10.0 ** -QUICK["decades"]
            max_iter = QUICK["max_iter"]
        for algorithm in VARIANTS:
            out.append(Case(experiment=NAME, function=name, function_params=params, algorithm=algorithm, algorithm_params=_params(overrides, algorithm),
                            eps=eps_grid(eps_max, eps_min, GRID["eps_per_decade"]), max_iter=max_iter,
                            starts=QUICK["starts"] if quick else GRID["starts"], seed=17,
                            labels={"known_exponent": np.nan if known is None else known}))
    return out


def plot(table, figures):
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(15, 5.2), gridspec_kw={"width_ratios": [1, 1.25]})
    armijo = table[table["algorithm"] == "armijo"]
    curves = median_curve(armijo, ["function", "function_params"])
    for function, params in HEADLINE:
        curve = curves[(curves["function"] == function) & (curves["function_params"] == params)]
        curve = curve[np.isfinite(curve["iterations_censored"]) & (curve["iterations_censored"] > 0)]
        if curve.empty:
            continue
        worst = function in ("cgt", "escape")
        left.loglog(curve["eps"], curve["iterations_censored"], "s--" if worst else "o-", ms=3,
                    label=f"{function} {params if params != '{}' else ''}".strip())
    eps_ref = np.array([1e-1, 1e-7])
    for slope, style in ((1, "k:"), (2, "k-.")):
        left.loglog(eps_ref, 10 * (eps_ref / eps_ref[0]) ** (-slope), style, lw=1, label=f"slope {slope}")
    shown = curves[np.isfinite(curves["iterations_censored"])]
    left.set_xlim(2e-1, min(5e-9, float(shown["eps"].min()) / 2))
    left.set_ylim(1, 1e8)
    left.set_xlabel("eps (threshold on ||grad f||)")
    left.set_ylabel("N(eps), median over starts (armijo)")
    left.set_title("armijo: analytic & bounded (solid) vs worst cases (dashed)")
    left.grid(True, which="both", alpha=0.25)
    legend_outside(left, fontsize=7)

    rows = table.drop_duplicates(["function", "function_params", "algorithm"])
    labels = [f"{f} {p if p != '{}' else ''}".strip() for f, p in
              rows[["function", "function_params"]].drop_duplicates().itertuples(index=False)]
    positions = {label: i for i, label in enumerate(labels)}
    offsets = np.linspace(-0.3, 0.3, len(VARIANTS))
    colours = {algorithm: plt.get_cmap("tab10")(k) for k, algorithm in enumerate(VARIANTS)}
    for offset, algorithm in zip(offsets, VARIANTS):
        subset = rows[rows["algorithm"] == algorithm]  # the case row: the largest limit group
        y = np.array([positions[f"{f} {p if p != '{}' else ''}".strip()] for f, p in
                      subset[["function", "function_params"]].itertuples(index=False)]) + offset
        power = (subset["case_model"] != "logarithmic").to_numpy()
        value = subset["case_exponent"].to_numpy(float)
        low = value - subset["case_exponent_ci_low"].to_numpy(float)
        high = subset["case_exponent_ci_high"].to_numpy(float) - value
        right.errorbar(value[power], y[power], xerr=[np.clip(np.nan_to_num(low[power]), 0, None),
                                                     np.clip(np.nan_to_num(high[power]), 0, None)],
                       fmt="o", ms=3, capsize=2, color=colours[algorithm], label=algorithm)
        # linear convergence is a model of its own, not a small exponent: an open triangle at 0
        right.plot(np.zeros((~power).sum()), y[~power], "<", ms=5, mfc="none", color=colours[algorithm])
    right.plot([], [], "<", ms=5, mfc="none", color="k", label="logarithmic (linear convergence)")
    # the rate predicted from the Lojasiewicz exponent at the limit point (largest group), where it applies
    largest = group_rows(table)
    largest = largest[largest["limit_group"] == 0]
    for offset, algorithm in zip(offsets, VARIANTS):
        subset = largest[(largest["algorithm"] == algorithm) & largest["group_predicted_model"].notna()]
        if subset.empty:
            continue
        y = np.array([positions[f"{f} {p if p != '{}' else ''}".strip()] for f, p in
                      subset[["function", "function_params"]].itertuples(index=False)]) + offset
        right.plot(subset["group_predicted_exponent"].to_numpy(float), y, "|", ms=9, mew=1.5,
                   color=colours[algorithm])
    right.plot([], [], "|", ms=9, mew=1.5, color="k", label="predicted from theta at the limit point")
    predicted = rows[rows["algorithm"] == "armijo"]
    for f, p, value in predicted[["function", "function_params", "case_predicted_exponent"]].itertuples(index=False):
        if np.isfinite(value):
            y = positions[f"{f} {p if p != '{}' else ''}".strip()]
            right.plot([value, value], [y - 0.45, y + 0.45], "k-", lw=2, alpha=0.5)
    known = rows[(rows["algorithm"] == "armijo") & np.isfinite(rows["known_exponent"])]
    for f, p, value in known[["function", "function_params", "known_exponent"]].itertuples(index=False):
        y = positions[f"{f} {p if p != '{}' else ''}".strip()]
        right.plot([value], [y - 0.3], "r*", ms=8)
    right.set_yticks(range(len(labels)))
    right.set_yticklabels(labels, fontsize=7)
    right.invert_yaxis()
    right.set_xlabel("exponent p of N ~ eps^-p, 95% interval (largest limit group)")
    right.set_title("Rate per function x Armijo variant (grey: predicted max; red star: known)", fontsize=10)
    right.grid(True, axis="x", alpha=0.3)
    legend_outside(right, fontsize=7)
    figure.tight_layout()
    save_figure(figure, figures, NAME)

    verdicts = verdict_rows(table)
    armijo_rows = rows[rows["algorithm"] == "armijo"].set_index("function")
    numbers = {f"{f} {p}": {"model": m, "exponent": e, "ci": [lo, hi], "known": k, "predicted_max": pm}
               for f, p, m, e, lo, hi, k, pm in armijo_rows.reset_index()[
                   ["function", "function_params", "case_model", "case_exponent", "case_exponent_ci_low",
                    "case_exponent_ci_high", "known_exponent", "case_predicted_exponent"]].itertuples(index=False)}
    groups = group_rows(table)
    table_lines = ["| function | known exponent (armijo) | " + " | ".join(VARIANTS) + " |",
                   "|---|---|" + "---|" * len(VARIANTS)]
    for f, p in rows[["function", "function_params"]].drop_duplicates().itertuples(index=False):
        cells = [groups_cell(groups[(groups["function"] == f) & (groups["function_params"] == p)
                                    & (groups["algorithm"] == algorithm)]) for algorithm in VARIANTS]
        k = rows[(rows["function"] == f) & (rows["function_params"] == p)]["known_exponent"].iloc[0]
        table_lines.append(f"| {f} {p if p != '{}' else ''} | {'-' if not np.isfinite(k) else f'{k:.3f}'} | "
                           + " | ".join(cells) + " |")
    models = rows.groupby("case_model").size().to_dict()
    multi = groups.groupby(["function", "function_params", "algorithm"]).size()
    headline = {key: value for key, value in numbers.items() if key.split()[0] in ("monomial", "cgt", "escape")}
    text = "; ".join(f"{key}: {v['exponent']:.3f} (known {v['known']:.3f})" for key, v in headline.items()
                     if v["exponent"] is not None and np.isfinite(v["exponent"]) and np.isfinite(v["known"]))
    caption = ("Left: median N(eps) of armijo (reference defaults; cgt with eta0 = 1, lam = 0.4 so that it "
               "follows the worst-case nodes) on log-log axes, with reference slopes 1 and 2. Right: the fitted "
               "rate of every function x Armijo variant, fitted on the starts of its largest limit group (starts "
               "that reach different critical points are fitted apart; the table lists every group): a power law "
               "with its 95% interval (spread over starts, window and pre-asymptotic drift), or an open triangle "
               "at 0 where the chosen model is logarithmic (linear convergence: N = a + b log10(1/eps)); a "
               "vertical tick marks the rate predicted from the Lojasiewicz exponent estimated at the limit point "
               "(2 - 1/theta, or 0 for theta = 1/2), where the accepted steps settle to a constant; grey "
               f"bars mark the largest exponent the applicable theorems allow, red stars the known exponent. armijo: {text}. "
               f"Models chosen on the deepest quarter of each window: {models}; "
               f"{int((multi > 1).sum())} of {len(multi)} cases reach more than one limit point. "
               "eps ranges per function are chosen so that the tail window lies in the asymptotic regime "
               "(GRID in experiments/exponents.py).")
    return {"caption": caption, "numbers": numbers, "verdicts": verdicts, "table_markdown": table_lines}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
