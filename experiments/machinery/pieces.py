"""The standard piece of work: run one algorithm on one function from a set of starts,
check every applicable bound, and return the tidy rows.

One row per (start, eps): the first hitting iteration and the oracle counts there
(``iterations = -1`` when the threshold was never reached), the start's final status and the
backend that ran (``compiled`` or ``numpy``, see :mod:`experiments.machinery.runner`),
the bound of every applicable theorem at that (start, eps) (empty when it does not
apply) and, for T3 and T3-point, the start's entry time ``K`` into the Lojasiewicz
neighbourhood (``entry_T3``, ``entry_T3-point``), the start's limit point (``limit_*``)
with ``Delta`` from it, the fit and verdict of the group of starts with that limit point
(``group_*``), and the case-level fit and verdict (repeated on the case's rows; columns
prefixed ``case_``), which are those of the largest group.
"""

from __future__ import annotations

import json
import multiprocessing

import numpy as np
import pandas as pd

from experiments.machinery.runner import run_minimize
from theory.assessment import assess_run, estimate_hypotheses

THEOREMS = ("T1", "T2", "T3", "T3-point", "T4")

_OBJECTIVES = {}


def objective_for(name, params):
    """The registry objective (compiled once per process)."""
    import functions

    key = (name, json.dumps(params, sort_keys=True))
    if key not in _OBJECTIVES:
        _OBJECTIVES[key] = functions.get(name, **params)
    return _OBJECTIVES[key]


def starts_for(case, objective):
    """The case's starts: explicit ``x0`` or ``starts`` draws from the function's distribution."""
    if case.x0 is not None:
        return np.atleast_2d(np.asarray(case.x0, dtype=float))
    return np.asarray(objective.sample_starts(np.random.default_rng(case.seed), case.starts), dtype=float)


def _vector_text(vector):
    return json.dumps([float(v) for v in vector]) if vector.size <= 8 else ""


def piece_threads():
    """Numba threads of a piece: one in a worker process (JOBS pieces already share the cores,
    more threads would oversubscribe them), else Numba's default (``NUMBA_NUM_THREADS``)."""
    return 1 if multiprocessing.parent_process() is not None else None


def run_case_with_result(case):
    """Run ``case``; return its tidy table and the engine's :class:`armijo.RunResult` (with trace)."""
    objective = objective_for(case.function, case.function_params)
    starts = starts_for(case, objective)
    result = run_minimize(objective, starts, case.algorithm, threads=piece_threads(), eps=case.eps,
                          max_iter=case.max_iter, trace=True, **case.algorithm_params)
    hypotheses = estimate_hypotheses(objective, starts, [result], seed=case.seed)
    assessment = assess_run(objective, result, hypotheses, fit_seed=case.seed)
    return case_table(case, objective, starts, result, hypotheses, assessment), result


def run_case(case):
    """Run ``case`` and return its tidy table (see the module docstring)."""
    return run_case_with_result(case)[0]


def _limit_columns(assessment, start_index):
    """Per-start limit point and the fit of its group (``limit_group`` 0 is the largest)."""
    group_of = np.empty(len(assessment.limits), dtype=int)
    for number, group in enumerate(assessment.groups):
        group_of[list(group.starts)] = number
    groups = [assessment.groups[g] for g in group_of[start_index]]
    limits = [assessment.limits[b] for b in start_index]
    return {
        "limit_group": group_of[start_index],
        "limit_kind": [limit.kind for limit in limits],
        "limit_value": [limit.value for limit in limits],
        "limit_point": [_vector_text(limit.point) if limit.verified else "" for limit in limits],
        "delta_source": [assessment.delta_source[b] for b in start_index],
        "group_starts": [len(group.starts) for group in groups],
        "group_model": [group.fit.model for group in groups],
        "group_exponent": [group.fit.exponent for group in groups],
        "group_exponent_ci_low": [group.fit.ci_low for group in groups],
        "group_exponent_ci_high": [group.fit.ci_high for group in groups],
        "group_iterations_per_decade": [group.fit.iterations_per_decade for group in groups],
        "group_pre_asymptotic": [group.fit.pre_asymptotic for group in groups],
        "group_fit_eps_lo": [group.fit.eps_lo for group in groups],
        "group_fit_eps_hi": [group.fit.eps_hi for group in groups],
        "group_theta": [np.nan if group.theta is None else group.theta for group in groups],
        "group_theta_point": [np.nan if group.local is None else group.local.theta for group in groups],
        "group_theta_point_exact": [None if group.local is None else group.local.exact for group in groups],
        "group_predicted_model": [None if group.prediction is None or not group.prediction.applies
                                  else group.prediction.model for group in groups],
        "group_predicted_exponent": [np.nan if group.prediction is None or not group.prediction.applies
                                     else group.prediction.exponent for group in groups],
        "group_agreement": [group.agreement for group in groups],
        "group_verdict": [group.verdict.verdict for group in groups],
    }


