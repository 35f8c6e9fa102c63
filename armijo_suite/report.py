"""The report of a check, as frozen records: what the JSON says, the text a person reads, the figures.

A :class:`CheckReport` holds one :class:`FunctionReport` (the function's classes and
estimated constants) and one :class:`AlgorithmReport` per algorithm, each with its
:class:`GroupReport` per limit point.  Field names are the keys of the JSON contract
(``report.to_dict()``, ``report.to_json()``); keep them.  A :class:`SweepReport` holds one
check per parameter value and the comparison with a conjectured exponent.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields

import numpy as np

#: Thresholds at which the text report shows N(eps) and evaluations.
REPORTED_THRESHOLDS = 4
#: Above this many limit groups, the text report gives one line per group.
MAX_DETAILED_GROUPS = 4


def _plain(value):
    """JSON-ready copy: records to dicts, tuples to lists, non-finite floats to None."""
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.metadata.get("json", True)}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


class _Record:
    """JSON export shared by every record."""

    def to_dict(self):
        """The JSON-ready dict (the documented contract)."""
        return _plain(self)

    def to_json(self, indent=2):
        """``to_dict()`` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)


@dataclass(frozen=True)
class BoundReport(_Record):
    """One theorem's bound over the counts where it applies, with the class of its checks.

    ``holds`` is None where nothing was checked (``checked == 0``; ``reason`` says why).  ``kind``
    is ``bound``, ``identity`` or ``restatement`` (:mod:`theory.evidence`); of the ``checked``
    counts, ``informative`` could have exceeded the bound (it lies below the budget) and
    ``vacuous`` could not; a check of the other kinds is neither.  ``informative_median_ratio``
    and ``informative_max_ratio``: the tightness (measured/bound) over the informative checks.
    """

    theorem: str
    holds: bool | None
    max_ratio: float | None
    checked: int
    violations: int
    kind: str
    informative: int
    vacuous: int
    informative_median_ratio: float | None
    informative_max_ratio: float | None
    reason: str | None = None


@dataclass(frozen=True)
class GroupReport(_Record):
    """The starts of one algorithm that approach one limit point (or none): rate, theta, verdict."""

    limit_point: tuple | None
    limit_kind: str
    limit_value: float | None
    limit_reason: str | None
    starts: int
    start_indices: tuple
    model: str
    exponent: float | None
    exponent_ci: tuple
    pre_asymptotic: bool
    extrapolated_exponent: float | None
    iterations_per_decade: float | None
    iterations_per_decade_ci: tuple
    fit_window: tuple
    fit_flags: tuple
    evidence: dict
    iterations_median: tuple
    f_evals_median: tuple
    theta: float | None
    theta_source: str
    theta_point: float | None
    theta_point_exact: bool | None
    theta_point_method: str | None
    lojasiewicz_C_point: float | None
    predicted_model: str | None
    predicted_exponent: float | None
    predicted_exponent_range: tuple | None
    prediction_applies: bool | None
    prediction_reason: str | None
    agreement: bool | None
    predicted_max_exponent: float | None
    bounds: tuple
    verdict: str
    reasons: tuple


@dataclass(frozen=True)
class AlgorithmReport(_Record):
    """One algorithm's runs: statuses, counts, the largest group's fit, bounds, groups, verdict."""

    algorithm: str
    backend: str
    params: dict
    first_trial: str
    starts: int
    max_iter: int
    status: dict
    eps: tuple
    iterations_median: tuple
    f_evals_median: tuple
    grad_evals_median: tuple
    model: str
    pre_asymptotic: bool
    iterations_per_decade: float | None
    exponent: float | None
    exponent_ci: tuple
    extrapolated_exponent: float | None
    fit_window: tuple
    fit_flags: tuple
    fit_rule: str
    two_regime: dict | None
    predicted_max_exponent: float | None
    bounds: tuple
    delta: tuple
    delta_source: tuple
    groups: tuple
    verdict: str
    reasons: tuple


