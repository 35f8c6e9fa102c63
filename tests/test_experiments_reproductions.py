"""The three reproduction studies' numbers (experiments.gorbunov, .vankov, .neuron_protocol) without matplotlib:
their helpers and summaries on small tables with known answers, in both directions."""

import math

import numpy as np
import pandas as pd
import pytest

import functions
from experiments import gorbunov, neuron_protocol, reproduction, vankov


def _run_rows(algorithm, hits, *, status="converged", total=None, f_per_iteration=1, **labels):
    """Tidy rows of one single-start run: ``hits`` maps eps -> first iteration (-1: never)."""
    rows = []
    reached = [k for k in hits.values() if k >= 0]
    total = total if total is not None else max(reached, default=0)
    for eps, k in hits.items():
        rows.append({"algorithm": algorithm, "eps": eps, "iterations": k,
                     "f_evals": 1 + f_per_iteration * k if k >= 0 else -1, "grad_evals": 1 + k if k >= 0 else -1,
                     "status": status, "total_iterations": total, "total_f_evals": 1 + f_per_iteration * total,
                     "total_grad_evals": 1 + total, "max_iter": 1000, **labels})
    return rows


def test_method_calls_count_f_only_for_the_methods_that_use_it():
    table = pd.DataFrame(_run_rows("armijo", {1e-2: 10}, f_per_iteration=3) + _run_rows("adgd", {1e-2: 10})
                         + _run_rows("polyak", {1e-2: 10}) + _run_rows("gd", {1e-2: -1}))
    calls = reproduction.method_calls(table)
    assert calls.tolist() == [31 + 11, 11, 11 + 11, -1]
    assert reproduction.uses_f("armijo-dichotomy") and reproduction.uses_f("polyak-level")
    assert not reproduction.uses_f("adgd") and not reproduction.uses_f("l0l1-gd")


def test_hitting_curves_and_costs_censor_what_was_not_reached():
    table = pd.DataFrame(_run_rows("gd", {1e-1: 3, 1e-2: 40, 1e-3: -1}, status="max_iter", total=1000, x0_value=1.0))
    curve = reproduction.hitting_curves(table, ["algorithm", "x0_value"])[("gd", 1.0)]
    assert curve["eps"] == [1e-1, 1e-2] and curve["iterations"] == [3, 40] and curve["missed"] == 1e-3
    assert reproduction.cost_at(curve, 1e-2) == 40 and reproduction.cost_at(curve, 1e-3) is None
    assert reproduction.cost_text(curve, 1e-3) == "> 1e+03 (max_iter)"


def test_gorbunov_constants_are_the_papers():
    assert NU_solves_nu_exp_nu(reproduction.NU)
    cases = {(c.algorithm, c.labels["x0_value"]): c for c in gorbunov.cases()}
    assert cases[("gd", 100.0)].algorithm_params == {"eta": 1 / 120000.0}
    assert cases[("l0l1-gd", 10.0)].algorithm_params == {"L0": 4.0, "L1": 3.0, "eta": reproduction.NU / 2}
    assert cases[("polyak", 1.0)].algorithm_params == {"f_star": 0.0}
    assert {c.labels["x0_value"] for c in cases.values()} == {1.0, 10.0, 100.0}


def NU_solves_nu_exp_nu(nu):
    return abs(nu * math.exp(nu) - 1.0) < 1e-15


