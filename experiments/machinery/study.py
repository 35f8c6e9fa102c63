"""The command line shared by every experiment module, and helpers for their plot steps.

Every experiment module ``experiments/<name>.py`` declares

* ``NAME``, ``GRID`` (its parameter grid, as data) and ``QUICK`` (what the tiny grid of the tests
  changes in it), both expanded by :func:`experiments.machinery.grid.expand_grid`,
* ``cases(quick) -> list[Case]`` (the pieces; ``quick`` gives the tiny grid),
* ``summarize(table) -> numbers`` (everything the figure, the caption and the tables of
  ``REPORT.md`` need, computed from the table only, without matplotlib),
  ``draw(numbers, figures)`` (writes ``figures/<name>.png`` and ``.pdf``, computes nothing) and
  ``caption(numbers)``,
* ``plot(table, figures) -> dict`` (the three in turn; returns the summary: caption, headline
  numbers, verdict rows),
* optionally ``run_piece`` (default :func:`experiments.machinery.pieces.run_case`),

and ends with ``if __name__ == "__main__": sys.exit(main(sys.modules[__name__]))``, so that
``python -m experiments.<name> [run|plot|all] [--quick] [--jobs N]`` works on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.machinery.cases import ROOT, atomic_write_text
from experiments.machinery.executors import PiecesFailed
from experiments.machinery.run import run_pieces
from experiments.machinery.pieces import run_case


def folders(quick):
    """Cache and figures folders: the quick grid never touches the committed figures."""
    if quick:
        return ROOT / "cache" / "quick", ROOT / "cache" / "quick" / "figures"
    return ROOT / "cache", ROOT / "figures"


def run(module, *, quick=False, jobs=None, scheduler=None, progress=True):
    """Run the experiment's pieces (resuming from the cache) and write its table."""
    cache, _ = folders(quick)
    piece = getattr(module, "run_piece", run_case)
    return run_pieces(module.NAME, module.cases(quick), piece, cache, jobs=jobs, scheduler=scheduler,
                      progress=progress, parameters={"grid": module.GRID, "quick": quick},
                      sources=[module.__file__])


def read_table(name, quick=False):
    cache, _ = folders(quick)
    path = cache / name / "table.csv"
    if not path.exists():
        raise FileNotFoundError(f"no table for {name}: run `python -m experiments.{name} run` first ({path})")
    return pd.read_csv(path, low_memory=False)


def plot(module, *, quick=False):
    """Run the plot step: read the table, draw, write the summary next to the figures."""
    _, figures = folders(quick)
    figures.mkdir(parents=True, exist_ok=True)
    table = read_table(module.NAME, quick)
    summary = module.plot(table, figures)
    summary = {"experiment": module.NAME, "quick": quick, **summary}
    if "group_agreement" in table.columns:
        summary.setdefault("prediction_agreement", prediction_agreement(table))
    atomic_write_text(figures / f"{module.NAME}.json", json.dumps(plain(summary), indent=1))
    return summary


def plain(value):
    """JSON-ready copy: numpy scalars to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def legend_outside(axes, **options):
    """A legend to the right of ``axes``, off the data (the figure's layout makes room for it)."""
    return axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **options)


def failure_strip(axes, rows, size="16%", pad=0.08):
    """A strip under ``axes``, on its x axis, for what has no value on its y axis (a run that diverged or ran
    out of budget has no N(eps)): one row per name of ``rows``, labelled on the left.  Failures are drawn
    there, never as values invented on a log axis; ``axes`` hands its x tick labels (and its x label, which
    the caller sets on the strip) to the strip.
    """
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    strip = make_axes_locatable(axes).append_axes("bottom", size=size, pad=pad, sharex=axes)
    strip.set_yticks(range(len(rows)))
    strip.set_yticklabels(rows, fontsize=8)
    strip.set_ylim(len(rows) - 0.5, -0.5)
    strip.grid(True, axis="x", which="major", alpha=0.25)
    axes.tick_params(labelbottom=False)
    axes.set_xlabel("")
    return strip


