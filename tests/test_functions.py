"""Tests of the function library (issue 3): derivatives, batching, class tags, critical
points of the single-neuron benchmarks, the Cartis-Gould-Toint spline, the Mexican hat."""

import json

import numpy as np
import pytest
import sympy
from scipy.special import zeta

import functions
from functions import catalog, certify_analytic, family_info, get, names
from functions.cgt import MAX_NODES, CartisGouldTointSpline

REQUIRED_NAMES = (
    "monomial",
    "rosenbrock",
    "cosh",
    "escape",
    "poly-two",
    "poly-three",
    "poly-four",
    "poly-five",
    "poly-eight",
    "cgt",
    "flat-exp",
    "mexican-hat",
    "spiral",
    "logistic",
    "mlp-tanh",
    "mlp-relu",
)

# (name, parameters, box for random test points or None for the entry's start distribution)
DERIVATIVE_CASES = [
    ("monomial", {"p": 1}, None),
    ("monomial", {"p": 2}, None),
    ("monomial", {"p": 5}, None),
    ("rosenbrock", {}, None),
    ("cosh", {"s": 1.0}, None),
    ("cosh", {"s": 2.5}, None),
    ("escape", {"a": 1.0}, None),
    ("escape", {"a": 0.5}, ([-3.0], [3.0])),
    ("poly-two", {}, None),
    ("poly-three", {}, None),
    ("poly-four", {}, None),
    ("poly-five", {}, None),
    ("poly-eight", {}, None),
    ("cgt", {"tau": 0.1}, ([-2.0], [40.0])),
    ("cgt", {"tau": 0.45}, ([-1.0], [5.0])),  # keep the FD step well below the node spacing
    ("flat-exp", {}, ([-1.5], [1.5])),
    ("mexican-hat", {}, None),
    ("spiral", {"beta": 0.4}, None),
    ("spiral", {"beta": 0.0}, None),
    ("logistic", {"samples": 60, "features": 4, "seed": 1}, None),
    ("logistic", {"samples": 40, "features": 3, "l2": 0.3}, None),
    ("mlp-tanh", {"hidden": 3, "samples": 30}, None),
    ("mlp-tanh", {"hidden": 2, "samples": 20, "loss": "squared", "seed": 3}, None),
    ("mlp-relu", {"hidden": 3, "samples": 30}, None),
    ("mlp-data-tanh", {"dataset": "breast-cancer", "hidden": "3"}, None),
    ("mlp-data-tanh", {"dataset": "digits", "hidden": "2-2", "l2": 0.1}, None),
    ("mlp-data-relu", {"dataset": "breast-cancer", "hidden": "2"}, None),
]
CASE_IDS = [f"{name}{parameters}" for name, parameters, _ in DERIVATIVE_CASES]

FD_RELATIVE_STEP = 1e-5
FD_TOLERANCE = 2e-5
BATCH_TOLERANCE = 1e-12
POINTS_PER_CASE = 5


def _points(objective, box, seed=0):
    rng = np.random.default_rng(seed)
    if box is None:
        return objective.sample_starts(rng, POINTS_PER_CASE)
    low, high = map(np.asarray, box)
    return rng.uniform(low, high, size=(POINTS_PER_CASE, low.size))


def _central_differences(function, X):
    """Central differences of a batched function along every coordinate: (B, n) + out shape."""
    columns = []
    for j in range(X.shape[1]):
        step = FD_RELATIVE_STEP * np.maximum(1.0, np.abs(X[:, j]))
        forward, backward = X.copy(), X.copy()
        forward[:, j] += step
        backward[:, j] -= step
        difference = (function(forward) - function(backward)) / (2.0 * step.reshape((-1,) + (1,) * (function(X).ndim - 1)))
        columns.append(difference)
    return np.stack(columns, axis=-1)


def _assert_close_scaled(actual, expected):
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=FD_TOLERANCE, atol=FD_TOLERANCE * scale)


def test_every_required_entry_is_registered():
    assert set(REQUIRED_NAMES) <= set(names())


@pytest.mark.parametrize(("name", "parameters", "box"), DERIVATIVE_CASES, ids=CASE_IDS)
def test_gradient_matches_central_differences(name, parameters, box):
    objective = get(name, **parameters)
    X = _points(objective, box)
    _assert_close_scaled(objective.grad(X), _central_differences(objective.f, X))


