"""The author's single-neuron protocol for every algorithm: which minimum, how fast, how often no minimum.

Protocol (B. Bensaid's public code, github.com/bbensaid30/COptimizers: ``Mains/test_polys.txt`` and
``test.cpp``): one neuron with data ``X = (0, 1)``, ``Y = (0, 0)`` and squared loss, i.e.
``R(w, b) = 1/2 [a(b)^2 + a(w + b)^2]`` for a polynomial activation ``a`` (registry ``poly-two``, the
activation ``z^2 - 1`` with minima ``(w, b) = (-2, 1), (2, -1), (0, -1), (0, 1)``, and ``poly-three``,
``poly-four``, ``poly-five``, ``poly-eight``); 10,000 starts uniform in ``[-3, 3]^2``; a run stops when
``||grad R|| < eps = 1e-9`` or after 60,000 iterations; a converged run is assigned to the minimum within
0.05 of its last iterate (else "far": converged elsewhere, e.g. at a saddle); a run that did not converge
has diverged when its last gradient norm exceeds 1000 or is not finite, else it is a non-convergence.
Reported per minimum: the share of starts, the mean iterations and the mean function evaluations per
iteration over the starts that reached it; then the shares of non-convergence and divergence.  The
author's defaults: ``eta0 = 0.1, f1 = 2, f2 = 1e4, lam = 0.5`` (the suite's Armijo defaults),
``learning_rate = 0.1`` and ``clip = 1/learning_rate`` for the fixed-step methods.

Ours: every algorithm of the suite, the Armijo variants and the baselines with those defaults, the rivals
with theirs (``polyak``: the registry's f*; ``l0l1-gd``: the (L0, L1) pair of the Pareto front sampled on
a 101 x 101 grid of the start box; ``normalized-gd-decay``: R = 1).  The full 10,000 starts for
``poly-two``; 1,000 for the four other activations (cost: a method that never converges runs
60,000 iterations from every start; a share then has a binomial standard error below 1.6%).  Starts are
drawn with our generator (seed 0), not the author's.  The existing ``basins`` study (1,000 starts, three
Armijo variants, eps 1e-4, rates and T3 per reached point) is kept: it answers another question.

A check with known truth: ``z^2 - 1`` and ``z^4 - 2 z^2 + 3`` are even, so ``R(-w, -b) = R(w, b)`` and
every algorithm (its steps are odd in the gradient) maps a start's run to the mirrored run: mirrored
minima, ``(w, b)`` and ``(-w, -b)``, must get equal shares up to the sampling error of the starts
(binomial standard error ``sqrt(s (1 - s) / n)``).  (The loss is separable in ``(b, w + b)``, but the
gradient flow in ``(w, b)`` is not: ``d(b, w+b)/dt = -[[1, 1], [1, 2]] grad_(b, w+b) R``, so its basins are not
the quadrants of ``(b, w + b)``.)
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

from armijo import ALGORITHMS
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid
from experiments.machinery.study import main, save_figure
from experiments.reproduction import LABELS, markdown_table, uses_f

NAME = "neuron_protocol"
FUNCTIONS = ["poly-two", "poly-three", "poly-four", "poly-five", "poly-eight"]
METHODS = list(ALGORITHMS)
EPS = 1e-9
MAX_ITER = 60_000
NEIGHBOURHOOD = 0.05
DIVERGENCE_GRADIENT = 1000.0
LEARNING_RATE = 0.1
BOX = (-3.0, 3.0)
#: Outcome codes of a start (the author's: the index of the minimum, else these).
FAR, NON_CONVERGENCE, DIVERGENCE = -1, -2, -3
OUTCOMES = {FAR: "far from every minimum", NON_CONVERGENCE: "non-convergence", DIVERGENCE: "divergence"}
#: Activations that are even functions: R(-w, -b) = R(w, b) (module docstring).
EVEN = ("poly-two", "poly-four")
GRID = {
    "functions": FUNCTIONS,
    "algorithms": METHODS,
    "starts": {"poly-two": 10_000, "others": 1_000},
    "start_distribution": "uniform in [-3, 3]^2 (the registry's sample_starts), seed 0, same starts for every algorithm",
    "eps": EPS,
    "max_iter": MAX_ITER,
    "assignment": f"converged and within {NEIGHBOURHOOD} of a minimum; not converged: divergence if the last "
                  f"||grad|| > {DIVERGENCE_GRADIENT:g} or not finite, else non-convergence",
    "parameters": {"Armijo variants": "eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4",
                   "gd, normalized-gd, adam": f"eta = {LEARNING_RATE}",
                   "clipped-gd": f"eta = {LEARNING_RATE}, gamma = {1 / LEARNING_RATE:g}",
                   "polyak": "f_star = the registry's inf f", "polyak-level, adgd": "defaults",
                   "l0l1-gd": "(L0, L1): the Pareto pair (L0 + L1 at eps = 1) sampled on a 101 x 101 grid of [-3, 3]^2",
                   "normalized-gd-decay": "R = 1"},
    "backend": "compiled, no trace",
}
QUICK = {"functions": ["poly-two", "poly-five"], "starts": {"poly-two": 40, "others": 40}, "max_iter": 3_000}
#: Grid points per side of the box on which l0l1-gd's (L0, L1) are sampled.
BOX_SAMPLES = 101


def box_constants(objective, samples=BOX_SAMPLES):
    """``{"L0", "L1"}``: the suite's (L0, L1) pair (theory.estimators.PAIR_RULE) on a grid of the start box."""
    from theory.estimators import l0l1_pareto_front

    axis = np.linspace(*BOX, samples)
    points = np.array(np.meshgrid(axis, axis)).reshape(2, -1).T
    hess_norms = np.linalg.norm(objective.hess(points), ord=2, axis=(1, 2))
    grad_norms = np.linalg.norm(objective.grad(points), axis=1)
    front = l0l1_pareto_front(grad_norms, hess_norms, sampled_on=f"a {samples} x {samples} grid of [-3, 3]^2")
    return {"L0": float(front.L0), "L1": float(front.L1)}


