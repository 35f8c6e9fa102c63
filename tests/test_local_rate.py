"""T3 as a prediction (issue 18): the Lojasiewicz exponent at the limit point, exact or sampled,
the rate it predicts, and agreement with the fit in the verdict."""

import dataclasses

import numpy as np
import pytest

import functions
from armijo_suite import check
from theory.limits import find_limit
from theory.fit import WARNING_LABELS
from theory.local_rate import THETA_HALF_WIDTH, agreement, lojasiewicz_at, predict
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
    ("(y - x**2)**2 + x**4", [1e-3, 1e-6], 0.75, False),  # curved valley: every straight ray sees 1/2
    ("x**4 + x**2*y**2 + y**4", [0.05, 0.05], 0.75, True),  # definite homogeneous quartic
    ("cosh(x**2 + y**2)", [0.05, 0.05], 0.75, True),      # 1 + r^4/2: a non-polynomial homogeneous form
])
def test_theta_at_the_limit_point(expression, point, theta, exact):
    objective = functions.from_expression(expression)
    limit = find_limit(objective, np.array(point))
    local = lojasiewicz_at(objective, limit)
    assert local.exact == exact
    assert abs(local.theta - theta) <= THETA_TOL, local
    assert local.theta_low <= local.theta + 1e-12 and local.theta <= local.theta_high + 1e-12
    if not exact:  # an estimate's interval is never a point, and it holds the truth
        assert local.theta_high - local.theta_low >= 2 * THETA_HALF_WIDTH - 1e-12
        assert local.theta_low <= theta <= local.theta_high
    assert np.isfinite(local.C) and local.C > 0


def test_rays_alone_miss_the_curved_valley_the_level_sets_find():
    # (y - x^2)^2 + x^4 at 0: along every straight ray the gradient falls like the square root of the gap
    # (theta 1/2), while on the level sets the smallest gradient lies on y = x^2 (theta 3/4): the ray
    # profile's slope, the old estimate, is the wrong value the level sets correct
    objective = functions.from_expression("(y - x**2)**2 + x**4")
    limit = find_limit(objective, np.array([1e-3, 1e-6]))
    local = lojasiewicz_at(objective, limit)
    assert local.method_kind == "level sets" and local.profile.method == "level sets"
    point, value = np.asarray(limit.point), limit.value
    from theory.local_rate import _directions, _ray_profile

    directions = _directions(point, None, 0, 16)
    rays, _ = _ray_profile(objective, point, value, directions, 0.1, local.profile.levels, 0.0)
    from theory.local_rate import LevelProfile

    _, ray_slopes = LevelProfile(local.profile.levels, rays, "rays").local_exponents()
    assert abs(np.median(ray_slopes[-10:]) - 0.5) < 0.02
    assert abs(local.theta - 0.75) < 0.01


def _synthetic(theta, norms_and_thetas, valid_below, reached=True, low=None, high=None):
    """A LocalLojasiewicz whose profile has the given local exponents at the given gradient norms."""
    from theory.local_rate import LevelProfile, LocalLojasiewicz

    # levels c and minima m(c) with one-decade slopes as asked: integrate log m = theta log c piecewise
    levels, grads = [1.0], [1.0]
    for _, local in norms_and_thetas:
        levels.append(levels[-1] / 10.0)
        grads.append(grads[-1] / 10.0 ** local)
    profile = LevelProfile(np.array(levels), np.array(grads), "rays")
    return LocalLojasiewicz(theta, 1.0, True, "synthetic", 1.0, 0.1, theta if low is None else low,
                            theta if high is None else high, "morse", profile, valid_below, reached)


