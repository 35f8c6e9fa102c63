"""Evidence that could have failed (issue 27): every check classified, verdicts from informative evidence only.

The rule is :mod:`theory.evidence`; these tests pin it on cases whose answer is known by hand, in
both directions (a check that could have failed is informative, one that could not is vacuous; an
exponent interval below the ceiling supports the claim, one above contradicts it, one across it
supports neither).
"""

import dataclasses

import numpy as np
import pytest

import functions
from armijo import minimize
from theory.assessment import assess_run, estimate_hypotheses
from theory.evidence import classify, exponent_evidence, spans_text, tightness
from theory.fit import fit_rate
from theory.theorems import CHECKS, check_kind
from theory.verdict import check_bound, decide

EPS = np.logspace(-2, -8, 25)


def test_classify_by_kind_budget_and_censoring():
    measured = np.array([5.0, 50.0, 5.0, 900.0, 1200.0])
    bound = np.array([10.0, 40.0, 2000.0, 2000.0, 1100.0])
    censored = np.array([False, False, False, True, True])
    classes = classify(measured, bound, kind="bound", budget=1000, censored=censored)
    # below the budget: could fail (and the second did); at or above the budget: could not; a censored
    # count below its bound says nothing; a censored count already above its bound is a failure
    assert classes.tolist() == ["informative", "informative", "vacuous", "vacuous", "informative"]
    assert classify(measured, bound, kind="bound").tolist() == ["informative"] * 5  # no budget: not capped
    assert classify(measured, bound, kind="identity", budget=1000).tolist() == ["identity"] * 5
    assert classify(measured, bound, kind="restatement").tolist() == ["restatement"] * 5
    with pytest.raises(ValueError, match="kind must be one of"):
        classify(measured, bound, kind="proof")


def test_check_bound_counts_each_class_and_the_tightness_of_the_informative_ones():
    hits = np.array([[10, 100, 1000, -1]])
    bound = np.array([[20.0, 400.0, 4000.0, 40000.0]])
    check = check_bound(hits, bound, theorem="T1", kind="bound", budget=3000)
    assert (check.n_checked, check.n_informative, check.n_vacuous) == (3, 2, 1)
    assert check.informative_max_ratio == 0.5 and check.informative_median_ratio == pytest.approx(0.375)
    assert check.max_ratio == 0.5 and check.holds
    identity = check_bound(hits, bound, theorem="T4", kind="identity")
    assert (identity.n_checked, identity.n_informative, identity.n_vacuous, identity.kind) == (3, 0, 0, "identity")
    assert np.isnan(identity.informative_max_ratio)
    assert all(np.isnan(value) for value in tightness([]))  # no informative check: no tightness


def test_every_check_has_the_kind_its_theorem_module_states():
    assert check_kind("T1", "armijo") == check_kind("T2", "armijo-increase") == "bound"
    assert check_kind("T3", "armijo") == "restatement"       # C fitted on the same trace
    assert check_kind("T3-point", "armijo") == "bound"       # C, theta at the limit point
    assert check_kind("T4", "armijo") == "bound"             # backtracks per iteration: can fail
    for variant in ("armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"):
        assert check_kind("T4", variant) == "identity"        # the telescoped count
    assert set(CHECKS) == {"T1", "T2", "T3", "T3-point", "T4"}


def test_t1_checks_on_x_squared_are_informative_exactly_where_the_bound_is_below_the_budget():
    # f = x^2 from x0 = 1: Delta = 1, L = 2 (constant Hessian), eta0 = 0.1 < 2(1-lam)/(f1 L) = 0.25, so the
    # T1 bound is Delta / (lam eta0 eps^2) = 20 / eps^2: below a budget of 10^6 exactly for eps > 4.47e-3
    objective = functions.from_expression("x**2")
    starts = np.array([[1.0]])
    eps = np.array([1e-1, 1e-2, 1e-3, 1e-4])
    for budget, informative in ((10**6, 2), (1000, 0)):
        result = minimize(objective.f, objective.grad, starts, "armijo", eps=eps, max_iter=budget, trace=True)
        assessment = assess_run(objective, result, estimate_hypotheses(objective, starts, [result]))
        t1 = {c.theorem: c for c in assessment.checks}["T1"]
        np.testing.assert_allclose(assessment.bounds["T1"][0], 20.0 / eps**2, rtol=1e-12)
        assert (t1.n_checked, t1.n_informative, t1.n_vacuous) == (4, informative, 4 - informative)


@pytest.mark.parametrize("low, high, ceiling, expected", [
    (0.79, 0.81, 1.0, "supports"),
    (0.0, 1.05, 1.0, "supports"),          # the tolerance 0.05 is on the claim's side
    (0.0, 4.54, 1.0, "spans"),             # cosh with armijo-increase before issue 27
    (0.9, 1.1, 1.0, "spans"),
    (1.06, 1.3, 1.0, "contradicts"),
    (1.4, 1.6, 2.0, "supports"),
    (np.nan, np.nan, 1.0, "none"),
    (0.5, 0.6, np.nan, "none"),            # no theorem applies
])
def test_exponent_interval_evidence(low, high, ceiling, expected):
    assert exponent_evidence(low, high, ceiling) == expected


def _power_fit(p, low, high):
    hits = np.ceil(3.0 * EPS ** -p)[None, :].repeat(5, axis=0)
    fit = fit_rate(EPS, hits)
    assert fit.model == "power" and abs(fit.exponent - p) < 0.02
    return dataclasses.replace(fit, ci_low=low, ci_high=high)


def test_a_spanning_interval_is_inconclusive_whatever_the_checks():
    informative = check_bound(np.array([10, 20]), np.array([100.0, 200.0]), theorem="T1", budget=1000)
    assert informative.n_informative == 2
    spanning = _power_fit(1.0, 0.6, 1.4)
    verdict = decide([informative], spanning, predicted_exponent=1.0)
    assert verdict.verdict == "inconclusive"
    assert verdict.reasons == (spans_text(0.6, 1.4, 1.0),)
    assert "[0.6, 1.4] contains both p <= 1 and p > 1" in verdict.reasons[0]
    # the same interval under the ceiling 2 supports T1/T2's claim; above 1 + tolerance it contradicts T3's
    assert decide([informative], spanning, predicted_exponent=2.0).verdict == "consistent"
    assert decide([informative], _power_fit(1.5, 1.3, 1.7), predicted_exponent=1.0).verdict == "violated"


def test_consistent_needs_informative_evidence():
    vacuous = check_bound(np.array([10, 20]), np.array([100.0, 200.0]), theorem="T1", budget=50)
    assert (vacuous.n_informative, vacuous.n_vacuous) == (0, 2)
    supported = _power_fit(0.8, 0.79, 0.81)
    assert decide([vacuous], supported, predicted_exponent=1.0).verdict == "consistent"  # the interval is evidence
    spanning = decide([vacuous], _power_fit(1.0, 0.5, 1.5), predicted_exponent=1.0)
    assert spanning.verdict == "inconclusive" and any("no informative evidence" in r for r in spanning.reasons)
    nothing = decide([], None, float("nan"))  # no theorem, no fit: no claim about the checks
    assert not any("no informative evidence" in r for r in nothing.reasons)