@dataclass(frozen=True)
class FunctionReport(_Record):
    """The function checked: classes, estimated constants and where they were estimated."""

    name: str
    expression: str | None
    variables: tuple
    params: dict
    analytic: bool | None
    analytic_reason: str
    l_smooth_declared: bool | None
    l0l1_smooth_declared: bool | None
    L: float | None
    L0: float | None
    L1: float | None
    grad_norm_max: float | None
    lojasiewicz_theta: float | None
    f_star: float | None
    f_star_source: str
    bounded_iterates: bool | None
    constants_sampled_on: str
    constants_are_lower_estimates: bool
    dropped_names: tuple = ()
    starts_drawn: str = ""


@dataclass(frozen=True)
class CheckReport(_Record):
    """The result of one check (see :func:`armijo_suite.check`).

    ``assessments`` holds the underlying :class:`theory.assessment.Assessment` records (not
    part of the JSON).
    """

    function: FunctionReport
    algorithms: tuple
    assessments: tuple = field(default=(), repr=False, compare=False, metadata={"json": False})

    def algorithm(self, name):
        """The :class:`AlgorithmReport` of ``name``."""
        for block in self.algorithms:
            if block.algorithm == name:
                return block
        raise KeyError(f"no algorithm {name!r} in this report; it has {[b.algorithm for b in self.algorithms]}")

    def text(self):
        """The readable report."""
        return format_report(self)

    def plot(self, path):
        """Write the log-log figure of ``N(eps)`` (``.png`` or ``.pdf``)."""
        plot_report(self, path)


@dataclass(frozen=True)
class ExpectRow(_Record):
    """A conjectured exponent against one row's fit."""

    values: dict
    expected: float | None
    model: str
    exponent: float | None
    exponent_ci: tuple
    agrees: bool


@dataclass(frozen=True)
class ExpectReport(_Record):
    """A conjectured exponent formula compared with every row of a sweep."""

    formula: str
    algorithm: str
    agreements: int
    rows: tuple


@dataclass(frozen=True)
class SweepReport(_Record):
    """One check per parameter value (see :func:`armijo_suite.sweep`)."""

    sweep: dict
    rows: tuple
    expect: ExpectReport | None = None

    def to_dict(self):
        rows = []
        for values, report in zip(self.sweep["values"], self.rows):
            row = report.to_dict()
            row["sweep_values"] = _plain(values)
            rows.append(row)
        return {"sweep": _plain(self.sweep), "rows": rows, "expect": None if self.expect is None else self.expect.to_dict()}

    def text(self):
        """One line per parameter value."""
        return format_sweep(self)

    def plot(self, path):
        """Exponent against the swept parameter, with intervals, ceilings and the conjecture."""
        plot_sweep(self, path)


# ----------------------------------------------------------------------------- building