def method_params(algorithm, objective):
    """The parameters of ``algorithm`` on ``objective`` under the protocol (GRID["parameters"])."""
    if algorithm in ("gd", "normalized-gd", "adam"):
        return {"eta": LEARNING_RATE}
    if algorithm == "clipped-gd":
        return {"eta": LEARNING_RATE, "gamma": 1.0 / LEARNING_RATE}
    if algorithm == "polyak":
        return {"f_star": float(objective.f_star)}
    if algorithm == "l0l1-gd":
        return box_constants(objective)
    if algorithm == "normalized-gd-decay":
        return {"R": 1.0}
    return {}


def cases(quick=False):
    """One piece per (activation, algorithm), poly-two first (its pieces are the largest)."""
    import functions

    grid = expand_grid(GRID, QUICK, quick)
    out = []
    for name in grid["functions"]:
        objective = functions.get(name)
        starts = grid["starts"].get(name, grid["starts"]["others"])
        for algorithm in grid["algorithms"]:
            out.append(Case(experiment=NAME, function=name, function_params={}, algorithm=algorithm,
                            algorithm_params=method_params(algorithm, objective), eps=(grid["eps"],),
                            max_iter=grid["max_iter"], starts=starts, seed=0))
    return out


def minima_of(objective):
    """The minima of a benchmark (degenerate ones included), in registry order."""
    return [point for point in objective.critical_points if point.kind.endswith("minimum")]


def assign(status, x, grad_norm, minima, neighbourhood=NEIGHBOURHOOD, divergence=DIVERGENCE_GRADIENT):
    """The author's outcome of every start: index of the minimum, or FAR, NON_CONVERGENCE, DIVERGENCE.

    Parameters
    ----------
    status : ndarray of str, shape (B,)
        The engine's statuses (``converged`` means ``||grad|| <= eps``).
    x : ndarray, shape (B, 2)
        Last iterates.
    grad_norm : ndarray, shape (B,)
        Last gradient norms.
    minima : sequence of CriticalPoint
        The benchmark's minima.
    """
    centres = np.array([point.x for point in minima], dtype=float)
    with np.errstate(all="ignore"):
        distances = np.linalg.norm(x[:, None, :] - centres[None, :, :], axis=2)
    distances = np.where(np.isfinite(distances), distances, np.inf)
    nearest = np.argmin(distances, axis=1)
    close = distances[np.arange(len(x)), nearest] <= neighbourhood
    converged = status == "converged"
    with np.errstate(invalid="ignore"):
        diverged = ~np.isfinite(grad_norm) | (grad_norm > divergence)
    return np.where(converged, np.where(close, nearest, FAR), np.where(diverged, DIVERGENCE, NON_CONVERGENCE))


