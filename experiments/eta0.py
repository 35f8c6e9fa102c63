"""Sensitivity to the initial step: N(eps) and f-evals of every Armijo variant against eta0, and of gd against eta.

Claim checked: what a line search saves in tuning.  Fixed-step ``gd`` converges only in a
band of steps (it diverges above about ``2/L`` on the region it crosses, and exhausts any
budget below); the Armijo variants accept every ``eta0``.  ``armijo`` (reset) and
``armijo-memory`` never take a step above ``eta0``, so below the ``1/L`` scale they are
fixed-step GD with step ``eta0`` and their cost grows like ``1/eta0``; above it they pay
``log_f1(eta0 L)`` backtracks per iteration (``armijo``) or once (``armijo-memory``).
``armijo-increase``, ``armijo-dichotomy`` and ``armijo-normalized`` grow the trial by ``f2``
and forget ``eta0`` after a few iterations.  Functions: ``poly-two`` (single neuron,
starts uniform in ``[-3, 3]^2``; not L-smooth, so gd diverges from far starts) and
``logistic`` (400 samples, 10 features; L-smooth with bounded gradient, so too large a fixed
step oscillates instead of diverging), the same generic starts for every step.  (Rosenbrock
would fit the claim too, but its Armijo runs take 10 to 15 s per step: over the budget.)
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.machinery.study import (failure_strip, legend_outside, main, median_curve, nearest_eps, save_figure,
                                         verdict_rows)
from functions.labels import function_label
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid

NAME = "eta0"
VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
GRID = {
    "functions": [{"function": "poly-two", "params": {}},
                  {"function": "logistic", "params": {"samples": 400, "features": 10}}],
    "algorithms": VARIANTS + ["gd"],
    # the scanned step: eta0 of the Armijo variants, eta of gd; the other parameters are the reference defaults
    # lam = 0.5, f1 = 2, f2 = 1e4
    "step_exponents": [-4, 4, 2],  # 10^-4 .. 10^4, 2 per decade
    "starts": 8,  # the registry's start distribution, the same seed for every step
    "seed": 11,
    "eps": {"from": 1e-1, "to": 1e-6, "per_decade": 2},
    "headline_eps": 1e-6,
    "max_iter": 10_000,
}
QUICK = {"functions": [{"function": "poly-two", "params": {}}], "step_exponents": [-2, 2, 1], "starts": 2,
         "eps": {"from": 1e-1, "to": 1e-3, "per_decade": 2}, "max_iter": 3_000}


def steps(exponents):
    """The scanned steps of ``[low, high, per_decade]``: ``10^low .. 10^high``, ``per_decade`` per decade."""
    low, high, per_decade = exponents
    return [float(v) for v in np.logspace(low, high, (high - low) * per_decade + 1)]


def cases(quick=False):
    grid = expand_grid(GRID, QUICK, quick)
    out = []
    for entry in grid["functions"]:
        for algorithm in grid["algorithms"]:
            name = "eta" if algorithm == "gd" else "eta0"
            for step in steps(grid["step_exponents"]):
                out.append(Case(experiment=NAME, function=entry["function"], function_params=entry["params"],
                                algorithm=algorithm, algorithm_params={name: step}, eps=grid["eps"],
                                max_iter=grid["max_iter"], starts=grid["starts"], seed=grid["seed"],
                                labels={"step": step}))
    return out


# -- plot ---------------------------------------------------------------------------------------

FAILED = ("diverged", "non_finite")
STYLE = {"armijo": ("o-", "C0"), "armijo-memory": ("s-", "C1"), "armijo-increase": ("^-", "C2"),
         "armijo-dichotomy": ("v-", "C4"), "armijo-normalized": ("D-", "C5"), "gd": ("x-", "k")}


def step_summary(table, eps):
    """Per (function, algorithm, step): median N and f-evals at ``eps``, and the start statuses."""
    at_eps = table[np.isclose(table["eps"], eps)]
    curve = median_curve(at_eps, ["function", "algorithm", "step"])
    flags = at_eps.assign(hit=at_eps["iterations"] >= 0, failed=at_eps["status"].isin(FAILED))
    statuses = flags.groupby(["function", "algorithm", "step"], sort=False).agg(
        reached=("hit", "sum"), starts=("hit", "size"), failed=("failed", "sum")).reset_index()
    return curve.merge(statuses, on=["function", "algorithm", "step"])


def sensitivity(rows):
    """Numbers of one (function, algorithm): max/min of median N and f-evals, the band where all starts reach eps."""
    rows = rows.sort_values("step")
    everywhere = rows["reached"] == rows["starts"]
    finite_n = rows["iterations_censored"][everywhere]
    finite_f = rows["f_evals_censored"][everywhere]
    band = rows["step"][everywhere]
    return {
        "steps": int(len(rows)),
        "steps_all_starts_reach_eps": int(everywhere.sum()),
        "steps_with_failed_starts": int((rows["failed"] > 0).sum()),
        "band": [float(band.min()), float(band.max())] if len(band) else None,
        "band_decades": float(np.log10(band.max() / band.min())) if len(band) else 0.0,
        "iterations_min": float(finite_n.min()) if len(finite_n) else None,
        "iterations_max": float(finite_n.max()) if len(finite_n) else None,
        "iterations_max_over_min": float(finite_n.max() / finite_n.min()) if len(finite_n) else None,
        "f_evals_max_over_min": float(finite_f.max() / finite_f.min()) if len(finite_f) else None,
    }


def summarize(table):
    """The numbers of the figure and the caption, from the tidy table only.

    Returns
    -------
    dict
        ``headline_eps`` (the grid's threshold nearest to ``GRID["headline_eps"]``), ``budget``, ``functions``
        (and their ``labels``),
        ``steps`` (scanned), ``starts``, ``curves`` (:func:`step_summary` at the headline eps) and
        ``numbers[function][algorithm]`` (:func:`sensitivity`).
    """
    eps = nearest_eps(table, GRID["headline_eps"])
    curves = step_summary(table, eps)
    functions = list(dict.fromkeys(table["function"]))
    numbers = {}
    for function in functions:
        numbers[function] = {}
        for algorithm in STYLE:
            rows = curves[(curves["function"] == function) & (curves["algorithm"] == algorithm)]
            if not rows.empty:
                numbers[function][algorithm] = sensitivity(rows)
    labels = {function: function_label(function, table.loc[table["function"] == function, "function_params"].iloc[0])
              for function in functions}
    return {"headline_eps": eps, "budget": int(table["max_iter"].max()), "functions": functions, "labels": labels,
            "steps": np.sort(table["step"].unique()).tolist(), "starts": int(table["start"].max()) + 1,
            "curves": curves, "numbers": numbers, "verdicts": verdict_rows(table, scanned=("step",))}


def draw(numbers, figures):
    """Median N(eps) (top) and f evaluations (bottom) against the step, one column per function; a point only
    where every start reached eps; the steps where some start diverged or ran out of budget in a strip under
    each column, one row per algorithm."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    eps, budget, functions, summary = numbers["headline_eps"], numbers["budget"], numbers["functions"], numbers["curves"]
    failing = [a for a in STYLE if ((summary["algorithm"] == a) & (summary["reached"] < summary["starts"])).any()]
    figure, axes = plt.subplots(2, len(functions), figsize=(5.4 * len(functions) + 1.6, 9.6), squeeze=False)
    for column, function in enumerate(functions):
        strip = failure_strip(axes[1, column], failing, size=f"{8 * len(failing)}%")
        for algorithm, (style, color) in STYLE.items():
            rows = summary[(summary["function"] == function) & (summary["algorithm"] == algorithm)].sort_values("step")
            if rows.empty:
                continue
            complete = rows["reached"] == rows["starts"]
            for row_index, quantity in enumerate(("iterations_censored", "f_evals_censored")):
                axes[row_index, column].loglog(rows["step"], rows[quantity].where(complete), style, color=color, ms=4,
                                               lw=2.2 if algorithm == "gd" else 1.2,
                                               label="gd (x axis: eta)" if algorithm == "gd" else algorithm)
            if algorithm in failing:
                failed = rows[rows["failed"] > 0]
                stalled = rows[~complete & (rows["failed"] == 0)]
                lane = failing.index(algorithm)
                strip.plot(failed["step"], np.full(len(failed), lane), "X", color=color, ms=7)
                strip.plot(stalled["step"], np.full(len(stalled), lane), "|", color=color, ms=9, mew=2)
        strip.set_xlabel("initial step eta0 (Armijo variants) / fixed step eta (gd)")
        for row_index, label in enumerate(("N(eps)", "f evaluations")):
            axis = axes[row_index, column]
            axis.set_ylabel(f"{label} at eps = {eps:.0e},\nmedian over starts")
            axis.grid(True, which="major", alpha=0.3)
        axes[0, column].set_xlabel("initial step eta0 (Armijo variants) / fixed step eta (gd)")
        axes[0, column].set_title(numbers["labels"][function], fontsize=11)
    handles, labels = axes[0, -1].get_legend_handles_labels()
    handles += [Line2D([], [], ls="none", marker="X", color="k", ms=7, label="strip: some start diverged"),
                Line2D([], [], ls="none", marker="|", color="k", ms=9, mew=2,
                       label=f"strip: budget {budget}\nreached by some start")]
    legend_outside(axes[0, -1], handles=handles, labels=[h.get_label() for h in handles], fontsize=8)
    figure.suptitle("Sensitivity to the initial step: every Armijo variant against fixed-step gd\n"
                    "(a point only where every start reached eps; the others in the strip at the bottom)", fontsize=11)
    figure.tight_layout()
    save_figure(figure, figures, NAME)


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption and the numbers of the summary."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "headline_eps": numbers["headline_eps"], "numbers": numbers["numbers"],
            "verdicts": numbers["verdicts"]}