def number(value):
    """A finite float or None."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def censored_median(values):
    """Median over starts of counts where -1 means 'never': never counts as +inf; None if infinite."""
    array = np.where(values >= 0, values, np.inf).astype(float)
    median = np.median(array, axis=0)
    return tuple(None if not np.isfinite(v) else float(v) for v in np.atleast_1d(median))


def bound_reports(checks, unchecked=None):
    """One :class:`BoundReport` per :class:`theory.verdict.BoundCheck`; ``unchecked``: why a theorem checked nothing."""
    unchecked = unchecked or {}
    return tuple(BoundReport(
        theorem=c.theorem, holds=bool(c.holds) if c.n_checked else None, max_ratio=number(c.max_ratio),
        checked=int(c.n_checked), violations=int(c.n_violations), kind=c.kind, informative=int(c.n_informative),
        vacuous=int(c.n_vacuous), informative_median_ratio=number(c.informative_median_ratio),
        informative_max_ratio=number(c.informative_max_ratio),
        reason=None if c.n_checked else unchecked.get(c.theorem, "no count where it applies in this group"))
        for c in checks)


def group_report(result, group):
    """The :class:`GroupReport` of one :class:`theory.assessment.GroupAssessment`."""
    fit, limit, local, prediction = group.fit, group.limit, group.local, group.prediction
    members = list(group.starts)
    return GroupReport(
        limit_point=None if not limit.verified else tuple(float(v) for v in limit.point),
        limit_kind=limit.kind,
        limit_value=number(limit.value),
        limit_reason=limit.reason or None,
        starts=len(members),
        start_indices=tuple(members),
        model=fit.model,
        exponent=number(fit.exponent),
        exponent_ci=(number(fit.ci_low), number(fit.ci_high)),
        pre_asymptotic=bool(fit.pre_asymptotic),
        extrapolated_exponent=number(fit.extrapolated),
        iterations_per_decade=number(fit.iterations_per_decade),
        iterations_per_decade_ci=tuple(number(v) for v in fit.iterations_per_decade_ci),
        fit_window=(number(fit.eps_lo), number(fit.eps_hi)),
        fit_flags=tuple(fit.flags),
        evidence={key: number(value) for key, value in fit.evidence.items()},
        iterations_median=censored_median(result.eps_hits[members]),
        f_evals_median=censored_median(result.eps_hit_f_evals[members]),
        theta=number(group.theta),
        theta_source="tail of the runs (restates the run)",
        theta_point=None if local is None else number(local.theta),
        theta_point_exact=None if local is None else bool(local.exact),
        theta_point_method=None if local is None else local.method,
        lojasiewicz_C_point=None if local is None else number(local.C),
        predicted_model=None if prediction is None else prediction.model,
        predicted_exponent=None if prediction is None else number(prediction.exponent),
        predicted_exponent_range=None if prediction is None else (number(prediction.exponent_low),
                                                                  number(prediction.exponent_high)),
        prediction_applies=None if prediction is None else bool(prediction.applies),
        prediction_reason=None if prediction is None else prediction.reason,
        agreement=group.agreement,
        predicted_max_exponent=number(group.predicted_exponent),
        bounds=bound_reports(group.checks),
        verdict=group.verdict.verdict,
        reasons=tuple(group.verdict.reasons),
    )


def algorithm_report(result, assessment):
    """The :class:`AlgorithmReport` of one run and its assessment."""
    fit = assessment.fit
    return AlgorithmReport(
        algorithm=result.algorithm,
        backend=result.backend,
        params=dict(result.params),
        first_trial=result.first_trial,
        starts=result.starts,
        max_iter=result.max_iter,
        status=result.status_counts(),
        eps=tuple(float(e) for e in result.eps),
        iterations_median=censored_median(result.eps_hits),
        f_evals_median=censored_median(result.eps_hit_f_evals),
        grad_evals_median=censored_median(result.eps_hit_grad_evals),
        model=fit.model,
        pre_asymptotic=bool(fit.pre_asymptotic),
        iterations_per_decade=number(fit.iterations_per_decade),
        exponent=number(fit.exponent),
        exponent_ci=(number(fit.ci_low), number(fit.ci_high)),
        extrapolated_exponent=number(fit.extrapolated),
        fit_window=(number(fit.eps_lo), number(fit.eps_hi)),
        fit_flags=tuple(fit.flags),
        fit_rule=fit.rule,
        two_regime=None if assessment.two_regime is None else {
            "a": number(assessment.two_regime.a), "b": number(assessment.two_regime.b),
            "crossover_eps": number(assessment.two_regime.crossover_eps)},
        predicted_max_exponent=number(assessment.predicted_exponent),
        bounds=bound_reports(assessment.checks, assessment.unchecked),
        delta=tuple(number(d) for d in assessment.delta),
        delta_source=tuple(assessment.delta_source),
        groups=tuple(group_report(result, group) for group in assessment.groups),
        verdict=assessment.verdict.verdict,
        reasons=tuple(assessment.verdict.reasons) + tuple(assessment.notes),
    )


def headline_theta(assessments):
    """Lojasiewicz theta of the largest group of the first run that has one (an Armijo variant first)."""
    ordered = sorted(assessments, key=lambda a: not a.algorithm.startswith("armijo"))
    for assessment in ordered:
        if assessment.groups and assessment.groups[0].theta is not None:
            return number(assessment.groups[0].theta)
    return None


# ----------------------------------------------------------------------------- text


def _fmt(value, spec=".3g"):
    return "-" if value is None else format(value, spec)


def _limit_text(group):
    if group.limit_point is None:
        return f"no verified limit point ({group.limit_reason})"
    scale = 1.0 + max(abs(v) for v in group.limit_point)
    coordinates = ", ".join("0" if abs(v) < 1e-12 * scale else f"{v:.4g}" for v in group.limit_point[:6])
    more = f", ... ({len(group.limit_point)} coordinates)" if len(group.limit_point) > 6 else ""
    note = f" ({group.limit_reason})" if group.limit_reason else ""
    return f"x* = ({coordinates}{more}), {group.limit_kind}, f(x*) = {group.limit_value:.6g}{note}"


def _interval_spec(low, high, digits=4, most=7):
    """A format with ``digits`` significant digits, more (up to ``most``) while a nonzero-width
    interval would print as one number (a narrow interval such as [1.28787, 1.28912])."""
    while digits < most and low is not None and high is not None and low != high and (
            format(low, f".{digits}g") == format(high, f".{digits}g")):
        digits += 1
    return f".{digits}g"


def rate_text(block):
    """The fitted model of a group (or of the largest one) in one line."""
    low, high = block.exponent_ci
    window = block.fit_window
    on = f"on eps in [{_fmt(window[0])}, {_fmt(window[1])}]"
    if block.model == "logarithmic":
        text = (f"model: logarithmic (linear convergence), {_fmt(block.iterations_per_decade, '.4g')} iterations "
                f"per decade of eps; exponent 0 [0, {_fmt(high)}] {on}")
    elif block.model == "undetermined":
        flags = set(block.fit_flags)
        if {"window_too_short", "insufficient_data"} & flags:
            why = "too few thresholds reached to fit a model"
        elif "jumps_in_most_starts" in flags:
            why = "most starts jump over a decade or more in one step"
        elif "no_progress_in_window" in flags:
            why = "every threshold of the window reached at one iteration"
        else:
            why = "no model predicts the deepest thresholds"
        text = f"model: undetermined ({why})"
    else:
        spec = _interval_spec(low, high)
        text = f"model: {block.model}, exponent {_fmt(block.exponent, spec)} [{_fmt(low, spec)}, {_fmt(high, spec)}] {on}"
        if block.pre_asymptotic:
            text += f" (pre-asymptotic: the exponent still drifts; extrapolated {_fmt(block.extrapolated_exponent, '.4g')})"
    flags = [flag for flag in block.fit_flags if flag != "pre_asymptotic"]
    return text + (f"  flags: {', '.join(flags)}" if flags else "")


def _prediction_text(group):
    """The rate predicted from the limit point's Lojasiewicz exponent, and whether the fit agrees."""
    if group.theta_point is None:
        if group.limit_point is not None:
            return f"no Lojasiewicz exponent at the limit point ({group.theta_point_method})"
        return "predicted from the limit point: - (no verified limit point)"
    # a sampled estimate's method says so itself ("sampled: ... (a lower estimate)")
    method = f"exact: {group.theta_point_method}" if group.theta_point_exact else group.theta_point_method
    text = f"theta at the limit point: {_fmt(group.theta_point, '.4g')} ({method})"
    if not group.prediction_applies:
        return f"{text}; no prediction: {group.prediction_reason}"
    expected = ("logarithmic" if group.predicted_model == "logarithmic"
                else f"power, exponent {_fmt(group.predicted_exponent, '.4g')}")
    verdict = {True: "agrees", False: "DISAGREES", None: "not compared (no model fitted)"}[group.agreement]
    return f"{text}; predicts {expected}: the fit {verdict}"