@pytest.mark.parametrize(("name", "parameters", "box"), DERIVATIVE_CASES, ids=CASE_IDS)
def test_hessian_matches_differences_of_gradient(name, parameters, box):
    objective = get(name, **parameters)
    X = _points(objective, box, seed=1)
    _assert_close_scaled(objective.hess(X), _central_differences(objective.grad, X))


@pytest.mark.parametrize(("name", "parameters", "box"), DERIVATIVE_CASES, ids=CASE_IDS)
def test_batched_call_equals_point_by_point(name, parameters, box):
    objective = get(name, **parameters)
    X = _points(objective, box, seed=2)
    for oracle in (objective.f, objective.grad, objective.hess):
        batch = oracle(X)
        assert batch.dtype == np.float64
        assert batch.shape[0] == X.shape[0]
        for i in range(X.shape[0]):
            np.testing.assert_allclose(batch[i], oracle(X[i : i + 1])[0], rtol=BATCH_TOLERANCE, atol=0)
            np.testing.assert_allclose(batch[i], oracle(X[i]), rtol=BATCH_TOLERANCE, atol=0)


@pytest.mark.parametrize("name", REQUIRED_NAMES)
def test_record_shapes_and_starts(name):
    objective = get(name)
    n = objective.n
    assert len(objective.variables) == n
    assert objective.default_start.shape == (n,)
    starts = objective.sample_starts(np.random.default_rng(0), 7)
    assert starts.shape == (7, n)
    assert np.all(np.isfinite(objective.f(starts)))
    assert objective.f(starts).shape == (7,)
    assert objective.grad(starts).shape == (7, n)
    assert objective.hess(starts[:2]).shape == (2, n, n)


def test_constant_gradient_and_hessian_components_broadcast():
    rosenbrock = get("rosenbrock")
    X = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_array_equal(rosenbrock.hess(X)[:, 1, 1], np.full(6, 200.0))
    np.testing.assert_array_equal(get("monomial", p=1).hess(X[:, :1])[:, 0, 0], np.full(6, 2.0))


def test_get_validates_names_and_parameters():
    with pytest.raises(ValueError, match="valid names"):
        get("no-such-function")
    with pytest.raises(ValueError, match="valid parameters: p"):
        get("monomial", q=2)
    with pytest.raises(ValueError, match=">= 1"):
        get("monomial", p=0)
    with pytest.raises(ValueError, match="integer"):
        get("monomial", p=1.5)
    with pytest.raises(ValueError, match="tau"):
        get("cgt", tau=0.7)
    with pytest.raises(ValueError, match="s must be > 0"):
        get("cosh", s=0.0)
    with pytest.raises(ValueError, match="one of"):
        get("mlp-tanh", loss="hinge")
    for message in ("valid names", "valid parameters"):
        try:
            get("monomial", q=1) if message == "valid parameters" else get("x")
        except ValueError as error:
            assert "\n" not in str(error)


def test_get_caches_and_coerces():
    assert get("monomial", p=3) is get("monomial", p="3")
    assert get("monomial") is get("monomial", p=2)
    assert get("monomial", p=3).params == {"p": 3}


def test_catalog_is_json_ready_and_complete():
    rows = catalog()
    assert [row["name"] for row in rows] == names()
    json.dumps(rows)
    for row in rows:
        assert isinstance(row["analytic"], bool) and row["analytic_reason"]
        assert "\n" not in row["analytic_reason"]
    info = family_info("cgt")
    assert info["parameters"]["tau"]["default"] == 0.1
    json.dumps(info)


def test_variables_are_in_a_fixed_order():
    assert get("poly-two").variables == ("w", "b")
    assert get("rosenbrock").variables == ("x", "y")


SYMBOLIC_DECLARED_ANALYTIC = {
    "monomial": True,
    "rosenbrock": True,
    "cosh": True,
    "escape": True,
    "poly-two": True,
    "poly-three": True,
    "poly-four": True,
    "poly-five": True,
    "poly-eight": True,
    "flat-exp": False,
    "mexican-hat": False,
    "spiral": False,
}


@pytest.mark.parametrize(("name", "declared"), SYMBOLIC_DECLARED_ANALYTIC.items())
def test_certified_analytic_flag_matches_declared_tag(name, declared):
    objective = get(name)
    assert objective.expression is not None
    certified, reason = certify_analytic(objective.expression)
    assert certified == declared == objective.analytic, reason
    assert ("analytic" in functions.registry.FAMILIES[name].tags) == declared


