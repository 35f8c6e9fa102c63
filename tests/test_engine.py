"""Tests that pin the engine's mathematics: the Armijo condition, first-trial policies,
closed forms on a quadratic, exact oracle accounting, batching, statuses, validation."""

import math

import numpy as np
import pytest

import armijo
from armijo import armijo_test, minimize
from armijo.linesearch import dichotomy_rounds
from numerics import assert_same_run, assert_ulps_close

#: The independent recomputation of test_armijo_condition_holds_at_every_accepted_step uses
#: Python's ``math.sqrt`` of a 1-D ``np.sum`` where the engine uses its own row norms: one ulp
#: of ``||g||`` moves ``x_{k+1}`` by an ulp, contracting steps do not amplify it, and 64 ulps
#: leaves room for a few hundred iterations of such differences.
REBUILT_ITERATE_ULPS = 64

#: A start alone and in a batch goes through the same IEEE operations on its row (elementwise
#: operations are correctly rounded; the row norm is NumPy's pairwise sum, whose order depends
#: only on the row length, not on BLAS), so they agree bit for bit on every machine tried
#: (three OpenBLAS kernels, with and without AVX-512 dispatch); 2 ulps allow a SIMD kernel that
#: rounds an array of one row differently from a longer array.
BATCHED_VS_SINGLE_ULPS = 2

ARMIJO_VARIANTS = ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized"]
BASELINES = ["gd", "clipped-gd", "normalized-gd", "adam"]
#: The tuning-free rivals (tests/test_rivals.py pins their steps) with the constants they need
#: (for the quartics below: f* = 0; (L0, L1) = (4, 3) is valid for x^4, Gorbunov et al. 2024).
RIVALS = ["polyak", "polyak-level", "adgd", "l0l1-gd", "normalized-gd-decay"]
REQUIRED = {"polyak": dict(f_star=0.0), "l0l1-gd": dict(L0=4.0, L1=3.0), "normalized-gd-decay": dict(R=1.0)}


def quartic_f(X):
    return np.sum(X**4, axis=1) + 0.5 * X[:, 0] ** 2 * X[:, -1] ** 2


def quartic_grad(X):
    G = 4 * X**3
    G[:, 0] += X[:, 0] * X[:, -1] ** 2
    G[:, -1] += X[:, 0] ** 2 * X[:, -1]
    return G


class CallLog:
    """Spy oracle: records every point at which f and grad were called, in order."""

    def __init__(self, f, grad):
        self._f, self._grad = f, grad
        self.calls = []  # ("f" | "grad", X copy)

    def f(self, X):
        self.calls.append(("f", X.copy()))
        return self._f(X)

    def grad(self, X):
        self.calls.append(("grad", X.copy()))
        return self._grad(X)


def full_trace_run(algorithm, x0, *, f=quartic_f, grad=quartic_grad, max_iter=400, **params):
    return minimize(f, grad, x0, algorithm, eps=[1e-3, 1e-5, 1e-7], max_iter=max_iter,
                    trace=True, trace_per_decade=max_iter + 1, **params)