def save_figure(figure, figures, name):
    """Write ``name.png`` and ``name.pdf`` atomically and close the figure."""
    import matplotlib.pyplot as plt

    for extension in ("png", "pdf"):
        path = Path(figures) / f"{name}.{extension}"
        temporary = path.with_name(path.name + ".tmp")
        # no creation date in the PDF: the same table gives the same bytes
        metadata = {"CreationDate": None} if extension == "pdf" else None
        figure.savefig(temporary, format=extension, dpi=130 if extension == "png" else None, metadata=metadata)
        os.replace(temporary, path)
    plt.close(figure)


VERDICT_KEYS = ["function", "function_params", "algorithm"]
VERDICT_COLUMNS = ["case_model", "case_exponent", "case_exponent_ci_low", "case_exponent_ci_high", "case_labels",
                   "case_fit_eps_lo", "case_fit_eps_hi", "case_predicted_exponent", "case_bounds_held", "case_verdict",
                   "case_reasons"]


def verdict_rows(table, scanned=()):
    """One row per (function, parameters, algorithm): the case-level fit and verdict.

    Parameters
    ----------
    table : pandas.DataFrame
        An experiment's tidy table.
    scanned : sequence of str
        Columns an experiment scans within one (function, parameters, algorithm), e.g. the
        initial gap; with them every case (also one per ``algorithm_params``) is merged into
        its row: per theorem the bound holds only if it held in every case, with the largest
        ratio; the warning labels are those of any case; the exponent is the median over the cases
        and the interval the hull of theirs; the verdict lists how many cases gave each verdict,
        and the reasons each distinct reason once.  Without them the first case of each group stands for it.
    """
    present = [c for c in VERDICT_COLUMNS if c in table.columns]
    if not scanned:
        rows = table[VERDICT_KEYS + present].drop_duplicates(subset=VERDICT_KEYS)
        return rows.astype(object).where(rows.notna(), "").to_dict(orient="records")
    identity = VERDICT_KEYS + ["algorithm_params", *scanned]
    per_case = table.drop_duplicates(subset=identity)
    rows = []
    for key, group in per_case.groupby(VERDICT_KEYS, sort=False):
        row = dict(zip(VERDICT_KEYS, key))
        numbers = {"case_exponent": np.nanmedian, "case_exponent_ci_low": np.nanmin,
                   "case_exponent_ci_high": np.nanmax, "case_fit_eps_lo": np.nanmin,
                   "case_fit_eps_hi": np.nanmax, "case_predicted_exponent": np.nanmax}
        for column, reduce in numbers.items():
            if column in group.columns:
                values = group[column].to_numpy(float)
                row[column] = float(reduce(values)) if np.isfinite(values).any() else ""
        if "case_bounds_held" in group.columns:
            row["case_bounds_held"] = _merge_bound_checks(group["case_bounds_held"])
        for column in ("case_model", "case_verdict"):
            if column in group.columns:
                counts = group[column].fillna("none").value_counts()
                row[column] = (counts.index[0] if len(counts) == 1
                               else ", ".join(f"{value} {count}/{len(group)}" for value, count in counts.items()))
        if "case_labels" in group.columns:  # every warning label some case carries
            row["case_labels"] = ";".join(dict.fromkeys(label for text in group["case_labels"].dropna()
                                                        for label in str(text).split(";") if label))
        if "case_reasons" in group.columns:
            reasons = dict.fromkeys(r for text in group["case_reasons"].dropna() for r in str(text).split("; ") if r)
            row["case_reasons"] = "; ".join(reasons)
        rows.append(row)
    return rows


def _merge_bound_checks(texts):
    """Merge ``T1:yes:0.1;T2:NO:3`` strings: held in every case, largest ratio."""
    merged = {}
    for text in texts.dropna():
        for item in str(text).split(";"):
            if item.count(":") != 2:
                continue
            theorem, held, ratio = item.split(":")
            previous_held, previous_ratio = merged.get(theorem, (True, np.nan))
            value = float(ratio) if ratio not in ("", "nan") else np.nan
            merged[theorem] = (previous_held and held == "yes", np.fmax(previous_ratio, value))
    return ";".join(f"{theorem}:{'yes' if held else 'NO'}:{ratio:.3g}" for theorem, (held, ratio) in merged.items())


