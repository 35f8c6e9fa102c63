"""The l0l1 and eta0 experiments on their quick grids: T2 holds, the summaries carry the numbers."""

import numpy as np
import pytest

from experiments import eta0, l0l1
from experiments.machinery.study import verdict_rows
from experiments.machinery.pieces import run_case


@pytest.fixture(scope="module")
def l0l1_table():
    import pandas as pd
    return pd.concat([run_case(case) for case in l0l1.cases(quick=True)], ignore_index=True)


@pytest.fixture(scope="module")
def eta0_table():
    import pandas as pd
    return pd.concat([run_case(case) for case in eta0.cases(quick=True)], ignore_index=True)


def test_starts_have_the_requested_gaps():
    s, delta = 4.0, 1e3
    x0 = l0l1.starts_for_gap(s, delta, 50, seed=3)
    gaps = (np.cosh(s * x0) - 1.0) / s**2
    assert np.all(gaps >= delta * 10**-0.1 * (1 - 1e-12)) and np.all(gaps <= delta * 10**0.1 * (1 + 1e-12))
    assert (x0 > 0).any() and (x0 < 0).any()


def test_no_t2_bound_is_violated_on_the_quick_grid(l0l1_table):
    armijo = l0l1_table[l0l1_table["algorithm"].isin(["armijo", "armijo-increase"])]
    checked = armijo[armijo["iterations"] >= 0]
    assert np.isfinite(checked["bound_T2"]).all() and len(checked) > 0
    assert (checked["iterations"] <= checked["bound_T2"]).all()
    # (L0, L1) come from the registry, exactly: the bound uses L1 = s
    assert np.allclose(armijo["L1_est"], armijo["s"]) and np.allclose(armijo["L0_est"], 1.0)


def test_fixed_step_gd_diverges_where_eta_times_curvature_is_large(l0l1_table):
    gd = l0l1_table[(l0l1_table["method"] == "gd eta=0.1")].drop_duplicates(["s", "delta_level", "start"])
    far = gd[l0l1.ETA0 * (1.0 + gd["s"] ** 2 * gd["initial_gap"]) > 20.0]
    assert len(far) > 0 and far["status"].isin(["diverged", "non_finite"]).all()
    armijo = l0l1_table[l0l1_table["method"] == "armijo"]
    assert (armijo["status"] == "converged").all()


def test_l0l1_summary_reports_the_numbers(l0l1_table, tmp_path):
    summary = l0l1.plot(l0l1_table, tmp_path)
    assert (tmp_path / "l0l1.png").stat().st_size > 0
    assert summary["t2_violations"] == {"armijo": 0, "armijo-increase": 0}
    assert 0 < summary["t2_max_ratio"]["armijo"] <= 1
    assert summary["gd_fixed_diverged_cells"] >= 1
    assert "measured/bound ratio" in summary["caption"] and "diverges in" in summary["caption"]


def test_eta0_summary_reports_ratios_and_the_gd_band(eta0_table, tmp_path):
    summary = eta0.plot(eta0_table, tmp_path)
    numbers = summary["numbers"]["poly-two"]
    assert set(numbers) == set(eta0.VARIANTS) | {"gd"}
    for variant in ("armijo-increase", "armijo-dichotomy", "armijo-normalized"):
        assert numbers[variant]["steps_all_starts_reach_eps"] == numbers[variant]["steps"]
        assert numbers[variant]["iterations_max_over_min"] >= 1.0
    assert numbers["gd"]["steps_with_failed_starts"] >= 1  # eta = 100 diverges on poly-two
    assert "max/min" in summary["caption"]


def test_merged_verdict_rows_keep_the_worst_check():
    import pandas as pd
    table = pd.DataFrame({"function": "f", "function_params": "{}", "algorithm": "armijo",
                          "algorithm_params": ["{}", "{}"], "step": [1.0, 2.0],
                          "case_exponent": [0.1, 0.3], "case_verdict": ["consistent", "violated"],
                          "case_bounds_held": ["T1:yes:0.5;T2:yes:0.2", "T1:NO:1.5;T2:yes:0.1"],
                          "case_reasons": ["", "count above bound"]})
    (row,) = verdict_rows(table, scanned=("step",))
    assert row["case_bounds_held"] == "T1:NO:1.5;T2:yes:0.2"
    assert row["case_exponent"] == pytest.approx(0.2)
    assert "violated 1/2" in row["case_verdict"] and row["case_reasons"] == "count above bound"
