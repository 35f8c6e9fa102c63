"""Measured counts against the bounds on registry functions, and known exponents recovered.

These run the engine on registry entries, estimate the hypotheses, and check (1) that no
measured count exceeds an applicable bound, (2) that fitted exponents match the known ones.
"""

import numpy as np
import pytest

import functions
from armijo import minimize
from armijo.thresholds import eps_grid
from theory.assessment import assess_run, estimate_hypotheses

EXPONENT_TOL = 0.05
VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
GRID = [
    ("monomial", {"p": 2}),
    ("cosh", {"s": 2.0}),
    ("poly-two", {}),
    ("poly-five", {}),
    ("rosenbrock", {}),
    ("escape", {"a": 1.0}),
    ("cgt", {"tau": 0.1}),
    ("logistic", {"samples": 200, "features": 5}),
]


def run_and_assess(name, params, algorithm, starts, eps, max_iter, **algorithm_params):
    objective = functions.get(name, **params)
    if algorithm in ("armijo", "armijo-memory"):
        algorithm_params.pop("f2", None)
    result = minimize(objective.f, objective.grad, starts, algorithm, eps=eps, max_iter=max_iter, trace=True,
                      **algorithm_params)
    hypotheses = estimate_hypotheses(objective, starts, [result], seed=0)
    return result, assess_run(objective, result, hypotheses)


@pytest.mark.parametrize("name, params", GRID, ids=[name for name, _ in GRID])
def test_no_count_exceeds_an_applicable_bound(name, params):
    objective = functions.get(name, **params)
    starts = objective.sample_starts(np.random.default_rng(5), 4)
    eps = eps_grid(1e-1, 1e-5, 3)
    checked = set()
    for algorithm in VARIANTS:
        result, assessment = run_and_assess(name, params, algorithm, starts, eps, 20_000)
        for check in assessment.checks:
            assert check.holds, (algorithm, check)
            if check.n_checked:
                assert check.max_ratio <= 1.0
                checked.add(check.theorem)
    assert {"T1", "T2", "T4"} <= checked


def test_t3_is_checked_with_tail_constants_on_analytic_bounded_functions():
    result, assessment = run_and_assess("monomial", {"p": 2}, "armijo", np.array([[0.6], [-1.3], [1.9]]),
                                        eps_grid(1e-2, 1e-6, 4), 200_000)
    check = {c.theorem: c for c in assessment.checks}["T3"]
    assert check.n_checked > 0 and check.holds
    assert all(e is not None and abs(e["theta"] - 0.75) < 0.02 for e in assessment.lojasiewicz)


@pytest.mark.parametrize("name, params, starts, eps, known", [
    ("monomial", {"p": 2}, [[0.6], [-1.3], [1.9], [-0.45]], (1e-2, 1e-6), 2 / 3),
    ("monomial", {"p": 3}, [[0.6], [-1.3], [1.7], [-0.5]], (1e-2, 1e-5), 4 / 5),
    ("escape", {"a": 1.0}, [[0.5], [1.0], [2.0], [0.8]], (3e-2, 1e-3), 1.5),
])
def test_fitted_exponent_matches_the_known_one(name, params, starts, eps, known):
    result, assessment = run_and_assess(name, params, "armijo", np.array(starts, dtype=float),
                                        eps_grid(*eps, 6), 1_000_000)
    assert abs(assessment.fit.exponent - known) <= EXPONENT_TOL, assessment.fit
    assert assessment.fit.ci_low <= assessment.fit.exponent <= assessment.fit.ci_high


def test_cgt_worst_case_exponent():
    # eta0 = 1 and lam < 1/2: every first trial is accepted and armijo follows the nodes
    result, assessment = run_and_assess("cgt", {"tau": 0.1}, "armijo", np.zeros((1, 1)),
                                        eps_grid(1e-1, 1e-3, 6), 1_000_000, eta0=1.0, lam=0.4)
    assert abs(assessment.fit.exponent - 2 / 1.2) <= EXPONENT_TOL
    assert result.backtracks.tolist() == [0]


def test_lucky_jump_is_noticed_not_reported_as_a_slope():
    # On x^6 with eta0 = 1 (textbook lam = 1e-4), x0 = 0.9137 lands next to the minimiser in one step.
    starts = np.array([[0.9137], [0.5], [1.7], [1.45]])
    result, assessment = run_and_assess("monomial", {"p": 3}, "armijo", starts, eps_grid(1e-2, 1e-5, 6),
                                        300_000, eta0=1.0, lam=1e-4)
    assert result.eps_hits[0, -1] == 1  # the lucky start: ||g|| < 1e-5 after one step
    assert "jump_detected" in assessment.fit.flags
    assert assessment.fit.n_starts_used == 3  # the jumping start is left out of the median curve
    assert abs(assessment.fit.exponent - 0.8) <= EXPONENT_TOL


