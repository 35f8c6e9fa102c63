"""The deep study's numbers (experiments/deep.py): the tuning bill against brute force over every order of the
grid, summarize on a table with known answers (without matplotlib), and a bad grid refused before any work."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import deep

ROOT = Path(__file__).resolve().parent.parent


def _grid_runs(calls, final_loss, total_calls):
    return pd.DataFrame({"eta": np.logspace(-2, 1, len(calls)), "calls_to_target": calls, "final_loss": final_loss,
                         "total_calls": total_calls, "test_accuracy": np.linspace(0.5, 0.9, len(calls)),
                         "seconds_to_target": np.ones(len(calls))})


def _brute_force(wins, costs):
    """Mean, over every order of the grid, of the points and calls spent up to the first winner."""
    points, calls = [], []
    for order in itertools.permutations(range(len(wins))):
        spent = 0.0
        for position, index in enumerate(order, start=1):
            spent += costs[index]
            if wins[index]:
                points.append(position)
                calls.append(spent)
                break
    return np.mean(points), np.mean(calls)


def test_the_tuning_bill_is_the_mean_over_every_order_of_the_grid():
    runs = _grid_runs([1.0, 5.0, np.nan, 3.0, np.nan], [0.01, 0.05, 0.9, 0.02, np.nan], [10.0, 10.0, 2.0, 7.0, 1.0])
    bill = deep.tuning_bill(runs, {"calls_to_target": 4.0, "final_loss": 0.03})
    wins = [True, False, False, True, False]  # reached the target in fewer than 4 calls
    points, calls = _brute_force(wins, runs["total_calls"].to_numpy())
    assert bill["winners"] == 2 and bill["points"] == 5
    assert bill["expected_points"] == pytest.approx(points, rel=1e-12)
    assert bill["expected_calls"] == pytest.approx(calls, rel=1e-12)
    assert bill["full_grid_calls"] == 30.0 and bill["best_eta"] == runs["eta"][0]


def test_a_missed_target_is_beaten_by_a_lower_final_loss_and_no_winner_is_never():
    runs = _grid_runs([np.nan, np.nan, np.nan], [0.5, 0.2, np.nan], [10.0, 10.0, 3.0])
    bill = deep.tuning_bill(runs, {"calls_to_target": np.nan, "final_loss": 0.3})
    assert bill["winners"] == 1 and bill["best_eta"] == runs["eta"][1]
    none = deep.tuning_bill(runs, {"calls_to_target": 2.0, "final_loss": 0.05})
    assert none["winners"] == 0 and none["expected_points"] == np.inf and none["expected_calls"] == np.inf


def synthetic_table():
    """Two seeds of one network with known answers: an envelope 0.5 + 2 ||g||, and fixed runs."""
    rng = np.random.default_rng(0)
    common = {"experiment": "deep", "function": "mlp-data-tanh", "function_params": "{}", "start": 0,
              "network": "digits 64-2-10 tanh", "target_loss": 0.1, "batch_size": 64, "epochs": 3,
              "envelope_quantile": 0.9, "envelope_level": 0.9, "envelope_resamples": 50}
    rows = []
    for seed in (0, 1):
        for algorithm, calls in (("sls-armijo", np.nan), ("sls-increase", 6.0 + seed)):
            rows.append({**common, "record": "run", "seed": seed, "algorithm": algorithm, "eta": np.nan,
                         "calls_to_target": calls, "seconds_to_target": 0.1, "final_loss": 0.2, "total_calls": 9.0,
                         "test_accuracy": 0.9, "backtracks": 3, "total_iterations": 30, "median_step": 0.1,
                         "monitor_every": 5, "iterations_per_epoch": 10})
        for family in ("sgd", "adam"):
            for eta, calls in zip((0.01, 0.1, 1.0), (np.nan, 2.0, 8.0)):
                rows.append({**common, "record": "run", "seed": seed, "algorithm": family, "eta": eta,
                             "calls_to_target": calls, "seconds_to_target": 0.01, "final_loss": 0.05 if np.isfinite(calls) else 1.0,
                             "total_calls": 3.0, "test_accuracy": 0.95, "backtracks": 0, "total_iterations": 30,
                             "median_step": eta, "monitor_every": 5, "iterations_per_epoch": 10})
        for run in range(4):
            g = 10 ** rng.uniform(-2, 0, 100)
            rows += [{**common, "record": "smoothness", "seed": seed, "algorithm": "armijo", "batch": "full",
                      "run": f"{seed} {run}", "grad_norm": a, "smoothness": (0.5 + 2 * a) * u, "by_hvp": False}
                     for a, u in zip(g, rng.uniform(size=100))]
        rows += [{**common, "record": "count", "seed": seed, "algorithm": "armijo", "eps": eps, "iterations": n,
                  "f_initial": 2.0, "algorithm_params": json.dumps({"eta0": 10.0, "lam": 0.5, "f1": 2.0})}
                 for eps, n in ((1.0, 3), (0.1, 40 + seed), (0.01, -1 if seed else 90))]
    return pd.DataFrame(rows)


def test_summarize_gives_the_known_numbers():
    numbers = deep.summarize(synthetic_table())
    entry = numbers["networks"]["digits 64-2-10 tanh"]
    assert entry["envelope"]["L0"] == pytest.approx(0.9 * 0.5, rel=0.25)
    assert entry["envelope"]["L1"] == pytest.approx(0.9 * 2.0, rel=0.25) and entry["envelope"]["growth_seen"]
    bounds = entry["bounds"]
    assert bounds["eps"] == 0.1 and bounds["measured"] == 40.5  # the smallest eps both seeds reached
    assert bounds["measured"] < bounds["t2"] and bounds["delta"] == 2.0
    assert entry["armijo"]["sls-increase"]["calls_to_target"] == {"median": 6.5, "low": 6.0, "high": 7.0}
    assert entry["armijo"]["sls-armijo"]["reached"] == 0
    bill = entry["bills"]["sgd vs sls-increase"]
    # eta = 0.1 (2 calls) beats 6 or 7 calls; eta = 1 (8 calls) does not: K = 1 of N = 3
    assert bill["winners"]["median"] == 1 and bill["expected_points"]["median"] == 2.0
    assert bill["expected_calls"]["median"] == pytest.approx((3.0 + 3.0) / 2 + 3.0)
    # against sls-armijo, which missed: every run with a lower final loss wins
    assert entry["bills"]["adam vs sls-armijo"]["winners"]["median"] == 2
    assert numbers["settings"] == {"epochs": 3, "seeds": 2, "grid_points": {"sgd": 3, "adam": 3},
                                   "quantile": 0.9, "level": 0.9, "monitored_every_epochs": 0.5}
    assert entry["armijo"]["sls-increase"]["calls_per_epoch"]["median"] == 3.0
    assert entry["armijo"]["sls-increase"]["backtracks_per_iteration"]["median"] == 0.1
    text, tables = deep.caption(numbers)
    assert "1 of 1 networks" in text and "| digits 64-2-10 tanh | sls-increase | 6.5 [6, 7]" in "\n".join(tables)


def test_summarize_and_caption_need_no_matplotlib(tmp_path):
    path = tmp_path / "table.csv"
    synthetic_table().to_csv(path, index=False)
    code = ("import sys\nsys.modules['matplotlib'] = None\nimport pandas as pd\nfrom experiments import deep\n"
            f"numbers = deep.summarize(pd.read_csv({str(path)!r}))\nprint(deep.caption(numbers)[0][:40])\n")
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("Smoothness")


@pytest.mark.parametrize(("change", "message"), [
    ({"networks": [{"dataset": "mnist", "hidden": "32", "activation": "tanh"}]}, "unknown data set 'mnist'"),
    ({"networks": [{"dataset": "digits", "hidden": "64-64-64-64-64", "activation": "tanh"}]}, "layers of 1 to"),
    ({"batch_size": {"digits": 5000, "breast-cancer": 32}}, "batch size 5000 for digits must be in"),
    ({"networks": [{"dataset": "digits", "hidden": "8", "activation": "sigmoid"}]}, "activation must be"),
])
def test_a_bad_grid_is_refused_before_any_work(monkeypatch, change, message):
    monkeypatch.setattr(deep, "GRID", {**deep.GRID, **change})
    with pytest.raises(ValueError, match=message):
        deep.cases()


def test_the_learning_rate_grids_span_eight_decades_at_three_per_decade():
    for family, spec in deep.GRID["learning_rates"].items():
        rates = deep.learning_rates(spec)
        assert len(rates) == 24
        np.testing.assert_allclose(np.diff(np.log10(rates)), 1 / 3)
        assert np.log10(rates[-1] / rates[0]) == pytest.approx(8 - 1 / 3)
