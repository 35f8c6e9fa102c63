"""The report: every figure with its caption and numbers, and the verdict table.

Reads only the summaries the plot steps wrote (``figures/<name>.json``) and writes
``figures/REPORT.md``.  ``python -m experiments.machinery.report [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import re

from experiments.machinery.study import folders
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


def verdict_table(summaries):
    lines = ["| experiment | function | parameters | algorithm | model | fitted exponent | 95% interval | predicted max "
             "| bounds (theorem:held:max ratio) | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|"]
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
                f"| {name} | {row.get('function', '')} | `{row.get('function_params', '')}` | {row.get('algorithm', '')} "
                f"| {row.get('case_model', '') or '-'} | {_cell(row.get('case_exponent'))} | {interval} | {_cell(row.get('case_predicted_exponent'), 'g')} "
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
    lines = ["## The rate predicted at the limit point against the fit", "",
             "For every limit group of every case, the Lojasiewicz exponent theta is estimated at the limit point "
             "itself (exact at nondegenerate and univariate points, sampled on spheres otherwise; "
             "`theory/local_rate.py`), independently of the run; with the accepted steps settled to a constant it "
             "predicts the model (theta = 1/2: logarithmic; theta in (1/2, 1): power 2 - 1/theta). It agrees when "
             "the fitted model is the same and, for a power law, the predicted exponent lies in the fitted "
             f"interval. Over {total['groups']} groups: {total['agree']} agree, {total['disagree']} disagree"
             + (f" ({total['agree'] / compared:.0%} of the {compared} compared)" if compared else "")
             + f", {total['not_compared']} not compared (no verified limit, steps not settled, or no model fitted).",
             "", "| experiment | groups | agree | disagree | not compared |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {n['groups']} | {n['agree']} | {n['disagree']} | {n['not_compared']} |" for name, n in rows]
    disagreements = [f"- {name}: {text}" for name, n in rows for text in n.get("disagreements", [])]
    if disagreements:
        lines += ["", "Disagreements:", ""] + disagreements
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
        closest = f"{best['ratio']:.3g} ({best['function']} `{best['function_params']}`)" if best else "-"
        lines.append(f"| {theorem} | {n.get('kind', '-')} | {n['checked']} | {n.get('informative', '-')} "
                     f"| {n.get('vacuous', '-')} | {n.get('identity', 0) + n.get('restatement', 0)} "
                     f"| {n['violations']} | {_number(n.get('informative_median_ratio'))} "
                     f"| {_number(n.get('informative_max_ratio'))} | {closest} |")
    ceilings = []
    for target, entry in tight.get("exponents", {}).items():
        best = entry.get("best")
        if best:
            ceilings.append(f"{target}: {best['case_exponent']:.3f} [{best['case_exponent_ci_low']:.3f}, "
                            f"{best['case_exponent_ci_high']:.3f}] on {best['function']} `{best['function_params']}` "
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
    lines += floor_section(summaries)
    lines += bounds_section()
    lines += ["## Verdicts", "",
              "One row per (function, parameters, algorithm) of every experiment, for the largest limit group "
              "(the starts that reach one critical point; the experiments' tables have every group): the rate "
              "model chosen on the deepest thresholds (power, or logarithmic = linear convergence, exponent 0), "
              "the fitted exponent and its 95% interval (starts, window and pre-asymptotic drift), the largest exponent the "
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
