"""What the three reproduction studies share (``gorbunov``, ``vankov``, ``neuron_protocol``): the
oracle calls a method spends, first-hitting curves read from a tidy table, and how they are drawn.

Not an experiment of its own (no ``cases``); its plot helpers read tables only.

Oracle calls of a method
------------------------
The engine counts every call it makes.  Methods that use function values (the Armijo variants,
``polyak``, ``polyak-level``) spend ``f_evals + grad_evals``; gradient-only methods (``gd``,
``clipped-gd``, ``normalized-gd``, ``adam``, ``adgd``, ``l0l1-gd``, ``normalized-gd-decay``) never
need ``f``: the suite evaluates it at the start, at the trace points and at the last iterate to
measure the run, so their calls are their gradient evaluations (:func:`method_calls`).
"""

from __future__ import annotations

import numpy as np

from armijo import ALGORITHMS
from armijo.engine import POLYAK_STEPS

#: ``nu`` with ``nu e^nu = 1`` (Lambert W(1)): Gorbunov et al. take the (L0,L1)-GD numerator eta = nu/2; that their
#: nu solves nu e^nu = 1 is our reading of the paper (we could not retrieve its algorithm box).
NU = 0.5671432904097838

#: Human names of the algorithms in the figures.
LABELS = {
    "armijo": "Armijo (reset to eta0)", "armijo-memory": "Armijo, memory", "armijo-increase": "Armijo, increasing",
    "armijo-dichotomy": "Armijo, dichotomy", "armijo-normalized": "Armijo, normalized",
    "gd": "GD, fixed step", "clipped-gd": "clipped GD", "normalized-gd": "normalized GD", "adam": "Adam",
    "polyak": "Polyak (f* known)", "polyak-level": "Polyak (f* estimated)", "adgd": "AdGD",
    "l0l1-gd": "(L0,L1)-GD", "normalized-gd-decay": "normalized GD, R/sqrt(k+1)",
}

#: Line style per algorithm: the Armijo variants dashed, the rivals solid.
STYLES = {
    "armijo": ("C0", "--", "o"), "armijo-memory": ("C9", "--", "v"), "armijo-increase": ("C1", "--", "^"),
    "armijo-dichotomy": ("C8", "--", "s"), "armijo-normalized": ("C7", "--", "D"),
    "gd": ("k", "-", "x"), "clipped-gd": ("C5", "-", "+"), "normalized-gd": ("C6", ":", "1"), "adam": ("C4", ":", "2"),
    "polyak": ("C3", "-", "o"), "polyak-level": ("C3", ":", "s"), "adgd": ("C2", "-", "^"),
    "l0l1-gd": ("C4", "-", "D"), "normalized-gd-decay": ("C6", "-", "v"),
}


def uses_f(algorithm):
    """Whether the method itself needs function values (line searches and Polyak steps)."""
    return ALGORITHMS[algorithm].line_search or algorithm in POLYAK_STEPS


def method_calls(table, f_column="f_evals", grad_column="grad_evals"):
    """Oracle calls of the method on each row: ``f + grad`` where it uses ``f``, else ``grad`` (module docstring).

    Negative counts (a threshold never reached) stay -1.
    """
    f_evals = table[f_column].to_numpy(float)
    grad_evals = table[grad_column].to_numpy(float)
    needs_f = table["algorithm"].map(uses_f).to_numpy(bool)
    calls = np.where(needs_f, f_evals + grad_evals, grad_evals)
    return np.where((grad_evals >= 0) & (f_evals >= 0), calls, -1.0)


def hitting_curves(table, keys):
    """First-hitting curve of every run: the thresholds reached, with iterations and calls there.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy table of single-start cases (one row per eps).
    keys : sequence of str
        Columns that identify a run (e.g. ``["algorithm", "x0_value"]``).

    Returns
    -------
    dict
        Key tuple -> ``{"eps", "iterations", "calls"}`` (lists over the reached thresholds, eps
        decreasing), ``"status"``, ``"total_iterations"``, ``"total_calls"`` and ``"missed"`` (the
        largest threshold not reached, or None).
    """
    data = table.assign(calls=method_calls(table),
                        total_calls=method_calls(table, "total_f_evals", "total_grad_evals"))
    curves = {}
    for key, run in data.groupby(list(keys), sort=False):
        run = run.sort_values("eps", ascending=False)
        reached = run[run["iterations"] >= 0]
        missed = run[run["iterations"] < 0]
        curves[key if isinstance(key, tuple) else (key,)] = {
            "eps": reached["eps"].astype(float).tolist(),
            "iterations": reached["iterations"].astype(int).tolist(),
            "calls": reached["calls"].astype(int).tolist(),
            "status": str(run["status"].iloc[0]),
            "total_iterations": int(run["total_iterations"].iloc[0]),
            "total_calls": int(run["total_calls"].iloc[0]),
            "missed": float(missed["eps"].max()) if len(missed) else None,
        }
    return curves


def cost_at(curve, eps, what="iterations"):
    """Iterations (or calls) at the first threshold ``<= eps`` reached (within rounding), else None."""
    for value, count in zip(curve["eps"], curve[what]):
        if value <= eps * (1 + 1e-9):
            return count
    return None


def cost_text(curve, eps):
    """``"N / calls"`` at ``eps``, or why not (``"> 1e7 (max_iter)"``)."""
    iterations, calls = cost_at(curve, eps), cost_at(curve, eps, "calls")
    if iterations is None:
        return f"> {curve['total_iterations']:.3g} ({curve['status']})"
    return f"{iterations} / {calls}"


def draw_curve(axes, curve, algorithm, x="iterations", label=None, colour=None):
    """A first-hitting curve (eps against iterations or calls, log-log, steps), and where it stopped.

    A run that stopped before the smallest threshold ends with a ``|`` marker at its last count, at the
    last threshold it reached (a real count and a real threshold, never a value invented on the log axis);
    :func:`stop_legend_handle` gives its legend entry.
    """
    default, line, _ = STYLES.get(algorithm, ("C0", "-", "o"))
    colour = default if colour is None else colour
    counts = np.asarray(curve[x], dtype=float) + 1.0  # count + 1: iteration 0 sits at 1 on a log axis
    axes.step(counts, curve["eps"], where="post", color=colour, ls=line, lw=1.3,
              label=label if label is not None else LABELS.get(algorithm, algorithm))
    if curve["missed"] is not None and curve["eps"]:
        total = curve["total_iterations"] if x == "iterations" else curve["total_calls"]
        axes.plot([total + 1.0], [curve["eps"][-1]], marker="|", ms=11, mew=2, color=colour, ls="none")


def stop_legend_handle():
    """Legend entry of the stop markers of :func:`draw_curve`."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color="gray", marker="|", ms=11, mew=2, ls="none",
                  label="run stopped there (budget,\nfloor or divergence)")


def figure_legend(figure, axes_list, right, extra=()):
    """One legend for every curve of ``axes_list`` (each label once) and the stop marker, right of ``right``."""
    entries = {}
    for axes in axes_list:
        for handle, label in zip(*axes.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    others = [*extra, stop_legend_handle()]
    figure.legend(list(entries.values()) + others, list(entries) + [handle.get_label() for handle in others],
                  loc="center left", bbox_to_anchor=(right, 0.5), fontsize=8, frameon=False)


def markdown_table(header, rows):
    """A Markdown table from a header and rows of cells (a ``|`` inside a cell, as in ``|f'|``, is escaped)."""
    def line(cells):
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"
    return [line(header), "|" + "---|" * len(header)] + [line(row) for row in rows]