def _count_table(lines, eps, iterations, f_evals, indent):
    picks = sorted(set(np.linspace(0, len(eps) - 1, min(REPORTED_THRESHOLDS, len(eps))).round().astype(int)))
    lines.append(f"{indent}eps        N(eps)      f evals     (medians over these starts)")
    for j in picks:
        lines.append(f"{indent}{eps[j]:<10.3g} {_fmt(iterations[j], '.6g'):<11} {_fmt(f_evals[j], '.6g')}")


#: What a check of each kind says, in the text report.
KIND_TEXT = {"identity": "an identity: the telescoped count, equal by construction up to the last step",
             "restatement": "a restatement: its constants come from the same trace"}


def bound_text(bound):
    """One theorem's checks in one line: holds or not, how many could have failed, their tightness.

    T3's ratios are ``(N - K)/(bound - K)``, with ``K`` its entry time read from the trace."""
    if not bound.checked:
        return f"{bound.theorem}: not checked: {bound.reason}"
    state = "holds" if bound.holds else f"VIOLATED ({bound.violations} counts)"
    text = f"{bound.theorem}: {state} over {bound.checked} counts"
    ratio = "(N - K)/(bound - K)" if bound.theorem.startswith("T3") else "measured/bound"
    if bound.kind != "bound":
        return f"{text} ({KIND_TEXT[bound.kind]}), largest {ratio} = {_fmt(bound.max_ratio)}"
    text += f", {bound.informative} informative"
    if bound.vacuous:
        text += f", {bound.vacuous} vacuous (bound at or above the budget)"
    if bound.informative:
        text += (f"; informative {ratio}: largest {_fmt(bound.informative_max_ratio)}, "
                 f"median {_fmt(bound.informative_median_ratio)}")
    return text


