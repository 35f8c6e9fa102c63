"""Calibration of the rate fitter: coverage of its intervals on synthetic N(eps) with known truth.

Claim checked (issue 26, :mod:`theory.calibration`): per family of synthetic first-hitting
curves drawn like real runs, the answers of :func:`theory.fit.fit_rate` without a warning label
contain the true exponent in at least 93% of the draws and name a wrong model confidently in at
most 2%; the labelled answers contain it in at least 80% (an ``undetermined`` answer claims
nothing).  The families the fitter's rules were designed against are reported apart from two
held-out sets: families not used to choose the rules (looked at during development) and families
written after the rules were fixed (run once).

``python -m experiments.calibration [--draws N] [--jobs N]`` (``make calibration``) writes
``figures/calibration.json`` (``families``, ``held_out_families``, ``fresh_held_out_families``:
one record per family with the contract's numbers; ``slices``: the same numbers over the designs
the issue names as hard, pooled over every family, :data:`theory.calibration.SLICES`; ``details``;
the run's provenance),
``figures/calibration.png`` and ``.pdf``, and one row per draw in ``cache/calibration/table.csv``.
Not part of ``make experiments`` (about 2800 fits: minutes); ``figures/REPORT.md`` includes its
table when ``figures/calibration.json`` exists.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from experiments.machinery.cases import atomic_write_table, atomic_write_text, provenance
from experiments.machinery.report import calibration_table
from experiments.machinery.study import folders, plain, save_figure
from theory import calibration

NAME = "calibration"
DRAWS = 200
"""Draws per family (the contract's battery; ``tests/test_calibration.py`` runs fewer)."""

CHUNK = 25
"""Draws per task of a worker process."""

SETS = (("families", calibration.FAMILIES), ("held_out_families", calibration.HELD_OUT),
        ("fresh_held_out_families", calibration.FRESH))
"""The families of the JSON's three lists, in order."""


def _chunk(task):
    set_name, index, start, count = task
    family = dict(SETS)[set_name][index]
    return set_name, index, calibration.run_family(family, count, start=start)


def outcomes(draws=DRAWS, jobs=1):
    """``{(set, family index): [Outcome, ...]}`` for every family of :data:`SETS`, ``draws`` each."""
    tasks = [(set_name, index, start, min(CHUNK, draws - start))
             for set_name, families in SETS for index in range(len(families)) for start in range(0, draws, CHUNK)]
    results = {}
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(_chunk, tasks))
    else:
        done = [_chunk(task) for task in tasks]
    for set_name, index, chunk in done:
        results.setdefault((set_name, index), []).extend(chunk)
    return results


def table(results):
    """One row per draw: family, truth, answer, judgement."""
    rows = []
    for (set_name, index), chunk in results.items():
        family = dict(SETS)[set_name][index]
        for number, outcome in enumerate(chunk):
            truth = calibration.draw(family, number)
            rows.append({"set": set_name, "family": family.name, "draw": number, "truth_model": truth.truth_model,
                         "truth_exponent": truth.truth_exponent,
                         "parameters": json.dumps(truth.parameters, default=str),
                         "model": outcome.model, "exponent": outcome.exponent, "ci_low": outcome.ci_low,
                         "ci_high": outcome.ci_high, "flags": ";".join(outcome.flags), "labelled": outcome.labelled,
                         "undetermined": outcome.undetermined, "covered": outcome.covered,
                         "wrong_model": outcome.wrong_model})
    return pd.DataFrame(rows)


def summarize(results):
    """The JSON: per set, one contract record per family; details; the contract."""
    numbers = {"contract": dict(calibration.CONTRACT), "fit_options": {"two_regime": True}, "details": []}
    for set_name, families in SETS:
        numbers[set_name] = []
        for index, family in enumerate(families):
            chunk = results[(set_name, index)]
            row = calibration.summarize(family, chunk)
            numbers[set_name].append(row)
            numbers["details"].append({"set": set_name, **calibration.details(family, chunk),
                                       "contract_broken": calibration.meets_contract(row)})
    numbers["slices"] = calibration.summarize_slices(
        (calibration.draw(dict(SETS)[set_name][index], number).parameters, outcome)
        for (set_name, index), chunk in results.items() for number, outcome in enumerate(chunk))
    return numbers