@pytest.mark.parametrize("algorithm", ARMIJO_VARIANTS)
def test_armijo_condition_holds_at_every_accepted_step(algorithm):
    """Rebuild every iterate from the recorded steps with our own arithmetic and recheck Armijo."""
    x0 = np.array([[1.3, -0.7], [-2.1, 0.4], [0.2, 1.9]])
    params = dict(eta0=1.0, lam=0.3, f1=2.0) if algorithm in ("armijo", "armijo-memory") else \
        dict(eta0=1.0, lam=0.3, f1=2.0, f2=10.0)
    result = full_trace_run(algorithm, x0, **params)
    trace = result.trace
    assert np.array_equal(trace.iteration, np.arange(trace.iteration.size))
    checked = 0
    for b in range(x0.shape[0]):
        x = x0[b:b + 1].copy()
        for k in range(result.iterations[b]):
            g = quartic_grad(x)
            gnorm = math.sqrt(float(np.sum(g * g)))
            eta = trace.step[k + 1, b]
            if algorithm == "armijo-normalized":
                direction, slope = g / gnorm, gnorm
            else:
                direction, slope = g, gnorm**2
            x_next = x - eta * direction
            assert armijo_test(quartic_f(x_next)[0], quartic_f(x)[0], eta, slope, params["lam"])
            # the independent recomputation of the value matches what the engine recorded
            assert_ulps_close(quartic_f(x_next)[0], trace.f[k + 1, b], REBUILT_ITERATE_ULPS,
                              "independent recomputation of f(x_k+1): another norm, another path")
            x = x_next
            checked += 1
        assert_ulps_close(x[0], result.x[b], REBUILT_ITERATE_ULPS,
                          "iterate rebuilt from the recorded steps with the test's own arithmetic")
    assert checked > 10


def _first_trials(log):
    """Trial steps of each iteration, recovered from a one-dimensional single-start call log."""
    trials = []
    for kind, X in log.calls[1:]:  # skip f(x0)
        if kind == "grad":
            x, gradient = X[0, 0], quartic_grad(X)[0, 0]
            trials.append([])
        else:
            trials[-1].append((x - X[0, 0]) / gradient)
    return [t for t in trials if t]


@pytest.mark.parametrize("algorithm", ["armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy"])
def test_first_trial_follows_the_policy(algorithm):
    log = CallLog(quartic_f, quartic_grad)
    params = dict(eta0=0.8, lam=0.5, f1=2.0)
    if algorithm in ("armijo-increase", "armijo-dichotomy"):
        params["f2"] = 8.0
    result = minimize(log.f, log.grad, np.array([[1.7]]), algorithm, eps=[1e-4], max_iter=200, trace=True,
                      trace_per_decade=1000, **params)
    trials = _first_trials(log)
    accepted = result.trace.step[1:, 0]
    assert len(trials) == result.iterations[0] > 5
    for k, iteration_trials in enumerate(trials):
        first = iteration_trials[0]
        if algorithm == "armijo" or k == 0:
            expected = params["eta0"]
        elif algorithm == "armijo-memory":
            expected = accepted[k - 1]
        else:
            expected = params["f2"] * accepted[k - 1]
        assert first == pytest.approx(expected, rel=1e-9)
        # every variant keeps the largest trial that passed (for plain backtracking: the last one)
        x = _x_at(log, k)
        g = quartic_grad(x)
        passing = [t for t in iteration_trials
                   if armijo_test(quartic_f(x - t * g)[0], quartic_f(x)[0], t, float(g[0, 0] ** 2), 0.5)]
        assert accepted[k] == pytest.approx(max(passing), rel=1e-12)


def _x_at(log, k):
    grads = [X for kind, X in log.calls if kind == "grad"]
    return grads[k]


def test_dichotomy_bisects_in_log_space():
    log = CallLog(quartic_f, quartic_grad)
    minimize(log.f, log.grad, np.array([[1.7]]), "armijo-dichotomy", eps=[1e-4], max_iter=3,
             eta0=0.8, lam=0.5, f1=2.0, f2=8.0)
    rounds = dichotomy_rounds(2.0, 8.0)
    refined = 0
    for k, iteration_trials in enumerate(_first_trials(log)):
        first = iteration_trials[0]
        # backtracking trials are first / 2^j until acceptance, then come the geometric midpoints
        j = 0
        while j + 1 < len(iteration_trials) and math.isclose(iteration_trials[j + 1], first / 2 ** (j + 1)):
            j += 1
        if j == 0:
            continue
        refined += 1
        midpoints = iteration_trials[j + 1:]
        assert len(midpoints) == rounds
        low, high = iteration_trials[j], iteration_trials[j] * 2
        x = _x_at(log, k)
        g = quartic_grad(x)
        for mid in midpoints:
            assert mid == pytest.approx(math.sqrt(low * high), rel=1e-12)
            # the bracket shrinks to the half the midpoint belongs to
            if armijo_test(quartic_f(x - mid * g)[0], quartic_f(x)[0], mid, float(g[0, 0] ** 2), 0.5):
                low = mid
            else:
                high = mid
    assert refined > 0  # the case exercised at least one backtracking iteration


