"""The checks of experiments.bounds (the stochastic loop that experiments.neural runs: tests/test_stochastic.py)."""

import numpy as np
import pandas as pd

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
