"""T3 as a prediction (issue 18): the Lojasiewicz exponent at the limit point, exact or sampled,
the rate it predicts, and agreement with the fit in the verdict."""

import dataclasses

import numpy as np
import pytest

import functions
from armijo_suite import check
from theory.limits import find_limit
from theory.fit import WARNING_LABELS
from theory.local_rate import agreement, lojasiewicz_at, predict
from theory.verdict import decide

THETA_TOL = 0.01


@pytest.mark.parametrize("expression, point, theta, exact", [
    ("exp(x) - x", [1e-3], 0.5, True),              # nondegenerate minimum
    ("x**6", [0.05], 5 / 6, True),                   # univariate Taylor order 6
    ("x**4 - x**3", [-1e-3], 2 / 3, True),           # the degenerate saddle: order 3
    ("log(cosh(x))**2", [0.05], 0.75, True),         # order 4 (x^4/4 - ...)
    ("x**4 + y**2", [0.05, 0.05], 0.75, False),      # sampled: theta 3/4 along x
    ("x**4 + y**6", [0.05, 0.05], 5 / 6, False),     # sampled: the flatter direction decides
    ("(x**2 + y**2 - 1)**2", [0.8, 0.61], 0.5, False),  # Morse-Bott circle: 1/2 across it
])
def test_theta_at_the_limit_point(expression, point, theta, exact):
    objective = functions.from_expression(expression)
    limit = find_limit(objective, np.array(point))
    local = lojasiewicz_at(objective, limit)
    assert local.exact == exact
    assert abs(local.theta - theta) <= THETA_TOL, local
    assert local.theta_low <= local.theta + 1e-12 and local.theta <= local.theta_high + 1e-12
    assert np.isfinite(local.C) and local.C > 0


@pytest.mark.parametrize("argv, model, exponent", [
    (dict(expression="x**6", x0=[0.9], eps_min=1e-8), "power", 0.8),
    (dict(expression="x**4 - x**3", x0=[-0.5], eps_min=1e-8), "power", 0.5),
    (dict(expression="exp(x) - x", x0=[1.0], eps_min=1e-8), "logarithmic", 0.0),
    (dict(expression="x**4 + y**2", x0=[0.8, 0.6], eps_min=1e-8), "power", 2 / 3),
])
def test_check_predicts_from_the_limit_point_and_the_fit_agrees(argv, model, exponent):
    group = check(**argv, algorithms=["armijo"]).algorithm("armijo").groups[0]
    assert group.prediction_applies and group.predicted_model == model
    assert group.predicted_exponent == pytest.approx(exponent, abs=0.01)
    assert group.agreement is True and group.verdict == "consistent"


def test_tail_and_limit_point_estimates_are_both_shown_and_can_differ():
    # x^4 + 1e-6 x^2: down to ||g|| ~ 1e-9 the run sees the quartic (its tail says theta ~ 3/4), while the
    # minimum is nondegenerate (theta = 1/2 exactly at the point, which predicts linear convergence): both
    # are reported, and the fit on a window still in the quartic regime is flagged against the prediction
    block = check("x**4 + 1e-6*x**2", x0=[0.9], algorithms=["armijo"], eps_min=1e-7).algorithm("armijo")
    group = block.groups[0]
    assert group.theta_point == 0.5 and group.theta_point_exact and group.limit_kind == "minimum"
    assert group.theta is not None and group.theta > 0.65  # the tail restates the quartic run
    assert group.theta_source.startswith("tail")
    assert group.model == "power" and group.predicted_model == "logarithmic"
    assert group.agreement is False and group.verdict == "inconsistent"


def test_a_confident_disagreement_is_inconsistent():
    from theory.fit import fit_rate

    eps = np.logspace(-2, -8, 25)
    fit = fit_rate(eps, np.ceil(5.0 * eps**-0.5))
    wrong = predict(type("L", (), {"theta": 0.75, "theta_low": 0.75, "theta_high": 0.75})(), settled=True)
    assert wrong.model == "power" and wrong.exponent == pytest.approx(2 / 3)
    assert fit.contains(0.5) and not fit.contains(2 / 3) and not fit.labelled
    assert agreement(wrong, fit) is False
    not_settled = predict(type("L", (), {"theta": 0.75, "theta_low": 0.75, "theta_high": 0.75})(), settled=False)
    assert agreement(not_settled, fit) is None


def _fit_interval(model, low, high):
    return type("Fit", (), {"model": model, "ci_low": low, "ci_high": high})()


