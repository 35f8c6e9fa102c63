"""The checks of experiments.bounds (the stochastic loop that experiments.neural runs: tests/test_stochastic.py)."""

import numpy as np
import pandas as pd
import pytest

from experiments import bounds


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


def test_thresholds_past_a_floor_enter_no_check_and_no_fit():
    """The thresholds a floor-stopped start did not reach have no bound-check row of any theorem (they are only
    counted on its 'floor stop' row) and no fit point: the rate fit of a start cut by a floor equals the fit on
    the thresholds it reached."""
    from theory.fit import fit_rate

    eps = np.logspace(-1, -12, 12)
    reached = 1 + 3 * np.arange(8)                      # linear convergence down to eps = 1e-8
    hits = np.concatenate([reached, [-1] * 4])          # then a floor: four thresholds censored
    table = pd.DataFrame({
        "function": "f", "function_params": "{}", "algorithm": "armijo", "algorithm_params": "{}", "start": 0,
        "eps": eps, "iterations": hits, "f_evals": np.where(hits < 0, -1, hits + 1), "status": "noise_floor",
        "total_iterations": 23, "case_verdict": "consistent", "bound_T1": 1e3, "bound_T4": 1e4,
    })
    checked = bounds.check_table("demo", table)
    rows = checked[checked["theorem"].notna()]
    assert set(rows["eps"]) == set(eps[:8]) and (rows["check"] == "reached").all()
    assert checked.loc[checked["check"] == "floor stop", "measured"].tolist() == [4]
    assert bounds.summarize(checked)["theorems"]["T1"]["checked"] == 8
    cut, alone = fit_rate(eps, hits[None, :]), fit_rate(eps[:8], reached[None, :])
    assert cut.window_eps == alone.window_eps and cut.n_points == alone.n_points
    assert cut.model == alone.model and cut.iterations_per_decade == pytest.approx(alone.iterations_per_decade)
