"""The report: every figure with its caption and numbers, and the verdict table.

Reads only the summaries the plot steps wrote (``figures/<name>.json``) and writes
``figures/REPORT.md``.  ``python -m experiments.machinery.report [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import re

import numpy as np

from experiments.machinery.study import folders
from functions.labels import function_label
from experiments.machinery.cases import atomic_write_text, provenance

#: The experiments, in the order of the report (the Makefile lists the same names).
EXPERIMENTS = ("exponents", "monomials", "l0l1", "variants", "eta0", "neural", "bounds", "basins", "necessity",
               "tightness", "gorbunov", "vankov", "neuron_protocol", "deep")

TITLES = {
    "exponents": "1. Exponents: analytic functions with bounded iterates against the worst cases",
    "monomials": "2. Monomials x^(2p): exponent against p",
    "l0l1": "3. (L0,L1)-smoothness: N(eps) against L1 and the initial gap, with the T2 bound",
    "variants": "4. Variants: acceleration of armijo-increase and armijo-dichotomy, in iterations and evaluations",
    "eta0": "5. Sensitivity to the initial step",
    "neural": "6. Neural networks: tanh against ReLU, full batch and mini-batch",
    "bounds": "7. Every run against every applicable bound",
    "basins": "8. Basins: which minimum each algorithm reaches on the single-neuron benchmarks",
    "necessity": "9. Necessity of analyticity: a bounded, L-smooth spiral valley on which armijo needs eps^-p, p > 1",
    "tightness": "10. Tightness: how close the counts come to each bound and exponent ceiling, and where",
    "gorbunov": "11. Reproduction: Gorbunov et al. 2024 on x^4, the tuning-free rivals and the Armijo variants",
    "vankov": "12. Reproduction: Vankov et al. 2024 on (1/p)||x||^p, the (L0, L1) pair, normalized GD's R and Armijo",
    "neuron_protocol": "13. Reproduction: the author's single-neuron protocol for every algorithm",
    "deep": "14. Deep learning on real data: smoothness along training, and what a line search saves in tuning",
}


def _cell(value, spec=".3f"):
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        return format(value, spec)
    return str(value)


def _labels(text):
    """`` (label, label)`` after a model: the fit's warning labels (its interval is not promised), if any."""
    text = text if isinstance(text, str) else ""  # a table read back has nan where there is none
    labels = [label for label in text.split(";") if label and label != "power-or-logarithmic"]
    return f" ({', '.join(labels)})" if labels else ""