def caption(numbers):
    """What the figure shows, with every number from :func:`summarize`."""
    parts = []
    for function, per_algorithm in numbers["numbers"].items():
        gd = per_algorithm.get("gd", {})
        band = gd.get("band")
        gd_text = (f"gd reaches eps from every start only for eta in [{band[0]:.2g}, {band[1]:.2g}] "
                   f"({gd['band_decades']:.1f} decades; {gd['steps_with_failed_starts']} of {gd['steps']} steps "
                   "diverge from some start)" if band else "gd never reaches eps from every start")
        variant_text = "; ".join(
            f"{algorithm} {values['steps_all_starts_reach_eps']}/{values['steps']} steps, N max/min "
            f"{_ratio(values['iterations_max_over_min'])}, f-evals max/min {_ratio(values['f_evals_max_over_min'])}"
            for algorithm, values in per_algorithm.items() if algorithm != "gd")
        parts.append(f"{numbers['labels'][function]}: {gd_text}; {variant_text}")
    return (f"Median N(eps = {numbers['headline_eps']:.0e}) (top) and f evaluations (bottom) over {numbers['starts']} "
            f"generic starts against the initial step eta0 of every Armijo variant and the fixed step eta of gd, "
            f"{numbers['steps'][0]:.0e} to {numbers['steps'][-1]:.0e} (budget {numbers['budget']} iterations); a point "
            "is drawn only when every start reached eps, and the steps where some start diverged (X) or ran out of "
            "budget (|) are marked in the strip at the bottom, one row per algorithm. Steps are counted as reaching "
            "eps when all starts do. "
            + ". ".join(parts) + ". armijo and armijo-memory cost about 1/eta0 below the 1/L scale (their step never "
            "exceeds eta0); the increasing variants are flat over the whole range.")


def _ratio(value):
    return "-" if value is None else f"{value:.3g}"


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
