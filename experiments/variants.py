"""Variants: the acceleration of ``armijo-increase`` and ``armijo-dichotomy`` over ``armijo``,
counted in iterations and in function evaluations.

Claim checked: the increasing first trial (``armijo-increase``, the author's LC_EGD) and its
log-bisection refinement (``armijo-dichotomy``, LCD) need far fewer iterations than textbook
``armijo`` (reset to ``eta0``) on the analytic benchmarks, but each iteration costs more
function evaluations: T4 telescopes the backtracks of ``armijo-increase`` to
``((n-1) log f2 + log(eta0 / eta_{n-1})) / log f1`` over ``n`` iterations, i.e. about
``1 + log f2 / log f1`` evaluations per iteration (14.29 at ``f1 = 2, f2 = 1e4``,
:func:`theory.t4_oracle.mean_f_evals_per_iteration`).  The speed-up in evaluations is the
speed-up in iterations divided by that price, so the acceleration is real in evaluations
only where the iteration speed-up exceeds it (linear against sublinear convergence, i.e.
small eps on degenerate minima).  ``armijo-memory`` and ``armijo-normalized`` are run for
completeness.  Speed-ups are paired: the same starts for every algorithm, ratio per start,
median over starts.
"""

from __future__ import annotations

import json
import sys

import numpy as np

from experiments.machinery.study import failure_strip, legend_outside, main, save_figure, verdict_rows
from functions.labels import function_label
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid
from theory.t4_oracle import mean_f_evals_per_iteration