def test_agreement_is_the_meeting_of_the_two_ranges_without_a_margin():
    """Issue 26: no constant widening; the prediction's range (from theta's interval) meets the fit's interval."""
    exact = predict(type("L", (), {"theta": 0.75, "theta_low": 0.75, "theta_high": 0.75})(), settled=True)
    p = exact.exponent  # 2/3
    assert agreement(exact, _fit_interval("power", 0.60, p)) is True
    assert agreement(exact, _fit_interval("power", 0.60, p - 1e-6)) is False  # the old 0.01 margin said yes
    assert agreement(exact, _fit_interval("power", p + 1e-6, 0.7)) is False
    # a sampled theta in [0.74, 0.76] predicts exponents in [2 - 1/0.74, 2 - 1/0.76]: the range meets the interval
    sampled = predict(type("L", (), {"theta": 0.75, "theta_low": 0.74, "theta_high": 0.76})(), settled=True)
    assert agreement(sampled, _fit_interval("power", 0.60, 0.65)) is True
    assert agreement(sampled, _fit_interval("power", 0.60, 2 - 1 / 0.74 - 1e-6)) is False
    # linear convergence predicted: agrees exactly when the fit's interval reaches 0
    linear = predict(type("L", (), {"theta": 0.5, "theta_low": 0.5, "theta_high": 0.5})(), settled=True)
    assert agreement(linear, _fit_interval("logarithmic", 0.0, 0.02)) is True
    assert agreement(linear, _fit_interval("power-or-logarithmic", 0.0, 0.3)) is True
    assert agreement(linear, _fit_interval("power", 0.01, 0.3)) is False
    assert agreement(linear, _fit_interval("undetermined", np.nan, np.nan)) is None


def test_a_labelled_disagreement_is_not_inconsistent():
    """A fit with a warning label is not a confident basis for ``inconsistent`` (issue 26)."""
    from theory.assessment import _group_verdict
    from theory.fit import fit_rate
    from theory.verdict import BoundCheck

    eps = np.logspace(-2, -8, 25)  # a correction still at work: labelled pre_asymptotic
    fit = fit_rate(eps, np.ceil(5.0 * eps**-0.5 * (1.0 + 3.0 * eps**0.25)))
    assert fit.model == "power" and "pre_asymptotic" in fit.labels and fit.contains(0.5)
    wrong = predict(type("L", (), {"theta": 0.9, "theta_low": 0.9, "theta_high": 0.9})(), settled=True)
    assert agreement(wrong, fit) is False
    ok = BoundCheck("T1", 6, 0, 0.5, 0)
    verdict = _group_verdict((ok,), fit, 2.0, (), True, "", False, wrong, False)
    assert verdict.verdict == "inconclusive" and "not a confident basis" in verdict.reasons[0]
    # the other direction: the same group, the same disagreement, the fit without its labels is a
    # confident basis, and the verdict is inconsistent
    unlabelled = dataclasses.replace(fit, flags=tuple(f for f in fit.flags if f not in WARNING_LABELS))
    assert not unlabelled.labelled and agreement(wrong, unlabelled) is False
    verdict = _group_verdict((ok,), unlabelled, 2.0, (), True, "", False, wrong, False)
    assert verdict.verdict == "inconsistent" and "not a confident basis" not in verdict.reasons[0]
    # a labelled fit in a smaller limit group does not make the run inconsistent either
    from theory.assessment import run_verdict
    group = type("Group", (), {})
    consistent, labelled_group = group(), group()
    consistent.verdict, consistent.fit = decide((ok,), unlabelled, 2.0), unlabelled
    labelled_group.verdict = _group_verdict((ok,), fit, 2.0, (), True, "", False, wrong, False)
    assert run_verdict([consistent, labelled_group], (ok,), 2.0).verdict == "consistent"
    inconsistent_group = group()
    inconsistent_group.verdict = verdict
    assert run_verdict([consistent, inconsistent_group], (ok,), 2.0).verdict == "inconsistent"


def test_x12_plus_x13_interval_contains_ten_elevenths():
    """Issue 26, end to end: armijo from 0.9 on x^12 + x^13 (limit exponent 10/11, approached through a
    correction eps^(1/11)).  The old fitter read 0.9123 [0.9108, 0.9130], unflagged, and agreed with the
    prediction only through a 0.01 margin; the interval now contains 10/11 and says the drift is measured."""
    group = check("x**12 + x**13", x0=[0.9], algorithms=["armijo"], eps_min=1e-8).algorithm("armijo").groups[0]
    low, high = group.exponent_ci
    assert group.model == "power" and low <= 10 / 11 <= high and high < 0.92
    assert "pre_asymptotic" in group.labels
    assert group.predicted_exponent == pytest.approx(10 / 11) and group.agreement is True
