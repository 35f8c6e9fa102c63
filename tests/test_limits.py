"""Limit points: every start's critical point found, verified, classified, and starts grouped by it;
Delta per start from its own limit; the answers of armijo check on the issue's examples."""

import json

import numpy as np
import pytest

import functions
from armijo import minimize
from armijo_suite.cli import main
from armijo.thresholds import eps_grid
from theory.assessment import assess_run, estimate_hypotheses
from theory.limits import classify, find_limit, group_starts, limit_points

EPS = eps_grid(1e-2, 1e-8, 4)


def run(expression, starts, algorithm="armijo", max_iter=200_000):
    objective = functions.from_expression(expression)
    result = minimize(objective.f, objective.grad, np.array(starts, dtype=float), algorithm, eps=EPS,
                      max_iter=max_iter, trace=True)
    return objective, result


@pytest.mark.parametrize("expression, point, kind", [
    ("x**2 + 3*y**2", [0.03, -0.02], "minimum"),
    ("x**2 - y**2", [1e-3, 1e-3], "saddle"),
    ("-(x**2) - y**2", [0.01, 0.02], "maximum"),
    ("x**6", [0.01], "degenerate minimum"),
    ("x**4 - x**3", [-1e-3], "degenerate saddle"),
    ("-(x**4) - y**2", [0.01, 0.01], "degenerate maximum"),
])
def test_kinds(expression, point, kind):
    objective = functions.from_expression(expression)
    limit = find_limit(objective, np.array(point))
    assert limit.verified and limit.kind == kind
    assert np.linalg.norm(limit.point) < 1e-12 and abs(limit.value) < 1e-20
    assert classify(objective, limit.point) == kind


def test_limit_of_a_critical_manifold_is_the_nearby_point_not_another_one():
    # f = z x^2 is critical on the whole line x = 0: the run's limit is (z, 0), not the origin
    objective = functions.from_expression("z*x**2")  # variables sorted: x, z
    limit = find_limit(objective, np.array([1.2e-6, 0.418]))
    assert limit.verified and limit.kind == "non-isolated minimum (curve)" and limit.dimension == 1
    assert limit.point[1] == pytest.approx(0.418, rel=1e-9) and abs(limit.point[0]) < 1e-12


def test_unbounded_iterates_have_no_limit():
    objective, result = run("(1 + x**2)**(-1/2)", [[1.0]], max_iter=20_000)
    (limit,) = limit_points(objective, result)
    assert not limit.verified and limit.kind == "none" and "critical point" in limit.reason


def test_diverged_start_has_no_limit():
    objective, result = run("-x**2", [[0.5]])
    (limit,) = limit_points(objective, result)
    assert not limit.verified and "diverged" in limit.reason


def test_starts_are_grouped_by_limit_point_and_fitted_alone():
    starts = np.random.default_rng(3).uniform(-1, 3, (16, 1))
    objective, result = run("x**4*(x-2)**2", starts)
    groups = group_starts(limit_points(objective, result))
    assert [g.limit.kind for g in groups] == ["degenerate minimum", "minimum"]
    assert abs(groups[0].limit.point[0]) < 1e-12 and groups[1].limit.point[0] == pytest.approx(2.0)
    assert sorted(s for g in groups for s in g.starts) == list(range(16))
    for group in groups:  # every start of a group ends near its limit
        assert np.all(np.abs(result.x[list(group.starts), 0] - group.limit.point[0]) < 0.1)
    assessment = assess_run(objective, result, estimate_hypotheses(objective, starts, [result]))
    fitted = [(g.fit.model, g.fit.n_starts) for g in assessment.groups]
    assert fitted == [("power", len(groups[0].starts)), ("logarithmic", len(groups[1].starts))]
    assert assessment.groups[0].fit.contains(2 / 3)  # x^4 at 0: (2p-2)/(2p-1) with p = 2
    assert assessment.fit is assessment.groups[0].fit  # the top level is the largest group