def test_known_non_analytic_entries_are_flagged():
    for name in ("cgt", "flat-exp", "mexican-hat", "spiral", "mlp-relu"):
        objective = get(name)
        assert objective.analytic is False, name
        assert objective.analytic_reason


def test_certify_analytic_rules():
    x, y = sympy.symbols("x y")
    analytic = [x**4 + 3 * y**2, sympy.log(sympy.cosh(x)) ** 3, sympy.sqrt(1 + x**2), 1 / (1 + sympy.exp(-x)), (1 + x**2) ** sympy.Rational(-3, 2)]
    for expression in analytic:
        assert certify_analytic(expression)[0], expression
    refused = {
        sympy.Abs(x): "Abs",
        sympy.Max(x, y): "Max",
        sympy.Min(x, y): "Min",
        sympy.sign(x): "sign",
        sympy.Heaviside(x): "Heaviside",
        sympy.floor(x): "floor",
        sympy.Piecewise((x, x > 0), (0, True)): "Piecewise",
        sympy.sqrt(x): "not proven positive",
        x ** sympy.Rational(3, 2): "not proven positive",
        sympy.log(x): "not proven positive",
        1 / x: "not proven nonzero",
        sympy.tan(x): "tan",
    }
    for expression, construct in refused.items():
        certified, reason = certify_analytic(expression)
        assert not certified and construct in reason, (expression, reason)


# ---------------------------------------------------------------- single-neuron benchmarks

POLY_NAMES = ("poly-two", "poly-three", "poly-four", "poly-five", "poly-eight")


def test_poly_two_critical_points():
    objective = get("poly-two")
    points = objective.critical_points
    assert len(points) == 9
    global_minima = [p for p in points if p.kind == "minimum" and p.value == 0.0]
    assert len(global_minima) == 4
    assert objective.f_star == 0.0 and len(objective.minimizers) == 4
    assert sorted(p.kind for p in points).count("maximum") == 1
    assert sum(p.kind == "saddle" for p in points) == 4


@pytest.mark.parametrize("name", POLY_NAMES)
def test_gradient_vanishes_at_listed_critical_points(name):
    objective = get(name)
    X = np.array([p.x for p in objective.critical_points])
    np.testing.assert_allclose(objective.grad(X), 0.0, atol=1e-9)
    np.testing.assert_allclose(objective.f(X), [p.value for p in objective.critical_points], rtol=1e-12)


@pytest.mark.parametrize("name", POLY_NAMES)
def test_critical_point_kinds_agree_with_hessian_and_sampling(name):
    objective = get(name)
    rng = np.random.default_rng(0)
    for point in objective.critical_points:
        eigenvalues = np.linalg.eigvalsh(objective.hess(point.x))
        if not point.hessian_degenerate:
            expected = "minimum" if eigenvalues.min() > 0 else "maximum" if eigenvalues.max() < 0 else "saddle"
            assert point.kind == expected, point
        # sampling check of the local nature (valid for degenerate points too)
        radius = 1e-2
        neighbours = point.x + radius * rng.uniform(-1, 1, size=(4000, 2))
        difference = objective.f(neighbours) - point.value
        if point.kind == "minimum":
            assert difference.min() >= -1e-9 * max(1.0, abs(point.value)), point
        elif point.kind == "maximum":
            assert difference.max() <= 1e-9 * max(1.0, abs(point.value)), point
        else:
            assert difference.min() < 0 < difference.max(), point


def test_poly_benchmark_summaries():
    summary = {}
    for name in POLY_NAMES:
        objective = get(name)
        kinds = [p.kind for p in objective.critical_points]
        summary[name] = (len(kinds), kinds.count("minimum"), len(objective.minimizers), objective.f_star)
    assert summary == {
        "poly-two": (9, 4, 4, 0.0),
        "poly-three": (9, 4, 1, 0.0),
        "poly-four": (9, 4, 4, 4.0),
        "poly-five": (16, 4, 4, 0.0),
        "poly-eight": (9, 4, 1, 1.0),
    }
    five = get("poly-five")
    assert sum(p.hessian_degenerate for p in five.critical_points) == 16 - 4  # all but (u, v) in {11/5, 3}^2
    eight = get("poly-eight")
    degenerate_minima = [p for p in eight.critical_points if p.kind == "minimum" and p.hessian_degenerate]
    assert len(degenerate_minima) == 3