GROUP_COLUMNS = ["limit_group", "limit_kind", "limit_value", "limit_point", "group_starts", "group_model",
                 "group_exponent", "group_exponent_ci_low", "group_exponent_ci_high", "group_iterations_per_decade",
                 "group_pre_asymptotic", "group_labels", "group_theta", "group_theta_point", "group_theta_point_exact",
                 "group_predicted_model", "group_predicted_exponent", "group_theta_method",
                 "group_prediction_valid_below_eps", "group_prediction_reason", "group_agreement", "group_verdict"]


def group_rows(table, extra=()):
    """One row per (function, parameters, algorithm, limit group): the fit of the starts with that limit
    (and the case's ``extra`` label columns)."""
    present = [c for c in GROUP_COLUMNS if c in table.columns]
    return table.drop_duplicates(subset=VERDICT_KEYS + ["algorithm_params", "limit_group"])[
        VERDICT_KEYS + ["algorithm_params", *extra] + present].sort_values(VERDICT_KEYS + ["limit_group"],
                                                                           kind="stable")


KIND_ABBREVIATIONS = {"minimum": "min", "saddle": "saddle", "maximum": "max", "degenerate minimum": "min*",
                      "degenerate saddle": "saddle*", "degenerate maximum": "max*", "flat": "flat",
                      "none": "no limit"}


def rate_text(model, exponent, low, high, iterations_per_decade):
    """A group's rate in a table cell: ``0.667 [0.663, 0.671]``, ``log (22/decade)``, ``0.031 [0, 0.12] or
    log (5/decade)`` (power-or-logarithmic) or ``-``."""
    if model == "logarithmic":
        return f"log ({iterations_per_decade:.3g}/decade)"
    if model == "power-or-logarithmic" and np.isfinite(exponent):
        return f"{exponent:.3f} [0, {high:.3f}] or log ({iterations_per_decade:.3g}/decade)"
    if model in ("power", "two-regime") and np.isfinite(exponent):
        return f"{exponent:.3f} [{low:.3f}, {high:.3f}]"
    return "-"


def groups_cell(groups):
    """Every limit group of one case in a table cell, largest first.

    Groups at limits of the same kind and value with the same model (e.g. the symmetric
    minima of a benchmark) share one entry: ``min x4 (6 starts): log (13.9-14.1/decade)``.
    """
    if len(groups) == 1:
        r = groups.iloc[0]
        return rate_text(r.group_model, r.group_exponent, r.group_exponent_ci_low, r.group_exponent_ci_high,
                         r.group_iterations_per_decade)
    parts = []
    keys = groups.assign(value_key=groups["limit_value"].map(lambda v: f"{v:.6g}"))
    for _, same in keys.groupby(["limit_kind", "value_key", "group_model"], sort=False, dropna=False):
        r = same.iloc[0]
        kind = KIND_ABBREVIATIONS.get(r.limit_kind, r.limit_kind)
        points = f" x{len(same)}" if len(same) > 1 else ""
        if len(same) == 1:
            rate = rate_text(r.group_model, r.group_exponent, r.group_exponent_ci_low, r.group_exponent_ci_high,
                             r.group_iterations_per_decade)
        elif r.group_model == "logarithmic":
            low, high = same["group_iterations_per_decade"].min(), same["group_iterations_per_decade"].max()
            rate = f"log ({low:.3g}/decade)" if f"{low:.3g}" == f"{high:.3g}" else f"log ({low:.3g}-{high:.3g}/decade)"
        elif r.group_model in ("power", "two-regime", "power-or-logarithmic"):
            rate = (f"{same['group_exponent'].min():.3f}-{same['group_exponent'].max():.3f} "
                    f"[{same['group_exponent_ci_low'].min():.3f}, {same['group_exponent_ci_high'].max():.3f}]")
        else:
            rate = "-"
        parts.append(f"{kind}{points} ({int(same['group_starts'].sum())}): {rate}")
    return "; ".join(parts) or "-"


