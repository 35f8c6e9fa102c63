"""``armijo check``: run the algorithms on a user's function, estimate, fit, check the bounds.

:func:`check_objective` is the whole pipeline (no printing); :func:`format_report`
turns its result into the readable report and :func:`plot_report` into the
log-log figure of ``N(eps)``.  The JSON form of the result is the contract other
tools parse (see the README): keep the key names.
"""

from __future__ import annotations

import math

import numpy as np

from armijo import ALGORITHMS
from armijo.params import resolve_params
from experiments.runner import run_minimize
from theory.assessment import assess_run, estimate_hypotheses

DEFAULT_ALGORITHMS = ("armijo", "armijo-increase", "gd")
#: Thresholds at which the text report shows N(eps) and evaluations.
REPORTED_THRESHOLDS = 4
#: Above this many limit groups, the text report gives one line per group.
MAX_DETAILED_GROUPS = 4


class CheckInputError(ValueError):
    """Bad input to ``armijo check`` (exit code 2)."""


def algorithm_parameters(algorithm, options):
    """The parameters of ``algorithm`` among the command-line ``options`` (others ignored)."""
    accepted = ALGORITHMS[algorithm].defaults
    chosen = {name: value for name, value in options.items() if value is not None and name in accepted}
    return resolve_params(algorithm, **chosen)


def validate_starts(objective, starts):
    """Refuse starts where ``f`` or its gradient is not finite (one clear line)."""
    with np.errstate(all="ignore"):
        values = np.asarray(objective.f(starts), dtype=float)
        gradients = np.asarray(objective.grad(starts), dtype=float)
    bad = ~(np.isfinite(values) & np.isfinite(gradients).all(axis=1))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        point = ", ".join(f"{v:g}" for v in starts[index])
        what = "f" if not np.isfinite(values[index]) else "the gradient"
        raise CheckInputError(f"{what} is not finite at the start ({point}); choose another start")


def censored_median(values):
    """Median over starts of counts where -1 means 'never': never counts as +inf; None if infinite."""
    array = np.where(values >= 0, values, np.inf).astype(float)
    median = np.median(array, axis=0)
    return [None if not np.isfinite(v) else float(v) for v in np.atleast_1d(median)]


