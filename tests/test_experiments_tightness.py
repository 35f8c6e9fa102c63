"""The tightness study and the bounds study's evidence counts, on tables whose answers are known by hand.

Their quick grids run in tests/test_experiments.py (tables, figures, layout); here the numbers the
summaries report are checked without matplotlib.
"""

import json

import numpy as np
import pandas as pd
import pytest

from experiments import bounds, tightness


def _row(search, axis, iterations, max_iter=1000, algorithm="armijo", **columns):
    base = {"search": search, "axis_value": axis, "function": search, "function_params": "{}",
            "algorithm": algorithm, "algorithm_params": json.dumps({"eta0": 0.1, "lam": 0.5, "f1": 2.0}),
            "x0": "[0.5]", "start": 0, "eps": 0.1, "iterations": iterations, "max_iter": max_iter,
            "bound_T1": np.nan, "bound_T2": np.nan, "bound_T3-point": np.nan, "entry_T3-point": np.nan,
            "case_model": "power", "case_exponent": np.nan, "case_exponent_ci_low": np.nan,
            "case_exponent_ci_high": np.nan, "case_predicted_exponent": np.nan, "known_exponent": np.nan}
    return {**base, **columns}


def test_tightness_summary_keeps_informative_checks_only():
    table = pd.DataFrame([
        _row("cosh", 0.01, 4, bound_T1=20.0),                       # 0.2, informative
        _row("cosh", 0.01, 90, max_iter=100, bound_T1=100.0, eps=0.01),  # 0.9 but vacuous: bound = budget
        _row("cosh", 1.0, 5, bound_T1=500.0),                        # 0.01
        _row("escape", 1.0, 30, bound_T1=100.0, eps=0.01),           # 0.3: the best informative check
        _row("escape", 1.0, -1, bound_T1=10.0, eps=0.001),           # never reached: not a check
        _row("monomial", 2.0, 12, **{"bound_T3-point": 20.0, "entry_T3-point": 10.0}),  # (12-10)/(20-10)
    ])
    numbers = tightness.summarize(table)
    t1 = numbers["bounds"]["T1"]
    assert (t1["checked"], t1["informative"]) == (4, 3)
    assert t1["best"]["ratio"] == pytest.approx(0.3) and t1["best"]["search"] == "escape"
    assert t1["curves"]["cosh"] == {"x": [0.01, 1.0], "ratio": [pytest.approx(0.2), pytest.approx(0.01)]}
    assert numbers["bounds"]["T3-point"]["best"]["ratio"] == pytest.approx(0.2)
    assert numbers["bounds"]["T2"]["best"] is None


def test_tightness_summary_compares_power_laws_with_their_ceiling():
    table = pd.DataFrame([
        _row("monomial", 2.0, 5, case_exponent=0.667, case_exponent_ci_low=0.66, case_exponent_ci_high=0.67,
             case_predicted_exponent=1.0, known_exponent=2 / 3),
        _row("monomial", 8.0, 5, case_exponent=0.93, case_exponent_ci_low=0.92, case_exponent_ci_high=0.94,
             case_predicted_exponent=1.0, known_exponent=14 / 15),
        _row("cosh", 1.0, 5, case_model="logarithmic", case_exponent=0.0, case_exponent_ci_low=0.0,
             case_exponent_ci_high=0.1, case_predicted_exponent=1.0),  # linear convergence: not a power law
        _row("cgt", 0.1, 5, case_exponent=1.667, case_exponent_ci_low=1.66, case_exponent_ci_high=1.67,
             case_predicted_exponent=2.0, known_exponent=2 / 1.2),
    ])
    numbers = tightness.summarize(table)["exponents"]
    assert numbers["ceiling 1"]["best"]["ratio"] == pytest.approx(0.93)
    assert set(numbers["ceiling 1"]["curves"]) == {"monomial"}
    assert numbers["ceiling 1"]["curves"]["monomial"]["x"] == [2.0, 8.0]
    assert numbers["ceiling 2"]["best"]["ratio"] == pytest.approx(1.667 / 2)


def test_tightness_grid_is_data_and_its_cases_carry_the_axis():
    cases = tightness.cases()
    assert {case.labels["search"] for case in cases} == set(tightness.GRID["searches"])
    cosh = [case for case in cases if case.labels["search"] == "cosh"]
    grid = tightness.GRID["searches"]["cosh"]
    assert len(cosh) == len(grid["values"]) * len(grid["delta"])
    for case in cosh:  # the start's gap is the prescribed Delta: L1 * Delta = s * Delta
        s, x0 = case.function_params["s"], case.x0[0][0]
        delta = (np.cosh(s * x0) - 1.0) / s**2
        assert case.labels["axis_value"] == pytest.approx(s * delta, rel=1e-9)
    monomials = [case for case in cases if case.labels["search"] == "monomial"]
    assert [case.labels["known_exponent"] for case in monomials] == [
        pytest.approx((2 * p - 2) / (2 * p - 1)) for p in tightness.GRID["searches"]["monomial"]["values"]]
    assert len(tightness.cases(quick=True)) < len(cases)


def test_bounds_summary_counts_every_class_per_theorem():
    table = pd.DataFrame({
        "function": "f", "function_params": "{}", "algorithm_params": "{}", "start": 0,
        "algorithm": ["armijo", "armijo", "armijo", "armijo-increase"],
        "eps": [1e-1, 1e-2, 1e-3, 1e-1], "iterations": [5, 50, -1, 7], "f_evals": [9, 90, -1, 80],
        "status": "max_iter", "total_iterations": 100, "max_iter": 100,
        "bound_T1": [10.0, 400.0, 2000.0, 20.0], "bound_T3": [6.0, 60.0, np.nan, 8.0],
        "entry_T3": [4.0, 4.0, 4.0, 4.0], "bound_T4": [9.0, 100.0, np.nan, 100.0],
    })
    numbers = bounds.summarize(bounds.check_table("demo", table))["theorems"]
    t1 = numbers["T1"]  # 5 <= 10 < 100 (informative); 400 >= budget 100 (vacuous); censored below 2000 (vacuous)
    assert (t1["checked"], t1["reached"], t1["informative"], t1["vacuous"], t1["censored"]) == (4, 3, 2, 2, 1)
    assert t1["informative_max_ratio"] == pytest.approx(0.5)
    t3 = numbers["T3"]  # tail constants: restatements; ratios after the entry time K = 4
    assert (t3["restatement"], t3["informative"], t3["kind"]) == (3, 0, "restatement")
    assert t3["max_ratio"] == pytest.approx((50 - 4) / (60 - 4))
    t4 = numbers["T4"]  # armijo: a bound on evaluations (no budget); armijo-increase: the telescoped identity
    assert (t4["informative"], t4["identity"], t4["kind"]) == (2, 1, "bound, identity")