# -- quadratic with known L: closed forms, T1 and T4 -------------------------------------------

L_QUADRATIC = 3.0


def quadratic_f(X):
    return 0.5 * L_QUADRATIC * np.sum(X**2, axis=1)


def quadratic_grad(X):
    return L_QUADRATIC * X


@pytest.mark.parametrize("eta0, lam, f1", [(1.0, 0.5, 2.0), (0.1, 0.5, 2.0), (1.0, 1e-4, 2.0), (2.0, 0.3, 3.0)])
def test_quadratic_closed_form(eta0, lam, f1):
    # On a quadratic with curvature L the Armijo test passes iff eta * L <= 2 (1 - lam).
    threshold = 2 * (1 - lam) / L_QUADRATIC
    backtracks = 0
    eta = eta0
    while eta > threshold:
        eta /= f1
        backtracks += 1
    assert not math.isclose(eta, threshold)
    x0 = np.array([[2.0, -1.0], [0.5, 0.25]])
    eps = np.array([1e-1, 1e-3, 1e-6])
    result = minimize(quadratic_f, quadratic_grad, x0, "armijo", eps=eps, max_iter=10_000,
                      eta0=eta0, lam=lam, f1=f1)
    assert (result.status == "converged").all()
    contraction = abs(1 - eta * L_QUADRATIC)
    for b in range(x0.shape[0]):
        g0 = L_QUADRATIC * np.linalg.norm(x0[b])
        expected = [max(0, math.ceil(math.log(e / g0) / math.log(contraction) - 1e-9)) for e in eps]
        assert result.eps_hits[b].tolist() == expected
        k = result.iterations[b]
        # T4: exactly 1 + backtracks evaluations per iteration, plus f(x0)
        assert result.f_evals[b] == 1 + k * (1 + backtracks)
        assert result.grad_evals[b] == 1 + k
        assert result.backtracks[b] == k * backtracks
        # exact: the engine divides eta0 by f1 as often as the loop above, and IEEE division is
        # correctly rounded, so both give the same bits on every machine
        assert result.step[b] == eta
        # T1: N(eps) <= Delta / (lam * eta_min * eps^2), eta_min = min(eta0, 2(1-lam)/(f1 L))
        delta = quadratic_f(x0[b:b + 1])[0]
        eta_min = min(eta0, 2 * (1 - lam) / (f1 * L_QUADRATIC))
        assert eta >= eta_min
        for j, e in enumerate(eps):
            assert result.eps_hits[b, j] <= delta / (lam * eta_min * e**2)


# -- accounting ------------------------------------------------------------------------------


def tagged_f(X):
    """x^4 in the first coordinate; the second coordinate is a tag that never moves."""
    return X[:, 0] ** 4 + 0.0 * X[:, 1]


def tagged_grad(X):
    G = np.zeros_like(X)
    G[:, 0] = 4 * X[:, 0] ** 3
    return G


@pytest.mark.parametrize("algorithm", ARMIJO_VARIANTS + BASELINES + RIVALS)
def test_oracle_counts_equal_calls_made(algorithm):
    starts = 7
    rng = np.random.default_rng(3)
    x0 = np.column_stack([rng.uniform(-2, 2, starts), np.arange(starts)])
    log = CallLog(tagged_f, tagged_grad)
    result = minimize(log.f, log.grad, x0, algorithm, eps=[1e-2, 1e-4], max_iter=3000, trace=True,
                      **REQUIRED.get(algorithm, {}))
    f_calls = np.zeros(starts, dtype=int)
    grad_calls = np.zeros(starts, dtype=int)
    for kind, X in log.calls:
        tags = X[:, 1].astype(int)
        target = f_calls if kind == "f" else grad_calls
        np.add.at(target, tags, 1)
    assert np.array_equal(result.f_evals, f_calls)
    assert np.array_equal(result.grad_evals, grad_calls)
    assert np.array_equal(result.x[:, 1], np.arange(starts))