def case_table(case, objective, starts, result, hypotheses, assessment):
    """Tidy rows of one case from its run and assessment."""
    B, m = result.eps_hits.shape
    start_index = np.repeat(np.arange(B), m)
    columns = {
        "experiment": case.experiment,
        "function": case.function,
        "function_params": json.dumps(case.function_params, sort_keys=True),
        "algorithm": case.algorithm,
        "algorithm_params": json.dumps(result.params, sort_keys=True),
        "start": start_index,
        "eps": np.tile(result.eps, B),
        "iterations": result.eps_hits.ravel(),
        "f_evals": result.eps_hit_f_evals.ravel(),
        "grad_evals": result.eps_hit_grad_evals.ravel(),
        "status": result.status[start_index],
        "backend": result.backend,
        "seed": case.seed,
        "max_iter": case.max_iter,
        "x0": [_vector_text(starts[b]) for b in start_index],
        "x_final": [_vector_text(result.x[b]) for b in start_index],
        "f_initial": result.f_initial[start_index],
        "f_final": result.f[start_index],
        "grad_norm_initial": result.grad_norm_initial[start_index],
        "grad_norm_final": result.grad_norm[start_index],
        "total_iterations": result.iterations[start_index],
        "total_f_evals": result.f_evals[start_index],
        "total_grad_evals": result.grad_evals[start_index],
        "last_step": result.step[start_index],
        "f_star": hypotheses.f_star,
        "delta": assessment.delta[start_index],
        "initial_gap": result.f_initial[start_index] - hypotheses.f_star,
        "analytic": objective.analytic,
        "L_est": np.nan if hypotheses.L is None else hypotheses.L,
        "L0_est": np.nan if hypotheses.L0 is None else hypotheses.L0,
        "L1_est": np.nan if hypotheses.L1 is None else hypotheses.L1,
        "bounded_iterates": hypotheses.bounded_iterates,
    }
    for theorem in THEOREMS:
        bound = assessment.bounds.get(theorem)
        columns[f"bound_{theorem}"] = np.nan if bound is None else np.asarray(bound, dtype=float).ravel()
    for theorem, entry in assessment.entry.items():  # T3's entry time K per start, read from the trace
        columns[f"entry_{theorem}"] = np.asarray(entry, dtype=float)[start_index]
    columns.update(_limit_columns(assessment, start_index))
    fit = assessment.fit
    verdict = assessment.verdict
    columns.update({
        "case_model": fit.model,
        "case_exponent": fit.exponent,
        "case_exponent_ci_low": fit.ci_low,
        "case_exponent_ci_high": fit.ci_high,
        "case_fit_eps_lo": fit.eps_lo,
        "case_fit_eps_hi": fit.eps_hi,
        "case_fit_flags": ";".join(fit.flags),
        "case_predicted_exponent": assessment.predicted_exponent,
        "case_verdict": verdict.verdict,
        "case_reasons": "; ".join(verdict.reasons + assessment.notes),
        "case_bounds_held": ";".join(f"{c.theorem}:{'yes' if c.holds else 'NO'}:{c.max_ratio:.3g}"
                                     for c in assessment.checks),
    })
    for name, value in case.labels.items():
        columns[name] = value
    return pd.DataFrame(columns)