def draw_figure(numbers):
    """Coverage per family against 0.95 and 0.80 (left), share of unlabelled answers (right)."""
    import matplotlib.pyplot as plt

    rows, tags = [], []
    for set_name, tag in (("families", ""), ("held_out_families", " (held out)"),
                          ("fresh_held_out_families", " (held out, fresh)")):
        rows += numbers.get(set_name, [])
        tags += [tag] * len(numbers.get(set_name, []))
    names = [row["name"] + tag for row, tag in zip(rows, tags)]
    y = np.arange(len(rows))[::-1]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9.6, 0.32 * len(rows) + 2.2), sharey=True,
                                         gridspec_kw={"width_ratios": (2.2, 1.0)})
    unlabelled, labelled = (np.array([np.nan if row[key] is None else row[key] for row in rows], dtype=float)
                            for key in ("coverage_unlabelled", "coverage_labelled"))
    left.axvline(0.95, color="k", lw=1, ls="-", label="nominal 0.95")
    left.axvline(calibration.CONTRACT["coverage_unlabelled"], color="k", lw=1, ls="--",
                 label=f"unlabelled floor {calibration.CONTRACT['coverage_unlabelled']:g}")
    left.axvline(calibration.CONTRACT["coverage_labelled"], color="tab:orange", lw=1, ls="--",
                 label=f"labelled floor {calibration.CONTRACT['coverage_labelled']:g}")
    left.plot(unlabelled, y + 0.12, "o", color="tab:blue", label="without a label")
    left.plot(labelled, y - 0.12, "s", mfc="none", color="tab:orange", label="labelled (undetermined counts as honest)")
    lowest = np.nanmin(np.concatenate([unlabelled, labelled, [0.75]]))
    left.set_xlim(max(0.0, lowest - 0.05), 1.02)
    left.set_yticks(y, names, fontsize=8)
    left.set_xlabel("share of intervals that contain the true exponent")
    left.grid(axis="x", alpha=0.3)
    handles, labels = left.get_legend_handles_labels()
    figure.legend(handles, labels, fontsize=7, loc="lower center", ncol=3, frameon=False)
    share = np.array([row["unlabelled_fraction"] for row in rows], dtype=float)
    right.barh(y, share, color="tab:blue", alpha=0.6)
    right.set_xlim(0, 1)
    right.set_xlabel("share of answers without a label")
    right.grid(axis="x", alpha=0.3)
    figure.suptitle(f"Rate fitter calibration: {rows[0]['draws'] if rows else 0} draws per family", fontsize=10)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    return figure


def caption(numbers):
    broken = [f"{d['name']}: {'; '.join(d['contract_broken'])}" for d in numbers["details"] if d["contract_broken"]]
    return ("Coverage of the 95% interval of theory.fit.fit_rate on synthetic N(eps) with known truth, per family: "
            "answers without a warning label (filled) and labelled ones (open; an undetermined answer counts as "
            "honest), against the nominal 0.95 and the contract's floors 0.93 and 0.80; right: the share of answers "
            "without a label. "
            + ("Every family meets the contract." if not broken else "Contract broken: " + " | ".join(broken) + "."))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m experiments.calibration",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("--draws", type=int, default=DRAWS, help=f"draws per family (default {DRAWS})")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--quick", action="store_true", help="8 draws per family, into cache/quick/figures")
    args = parser.parse_args(argv)
    if args.draws < 1 or args.jobs < 1:
        parser.error("--draws and --jobs must be positive")
    draws = 8 if args.quick else args.draws
    cache, figures = folders(args.quick)
    figures.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results = outcomes(draws, args.jobs)
    numbers = summarize(results)
    info = provenance()
    numbers.update(seconds=round(time.perf_counter() - started, 1), jobs=args.jobs,
                   commit=info["commit"], dirty=info["dirty"])
    numbers["caption"] = caption(numbers)
    numbers["table_markdown"] = calibration_table(numbers)
    atomic_write_table(cache / NAME / "table.csv", table(results))
    save_figure(draw_figure(numbers), figures, NAME)
    atomic_write_text(figures / f"{NAME}.json", json.dumps(plain(numbers), indent=1) + "\n")
    for set_name in [name for name, _ in SETS] + ["slices"]:
        print(f"{set_name}:")
        print("\n".join(calibration_table(numbers, set_name)))
    print(f"{numbers['caption']}\n{sum(len(v) for v in results.values())} fits in {numbers['seconds']} s "
          f"with {args.jobs} process(es); wrote {figures / (NAME + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