def _bound_lines(lines, bounds, indent):
    lines.extend(f"{indent}{bound_text(bound)}" for bound in bounds)


_YES_NO = {True: "yes", False: "no", None: "unknown"}
"""A class tag as the report prints it (None: not determined)."""


def format_report(report):
    """The readable report: the function's classes and constants, then per algorithm its limit groups."""
    function = report.function
    lines = []
    title = function.expression or function.name
    lines.append(f"function: {title}   variables (in order): {', '.join(function.variables)}")
    if function.dropped_names:
        lines.append(f"  note: {', '.join(function.dropped_names)} cancel(s) out of the expression and is not a variable")
    lines.append(f"  analytic: {_YES_NO[function.analytic]} ({function.analytic_reason})")
    lines.append(f"  bounded iterates: {_YES_NO[function.bounded_iterates]}   "
                 f"inf f = {_fmt(function.f_star)} ({function.f_star_source})")
    lines.append(f"  L = {_fmt(function.L)}   (L0, L1) = ({_fmt(function.L0)}, {_fmt(function.L1)})   "
                 f"max ||g|| = {_fmt(function.grad_norm_max)}")
    how = "lower estimates, sampled" if function.constants_are_lower_estimates else "exact where declared, else sampled"
    lines.append(f"  constants ({how}): {function.constants_sampled_on}")
    lines.append(f"  starts: {function.starts_drawn}")
    for block in report.algorithms:
        params = ", ".join(f"{k}={v:g}" for k, v in block.params.items())
        lines.append("")
        lines.append(f"{block.algorithm} ({params}), {block.starts} start(s), max_iter {block.max_iter}, "
                     f"backend {block.backend}")
        statuses = ", ".join(f"{k} {v}" for k, v in block.status.items() if v)
        lines.append(f"  status: {statuses}")
        groups = block.groups
        lines.append(f"  limit points: {len(groups)} group(s); each is fitted alone")
        if len(groups) > MAX_DETAILED_GROUPS:
            for index, group in enumerate(groups, 1):
                lines.append(f"  [{index}] {_limit_text(group)}: {group.starts} start(s); {rate_text(group)}; "
                             f"verdict {group.verdict}")
            groups = ()
        for index, group in enumerate(groups, 1):
            lines.append(f"  [{index}] {_limit_text(group)}: {group.starts} start(s)")
            _count_table(lines, block.eps, group.iterations_median, group.f_evals_median, "      ")
            lines.append(f"      {rate_text(group)}")
            lines.append(f"      {_prediction_text(group)}")
            lines.append(f"      Lojasiewicz theta on the tail of the runs: {_fmt(group.theta)}   "
                         f"largest exponent the theorems allow: {_fmt(group.predicted_max_exponent)}")
            lines.append(f"      verdict: {group.verdict}" + (f" ({'; '.join(group.reasons)})" if group.reasons else ""))
        informative = sum(bound.informative for bound in block.bounds)
        evidence = (f"; budget {block.max_iter} iterations): {informative} of "
                    f"{sum(bound.checked for bound in block.bounds)} checks informative (could have failed)"
                    if block.bounds else "): none applies")
        lines.append(f"  bounds over all starts (Delta per start from its limit point{evidence}")
        _bound_lines(lines, block.bounds, "    ")
        lines.append(f"  verdict: {block.verdict}" + (f" ({'; '.join(block.reasons)})" if block.reasons else ""))
    return "\n".join(lines)


