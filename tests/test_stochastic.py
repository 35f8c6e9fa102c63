"""The mini-batch loop of armijo/stochastic.py: the Armijo test on the gradient's batch, exact counts,
the full-batch limit against the engine, rows independent of their batch, bad input refused up front."""

import dataclasses

import numpy as np
import pytest

import functions
from armijo import minimize
from armijo.linesearch import armijo_test
from armijo.params import STOCHASTIC_ALGORITHMS
from armijo.stochastic import FullBatch, minimize_stochastic

EPS = (1e-1, 1e-2)
PARAMS = {"eta0": 0.1, "lam": 0.5, "f1": 2.0, "growth": 2.0, "eta_max": 1e3}


def _network():
    return functions.get("mlp-tanh", hidden=3, samples=40)


def _counting(objective):
    """The objective with its mini-batch oracle wrapped to log every call with the batch it saw."""
    calls = {"f": [], "grad": []}
    original = objective.minibatch

    def minibatch(batch_size, seed):
        oracle = original(batch_size, seed)
        f, grad = oracle.f, oracle.grad

        def counted_f(X):
            calls["f"].append((oracle.batches_drawn, tuple(oracle.rows), np.atleast_2d(X).shape[0]))
            return f(X)

        def counted_grad(X):
            calls["grad"].append((oracle.batches_drawn, tuple(oracle.rows), np.atleast_2d(X).shape[0]))
            return grad(X)

        oracle.f, oracle.grad = counted_f, counted_grad
        return oracle

    return dataclasses.replace(objective, minibatch=minibatch), calls


@pytest.mark.parametrize("algorithm", ["sls-armijo", "sls-increase"])
def test_armijo_holds_on_the_gradients_batch_and_counts_are_exact(algorithm):
    objective, calls = _counting(_network())
    x0 = objective.sample_starts(np.random.default_rng(0), 3)
    params = {name: PARAMS[name] for name in STOCHASTIC_ALGORITHMS[algorithm].defaults}
    run = minimize_stochastic(objective.f, objective.grad, objective.minibatch(8, 3), x0, algorithm, eps=EPS,
                              max_iter=60, monitor_every=5, **params)
    phi0, value, step, slope = np.moveaxis(run.armijo_checks, 2, 0)
    accepted = np.isfinite(step)
    assert accepted.sum(axis=0).tolist() == run.iterations.tolist() and run.iterations.min() > 0
    assert armijo_test(value[accepted], phi0[accepted], step[accepted], slope[accepted], PARAMS["lam"]).all()
    # every f and grad call is one evaluation per row it was given: the counts equal the calls
    assert run.f_evals.sum() == sum(rows for _, _, rows in calls["f"])
    assert run.grad_evals.sum() == sum(rows for _, _, rows in calls["grad"])
    assert (run.grad_evals == run.iterations).all()
    assert (run.f_evals >= 2 * run.iterations).all()  # f_B(x_k) plus at least one trial
    # the line search of iteration k evaluates f on the batch that gave the gradient of iteration k
    gradient_batch = {drawn: rows for drawn, rows, _ in calls["grad"]}
    assert all(gradient_batch[drawn] == rows for drawn, rows, _ in calls["f"])
    assert len(gradient_batch) == run.iterations.max()  # one batch per iteration


def test_sgd_charges_one_gradient_per_iteration_and_no_function_value():
    objective, calls = _counting(_network())
    x0 = objective.sample_starts(np.random.default_rng(1), 1)[0]
    run = minimize_stochastic(objective.f, objective.grad, objective.minibatch(8, 0), x0, "sgd", eps=(1e-9,),
                              max_iter=30, monitor_every=10, eta=0.5)
    assert (run.f_evals[0], run.grad_evals[0], run.iterations[0]) == (0, 30, 30)
    assert run.status.tolist() == ["max_iter"] and not calls["f"]
    assert run.monitor.iteration.tolist() == [0, 10, 20, 30]
    assert run.monitor.grad_evals[:, 0].tolist() == [0, 10, 20, 30]


@pytest.mark.parametrize(("stochastic", "engine", "params"), [
    ("sls-armijo", "armijo", {"eta0": 0.1, "lam": 0.5, "f1": 2.0}),
    ("adam", "adam", {"eta": 1e-2}),
])
def test_full_batch_limit_follows_the_engine_bit_for_bit(stochastic, engine, params):
    """With one batch (the whole objective) the loop takes the engine's steps: the same iterates."""
    objective = functions.get("rosenbrock")
    x0 = np.array([[-1.2, 1.0], [0.5, -0.7]])
    eps = (1e-1, 1e-3)
    ours = minimize_stochastic(objective.f, objective.grad, FullBatch(objective.f, objective.grad), x0, stochastic, eps=eps,
                               max_iter=400, monitor_every=1, **params)
    reference = minimize(objective.f, objective.grad, x0, engine, eps=eps, max_iter=400, **params)
    np.testing.assert_array_equal(ours.x, reference.x)
    np.testing.assert_array_equal(ours.eps_hits, reference.eps_hits)
    assert ours.status.tolist() == reference.status.tolist()
    assert ours.iterations.tolist() == reference.iterations.tolist()
    assert ours.grad_evals.tolist() == reference.iterations.tolist()  # the engine also pays grad(x_final)
    if stochastic == "sls-armijo":
        # the engine reuses the accepted trial's value as f(x_{k+1}); the loop evaluates f_B(x_k) on each new batch
        assert (ours.f_evals - reference.f_evals).tolist() == (reference.iterations - 1).tolist()
        np.testing.assert_array_equal(ours.step, reference.step)


