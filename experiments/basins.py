"""Basins: which minimum each Armijo variant reaches on the single-neuron benchmarks, and at what cost.

Claim checked: on the author's single-neuron benchmarks (``poly-two`` ... ``poly-eight``,
analytic and coercive, so T3 applies from every start) the variants do not only differ in
speed: from the same start they can reach different critical points.  From 10^3 uniform
starts in ``[-3, 3]^2`` we record, per algorithm, which critical point the final iterate
lies at (nearest point of ``Objective.critical_points`` within ``CLASSIFY_TOLERANCE``),
how often each is reached, and the cost (median ``N(eps)`` and function evaluations) per
reached minimum.  T3 predicts ``N(eps) <= K + C (f(x_K) - f_*)^(1-theta) / ((1-theta) lam
eta_min eps)`` with constants that depend on the critical value crossed and on the basin
(the Lojasiewicz exponent ``theta`` is 1/2 at a non-degenerate minimum and larger at a
degenerate one), so the cost is shown against the reached critical value, degenerate minima
marked.  Starts in ``[-3, 3]^2`` have ``f`` up to ~1.6e16 on ``poly-eight`` (degree 16):
non-finite and diverged statuses are counted and reported.
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.machinery.study import main, rate_text, save_figure, verdict_rows
from experiments.machinery.cases import Case
from experiments.machinery.grid import expand_grid

NAME = "basins"
FUNCTIONS = ["poly-two", "poly-three", "poly-four", "poly-five", "poly-eight"]
ALGORITHMS = ["armijo", "armijo-increase", "armijo-dichotomy"]
#: A final iterate farther than this (Euclidean, in (w, b)) from every critical point is "unclassified".
CLASSIFY_TOLERANCE = 0.05
#: The threshold at which costs are compared (reached by nearly every start on every poly).
COST_EPS = 1e-3
#: A trace point with ``||grad f|| <= LINGER_GRAD`` and ``f`` within ``LINGER_RELATIVE * max(1, |v|)``
#: of a critical value ``v`` other than the reached one counts as lingering at ``v`` (the trace is
#: log-thinned, so only slow passages, the ones that cost iterations, are seen).
LINGER_GRAD = 0.1
LINGER_RELATIVE = 1e-3
GRID = {
    "functions": FUNCTIONS,
    "algorithms": ALGORITHMS,  # reference defaults: eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4
    # uniform in [-3, 3]^2 (the registry's sample_starts), the same starts for every algorithm
    "starts": 1000,
    "seed": 0,
    "eps": {"from": 1e-1, "to": 1e-4, "per_decade": 4},  # a rate is fitted per reached limit point on this grid
    "max_iter": 20_000,
    # what the plot step reads (module constants): costs compared at COST_EPS, final iterates classified within
    # CLASSIFY_TOLERANCE, lingering = a trace point with ||grad|| <= LINGER_GRAD and f within LINGER_RELATIVE
    # (relative) of another critical value
    "cost_eps": COST_EPS,
    "classify_tolerance": CLASSIFY_TOLERANCE,
    "linger_grad": LINGER_GRAD,
    "linger_relative": LINGER_RELATIVE,
}
QUICK = {"functions": ["poly-two", "poly-four"], "starts": 60, "eps": {"from": 1e-1, "to": 1e-3, "per_decade": 4},
         "max_iter": 2_000}
#: Functions whose starts are drawn coloured by the reached critical point.
MAPS = ["poly-three", "poly-five"]


def cases(quick=False):
    grid = expand_grid(GRID, QUICK, quick)
    return [Case(experiment=NAME, function=name, function_params={}, algorithm=algorithm, eps=grid["eps"],
                 max_iter=grid["max_iter"], starts=grid["starts"], seed=grid["seed"])
            for name in grid["functions"] for algorithm in grid["algorithms"]]


def classify(points, critical_points, tolerance=CLASSIFY_TOLERANCE):
    """Nearest critical point of each of ``points`` within ``tolerance``.

    Parameters
    ----------
    points : ndarray, shape (B, n)
        Final iterates (non-finite rows are never classified).
    critical_points : sequence of functions.objective.CriticalPoint
        The known critical points.
    tolerance : float
        Largest Euclidean distance at which a point counts as having reached a critical point.

    Returns
    -------
    index : ndarray of int, shape (B,)
        Index into ``critical_points``; -1 when unclassified.
    distance : ndarray, shape (B,)
        Distance to the nearest critical point (inf for non-finite points).
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    centres = np.array([point.x for point in critical_points], dtype=float)
    with np.errstate(all="ignore"):
        distances = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=2)
    distances = np.where(np.isfinite(distances), distances, np.inf)
    nearest = np.argmin(distances, axis=1)
    distance = distances[np.arange(points.shape[0]), nearest]
    return np.where(distance <= tolerance, nearest, -1), distance