def _values_text(values):
    return ", ".join(f"{name}={value:g}" for name, value in values.items())


def format_sweep(sweep):
    """One line per parameter value: model, exponent, interval, ceiling, bounds, verdict, conjecture."""
    first = sweep.rows[0].algorithms[0].algorithm if sweep.rows else "-"
    lines = [f"sweep of {', '.join(sweep.sweep['parameters'])} over {len(sweep.rows)} value(s); "
             f"rates of {first} (largest limit group)"]
    expected = {} if sweep.expect is None else {i: row for i, row in enumerate(sweep.expect.rows)}
    for index, (values, report) in enumerate(zip(sweep.sweep["values"], sweep.rows)):
        block = report.algorithms[0]
        ratios = ", ".join(f"{b.theorem} {_fmt(b.max_ratio)}" for b in block.bounds if b.checked)
        line = (f"  {_values_text(values)}: {rate_text(block).replace('model: ', '')}; "
                f"ceiling {_fmt(block.predicted_max_exponent)}; bounds {ratios or '-'}; verdict {block.verdict}")
        if index in expected:
            row = expected[index]
            line += f"; conjecture {_fmt(row.expected, '.4g')} {'agrees' if row.agrees else 'DISAGREES'}"
        lines.append(line)
    if sweep.expect is not None:
        lines.append(f"conjecture {sweep.expect.formula}: agrees with {sweep.expect.agreements} of "
                     f"{len(sweep.expect.rows)} rows (agree: inside the fitted interval)")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- figures


#: Marker and line style per algorithm in the order of the report: coinciding curves stay visible.
PLOT_STYLES = (("o", "-"), ("s", "--"), ("^", "-."), ("D", ":"), ("v", "-"), ("P", "--"), ("X", "-."), ("*", ":"),
               ("h", "-"))