def verdict_table(summaries):
    lines = ["| experiment | function | algorithm | model | fitted exponent | 95% interval | predicted max "
             "| bounds (theorem:held:max ratio) | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    counts = {}
    for name, summary in summaries:
        for row in summary.get("verdicts", []):
            interval = f"[{_cell(row.get('case_exponent_ci_low'))}, {_cell(row.get('case_exponent_ci_high'))}]"
            verdict = row.get("case_verdict", "")
            # merged rows of a scan read "consistent 12/17, inconclusive 5/17": count every case
            merged = re.findall(r"(\w+) (\d+)/\d+", verdict)
            for name_, count in merged or [(verdict, 1)]:
                counts[name_] = counts.get(name_, 0) + int(count)
            lines.append(
                f"| {name} | {function_label(row.get('function', ''), row.get('function_params'))} | {row.get('algorithm', '')} "
                f"| {row.get('case_model', '') or '-'}{_labels(row.get('case_labels'))} | {_cell(row.get('case_exponent'))} | {interval} | {_cell(row.get('case_predicted_exponent'), 'g')} "
                f"| {row.get('case_bounds_held', '') or '-'} | {verdict}"
                + (f" ({row['case_reasons']})" if row.get("case_reasons") and verdict != "consistent" else "")
                + " |")
    return lines, counts


def prediction_section(summaries):
    """How often the rate predicted from the limit point's Lojasiewicz exponent agrees with the fit."""
    rows = [(name, summary["prediction_agreement"]) for name, summary in summaries if "prediction_agreement" in summary]
    if not rows:
        return []
    total = {key: sum(numbers[key] for _, numbers in rows) for key in ("groups", "agree", "disagree", "not_compared")}
    compared = total["agree"] + total["disagree"]
    why = {}
    for _, numbers in rows:
        for key, count in numbers.get("not_compared_reasons", {}).items():
            why[key] = why.get(key, 0) + count
    lines = ["## The rate predicted at the limit point against the fit", "",
             "For every limit group of every case, the Lojasiewicz exponent theta is estimated at the limit point "
             "itself, independently of the run (`theory/local_rate.py`): exact at nondegenerate points (Morse), "
             "from the Taylor order in one variable, from a definite lowest-order homogeneous form; otherwise "
             "from its definition, the slope of the smallest gradient norm on the level sets f = f(x*) + c "
             "against c, searched from the runs' own iterates and their valley. Where lower-order terms take "
             "over only at small scales, the profile of local exponents gives the range of gradient norms where "
             "the asymptotic rate applies, and the prediction is made for the fit window actually measured "
             "(theta = 1/2: logarithmic; theta in (1/2, 1): power 2 - 1/theta), with constant accepted steps. "
             "It agrees when the predicted exponent's range (over theta's interval; 0 for linear convergence) meets "
             "the fitted interval, with no margin added (the interval carries the drift and model uncertainty; it is "
             "[0, upper] for logarithmic and power-or-logarithmic fits; `agreement` in `theory/local_rate.py`); a "
             "disagreement counts only where the prediction applies. Over "
             f"{total['groups']} groups: {total['agree']} agree, {total['disagree']} disagree"
             + (f" ({total['agree'] / compared:.0%} of the {compared} compared)" if compared else "")
             + f", {total['not_compared']} not compared ("
             + (", ".join(f"{key} {count}" for key, count in sorted(why.items(), key=lambda item: -item[1]))
                or "no verified limit, steps not settled, window outside the prediction's range, or no model fitted")
             + ").",
             "", "| experiment | groups | agree | disagree | not compared |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {n['groups']} | {n['agree']} | {n['disagree']} | {n['not_compared']} |" for name, n in rows]
    disagreements = [f"- {name}: {text}" for name, n in rows for text in n.get("disagreements", [])]
    if disagreements:
        lines += ["", "Disagreements:", ""] + disagreements
    return lines + [""]


def _percent(value):
    return "-" if value is None or not np.isfinite(value) else f"{100 * value:.1f}%"


def calibration_table(numbers, set_name="families"):
    """The calibration table of one set of ``figures/calibration.json`` (README and REPORT.md)."""
    lines = ["| family | truth | draws | unlabelled | coverage, unlabelled | coverage, labelled | "
             "confident wrong model |", "|---|---|---|---|---|---|---|"]
    for row in numbers.get(set_name, []):
        truth = row.get("truth_exponent")
        truth = (f"{row['truth_model']} {truth[0]:g} to {truth[1]:g}" if isinstance(truth, list)
                 else "every family" if truth is None else f"{row['truth_model']} {truth:g}")
        lines.append(f"| {row['name']} | {truth} | {row['draws']} | "
                     f"{_percent(row['unlabelled_fraction'])} | {_percent(row['coverage_unlabelled'])} | "
                     f"{_percent(row['coverage_labelled'])} | {_percent(row['wrong_model_unlabelled'])} |")
    return lines


def calibration_section(figures):
    """The calibration table of the rate fitter, where ``make calibration`` wrote ``calibration.json``."""
    path = figures / "calibration.json"
    if not path.exists():
        return []
    numbers = json.loads(path.read_text())
    lines = ["## Calibration of the rate intervals", "", "![calibration](calibration.png)", "",
             numbers.get("caption", ""), "",
             f"From `make calibration` (commit `{(numbers.get('commit') or 'unknown')[:12]}`, "
             f"{numbers.get('seconds', '-')} s on {numbers.get('jobs', '-')} processes). Families the rules were "
             "designed against:", ""]
    lines += calibration_table(numbers, "families")
    lines += ["", "Held out (not used to choose the rules; seen during development):", ""]
    lines += calibration_table(numbers, "held_out_families")
    lines += ["", "Held out, written after the rules were fixed and run once:", ""]
    lines += calibration_table(numbers, "fresh_held_out_families")
    if numbers.get("slices"):
        lines += ["", "The designs the issue names as hard, pooled over every family above (the contract is per "
                  "family; a slice with no unlabelled answer shows `-`):", ""]
        lines += calibration_table(numbers, "slices")
    return lines + [""]


def floor_section(summaries):
    """How many starts stopped at a floor, and that no checked count comes from past one (the bounds summary)."""
    floors = dict(summaries).get("bounds", {}).get("floors")
    if not floors:
        return []
    starts = sum(floors["starts"].values())
    per_status = ", ".join(f"{count} at {status}" for status, count in floors["starts"].items())
    per_experiment = ", ".join(f"{name} {count}" for name, count in floors["starts_per_experiment"].items()) or "none"
    verdicts = ", ".join(f"{verdict} {count}" for verdict, count in floors["case_verdicts"].items()) or "none"
    after = floors["checked_counts_after_the_stop"]
    return ["## Floors: where rounding decides the Armijo test", "",
            "A start stops at the precision floor (the first-order decrease of a trial within 4 ulps of f) or at the "
            "noise floor (an Armijo decision within the evaluation noise of f, bounded by a running error analysis "
            "of the printed kernel: `functions/noise.py`, `armijo/linesearch.py`). Past that point a count would "
            "measure rounding, not the function, so the thresholds a stopped start did not reach are censored: "
            "no count, no bound check, no fit point.", "",
            f"Over every experiment: {starts} start(s) stopped at a floor ({per_status}; by experiment: "
            f"{per_experiment}), {floors['censored_thresholds']} (start, eps) entries censored there. "
            f"The {floors['checked_counts']} counts of these starts that enter the T1-T3 checks were all made "
            + ("at or before the stop: no verdict rests on a count past a floor. " if after == 0 else
               f"at or before the stop except {after} (listed in bounds.json: a defect to fix). ")
            + f"Verdicts of the cases with a floor stop: {verdicts}.", ""]


def _number(value, spec=".3g"):
    return "-" if value is None else format(value, spec)


def evidence_section(summaries, counts):
    """The headline: per theorem how many checks could have failed, their tightness, the closest case found.

    Reads the summaries of ``bounds`` (every experiment's checks, classified by ``theory/evidence.py``)
    and ``tightness`` (the search for the counts closest to each bound and ceiling).
    """
    summaries = dict(summaries)
    bounds = summaries.get("bounds", {}).get("numbers")
    if not bounds:
        return []
    tight = summaries.get("tightness", {}).get("numbers", {})
    lines = ["## Headline: which checks could have failed, and how close the counts come", "",
             "A check `measured <= bound` is informative when the count could have exceeded the bound: the bound "
             "lies below the run's iteration budget and its constants were not estimated from the counts it bounds "
             "(`theory/evidence.py`). A bound at or above the budget is vacuous; T3 with tail constants restates the "
             "run; T4 is the telescoped evaluation count (an identity) except for `armijo`. The tightness is "
             "measured/bound over the informative checks only (T3: (N - K)/(bound - K) after the entry time K); "
             "the last column is the closest case the tightness study (section 10) found.", "",
             "| theorem | kind | checks | informative | vacuous | identity or restatement | violations "
             "| informative ratio: median | largest | closest case found |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for theorem, n in bounds.items():
        best = (tight.get("bounds", {}).get(theorem) or {}).get("best")
        closest = f"{best['ratio']:.3g} ({function_label(best['function'], best['function_params'])})" if best else "-"
        lines.append(f"| {theorem} | {n.get('kind', '-')} | {n['checked']} | {n.get('informative', '-')} "
                     f"| {n.get('vacuous', '-')} | {n.get('identity', 0) + n.get('restatement', 0)} "
                     f"| {n['violations']} | {_number(n.get('informative_median_ratio'))} "
                     f"| {_number(n.get('informative_max_ratio'))} | {closest} |")
    ceilings = []
    for target, entry in tight.get("exponents", {}).items():
        best = entry.get("best")
        if best:
            ceilings.append(f"{target}: {best['case_exponent']:.3f} [{best['case_exponent_ci_low']:.3f}, "
                            f"{best['case_exponent_ci_high']:.3f}]{_labels(best.get('case_labels'))} on {function_label(best['function'], best['function_params'])} "
                            f"(known {_number(best.get('known_exponent'), '.3f')})")
    if ceilings:
        lines += ["", "Closest fitted exponents to the ceilings: " + "; ".join(ceilings) + "."]
    lines += ["", "Verdicts (every case of every experiment, from informative evidence only: an exponent interval "
              "that contains both p <= ceiling and p > ceiling supports neither and is inconclusive): "
              + ", ".join(f"{k or 'none'} {v}" for k, v in sorted(counts.items())) + ".", ""]
    return lines


def bounds_section():
    """The bounds the experiments check, as the theorem modules state them (SymPy forms)."""
    import sympy

    from theory.theorems import THEOREMS

    lines = ["## The bounds checked", "",
             "As `theory/` states them (the `sympy_form` of each module; the docstrings give the derivations "
             "and the variants' forms). T1-T3 bound the first hitting iteration N(eps), T4 the function "
             "evaluations after n iterations (shown for `armijo-increase`).", ""]
    for label, module in THEOREMS.items():
        lines += [f"**{label}** ({module.__name__}): {module.HYPOTHESES}", "",
                  f"$$N \\le {sympy.latex(module.sympy_form())}$$" if label != "T4" else
                  f"$$\\#f \\le {sympy.latex(module.sympy_form())}$$", ""]
    return lines


def build(quick=False):
    _, figures = folders(quick)
    summaries = []
    for name in EXPERIMENTS:
        path = figures / f"{name}.json"
        if path.exists():
            summaries.append((name, json.loads(path.read_text())))
    info = provenance()
    lines = ["# Report: Armijo-like line searches against their complexity bounds", "",
             f"Generated by `make experiments{' QUICK=1' if quick else ''}` from commit "
             f"`{(info['commit'] or 'unknown')[:12]}`{' (with uncommitted changes)' if info['dirty'] else ''}, "
             f"numpy {info['versions']['numpy']}, scipy {info['versions']['scipy']}, on {info['cpus']} cores.",
             "Each figure reads only the tidy table its experiment wrote under `cache/` "
             "(one row per function, parameters, algorithm, start and eps).", ""]
    missing = [name for name in EXPERIMENTS if name not in dict(summaries)]
    if missing:
        lines += [f"Missing experiments (not run yet): {', '.join(missing)}.", ""]
    table, counts = verdict_table(summaries)
    lines += evidence_section(summaries, counts)
    for name, summary in summaries:
        lines += [f"## {TITLES.get(name, name)}", "", f"![{name}]({name}.png)", ""]
        lines += [line for extra in summary.get("extra_figures", []) for line in (f"![{extra}]({extra}.png)", "")]
        lines += [summary.get("caption", ""), ""]
        extra = summary.get("table_markdown")
        if extra:
            lines += extra + [""]
    lines += prediction_section(summaries)
    lines += calibration_section(figures)
    lines += floor_section(summaries)
    lines += bounds_section()
    lines += ["## Verdicts", "",
              "One row per (function, parameters, algorithm) of every experiment, for the largest limit group "
              "(the starts that reach one critical point; the experiments' tables have every group): the rate "
              "model (power; logarithmic = linear convergence, exponent 0; power-or-logarithmic where the data "
              "cannot tell them apart), the fitted exponent and its 95% interval of the asymptotic exponent "
              "(drift, offset and model uncertainty included; see the calibration section), the largest exponent the "
              "applicable theorems allow (1 where T3 applies: analytic with bounded iterates; 2 where only T1/T2 "
              "apply), each applicable bound with the largest measured/bound ratio, and the verdict.", "",
              "Totals over every case (a scanned row counts each of its cases): "
              + ", ".join(f"{k or 'none'} {v}" for k, v in sorted(counts.items())) + ".", ""]
    lines += table
    atomic_write_text(figures / "REPORT.md", "\n".join(lines) + "\n")
    return figures / "REPORT.md"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(f"report written to {build(args.quick)}")


if __name__ == "__main__":
    main()
