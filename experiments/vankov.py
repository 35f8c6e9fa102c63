"""Vankov et al. 2024 on (1/p)||x||^p: the (L0,L1) pair a step needs, normalized GD's guess of R, and Armijo.

Paper: D. Vankov, A. Rodomanov, A. Nedich, L. Sankar, S. U. Stich, "Optimizing (L0,L1)-smooth
functions by gradient methods", arXiv:2410.10800 (ICLR 2025), appendix G.  Setting:
``f(x) = (1/p) ||x||^p``, which is (L0, L1)-smooth for every ``L1 > 0`` with
``L0 = ((p-2)/L1)^(p-2)`` (their Example A.1).  Their Figure 1 fixes ``L1 = 1`` and compares the
gradient method (GM) with their stepsizes (9), (12), (13), the normalized gradient method (NGM)
with steps ``R^ / sqrt(k+1)``, ``R^`` in {R/2, 2R, 10R} (``R = ||x0 - x*||``; ``R^ = R`` lands on
``x*`` in one step), and GM with Polyak stepsizes (PS-GM).  Their Figure 2 runs GM with stepsize (9)
for ``L1`` in {1, 2, 4, 8, 16}.

What they state (quoted from their text): "NGM and PS-GM outperform GM with stepsizes from (9), (12)
and (13) ... closer initial distance estimation R^ to a true value R leads to a faster convergence of
NGM"; and for Figure 2, "the choice of (L0, L1) pair is crucial in practice for the performance of GM
and depends on a target accuracy".  We could not retrieve their stepsize formulas (9), (12), (13), their
``p``, dimension or start: our GM is ``l0l1-gd``, steps ``1 / (L0 + L1 ||g||)`` (the issue's rule), on
``p = 4``, ``n = 10``, from a generic ``x0`` (:data:`X0`); so we compare orderings, not curves.  On this function
``f - f* = ||g||^(p/(p-1)) / p`` at every point: the first-hitting curves of ``||g|| <= eps`` are the gap
curves relabelled (right axes).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from experiments.machinery.cases import Case, eps_grid
from experiments.machinery.study import main, save_figure, verdict_rows
from experiments.reproduction import (LABELS, cost_at, cost_text, draw_curve, figure_legend, hitting_curves,
                                      markdown_table)

NAME = "vankov"
P, DIMENSION = 4, 10
#: A generic start (SCIENCE.md section 6, lucky exact hits: from (1, ..., 1) the gradient is 10 x0 and a
#: first step of 0.1 lands exactly on x* = 0).
X0 = (1.3, -0.7, 0.4, 1.9, -1.1, 0.25, -1.6, 0.9, 0.55, -0.35)
#: R = ||x0 - x*|| (x* = 0).
R_STAR = math.sqrt(sum(x * x for x in X0))
L1_SWEEP = [1.0, 2.0, 4.0, 8.0, 16.0]
R_GUESSES = {"R*/2": 0.5, "2 R*": 2.0, "10 R*": 10.0}
ARMIJO_VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
GRID = {
    "function": f"power-norm: (1/p) ||x||^p, p = {P}, n = {DIMENSION}; f* = 0",
    "x0": list(X0),
    "R*": "||x0 - x*|| = ||x0|| = 3.32",
    "l0l1-gd": {"L1": L1_SWEEP, "L0": "((p-2)/L1)^(p-2)", "eta": 1.0},
    "normalized-gd-decay": {"R": {name: f"{factor:g} R*" for name, factor in R_GUESSES.items()}},
    "polyak": {"f_star": 0.0},
    "others": "polyak-level, adgd and the Armijo variants with their defaults (Armijo: eta0 = 0.1, lam = 0.5, "
              "f1 = 2, f2 = 1e4)",
    "eps": "1e2 .. 1e-8 on ||grad f||, 2 per decade",
    "max_iter": 2_000_000,
    "backend": "compiled (one start per case)",
}
QUICK = {"L1": [1.0, 16.0], "R": ["2 R*"], "others": ["polyak", "armijo"], "eps": (1e2, 1e-3, 1), "max_iter": 5_000}
TABLE_EPS = (1e0, 1e-2, 1e-4, 1e-6, 1e-8)


def l0_for(l1, p=P):
    """The least L0 for ``L1`` on (1/p)||x||^p: ``((p-2)/L1)^(p-2)`` (functions.elementary.power_norm)."""
    return ((p - 2) / l1) ** (p - 2)


def settings(quick=False):
    """``(algorithm, setting label, parameters)`` of every run: the L1 sweep, the R guesses, the others."""
    l1s = QUICK["L1"] if quick else L1_SWEEP
    guesses = QUICK["R"] if quick else list(R_GUESSES)
    others = QUICK["others"] if quick else ["polyak", "polyak-level", "adgd"] + ARMIJO_VARIANTS
    runs = [("l0l1-gd", f"L1 = {l1:g}", {"L0": l0_for(l1), "L1": l1, "eta": 1.0}) for l1 in l1s]
    runs += [("normalized-gd-decay", f"R = {name}", {"R": R_GUESSES[name] * R_STAR}) for name in guesses]
    runs += [(name, "", {"f_star": 0.0} if name == "polyak" else {}) for name in others]
    return runs


def cases(quick=False):
    """One single-start case per setting."""
    eps = eps_grid(*QUICK["eps"]) if quick else eps_grid(1e2, 1e-8, 2)
    budget = QUICK["max_iter"] if quick else GRID["max_iter"]
    return [Case(NAME, "power-norm", {"p": P, "n": DIMENSION}, algorithm, params, eps=eps, max_iter=budget,
                 x0=(X0,), labels={"setting": setting})
            for algorithm, setting, params in settings(quick)]


def run_label(algorithm, setting):
    """The figure's name of a run: ``(L0,L1)-GD, L1 = 4`` or ``Polyak (f* known)``."""
    return f"{LABELS[algorithm]}, {setting}" if setting else LABELS[algorithm]