def lingered_values(trace, critical_values, reached_value):
    """Critical values, other than the reached one, near which each start lingered.

    Parameters
    ----------
    trace : armijo.result.Trace
        Thinned history, ``f`` and ``grad_norm`` of shape (T, B).
    critical_values : ndarray, shape (c,)
        Values of the known critical points.
    reached_value : ndarray, shape (B,)
        Value of the reached critical point (nan when unclassified).

    Returns
    -------
    list of tuple of float
        Per start, the distinct critical values it lingered at (sorted).
    """
    values = np.unique(np.asarray(critical_values, dtype=float))
    with np.errstate(invalid="ignore"):
        slow = trace.grad_norm <= LINGER_GRAD
        close = np.abs(trace.f[..., None] - values) <= LINGER_RELATIVE * np.maximum(1.0, np.abs(values))
    visited = (slow[..., None] & close).any(axis=0)
    out = []
    for b in range(visited.shape[0]):
        own = np.isclose(values, reached_value[b]) if np.isfinite(reached_value[b]) else np.zeros(values.size, bool)
        out.append(tuple(float(v) for v in values[visited[b] & ~own]))
    return out


def run_piece(case):
    """The standard piece (run, assess, tidy rows) plus the critical point each start reached.

    Extra columns: ``reached_index`` (into ``Objective.critical_points``, -1 unclassified),
    ``reached_kind`` (``minimum``/``saddle``/``maximum``/``unclassified``), ``reached_value``,
    ``reached_degenerate``, ``reached_w``, ``reached_b``, ``reached_distance``,
    ``reached_hessian_norm`` (spectral norm of the Hessian at the reached point), ``x0_w``, ``x0_b``,
    ``lingered_values`` (``;``-separated other critical values the start lingered at, see
    :func:`lingered_values`) and ``lingered_count``.
    """
    from experiments.machinery.pieces import objective_for, run_case_with_result, starts_for

    table, result = run_case_with_result(case)
    objective = objective_for(case.function, case.function_params)
    starts = starts_for(case, objective)
    index, distance = classify(result.x, objective.critical_points)
    points = objective.critical_points
    per_start = table["start"].to_numpy()
    reached = index[per_start]
    known = reached >= 0
    table["x0_w"] = starts[per_start, 0]
    table["x0_b"] = starts[per_start, 1]
    table["reached_index"] = reached
    table["reached_kind"] = np.where(known, [points[i].kind if i >= 0 else "unclassified" for i in reached],
                                     "unclassified")
    table["reached_value"] = np.where(known, [points[i].value if i >= 0 else np.nan for i in reached], np.nan)
    table["reached_degenerate"] = np.where(known, [points[i].hessian_degenerate if i >= 0 else False
                                                   for i in reached], False)
    table["reached_w"] = np.where(known, [points[i].x[0] if i >= 0 else np.nan for i in reached], np.nan)
    table["reached_b"] = np.where(known, [points[i].x[1] if i >= 0 else np.nan for i in reached], np.nan)
    table["reached_distance"] = distance[per_start]
    hessian_norms = np.array([np.linalg.norm(objective.hess(p.x), ord=2) for p in points])
    table["reached_hessian_norm"] = np.where(known, hessian_norms[np.maximum(reached, 0)], np.nan)
    start_value = np.array([points[i].value if i >= 0 else np.nan for i in index])
    lingered = lingered_values(result.trace, [p.value for p in points], start_value)
    table["lingered_values"] = [";".join(f"{v:.6g}" for v in lingered[b]) for b in per_start]
    table["lingered_count"] = [len(lingered[b]) for b in per_start]
    return table