def _gorbunov_table(counts):
    """One row per (method, x0, eps) with iterations ``counts[method][x0]`` at every threshold (None: censored)."""
    rows = []
    for method, by_x0 in counts.items():
        for x0, n in by_x0.items():
            hits = {1e-2: -1 if n is None else n // 2, 1e-8: -1 if n is None else n}
            rows += _run_rows(method, hits, status="converged" if n is not None else "max_iter",
                              total=n if n is not None else 1000, x0_value=x0)
    return pd.DataFrame(rows)


def test_gorbunov_summary_checks_the_papers_claims_in_both_directions():
    agrees = _gorbunov_table({"gd": {1.0: 800, 10.0: None}, "l0l1-gd": {1.0: 500, 10.0: 600},
                              "polyak": {1.0: 20, 10.0: 30}, "adgd": {1.0: 40, 10.0: 50}, "armijo": {1.0: 700, 10.0: 710}})
    numbers = gorbunov.summarize(agrees)
    assert all(numbers["polyak_adgd_best"].values()) and all(numbers["gd_slowest"].values())
    assert numbers["gd_slower_with_x0"] is True
    assert numbers["ranks"]["armijo"]["1.0"]["iterations"] == 4  # polyak, adgd, l0l1-gd before it
    disagrees = _gorbunov_table({"gd": {1.0: 40, 10.0: 30}, "l0l1-gd": {1.0: 10, 10.0: 600},
                                 "polyak": {1.0: 20, 10.0: None}, "adgd": {1.0: 50, 10.0: 50}})
    numbers = gorbunov.summarize(disagrees)
    assert not any(numbers["polyak_adgd_best"].values())
    assert numbers["gd_slowest"] == {"1.0": False, "10.0": False}
    assert numbers["gd_slower_with_x0"] is False
    assert numbers["paper_best"]["1.0"] == ["l0l1-gd", "polyak"]
    assert "GD" in gorbunov.caption(numbers) and gorbunov.table_lines(numbers)[0].startswith("| method")


def test_gorbunov_gap_axis_is_exact_on_x4():
    x = np.array([0.3, 2.0])
    gradient = 4 * x**3
    assert np.allclose(gorbunov.gap_of_gradient(gradient), x**4, rtol=1e-14)
    assert np.allclose(gorbunov.gradient_of_gap(x**4), gradient, rtol=1e-14)


def _vankov_table(sweep, ngm, polyak):
    rows = []
    for l1, by_eps in sweep.items():
        rows += _run_rows("l0l1-gd", by_eps, setting=f"L1 = {l1:g}")
    for name, by_eps in ngm.items():
        rows += _run_rows("normalized-gd-decay", by_eps, setting=f"R = {name}", status="max_iter", total=1000)
    rows += _run_rows("polyak", polyak, setting="")
    rows += _run_rows("armijo", {e: 3 * k for e, k in polyak.items()}, setting="")
    return pd.DataFrame(rows)


def test_vankov_summary_finds_whether_the_best_pair_depends_on_eps():
    depends = _vankov_table({1: {1e0: 4, 1e-8: 400_000}, 16: {1e0: 35, 1e-8: 1700}},
                            {"R*/2": {1e0: 2, 1e-8: 20}, "2 R*": {1e0: 4, 1e-8: 30}, "10 R*": {1e0: 12, 1e-8: 90}},
                            {1e0: 5, 1e-8: 26})
    numbers = vankov.summarize(depends)
    assert numbers["best_l1"] == {"1.0": "L1 = 1", "1e-08": "L1 = 16"}
    assert numbers["l1_choice_depends_on_eps"] is True
    assert numbers["ngm_closer_is_faster"] == {"1.0": True, "1e-08": True}
    assert "Polyak (f* known)" in numbers["beats_gm"]["1e-08"]
    assert numbers["armijo"]["Armijo (reset to eta0)"]["1e-08"]["iterations"] == 78
    fixed = _vankov_table({1: {1e0: 4, 1e-8: 400}, 16: {1e0: 35, 1e-8: 1700}},
                          {"R*/2": {1e0: 2, 1e-8: -1}, "2 R*": {1e0: 4, 1e-8: 30}}, {1e0: 5, 1e-8: 26})
    numbers = vankov.summarize(fixed)
    assert numbers["l1_choice_depends_on_eps"] is False
    assert numbers["ngm_closer_is_faster"]["1e-08"] is False  # R*/2 (the closer guess) never got there
    assert vankov.l0_for(1.0) == 4.0 and vankov.l0_for(16.0) == pytest.approx(1 / 64)


def test_vankov_gap_axis_is_exact_on_the_power_norm():
    objective = functions.get("power-norm", p=vankov.P, n=vankov.DIMENSION)
    x = np.array([vankov.X0])
    gradient = np.linalg.norm(objective.grad(x), axis=1)
    assert np.allclose(vankov.gap_of_gradient(gradient), objective.f(x), rtol=1e-13)
    assert objective.constants == {"L0": vankov.l0_for(1.0), "L1": 1.0}


def test_assign_follows_the_authors_rule():
    minima = neuron_protocol.minima_of(functions.get("poly-two"))
    status = np.array(["converged", "converged", "max_iter", "max_iter", "non_finite", "precision_floor"])
    x = np.array([[2.01, -1.02], [0.5, 0.5], [0.0, 1.0], [9.0, 9.0], [np.nan, 0.0], [0.0, -1.0]])
    grad_norm = np.array([1e-10, 1e-10, 1e-3, 5e3, np.nan, 1e-6])
    outcome = neuron_protocol.assign(status, x, grad_norm, minima)
    index = [i for i, p in enumerate(minima) if tuple(p.x) == (2.0, -1.0)][0]
    assert outcome.tolist() == [index, neuron_protocol.FAR, neuron_protocol.NON_CONVERGENCE,
                                neuron_protocol.DIVERGENCE, neuron_protocol.DIVERGENCE, neuron_protocol.NON_CONVERGENCE]


def test_mirrored_minima_get_equal_shares_on_an_even_activation():
    """The symmetry check: a run from -x0 is the mirror of the run from x0, exactly (negation is exact)."""
    objective = functions.get("poly-two")
    starts = objective.sample_starts(np.random.default_rng(1), 50)
    both = np.vstack([starts, -starts])
    from armijo import minimize
    result = minimize(objective.f, objective.grad, both, "armijo", eps=[1e-9], max_iter=60_000)
    minima = neuron_protocol.minima_of(objective)
    outcome = neuron_protocol.assign(result.status, result.x, result.grad_norm, minima)
    shares = [float((outcome == i).mean()) for i in range(len(minima))]
    assert neuron_protocol.mirrored_share_gap(minima, shares, both.shape[0])["gap"] == 0.0
    assert np.array_equal(result.x[:50], -result.x[50:])
    lopsided = neuron_protocol.mirrored_share_gap(minima, [0.5, 0.0, 0.5, 0.0], 100)
    assert lopsided["gap"] == 0.5 and lopsided["standard_error"] > 0


def test_neuron_protocol_summary_on_a_small_table():
    objective = functions.get("poly-two")
    minima = neuron_protocol.minima_of(objective)
    rows = []
    for start, (outcome, iterations, f_evals, status) in enumerate(
            [(0, 100, 301, "converged"), (0, 200, 601, "converged"), (neuron_protocol.NON_CONVERGENCE, 60000, 90001,
                                                                       "precision_floor"),
             (neuron_protocol.DIVERGENCE, 12, 40, "diverged")]):
        rows.append({"function": "poly-two", "algorithm": "armijo", "start": start, "outcome": outcome,
                     "total_iterations": iterations, "total_f_evals": f_evals, "status": status})
    numbers = neuron_protocol.summarize(pd.DataFrame(rows))
    entry = numbers["rows"]["poly-two"]["armijo"]
    assert entry["share"][0] == 0.5 and entry["mean_iterations"][0] == 150.0
    assert entry["f_evals_per_iteration"][0] == pytest.approx(3.0)  # (f_evals - f(x0)) / iterations
    assert entry["non_convergence"] == 0.25 and entry["divergence"] == 0.25 and entry["floor"] == 0.25
    assert entry["share"][1:] == [0.0] * (len(minima) - 1) and entry["mean_iterations"][1] is None
    assert numbers["symmetry"]["poly-two"]["armijo"]["gap"] == 0.5
    assert neuron_protocol.table_lines(numbers)[0].startswith("z^2 - 1")


def test_markdown_tables_escape_the_pipes_of_norms():
    lines = reproduction.markdown_table(["|f'| <= 0.01", "run"], [["12 / 13", "||g|| small"]])
    columns = [len([c for c in line.replace("\\|", "").split("|")]) for line in lines]
    assert len(set(columns)) == 1 and "\\|f'\\|" in lines[0]
