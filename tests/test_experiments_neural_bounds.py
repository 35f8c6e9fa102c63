"""The stochastic Armijo loop of experiments.neural and the checks of experiments.bounds."""

import dataclasses

import numpy as np
import pandas as pd

import functions
from armijo.linesearch import armijo_test
from experiments import bounds, neural

EPS = (1e-1, 1e-2)
PARAMS = {"eta0": 0.1, "lam": 0.5, "f1": 2.0, "growth": 2.0, "eta_max": 1e3}


def _network():
    return functions.get("mlp-tanh", hidden=3, samples=40)


def _counting(objective):
    """The objective with its mini-batch oracle wrapped to count the calls it makes."""
    calls = {"f": 0, "grad": 0, "batches": []}
    original = objective.minibatch

    def minibatch(batch_size, seed):
        oracle = original(batch_size, seed)
        f, grad = oracle.f, oracle.grad

        def counted_f(X):
            calls["f"] += 1
            calls["batches"].append(tuple(oracle.rows))
            return f(X)

        def counted_grad(X):
            calls["grad"] += 1
            return grad(X)

        oracle.f, oracle.grad = counted_f, counted_grad
        return oracle

    return dataclasses.replace(objective, minibatch=minibatch), calls


def test_stochastic_armijo_holds_on_the_batch_and_counts_are_exact():
    objective, calls = _counting(_network())
    x0 = objective.sample_starts(np.random.default_rng(0), 1)[0]
    for algorithm in ("sls-armijo", "sls-increase"):
        calls.update(f=0, grad=0, batches=[])
        run = neural.stochastic_run(objective, x0, algorithm, PARAMS, batch_size=8, seed=3, max_iter=60,
                                    eps=EPS, monitor_every=5)
        phi0, value, step, slope = run["armijo_checks"].T
        assert run["armijo_checks"].shape[0] == run["iterations"] > 0
        assert armijo_test(value, phi0, step, slope, PARAMS["lam"]).all()
        assert (run["f_evals"], run["grad_evals"]) == (calls["f"], calls["grad"])
        assert run["grad_evals"] == run["iterations"]  # one batch gradient per iteration
        assert run["f_evals"] >= 2 * run["iterations"]  # f(x_k) on the batch plus at least one trial


def test_sgd_charges_one_gradient_per_iteration_and_no_function_value():
    objective, calls = _counting(_network())
    x0 = objective.sample_starts(np.random.default_rng(1), 1)[0]
    run = neural.stochastic_run(objective, x0, "sgd", {"eta": 0.5}, batch_size=8, seed=0, max_iter=30,
                                eps=(1e-9,), monitor_every=10)
    assert (run["f_evals"], run["grad_evals"], run["iterations"]) == (0, 30, 30)
    assert run["status"] == "max_iter"
    assert run["monitor"][:, 0].tolist() == [0, 10, 20, 30]


def test_bounds_check_flags_violations_and_censored_rows():
    table = pd.DataFrame({
        "function": "f", "function_params": "{}", "algorithm": "armijo", "algorithm_params": "{}", "start": 0,
        "eps": [1e-1, 1e-2, 1e-3, 1e-4],
        "iterations": [5, 50, -1, -1], "f_evals": [9, 90, -1, -1], "status": "max_iter",
        "total_iterations": 1000,
        "bound_T1": [10.0, 40.0, 2000.0, 500.0], "bound_T4": [9.0, 100.0, np.nan, np.nan],
    })
    checked = bounds.check_table("demo", table)
    t1 = checked[checked["theorem"] == "T1"].set_index("eps")
    assert t1.loc[1e-1, "holds"] == True  # noqa: E712
    assert t1.loc[1e-2, "holds"] == False  # noqa: E712  50 > 40
    assert pd.isna(t1.loc[1e-3, "holds"])  # never reached, budget 1000 below the bound 2000
    assert t1.loc[1e-4, "holds"] == False  # noqa: E712  never reached in 1000 > 500 iterations
    t4 = checked[checked["theorem"] == "T4"]
    assert len(t4) == 2 and t4["holds"].all() and (t4["ratio"].to_numpy() == [1.0, 0.9]).all()


def test_bounds_counts_floor_stops_and_censors_past_them():
    """A start stopped at a floor is one 'floor stop' row with its censored thresholds; its checked counts are
    made before the stop; the report states both (experiments/machinery/report.py)."""
    from experiments.machinery.report import floor_section

    table = pd.DataFrame({
        "function": "f", "function_params": "{}", "algorithm": "armijo", "algorithm_params": "{}",
        "start": [0, 0, 0, 1, 1, 1], "eps": [1e-1, 1e-2, 1e-3] * 2,
        "iterations": [5, 50, -1, 4, 40, 400], "f_evals": [6, 51, -1, 5, 41, 401],
        "status": ["noise_floor"] * 3 + ["converged"] * 3, "total_iterations": [61] * 3 + [400] * 3,
        "case_verdict": "consistent", "bound_T1": 1e3,
    })
    checked = bounds.check_table("demo", table)
    stops = checked[checked["check"] == "floor stop"]
    assert len(stops) == 1 and stops["start"].tolist() == [0] and stops["measured"].tolist() == [1]
    assert (checked.loc[checked["theorem"] == "T1", "check"] == "reached").sum() == 5
    floors = bounds.floor_summary(checked)
    assert floors["starts"] == {"precision_floor": 0, "noise_floor": 1}
    assert floors["censored_thresholds"] == 1 and floors["checked_counts"] == 2
    assert floors["checked_counts_after_the_stop"] == 0 and floors["case_verdicts"] == {"consistent": 1}
    text = "\n".join(floor_section([("bounds", {"floors": floors})]))
    assert "1 start(s) stopped at a floor (0 at precision_floor, 1 at noise_floor" in text
    assert "no verdict rests on a count past a floor" in text