def summarize(table):
    """The numbers of the figure and of the comparison with the paper, from the tidy table only.

    Returns
    -------
    dict
        ``runs`` (label -> algorithm, setting, first-hitting curve), ``table_eps``, ``sweep`` (L1 ->
        iterations per threshold), ``best_l1`` (the fastest L1 per threshold), ``l1_choice_depends_on_eps``,
        ``ngm`` (R guess -> iterations per threshold) and ``ngm_closer_is_faster`` (per threshold: the
        iterations ordered as the distance |R^ - R*| of the guess, R*/2 closest, 10 R* farthest), ``beats_gm`` (per threshold: which
        of Polyak and the NGM runs beat l0l1-gd with L1 = 1, the paper's GM), and ``armijo`` (iterations and
        calls of each Armijo variant per threshold, and its rank among every run).
    """
    data = table.assign(setting=table["setting"].fillna("") if "setting" in table else "")
    curves = hitting_curves(data, ["algorithm", "setting"])
    grid = np.unique(table["eps"])
    table_eps = [e for e in TABLE_EPS if np.isclose(grid, e, rtol=1e-9).any()]
    runs = {run_label(a, s): {"algorithm": a, "setting": s, "curve": c} for (a, s), c in curves.items()}
    sweep = {s: {str(e): cost_at(c, e) for e in table_eps} for (a, s), c in curves.items() if a == "l0l1-gd"}
    best_l1 = {}
    for e in map(str, table_eps):
        reached = {s: n[e] for s, n in sweep.items() if n[e] is not None}
        best_l1[e] = min(reached, key=reached.get) if reached else None
    ngm = {s: {str(e): cost_at(c, e) for e in table_eps} for (a, s), c in curves.items() if a == "normalized-gd-decay"}
    distance = {s: abs(R_GUESSES[s.removeprefix("R = ")] - 1.0) for s in ngm}
    ngm_closer_is_faster = {}
    for e in map(str, table_eps):
        ordered = sorted(ngm, key=distance.get)
        counts = [np.inf if ngm[s][e] is None else ngm[s][e] for s in ordered]
        ngm_closer_is_faster[e] = bool(len(ordered) > 1 and all(a <= b for a, b in zip(counts, counts[1:])))
    gm = sweep.get("L1 = 1", {})
    beats_gm = {}
    for e in map(str, table_eps):
        reference = np.inf if gm.get(e) is None else gm[e]
        contenders = {label: cost_at(run["curve"], float(e)) for label, run in runs.items()
                      if run["algorithm"] in ("polyak", "normalized-gd-decay")}
        beats_gm[e] = sorted(label for label, n in contenders.items() if n is not None and n < reference)
    every = {label: run["curve"] for label, run in runs.items()}
    armijo = {}
    for label, run in runs.items():
        if run["algorithm"].startswith("armijo"):
            armijo[label] = {}
            for e in table_eps:
                mine = cost_at(run["curve"], e)
                others = [cost_at(c, e) for c in every.values()]
                rank = 1 + sum(o is not None and (mine is None or o < mine) for o in others)
                armijo[label][str(e)] = {"iterations": mine, "calls": cost_at(run["curve"], e, "calls"), "rank": rank}
    return {"runs": runs, "table_eps": table_eps, "sweep": sweep, "best_l1": best_l1,
            "l1_choice_depends_on_eps": len({b for b in best_l1.values() if b is not None}) > 1,
            "ngm": ngm, "ngm_closer_is_faster": ngm_closer_is_faster, "beats_gm": beats_gm, "armijo": armijo,
            "budget": int(table["max_iter"].max()), "count": len(runs)}