def _not_compared_reason(row):
    """Why a group's fit was not compared with the prediction, in a few words."""
    reason = str(getattr(row, "group_prediction_reason", "") or "")
    if row.limit_kind == "none":
        return "no verified limit"
    if "do not settle" in reason:
        return "steps not settled"
    if "straddles" in reason or "outside the range" in reason:
        return "window outside the prediction's range"
    if "no Lojasiewicz exponent" in reason or row.group_theta_point != row.group_theta_point:
        return "no theta at the limit"
    return "no model fitted"


def prediction_agreement(table):
    """Over every limit group of every case: how often the rate predicted from the limit point's
    Lojasiewicz exponent over the fit window agrees with the fitted one (``theory.local_rate``), why
    the others were not compared, and every disagreement with its prediction and reason."""
    groups = group_rows(table)
    state = groups["group_agreement"].map(lambda v: "agree" if v in (True, "True") else
                                          "disagree" if v in (False, "False") else "not compared")
    counts = state.value_counts().to_dict()
    disagreeing = groups[state == "disagree"]
    why = {}
    for row in groups[state == "not compared"].itertuples(index=False):
        key = _not_compared_reason(row)
        why[key] = why.get(key, 0) + 1
    return {"groups": int(len(groups)), "agree": int(counts.get("agree", 0)),
            "disagree": int(counts.get("disagree", 0)), "not_compared": int(counts.get("not compared", 0)),
            "not_compared_reasons": why,
            "disagreements": [f"{r.function} {r.function_params} {r.algorithm}: {r.limit_kind}, fit {r.group_model} "
                              f"{r.group_exponent:.3g} [{r.group_exponent_ci_low:.3g}, {r.group_exponent_ci_high:.3g}], "
                              f"predicted {r.group_predicted_model} {r.group_predicted_exponent:.3g} over the window "
                              f"(theta {r.group_theta_point:.4g} by {getattr(r, 'group_theta_method', '-')}; "
                              f"{getattr(r, 'group_prediction_reason', '')}); verdict {r.group_verdict}"
                              for r in disagreeing.itertuples(index=False)]}


def nearest_eps(table, target):
    """The threshold of the table's eps grid nearest to ``target`` in log scale (quick grids stop earlier)."""
    grid = np.unique(table["eps"])
    return float(grid[np.argmin(np.abs(np.log(grid / target)))])


def median_curve(table, group_columns):
    """Median N(eps) over starts per group, with never-hit counted as +inf (censored median)."""
    data = table.copy()
    data["iterations_censored"] = np.where(data["iterations"] >= 0, data["iterations"], np.inf)
    data["f_evals_censored"] = np.where(data["f_evals"] >= 0, data["f_evals"], np.inf)
    grouped = data.groupby(list(group_columns) + ["eps"], sort=False)
    return grouped[["iterations_censored", "f_evals_censored"]].median().reset_index()


def main(module, argv=None):
    parser = argparse.ArgumentParser(prog=f"python -m experiments.{module.NAME}",
                                     description=(module.__doc__ or "").strip().splitlines()[0])
    parser.add_argument("step", nargs="?", default="all", choices=("run", "plot", "all"))
    parser.add_argument("--quick", action="store_true", help="the tiny grid (cache/quick)")
    parser.add_argument("--jobs", type=int, default=None, help="local processes (default: all cores)")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    if args.step in ("run", "all"):
        try:
            run(module, quick=args.quick, jobs=args.jobs, scheduler=args.scheduler, progress=not args.no_progress)
        except PiecesFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if args.step in ("plot", "all"):
        summary = plot(module, quick=args.quick)
        print(f"{module.NAME}: {summary.get('caption', '')[:200]}")
    return 0


#: A figure is judged at the size it is printed: scaled down to this width when it is wider (a landscape page
#: with its margins, or a report read at full width).
PRINT_WIDTH_INCHES = 10.0
#: No text may be smaller than this at printed size (the common minimum of journals' figure guidelines).
MIN_TEXT_POINTS = 6.0