def run_piece(case):
    """Run one (activation, algorithm) from every start (compiled, no trace, no assessment) and assign it.

    One row per start with the standard columns, then ``x0_w``, ``x0_b``, the totals, the last iterate and
    gradient norm, and ``outcome`` (index into the minima, or a negative code).
    """
    from experiments.machinery.pieces import objective_for, piece_threads, starts_for
    from armijo.backend import run_minimize

    objective = objective_for(case.function, case.function_params)
    starts = starts_for(case, objective)
    result = run_minimize(objective, starts, case.algorithm, threads=piece_threads(), eps=case.eps,
                          max_iter=case.max_iter, **case.algorithm_params)
    outcome = assign(result.status, result.x, result.grad_norm, minima_of(objective))
    return pd.DataFrame({
        "experiment": case.experiment, "function": case.function,
        "function_params": json.dumps(case.function_params, sort_keys=True), "algorithm": case.algorithm,
        "algorithm_params": json.dumps(result.params, sort_keys=True), "start": np.arange(result.starts),
        "eps": float(result.eps[0]), "iterations": result.eps_hits[:, 0], "f_evals": result.eps_hit_f_evals[:, 0],
        "grad_evals": result.eps_hit_grad_evals[:, 0], "status": result.status, "backend": result.backend,
        "max_iter": case.max_iter, "x0_w": starts[:, 0], "x0_b": starts[:, 1],
        "total_iterations": result.iterations, "total_f_evals": result.f_evals,
        "total_grad_evals": result.grad_evals,
        "final_w": result.x[:, 0], "final_b": result.x[:, 1], "final_grad_norm": result.grad_norm,
        "outcome": outcome,
    })


def summarize(table):
    """Per (activation, algorithm): the author's numbers, and for the even activations the symmetry check.

    Returns
    -------
    dict
        ``functions``, ``methods``, ``starts`` (per activation), ``minima[function]`` (points and values),
        ``rows[function][algorithm]``: ``share``, ``mean_iterations`` and ``f_evals_per_iteration`` per
        minimum (lists in registry order; None where no start reached it), ``far``, ``non_convergence``,
        ``divergence`` (shares), ``statuses`` (the engine's counts), ``global_share`` (starts at a minimum of
        value f*), ``floor`` (starts stopped at the precision or the noise floor, counted by the author's rule as
        non-convergence); ``symmetry[function][algorithm]`` (even activations: the largest difference between
        the shares of two mirrored minima, and its binomial standard error).
    """
    import functions

    present = [f for f in FUNCTIONS if f in set(table["function"])]
    methods = [m for m in METHODS if m in set(table["algorithm"])]
    rows, minima, starts, symmetry = {}, {}, {}, {}
    for function in present:
        objective = functions.get(function)
        points = minima_of(objective)
        minima[function] = [{"w": float(p.x[0]), "b": float(p.x[1]), "value": float(p.value)} for p in points]
        part = table[table["function"] == function]
        starts[function] = int(part.groupby("algorithm").size().max())
        rows[function] = {}
        for algorithm, runs in part.groupby("algorithm", sort=False):
            count = len(runs)
            outcome = runs["outcome"].to_numpy()
            # the method's own f evaluations: all but f(x0) for the line searches and Polyak steps; none for the
            # gradient-only methods (their last f is the suite's measurement; no trace here)
            own = runs["total_f_evals"] - 1 if uses_f(algorithm) else 0 * runs["total_f_evals"]
            per_iteration = own / runs["total_iterations"].where(runs["total_iterations"] > 0)
            entry = {"share": [], "mean_iterations": [], "f_evals_per_iteration": []}
            for index in range(len(points)):
                here = outcome == index
                entry["share"].append(float(here.mean()))
                entry["mean_iterations"].append(float(runs["total_iterations"][here].mean()) if here.any() else None)
                entry["f_evals_per_iteration"].append(float(per_iteration[here].mean()) if here.any() else None)
            entry.update({name: float((outcome == code).mean()) for code, name in
                          ((FAR, "far"), (NON_CONVERGENCE, "non_convergence"), (DIVERGENCE, "divergence"))})
            entry["global_share"] = float(sum(share for share, p in zip(entry["share"], points)
                                              if np.isclose(p.value, objective.f_star)))
            entry["statuses"] = {str(k): int(v) for k, v in runs["status"].value_counts().items()}
            entry["floor"] = float(runs["status"].isin(FLOOR_STATUSES).mean())
            entry["starts"] = count
            rows[function][algorithm] = entry
            if function in EVEN:
                symmetry.setdefault(function, {})[algorithm] = mirrored_share_gap(points, entry["share"], count)
    return {"functions": present, "methods": methods, "starts": starts, "minima": minima, "rows": rows,
            "symmetry": symmetry}