def _number(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def check_objective(objective, starts, algorithms, options, eps, max_iter, *, expression_text=None,
                    seed=0, backend="auto"):
    """Run every algorithm from ``starts``, estimate the hypotheses, assess every run.

    Parameters
    ----------
    objective : functions.Objective
        The function.
    starts : ndarray, shape (B, n)
        Starts.
    algorithms : sequence of str
        Engine algorithm names.
    options : dict
        Command-line parameter values (``eta0, lam, f1, f2, eta``; None for defaults).
    eps : sequence of float
        Decreasing thresholds.
    max_iter : int
        Iteration budget per start.
    expression_text : str, optional
        The user's expression, echoed in the report.
    seed : int
        Seed of the estimation samples and bootstrap.
    backend : str
        ``"auto"`` (compiled when Numba and a kernel are available), ``"compiled"`` or ``"numpy"``.

    Returns
    -------
    dict
        The report (JSON-ready), with the private key ``"_assessments"`` holding the records
        for plotting (dropped by :func:`json_ready`).
    """
    validate_starts(objective, starts)
    runs = []
    for algorithm in algorithms:
        params = algorithm_parameters(algorithm, options)
        result = run_minimize(objective, starts, algorithm, backend=backend, eps=eps, max_iter=max_iter,
                              trace=True, **params)
        runs.append(result)
    hypotheses = estimate_hypotheses(objective, starts, runs, seed=seed)
    assessments = [assess_run(objective, result, hypotheses, fit_seed=seed) for result in runs]
    report = {
        "function": {
            "name": objective.name,
            "expression": expression_text if expression_text is not None else (
                str(objective.expression) if objective.expression is not None else None),
            "variables": list(objective.variables),
            "params": dict(objective.params),
            "analytic": objective.analytic,
            "analytic_reason": objective.analytic_reason,
            "l_smooth_declared": objective.l_smooth,
            "l0l1_smooth_declared": objective.l0l1_smooth,
            "L": _number(hypotheses.L),
            "L0": _number(hypotheses.L0),
            "L1": _number(hypotheses.L1),
            "grad_norm_max": _number(hypotheses.grad_norm_max),
            "lojasiewicz_theta": _headline_theta(assessments),
            "f_star": _number(hypotheses.f_star),
            "f_star_source": hypotheses.f_star_source,
            "bounded_iterates": hypotheses.bounded_iterates,
            "constants_sampled_on": hypotheses.sampled_on,
            "constants_are_lower_estimates": hypotheses.lower_estimates,
        },
        "algorithms": [],
    }
    for result, assessment in zip(runs, assessments):
        fit = assessment.fit
        report["algorithms"].append({
            "algorithm": result.algorithm,
            "backend": result.backend,
            "params": result.params,
            "first_trial": result.first_trial,
            "starts": result.starts,
            "max_iter": result.max_iter,
            "status": result.status_counts(),
            "eps": [float(e) for e in result.eps],
            "iterations_median": censored_median(result.eps_hits),
            "f_evals_median": censored_median(result.eps_hit_f_evals),
            "grad_evals_median": censored_median(result.eps_hit_grad_evals),
            "model": fit.model,
            "pre_asymptotic": bool(fit.pre_asymptotic),
            "iterations_per_decade": _number(fit.iterations_per_decade),
            "exponent": _number(fit.exponent),
            "exponent_ci": [_number(fit.ci_low), _number(fit.ci_high)],
            "fit_window": [_number(fit.eps_lo), _number(fit.eps_hi)],
            "fit_flags": list(fit.flags),
            "fit_rule": fit.rule,
            "two_regime": None if assessment.two_regime is None else {
                "a": _number(assessment.two_regime.a), "b": _number(assessment.two_regime.b),
                "crossover_eps": _number(assessment.two_regime.crossover_eps)},
            "predicted_max_exponent": _number(assessment.predicted_exponent),
            "bounds": _bounds_json(assessment.checks),
            "delta": [_number(d) for d in assessment.delta],
            "delta_source": list(assessment.delta_source),
            "groups": [_group_json(result, group) for group in assessment.groups],
            "verdict": assessment.verdict.verdict,
            "reasons": list(assessment.verdict.reasons) + list(assessment.notes),
        })
    report["_assessments"] = assessments
    return report


def _headline_theta(assessments):
    """Lojasiewicz theta of the largest group of the first run that has one (an Armijo variant first)."""
    ordered = sorted(assessments, key=lambda a: not a.algorithm.startswith("armijo"))
    for assessment in ordered:
        if assessment.groups and assessment.groups[0].theta is not None:
            return _number(assessment.groups[0].theta)
    return None


def _bounds_json(checks):
    return [{"theorem": c.theorem, "holds": c.holds, "max_ratio": _number(c.max_ratio),
             "checked": c.n_checked, "violations": c.n_violations} for c in checks]


def _group_json(result, group):
    """One limit-point group of the JSON report."""
    fit, limit = group.fit, group.limit
    members = list(group.starts)
    return {
        "limit_point": None if not limit.verified else [float(v) for v in limit.point],
        "limit_kind": limit.kind,
        "limit_value": _number(limit.value),
        "limit_reason": limit.reason or None,
        "starts": len(members),
        "start_indices": members,
        "model": fit.model,
        "exponent": _number(fit.exponent),
        "exponent_ci": [_number(fit.ci_low), _number(fit.ci_high)],
        "pre_asymptotic": bool(fit.pre_asymptotic),
        "extrapolated_exponent": _number(fit.extrapolated),
        "iterations_per_decade": _number(fit.iterations_per_decade),
        "iterations_per_decade_ci": [_number(v) for v in fit.iterations_per_decade_ci],
        "fit_window": [_number(fit.eps_lo), _number(fit.eps_hi)],
        "fit_flags": list(fit.flags),
        "evidence": {key: _number(value) for key, value in fit.evidence.items()},
        "iterations_median": censored_median(result.eps_hits[members]),
        "f_evals_median": censored_median(result.eps_hit_f_evals[members]),
        "theta": _number(group.theta),
        "theta_source": "tail of the runs (restates the run)",
        "theta_point": None if group.local is None else _number(group.local.theta),
        "theta_point_exact": None if group.local is None else bool(group.local.exact),
        "theta_point_method": None if group.local is None else group.local.method,
        "lojasiewicz_C_point": None if group.local is None else _number(group.local.C),
        "predicted_model": None if group.prediction is None else group.prediction.model,
        "predicted_exponent": None if group.prediction is None else _number(group.prediction.exponent),
        "predicted_exponent_range": None if group.prediction is None else [
            _number(group.prediction.exponent_low), _number(group.prediction.exponent_high)],
        "prediction_applies": None if group.prediction is None else bool(group.prediction.applies),
        "prediction_reason": None if group.prediction is None else group.prediction.reason,
        "agreement": group.agreement,
        "predicted_max_exponent": _number(group.predicted_exponent),
        "bounds": _bounds_json(group.checks),
        "verdict": group.verdict.verdict,
        "reasons": list(group.verdict.reasons),
    }


def json_ready(report):
    """The report without its private plotting records."""
    return {key: value for key, value in report.items() if not key.startswith("_")}


def _fmt(value, spec=".3g"):
    return "-" if value is None else format(value, spec)


def _limit_text(group):
    if group["limit_point"] is None:
        return f"no verified limit point ({group['limit_reason']})"
    scale = 1.0 + max(abs(v) for v in group["limit_point"])
    coordinates = ", ".join("0" if abs(v) < 1e-12 * scale else f"{v:.4g}" for v in group["limit_point"][:6])
    more = f", ... ({len(group['limit_point'])} coordinates)" if len(group["limit_point"]) > 6 else ""
    return f"x* = ({coordinates}{more}), {group['limit_kind']}, f(x*) = {group['limit_value']:.6g}"


def _rate_text(block):
    """The fitted model of a group (or of the largest one) in one line."""
    low, high = block["exponent_ci"]
    window = block["fit_window"]
    on = f"on eps in [{_fmt(window[0])}, {_fmt(window[1])}]"
    if block["model"] == "logarithmic":
        ipd = block["iterations_per_decade"]
        text = (f"model: logarithmic (linear convergence), {_fmt(ipd, '.4g')} iterations per decade of eps; "
                f"exponent 0 [0, {_fmt(high)}] {on}")
    elif block["model"] == "undetermined":
        if {"window_too_short", "insufficient_data"} & set(block["fit_flags"]):
            why = "too few thresholds reached to fit a model"
        elif "jumps_in_most_starts" in block["fit_flags"]:
            why = "most starts jump over a decade or more in one step"
        else:
            why = "no model predicts the deepest thresholds"
        text = f"model: undetermined ({why})"
    else:
        text = f"model: {block['model']}, exponent {_fmt(block['exponent'], '.4g')} [{_fmt(low, '.4g')}, {_fmt(high, '.4g')}] {on}"
        if block.get("pre_asymptotic"):
            text += f" (pre-asymptotic: the exponent still drifts; extrapolated {_fmt(block.get('extrapolated_exponent'), '.4g')})"
    flags = [flag for flag in block["fit_flags"] if flag != "pre_asymptotic"]
    return text + (f"  flags: {', '.join(flags)}" if flags else "")


def _prediction_text(group):
    """The rate predicted from the limit point's Lojasiewicz exponent, and whether the fit agrees."""
    if group["theta_point"] is None:
        return "predicted from the limit point: - (no verified limit point)"
    how = "exact" if group["theta_point_exact"] else "sampled lower estimate"
    text = f"theta at the limit point: {_fmt(group['theta_point'], '.4g')} ({how}: {group['theta_point_method']})"
    if not group["prediction_applies"]:
        return f"{text}; no prediction: {group['prediction_reason']}"
    expected = ("logarithmic" if group["predicted_model"] == "logarithmic"
                else f"power, exponent {_fmt(group['predicted_exponent'], '.4g')}")
    verdict = {True: "agrees", False: "DISAGREES", None: "not compared (no model fitted)"}[group["agreement"]]
    return f"{text}; predicts {expected}: the fit {verdict}"


def _count_table(lines, eps, iterations, f_evals, indent):
    picks = sorted(set(np.linspace(0, len(eps) - 1, min(REPORTED_THRESHOLDS, len(eps))).round().astype(int)))
    lines.append(f"{indent}eps        N(eps)      f evals     (medians over these starts)")
    for j in picks:
        lines.append(f"{indent}{eps[j]:<10.3g} {_fmt(iterations[j], '.6g'):<11} {_fmt(f_evals[j], '.6g')}")


def _bound_lines(lines, bounds, indent):
    for bound in bounds:
        if not bound["checked"]:
            lines.append(f"{indent}{bound['theorem']}: not checked (no count where it applies)")
            continue
        state = "holds" if bound["holds"] else f"VIOLATED ({bound['violations']} counts)"
        lines.append(f"{indent}{bound['theorem']}: {state}, largest measured/bound = {_fmt(bound['max_ratio'])} "
                     f"over {bound['checked']} counts")


def format_report(report):
    """The readable report: the function's classes and constants, then per algorithm its limit groups."""
    function = report["function"]
    lines = []
    title = function["expression"] or function["name"]
    lines.append(f"function: {title}   variables: {', '.join(function['variables'])}")
    analytic = {True: "yes", False: "no", None: "unknown"}[function["analytic"]]
    lines.append(f"  analytic: {analytic} ({function['analytic_reason']})")
    lines.append(f"  bounded iterates: {function['bounded_iterates']}   "
                 f"inf f = {_fmt(function['f_star'])} ({function['f_star_source']})")
    lines.append(f"  L = {_fmt(function['L'])}   (L0, L1) = ({_fmt(function['L0'])}, {_fmt(function['L1'])})   "
                 f"max ||g|| = {_fmt(function['grad_norm_max'])}")
    lines.append(f"  constants: lower estimates on {function['constants_sampled_on']}")
    for block in report["algorithms"]:
        params = ", ".join(f"{k}={v:g}" for k, v in block["params"].items())
        lines.append("")
        lines.append(f"{block['algorithm']} ({params}), {block['starts']} start(s), max_iter {block['max_iter']}, "
                     f"backend {block['backend']}")
        statuses = ", ".join(f"{k} {v}" for k, v in block["status"].items() if v)
        lines.append(f"  status: {statuses}")
        groups = block["groups"]
        lines.append(f"  limit points: {len(groups)} group(s); each is fitted alone")
        if len(groups) > MAX_DETAILED_GROUPS:
            for number, group in enumerate(groups, 1):
                lines.append(f"  [{number}] {_limit_text(group)}: {group['starts']} start(s); {_rate_text(group)}; "
                             f"verdict {group['verdict']}")
            groups = []
        for number, group in enumerate(groups, 1):
            lines.append(f"  [{number}] {_limit_text(group)}: {group['starts']} start(s)")
            _count_table(lines, block["eps"], group["iterations_median"], group["f_evals_median"], "      ")
            lines.append(f"      {_rate_text(group)}")
            lines.append(f"      {_prediction_text(group)}")
            lines.append(f"      Lojasiewicz theta on the tail of the runs: {_fmt(group['theta'])}   "
                         f"largest exponent the theorems allow: {_fmt(group['predicted_max_exponent'])}")
            lines.append(f"      verdict: {group['verdict']}"
                         + (f" ({'; '.join(group['reasons'])})" if group["reasons"] else ""))
        lines.append("  bounds over all starts (Delta per start from its limit point):")
        _bound_lines(lines, block["bounds"], "    ")
        lines.append(f"  verdict: {block['verdict']}"
                     + (f" ({'; '.join(block['reasons'])})" if block["reasons"] else ""))
    return "\n".join(lines)


def plot_report(report, path):
    """Log-log ``N(eps)`` per algorithm with the fitted slope over its window and the predicted one."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.6))
    for block in report["algorithms"]:
        eps = np.array(block["eps"])
        median = np.array([np.nan if v is None else v for v in block["iterations_median"]], dtype=float)
        shown = np.isfinite(median) & (median > 0)
        if not shown.any():
            continue
        line, = axes.loglog(eps[shown], median[shown], "o-", ms=3, label=block["algorithm"])
        exponent, (low, high) = block["exponent"], block["fit_window"]
        if exponent is not None and low is not None:
            inside = shown & (eps >= low) & (eps <= high)
            if inside.any():
                anchor_eps, anchor_n = eps[inside][-1], median[inside][-1]
                grid = np.array([low, high])
                axes.loglog(grid, anchor_n * (grid / anchor_eps) ** (-exponent), "--", color=line.get_color(),
                            label=f"fit slope {exponent:.2f}")
                predicted = block["predicted_max_exponent"]
                if predicted is not None:
                    axes.loglog(grid, anchor_n * (grid / anchor_eps) ** (-predicted), ":",
                                color=line.get_color(), label=f"predicted max {predicted:g}")
    title = report["function"]["expression"] or report["function"]["name"]
    axes.set_xlabel("eps (threshold on ||grad f||)")
    axes.set_ylabel("N(eps), median over starts")
    axes.set_title(f"armijo check: {title}")
    axes.invert_xaxis()
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