def printed_points(figure, fontsize):
    """The size in points of text of ``fontsize`` when ``figure`` is printed (:data:`PRINT_WIDTH_INCHES`)."""
    width = figure.get_size_inches()[0]
    return fontsize * min(1.0, PRINT_WIDTH_INCHES / width)


def layout_problems(figure):
    """What a referee would flag in a figure's layout: text outside the canvas or too small, legends on data.

    Draws the figure and returns one line per problem: a text artist (title, label, tick
    label, legend entry, annotation) whose box leaves the canvas or that is smaller than
    :data:`MIN_TEXT_POINTS` at printed size (:func:`printed_points`), two axes titles that
    overlap, or a legend whose box covers a plotted data point (line vertices, markers, scatter
    offsets, error bars) or a bar of its own axes.
    """
    from matplotlib.collections import Collection
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.text import Text

    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    canvas = figure.bbox
    problems = []
    texts = list(figure.texts)
    if getattr(figure, "_suptitle", None) is not None:
        texts.append(figure._suptitle)
    for axes in figure.axes:
        texts += [axes.title, axes._left_title, axes._right_title, axes.xaxis.label, axes.yaxis.label, *axes.texts]
        if axes.get_legend() is not None:
            texts += [*axes.get_legend().get_texts(), axes.get_legend().get_title()]
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if low - span <= tick.get_loc() <= high + span:  # only the ticks that are drawn
                    texts += [tick.label1, tick.label2]
    titles = [axes.title.get_window_extent(renderer) for axes in figure.axes if axes.title.get_text().strip()]
    for i, first in enumerate(titles):
        for second in titles[i + 1:]:
            if first.overlaps(second):
                problems.append("two axes titles overlap")
    for legend in figure.legends:
        texts += [*legend.get_texts(), legend.get_title()]
    for text in texts:
        if not isinstance(text, Text) or not text.get_visible() or not text.get_text().strip():
            continue
        printed = printed_points(figure, text.get_fontsize())
        if printed < MIN_TEXT_POINTS - 1e-9:
            problems.append(f"text {text.get_text()[:40]!r} is {printed:.1f} pt at printed size "
                            f"(minimum {MIN_TEXT_POINTS:g})")
        box = text.get_window_extent(renderer)
        if box.x0 < canvas.x0 - 1 or box.y0 < canvas.y0 - 1 or box.x1 > canvas.x1 + 1 or box.y1 > canvas.y1 + 1:
            problems.append(f"text {text.get_text()[:40]!r} leaves the canvas")
    for axes in figure.axes:
        legend = axes.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        points = []
        for line in axes.get_lines():
            if isinstance(line, Line2D) and line.get_visible() and line.get_label() != "_nolegend_":
                xy = np.column_stack(line.get_data()).astype(float)
                points.append(line.get_transform().transform(xy[np.isfinite(xy).all(axis=1)]))
        for collection in axes.collections:
            if isinstance(collection, Collection) and collection.get_visible():
                offsets = np.asarray(collection.get_offsets(), dtype=float)
                if offsets.size:
                    points.append(collection.get_offset_transform().transform(offsets))
        covered_bars = sum(1 for patch in axes.patches if isinstance(patch, Rectangle) and patch.get_visible()
                           and patch.get_height() != 0 and box.overlaps(patch.get_window_extent(renderer)))
        if covered_bars:
            problems.append(f"the legend of '{axes.get_title()[:40]}' covers {covered_bars} bar(s)")
        if points:
            xy = np.vstack([p for p in points if p.size])
            frame = axes.bbox  # points outside the axes are clipped away: not drawn, not covered
            drawn = (xy[:, 0] >= frame.x0) & (xy[:, 0] <= frame.x1) & (xy[:, 1] >= frame.y0) & (xy[:, 1] <= frame.y1)
            inside = drawn & ((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1))
            if inside.any():
                problems.append(f"the legend of '{axes.get_title()[:40]}' covers {int(inside.sum())} data point(s)")
    return problems
