"""Bounds: every run of every other experiment against every applicable theorem.

Claim checked: the upper bounds T1 (L-smooth), T2 ((L0,L1)-smooth), T3 (Lojasiewicz,
bounded iterates) on the first hitting iteration ``N(eps)`` and T4 on the function
evaluations spent until then hold for every run the suite makes (SCIENCE.md section 4).
Expected: no violation.  A violation is listed, never hidden.

This experiment runs no optimiser: its pieces read the tables of the other experiments
(``cache/<name>/table.csv``, names in :data:`experiments.machinery.report.EXPERIMENTS`), whose rows
carry the bound of each applicable theorem at that (start, eps) in ``bound_T1`` ..
``bound_T4`` (empty where the theorem does not apply).  One piece per source table; the
piece's cache key includes the SHA-256 of that table, so a new table is checked again.

Table: one row per checked (experiment, function, parameters, algorithm, start, eps,
theorem) with ``measured`` (``iterations`` for T1-T3, ``f_evals`` for T4), ``bound``,
``ratio = measured / bound`` and ``holds`` (``measured <= bound (1 + BOUND_RTOL)``, the
tolerance of :func:`theory.verdict.check_bound`).  Thresholds never reached are
*censored*: when the run used up its iteration budget (status ``max_iter``) its total
iterations are a lower bound on ``N(eps)``; such a row is a violation if that lower bound
already exceeds a T1-T3 bound, and otherwise undetermined (``holds`` empty).  A missing
source table is one row with ``check = "missing table"``.

Floors: a start that stopped at the precision or noise floor (``armijo.result.FLOOR_STATUSES``)
has no count past its stop: its thresholds not reached are censored, never measured.  Each
such start is one row with ``check = "floor stop"`` and ``measured`` = its censored thresholds;
the summary counts them, checks that every count of theirs that enters a bound check was made
at or before the stop, and gives the verdicts of the cases they belong to.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.machinery.study import folders, main, save_figure
from experiments.machinery.cases import Case
from armijo.result import FLOOR_STATUSES
from experiments.machinery.report import EXPERIMENTS
from theory.verdict import BOUND_RTOL

NAME = "bounds"
#: Theorem -> the measured column it bounds, and the total over the run (censored rows).
THEOREMS = {"T1": ("iterations", "total_iterations"), "T2": ("iterations", "total_iterations"),
            "T3": ("iterations", "total_iterations"), "T3-point": ("iterations", "total_iterations"),
            "T4": ("f_evals", None)}
SOURCES = [name for name in EXPERIMENTS if name != NAME]
GRID = {"sources": SOURCES, "theorems": {t: measured for t, (measured, _) in THEOREMS.items()},
        "tolerance": BOUND_RTOL}
#: Identification columns copied from the source rows (when present).
IDENTITY = ["function", "function_params", "algorithm", "algorithm_params", "seed", "start", "x0", "eps", "status",
            "total_iterations", "case_verdict"]
#: The identity of one start (one row per start and floor).
START = ["function", "function_params", "algorithm", "algorithm_params", "seed", "start"]
COLUMNS = ["experiment", *IDENTITY, "theorem", "measured_quantity", "measured", "bound", "ratio", "censored",
           "holds", "check"]


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def cases(quick=False):
    """One piece per source table; the table's digest is part of the case (and so of its cache key)."""
    cache, _ = folders(quick)
    out = []
    for source in SOURCES:
        path = cache / source / "table.csv"
        out.append(Case(NAME, "", algorithm="", eps=(), max_iter=0, starts=0,
                        labels={"source": source, "table": str(path), "table_sha256": _digest(path)}))
    return out


def run_piece(case):
    """Check every row of one source table against its bound columns (see the module docstring)."""
    source, path = case.labels["source"], Path(case.labels["table"])
    if not path.exists():
        return pd.DataFrame([{"experiment": source, "check": "missing table"}], columns=COLUMNS)
    return check_table(source, pd.read_csv(path, low_memory=False))