def test_eps_hits_match_full_trace():
    x0 = np.array([[1.3, -0.7], [-2.1, 0.4], [0.2, 1.9]])
    eps = np.logspace(0, -6, 13)
    result = minimize(quartic_f, quartic_grad, x0, "armijo-increase", eps=eps, max_iter=2000,
                      trace=True, trace_per_decade=10_000)
    trace = result.trace
    for b in range(3):
        for j, e in enumerate(eps):
            reached = np.flatnonzero(trace.grad_norm[:, b] <= e)
            first = reached[0] if reached.size else -1
            assert result.eps_hits[b, j] == first
            if first >= 0:
                assert result.eps_hit_f_evals[b, j] == trace.f_evals[first, b]
        hits = result.eps_hits[b][result.eps_hits[b] >= 0]
        assert (np.diff(hits) >= 0).all()


@pytest.mark.parametrize("algorithm", ARMIJO_VARIANTS + BASELINES + RIVALS)
def test_batched_run_equals_per_start_runs(algorithm):
    rng = np.random.default_rng(11)
    x0 = rng.uniform(-2, 2, size=(6, 2))
    x0[2] = [0.0, 0.0]  # converges at iteration 0
    kwargs = dict(eps=[1e-2, 1e-4, 1e-6], max_iter=500, trace=True, **REQUIRED.get(algorithm, {}))
    batched = minimize(quartic_f, quartic_grad, x0, algorithm, **kwargs)
    for b in range(x0.shape[0]):
        single = minimize(quartic_f, quartic_grad, x0[b], algorithm, **kwargs)
        assert_same_run(batched, single, index_first=b, index_second=0, max_ulps=BATCHED_VS_SINGLE_ULPS,
                        why="a start in a batch against the same start alone", label=algorithm)
        assert_ulps_close(batched.trace.f[:single.trace.f.shape[0], b], single.trace.f[:, 0],
                          BATCHED_VS_SINGLE_ULPS, "trace of f, a start in a batch against alone")