def per_start(table, eps=COST_EPS):
    """One row per (function, algorithm, start): reached point, status, and cost at ``eps``."""
    eps_values = np.unique(table["eps"])
    chosen = eps_values[np.argmin(np.abs(np.log(eps_values / eps)))]
    rows = table[np.isclose(table["eps"], chosen)].copy()
    rows["cost_iterations"] = np.where(rows["iterations"] >= 0, rows["iterations"], np.nan)
    rows["cost_f_evals"] = np.where(rows["f_evals"] >= 0, rows["f_evals"], np.nan)
    return rows, float(chosen)


def point_label(row):
    """Short label of a reached critical point: ``min 8 @(2,-1)``."""
    if row.reached_index < 0:
        return "unclassified"
    kind = {"minimum": "min", "saddle": "saddle", "maximum": "max"}.get(row.reached_kind, row.reached_kind)
    degenerate = "*" if bool(row.reached_degenerate) else ""
    return f"{kind}{degenerate} {row.reached_value:.4g} @({row.reached_w:.3g},{row.reached_b:.3g})"


def basin_summary(starts_table):
    """Frequency and median costs per (function, algorithm, reached critical point)."""
    grouped = starts_table.groupby(["function", "algorithm", "reached_index"], sort=False)
    summary = grouped.agg(
        starts=("start", "size"),
        kind=("reached_kind", "first"),
        value=("reached_value", "first"),
        degenerate=("reached_degenerate", "first"),
        hessian_norm=("reached_hessian_norm", "first"),
        w=("reached_w", "first"),
        b=("reached_b", "first"),
        reached_eps=("cost_iterations", lambda s: int(np.isfinite(s).sum())),
        median_iterations=("cost_iterations", "median"),
        median_f_evals=("cost_f_evals", "median"),
        total_f_evals=("total_f_evals", "sum"),
        group_model=("group_model", lambda s: s.mode().iloc[0]),
        group_exponent=("group_exponent", "median"),
        group_exponent_ci_low=("group_exponent_ci_low", "median"),
        group_exponent_ci_high=("group_exponent_ci_high", "median"),
        group_iterations_per_decade=("group_iterations_per_decade", "median"),
        limit_groups=("limit_group", "nunique"),
    ).reset_index()
    totals = starts_table.groupby(["function", "algorithm"]).size().rename("all_starts").reset_index()
    summary = summary.merge(totals, on=["function", "algorithm"])
    summary["frequency"] = summary["starts"] / summary["all_starts"]
    return summary


CATEGORIES = ["global minimum", "other minimum", "saddle/maximum", "unclassified"]
#: Colours of the categories, far apart in hue and lightness (ColorBrewer Dark2, and grey).
CATEGORY_COLOURS = ["#1b9e77", "#7570b3", "#d95f02", "#bdbdbd"]
MARKERS = {"armijo": "o", "armijo-increase": "^", "armijo-dichotomy": "s"}
#: Hatches of the algorithms in the bar panel (bars of one function side by side).
HATCHES = {"armijo": "", "armijo-increase": "///", "armijo-dichotomy": "..."}
#: Colours of the reached critical points in the start maps: ten distinct hues (tab10), never light/dark pairs.
POINT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
                 "#000000"]