def test_the_prediction_is_for_the_window_measured_and_says_where_the_asymptotic_one_applies():
    from theory.local_rate import predict

    # x^4 + a x^2 seen through its profile: local theta 3/4 at large gradients, 1/2 below a crossover
    quartic_then_quadratic = [(None, 0.75)] * 8 + [(None, 0.5)] * 8
    local = _synthetic(0.5, quartic_then_quadratic, valid_below=1e-7)
    norms, _ = local.profile.local_exponents()
    top = norms[0]
    # a window where the quartic rules: power 2/3, applies; the asymptotic model stays logarithmic
    quartic = predict(local, True, window=(norms[3], norms[1]))
    assert quartic.applies and quartic.model == "power" and quartic.exponent == pytest.approx(2 / 3)
    assert quartic.asymptotic_model == "logarithmic" and quartic.valid_below_eps == 1e-7
    assert quartic.exponent_low - 1e-12 <= 2 / 3 <= quartic.exponent_high + 1e-12
    # a window below the crossover: the asymptotic prediction
    deep = predict(local, True, window=(norms[-1], norms[-3]))
    assert deep.applies and deep.model == "logarithmic"
    # a window across the crossover: no single rate, so no disagreement can count
    across = predict(local, True, window=(norms[-3], norms[2]))
    assert not across.applies and "straddles" in across.reason
    assert top > norms[-1]
    # no window (an undetermined fit): the asymptotic prediction
    assert predict(local, True).model == "logarithmic"


def test_a_level_set_estimate_widens_the_predicted_exponent():
    from theory.local_rate import predict

    local = _synthetic(0.75, [(None, 0.75)] * 10, valid_below=1.0, low=0.74, high=0.76)
    prediction = predict(local, True, window=(1e-5, 1e-3))
    assert prediction.exponent_low == pytest.approx(2 - 1 / 0.74) and prediction.exponent_high == pytest.approx(2 - 1 / 0.76)


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
    # are reported; the asymptotic prediction applies only below the crossover, 2a sqrt(a/2) ~ 1.4e-9 for
    # each term's gradient, so over the measured window the quartic's rate 2/3 is predicted, and the fit
    # agrees (issue 25: no false "inconsistent")
    block = check("x**4 + 1e-6*x**2", x0=[0.9], algorithms=["armijo"], eps_min=1e-7).algorithm("armijo")
    group = block.groups[0]
    assert group.theta_point == 0.5 and group.theta_point_exact and group.limit_kind == "minimum"
    assert group.theta is not None and group.theta > 0.65  # the tail restates the quartic run
    assert group.theta_source.startswith("tail")
    assert group.model == "power" and group.predicted_model == "logarithmic"
    assert 1e-11 < group.prediction_valid_below_eps < 3e-9
    window = group.predicted_in_window
    # near the crossover the local exponent of x^4 + a x^2 overshoots 3/4 a little before it falls to 1/2
    assert window["model"] == "power" and window["exponent"] == pytest.approx(2 / 3, abs=0.02)
    assert 0.745 <= window["theta"] <= 0.78
    assert group.agreement is True and group.verdict == "consistent"


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
    ok = BoundCheck(theorem="T1", n_checked=6, n_violations=0, max_ratio=0.5, worst=0)
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


def test_a_wrong_theta_at_the_limit_still_makes_the_run_inconsistent(monkeypatch):
    """The other direction, end to end: the window logic must not hide a real disagreement. exp(x) - x
    converges linearly (an unlabelled logarithmic fit); a limit point whose theta were 3/4 (valid at
    every scale) predicts eps^(-2/3), and the confident fit against it is inconsistent. (x^4 is not
    used: its fit carries pre_asymptotic, and a labelled fit is never the basis of inconsistent.)"""
    import dataclasses

    import theory.assessment as assessment

    true_local = assessment.lojasiewicz_at

    def wrong(*args, **kwargs):
        local = true_local(*args, **kwargs)
        return dataclasses.replace(local, theta=0.75, theta_low=0.75, theta_high=0.75, valid_below_eps=np.inf)

    monkeypatch.setattr(assessment, "lojasiewicz_at", wrong)
    group = check("exp(x) - x", x0=[1.0], algorithms=["armijo"], eps_min=1e-8).algorithm("armijo").groups[0]
    assert group.model == "logarithmic" and not group.labels
    assert group.predicted_in_window["model"] == "power"
    assert group.agreement is False and group.verdict == "inconsistent"