def mirrored_share_gap(points, shares, starts):
    """The largest |share(x*) - share(-x*)| over the minima, and the binomial standard error of that difference."""
    index = {(round(float(p.x[0]), 9), round(float(p.x[1]), 9)): i for i, p in enumerate(points)}
    gap, error = 0.0, 0.0
    for i, p in enumerate(points):
        j = index.get((round(-float(p.x[0]), 9), round(-float(p.x[1]), 9)))
        if j is not None and abs(shares[i] - shares[j]) >= gap:
            gap = abs(shares[i] - shares[j])
            error = float(np.sqrt((shares[i] * (1 - shares[i]) + shares[j] * (1 - shares[j])) / starts))
    return {"gap": gap, "standard_error": error}


#: Colours of the outcomes in the bars: minima from a qualitative map, failures in greys and red.
FAILURE_COLOURS = {"far": "khaki", "non_convergence": "lightgray", "floor": "darkgray", "divergence": "tab:red"}
#: The engine statuses of a start stopped where rounding decides the Armijo test.
FLOOR_STATUSES = ("precision_floor", "noise_floor")


def failure_segments(rows, methods):
    """The failure segments of a bar chart: far, non-convergence split into budget (or other) and a floor,
    divergence (label, colour, widths)."""
    floor = [rows[m]["floor"] for m in methods]
    return [(OUTCOMES[FAR], FAILURE_COLOURS["far"], [rows[m]["far"] for m in methods]),
            ("non-convergence: budget", FAILURE_COLOURS["non_convergence"],
             [rows[m]["non_convergence"] - f for m, f in zip(methods, floor)]),
            ("non-convergence: at a floor", FAILURE_COLOURS["floor"], floor),
            (OUTCOMES[DIVERGENCE], FAILURE_COLOURS["divergence"], [rows[m]["divergence"] for m in methods])]


def _point_text(point):
    return f"({point['w']:g}, {point['b']:g})"