def check_table(source, table):
    """The checked rows of one experiment's table (one per row and applicable theorem)."""
    present = [c for c in IDENTITY if c in table.columns]
    pieces = []
    for theorem, (measured_column, total_column) in THEOREMS.items():
        column = f"bound_{theorem}"
        if column not in table.columns:
            continue
        bound = pd.to_numeric(table[column], errors="coerce")
        rows = table[np.isfinite(bound)]
        if rows.empty:
            continue
        bound = bound[rows.index].to_numpy(float)
        measured = pd.to_numeric(rows[measured_column], errors="coerce").to_numpy(float)
        reached = measured >= 0
        censored = ~reached
        lower = np.full(measured.shape, np.nan)
        if total_column is not None and total_column in rows.columns:
            exhausted = censored & (rows["status"].to_numpy() == "max_iter")
            lower[exhausted] = pd.to_numeric(rows[total_column], errors="coerce").to_numpy(float)[exhausted]
        value = np.where(reached, measured, lower)
        keep = reached | np.isfinite(value)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = value / bound
        exceeds = value > bound * (1 + BOUND_RTOL)
        holds = pd.array(np.where(reached, ~exceeds, np.where(exceeds, False, None)), dtype="boolean")
        check = np.where(reached, "reached",
                         np.where(exceeds, "censored: budget already above the bound", "censored: undetermined"))
        part = rows[present].copy()
        part.insert(0, "experiment", source)
        part["theorem"] = theorem
        part["measured_quantity"] = measured_column
        part["measured"] = value
        part["bound"] = bound
        part["ratio"] = ratio
        part["censored"] = censored
        part["holds"] = holds
        part["check"] = check
        pieces.append(part[keep])
    pieces.append(floor_rows(source, table))
    if not any(len(piece) for piece in pieces):
        return pd.DataFrame([{"experiment": source, "check": "no bound applies"}], columns=COLUMNS)
    return pd.concat([piece for piece in pieces if len(piece)], ignore_index=True).reindex(columns=COLUMNS)


def floor_rows(source, table):
    """One row per start of ``table`` stopped at a floor: ``measured`` = its censored thresholds."""
    if "status" not in table.columns:
        return pd.DataFrame(columns=COLUMNS)
    stopped = table[table["status"].isin(FLOOR_STATUSES)]
    if stopped.empty:
        return pd.DataFrame(columns=COLUMNS)
    keys = [column for column in START if column in stopped.columns]
    grouped = stopped.groupby(keys, sort=False, dropna=False)
    rows = grouped.first().reset_index()
    rows["measured"] = grouped["iterations"].apply(lambda iterations: int((iterations < 0).sum())).to_numpy()
    rows = rows.reindex(columns=[c for c in IDENTITY if c in rows.columns] + ["measured"])
    rows["eps"] = np.nan
    rows.insert(0, "experiment", source)
    rows["measured_quantity"] = "censored thresholds"
    rows["censored"] = True
    rows["check"] = "floor stop"
    return rows.reindex(columns=COLUMNS)


def floor_summary(table):
    """What the floors did: starts stopped at each floor, censored thresholds, and the checked counts of these
    starts (all made at or before the stop), with the verdicts of their cases."""
    stops = table[table["check"] == "floor stop"]
    checked = table[(table["check"] == "reached") & table["status"].isin(FLOOR_STATUSES)
                    & table["theorem"].isin(["T1", "T2", "T3", "T3-point"])]
    after = checked["measured"].to_numpy(float) > checked["total_iterations"].to_numpy(float)
    cases = stops.drop_duplicates(["experiment", "function", "function_params", "algorithm", "algorithm_params"])
    return {
        "starts": {status: int((stops["status"] == status).sum()) for status in FLOOR_STATUSES},
        "starts_per_experiment": {experiment: int(count) for experiment, count in
                                  stops["experiment"].value_counts().sort_index().items()},
        "censored_thresholds": int(pd.to_numeric(stops["measured"], errors="coerce").fillna(0).sum()),
        "checked_counts": int(len(checked)),
        "checked_counts_after_the_stop": int(after.sum()),
        "case_verdicts": {str(verdict): int(count) for verdict, count in
                          cases["case_verdict"].value_counts().sort_index().items()},
    }