def test_grad_norm_max_covers_every_recorded_gradient_of_the_armijo_runs():
    # T2's bounds for memory/increase/dichotomy need G >= every ||g_k|| of the run
    objective = functions.get("poly-two")
    starts = objective.sample_starts(np.random.default_rng(2), 4)
    results = [minimize(objective.f, objective.grad, starts, algorithm, eps=eps_grid(1e-1, 1e-4, 3),
                        max_iter=5000, trace=True) for algorithm in ("armijo-memory", "armijo-increase")]
    hypotheses = estimate_hypotheses(objective, starts, results)
    largest = max(np.nanmax(r.trace.grad_norm) for r in results)
    assert hypotheses.grad_norm_max >= largest


@pytest.mark.parametrize("expression, expected", [
    ("x**3", False),                       # odd degree: -inf as x -> -inf
    ("x**4 - x**3", True),
    ("x**2 - y**4", False),                # the leading form -y^4
    ("x**2*y**2 - x", None),               # leading form >= 0 with zeros: not decided here
    ("(x*y)**4", True),                    # an even power
    ("x**4 + 10*(x - y)**2", True),        # a sum of even powers
    ("x**4 + y**4 - 3*x*y", True),         # leading form positive on the sphere
    ("exp(x) - x", None),                  # bounded (>= 1), but no certificate here: never False
])
def test_bounded_below_is_decided_where_it_can_be(expression, expected):
    from theory.assessment import bounded_below_facts

    objective = functions.from_expression(expression)
    decided, reason = bounded_below_facts(objective)
    assert decided is expected, reason
    if expected is False:
        assert "-inf" in reason


def test_a_direction_to_minus_infinity_outweighs_an_asserted_infimum():
    """A polynomial whose leading form is negative somewhere is unbounded below whatever inf f is
    asserted for it (a registry entry, or a user's f*): the direction is a witness, the assertion is not."""
    import dataclasses

    from theory.assessment import bounded_below_facts

    asserted = dataclasses.replace(functions.from_expression("x**3"), f_star=0.0)
    decided, reason = bounded_below_facts(asserted)
    assert decided is False and "-inf" in reason
    bounded = dataclasses.replace(functions.from_expression("x**2*y**2 - x"), f_star=-1.0)
    assert bounded_below_facts(bounded)[0] is True  # undecided from the expression: the known value decides


def test_unbounded_below_is_said_in_the_header_json_and_verdict():
    from armijo_suite import check

    report = check("x**3", x0=[0.5], algorithms=["armijo"], eps_min=1e-6)
    assert report.function.bounded_below is False
    assert report.to_dict()["function"]["bounded_below"] is False
    text = report.text()
    assert "bounded below: no" in text and "inf f = -inf" in text
    group = report.algorithm("armijo").groups[0]
    assert group.verdict != "inconsistent"
    reason = " ".join(group.reasons)
    assert "unbounded below" in reason and "inflection" in reason and "T3's hypotheses on f_* do not hold" in reason


def test_an_asserted_f_star_on_a_function_unbounded_below_is_named_in_the_verdict():
    """--f-star on x**3: the bounds use the asserted value, the header and the verdict still say f is
    unbounded below, and the reason names the value f goes below."""
    from armijo_suite import check

    report = check("x**3", x0=[0.5], algorithms=["armijo"], eps_min=1e-6, f_star=0.0)
    assert report.function.bounded_below is False and "inf f = -inf" in report.text()
    reason = " ".join(report.algorithm("armijo").groups[0].reasons)
    assert "asserted f_* = 0, which f goes below" in reason and "T3's hypotheses on f_* do not hold" in reason


def test_the_json_names_the_limit_set_the_theta_method_and_the_range_of_validity():
    from armijo_suite import check

    group = check("(x*y)**4", x0=[1.0, 0.5], algorithms=["armijo"], eps_min=1e-7).to_dict()["algorithms"][0]["groups"][0]
    assert group["limit_kind"] == "non-isolated minimum (curve)" and group["limit_dimension"] == 1
    assert group["theta_method"] == "level sets" and group["theta_point_exact"] is False
    low, high = group["theta_point_range"]
    assert low < 0.75 < high
    assert group["prediction_valid_below_eps"] > 0
    window = group["predicted_in_window"]
    assert window["model"] == "power" and abs(window["exponent"] - 2 / 3) < 0.03 and len(window["eps_range"]) == 2
    assert group["verdict"] != "inconsistent"


@pytest.mark.parametrize("algorithm, params", [("polyak", dict(f_star=0.0)), ("adgd", {}),
                                               ("l0l1-gd", dict(L0=4.0, L1=3.0))])
def test_rivals_are_assessed_without_a_bound_and_say_why(algorithm, params):
    """No theorem of the suite covers the rivals: the runs get limit points and rates, no bound, and the verdict
    quotes theory.theorems.NOT_COVERED (never a confident verdict)."""
    from theory.theorems import NOT_COVERED

    result, assessment = run_and_assess("monomial", {"p": 2}, algorithm, np.array([[0.6], [-1.3], [1.9]]),
                                        eps_grid(1e-1, 1e-4, 3), 200_000, **params)
    assert (result.status == "converged").all()
    assert assessment.checks == () and assessment.bounds == {}
    assert assessment.verdict.verdict == "inconclusive"
    assert any(NOT_COVERED[algorithm] in reason for reason in assessment.verdict.reasons)
    assert assessment.groups[0].limit.kind.endswith("minimum") and len(assessment.groups[0].starts) == 3
