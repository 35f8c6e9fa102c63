"""Monomials x^(2p): the fitted exponent of N(eps) against p, for three Armijo variants.

Claim checked: on ``x^(2p)`` (analytic, (L0,L1)-smooth, not L-smooth, degenerate minimum)
``armijo`` is asymptotically fixed-step gradient descent, so ``N(eps) ~ eps^-(2p-2)/(2p-1)``,
below the ``O(1/eps)`` ceiling of the analytic theorem (T3) and tending to it as p grows;
``armijo-memory`` keeps the same exponent where it converges, but its step never grows back
after the first iterations shrank it, so from large starts it runs out of budget;
``armijo-increase`` converges linearly (exponent ~ 0).
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.machinery.study import group_rows, main, save_figure, verdict_rows
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid

NAME = "monomials"
GRID = {
    "function": "monomial",
    "p": [2, 3, 4, 5, 6],
    "algorithms": ["armijo", "armijo-memory", "armijo-increase"],
    "algorithm_params": {},  # the reference defaults: eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4
    "starts": 6,  # from the registry's start distribution (generic points, no lucky exact hits), seed p
    "eps": {"from": 1e-2, "to": 1e-8, "per_decade": 8},  # compiled backend
    "max_iter": 40_000_000,
}
QUICK = {"p": [2, 3], "starts": 3, "eps": {"from": 1e-2, "to": 1e-4, "per_decade": 4}, "max_iter": 50_000}
#: Marker and horizontal offset of each algorithm in the figure.
MARKERS = {"armijo": "o", "armijo-memory": "s", "armijo-increase": "^"}
OFFSETS = {"armijo": -0.08, "armijo-memory": 0.0, "armijo-increase": 0.08}


def predicted_exponent(p):
    """Exponent of fixed-step gradient descent on ``x^(2p)``: ``(2p-2)/(2p-1)``."""
    return (2 * p - 2) / (2 * p - 1)


def cases(quick=False):
    grid = expand_grid(GRID, QUICK, quick)
    return [Case(experiment=NAME, function=grid["function"], function_params={"p": p}, algorithm=algorithm,
                 algorithm_params=dict(grid["algorithm_params"]), eps=grid["eps"], max_iter=grid["max_iter"],
                 starts=grid["starts"], seed=p, labels={"p": p})
            for p in grid["p"] for algorithm in grid["algorithms"]]


def summarize(table):
    """The numbers of the figure and the caption, from the tidy table only.

    Returns
    -------
    dict
        ``fits[algorithm]`` (per p, in the table's order: model, exponent and its 95% interval),
        ``exponents[algorithm][p]``, ``models[algorithm][p]``, ``predicted`` (the rate predicted at the
        limit point of each case's largest group, where the steps settle: p, algorithm, exponent),
        ``max_abs_deviation_armijo`` (from (2p-2)/(2p-1)), ``memory_stalled`` and ``memory_runs`` (the
        runs of armijo-memory that ran out of budget, and all of them), ``starts``, ``budget``,
        ``eps_range`` (largest, smallest) and ``verdicts``.
    """
    fits = table.drop_duplicates(["p", "algorithm"])[
        ["p", "algorithm", "case_model", "case_exponent", "case_exponent_ci_low", "case_exponent_ci_high"]]
    numbers = {"fits": {}, "exponents": {}, "models": {}}
    for algorithm, group in fits.groupby("algorithm", sort=False):
        group = group.sort_values("p")
        numbers["fits"][algorithm] = {"p": group["p"].astype(int).tolist(), "model": group["case_model"].tolist(),
                                      "exponent": group["case_exponent"].tolist(),
                                      "ci_low": group["case_exponent_ci_low"].tolist(),
                                      "ci_high": group["case_exponent_ci_high"].tolist()}
        numbers["models"][algorithm] = dict(zip(group["p"].astype(int), group["case_model"]))
        numbers["exponents"][algorithm] = {int(p): float(e) for p, e in zip(group["p"], group["case_exponent"])}
    largest = group_rows(table, extra=["p"])
    largest = largest[(largest["limit_group"] == 0) & largest["group_predicted_model"].notna()]
    numbers["predicted"] = {"p": largest["p"].tolist(), "algorithm": largest["algorithm"].tolist(),
                            "exponent": largest["group_predicted_exponent"].tolist()}
    armijo = numbers["exponents"].get("armijo", {})
    numbers["max_abs_deviation_armijo"] = max((abs(e - predicted_exponent(p)) for p, e in armijo.items()),
                                              default=float("nan"))
    memory = table[table["algorithm"] == "armijo-memory"].drop_duplicates(["p", "start"])
    numbers["memory_stalled"] = int((memory["status"] == "max_iter").sum())
    numbers["memory_runs"] = int(len(memory))
    numbers["starts"] = int(table["start"].max()) + 1
    numbers["budget"] = int(table["max_iter"].max())
    numbers["eps_range"] = [float(table["eps"].max()), float(table["eps"].min())]
    numbers["verdicts"] = verdict_rows(table)
    return numbers


def draw(numbers, figures):
    """The fitted exponent of every algorithm against p with its interval, the fixed-step curve
    (2p-2)/(2p-1), the O(1/eps) ceiling and the rate predicted at the limit point."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.4))
    every_p = [p for fit in numbers["fits"].values() for p in fit["p"]]
    ps = np.linspace(min(every_p) - 0.2, max(every_p) + 0.2, 100)
    axes.plot(ps, predicted_exponent(ps), "k-", lw=1, label="(2p-2)/(2p-1): fixed-step GD")
    axes.axhline(1.0, color="gray", ls=":", label="O(1/eps) ceiling (T3)")
    for algorithm, fit in numbers["fits"].items():
        p, exponent = np.array(fit["p"], dtype=float), np.array(fit["exponent"], dtype=float)
        low, high = np.array(fit["ci_low"], dtype=float), np.array(fit["ci_high"], dtype=float)
        linear = np.array([model == "logarithmic" for model in fit["model"]], dtype=bool)
        colour = f"C{list(MARKERS).index(algorithm) if algorithm in MARKERS else 0}"
        x = p + OFFSETS.get(algorithm, 0)
        if (~linear).any():
            axes.errorbar(x[~linear], exponent[~linear],
                          yerr=[np.nan_to_num(np.clip(exponent - low, 0, None))[~linear],
                                np.nan_to_num(np.clip(high - exponent, 0, None))[~linear]],
                          fmt=MARKERS.get(algorithm, "o"), ms=5, capsize=3, color=colour, label=algorithm)
        if linear.any():  # linear convergence: a model of its own, drawn at 0 with an open marker
            axes.plot(x[linear], np.zeros(int(linear.sum())), MARKERS.get(algorithm, "o"),
                      mfc="none", ms=7, color=colour, label=f"{algorithm}: logarithmic (linear)")
    predicted = numbers["predicted"]
    if predicted["p"]:  # predicted from theta at the limit point (largest group), where the steps settle
        axes.plot(np.array(predicted["p"], dtype=float) + np.array([OFFSETS.get(a, 0) for a in predicted["algorithm"]])
                  + 0.04, predicted["exponent"], "_", color="k", ms=10, mew=1.5,
                  label="predicted from theta at the limit point")
    axes.set_xlabel("p  (f = x^(2p))")
    axes.set_ylabel("exponent p of N(eps) ~ eps^-p")
    axes.set_title("Monomials: measured exponent against the fixed-step prediction")
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)
    save_figure(figure, figures, NAME)


def caption(numbers):
    """What the figure shows, with every number from :func:`summarize`."""
    models = numbers["models"].get("armijo-increase", {})
    return (f"Fitted exponent of N(eps) on x^(2p) ({numbers['starts']} starts per point from the registry's start "
            f"distribution, eps from {numbers['eps_range'][0]:g} to {numbers['eps_range'][1]:g}, 95% intervals of the "
            f"exponent as eps -> 0, drift and model uncertainty included, budget {numbers['budget']} iterations, compiled backend). "
            f"armijo follows (2p-2)/(2p-1) within {numbers['max_abs_deviation_armijo']:.1e}; armijo-increase: models "
            f"{', '.join(f'p={p} {m}' for p, m in models.items())} "
            "(logarithmic = linear convergence, drawn open at 0). armijo-memory "
            f"never increases its step: {numbers['memory_stalled']} of {numbers['memory_runs']} of its runs kept the "
            "tiny step of their first iterations and ran out of budget (missing points have no fit). "
            "All fitted exponents stay below the O(1/eps) ceiling of T3.")


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption and the numbers of the summary."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "numbers": numbers["exponents"],
            "models": {a: {str(p): m for p, m in v.items()} for a, v in numbers["models"].items()},
            "max_abs_deviation_armijo": numbers["max_abs_deviation_armijo"], "verdicts": numbers["verdicts"]}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
