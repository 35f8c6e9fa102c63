"""Deep learning on real data: smoothness along training, and what a line search saves in tuning.

Claims checked, on multilayer perceptrons (registry entries ``mlp-data-tanh``, analytic, and
``mlp-data-relu``, not C^1; softmax cross-entropy) trained on data sets that scikit-learn
ships (``digits``: 64 inputs, 10 classes; ``breast-cancer``: 30 inputs, 2 classes;
:mod:`functions.datasets`: standardised, a fixed stratified 80/20 split):

* **Smoothness along training** (Zhang, He, Sra, Jadbabaie, ICLR 2020, Figure 1): the local
  smoothness :math:`\\|\\nabla f(x_{k+1}) - \\nabla f(x_k)\\| / \\|x_{k+1} - x_k\\|` of the full
  training loss against :math:`\\|\\nabla f(x_k)\\|` along the runs (a Hessian-vector product
  where the step is tiny; :mod:`theory.smoothness`), its 95% quantile-regression envelope
  :math:`L_0 + L_1 \\|g\\|` with bootstrap intervals over runs, the least constant a global
  ``L`` would need (the largest local smoothness seen), and where T2's bound with the fitted
  constants (and T1's with that ``L``) places the full-batch ``armijo`` run's count.
* **Tuning cost**: the Armijo line searches with their default parameters (``sls-armijo``,
  ``sls-increase``: :func:`armijo.stochastic.minimize_stochastic`, the Armijo test on the
  gradient's own mini-batch) against SGD and Adam over learning-rate grids of 8 decades, 3
  points per decade: oracle calls and wall time to reach a training-loss target, test
  accuracy after the budget, and the tuning bill: how many grid points (and how many oracle
  calls across them) a grid search spends before its first run that beats the untuned
  Armijo run.

Runs: for every network and seed (the seed draws the start and the batch order, the same for
every method of that seed: paired comparisons), mini-batch runs of ``epochs`` epochs (an
epoch is ``n // b`` iterations), and a full-batch ``armijo`` run (the loop on one batch, the
whole training set: :class:`armijo.stochastic.FullBatch`) of ``full_batch["iterations"]``
iterations from ``eta0 = full_batch["eta0"]`` (10: a first trial large enough that the line
search, not ``eta0``, sets the steps, so that the run probes the curvature).
Oracle calls are in full-batch equivalents (a batch ``f`` or ``grad`` costs ``b / n``, as in
:mod:`experiments.neural`); the full training loss is monitored ``monitors_per_epoch`` times
per epoch, uncharged and untimed.

Table (one row per record): ``record = "run"`` (one per run: the first monitored point with
training loss at most the target in ``iterations``, ``f_evals``, ``grad_evals``,
``calls_to_target``, ``seconds_to_target``; ``final_loss``, ``test_accuracy``,
``total_calls``, ``eta``), ``"smoothness"`` (one per pair of iterates: ``grad_norm``,
``smoothness``, ``by_hvp``, ``run``), ``"count"`` (the full-batch run's ``N(eps)`` per
threshold, with ``f_initial``).  The plot step: :func:`summarize` (numbers, no plotting),
:func:`draw` (``deep.png``, ``deep-tuning.png``), :func:`caption`.

Cost of the default grid (6 networks x 5 seeds: 50 mini-batch runs of 10 epochs and one
full-batch run of 100 iterations each): about 180 s of CPU time from an empty cache, run and
plot (measured:
147 s user + 34 s system), so 1.5 to 2 minutes on 2 cores; the quick grid a few seconds.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd

from armijo.stochastic import FullBatch, minimize_stochastic
from experiments.machinery.cases import TABLE_COLUMNS, Case, eps_grid
from experiments.machinery.pieces import objective_for, starts_for
from experiments.machinery.study import main, save_figure

NAME = "deep"
GRID = {
    "networks": [
        {"dataset": "digits", "hidden": "32", "activation": "tanh"},
        {"dataset": "digits", "hidden": "32", "activation": "relu"},
        {"dataset": "digits", "hidden": "64-64", "activation": "tanh"},
        {"dataset": "digits", "hidden": "64-64", "activation": "relu"},
        {"dataset": "breast-cancer", "hidden": "32", "activation": "tanh"},
        {"dataset": "breast-cancer", "hidden": "32", "activation": "relu"},
    ],
    "l2": 0.0,
    "split_seed": 0,
    "seeds": [0, 1, 2, 3, 4],
    "batch_size": {"digits": 64, "breast-cancer": 32},
    "epochs": 10,
    "monitors_per_epoch": 2,
    "target_loss": {"digits": 0.1, "breast-cancer": 0.1},
    "armijo": ["sls-armijo", "sls-increase"],
    "learning_rates": {"sgd": {"lowest_exponent": -4, "decades": 8, "per_decade": 3},
                       "adam": {"lowest_exponent": -6, "decades": 8, "per_decade": 3}},
    "full_batch": {"iterations": 100, "eta0": 10.0},
    "eps": {"largest": 3.0, "smallest": 1e-3, "per_decade": 4},
    "envelope": {"quantile": 0.95, "level": 0.95, "resamples": 200},
}
QUICK_GRID = {
    "networks": [{"dataset": "digits", "hidden": "8", "activation": "tanh"},
                 {"dataset": "breast-cancer", "hidden": "4", "activation": "relu"}],
    "seeds": [0, 1],
    "epochs": 2,
    "learning_rates": {"sgd": {"lowest_exponent": -2, "decades": 4, "per_decade": 1},
                       "adam": {"lowest_exponent": -4, "decades": 4, "per_decade": 1}},
    "full_batch": {"iterations": 8, "eta0": 10.0},
    "envelope": {"quantile": 0.95, "level": 0.95, "resamples": 20},
}
#: The untuned line searches use the defaults of armijo.params.STOCHASTIC_ALGORITHMS.
FAMILIES = ("sgd", "adam")


def grid(quick=False):
    """The grid in force (the quick one replaces whole entries of :data:`GRID`)."""
    return {**GRID, **QUICK_GRID} if quick else GRID


def learning_rates(spec):
    """``10^(lowest + j / per_decade)`` for ``j = 0 .. decades * per_decade - 1``."""
    count = spec["decades"] * spec["per_decade"]
    return [float(10.0 ** (spec["lowest_exponent"] + j / spec["per_decade"])) for j in range(count)]


def network_label(network):
    """``digits 64-32-10 tanh`` from a grid entry (input and output widths from the data set)."""
    from functions.datasets import load

    data = load(network["dataset"])
    return f"{network['dataset']} {data.features}-{network['hidden']}-{data.classes} {network['activation']}"


def check_grid(setting):
    """Refuse a grid that cannot run, before any work: unknown data set, shape beyond the caps, a batch
    larger than the training data, a non-positive target."""
    from functions.datasets import check_name, load
    from functions.mlp import parse_hidden

    for network in setting["networks"]:
        check_name(network["dataset"])
        parse_hidden(network["hidden"])
        if network["activation"] not in ("tanh", "relu"):
            raise ValueError(f"activation must be tanh or relu, got {network['activation']!r}")
        samples = load(network["dataset"], setting["split_seed"]).train_labels.size
        batch = setting["batch_size"][network["dataset"]]
        if not 1 <= batch <= samples:
            raise ValueError(f"batch size {batch} for {network['dataset']} must be in [1, {samples}] "
                             f"(the training samples)")
        if not setting["target_loss"][network["dataset"]] > 0:
            raise ValueError("the training-loss target must be > 0")


def cases(quick=False):
    setting = grid(quick)
    check_grid(setting)
    from functions.datasets import load

    out = []
    eps = eps_grid(setting["eps"]["largest"], setting["eps"]["smallest"], setting["eps"]["per_decade"])
    for network in setting["networks"]:
        dataset = network["dataset"]
        samples = load(dataset, setting["split_seed"]).train_labels.size
        batch = setting["batch_size"][dataset]
        per_epoch = samples // batch
        labels = {"network": network_label(network), "batch_size": batch, "epochs": setting["epochs"],
                  "iterations_per_epoch": per_epoch,
                  "monitor_every": max(1, per_epoch // setting["monitors_per_epoch"]),
                  "target_loss": setting["target_loss"][dataset],
                  "full_batch_iterations": setting["full_batch"]["iterations"],
                  "full_batch_eta0": setting["full_batch"]["eta0"],
                  **{f"envelope_{key}": value for key, value in setting["envelope"].items()}}
        params = {"dataset": dataset, "hidden": network["hidden"], "l2": setting["l2"], "seed": setting["split_seed"]}
        function = f"mlp-data-{network['activation']}"
        for seed in setting["seeds"]:
            out.append(Case(NAME, function, params, "armijo", {"variants": setting["armijo"]}, eps=eps,
                            max_iter=setting["epochs"] * per_epoch, starts=1, seed=seed, labels=labels))
            for family in FAMILIES:
                out.append(Case(NAME, function, params, family, {"eta": learning_rates(setting["learning_rates"][family])},
                                eps=eps, max_iter=setting["epochs"] * per_epoch, starts=1, seed=seed, labels=labels))
    return out


# -- run ---------------------------------------------------------------------------------------------


def _common(case, algorithm, params):
    return {"experiment": case.experiment, "function": case.function,
            "function_params": json.dumps(case.function_params, sort_keys=True), "algorithm": algorithm,
            "algorithm_params": json.dumps(params, sort_keys=True), "start": 0, "seed": case.seed,
            **case.labels}


def _run_row(case, run, params, network, data, batch):
    """One ``run`` record: the first monitored point at or under the target, and the state after the budget."""
    trace = run.monitor
    fraction = run.batch_size / run.sample_count
    calls = (trace.f_evals[:, 0] + trace.grad_evals[:, 0]) * fraction
    alive = trace.f_evals[:, 0] >= 0
    reached = np.flatnonzero(alive & (trace.loss[:, 0] <= case.labels["target_loss"]))
    hit = int(reached[0]) if reached.size else None
    losses = trace.loss[alive, 0]
    return {**_common(case, run.algorithm, params), "eps": np.nan,
            "iterations": int(trace.iteration[hit]) if hit is not None else -1,
            "f_evals": int(trace.f_evals[hit, 0]) if hit is not None else -1,
            "grad_evals": int(trace.grad_evals[hit, 0]) if hit is not None else -1,
            "status": run.status[0], "record": "run", "batch": batch, "eta": params.get("eta", np.nan),
            "calls_to_target": calls[hit] if hit is not None else np.nan,
            "seconds_to_target": trace.seconds[hit] if hit is not None else np.nan,
            "final_loss": losses[-1], "best_loss": np.nanmin(losses) if np.isfinite(losses).any() else np.nan,
            "total_calls": (run.f_evals[0] + run.grad_evals[0]) * fraction, "total_seconds": run.seconds,
            "total_iterations": int(run.iterations[0]), "backtracks": int(run.backtracks[0]),
            "median_step": float(np.nanmedian(run.armijo_checks[:, 0, 2])) if run.armijo_checks.size else params.get(
                "eta", np.nan),
            "test_accuracy": float(network.accuracy(run.x, data.test_inputs, data.test_labels)[0]),
            "train_accuracy": float(network.accuracy(run.x, data.train_inputs, data.train_labels)[0])}


def _smoothness_rows(case, run, objective, batch):
    """``smoothness`` records at the monitored pairs ``(x_k, x_{k+1})`` of a run (theory/smoothness.py)."""
    from theory.smoothness import local_smoothness

    trace = run.monitor
    alive = np.isfinite(trace.x[:, 0]).all(axis=1)
    measured = local_smoothness(objective.grad, trace.x[alive, 0], trace.x_next[alive, 0])
    return pd.DataFrame({**_common(case, run.algorithm, run.params), "eps": np.nan,
                         "iterations": trace.iteration[alive], "f_evals": trace.f_evals[alive, 0],
                         "grad_evals": trace.grad_evals[alive, 0], "status": run.status[0], "record": "smoothness",
                         "batch": batch, "run": f"{batch} {run.algorithm} seed {case.seed}",
                         "grad_norm": measured.grad_norm, "smoothness": measured.smoothness,
                         "step_length": measured.step_length, "by_hvp": measured.by_hvp}), measured


def run_piece(case):
    """One network and seed: the untuned line searches (and the full-batch run), or one learning-rate grid."""
    from functions.datasets import load
    from functions.mlp import network as build_network

    params = case.function_params
    objective = objective_for(case.function, params)
    network = build_network(params["dataset"], params["hidden"], case.function.removeprefix("mlp-data-"),
                            params["l2"], params["seed"])
    data = load(params["dataset"], params["seed"])
    x0 = starts_for(case, objective)
    batch_size, every = case.labels["batch_size"], case.labels["monitor_every"]
    batch_seed = 1000 + case.seed

    def mini_batch(algorithm, record_iterates=False, **algorithm_params):
        return minimize_stochastic(objective.f, None, objective.minibatch(batch_size, batch_seed), x0, algorithm,
                                   max_iter=case.max_iter, monitor_every=every, record_iterates=record_iterates,
                                   **algorithm_params)

    rows, frames = [], []
    if case.algorithm == "armijo":
        for variant in case.algorithm_params["variants"]:
            run = mini_batch(variant, record_iterates=True)
            rows.append(_run_row(case, run, run.params, network, data, "mini"))
            frames.append(_smoothness_rows(case, run, objective, "mini")[0])
        full = minimize_stochastic(objective.f, None, FullBatch(objective.f, objective.grad), x0, "sls-armijo",
                                   max_iter=case.labels["full_batch_iterations"], monitor_every=1,
                                   record_iterates=True, eta0=case.labels["full_batch_eta0"])
        smoothness, measured = _smoothness_rows(case, full, objective, "full")
        smoothness["algorithm"] = "armijo"
        frames.append(smoothness)
        frames.append(_count_rows(case, full, measured))
    else:
        for eta in case.algorithm_params["eta"]:
            run = mini_batch(case.algorithm, eta=eta)
            rows.append(_run_row(case, run, run.params, network, data, "mini"))
    table = pd.concat([pd.DataFrame(rows), *frames], ignore_index=True)
    return table[list(TABLE_COLUMNS) + [c for c in table.columns if c not in TABLE_COLUMNS]]


def _count_rows(case, full, measured):
    """``count`` records of the full-batch ``armijo`` run: ``N(eps)``, the first iteration with ``||grad f|| <= eps``."""
    iterations = full.monitor.iteration[: measured.grad_norm.size]
    first = [int(iterations[np.argmax(measured.grad_norm <= eps)]) if (measured.grad_norm <= eps).any() else -1
             for eps in case.eps]
    return pd.DataFrame({**_common(case, "armijo", full.params), "eps": np.asarray(case.eps), "iterations": first,
                         "f_evals": -1, "grad_evals": -1, "status": full.status[0], "record": "count", "batch": "full",
                         "f_initial": full.monitor.loss[0, 0], "grad_norm_initial": measured.grad_norm[0],
                         "grad_norm_final": measured.grad_norm[-1], "total_iterations": int(full.iterations[0])})


# -- summarize -----------------------------------------------------------------------------------------


def _spread(values):
    """Median with the smallest and largest value (nan-aware; inf allowed), as floats."""
    values = np.asarray(values, dtype=float)
    finite = values[~np.isnan(values)]
    if not finite.size:
        return {"median": float("nan"), "low": float("nan"), "high": float("nan")}
    return {"median": float(np.median(finite)), "low": float(finite.min()), "high": float(finite.max())}


def _score(calls_to_target, final_loss):
    """Order of runs: fewer oracle calls to the target first; runs that miss it by their final loss."""
    return (calls_to_target if np.isfinite(calls_to_target) else np.inf,
            final_loss if np.isfinite(final_loss) else np.inf)


def tuning_bill(grid_runs, armijo_run):
    """What a grid search spends before its first run that beats ``armijo_run`` (one seed).

    A grid run *beats* the Armijo run when it reaches the training-loss target with fewer
    oracle calls, or, if neither reaches it, ends with a lower training loss (:func:`_score`).
    With ``K`` winners among the ``N`` grid points, tried in random order, the expected number
    of points up to and including the first winner is ``(N + 1) / (K + 1)``, and the expected
    oracle calls spent on them are ``sum(losers' calls) / (K + 1) + mean(winners' calls)``
    (each loser comes before the first winner with probability ``1 / (K + 1)``); every run costs
    what it spent (its whole budget, or up to its divergence).  ``K = 0``: never (inf).

    Parameters
    ----------
    grid_runs : pandas.DataFrame
        ``run`` records of one grid (one seed): ``calls_to_target``, ``final_loss``, ``total_calls``, ``eta``.
    armijo_run : pandas.Series or dict
        The untuned run's ``calls_to_target`` and ``final_loss``.

    Returns
    -------
    dict
        ``points``, ``winners``, ``expected_points``, ``expected_calls``, ``full_grid_calls``,
        ``best_eta``, ``best_calls_to_target``, ``best_test_accuracy``.
    """
    reference = _score(armijo_run["calls_to_target"], armijo_run["final_loss"])
    scores = [_score(c, f) for c, f in zip(grid_runs["calls_to_target"], grid_runs["final_loss"])]
    wins = np.array([score < reference for score in scores])
    costs = grid_runs["total_calls"].to_numpy(float)
    points, winners = len(scores), int(wins.sum())
    best = int(min(range(points), key=lambda i: scores[i]))
    return {
        "points": points, "winners": winners,
        "expected_points": (points + 1) / (winners + 1) if winners else float("inf"),
        "expected_calls": float(costs[~wins].sum() / (winners + 1) + costs[wins].mean()) if winners else float("inf"),
        "full_grid_calls": float(costs.sum()),
        "best_eta": float(grid_runs["eta"].iloc[best]),
        "best_calls_to_target": float(grid_runs["calls_to_target"].iloc[best]),
        "best_test_accuracy": float(grid_runs["test_accuracy"].iloc[best]),
        "best_seconds_to_target": float(grid_runs["seconds_to_target"].iloc[best]),
    }


def _envelope_numbers(points):
    from theory.smoothness import l0l1_envelope

    fit = l0l1_envelope(points["grad_norm"], points["smoothness"], points["run"],
                        quantile=float(points["envelope_quantile"].iloc[0]),
                        level=float(points["envelope_level"].iloc[0]),
                        resamples=int(points["envelope_resamples"].iloc[0]), seed=0)
    return {"L0": fit.L0, "L1": fit.L1, "L0_interval": list(fit.L0_interval), "L1_interval": list(fit.L1_interval),
            "covered": fit.covered, "largest": fit.largest, "points": fit.points, "runs": fit.runs,
            "grad_norm_range": list(fit.grad_norm_range), "method": fit.method,
            "by_hvp": int(points["by_hvp"].astype(bool).sum()),
            "growth_seen": bool(fit.L1_interval[0] > 0)}


def _bound_numbers(counts, envelope):
    """Where T2 (fitted L0, L1; and the upper ends of their intervals) and T1 (L = largest) place the
    full-batch run's N(eps), at the smallest eps that every seed's run reached."""
    from theory import t1_lsmooth, t2_l0l1

    reached = counts[counts["iterations"] >= 0]
    per_eps = reached.groupby("eps")["seed"].nunique()
    seeds = counts["seed"].nunique()
    common = per_eps[per_eps == seeds].index
    if not len(common):
        return {"eps": None}
    eps = float(min(common))
    at = counts[np.isclose(counts["eps"], eps)]
    params = json.loads(at["algorithm_params"].iloc[0])
    line_search = {"lam": params["lam"], "f1": params["f1"], "eta0": params["eta0"]}
    delta = float(at["f_initial"].median())  # f >= 0: f(x_0) - 0 bounds the gap from above
    measured = float(at["iterations"].median())
    t2 = float(t2_l0l1.iteration_bound(eps, delta=delta, L0=envelope["L0"], L1=envelope["L1"], **line_search))
    t2_upper = float(t2_l0l1.iteration_bound(eps, delta=delta, L0=envelope["L0_interval"][1],
                                             L1=envelope["L1_interval"][1], **line_search))
    t1 = float(t1_lsmooth.iteration_bound(eps, delta=delta, L=envelope["largest"], **line_search))
    # the three terms of T2's max (SCIENCE.md section 4): which one sets the bound
    terms = {"1/(eta0 eps^2)": 1.0 / (line_search["eta0"] * eps**2),
             "f1 (e-2)(L0 + L1 eps)/((1-lam) eps^2)": line_search["f1"] * t2_l0l1.E_MINUS_2
             * (envelope["L0"] + envelope["L1"] * eps) / ((1.0 - line_search["lam"]) * eps**2),
             "f1 L1/eps": line_search["f1"] * envelope["L1"] / eps}
    return {"eps": eps, "delta": delta, "measured": measured, "t2": t2, "t2_upper": t2_upper, "t1": t1,
            "ratio_t2": measured / t2, "ratio_t1": measured / t1, "t2_dominant": max(terms, key=terms.get),
            **line_search}


def summarize(table):
    """Every number the figures and the caption show, from the table only (no plotting).

    Returns
    -------
    dict
        ``networks``: per network label, the smoothness envelope (``envelope``), the bounds at
        the run's count (``bounds``), the untuned runs (``armijo``: per variant calls and
        seconds to target, test accuracy, spread over seeds), the bills (``bills``: per
        family and Armijo variant, ``expected_points``, ``expected_calls``, ``winners``,
        ``full_grid_calls`` with their spread over seeds, and the best grid run's numbers),
        and ``drawing`` (the scatter points and the per-learning-rate medians for
        :func:`draw`); ``settings``: epochs, seeds, targets, grid sizes.
    """
    runs = table[table["record"] == "run"]
    smoothness = table[table["record"] == "smoothness"]
    counts = table[table["record"] == "count"]
    numbers = {"networks": {}, "settings": {
        "epochs": int(runs["epochs"].iloc[0]), "seeds": int(runs["seed"].nunique()),
        "grid_points": {family: int(runs[runs["algorithm"] == family].groupby(["network", "seed"]).size().max())
                        for family in FAMILIES if (runs["algorithm"] == family).any()},
        "quantile": float(smoothness["envelope_quantile"].iloc[0]), "level": float(smoothness["envelope_level"].iloc[0]),
        "monitored_every_epochs": float((runs["monitor_every"] / runs["iterations_per_epoch"]).max())}}
    for label in dict.fromkeys(runs["network"]):
        mine = runs[runs["network"] == label]
        points = smoothness[smoothness["network"] == label]
        envelope = _envelope_numbers(points)
        entry = {"function": mine["function"].iloc[0], "target_loss": float(mine["target_loss"].iloc[0]),
                 "batch_size": int(mine["batch_size"].iloc[0]), "envelope": envelope,
                 "bounds": _bound_numbers(counts[counts["network"] == label], envelope),
                 "armijo": {}, "bills": {}, "drawing": {}}
        variants = [v for v in dict.fromkeys(mine["algorithm"]) if v not in FAMILIES]
        for variant in variants:
            own = mine[mine["algorithm"] == variant]
            entry["armijo"][variant] = {
                "calls_to_target": _spread(own["calls_to_target"]), "reached": int(own["calls_to_target"].notna().sum()),
                "seconds_to_target": _spread(own["seconds_to_target"]), "test_accuracy": _spread(own["test_accuracy"]),
                "final_loss": _spread(own["final_loss"]), "total_calls": _spread(own["total_calls"]),
                "backtracks_per_iteration": _spread(own["backtracks"] / own["total_iterations"]),
                "median_step": _spread(own["median_step"]),
                "calls_per_epoch": _spread(own["total_calls"] / own["epochs"])}
        for family in FAMILIES:
            family_runs = mine[mine["algorithm"] == family]
            if family_runs.empty:
                continue
            for variant in variants:
                per_seed = [tuning_bill(family_runs[family_runs["seed"] == seed].sort_values("eta"),
                                        mine[(mine["algorithm"] == variant) & (mine["seed"] == seed)].iloc[0])
                            for seed in sorted(family_runs["seed"].unique())]
                entry["bills"][f"{family} vs {variant}"] = {
                    key: _spread([bill[key] for bill in per_seed])
                    for key in ("winners", "expected_points", "expected_calls", "full_grid_calls",
                                "best_eta", "best_calls_to_target", "best_test_accuracy", "best_seconds_to_target")}
            by_rate = family_runs.groupby("eta")
            entry["drawing"][family] = {
                "eta": [float(v) for v in by_rate.size().index],
                "calls": [_spread(g["calls_to_target"]) for _, g in by_rate],
                "missed": [int(g["calls_to_target"].isna().sum()) for _, g in by_rate]}
        entry["drawing"]["scatter"] = {
            batch: {"grad_norm": points.loc[points["batch"] == batch, "grad_norm"].to_numpy(float),
                    "smoothness": points.loc[points["batch"] == batch, "smoothness"].to_numpy(float)}
            for batch in ("full", "mini")}
        numbers["networks"][label] = entry
    return numbers


# -- draw and caption ------------------------------------------------------------------------------------------

COLORS = {"sgd": "C0", "adam": "C3", "sls-armijo": "C1", "sls-increase": "C2", "full": "C0", "mini": "C1"}
#: Printed sizes: a figure about 11 inches wide (the page width it is scaled to), text of 8 points and more.
PANEL_WIDTH, PANEL_HEIGHT, FONT = 3.6, 3.1, 8


def _layout(labels):
    """Panels: one column per data set and shape, one row per activation."""
    shapes = list(dict.fromkeys(label.rsplit(" ", 1)[0] for label in labels))
    activations = list(dict.fromkeys(label.rsplit(" ", 1)[1] for label in labels))
    return shapes, activations, {label: (activations.index(label.rsplit(" ", 1)[1]),
                                         shapes.index(label.rsplit(" ", 1)[0])) for label in labels}


def _plain_log_ticks(axis, which="both"):
    """Log axes with tick labels written as numbers (0.2, 1, 5), not as 2 x 10^-1: ticks at 1, 2, 5 per
    decade over at most three decades, at every decade beyond (call after the limits are set)."""
    from matplotlib import ticker

    for name in ("x", "y") if which == "both" else (which,):
        target = getattr(axis, f"{name}axis")
        low, high = sorted(getattr(axis, f"get_{name}lim")())
        decades = np.log10(high / low) if low > 0 else np.inf
        subs = (1.0, 2.0, 5.0) if decades <= 3 else (1.0,)
        target.set_major_locator(ticker.LogLocator(base=10, subs=subs, numticks=40 if decades <= 6 else 6))
        target.set_major_formatter(ticker.FuncFormatter(_number_text))
        target.set_minor_locator(ticker.LogLocator(base=10, subs=np.arange(2, 10), numticks=40))
        target.set_minor_formatter(ticker.NullFormatter())


def _number_text(value, _=None):
    """A tick label: ``0.05``, ``20``, and ``1e-5`` / ``1e4`` for powers of ten far from 1."""
    if value > 0 and not 1e-3 <= value <= 1e3:
        exponent = np.log10(value)
        if np.isclose(exponent, round(exponent)):
            return f"1e{int(round(exponent))}"
    return f"{value:g}"


#: Order of the legend entries (by the start of their text).
LEGEND_ORDER = ("full-batch", "mini-batch", "sgd (", "adam (", "sls-armijo", "sls-increase", "sgd:", "adam:")


def _figure_legend(figure, axes_list, top):
    """One legend for the whole figure, under its title (entries of every panel, each once)."""
    entries = {}
    for axis in axes_list:
        for handle, label in zip(*axis.get_legend_handles_labels()):
            entries.setdefault(label, handle)

    def rank(label):
        return next((i for i, start in enumerate(LEGEND_ORDER) if label.startswith(start)), len(LEGEND_ORDER))

    labels = sorted(entries, key=rank)
    figure.legend([entries[label] for label in labels], labels, loc="upper center", bbox_to_anchor=(0.5, top),
                  ncol=max(1, min(3, len(entries), int(figure.get_figwidth() / 3.6))), fontsize=FONT, frameon=False,
                  markerscale=2)


def draw(numbers, figures):
    """Both figures of the study: ``deep.png`` (:func:`draw_smoothness`) and ``deep-tuning.png``
    (:func:`draw_tuning`)."""
    draw_smoothness(numbers, figures)
    draw_tuning(numbers, figures)


def draw_smoothness(numbers, figures):
    """``deep.png``: local smoothness against the gradient norm per network (full-batch and mini-batch
    points), the fitted envelope and the least constant a global L needs."""
    import matplotlib.pyplot as plt

    networks = numbers["networks"]
    shapes, activations, where = _layout(list(networks))
    quantile = numbers["settings"]["quantile"]
    figure, axes = plt.subplots(len(activations), len(shapes), squeeze=False,
                                figsize=(PANEL_WIDTH * len(shapes), PANEL_HEIGHT * len(activations) + 0.9))
    for label, entry in networks.items():
        axis = axes[where[label]]
        envelope, scatter = entry["envelope"], entry["drawing"]["scatter"]
        for batch, name in (("full", "full-batch armijo"), ("mini", "mini-batch sls-armijo, sls-increase")):
            axis.loglog(scatter[batch]["grad_norm"], scatter[batch]["smoothness"], ".", ms=2.5, alpha=0.5,
                        color=COLORS[batch], label=name)
        low, high = envelope["grad_norm_range"]
        g = np.logspace(np.log10(low), np.log10(high), 100)
        axis.loglog(g, envelope["L0"] + envelope["L1"] * g, "k-", lw=1.5,
                    label=f"{quantile:.0%} envelope L0 + L1 ||g||")
        axis.axhline(envelope["largest"], color="0.35", ls="--", lw=1, label="largest seen (a global L is above it)")
        axis.set_title(f"{label}\nL0 = {envelope['L0']:.2g} [{envelope['L0_interval'][0]:.2g}, "
                       f"{envelope['L0_interval'][1]:.2g}], L1 = {envelope['L1']:.2g} "
                       f"[{envelope['L1_interval'][0]:.2g}, {envelope['L1_interval'][1]:.2g}]", fontsize=FONT)
        axis.set_xlabel("||grad f(x_k)|| (full training loss)", fontsize=FONT)
        axis.set_ylabel("local smoothness", fontsize=FONT)
        axis.tick_params(labelsize=FONT)
        _plain_log_ticks(axis)
        axis.grid(True, which="major", alpha=0.25)
    used = {where[label] for label in networks}
    for index in np.ndindex(axes.shape):
        axes[index].set_visible(index in used)
    height = figure.get_figheight()
    figure.suptitle("Local smoothness ||grad f(x_k+1) - grad f(x_k)|| / ||x_k+1 - x_k|| along training "
                    "(95% intervals over runs)", fontsize=FONT + 1, y=1 - 0.08 / height)
    _figure_legend(figure, [axes[index] for index in used], 1 - 0.3 / height)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.75 / height))
    save_figure(figure, figures, NAME)


def draw_tuning(numbers, figures):
    """``deep-tuning.png``: oracle calls to the training-loss target against the learning rate (median over
    seeds, bars min-max; drawn where every seed reached it), the untuned line searches as horizontal lines
    (band: min-max), and above each panel a strip marking the learning rates where some seed missed."""
    import matplotlib.pyplot as plt

    networks = numbers["networks"]
    shapes, activations, where = _layout(list(networks))
    figure = plt.figure(figsize=(PANEL_WIDTH * len(shapes), (PANEL_HEIGHT + 0.5) * len(activations) + 0.9))
    outer = figure.add_gridspec(len(activations), len(shapes))
    panels = []
    for label, entry in networks.items():
        cell = outer[where[label]].subgridspec(2, 1, height_ratios=(1, 5), hspace=0.08)
        strip, axis = figure.add_subplot(cell[0]), figure.add_subplot(cell[1], sharex=None)
        panels += [strip, axis]
        etas, drawn = [], []
        for family in FAMILIES:
            curve = entry["drawing"].get(family)
            if curve is None:
                continue
            eta = np.array(curve["eta"])
            etas += list(eta)
            median = np.array([c["median"] for c in curve["calls"]])
            low = np.array([c["low"] for c in curve["calls"]])
            high = np.array([c["high"] for c in curve["calls"]])
            shown = (np.array(curve["missed"]) == 0) & np.isfinite(median)
            drawn += list(median[shown])
            axis.errorbar(eta[shown], median[shown], yerr=[median[shown] - low[shown], high[shown] - median[shown]],
                          fmt="o-", ms=3, lw=1, capsize=2, color=COLORS[family],
                          label=f"{family} (median over seeds, bars min-max)")
            missed = np.array(curve["missed"]) > 0
            strip.plot(eta[missed], np.full(missed.sum(), FAMILIES.index(family)), "x", color=COLORS[family], ms=4,
                       label=f"{family}: some seed missed the target")
        misses = []
        for variant, values in entry["armijo"].items():
            calls = values["calls_to_target"]
            if np.isfinite(calls["median"]) and values["reached"] == numbers["settings"]["seeds"]:
                drawn.append(calls["median"])
                axis.axhline(calls["median"], color=COLORS.get(variant), ls="--", lw=1.5,
                             label=f"{variant}, untuned (band min-max)")
                axis.axhspan(calls["low"], calls["high"], color=COLORS.get(variant), alpha=0.12)
            else:
                misses.append(variant)
        axis.set_xscale("log")
        strip.set_xscale("log")
        if etas:
            span = (min(etas) / 2, max(etas) * 2)
            axis.set_xlim(*span)
            strip.set_xlim(*span)
        if drawn:
            axis.set_yscale("log")
            _plain_log_ticks(axis, "y")
        else:
            axis.text(0.5, 0.5, "no run reached the target", transform=axis.transAxes, ha="center", fontsize=FONT)
            axis.set_yticks([])
        _plain_log_ticks(axis, "x")
        _plain_log_ticks(strip, "x")
        strip.set_ylim(-0.7, len(FAMILIES) - 0.3)
        strip.set_yticks(range(len(FAMILIES)), [f"{f} missed" for f in FAMILIES], fontsize=FONT - 1)
        strip.tick_params(axis="x", which="both", labelbottom=False)
        note = f"\n(untuned {' and '.join(misses)} missed it)" if misses else ""
        strip.set_title(f"{label}\ncalls to training loss <= {entry['target_loss']:g}{note}", fontsize=FONT)
        axis.set_xlabel("learning rate eta (sgd, adam)", fontsize=FONT)
        axis.set_ylabel("oracle calls", fontsize=FONT)
        axis.tick_params(labelsize=FONT)
        axis.grid(True, which="major", alpha=0.25)
    height = figure.get_figheight()
    figure.suptitle(f"Tuning cost: oracle calls (full-batch equivalents) to the training-loss target, "
                    f"{numbers['settings']['epochs']} epochs, {numbers['settings']['seeds']} seeds", fontsize=FONT + 1,
                    y=1 - 0.08 / height)
    _figure_legend(figure, panels, 1 - 0.3 / height)
    figure.tight_layout(rect=(0, 0, 1, 1 - 0.75 / height))
    save_figure(figure, figures, f"{NAME}-tuning")


def _interval(values, spec=".3g"):
    return f"{values['median']:{spec}} [{values['low']:{spec}}, {values['high']:{spec}}]"


def caption(numbers):
    """The report's text: what was run, the fitted (L0, L1) per network with intervals and the bounds at the
    run's count (first table), the tuning bill with its spread over seeds (second table), test accuracy and
    wall time (third table)."""
    settings = numbers["settings"]
    networks = numbers["networks"]
    smoothness_table = [
        "| network | points (runs) | L0 [95%] | L1 [95%] | under the line | largest local smoothness (a global L >= it) "
        "| armijo full batch: eps, N(eps) | T2 bound (fitted; upper ends) | T1 bound (L = largest) |",
        "|---|---|---|---|---|---|---|---|---|"]
    for label, e in networks.items():
        v, b = e["envelope"], e["bounds"]
        bounds = ("-", "-", "-") if b["eps"] is None else (
            f"{b['eps']:.2g}, {b['measured']:.0f}", f"{b['t2']:.3g}; {b['t2_upper']:.3g} (N/bound {b['ratio_t2']:.2g})",
            f"{b['t1']:.3g} (N/bound {b['ratio_t1']:.2g})")
        smoothness_table.append(
            f"| {label} | {v['points']} ({v['runs']}) | {v['L0']:.3g} [{v['L0_interval'][0]:.3g}, {v['L0_interval'][1]:.3g}] "
            f"| {v['L1']:.3g} [{v['L1_interval'][0]:.3g}, {v['L1_interval'][1]:.3g}] | {v['covered']:.0%} "
            f"| {v['largest']:.3g} | {bounds[0]} | {bounds[1]} | {bounds[2]} |")
    bill_table = ["| network | untuned | its calls to target | sgd: winners / points | sgd: expected grid points | "
                  "sgd: expected calls (full grid) | sgd: best run's calls | adam: winners / points | "
                  "adam: expected grid points | adam: expected calls (full grid) | adam: best run's calls |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, e in networks.items():
        for variant, values in e["armijo"].items():
            cells = []
            for family in FAMILIES:
                bill = e["bills"].get(f"{family} vs {variant}")
                if bill is None:
                    cells += ["-", "-", "-", "-"]
                    continue
                cells += [f"{_interval(bill['winners'], '.0f')} / {settings['grid_points'][family]}",
                          _interval(bill["expected_points"], ".2g"),
                          f"{_interval(bill['expected_calls'], '.3g')} ({bill['full_grid_calls']['median']:.3g})",
                          _interval(bill["best_calls_to_target"], ".3g")]
            calls = values["calls_to_target"]
            reached = _interval(calls) if np.isfinite(calls["median"]) else "missed"
            bill_table.append(f"| {label} | {variant} | {reached} ({values['reached']}/{settings['seeds']} seeds "
                              "reached it) | " + " | ".join(cells) + " |")
    accuracy_table = ["| network | test accuracy: sls-armijo / sls-increase / best sgd / best adam | seconds to target: "
                      "sls-armijo / sls-increase / best sgd / best adam |", "|---|---|---|"]
    for label, e in networks.items():
        accuracy = [e["armijo"][v]["test_accuracy"]["median"] for v in e["armijo"]]
        seconds = [e["armijo"][v]["seconds_to_target"]["median"] for v in e["armijo"]]
        first_variant = next(iter(e["armijo"]))
        for family in FAMILIES:
            bill = e["bills"].get(f"{family} vs {first_variant}")
            accuracy.append(bill["best_test_accuracy"]["median"] if bill else np.nan)
            seconds.append(bill["best_seconds_to_target"]["median"] if bill else np.nan)
        accuracy_table.append(f"| {label} | " + " / ".join(f"{a:.3f}" for a in accuracy) + " | "
                              + " / ".join("-" if not np.isfinite(s) else f"{s:.3g}" for s in seconds) + " |")
    text = _answer(numbers) + " " + _method(numbers)
    return text, smoothness_table + [""] + bill_table + [""] + accuracy_table


def _range(values, spec=".2g"):
    """``a to b`` over the finite values (``a`` alone when equal; ``-`` when none)."""
    values = [v for v in values if v is not None and np.isfinite(v)]
    if not values:
        return "-"
    low, high = f"{min(values):{spec}}", f"{max(values):{spec}}"
    return low if low == high else f"{low} to {high}"


def _answer(numbers):
    """The reader's two questions answered in numbers (ranges over the networks)."""
    settings, networks = numbers["settings"], numbers["networks"]
    growth = [label for label, e in networks.items() if e["envelope"]["growth_seen"]]
    bounds = [e["bounds"] for e in networks.values() if e["bounds"]["eps"] is not None]
    dominant = sorted({b["t2_dominant"] for b in bounds})
    parts = [
        f"Smoothness: along training the local smoothness grows with the gradient norm (L1 > 0 with its whole 95% "
        f"interval above 0) on {len(growth)} of {len(networks)} networks; the fitted L1 ranges "
        f"{_range([e['envelope']['L1'] for e in networks.values()])} and L0 "
        f"{_range([e['envelope']['L0'] for e in networks.values()])}, while a global L would have to exceed the "
        f"largest local smoothness seen, {_range([e['envelope']['largest'] for e in networks.values()])} "
        f"({_range([e['envelope']['largest'] / max(e['envelope']['L0'], 1e-300) for e in networks.values()])} times "
        "L0)."]
    if bounds:
        parts.append(
            f"The full-batch armijo runs (eta0 = {bounds[0]['eta0']:g}) reach eps = {_range([b['eps'] for b in bounds])} "
            f"in N = {_range([b['measured'] for b in bounds], '.0f')} iterations (median over seeds); T2's bound with "
            f"the fitted (L0, L1) is {_range([b['t2'] for b in bounds], '.3g')} (N/bound "
            f"{_range([b['ratio_t2'] for b in bounds])}, set by its term {' / '.join(dominant)}), T1's with L = the "
            f"largest local smoothness {_range([b['t1'] for b in bounds], '.3g')} (N/bound "
            f"{_range([b['ratio_t1'] for b in bounds])}): the counts sit "
            f"{_range([np.log10(1 / b['ratio_t2']) for b in bounds], '.1f')} decades below T2's bound.")
    for variant in dict.fromkeys(v for e in networks.values() for v in e["armijo"]):
        rows = [(e["armijo"][variant], {f: e["bills"].get(f"{f} vs {variant}") for f in FAMILIES})
                for e in networks.values() if variant in e["armijo"]]
        everywhere = [r for r in rows if r[0]["reached"] == settings["seeds"]]
        text = (f"Tuning, {variant} untuned: it reaches the training-loss target on every seed on {len(everywhere)} of "
                f"{len(rows)} networks, with {_range([r[0]['calls_to_target']['median'] for r in everywhere], '.3g')} "
                "oracle calls (median over seeds)")
        for family in FAMILIES:
            bills = [(r[0], r[1][family]) for r in rows if r[1][family] is not None]
            if not bills:
                continue
            ratios = [b["expected_calls"]["median"] / own["calls_to_target"]["median"] for own, b in bills
                      if own["reached"] == settings["seeds"]]
            grid_ratios = [b["full_grid_calls"]["median"] / own["calls_to_target"]["median"] for own, b in bills
                           if own["reached"] == settings["seeds"]]
            text += (f"; the best {family} run of the grid needs "
                     f"{_range([b['best_calls_to_target']['median'] for _, b in bills], '.3g')}, but a grid search "
                     f"tries {_range([b['expected_points']['median'] for _, b in bills])} of the "
                     f"{settings['grid_points'][family]} learning rates and spends "
                     f"{_range([b['expected_calls']['median'] for _, b in bills], '.3g')} calls in expectation before "
                     f"its first run that beats it ({_range(ratios)} times the untuned run's calls where it reached "
                     f"the target; the whole grid "
                     f"{_range([b['full_grid_calls']['median'] for _, b in bills], '.3g')} calls, "
                     f"{_range(grid_ratios)} times)")
        steps = [r[0]["median_step"]["median"] for r in rows]
        rejections = [r[0]["backtracks_per_iteration"]["median"] for r in rows]
        text += (f". Its median accepted step is {_range(steps)}, with {_range(rejections)} rejected trials per "
                 f"iteration, at {_range([r[0]['calls_per_epoch']['median'] for r in rows])} oracle calls per epoch "
                 "(sgd: 1)")
        accuracy = [r[0]["test_accuracy"]["median"] for r in rows]
        best = [max(r[1][f]["best_test_accuracy"]["median"] for f in FAMILIES if r[1][f] is not None) for r in rows]
        parts.append(text + f". Its test accuracy after the budget is {_range(accuracy, '.3f')}, against "
                     f"{_range(best, '.3f')} for the best tuned run.")
    return " ".join(parts)


def _method(numbers):
    """How the numbers were made (the caption's second half)."""
    settings, networks = numbers["settings"], numbers["networks"]
    first = next(iter(networks.values()))
    return (
        f"Setting: scikit-learn's digits and breast-cancer sets (standardised, fixed stratified 80/20 split), "
        f"softmax cross-entropy, {settings['seeds']} seeds (start and batch order, the same for every method of a "
        "seed). Top figure: local smoothness along the full-batch armijo runs and the mini-batch sls runs against "
        f"||grad f|| (a Hessian-vector product where a step is tiny), with the envelope: {first['envelope']['method']}. "
        "The secant measures the curvature along the step only, a lower estimate of ||hess f||; late in full-batch "
        "training the gradient lies in flat directions, hence the points far below the envelope at small gradients. "
        "ReLU networks are not C^1: their gradient jumps at kinks, no global L exists, and secants across a kink "
        "can be large (breast-cancer relu). The constants are lower estimates along these runs: the bounds computed "
        "with them are predictions, not guarantees; Delta = f(x0) since f >= 0. Bottom figure: oracle calls "
        "(full-batch equivalents: a batch f or "
        f"grad costs b/n) to the training-loss target within {settings['epochs']} epochs, sgd and adam over "
        f"learning-rate grids of {settings['grid_points'].get('sgd', 0)} points (8 decades, 3 per decade), against "
        "the untuned line searches (sls-armijo: reset to eta0 = 0.1; sls-increase: eta_(k-1) 2^(b/n); lam = 0.5, "
        "f1 = 2; the Armijo test on the gradient's own batch). A grid run beats the untuned run when it reaches the "
        "target with fewer calls (or, if neither does, ends lower); calls are read at the monitored points, every "
        f"{settings['monitored_every_epochs']:.2g} epoch (sgd and adam pay one call per epoch, the line searches "
        f"{_range([v['calls_per_epoch']['median'] for e in networks.values() for v in e['armijo'].values()])}); "
        "tried in random order, the expected number of "
        "runs up to the first that beats it is (N + 1)/(K + 1) with K winners of N, and every run pays what it "
        "spent (its budget, or up to divergence). Wall times (third table) are the loops' own seconds on the "
        "machine that ran the study, monitoring excluded. Tables: medians over seeds [min, max].")


def _headline(numbers):
    """``numbers`` without the drawing arrays (for the summary JSON)."""
    return {"settings": numbers["settings"],
            "networks": {label: {k: v for k, v in entry.items() if k != "drawing"}
                         for label, entry in numbers["networks"].items()}}


def plot(table, figures):
    """summarize -> draw -> caption; the summary for the report (both figures, the three tables)."""
    numbers = summarize(table)
    draw(numbers, figures)
    text, tables = caption(numbers)
    return {"caption": text, "numbers": _headline(numbers), "table_markdown": tables, "verdicts": [],
            "extra_figures": [f"{NAME}-tuning"]}


if __name__ == "__main__":
    sys.exit(main(sys.modules[__name__]))