def gap_of_gradient(gradient):
    """``f - f*`` where ``||grad f|| = gradient`` on (1/p)||x||^p: ``gradient^(p/(p-1)) / p``."""
    return np.asarray(gradient, dtype=float) ** (P / (P - 1)) / P


def gradient_of_gap(gap):
    """Inverse of :func:`gap_of_gradient`."""
    return (P * np.asarray(gap, dtype=float)) ** ((P - 1) / P)


def draw(numbers, figures):
    """Left: the L1 sweep of (L0,L1)-GD with Armijo and Polyak for reference; middle and right: every run
    against iterations and against oracle calls.  First-hitting curves, right axes f - f*."""
    import matplotlib.pyplot as plt

    figure, panels = plt.subplots(1, 3, figsize=(17.5, 5.0))
    sweep_colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(numbers["sweep"]), 1)))
    colour_of = dict(zip(numbers["sweep"], sweep_colours))
    ngm_colours = dict(zip(numbers["ngm"], ("orchid", "mediumvioletred", "indigo")))
    for label, run in numbers["runs"].items():
        algorithm, setting, curve = run["algorithm"], run["setting"], run["curve"]
        if not curve["eps"]:
            continue
        colour = colour_of.get(setting) if algorithm == "l0l1-gd" else ngm_colours.get(setting)
        if algorithm == "l0l1-gd" or algorithm in ("armijo", "armijo-increase", "polyak"):
            draw_curve(panels[0], curve, algorithm, label=label, colour=colour)
        if algorithm == "l0l1-gd" and setting != "L1 = 1":
            continue  # the sweep has its own panel; GM with L1 = 1 is the paper's Figure 1 run
        for axes, what in ((panels[1], "iterations"), (panels[2], "calls")):
            draw_curve(axes, curve, algorithm, x=what, label=label, colour=colour)
    titles = ("(L0,L1)-GD: L0 = ((p-2)/L1)^(p-2) for each L1", "every method: against iterations",
              "every method: against oracle calls")
    for axes, title, what in zip(panels, titles, ("iterations", "iterations", "calls")):
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.grid(True, which="major", alpha=0.3)
        axes.set_title(title, fontsize=10)
        axes.set_xlabel("iterations + 1" if what == "iterations" else "oracle calls of the method + 1")
        right = axes.secondary_yaxis("right", functions=(gap_of_gradient, gradient_of_gap))
        right.set_ylabel(f"f - f* = ||g||^({P}/{P - 1}) / {P}", fontsize=8)
    panels[0].set_ylabel("||grad f(x_k)|| (first reached)")
    figure.suptitle(f"(1/{P}) ||x||^{P} in dimension {DIMENSION} from a generic x0, ||x0 - x*|| = {R_STAR:.3g}",
                    fontsize=11)
    figure_legend(figure, panels, right=0.83)
    figure.tight_layout(rect=(0, 0, 0.83, 1))
    save_figure(figure, figures, NAME)