def draw(numbers, figures):
    """Top: poly-two, every algorithm's shares per minimum with its failures as bar segments (never as values
    on a log axis), the mean iterations per reached minimum and the f-evaluations per iteration; bottom: the
    shares of the other activations (global minimum, other minima, far, non-convergence, divergence)."""
    import matplotlib.pyplot as plt

    methods = numbers["methods"]
    others = [f for f in numbers["functions"] if f != "poly-two"]
    columns = max(len(others), 4)
    figure = plt.figure(figsize=(3.0 * columns + 2.0, 5.6 + (4.6 if others else 0)))
    grid = figure.add_gridspec(2 if others else 1, columns, height_ratios=[5.6, 4.6] if others else [1])
    y = np.arange(len(methods))[::-1]
    names = [LABELS[m] for m in methods]
    if "poly-two" in numbers["rows"]:
        rows = numbers["rows"]["poly-two"]
        points = numbers["minima"]["poly-two"]
        colours = plt.get_cmap("tab10")([0, 1, 2, 4])
        bars = figure.add_subplot(grid[0, :2])
        left = np.zeros(len(methods))
        segments = [(f"minimum {_point_text(p)}", colours[i % 4], [rows[m]["share"][i] for m in methods])
                    for i, p in enumerate(points)]
        segments += failure_segments(rows, methods)
        for label, colour, widths in segments:
            bars.barh(y, widths, left=left, color=colour, label=label, height=0.8)
            left += np.array(widths)
        bars.set_yticks(y)
        bars.set_yticklabels(names, fontsize=9)
        bars.set_xlim(0, 1)
        bars.set_xlabel("share of starts")
        bars.set_title(f"z^2 - 1: {numbers['starts']['poly-two']} starts", fontsize=10)
        bars.legend(loc="upper left", bbox_to_anchor=(0.0, -0.13), fontsize=9, ncol=3, frameon=False)
        for column, (key, title, log) in enumerate((("mean_iterations", "mean iterations to the minimum", True),
                                                    ("f_evals_per_iteration", "f evaluations per iteration", False)),
                                                   start=2):
            axes = figure.add_subplot(grid[0, column], sharey=bars)
            for i, p in enumerate(points):
                values = [rows[m][key][i] for m in methods]
                shown = [(yy, v) for yy, v in zip(y, values) if v is not None]
                if shown:
                    axes.plot([v for _, v in shown], [yy + 0.15 * (i - 1.5) for yy, _ in shown], "o",
                              color=colours[i % 4], ms=4, ls="none")
            axes.set_xscale("log" if log else "linear")
            axes.set_xlabel("over the starts that reached\neach minimum", fontsize=9)
            axes.tick_params(labelleft=False)
            axes.grid(True, axis="x", alpha=0.3)
            axes.set_title(title, fontsize=10)
    for column, function in enumerate(others):
        axes = figure.add_subplot(grid[1, column])
        rows = numbers["rows"][function]
        left = np.zeros(len(methods))
        global_share = [rows[m]["global_share"] for m in methods]
        other_minima = [sum(rows[m]["share"]) - rows[m]["global_share"] for m in methods]
        for label, colour, widths in (("a global minimum", "#1b9e77", global_share),
                                      ("another minimum", "#7570b3", other_minima),
                                      *failure_segments(rows, methods)):
            axes.barh(y, widths, left=left, color=colour, label=label, height=0.8)
            left += np.array(widths)
        axes.set_yticks(y)
        axes.set_yticklabels(names if column == 0 else [], fontsize=9)
        axes.set_xlim(0, 1)
        axes.set_xlabel("share of starts", fontsize=9)
        axes.set_title(f"{function}: {numbers['starts'][function]} starts", fontsize=10)
        if column == len(others) - 1 and len(others) == columns:
            axes.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=9, frameon=False)
        elif column == len(others) - 1:  # a free slot of the row holds the legend
            key = figure.add_subplot(grid[1, len(others)])
            key.axis("off")
            key.legend(*axes.get_legend_handles_labels(), loc="center left", fontsize=9, frameon=False)
    figure.tight_layout()
    save_figure(figure, figures, NAME)


def _percent(value):
    return "-" if value is None else f"{100 * value:.1f}%"


def _mean(value, spec=".0f"):
    return "-" if value is None else format(value, spec)