def summarize(table):
    """The numbers of the figure, the table and the caption, from the tidy table only.

    Returns
    -------
    dict
        ``starts_table`` (one row per function, algorithm and start, :func:`per_start`), ``cost_eps``,
        ``basins`` (:func:`basin_summary` with each reached point's ``category``: global minimum, other
        minimum, saddle/maximum, unclassified), ``functions``, ``algorithms``, ``maps`` (the functions drawn
        as start maps), ``f_star``, ``minima`` (the reached minima with a cost), ``lingering`` (median cost and
        starts per number of other critical values lingered at), the headline numbers (``numbers``), the
        texts the caption quotes, ``table_markdown`` and ``verdicts``.
    """
    starts_table, cost_eps = per_start(table)
    summary = basin_summary(starts_table)
    functions = [f for f in FUNCTIONS if f in set(starts_table["function"])]
    algorithms = [a for a in ALGORITHMS if a in set(starts_table["algorithm"])]
    f_star = starts_table.groupby("function")["f_star"].first()
    summary["category"] = [
        "unclassified" if r.reached_index < 0 else
        ("global minimum" if np.isclose(r.value, f_star[r.function]) else "other minimum")
        if r.kind == "minimum" else "saddle/maximum" for r in summary.itertuples(index=False)]
    minima = summary[(summary["kind"] == "minimum") & (summary["reached_eps"] > 0)]
    finite = starts_table[np.isfinite(starts_table["cost_iterations"])].copy()
    lingering = finite.groupby(["function", "algorithm", "lingered_count"])["cost_iterations"].agg(["median", "size"])

    statuses = starts_table.groupby(["function", "algorithm"])["status"].value_counts().unstack(fill_value=0)
    bad = {f"{f} {a}": {s: int(statuses.loc[(f, a), s]) for s in ("non_finite", "diverged") if s in statuses.columns
                        and statuses.loc[(f, a), s] > 0}
           for f, a in statuses.index}
    bad = {k: v for k, v in bad.items() if v}
    status_counts = {f"{f} {a}": {s: int(n) for s, n in statuses.loc[(f, a)].items() if n > 0}
                     for f, a in statuses.index}
    fractions = {}
    for (function, algorithm), part in summary.groupby(["function", "algorithm"], sort=False):
        fractions[f"{function} {algorithm}"] = {c: float(part.loc[part["category"] == c, "frequency"].sum())
                                                for c in CATEGORIES}
    lines = [f"| function | algorithm | reached critical point (* degenerate) | starts | median N(eps={cost_eps:g}) "
             f"| median f-evals to eps={cost_eps:g} | starts that reached eps={cost_eps:g} | rate at this point |",
             "|---|---|---|---|---|---|---|---|"]
    for r in summary.sort_values(["function", "algorithm", "value"]).itertuples(index=False):
        row = starts_table[(starts_table["function"] == r.function) & (starts_table["reached_index"] == r.reached_index)]
        label = point_label(row.iloc[0]) if len(row) else "unclassified"
        median_n = "-" if not np.isfinite(r.median_iterations) else f"{r.median_iterations:.0f}"
        median_f = "-" if not np.isfinite(r.median_f_evals) else f"{r.median_f_evals:.0f}"
        rate = rate_text(r.group_model, r.group_exponent, r.group_exponent_ci_low, r.group_exponent_ci_high,
                         r.group_iterations_per_decade) if r.reached_index >= 0 else "-"
        lines.append(f"| {r.function} | {r.algorithm} | {label} | {r.starts} | {median_n} | {median_f} | {r.reached_eps} "
                     f"| {rate} |")
    # Does the cost grow with the reached value? Spearman sign per (function, algorithm) over its minima.
    trends = {}
    for (function, algorithm), part in minima.groupby(["function", "algorithm"]):
        if part["value"].nunique() >= 2:
            ranks_value = part["value"].rank()
            ranks_cost = part["median_iterations"].rank()
            trends[f"{function} {algorithm}"] = float(np.corrcoef(ranks_value, ranks_cost)[0, 1])
    finite["lingered"] = finite["lingered_count"] > 0
    slow_passages = {}
    for (function, algorithm), part in finite.groupby(["function", "algorithm"], sort=False):
        slow, fast = part[part["lingered"]], part[~part["lingered"]]
        slow_passages[f"{function} {algorithm}"] = {
            "starts_lingered": int(len(slow)), "median_iterations_lingered": float(slow["cost_iterations"].median()),
            "starts_direct": int(len(fast)), "median_iterations_direct": float(fast["cost_iterations"].median())}
    eps_all = np.unique(table["eps"])
    return {
        "starts_table": starts_table, "cost_eps": cost_eps, "basins": summary, "functions": functions,
        "algorithms": algorithms, "maps": [f for f in MAPS if f in functions] or functions[:2], "f_star": f_star,
        "minima": minima, "lingering": lingering, "slowest": minima.sort_values("median_iterations", ascending=False)
        .head(4), "fractions": fractions, "starts": int(starts_table.groupby(["function", "algorithm"]).size().max()),
        "eps_range": [float(eps_all.max()), float(eps_all.min())], "max_iter": int(starts_table["max_iter"].max()),
        "numbers": {"global_minimum_fraction": fractions, "statuses": status_counts, "non_finite_or_diverged": bad,
                    "cost_eps": cost_eps, "rank_correlation_value_cost": trends, "slow_passages": slow_passages},
        "table_markdown": lines, "verdicts": verdict_rows(table)}