def _counts(by_eps):
    return ", ".join(f"{float(e):g}: {'-' if n is None else n}" for e, n in by_eps.items())


def caption(numbers):
    """The paper's statements beside ours, from :func:`summarize`'s numbers."""
    deepest = str(numbers["table_eps"][-1]) if numbers["table_eps"] else None
    best = ", ".join(f"{float(e):g}: {b or '-'}" for e, b in numbers["best_l1"].items())
    ngm_text = "; ".join(f"{s}: {_counts(n)}" for s, n in numbers["ngm"].items())
    closer = ", ".join(f"{float(e):g}: {'yes' if flag else 'no'}" for e, flag in numbers["ngm_closer_is_faster"].items())
    contenders = [label for label, run in numbers["runs"].items()
                  if run["algorithm"] in ("polyak", "normalized-gd-decay")]
    beats = "; ".join(f"{float(e):g}: " + ("all" if len(b) == len(contenders) else ", ".join(b) or "none")
                      for e, b in numbers["beats_gm"].items())
    armijo = "; ".join(f"{label} {_counts({e: v['iterations'] for e, v in by_eps.items()})} (rank at "
                       f"{float(deepest):g}: {by_eps[deepest]['rank']} of {numbers['count']})"
                       for label, by_eps in numbers["armijo"].items()) if deepest else "-"
    return (
        f"Vankov et al. (2024) on (1/{P})||x||^{P}, n = {DIMENSION}, a generic x0 with R* = ||x0|| = {R_STAR:.3g}, "
        f"compiled backend, budget {numbers['budget']:.0e} iterations; first-hitting curves of ||grad f|| <= eps "
        "(right axes: the same points as f - f*). Paper, Figure 2: 'the choice of (L0, L1) pair is crucial ... and "
        f"depends on a target accuracy'. Ours, the fastest L1 per eps: {best} (it changes with eps: "
        f"{'yes' if numbers['l1_choice_depends_on_eps'] else 'no'}): a large L1 with its small L0 = "
        "((p-2)/L1)^(p-2) takes long steps near the minimiser and short ones far from it. Paper, Figure 1: 'NGM and "
        "PS-GM outperform GM ... closer initial distance estimation R^ to a true value R leads to a faster "
        f"convergence of NGM'. Ours: NGM iterations per eps, {ngm_text} (ordered as |R^ - R*|, closer is faster: "
        f"{closer}); which of Polyak and the three NGM runs beat GM (L1 = 1), per eps: {beats}. NGM reaches a small ||g|| only when its "
        "oscillation around x* happens to land close to it (a '-' is not reached within the budget). Armijo, without "
        f"any (L0, L1) or R: {armijo}. Differences from the paper: our GM step is 1/(L0 + L1||g||), not their (9), "
        "(12), (13) (not retrieved); p, n and x0 are ours; we count first hits of ||grad f|| <= eps, they plot "
        "f - f*.")


def table_lines(numbers):
    """The Markdown table of REPORT.md: iterations / calls to ||grad f|| <= eps for every run."""
    header = ["run"] + [f"||g|| <= {e:g}" for e in numbers["table_eps"]]
    rows = [[label] + [cost_text(run["curve"], e) for e in numbers["table_eps"]]
            for label, run in numbers["runs"].items()]
    return markdown_table(header, rows)


def plot(table, figures):
    """Summarize the table, draw the figure, return the caption, the numbers and the table of REPORT.md."""
    numbers = summarize(table)
    draw(numbers, figures)
    plain = {k: v for k, v in numbers.items() if k != "runs"}
    return {"caption": caption(numbers), "numbers": plain, "verdicts": verdict_rows(table, scanned=("setting",)),
            "table_markdown": table_lines(numbers)}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