def report_figure(report):
    """The log-log figure of ``N(eps)``: per algorithm the medians of its largest limit group, the
    fitted model over its window and the theorems' ceiling, both drawn within the data's range."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.6, 4.6))
    shown_n = []
    for index, block in enumerate(report.algorithms):
        group = block.groups[0] if block.groups else block
        eps = np.array(block.eps)
        median = np.array([np.nan if v is None else v for v in group.iterations_median], dtype=float)
        shown = np.isfinite(median) & (median > 0)
        if not shown.any():
            continue
        marker, style = PLOT_STYLES[index % len(PLOT_STYLES)]
        # later algorithms are drawn smaller on top, so that coinciding curves all stay visible
        line, = axes.loglog(eps[shown], median[shown], marker=marker, ls=style, ms=6 - 1.2 * (index % 3),
                            mfc="none", lw=1, label=f"{block.algorithm} ({group.starts} start(s))", zorder=3 + index)
        shown_n.append(median[shown])
        low, high = group.fit_window
        if low is None or group.model == "undetermined":
            continue
        inside = shown & (eps >= low) & (eps <= high)
        if not inside.any():
            continue
        grid = np.logspace(np.log10(low), np.log10(high), 50)
        anchor_eps, anchor_n = eps[inside][-1], median[inside][-1]
        if group.model == "logarithmic":
            fitted = anchor_n + group.iterations_per_decade * np.log10(anchor_eps / grid)
            label = f"fit: log, {group.iterations_per_decade:.3g} per decade"
        else:
            fitted = anchor_n * (grid / anchor_eps) ** (-group.exponent)
            label = f"fit: slope {group.exponent:.3g}"
        axes.loglog(grid, fitted, ls=style, color=line.get_color(), lw=2, alpha=0.45, label=label)
        predicted = group.predicted_max_exponent
        if predicted is not None:
            ceiling = anchor_n * (grid / anchor_eps) ** (-predicted)
            axes.loglog(grid, ceiling, ":", color=line.get_color(), lw=1, label=f"ceiling: slope {predicted:g}")
    if shown_n:  # every reference line is clipped to the data's range of N
        values = np.concatenate(shown_n)
        axes.set_ylim(values.min() / 2, values.max() * 2)
    title = report.function.expression or report.function.name
    axes.set_xlabel("eps (threshold on ||grad f||)")
    axes.set_ylabel("N(eps), median over the largest limit group")
    axes.set_title(f"armijo check: {title}"[:80])
    axes.invert_xaxis()
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    figure.tight_layout()
    return figure


def write_figure(figure, path):
    """Save ``figure`` to ``path`` (``.png`` or ``.pdf``) and close it."""
    import matplotlib.pyplot as plt

    figure.savefig(path)
    plt.close(figure)


def plot_report(report, path):
    """Write :func:`report_figure` to ``path``."""
    write_figure(report_figure(report), path)


def sweep_figure(sweep):
    """Exponent of the first algorithm against the (first) swept parameter, with the intervals, the
    theorems' ceilings and the conjecture."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    name = sweep.sweep["parameters"][0]
    x = np.array([values[name] for values in sweep.sweep["values"]], dtype=float)
    blocks = [report.algorithms[0] for report in sweep.rows]
    figure, axes = plt.subplots(figsize=(7.6, 4.4))
    exponent = np.array([np.nan if b.exponent is None else b.exponent for b in blocks])
    low = np.array([np.nan if b.exponent_ci[0] is None else b.exponent_ci[0] for b in blocks])
    high = np.array([np.nan if b.exponent_ci[1] is None else b.exponent_ci[1] for b in blocks])
    power = np.array([b.model != "logarithmic" for b in blocks])
    axes.errorbar(x[power], exponent[power], yerr=[np.nan_to_num(exponent - low)[power], np.nan_to_num(high - exponent)[power]],
                  fmt="o", capsize=3, label=f"{blocks[0].algorithm}: fitted exponent, 95% interval")
    if (~power).any():
        axes.plot(x[~power], np.zeros((~power).sum()), "<", mfc="none", ms=7, label="logarithmic (linear convergence)")
    ceiling = np.array([np.nan if b.predicted_max_exponent is None else b.predicted_max_exponent for b in blocks])
    axes.plot(x, ceiling, "k_", ms=16, mew=2, label="largest exponent the theorems allow")
    if sweep.expect is not None:
        expected = np.array([np.nan if r.expected is None else r.expected for r in sweep.expect.rows])
        axes.plot(x, expected, "r*-", lw=1, ms=14, mfc="none", zorder=5, label=f"conjecture {sweep.expect.formula}")
    axes.set_xlabel(f"{name} (swept parameter)")
    axes.set_ylabel("exponent p of N(eps) ~ eps^-p")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    figure.tight_layout()
    return figure


def plot_sweep(sweep, path):
    """Write :func:`sweep_figure` to ``path``."""
    write_figure(sweep_figure(sweep), path)