def test_a_start_in_a_batch_runs_as_it_runs_alone():
    objective = _network()
    x0 = objective.sample_starts(np.random.default_rng(2), 3)
    together = minimize_stochastic(objective.f, objective.grad, objective.minibatch(8, 7), x0, "sls-increase",
                                   eps=EPS, max_iter=40, monitor_every=4)
    for row in range(3):
        alone = minimize_stochastic(objective.f, objective.grad, objective.minibatch(8, 7), x0[row], "sls-increase",
                                    eps=EPS, max_iter=40, monitor_every=4)
        np.testing.assert_array_equal(together.x[row], alone.x[0])
        assert together.f_evals[row] == alone.f_evals[0] and together.status[row] == alone.status[0]
        np.testing.assert_array_equal(together.monitor.loss[:, row], alone.monitor.loss[:, 0])


def test_recorded_iterates_pair_each_monitored_point_with_its_successor():
    objective = _network()
    x0 = objective.sample_starts(np.random.default_rng(3), 2)
    run = minimize_stochastic(objective.f, objective.grad, objective.minibatch(8, 1), x0, "sls-armijo",
                              eps=(1e-9,), max_iter=12, monitor_every=1, record_iterates=True)
    trace = run.monitor
    assert trace.x.shape == trace.x_next.shape == (13, 2, objective.n)
    np.testing.assert_array_equal(trace.x_next[:-1], trace.x[1:])
    assert np.isnan(trace.x_next[-1]).all()  # no step after the budget
    np.testing.assert_allclose(trace.loss, objective.f(trace.x.reshape(-1, objective.n)).reshape(13, 2), rtol=0)
    assert (np.diff(trace.seconds) >= 0).all()


def test_a_step_that_is_too_long_diverges_with_a_named_status():
    objective = functions.get("monomial", p=1)
    run = minimize_stochastic(objective.f, objective.grad, FullBatch(objective.f, objective.grad), [[1.0]], "sgd", eta=3.0,
                              max_iter=200, max_norm=1e6)
    assert run.status.tolist() == ["diverged"] and run.iterations[0] == 9  # x_k = (-5)^k: 5^9 > 1e6 > 5^8


class Exploding:
    """An oracle whose every call fails the test: nothing may be evaluated before the input is checked."""

    def __init__(self, batch_size=4, sample_count=10):
        self.batch_size, self.sample_count = batch_size, sample_count

    def f(self, X):
        raise AssertionError("evaluated before validation")

    grad = next_batch = f


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"batches": Exploding(batch_size=11)}, "larger than the data"),
    ({"batches": Exploding(batch_size=0)}, "batch_size must be an integer >= 1"),
    ({"algorithm": "armijo"}, "unknown algorithm 'armijo'"),
    ({"growth": 0.5, "algorithm": "sls-increase"}, "growth must be in"),
    ({"eta": 0.1, "algorithm": "sls-armijo"}, "takes no parameter eta"),
    ({"monitor_every": 0}, "monitor_every must be an integer >= 1"),
    ({"max_iter": 2.5}, "max_iter must be an integer"),
    ({"eps": (1e-3, 1e-2)}, "strictly decreasing"),
    ({"x0": [[np.nan]]}, "x0 must be finite"),
])
def test_bad_input_is_refused_before_any_evaluation(kwargs, message):
    arguments = {"batches": Exploding(), "x0": [[1.0]], "algorithm": "sls-armijo", **kwargs}
    f = grad = Exploding().f
    with pytest.raises(ValueError, match=message):
        minimize_stochastic(f, grad, arguments.pop("batches"), arguments.pop("x0"), arguments.pop("algorithm"),
                            **arguments)


def test_an_oracle_without_batches_is_refused():
    with pytest.raises(ValueError, match="missing: next_batch"):
        minimize_stochastic(np.sum, np.sign, type("Half", (), {"f": np.sum, "grad": np.sign, "batch_size": 1,
                                                                "sample_count": 1})(), [[1.0]])


def test_loss_only_monitoring_never_converges_by_eps():
    objective = _network()
    x0 = objective.sample_starts(np.random.default_rng(4), 1)
    run = minimize_stochastic(objective.f, None, objective.minibatch(8, 2), x0, "sgd", eps=(1e3,), max_iter=10,
                              monitor_every=5, eta=0.1)
    assert run.status.tolist() == ["max_iter"] and np.isnan(run.monitor.grad_norm).all()
    assert run.monitor.loss[0, 0] == objective.f(x0)[0]
    assert np.isfinite(run.monitor.loss).all() and (run.eps_hits == -1).all()