def test_same_inputs_same_results():
    x0 = np.random.default_rng(0).normal(size=(20, 3))
    first = minimize(quartic_f, quartic_grad, x0, "armijo-dichotomy", eps=[1e-3, 1e-6], max_iter=300)
    second = minimize(quartic_f, quartic_grad, x0, "armijo-dichotomy", eps=[1e-3, 1e-6], max_iter=300)
    for name in ("status", "iterations", "f_evals", "eps_hits", "x", "f"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


def test_large_dimension_single_start():
    n = 100_000
    scales = np.linspace(1.0, 2.0, n)
    result = minimize(lambda X: 0.5 * np.sum(scales * X**2, axis=1), lambda X: scales * X,
                      np.ones(n), "armijo-increase", eps=[1e-6], max_iter=500)
    assert result.status.tolist() == ["converged"]
    assert result.x.shape == (1, n)


# -- statuses ----------------------------------------------------------------------------------


def test_status_diverged_on_negative_quadratic():
    result = minimize(lambda X: -np.sum(X**2, axis=1), lambda X: -2 * X, np.array([[0.3], [-1.0]]),
                      "armijo", eps=[1e-6], max_iter=100_000)
    assert result.status.tolist() == ["diverged", "diverged"]
    assert (np.abs(result.x) > 1e15).all()
    assert result.status_counts()["diverged"] == 2


def test_status_precision_floor_on_shifted_quartic():
    # 1 + x^4: the decrease eta * ||g||^2 of x^4 falls below the ulps of f(x) ~ 1 near ||g|| ~ 1e-7.
    shifted_f = lambda X: 1.0 + np.sum(X**4, axis=1)  # noqa: E731
    result = minimize(shifted_f, lambda X: 4 * X**3, np.array([[0.7], [-1.1]]), "armijo", eta0=4.0,
                      eps=np.logspace(-2, -10, 9), max_iter=10**6)
    assert result.status.tolist() == ["precision_floor", "precision_floor"]
    # hits made before the floor are kept; the smallest thresholds are not reached
    assert (result.eps_hits[:, :4] > 0).all()
    assert (result.eps_hits[:, -1] == -1).all()
    # at the stop, the first-order decrease of the last trial is a few ulps of f
    assert (4 * result.grad_norm**2 <= 4 * np.spacing(1.0)).all()
    # the same quartic without the offset resolves every threshold (identical iterations up to the floor)
    clean = minimize(lambda X: np.sum(X**4, axis=1), lambda X: 4 * X**3, np.array([[0.7], [-1.1]]),
                     "armijo", eta0=4.0, eps=np.logspace(-2, -5, 4), max_iter=10**6)
    assert clean.status.tolist() == ["converged", "converged"]
    assert np.array_equal(clean.eps_hits[:, :4], result.eps_hits[:, :4])


def test_status_non_finite():
    # f is finite everywhere, its gradient is nan beyond x > 2: gd with a large step lands there.
    f = lambda X: np.sum(X**2, axis=1)  # noqa: E731
    grad = lambda X: np.where(X > 2, np.nan, 2 * X)  # noqa: E731
    result = minimize(f, grad, np.array([[-1.5], [0.5]]), "gd", eta=1.8, eps=[1e-6], max_iter=100)
    assert result.status[0] == "non_finite"
    assert result.iterations[0] == 1
    # f returns nan away from the start: Armijo rejects nan trials and still converges
    nan_f = lambda X: np.where(np.abs(X[:, 0]) > 1.2, np.nan, X[:, 0] ** 2)  # noqa: E731
    result = minimize(nan_f, lambda X: 2 * X, np.array([[1.0]]), "armijo", eta0=10.0, eps=[1e-8])
    assert result.status.tolist() == ["converged"]
    # non-finite at the start: stopped at iteration 0
    with np.errstate(invalid="ignore"):
        result = minimize(lambda X: np.log(X[:, 0]), lambda X: 1 / X, np.array([[-1.0]]), "armijo")
    assert result.status.tolist() == ["non_finite"]
    assert result.iterations.tolist() == [0]


def test_status_max_iter_and_step_underflow():
    result = minimize(quartic_f, quartic_grad, np.array([[1.0, 1.0]]), "armijo", eps=[1e-12], max_iter=5)
    assert result.status.tolist() == ["max_iter"] and result.iterations.tolist() == [5]
    # a user floor on the step: the first acceptable step (0.5) is below eta_min = 0.9
    result = minimize(quadratic_f, quadratic_grad, np.array([[1.0]]), "armijo", eta0=1.0, eta_min=0.9)
    assert result.status.tolist() == ["step_underflow"]
    # a wrong gradient (an ascent direction): trials shrink until x - eta d == x in floating point
    result = minimize(lambda X: X[:, 0] - 1e6, lambda X: -np.ones_like(X), np.array([[1e6]]), "armijo")
    assert result.status.tolist() == ["step_underflow"]
    assert result.iterations.tolist() == [0]


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, message", [
    (dict(algorithm="armijo", lam=1.5), r"lam must be in \(0, 1\)"),
    (dict(algorithm="armijo", lam=0.0), r"lam must be in \(0, 1\)"),
    (dict(algorithm="armijo", eta0=-1), r"eta0 must be in \(0, inf\)"),
    (dict(algorithm="armijo", f1=1.0), r"f1 must be in \(1, inf\)"),
    (dict(algorithm="armijo-increase", f2=0.5), r"f2 must be in \(1, inf\)"),
    (dict(algorithm="armijo", f2=10.0), r"armijo takes no parameter f2"),
    (dict(algorithm="adam", beta1=1.0), r"beta1 must be in \[0, 1\)"),
    (dict(algorithm="gd", eta="fast"), r"eta must be a real number"),
    (dict(algorithm="gd", eta=float("nan")), r"eta must be in"),
    (dict(algorithm="newton"), r"unknown algorithm 'newton'"),
    (dict(algorithm="armijo", eps=[1e-6, 1e-3]), r"strictly decreasing"),
    (dict(algorithm="armijo", eps=[0.0]), r"finite and > 0"),
    (dict(algorithm="armijo", max_iter=-1), r"max_iter must be a non-negative integer"),
    (dict(algorithm="polyak"), r"polyak needs f_star \(no default\): the optimal value"),
    (dict(algorithm="polyak", f_star=float("inf")), r"f_star must be in \[-1e\+150, 1e\+150\]"),
    (dict(algorithm="polyak", f_star=1e200), r"f_star must be in"),
    (dict(algorithm="l0l1-gd", L0=1.0), r"l0l1-gd needs L1 \(no default\)"),
    (dict(algorithm="l0l1-gd"), r"l0l1-gd needs L0 and L1"),
    (dict(algorithm="l0l1-gd", L0=-1.0, L1=1.0), r"L0 must be in \[0, 1e\+150\]"),
    (dict(algorithm="l0l1-gd", L0=0.0, L1=0.0), r"L0 \+ L1 > 0"),
    (dict(algorithm="l0l1-gd", L0=1.0, L1=2e150), r"L1 must be in"),
    (dict(algorithm="normalized-gd-decay"), r"normalized-gd-decay needs R \(no default\)"),
    (dict(algorithm="normalized-gd-decay", R=0.0), r"R must be in \(0, 1e\+150\]"),
    (dict(algorithm="polyak-level", rho=0.5), r"rho must be in \[1, 10\]"),
    (dict(algorithm="polyak-level", beta=1.0), r"beta must be in \(0, 1\)"),
    (dict(algorithm="adgd", eta0=0.0), r"eta0 must be in \(0, inf\)"),
    (dict(algorithm="adgd", f_star=0.0), r"adgd takes no parameter f_star; it accepts: eta0"),
    (dict(algorithm="gd", L0=1.0), r"gd takes no parameter L0"),
])
def test_bad_parameters_give_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        minimize(quartic_f, quartic_grad, np.ones((2, 2)), **kwargs)


def test_bad_starts_and_oracles_give_clear_errors():
    with pytest.raises(ValueError, match=r"x0 must have shape"):
        minimize(quartic_f, quartic_grad, np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r"x0 must be finite"):
        minimize(quartic_f, quartic_grad, np.array([np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"f must map an array of shape \(2, 2\) to shape \(2,\)"):
        minimize(lambda X: X, quartic_grad, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"grad must map"):
        minimize(quartic_f, lambda X: X[:, 0], np.ones((2, 2)))


def test_every_algorithm_is_declared_and_recorded():
    assert list(armijo.ALGORITHMS) == ARMIJO_VARIANTS + BASELINES + RIVALS
    for name in RIVALS:
        spec = armijo.ALGORITHMS[name]
        assert spec.first_trial and spec.reference and not spec.line_search, name
        assert set(spec.required) == set(REQUIRED.get(name, {})), name
    result = minimize(quartic_f, quartic_grad, np.ones(2), "armijo-increase", max_iter=3)
    assert result.params == {"eta0": 0.1, "lam": 0.5, "f1": 2.0, "f2": 1e4}
    assert "f2 * eta_{k-1}" in result.first_trial
    assert sum(result.status_counts().values()) == 1
