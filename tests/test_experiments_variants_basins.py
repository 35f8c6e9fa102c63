"""Unit checks of the helpers of experiments.variants and experiments.basins (fast, no full runs)."""

import json

import numpy as np
import pandas as pd

import functions
from armijo import minimize
from experiments import basins, variants
from theory.t4_oracle import mean_f_evals_per_iteration


def test_classify_nearest_critical_point_within_tolerance():
    objective = functions.get("poly-two")
    points = objective.critical_points
    exact = np.array([points[0].x, points[4].x + 0.01, [10.0, 10.0], [np.nan, 0.0]])
    index, distance = basins.classify(exact, points, tolerance=0.05)
    assert index.tolist() == [0, 4, -1, -1]
    assert distance[0] == 0.0 and np.isclose(distance[1], 0.01 * np.sqrt(2)) and np.isinf(distance[3])


def test_lingered_values_excludes_the_reached_value():
    objective = functions.get("poly-five")
    start = np.array([[2.0 + 1e-3, 1.0 - 1e-3]])  # next to the one-sided saddle of value 128
    result = minimize(objective.f, objective.grad, start, "armijo", eps=(1e-3,), max_iter=3000, trace=True)
    values = [p.value for p in objective.critical_points]
    lingered = basins.lingered_values(result.trace, values, np.array([0.0]))
    assert 128.0 in lingered[0]
    assert basins.lingered_values(result.trace, values, np.array([128.0]))[0].count(128.0) == 0


def test_t4_telescoped_count_matches_engine_exactly():
    objective = functions.get("monomial", p=2)
    starts = objective.sample_starts(np.random.default_rng(0), 3)
    rows = []
    for algorithm in ("armijo-memory", "armijo-increase", "armijo-normalized"):
        result = minimize(objective.f, objective.grad, starts, algorithm, eps=(1e-4,), max_iter=50_000)
        for b in range(3):
            rows.append({"function": "monomial", "function_params": "{}", "algorithm": algorithm, "start": b,
                         "algorithm_params": json.dumps(result.params), "total_iterations": result.iterations[b],
                         "total_f_evals": result.f_evals[b], "last_step": result.step[b],
                         "status": result.status[b]})
    runs = variants.evals_per_iteration(pd.DataFrame(rows))
    assert (runs["status"] == "converged").all()
    np.testing.assert_allclose(runs["t4_f_evals"], runs["total_f_evals"], atol=1e-9)
    assert np.isclose(runs.loc[runs["algorithm"] == "armijo-increase", "t4_mean"].iloc[0],
                      mean_f_evals_per_iteration(f1=2.0, f2=1e4))


def test_paired_speedups_censor_missed_thresholds():
    table = pd.DataFrame({
        "function": "f", "function_params": "{}", "start": [0, 0, 1, 1], "eps": 1e-3,
        "algorithm": ["armijo", "armijo-increase"] * 2, "iterations": [100, 10, -1, 5]})
    ratios = variants.paired_speedups(table, "iterations").sort_values("start")["ratio"].tolist()
    assert ratios == [10.0, np.inf]