def test_poly_eight_activation_matches_its_definition():
    from functions.single_neuron import ACTIVATIONS, Z_SYMBOL

    activation = ACTIVATIONS["poly-eight"]
    z = Z_SYMBOL
    assert activation.subs(z, 0) == 1
    assert sympy.expand(sympy.diff(activation, z) - 280 * z * (z - 1) ** 3 * (z - 2) ** 3) == 0
    assert sympy.Poly(activation, z).LC() == 35


# ------------------------------------------------------------------------ Cartis-Gould-Toint


@pytest.mark.parametrize("tau", [0.1, 0.25])
def test_cgt_nodes_follow_the_recursion(tau):
    objective = get("cgt", tau=tau)
    count = 3000
    x_k, f_k = 0.0, float(zeta(1 + 2 * tau))
    nodes, values, slopes = [], [], []
    for k in range(count):
        g_k = -((k + 1) ** (-0.5 - tau))
        nodes.append(x_k)
        values.append(f_k)
        slopes.append(g_k)
        x_k, f_k = x_k - g_k, f_k - g_k**2 / 2
    X = np.array(nodes)[:, None]
    np.testing.assert_allclose(objective.f(X), values, rtol=1e-13)
    np.testing.assert_allclose(objective.grad(X)[:, 0], slopes, rtol=1e-12)
    # C^1: derivative continuous across the nodes, value continuous
    offset = 1e-9
    for side in (-offset, offset):
        np.testing.assert_allclose(objective.grad(X[1:] + side)[:, 0], slopes[1:], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(objective.f(X[1:] + side), np.array(values[1:]) + side * np.array(slopes[1:]), rtol=1e-13, atol=1e-15)


def test_cgt_infimum_continuations_and_lazy_table():
    tau = 0.1
    objective = get("cgt", tau=tau)
    zeta_value = float(zeta(1 + 2 * tau))
    assert objective.f_star == pytest.approx(zeta_value / 2, rel=1e-15)
    # left continuation: f0 + g0 x + x^2/2, C^1 at 0
    t = np.array([[-3.0], [-1.0], [-1e-9]])
    np.testing.assert_allclose(objective.f(t), zeta_value - t[:, 0] + t[:, 0] ** 2 / 2, rtol=1e-14)
    # decreasing on [0, far) and above the infimum
    x = np.linspace(0.0, 60.0, 20001)[:, None]
    values = objective.f(x)
    assert np.all(np.diff(values) < 0)
    assert np.all(objective.grad(x) < 0)
    assert values.min() > objective.f_star
    assert np.max(np.abs(objective.hess(x))) <= 3.0
    # lazily extended table: the far tail beyond the cap keeps the infimum, C^1 at the join
    spline = CartisGouldTointSpline(tau)
    spline.evaluate(np.array([1e5]), 0)
    assert spline.node_count == MAX_NODES
    join = spline.nodes[-1]
    tail = spline.evaluate(join + np.array([1.0, 10.0, 100.0]), 0)
    assert np.all(np.diff(tail) < 0) and np.all(tail > objective.f_star) and tail[0] < spline.values[-1]
    for order in (0, 1):
        inside, outside = spline.evaluate(np.array([join - 1e-10, join + 1e-10]), order)
        assert inside == pytest.approx(outside, rel=1e-6, abs=1e-9)  # f'' <= 3 over 2e-10


# ------------------------------------------------------------------------------ Mexican hat


def test_mexican_hat_matches_the_polar_formula():
    objective = get("mexican-hat")
    rng = np.random.default_rng(0)
    r = rng.uniform(0.05, 0.95, size=50)
    theta = rng.uniform(-np.pi, np.pi, size=50)
    c = 1.0 / (1.0 - r**2)
    expected = np.exp(-c) * (1 - 4 * r**4 / (4 * r**4 + (1 - r**2) ** 4) * np.sin(theta - c))
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    np.testing.assert_allclose(objective.f(X), expected, rtol=1e-12)
    assert np.all(expected > 0)
    outside = np.array([[1.0, 0.0], [0.0, -1.3], [2.0, 2.0], [0.9999, 0.0]])
    assert np.all(objective.f(outside) == 0) and np.all(objective.grad(outside) == 0)
    origin = np.zeros((1, 2))
    assert objective.f(origin)[0] == pytest.approx(np.exp(-1))
    assert np.all(np.isfinite(objective.hess(origin)))


def test_mexican_hat_iterates_circle():
    """Armijo descent (step doubled before each search) locks onto the spiral valley
    theta = 1/(1-r^2) + pi/2: the phase stays locked while r and the angle increase."""
    objective = get("mexican-hat")
    x = objective.default_start.copy()
    eta, lam = 1.0, 0.5
    angles, radii, phases = [], [], []
    for _ in range(3000):
        value, gradient = objective.f(x), objective.grad(x)
        eta *= 2.0
        while objective.f(x - eta * gradient) > value - lam * eta * gradient @ gradient:
            eta /= 2.0
        x = x - eta * gradient
        radius = np.hypot(*x)
        angles.append(np.arctan2(x[1], x[0]))
        radii.append(radius)
        phases.append(np.angle(np.exp(1j * (angles[-1] - 1.0 / (1.0 - radius**2)))))
    angles = np.unwrap(angles)
    tail = slice(500, None)
    assert np.all(np.diff(angles[tail]) > 0)
    block_means = np.array(radii[500:]).reshape(10, 250).mean(axis=1)  # r zigzags across the valley, trend up
    assert np.all(np.diff(block_means) > 0)
    np.testing.assert_allclose(np.array(phases)[tail], np.pi / 2, atol=0.03)
    assert 0.5 < radii[-1] < 1.0


# ------------------------------------------------------------------------- finite sums


def test_logistic_works_at_ten_thousand_by_a_thousand():
    objective = get("logistic", samples=10_000, features=1000)
    W = np.random.default_rng(0).normal(scale=0.01, size=(3, 1000))
    values, gradients = objective.f(W), objective.grad(W)
    assert values.shape == (3,) and gradients.shape == (3, 1000)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(gradients))
    direction = np.random.default_rng(1).normal(size=1000)
    step = 1e-6
    slope = (objective.f(W[:1] + step * direction) - objective.f(W[:1] - step * direction)) / (2 * step)
    assert slope[0] == pytest.approx(gradients[0] @ direction, rel=1e-5)