def draw(numbers, figures):
    """Top: the starts of two benchmarks coloured by the critical point reached, per algorithm. Bottom: what
    the starts reach; the cost per reached minimum against its value and its curvature; the cost against the
    other critical values crossed slowly."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    starts_table, cost_eps, summary = numbers["starts_table"], numbers["cost_eps"], numbers["basins"]
    functions, algorithms, maps, f_star = numbers["functions"], numbers["algorithms"], numbers["maps"], numbers["f_star"]
    figure = plt.figure(figsize=(14, 4.1 * len(maps) + 4.9))
    grid = figure.add_gridspec(len(maps) + 1, 4, height_ratios=[1] * len(maps) + [1.15], width_ratios=[1, 1, 1, 0.62],
                               hspace=0.36, wspace=0.25, left=0.06, right=0.99, top=0.97, bottom=0.07)
    for row, function in enumerate(maps):
        data = starts_table[starts_table["function"] == function]
        reached = sorted(set(data["reached_index"]))
        colour_of = {index: ("lightgray" if index < 0 else POINT_COLOURS[k % len(POINT_COLOURS)])
                     for k, index in enumerate(i for i in reached if i >= 0)}
        colour_of.setdefault(-1, "lightgray")
        for column, algorithm in enumerate(algorithms):
            axes = figure.add_subplot(grid[row, column])
            subset = data[data["algorithm"] == algorithm]
            axes.scatter(subset["x0_w"], subset["x0_b"], s=7, c=[colour_of[i] for i in subset["reached_index"]],
                         rasterized=True)
            targets = subset[subset["reached_index"] >= 0].drop_duplicates("reached_index")
            for target in targets.itertuples(index=False):
                marker = "*" if target.reached_kind == "minimum" else "X"
                axes.plot(target.reached_w, target.reached_b, marker, color="k", ms=13 if marker == "*" else 9,
                          mec="white", mew=1.0)
            axes.set_xlim(-3.2, 3.2)
            axes.set_ylim(-3.2, 3.2)
            axes.set_aspect("equal")
            axes.set_title(f"{function}, {algorithm}", fontsize=11)
            axes.set_xlabel("w (start)", fontsize=10)
            if column == 0:
                axes.set_ylabel("b (start)", fontsize=10)
            axes.tick_params(labelsize=9)
        labels = {r.reached_index: point_label(r) for r in data.drop_duplicates("reached_index").itertuples(index=False)}
        handles = [Line2D([], [], ls="", marker="o", ms=7, color=colour_of[i], label=labels[i]) for i in reached]
        handles += [Line2D([], [], ls="", marker="*", ms=11, color="k", label="a minimum reached"),
                    Line2D([], [], ls="", marker="X", ms=8, color="k", label="a saddle or maximum")]
        key = figure.add_subplot(grid[row, 3])
        key.axis("off")
        key.legend(handles=handles, fontsize=9, loc="center left", title=f"{function}: reached\n(* degenerate)",
                   title_fontsize=9, frameon=False)

    # Frequencies: stacked bars per (function, algorithm), by kind of the reached point; one group per function.
    bottom_row = grid[len(maps), :].subgridspec(1, 5, width_ratios=[1.1, 1, 1, 1, 0.95], wspace=0.45)
    bars = figure.add_subplot(bottom_row[0, 0])
    positions, groups = [], []
    for i, function in enumerate(functions):
        for j, algorithm in enumerate(algorithms):
            positions.append(i * (len(algorithms) + 1) + j)
        groups.append(i * (len(algorithms) + 1) + (len(algorithms) - 1) / 2)
    bottom = np.zeros(len(positions))
    for category, colour in zip(CATEGORIES, CATEGORY_COLOURS):
        heights = []
        for function in functions:
            for algorithm in algorithms:
                part = summary[(summary["function"] == function) & (summary["algorithm"] == algorithm)
                               & (summary["category"] == category)]
                heights.append(part["frequency"].sum())
        bars.bar(positions, heights, bottom=bottom, color=colour, width=0.9, edgecolor="white", lw=0.5,
                 hatch=[HATCHES[a] for _ in functions for a in algorithms])
        bottom += np.array(heights)
    bars.set_xticks(groups)
    bars.set_xticklabels([f.replace("poly-", "") for f in functions], fontsize=9)
    bars.set_xlabel("poly-...", fontsize=10)
    bars.set_ylabel("fraction of starts", fontsize=10)
    bars.tick_params(axis="y", labelsize=9)
    bars.set_title("What the starts reach", fontsize=11)

    # Cost against the reached critical value (T3: constants depend on the value and the basin).
    function_colours = {f: plt.get_cmap("tab10")(k) for k, f in enumerate(functions)}
    for column, (abscissa, xlabel) in enumerate([("value", "reached minimum value - f_* + 1"),
                                                 ("hessian_norm", "||hess f|| at the reached minimum")]):
        axes = figure.add_subplot(bottom_row[0, 1 + column])
        for r in numbers["minima"].itertuples(index=False):
            x = r.value - f_star[r.function] + 1.0 if abscissa == "value" else r.hessian_norm
            axes.plot(x, r.median_iterations, MARKERS[r.algorithm],
                      color=function_colours[r.function], mfc="none" if r.degenerate else function_colours[r.function],
                      ms=5 + 7 * np.sqrt(r.frequency))
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel(xlabel, fontsize=10)
        axes.set_ylabel(f"median N(eps = {cost_eps:g})", fontsize=10)
        axes.tick_params(labelsize=9)
        axes.grid(True, which="major", alpha=0.3)
        axes.set_title("Cost per reached minimum\n(marker size ~ frequency)" if column == 0 else
                       "Cost against the local\ncurvature of the basin", fontsize=11)

    # Cost against the number of other critical values the start lingered at (T3: one term per value crossed).
    crossing = figure.add_subplot(bottom_row[0, 3])
    lingering = numbers["lingering"]
    offsets = {a: (k - (len(algorithms) - 1) / 2) * 0.15 for k, a in enumerate(algorithms)}
    for (function, algorithm, count), r in lingering.iterrows():
        crossing.plot(count + offsets[algorithm], r["median"], MARKERS[algorithm], color=function_colours[function],
                      ms=5 + 2 * np.log10(r["size"]))
    crossing.set_yscale("log")
    crossing.set_xticks(sorted(set(lingering.index.get_level_values("lingered_count"))))
    crossing.set_xlabel("other critical values lingered at", fontsize=10)
    crossing.set_ylabel(f"median N(eps = {cost_eps:g})", fontsize=10)
    crossing.tick_params(labelsize=9)
    crossing.set_title("Cost against critical\nvalues crossed slowly", fontsize=11)
    crossing.grid(True, which="major", alpha=0.3)

    key = figure.add_subplot(bottom_row[0, 4])
    key.axis("off")
    handles = ([Patch(facecolor=c, label=category) for category, c in zip(CATEGORIES, CATEGORY_COLOURS)]
               + [Patch(facecolor="white", edgecolor="k", hatch=HATCHES[a], label=f"bar: {a}") for a in algorithms]
               + [Line2D([], [], ls="", marker="o", ms=7, color=function_colours[f], label=f) for f in functions]
               + [Line2D([], [], ls="", marker=MARKERS[a], ms=7, color="k", mfc="none", label=a) for a in algorithms]
               + [Line2D([], [], ls="", marker="o", ms=7, color="k", mfc="none", label="open: degenerate\nminimum")])
    key.legend(handles=handles, fontsize=9, loc="center left", frameon=False, borderaxespad=0.0)
    save_figure(figure, figures, NAME)


def caption(numbers):
    """What the figure shows, with every number from :func:`summarize`."""
    headline, cost_eps, algorithms = numbers["numbers"], numbers["cost_eps"], numbers["algorithms"]
    fractions, bad = numbers["fractions"], headline["non_finite_or_diverged"]
    lingered_text = "; ".join(
        f"{k} {v['median_iterations_lingered']:.0f} ({v['starts_lingered']} starts) vs "
        f"{v['median_iterations_direct']:.0f} ({v['starts_direct']})"
        for k, v in headline["slow_passages"].items() if v["starts_lingered"] >= 5)
    slowest_text = "; ".join(
        f"{r.function} {r.algorithm} min{'*' if r.degenerate else ''} @({r.w:.3g},{r.b:.3g}) N {r.median_iterations:.0f}, "
        f"f-evals {r.median_f_evals:.0f}, ||hess|| {r.hessian_norm:.3g}" for r in numbers["slowest"].itertuples(index=False))
    global_text = "; ".join(
        f"{f}: " + ", ".join(f"{a.replace('armijo', 'A')} {fractions[f'{f} {a}']['global minimum']:.0%}"
                             for a in algorithms if f"{f} {a}" in fractions) for f in numbers["functions"])
    unclassified = {k: v["unclassified"] for k, v in fractions.items() if v["unclassified"] > 0}
    trends = headline["rank_correlation_value_cost"]
    return (
        f"Single-neuron benchmarks from {numbers['starts']} starts uniform in [-3, 3]^2 (seed 0, the same starts for "
        f"every algorithm; reference defaults eta0 = 0.1, lam = 0.5, f1 = 2, f2 = 1e4; eps {numbers['eps_range'][0]:g}.."
        f"{numbers['eps_range'][1]:g}, "
        f"max_iter {numbers['max_iter']}). A start's final iterate is classified to the nearest "
        f"known critical point within distance {CLASSIFY_TOLERANCE}. Top: starts of {', '.join(numbers['maps'])} "
        f"coloured by the critical point reached. Bottom left: fraction of starts reaching the global minimum, another "
        f"minimum, a saddle or maximum, or no critical point. Bottom middle: median N(eps = {cost_eps:g}) per "
        f"reached minimum against its value and against the spectral norm of the Hessian there (T3: constants "
        f"depend on the critical value and the basin, through eta_min ~ 1/L and theta; open markers: degenerate "
        f"minima, where theta > 1/2; median f-evals per reached minimum are in the table below). "
        f"Slowest basins (median N): {slowest_text}. Bottom right: median N(eps) "
        f"against the number of other critical values at which the start lingered (a trace point with ||grad|| <= "
        f"{LINGER_GRAD:g} and f within {LINGER_RELATIVE:g} of that value). Median N(eps = {cost_eps:g}) of starts "
        f"that lingered vs starts that did not (at least 5 lingering starts): {lingered_text or 'none'}. "
        f"Rank correlation between a minimum's value and its median N, per function and algorithm: "
        + (", ".join(f"{k} {v:+.2f}" for k, v in trends.items()) or "no function with distinct minimum values")
        + f". Fraction reaching a global "
        f"minimum: {global_text}. Unclassified fractions: "
        + (", ".join(f"{k} {v:.1%}" for k, v in unclassified.items()) or "none")
        + ". The table gives, per reached critical point, the rate fitted on the starts that reached it "
        "(power law with its 95% interval, or log (b/decade) for linear convergence): starts that reach "
        "different points are never fitted together. Non-finite or diverged starts: "
        + (", ".join(f"{k} {v}" for k, v in bad.items()) or "none") + ".")


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption, the numbers and the table of REPORT.md."""
    numbers = summarize(table)
    draw(numbers, figures)
    return {"caption": caption(numbers), "numbers": numbers["numbers"], "verdicts": numbers["verdicts"],
            "table_markdown": numbers["table_markdown"]}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
