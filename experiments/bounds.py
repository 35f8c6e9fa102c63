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
``ratio = measured / bound`` (for T3 and T3-point ``(measured - K) / (bound - K)``, with
``K`` the start's entry time read from the trace: the part of the count the bound
constrains) and ``holds`` (``measured <= bound (1 + BOUND_RTOL)``, the tolerance of
:func:`theory.verdict.check_bound`).  Thresholds never reached are
*censored*: when the run used up its iteration budget (status ``max_iter``) its total
iterations are a lower bound on ``N(eps)``; such a row is a violation if that lower bound
already exceeds a T1-T3 bound, and otherwise undetermined (``holds`` empty).  A missing
source table is one row with ``check = "missing table"``.

Every row is classified as :mod:`theory.evidence` states it (column ``evidence``): ``kind`` is
what the theorem module says the check is (:func:`theory.theorems.check_kind`: T3 with tail
constants is a restatement of the run, T4 an identity except for ``armijo``); a check of kind
``bound`` is ``informative`` where the bound lies below the run's iteration budget
(``max_iter``; T4's evaluations have none) or the count exceeds it, else ``vacuous`` (also a
censored row that does not exceed it).  The summary counts the checks of each class per theorem
and gives the tightness (median and largest measured/bound) over the informative ones.

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
from theory.evidence import BOUND_RTOL, CLASSES, classify, exceeds, tightness
from theory.theorems import check_kind

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
           "holds", "check", "kind", "evidence"]


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