@pytest.mark.parametrize("name", ["mlp-tanh", "mlp-relu", "logistic"])
def test_minibatch_oracle_freezes_one_batch_at_a_time(name):
    objective = get(name)
    oracle = objective.minibatch(16, 7)
    same_seed = objective.minibatch(16, 7)
    np.testing.assert_array_equal(oracle.rows, same_seed.rows)
    X = objective.sample_starts(np.random.default_rng(0), 3)
    first = oracle.f(X)
    np.testing.assert_array_equal(oracle.f(X), first)
    assert oracle.rows.size == 16 and np.unique(oracle.rows).size == 16
    rows = oracle.rows.copy()
    oracle.next_batch()
    assert oracle.batches_drawn == 2 and not np.array_equal(rows, oracle.rows)
    assert oracle.grad(X).shape == X.shape
    _assert_close_scaled(oracle.grad(X), _central_differences(oracle.f, X))
    full = objective.minibatch(objective.params["samples"], 0)
    np.testing.assert_allclose(full.f(X), objective.f(X), rtol=1e-12)


# --------------------------------------------------- cgt with the engine (needs armijo.minimize)


def test_cgt_armijo_follows_the_nodes():
    """``armijo`` with eta0 = 1, lam = 0.4 accepts every first trial on cgt and visits the
    nodes: ||g_k|| = (k+1)^(-1/2-tau) (SCIENCE.md section 5; not lam = 1/2, where the Armijo
    test is an equality at every node and rounding decides)."""
    import armijo

    tau = 0.1
    objective = get("cgt", tau=tau)
    iterations = 2000
    checkpoints = np.array([0, 1, 2, 10, 100, 1000, iterations - 1])
    thresholds = (checkpoints + 1.0) ** (-0.5 - tau) * (1.0 + 1e-9)
    record = armijo.minimize(
        objective.f,
        objective.grad,
        objective.default_start[None, :],
        algorithm="armijo",
        eps=thresholds,
        max_iter=iterations,
        trace=True,
        trace_per_decade=50,
        eta0=1.0,
        lam=0.4,
        f1=2.0,
    )
    assert record.backtracks[0] == 0  # every first trial accepted
    np.testing.assert_array_equal(record.eps_hits[0], checkpoints)
    recorded = record.trace.iteration
    np.testing.assert_allclose(record.trace.grad_norm[:, 0], (recorded + 1.0) ** (-0.5 - tau), rtol=1e-8)
    nodes, values, _ = CartisGouldTointSpline(tau).node_table(iterations)
    np.testing.assert_allclose(record.x[0, 0], nodes[iterations - 1], rtol=1e-12)