NAME = "variants"
BASELINE = "armijo"
VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
#: Algorithms compared with the baseline in the figure's speed-up panels.
ACCELERATED = ["armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
#: Variants whose evaluation count telescopes exactly (T4 identity); f2 = 1 for armijo-memory.
TELESCOPING = ["armijo-memory", "armijo-increase", "armijo-normalized"]


def _entry(function, params, eps_min, max_iter):
    """One function of the grid: eps from 1e-1 down to its smallest eps (2 per decade), its budget."""
    return {"function": function, "params": params, "eps": {"from": 1e-1, "to": eps_min, "per_decade": 2},
            "max_iter": max_iter}


GRID = {
    # the speed-up is read at each function's smallest eps
    "functions": [
        _entry("poly-two", {}, 1e-6, 20_000),
        _entry("poly-three", {}, 1e-5, 20_000),
        _entry("poly-four", {}, 1e-5, 20_000),
        _entry("poly-five", {}, 1e-5, 20_000),
        _entry("poly-eight", {}, 1e-4, 20_000),
        _entry("monomial", {"p": 2}, 1e-6, 100_000),
        _entry("monomial", {"p": 3}, 1e-5, 100_000),
        _entry("cosh", {"s": 1.0}, 1e-6, 20_000),
        _entry("rosenbrock", {}, 1e-6, 20_000),
        _entry("logistic", {"samples": 400, "features": 10}, 1e-6, 20_000),
    ],
    "algorithms": VARIANTS,  # reference defaults: eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4
    "starts": 8,  # the registry's start distribution, the same starts for every algorithm
    "seed": 3,
}
QUICK = {"functions": [_entry("poly-two", {}, 1e-4, 20_000), _entry("monomial", {"p": 2}, 1e-4, 20_000)], "starts": 3}


def cases(quick=False):
    grid = expand_grid(GRID, QUICK, quick)
    return [Case(experiment=NAME, function=entry["function"], function_params=entry["params"], algorithm=algorithm,
                 eps=entry["eps"], max_iter=entry["max_iter"], starts=grid["starts"], seed=grid["seed"])
            for entry in grid["functions"] for algorithm in grid["algorithms"]]


def _label(function, params):
    return function_label(function, params)


def paired_speedups(table, quantity):
    """Per start and eps, ``quantity`` of ``armijo`` divided by that of each other variant.

    A threshold never reached counts as an infinite cost (ratio ``inf`` when only ``armijo``
    missed it, ``0`` when only the variant did, nan when both did).

    Returns
    -------
    pandas.DataFrame
        Columns function, function_params, algorithm, start, eps, ratio.
    """
    keys = ["function", "function_params", "start", "eps"]
    data = table[keys + ["algorithm", quantity]].copy()
    data["cost"] = np.where(data[quantity] >= 0, np.maximum(data[quantity], 1), np.inf).astype(float)
    base = data[data["algorithm"] == BASELINE][keys + ["cost"]].rename(columns={"cost": "base"})
    merged = data[data["algorithm"] != BASELINE].merge(base, on=keys)
    with np.errstate(invalid="ignore"):
        merged["ratio"] = merged["base"] / merged["cost"]
    return merged[keys + ["algorithm", "ratio"]]


def smallest_eps_rows(table):
    """Rows at each function's smallest eps."""
    smallest = table.groupby(["function", "function_params"])["eps"].transform("min")
    return table[np.isclose(table["eps"], smallest)]


def evals_per_iteration(table):
    """Per (function, algorithm, start): total f-evals / total iterations, and the T4 telescoped count.

    ``t4_f_evals`` is ``1 + n + ((n-1) log f2 + log(eta0 / eta_{n-1})) / log f1`` with ``n``
    the iterations done and ``eta_{n-1}`` the last accepted step (exact for the telescoping
    variants when no trial was spent after the last accepted step).
    """
    runs = table.drop_duplicates(["function", "function_params", "algorithm", "start"]).copy()
    params = runs["algorithm_params"].map(json.loads)
    f1 = params.map(lambda p: p["f1"]).astype(float)
    f2 = params.map(lambda p: p.get("f2", 1.0)).astype(float)
    eta0 = params.map(lambda p: p["eta0"]).astype(float)
    n = runs["total_iterations"].astype(float)
    runs["f1"], runs["f2"] = f1, f2
    runs.loc[runs["algorithm"] == "armijo-memory", "f2"] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        runs["evals_per_iteration"] = runs["total_f_evals"] / n
        runs["t4_f_evals"] = 1 + n + ((n - 1) * np.log(runs["f2"]) + np.log(eta0 / runs["last_step"])) / np.log(f1)
        runs["t4_mean"] = [mean_f_evals_per_iteration(f1=a, f2=b) for a, b in zip(runs["f1"], runs["f2"])]
    return runs


def _spread(ratios):
    """Median and quartiles of the per-start ratios (nan where there is none)."""
    ratios = ratios.dropna().to_numpy()
    if not ratios.size:
        return np.nan, np.nan, np.nan
    return np.median(ratios), np.quantile(ratios, 0.25), np.quantile(ratios, 0.75)


def summarize(table):
    """The numbers of the figure, the table and the caption, from the tidy table only.

    Returns
    -------
    dict
        ``labels`` and ``keys`` (the functions, in the table's order), ``algorithms`` (those compared with
        ``armijo``), ``speedups[quantity][algorithm]`` (per function: the median and quartiles of the paired
        ratio at the function's smallest eps; quantity ``iterations`` or ``f_evals``), ``price[algorithm]`` (per
        function: median f-evals per iteration over whole runs), ``t4_mean`` (1 + log f2 / log f1),
        ``increase_curves`` (per function: the median iteration speed-up of armijo-increase against eps),
        ``f2``, ``starts``, ``eps_min`` (per function), the headline numbers of the summary (``numbers``),
        ``table_markdown`` and ``verdicts``.
    """
    groups = table[["function", "function_params"]].drop_duplicates()
    keys = list(groups.itertuples(index=False, name=None))
    labels = [_label(f, p) for f, p in keys]
    algorithms = [a for a in ACCELERATED if a in set(table["algorithm"])]
    tail = smallest_eps_rows(table)
    speed = {q: paired_speedups(tail, q) for q in ("iterations", "f_evals")}
    runs = evals_per_iteration(table)
    params = json.loads(table.loc[table["algorithm"] == "armijo-increase", "algorithm_params"].iloc[0])
    t4_mean = mean_f_evals_per_iteration(f1=params["f1"], f2=params["f2"])
    speedups, medians = {}, {}
    for quantity, part in speed.items():
        for algorithm in algorithms:
            spread = [_spread(part[(part["function"] == f) & (part["function_params"] == p)
                                   & (part["algorithm"] == algorithm)]["ratio"]) for f, p in keys]
            speedups.setdefault(quantity, {})[algorithm] = {"median": [m for m, _, _ in spread],
                                                            "low": [lo for _, lo, _ in spread],
                                                            "high": [hi for _, _, hi in spread]}
            medians.setdefault(quantity, {})[algorithm] = dict(zip(labels, speedups[quantity][algorithm]["median"]))
    price = {algorithm: [runs[(runs["function"] == f) & (runs["function_params"] == p) & (runs["algorithm"] == algorithm)
                              ]["evals_per_iteration"].median() for f, p in keys]
             for algorithm in VARIANTS if algorithm in set(runs["algorithm"])}
    all_eps = paired_speedups(table, "iterations")
    increase = all_eps[all_eps["algorithm"] == "armijo-increase"]
    curves = []
    for (f, p), part in increase.groupby(["function", "function_params"], sort=False):
        curve = part.groupby("eps")["ratio"].median()
        curve = curve[np.isfinite(curve) & (curve > 0)]
        curves.append({"label": _label(f, p), "eps": curve.index.tolist(), "speedup": curve.to_numpy().tolist()})

    increase_runs = runs[runs["algorithm"] == "armijo-increase"]
    measured_price = float(increase_runs["evals_per_iteration"].median())
    price_range = [float(increase_runs["evals_per_iteration"].min()), float(increase_runs["evals_per_iteration"].max())]
    long_runs = increase_runs[increase_runs["total_iterations"] >= 1000]
    long_price = float(long_runs["evals_per_iteration"].median()) if len(long_runs) else float("nan")
    telescoping = runs[runs["algorithm"].isin(TELESCOPING) & (runs["status"] == "converged")]
    identity_error = float((telescoping["total_f_evals"] - telescoping["t4_f_evals"]).abs().max()) \
        if len(telescoping) else float("nan")
    price_by_algorithm = {a: float(runs.loc[runs["algorithm"] == a, "evals_per_iteration"].median())
                          for a in VARIANTS if a in set(runs["algorithm"])}
    status_counts = {f"{_label(f, p)} {a}": {s: int(n) for s, n in part["status"].value_counts().items()}
                     for (f, p, a), part in runs.groupby(["function", "function_params", "algorithm"], sort=False)}
    its, evals = medians["iterations"], medians["f_evals"]
    wins = {a: [label for label, v in evals[a].items() if np.isfinite(v) and v > 1.0] for a in algorithms}
    eps_min = tail.groupby(["function", "function_params"])["eps"].min()
    lines = ["| function | smallest eps | " + " | ".join(f"{a} (its / f-evals)" for a in algorithms) + " |",
             "|---|---|" + "---|" * len(algorithms)]
    for (f, p), label in zip(keys, labels):
        cells = [f"{its[a][label]:.3g} / {evals[a][label]:.3g}" for a in algorithms]
        lines.append(f"| {label} | {eps_min[(f, p)]:.0e} | " + " | ".join(cells) + " |")
    return {
        "labels": labels, "algorithms": algorithms, "speedups": speedups, "price": price, "t4_mean": t4_mean,
        "increase_curves": curves, "f2": params["f2"], "eps_min": eps_min,
        "starts": int(table.groupby(["function", "function_params", "algorithm"])["start"].nunique().max()),
        "numbers": {"speedup_iterations": its, "speedup_f_evals": evals,
                    "f_evals_per_iteration_median": price_by_algorithm,
                    "armijo_increase_f_evals_per_iteration": {"median": measured_price, "range": price_range,
                                                              "median_runs_ge_1000_iterations": long_price,
                                                              "t4_mean": t4_mean},
                    "t4_identity_max_abs_error": identity_error,
                    "faster_in_f_evals": wins,
                    "not_converged_statuses": {k: v for k, v in status_counts.items() if set(v) - {"converged"}}},
        "table_markdown": lines, "verdicts": verdict_rows(table)}


#: The rows of the strip under the speed-up panels: a median ratio that is no number on the log axis.
MISSES = ("variant missed eps", "armijo missed eps")


def draw(numbers, figures):
    """Top: paired speed-ups over armijo at each function's smallest eps, in iterations and in f-evals (bars:
    medians, whiskers: quartiles where they are ratios); where the median is no ratio (the variant missed eps,
    0, or armijo did, infinite) a mark in the strip under the panel. Bottom left: f-evals per iteration against
    T4's mean. Bottom right: armijo-increase's speed-up against eps."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    labels, algorithms, t4_mean = numbers["labels"], numbers["algorithms"], numbers["t4_mean"]
    figure, axes = plt.subplots(2, 2, figsize=(13, 10))
    width = 0.8 / len(algorithms)
    x = np.arange(len(labels))
    for panel, quantity, title in ((axes[0, 0], "iterations", "iterations"), (axes[0, 1], "f_evals", "f-evals")):
        strip = failure_strip(panel, MISSES, size="14%")
        for k, algorithm in enumerate(algorithms):
            spread = numbers["speedups"][quantity][algorithm]
            values, lows, highs = (np.array(spread[key], dtype=float) for key in ("median", "low", "high"))
            position = x + (k - (len(algorithms) - 1) / 2) * width
            ratio = np.isfinite(values) & (values > 0)
            # whiskers only to quartiles that are ratios themselves (a quartile of misses is no number)
            below = np.where(np.isfinite(lows) & (lows > 0), values - lows, 0.0)
            above = np.where(np.isfinite(highs), highs - values, 0.0)
            colour = f"C{k}"
            panel.bar(position[ratio], values[ratio], width, label=algorithm, color=colour,
                      yerr=[np.clip(below[ratio], 0, None), np.clip(above[ratio], 0, None)],
                      error_kw={"elinewidth": 0.8, "capsize": 1.5}, log=True)
            strip.plot(position[values == 0], np.zeros(int((values == 0).sum())), "x", color=colour, ms=6, mew=1.5)
            strip.plot(position[np.isinf(values)], np.ones(int(np.isinf(values).sum())), "^", color=colour, ms=6)
        panel.axhline(1.0, color="k", lw=0.8)
        strip.set_xticks(x)
        strip.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
        panel.set_ylabel(f"speed-up in {title}: armijo / variant")
        panel.set_title(f"Speed-up in {title} at each function's smallest eps\n(median, quartiles over starts)",
                        fontsize=10)
        panel.grid(True, axis="y", which="major", alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    handles += [Line2D([], [], ls="none", marker="x", color="k", ms=6, mew=1.5, label="strip: the variant missed eps"),
                Line2D([], [], ls="none", marker="^", color="k", ms=6, label="strip: armijo missed eps")]
    legend_outside(axes[0, 1], handles=handles, labels=[h.get_label() for h in handles], fontsize=8)

    price = axes[1, 0]
    width_all = 0.8 / len(VARIANTS)
    for k, (algorithm, values) in enumerate(numbers["price"].items()):
        price.bar(x + (k - (len(VARIANTS) - 1) / 2) * width_all, values, width_all, label=algorithm, log=True)
    price.axhline(t4_mean, color="k", ls="--", lw=1, label=f"T4 mean 1 + log f2/log f1 = {t4_mean:.2f}")
    price.set_xticks(x)
    price.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    price.set_ylabel("f-evals per iteration\n(whole run, median over starts)")
    price.set_title("The price per iteration (T4)", fontsize=10)
    price.set_ylim(0.8, 300)
    price.legend(fontsize=8, ncol=2, loc="upper left")
    price.grid(True, axis="y", which="major", alpha=0.3)

    curves = axes[1, 1]
    for curve in numbers["increase_curves"]:
        curves.loglog(curve["eps"], curve["speedup"], "o-", ms=3, label=curve["label"])
    curves.axhline(t4_mean, color="k", ls="--", lw=1, label="price per iteration (T4)")
    curves.axhline(1.0, color="k", lw=0.8)
    curves.invert_xaxis()
    curves.set_xlabel("eps")
    curves.set_ylabel("median speed-up in iterations,\narmijo / armijo-increase")
    curves.set_title("armijo-increase: speed-up in iterations as eps decreases\n"
                     "(above the dashed line it also saves f-evals)", fontsize=10)
    legend_outside(curves, fontsize=8)
    curves.grid(True, which="major", alpha=0.3)
    figure.tight_layout()
    save_figure(figure, figures, NAME)


def _range(values):
    finite = [v for v in values if np.isfinite(v)]
    return (min(finite), max(finite)) if finite else (float("nan"), float("nan"))


def caption(numbers):
    """What the figure shows, with every number from :func:`summarize`."""
    headline = numbers["numbers"]
    its, evals, wins = headline["speedup_iterations"], headline["speedup_f_evals"], headline["faster_in_f_evals"]
    gains = {a: (_range(its[a].values()), _range(evals[a].values())) for a in numbers["algorithms"]}
    price = headline["armijo_increase_f_evals_per_iteration"]
    eps_min = numbers["eps_min"]
    return (
        f"Paired speed-ups over armijo (reference defaults eta0 = 0.1, lam = 0.5, f1 = 2, f2 = {numbers['f2']:g}; "
        f"{numbers['starts']} starts per function from the registry's distribution, the same for every variant; "
        f"eps from 1e-1 to each function's smallest eps, {eps_min.max():.0e} to {eps_min.min():.0e}). Top: median "
        "ratio N_armijo / N_variant at the smallest eps (bars: median, whiskers: quartiles where they are ratios), in "
        "iterations and in f-evals; where the median start of a variant missed that eps (e.g. armijo-memory, whose "
        "step never grows back) there is no bar but an x in the strip under the panel (a triangle where armijo "
        f"missed it). armijo-increase: speed-up {gains['armijo-increase'][0][0]:.3g}x to "
        f"{gains['armijo-increase'][0][1]:.3g}x in iterations, {gains['armijo-increase'][1][0]:.3g}x to "
        f"{gains['armijo-increase'][1][1]:.3g}x in f-evals (faster in f-evals on {len(wins['armijo-increase'])} of "
        f"{len(numbers['labels'])} functions); armijo-dichotomy: "
        f"{gains['armijo-dichotomy'][0][0]:.3g}x to {gains['armijo-dichotomy'][0][1]:.3g}x in iterations, "
        f"{gains['armijo-dichotomy'][1][0]:.3g}x to {gains['armijo-dichotomy'][1][1]:.3g}x in f-evals "
        f"(faster in f-evals on {len(wins['armijo-dichotomy'])}). Bottom left: f-evals per iteration over whole runs; "
        f"armijo-increase spends a median {price['median']:.2f} (range {price['range'][0]:.2f}-"
        f"{price['range'][1]:.2f}; {price['median_runs_ge_1000_iterations']:.2f} on runs of >= 1000 iterations) "
        f"against the T4 long-run mean {numbers['t4_mean']:.2f}; the telescoped T4 count matches the measured total "
        f"f-evals of every converged armijo-memory/increase/normalized run within "
        f"{headline['t4_identity_max_abs_error']:.3g} evaluations. Bottom right: the median iteration speed-up of "
        f"armijo-increase against eps; above the dashed line (the price per iteration) it also saves f-evals.")


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption, the numbers and the table of REPORT.md."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "numbers": numbers["numbers"], "verdicts": numbers["verdicts"],
            "table_markdown": numbers["table_markdown"]}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