def check_table(source, table, carry=()):
    """The checked rows of one experiment's table (one per row and applicable theorem), classified.

    ``carry``: further columns of the source table to keep on the checked rows (a study's labels).
    """
    present = [c for c in [*IDENTITY, *carry] if c in table.columns]
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
        # T3's entry time K comes from the trace: the bound constrains only N - K (theory.verdict.check_bound)
        entry = (np.nan_to_num(pd.to_numeric(rows[f"entry_{theorem}"], errors="coerce").to_numpy(float))
                 if f"entry_{theorem}" in rows.columns else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (value - entry) / (bound - entry)
        above = exceeds(value, bound)
        holds = pd.array(np.where(reached, ~above, np.where(above, False, None)), dtype="boolean")
        check = np.where(reached, "reached",
                         np.where(above, "censored: budget already above the bound", "censored: undetermined"))
        kinds = rows["algorithm"].map(lambda algorithm: check_kind(theorem, algorithm)).to_numpy()
        budget = (pd.to_numeric(rows["max_iter"], errors="coerce").to_numpy(float)
                  if total_column is not None and "max_iter" in rows.columns else None)
        evidence = np.empty(len(rows), dtype=object)
        for kind in np.unique(kinds):
            same = kinds == kind
            evidence[same] = classify(value[same], bound[same], kind=kind, censored=censored[same],
                                      budget=None if budget is None else budget[same])
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
        part["kind"] = kinds
        part["evidence"] = evidence
        pieces.append(part[keep])
    pieces.append(floor_rows(source, table, carry))
    if not any(len(piece) for piece in pieces):
        return pd.DataFrame([{"experiment": source, "check": "no bound applies"}], columns=[*COLUMNS, *carry])
    return pd.concat([piece for piece in pieces if len(piece)], ignore_index=True).reindex(columns=[*COLUMNS, *carry])


def floor_rows(source, table, carry=()):
    """One row per start of ``table`` stopped at a floor: ``measured`` = its censored thresholds (no theorem:
    not a check, so no evidence class)."""
    columns = [*COLUMNS, *carry]
    if "status" not in table.columns:
        return pd.DataFrame(columns=columns)
    stopped = table[table["status"].isin(FLOOR_STATUSES)]
    if stopped.empty:
        return pd.DataFrame(columns=columns)
    keys = [column for column in START if column in stopped.columns]
    grouped = stopped.groupby(keys, sort=False, dropna=False)
    rows = grouped.first().reset_index()
    rows["measured"] = grouped["iterations"].apply(lambda iterations: int((iterations < 0).sum())).to_numpy()
    rows = rows.reindex(columns=[c for c in [*IDENTITY, *carry] if c in rows.columns] + ["measured"])
    rows["eps"] = np.nan
    rows.insert(0, "experiment", source)
    rows["measured_quantity"] = "censored thresholds"
    rows["censored"] = True
    rows["check"] = "floor stop"
    return rows.reindex(columns=columns)


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


def _fmt(value):
    return "-" if value is None or not np.isfinite(value) else f"{value:.3g}"


def _histograms(rows, bins=40):
    """Bins of log10(ratio) over ``rows`` (reached, positive ratios): informative per experiment, the rest."""
    if rows.empty:
        return {"edges": [], "informative": {}, "other": []}
    logs = np.log10(rows["ratio"].to_numpy(float))
    edges = np.linspace(min(logs.min(), -1.0), max(logs.max(), 0.5), bins)
    informative = (rows["evidence"] == "informative").to_numpy()
    return {"edges": edges.tolist(),
            "informative": {experiment: np.histogram(logs[informative & (rows["experiment"] == experiment).to_numpy()],
                                                     edges)[0].tolist()
                            for experiment in sorted(rows.loc[informative, "experiment"].unique())},
            "other": np.histogram(logs[~informative], edges)[0].tolist()}


def summarize(table):
    """The headline numbers of the checked rows, per theorem (no matplotlib).

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`check_table` rows of every source.

    Returns
    -------
    dict
        ``theorems``: per theorem ``kind`` (the kinds of its rows), ``checked`` (every row: reached
        and censored), ``reached`` (counts measured), ``censored`` (rows whose count is a lower
        bound), the rows of each class ``informative``, ``vacuous``, ``identity``, ``restatement``
        (they add up to ``checked``), ``violations``, ``median_ratio`` and ``max_ratio`` over every reached count, and
        ``informative_median_ratio``, ``informative_max_ratio`` over the informative reached
        counts (the tightness), ``censored_undetermined``, ``rows_per_experiment``,
        ``informative_per_experiment``; ``histograms``: per theorem the ``edges`` of the bins of
        log10(measured/bound) over the reached counts (positive ratios), the counts of the informative checks per
        experiment (``informative``) and of the others (``other``); ``experiments`` (those with a
        reached count), ``missing`` and ``no_bound`` (source tables not run yet, or without any
        bound), and the violating rows (``violations``, a DataFrame).
    """
    checked = table[table["theorem"].notna() & (table["check"] != "missing table")]
    violations = checked[checked["holds"].astype(str) == "False"]  # holds is True, False or empty
    reached = checked[checked["check"] == "reached"]
    numbers, histograms = {}, {}
    for theorem in THEOREMS:
        rows = checked[checked["theorem"] == theorem]
        here = reached[reached["theorem"] == theorem]
        ratios = here["ratio"].to_numpy(float)
        histograms[theorem] = _histograms(here[np.isfinite(ratios) & (ratios > 0)])
        ratios = ratios[np.isfinite(ratios)]
        informative = here[here["evidence"] == "informative"]
        median, largest = tightness(informative["ratio"])
        classes = rows["evidence"].value_counts()
        numbers[theorem] = {
            "kind": ", ".join(sorted(rows["kind"].dropna().unique())) or "-",
            "checked": int(len(rows)), "reached": int(len(here)), "censored": int(rows["censored"].astype(bool).sum()),
            **{name: int(classes.get(name, 0)) for name in CLASSES},
            "violations": int((violations["theorem"] == theorem).sum()),
            "median_ratio": float(np.median(ratios)) if ratios.size else np.nan,
            "max_ratio": float(ratios.max()) if ratios.size else np.nan,
            "informative_median_ratio": median, "informative_max_ratio": largest,
            "censored_undetermined": int((rows["check"] == "censored: undetermined").sum()),
            "rows_per_experiment": here["experiment"].value_counts().to_dict(),
            "informative_per_experiment": informative["experiment"].value_counts().to_dict(),
        }
    return {"theorems": numbers, "histograms": histograms, "experiments": sorted(reached["experiment"].unique()),
            "missing": sorted(table.loc[table["check"] == "missing table", "experiment"].unique()),
            "no_bound": sorted(set(table.loc[table["check"] == "no bound applies", "experiment"])),
            "violations": violations}


def draw(numbers, figures):
    """Per theorem, the distribution of log10(measured/bound): informative checks by experiment, the
    others (vacuous, identity, restatement) in grey behind them; writes ``bounds.png`` and ``.pdf``."""
    import matplotlib.pyplot as plt

    # one colour per experiment in every panel (an experiment absent from a panel must not shift the
    # colours of the others) and one legend for the figure, beside the panels, off the data
    experiments = numbers["experiments"]
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colours = {experiment: palette[k % len(palette)] for k, experiment in enumerate(experiments)}
    figure, axes = plt.subplots(1, len(THEOREMS), figsize=(17, 4.1), sharey=False)
    for axis, theorem in zip(axes, THEOREMS):
        counts, histogram = numbers["theorems"][theorem], numbers["histograms"][theorem]
        if histogram["edges"]:
            axis.stairs(histogram["other"], histogram["edges"], fill=True, color="0.82", lw=0)
            for experiment, values in histogram["informative"].items():
                axis.stairs(values, histogram["edges"], lw=1.2, color=colours[experiment])
        axis.axvline(0.0, color="k", ls="--", lw=1)
        axis.set_title(f"{theorem} ({THEOREMS[theorem][0]}; {counts['kind']})\n{counts['checked']} checks, "
                       f"{counts['informative']} informative, {counts['violations']} violations", fontsize=8.5)
        axis.set_xlabel("log10((N - K) / (bound - K))" if theorem.startswith("T3") else "log10(measured / bound)")
        axis.set_yscale("log")
        axis.grid(alpha=0.25)
    axes[0].set_ylabel("rows (start, eps)")
    figure.suptitle("Every run against every applicable bound: the bound holds left of the dashed line; "
                    "coloured: informative checks (could have failed), grey: vacuous, identity or restatement",
                    fontsize=10)
    legend_left = 0.915  # the panels end where the legend begins
    figure.tight_layout(rect=(0.0, 0.0, legend_left, 1.0))
    if experiments:
        handles = [plt.Line2D([], [], color=colours[experiment], lw=1.2) for experiment in experiments]
        handles.append(plt.Rectangle((0, 0), 1, 1, color="0.82", lw=0))
        figure.legend(handles, [*experiments, "not informative"], loc="center left",
                      bbox_to_anchor=(legend_left, 0.5), fontsize=8, title="experiment", title_fontsize=8,
                      frameon=False)
    save_figure(figure, figures, NAME)


def caption(numbers):
    """The caption of the figure, with every headline number."""
    theorems = numbers["theorems"]
    per_theorem = "; ".join(
        f"{t}: {n['checked']} checks ({n['kind']}), {n['informative']} informative, {n['vacuous']} vacuous, "
        f"{n['violations']} violations, informative measured/bound median {_fmt(n['informative_median_ratio'])} "
        f"and largest {_fmt(n['informative_max_ratio'])} (over every check: largest {_fmt(n['max_ratio'])})"
        for t, n in theorems.items())
    total = len(numbers["violations"])
    return (
        f"Distribution of log10(measured / bound) over every (start, eps) of the experiments "
        f"{', '.join(numbers['experiments']) or 'none'} where a theorem applies (T1-T3 bound the first hitting "
        f"iteration, T4 the function evaluations; constants estimated by the assessment, so the bounds are "
        f"themselves estimates). A check is informative when it could have failed: a bound below the run's "
        f"iteration budget, with constants not taken from the counts it bounds (theory/evidence.py); a bound "
        f"at or above the budget is vacuous, T3 with tail constants restates the trace, T4 is the telescoped "
        f"count (an identity) except for armijo. {per_theorem}. Total violations: {total}"
        + (" (listed in the table below)" if total else " (none)") + ". "
        + (f"Missing tables (not run yet): {', '.join(numbers['missing'])}. " if numbers["missing"] else "")
        + (f"No bound applies to any row of: {', '.join(numbers['no_bound'])}. " if numbers["no_bound"] else "")
        + f"Censored rows (threshold never reached, budget below the bound: undetermined, vacuous): "
        f"{sum(n['censored_undetermined'] for n in theorems.values())}.")


def plot(table, figures):
    """:func:`draw` after :func:`summarize`; the summary with the caption and the violations."""
    numbers = summarize(table)
    draw(numbers, figures)
    violations = numbers["violations"]
    violation_lines = [f"{row.experiment}: {row.function} {row.function_params} {row.algorithm} "
                       f"{row.algorithm_params} start {int(row.start)} eps {row.eps:.3g} {row.theorem}: "
                       f"{row.measured_quantity} {row.measured:g} > bound {row.bound:g} ({row.check})"
                       for row in violations.itertuples(index=False)]
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
    return {"caption": caption(numbers), "numbers": numbers["theorems"], "violations": violation_lines,
            "missing_tables": numbers["missing"], "verdicts": [], "table_markdown": markdown,
            "floors": floors}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