def plot(table, figures):
    import matplotlib.pyplot as plt

    checked = table[table["theorem"].notna() & (table["check"] != "missing table")]
    missing = sorted(table.loc[table["check"] == "missing table", "experiment"].unique())
    no_bound = sorted(set(table.loc[table["check"] == "no bound applies", "experiment"]))
    violations = checked[checked["holds"].astype(str) == "False"]  # holds is True, False or empty
    reached = checked[checked["check"] == "reached"]
    theorems = list(THEOREMS)
    # one colour per experiment in every panel (an experiment absent from a panel must not shift the
    # colours of the others) and one legend for the figure, beside the panels, off the data
    experiments = sorted(reached["experiment"].unique())
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colours = {experiment: palette[k % len(palette)] for k, experiment in enumerate(experiments)}
    figure, axes = plt.subplots(1, len(theorems), figsize=(16, 3.8), sharey=False)
    numbers = {}
    for axis, theorem in zip(axes, theorems):
        ratios = reached.loc[reached["theorem"] == theorem, "ratio"].to_numpy(float)
        ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
        count_violations = int((violations["theorem"] == theorem).sum())
        per_experiment = reached.loc[reached["theorem"] == theorem, "experiment"].value_counts().to_dict()
        numbers[theorem] = {
            "checked": int(ratios.size), "violations": count_violations,
            "median_ratio": float(np.median(ratios)) if ratios.size else np.nan,
            "max_ratio": float(ratios.max()) if ratios.size else np.nan,
            "censored_undetermined": int(((checked["theorem"] == theorem)
                                          & (checked["check"] == "censored: undetermined")).sum()),
            "rows_per_experiment": per_experiment,
        }
        if ratios.size:
            logs = np.log10(ratios)
            bins = np.linspace(min(logs.min(), -1.0), max(logs.max(), 0.5), 40)
            for experiment, group in reached[reached["theorem"] == theorem].groupby("experiment"):
                values = group["ratio"].to_numpy(float)
                values = values[np.isfinite(values) & (values > 0)]
                axis.hist(np.log10(values), bins=bins, histtype="step", lw=1.2, color=colours[experiment])
        axis.axvline(0.0, color="k", ls="--", lw=1)
        axis.set_title(f"{theorem} ({THEOREMS[theorem][0]})\n{ratios.size} checks, "
                       f"{count_violations} violations", fontsize=9)
        axis.set_xlabel("log10(measured / bound)")
        axis.set_yscale("log")
        axis.grid(alpha=0.25)
    axes[0].set_ylabel("rows (start, eps)")
    figure.suptitle("Every run against every applicable bound: the bound holds left of the dashed line", fontsize=11)
    legend_left = 0.93  # the panels end where the legend begins
    figure.tight_layout(rect=(0.0, 0.0, legend_left, 1.0))
    if experiments:
        handles = [plt.Line2D([], [], color=colours[experiment], lw=1.2) for experiment in experiments]
        figure.legend(handles, experiments, loc="center left", bbox_to_anchor=(legend_left, 0.5), fontsize=8,
                      title="experiment", title_fontsize=8, frameon=False)
    save_figure(figure, figures, NAME)

    def fmt(value):
        return "-" if not np.isfinite(value) else f"{value:.3g}"

    experiments_checked = sorted(reached["experiment"].unique())
    violation_lines = [f"{row.experiment}: {row.function} {row.function_params} {row.algorithm} "
                       f"{row.algorithm_params} start {int(row.start)} eps {row.eps:.3g} {row.theorem}: "
                       f"{row.measured_quantity} {row.measured:g} > bound {row.bound:g} ({row.check})"
                       for row in violations.itertuples(index=False)]
    per_theorem = "; ".join(
        f"{t}: {n['checked']} checks, median ratio {fmt(n['median_ratio'])}, max {fmt(n['max_ratio'])}, "
        f"{n['violations']} violations" for t, n in numbers.items())
    caption = (
        f"Distribution of log10(measured / bound) over every (start, eps) of the experiments "
        f"{', '.join(experiments_checked) or 'none'} where a theorem applies (T1-T3 bound the first hitting "
        f"iteration, T4 the function evaluations; constants estimated by the assessment, so the bounds are "
        f"themselves estimates). {per_theorem}. Total violations: {len(violations)}"
        + (" (listed in the table below)" if len(violations) else " (none)") + ". "
        + (f"Missing tables (not run yet): {', '.join(missing)}. " if missing else "")
        + (f"No bound applies to any row of: {', '.join(no_bound)}. " if no_bound else "")
        + f"Censored rows (threshold never reached, budget below the bound: undetermined): "
        f"{sum(n['censored_undetermined'] for n in numbers.values())}.")
    floors = floor_summary(table)
    markdown = []
    if violation_lines:
        grouped = violations.groupby(["experiment", "function", "function_params", "algorithm", "theorem"], sort=False)
        markdown = [f"Violations ({len(violations)} rows; every row is listed in bounds.json and in the table), "
                    "grouped by case:", "",
                    "| experiment | function | parameters | algorithm | theorem | rows | starts | eps range "
                    "| largest measured/bound | algorithm parameters |", "|---|---|---|---|---|---|---|---|---|---|"]
        for (experiment, function, params, algorithm, theorem), group in grouped:
            markdown.append(
                f"| {experiment} | {function} | `{params}` | {algorithm} | {theorem} | {len(group)} "
                f"| {group['start'].nunique()} | {group['eps'].min():.3g}..{group['eps'].max():.3g} "
                f"| {group['ratio'].max():.4g} | {group['algorithm_params'].nunique()} distinct |")
    return {"caption": caption, "numbers": numbers, "violations": violation_lines, "missing_tables": missing,
            "verdicts": [], "table_markdown": markdown, "floors": floors}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