def caption(numbers):
    """What the protocol gives, with the symmetry check and the starts stopped at a floor."""
    symmetry = "; ".join(
        f"{function}: largest gap {100 * max(v['gap'] for v in by.values()):.2f}% (standard error of that "
        f"difference {100 * max(v['standard_error'] for v in by.values()):.2f}%; within 3 standard errors for "
        f"{sum(v['gap'] <= 3 * v['standard_error'] + 1e-12 for v in by.values())} of {len(by)} algorithms)"
        for function, by in numbers["symmetry"].items())
    two = numbers["rows"].get("poly-two", {})
    failing = ", ".join(f"{LABELS[m]} {_percent(r['non_convergence'] + r['divergence'])}" for m, r in two.items()
                        if r["non_convergence"] + r["divergence"] > 0.01)
    floors = {f: sum(r["statuses"].get(status, 0) for m, r in rows.items() if m.startswith("armijo")
                  for status in FLOOR_STATUSES)
              for f, rows in numbers["rows"].items()}
    return (
        f"The author's single-neuron protocol (eps = {EPS:g} on ||grad R||, at most {MAX_ITER} iterations, a converged "
        f"start assigned to the minimum within {NEIGHBOURHOOD}, divergence when the last ||grad|| > "
        f"{DIVERGENCE_GRADIENT:g}), every algorithm, compiled backend; starts uniform in [-3, 3]^2 (seed 0): "
        + ", ".join(f"{f} {n}" for f, n in numbers["starts"].items())
        + ". Top: z^2 - 1, shares of the four minima with the failures as bar segments; mean iterations and f "
        "evaluations per iteration (the method's own: 0 for the gradient-only methods) over the starts that "
        "reached each minimum (no marker: no start reached it). Bottom: the other activations. Check with known "
        "truth, mirrored minima (w, b) and (-w, -b) of the even activations get equal shares: " + symmetry
        + f". On z^2 - 1 more than 1% of the starts fail (non-convergence + divergence) for: {failing or 'none'}. "
        "Starts of the Armijo variants stopped at the precision floor or the noise floor, which the author's rule "
        "counts as non-convergence (the Armijo test is decided by rounding: at eps = 1e-9 the decrease is below "
        "the ulps of f where f* is far from 0, poly-four (4) and poly-eight (1), and at the local minima of "
        "poly-three (values 8, 16); or an Armijo decision within the evaluation noise of f, bounded by the "
        "running error of its printed kernel, which armijo-dichotomy meets most near the zero-loss minima): " + ", ".join(f"{f} {n}" for f, n in floors.items())
        + ". We could not retrieve the author's published tables (J. Sci. Comput. 2023 is paywalled; the protocol "
        "comes from the public code): the numbers stand without the author's beside them.")


def table_lines(numbers):
    """REPORT.md: the z^2 - 1 table (every algorithm), then the other activations."""
    lines = []
    if "poly-two" in numbers["rows"]:
        points = numbers["minima"]["poly-two"]
        header = ["algorithm"] + [f"{_point_text(p)}: share / mean N / f-evals per it" for p in points] + [
            "non-convergence", "divergence", "far"]
        rows = []
        for algorithm, r in numbers["rows"]["poly-two"].items():
            rows.append([LABELS[algorithm]] + [
                f"{_percent(s)} / {_mean(n)} / {_mean(e, '.2f')}"
                for s, n, e in zip(r["share"], r["mean_iterations"], r["f_evals_per_iteration"])]
                + [_percent(r["non_convergence"]), _percent(r["divergence"]), _percent(r["far"])])
        lines += [f"z^2 - 1 (poly-two), {numbers['starts']['poly-two']} starts:", ""] + markdown_table(header, rows)
    others = [f for f in numbers["functions"] if f != "poly-two"]
    if others:
        header = ["activation", "algorithm", "global minimum", "other minima", "non-convergence (a floor)",
                  "divergence", "far", "mean N at a minimum", "f-evals per it"]
        rows = []
        for function in others:
            for algorithm, r in numbers["rows"][function].items():
                reached = [(s, n, e) for s, n, e in zip(r["share"], r["mean_iterations"], r["f_evals_per_iteration"])
                           if n is not None]
                total = sum(s for s, _, _ in reached)
                mean_n = sum(s * n for s, n, _ in reached) / total if total else None
                mean_e = sum(s * e for s, _, e in reached) / total if total else None
                rows.append([function, LABELS[algorithm], _percent(r["global_share"]),
                             _percent(sum(r["share"]) - r["global_share"]),
                             f"{_percent(r['non_convergence'])} ({_percent(r['floor'])})",
                             _percent(r["divergence"]), _percent(r["far"]), _mean(mean_n), _mean(mean_e, ".2f")])
        lines += ["", "The other activations, " + ", ".join(f"{f} {numbers['starts'][f]}" for f in others)
                  + " starts:", ""] + markdown_table(header, rows)
    return lines


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption, the numbers and the tables of REPORT.md."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "numbers": numbers, "table_markdown": table_lines(numbers)}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