def test_delta_is_per_start_and_never_from_a_diverged_run():
    # f = z x^2 is unbounded below: some starts diverge (z -> -inf), others converge to x = 0
    objective = functions.from_expression("z*x**2")
    starts = objective.sample_starts(np.random.default_rng(0), 8)
    runs = [minimize(objective.f, objective.grad, starts, algorithm, eps=EPS, max_iter=20_000, trace=True)
            for algorithm in ("armijo", "armijo-increase")]
    hypotheses = estimate_hypotheses(objective, starts, runs)
    assert np.isnan(hypotheses.f_star)  # not the lowest value of a diverged run
    assessment = assess_run(objective, runs[0], hypotheses)
    for start in range(8):
        if runs[0].status[start] == "diverged":
            assert np.isnan(assessment.delta[start])
        elif assessment.limits[start].verified:
            expected = runs[0].f_initial[start] - assessment.limits[start].value
            assert assessment.delta[start] == pytest.approx(expected) or np.isnan(assessment.delta[start])
    alone = assess_run(objective, runs[0], estimate_hypotheses(objective, starts, runs[:1]))
    assert np.array_equal(alone.delta, assessment.delta, equal_nan=True)  # another algorithm changes nothing


def check(capsys, *argv):
    assert main(["check", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("argv", [
    ["exp(x) - x", "--x0", "1"],
    ["(x**2 + y**2 - 1)**2", "--x0=0.3,0.2"],
    ["(1-x)**2 + 100*(y-x**2)**2", "--x0=-1.2,1"],
])
def test_linear_convergence_is_reported_as_logarithmic(capsys, argv):
    block = check(capsys, *argv, "--algorithm", "armijo")["algorithms"][0]
    assert block["model"] == "logarithmic" and block["exponent"] == 0.0
    assert block["iterations_per_decade"] > 0 and block["verdict"] == "consistent"


def test_exp_minus_x_reaches_its_limit_value_one(capsys):
    report = check(capsys, "exp(x) - x", "--x0", "1", "--algorithm", "armijo")
    group = report["algorithms"][0]["groups"][0]
    assert group["limit_kind"] == "minimum" and group["limit_value"] == pytest.approx(1.0)
    assert report["algorithms"][0]["delta"][0] == pytest.approx(np.e - 1 - 1.0)  # f(1) - f(0)


def test_x6_is_a_power_law_with_exponent_four_fifths(capsys):
    block = check(capsys, "x**6", "--x0", "0.9", "--algorithm", "armijo")["algorithms"][0]
    low, high = block["exponent_ci"]
    assert block["model"] == "power" and low <= 0.8 <= high


def test_two_limit_points_two_answers(capsys):
    block = check(capsys, "x**4*(x-2)**2", "--starts", "16", "--box=-1,3", "--seed", "3",
                  "--algorithm", "armijo")["algorithms"][0]
    groups = block["groups"]
    assert len(groups) == 2
    at_zero, at_two = groups
    assert abs(at_zero["limit_point"][0]) < 1e-9 and at_two["limit_point"][0] == pytest.approx(2.0)
    assert at_zero["model"] == "power" and at_zero["exponent_ci"][0] <= 2 / 3 <= at_zero["exponent_ci"][1]
    assert at_two["model"] == "logarithmic"
    assert block["exponent"] == at_zero["exponent"]  # the largest group


def test_run_verdict_names_the_group_that_violates_or_disagrees():
    from theory.assessment import GroupAssessment, run_verdict
    from theory.fit import fit_rate
    from theory.limits import LimitPoint
    from theory.verdict import BoundCheck, Verdict

    eps = np.logspace(-2, -8, 25)
    fit = fit_rate(eps, np.ceil(5.0 * eps**-0.5))
    ok = BoundCheck(theorem="T1", n_checked=10, n_violations=0, max_ratio=0.5, worst=0)

    def group(verdict, x):
        # arrays inside: no equality needed
        limit = LimitPoint(point=np.array([x, 0.0]), kind="minimum", value=0.0, grad_norm=0.0, distance=0.0)
        return GroupAssessment(limit=limit, starts=(0,), fit=fit, theta=0.5, predicted_exponent=1.0, checks=(ok,),
                               verdict=Verdict(verdict, (f"{verdict} here",), (ok,), 0.5, 1.0))

    assert run_verdict([group("consistent", 0), group("consistent", 1)], [ok], 1.0).verdict == "consistent"
    mixed = run_verdict([group("consistent", 0), group("inconsistent", 1)], [ok], 1.0)
    assert mixed.verdict == "inconsistent" and mixed.reasons == ("limit group 2: inconsistent here",)
    worst = run_verdict([group("inconsistent", 0), group("violated", 1), group("inconsistent", 2)], [ok], 1.0)
    assert worst.verdict == "violated" and worst.reasons == ("limit group 2: violated here",)
    above = run_verdict([group("consistent", 0)],
                        [BoundCheck(theorem="T1", n_checked=10, n_violations=2, max_ratio=1.5, worst=3)], 1.0)
    assert above.verdict == "violated"


def test_a_flat_slope_is_not_taken_for_a_critical_point():
    # exp(-1/x^2): from |x| ~ 0.24 the gradient is tiny (4e-6) and Newton creeps towards 0 with steps
    # x^3/2 that hardly shrink: no critical point is claimed there (it would be a different point for
    # every start); the starts without a limit form one group
    objective = functions.get("flat-exp")
    result = minimize(objective.f, objective.grad, np.array([[0.4], [-0.3], [0.25]]), "armijo", eps=EPS,
                      max_iter=20_000)
    limits = limit_points(objective, result)
    assert all(not limit.verified and "crawling" in limit.reason for limit in limits)
    assert [len(group.starts) for group in group_starts(limits)] == [3]


def test_newton_steps_at_rounding_level_do_not_hide_a_converged_minimum():
    # logistic regression (400 samples, 10 features) has one nondegenerate minimum; every start of
    # armijo converges to ||grad f|| < 1e-6 and Newton brings the gradient to ~1e-17, where its
    # last accepted steps are rounding noise (~1e-17, any decrease of a noisy gradient is accepted)
    # and need not shrink: that is a point determined to rounding, not a crawl along a flat slope
    objective = functions.get("logistic", samples=400, features=10)
    starts = np.random.default_rng(0).uniform(-2, 2, (8, 10))
    result = minimize(objective.f, objective.grad, starts, "armijo", eps=np.logspace(-1, -6, 11),
                      max_iter=10_000, eta0=1.0)
    assert np.all(result.status == "converged")
    limits = limit_points(objective, result)
    assert all(limit.verified and limit.kind == "minimum" for limit in limits), [l.reason for l in limits]
    assert [len(group.starts) for group in group_starts(limits)] == [8]


def test_a_region_where_the_gradient_underflows_is_flat():
    # the Mexican hat is exactly 0 outside the unit disc: a point there is critical in floating point,
    # but says nothing more than the value reached
    from theory.limits import classify

    assert classify(functions.get("mexican-hat"), np.array([1.3, 0.2])) == "flat"
    assert classify(functions.get("monomial", p=3), np.array([1e-30])) == "degenerate minimum"


def test_a_flat_region_reached_by_newton_is_reported_at_its_edge_nearest_the_run():
    # the last iterate of armijo on the spiral (beta 0.4) after 2e8 iterations, inside the unit disc
    # (r = 0.953, ||grad f|| 2.4e-8): Newton's extrapolation jumps 0.61 to r = 1.13, where f = 0
    # identically and every point is critical; the limit reported is where that segment enters the
    # flat region (inside the disc, where f underflows), not the far end of the jump
    objective = functions.get("spiral", beta=0.4)
    x_last = np.array([-0.5797377532289149, 0.7558517909449912])
    limit = find_limit(objective, x_last)
    assert limit.verified and limit.kind == "flat" and limit.value == 0.0
    assert np.linalg.norm(limit.point) <= 1.0
    assert limit.distance == pytest.approx(np.linalg.norm(limit.point - x_last), rel=1e-12)
    assert "edge of a flat region" in limit.reason and "not determined" in limit.reason
    assert objective.f(limit.point[None, :])[0] == 0.0
    assert np.all(objective.grad(limit.point[None, :])[0] == 0.0) and limit.grad_norm == 0.0
    # the edge: a little closer to the run, f is not yet 0
    inward = x_last + (1.0 - 1e-3) * (limit.point - x_last)
    assert objective.f(inward[None, :])[0] > 0.0
    # a start already in the flat region is its own limit: nothing moved, no note
    outside = find_limit(objective, np.array([1.3, 0.2]))
    assert outside.kind == "flat" and outside.distance == 0.0 and outside.reason == ""


def test_the_limit_of_a_run_on_a_line_of_minima_is_where_its_iterates_go():
    # (x y)^4 from (1, 0.5): the iterates approach the line of minima y = 0 near x = 0.863; Newton's method
    # from the last iterate alone slides along the line to the origin (its steps shrink x and y alike), so
    # the refinement is held within the distance the run's own tail still has to go (issue 25)
    objective, result = run("(x*y)**4", [[1.0, 0.5]], max_iter=2_000_000)
    (limit,) = limit_points(objective, result)
    x_last = result.x[0]
    assert limit.verified and limit.kind == "non-isolated minimum (curve)" and limit.dimension == 1
    assert abs(limit.point[0] - x_last[0]) < 0.01 and abs(limit.point[1]) < 1e-12
    assert limit.distance <= limit.radius <= 10 * abs(x_last[1])
    # without the run, the point given alone may move as far as RADIUS (1 + ||x||): towards the origin
    alone = find_limit(objective, x_last)
    assert alone.point is None or np.linalg.norm(alone.point) < 0.5


def test_tail_radius_is_the_distance_the_iterates_still_have_to_go():
    from types import SimpleNamespace

    from theory.limits import TAIL_FACTOR, tail_radii

    # a power-law approach x_k = k^(-1/2) (x^4 with a constant step) and a geometric one 0.5^k: Aitken on
    # recorded iterates a decade apart gives the distance left, x_K
    for iterations, xs in ((np.unique(np.round(np.logspace(0, 6, 121))), None), (np.arange(0, 40), None)):
        xs = iterations ** -0.5 if iterations[-1] > 1000 else 0.5 ** iterations
        trace = SimpleNamespace(iteration=iterations, x=xs[:, None, None])
        result = SimpleNamespace(x=np.array([[xs[-1]]]), iterations=np.array([iterations[-1]]), trace=trace,
                                 step=np.array([0.0]), grad_norm=np.array([0.0]))
        radius = tail_radii(result)[0]
        assert radius == pytest.approx(TAIL_FACTOR * xs[-1], rel=0.05) or radius <= 1e-12


@pytest.mark.parametrize("last", [3.1386e-4, 1.51925e-3])  # where runs to eps 1e-10 and 1e-8 end
def test_newton_converging_linearly_at_a_degenerate_point_is_extrapolated_not_crawling(last):
    # x^4 + 10 (x - y)^2: Newton's steps shrink by 2/3 along the valley x = y until rounding takes over near
    # 1e-8; the geometric tail is recognised, extrapolated, and the enclosure contains the true limit 0
    # (also from further out, where the damped last steps counted as converged 1.6e-8 from 0)
    objective = functions.from_expression("x**4 + 10*(x - y)**2")
    limit = find_limit(objective, np.array([last, last]))
    assert limit.verified and limit.kind == "degenerate minimum" and limit.dimension == 0
    assert np.linalg.norm(limit.point) <= limit.uncertainty < 1e-6
    assert "shrank geometrically" in limit.reason


@pytest.mark.parametrize("expression, point, dimension", [
    ("(x**2 + y**2 - 1)**2", [0.6, 0.8], 1),     # circle, quadratic normal growth (Morse-Bott)
    ("(x**2 + y**2 - 1)**4", [0.6, 0.8], 1),     # circle, quartic normal growth
    ("(x - y)**4", [0.5, 0.5], 1),               # line, quartic normal growth
    ("x**2", [0.0, 0.3, -0.2], 2),                # a plane of minima in three variables (y, z free)
    ("(y - x**2)**2 + x**6", [0.0, 0.0], 0),     # a curved valley of order 6: isolated
    ("x**4 + y**4", [0.0, 0.0], 0),
])
def test_the_local_dimension_of_the_critical_set(expression, point, dimension):
    from theory.limits import critical_set_dimensions

    objective = functions.from_expression(expression, variables=("x", "y", "z")[:len(point)])
    limit = find_limit(objective, np.array(point, dtype=float))
    assert limit.verified
    assert critical_set_dimensions(objective, [limit]) == [dimension]


def test_limits_are_not_located_above_the_dimension_cap():
    """A network on real data has thousands of parameters: no n x n Hessian is ever asked for."""
    from theory.limits import MAX_DIMENSION, find_limits

    class Quadratic:
        def f(self, X):
            return 0.5 * (np.atleast_2d(X) ** 2).sum(axis=1)

        def grad(self, X):
            return np.atleast_2d(X).copy()

        def hess(self, X):
            X = np.atleast_2d(X)
            if X.shape[1] > MAX_DIMENSION:
                raise AssertionError("a Hessian was requested")
            return np.broadcast_to(np.eye(X.shape[1]), (X.shape[0], X.shape[1], X.shape[1])).copy()

    small = find_limits(Quadratic(), np.full((1, 3), 1e-3))
    assert small[0].kind == "minimum" and np.allclose(small[0].point, 0.0)  # the cap leaves small problems alone
    limits = find_limits(Quadratic(), np.ones((2, MAX_DIMENSION + 1)))
    assert [limit.kind for limit in limits] == ["none", "none"]
    assert all(f"dimension {MAX_DIMENSION + 1} > {MAX_DIMENSION}" in limit.reason for limit in limits)
