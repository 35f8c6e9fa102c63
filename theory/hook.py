"""The hook every theorem module exposes: what one run gives it, what it gives back.

A theorem module (:mod:`theory.theorems` lists them) exposes, besides its bound functions,

* ``evidence_kind(variant, constants) -> str``: what a check of its bound is (:mod:`theory.evidence`);
* ``checks(run: RunFacts) -> TheoremChecks``: its bounds evaluated on one run, per start and
  threshold, with the counts they bound (empty where its constants are missing or its hypotheses
  fail), and the largest exponent it allows where its hypotheses hold;
* ``why_unchecked(check: str, run: RunFacts) -> str or None``: why a check that applies could
  check no count, beyond "no threshold was reached" (None: no reason of its own).

:func:`theory.assessment.assess_run` builds one :class:`RunFacts` per run and loops over the
registry; it never names a theorem.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, kw_only=True, eq=False)
class RunFacts:
    """What the theorem modules' ``checks`` read from one run, computed once by the assessment.

    Attributes
    ----------
    result : armijo.RunResult
        The run (``eps``, ``eps_hits``, ``eps_hit_f_evals``, ``params``, ``trace``, ``max_iter``).
    hypotheses : theory.assessment.Hypotheses
        The estimated (or declared) constants of the objective.
    limits : tuple of theory.limits.LimitPoint
        The limit point of every start.
    delta : ndarray, shape (B,)
        Per-start ``Delta = f(x_0) - f_*`` (nan: none), :func:`theory.assessment.start_deltas`.
    lojasiewicz : tuple
        Per start, the Lojasiewicz constants read on the tail of its trace (a dict with ``K``,
        ``gap_K``, ``C``, ``theta``) or None.
    local : dict
        Starts of a limit group (tuple of int) -> :class:`theory.local_rate.LocalLojasiewicz` at
        its verified limit point.
    bounded : bool or None
        Whether this run's iterates stayed bounded (None: not decided).
    """

    result: object
    hypotheses: object
    limits: tuple
    delta: np.ndarray = field(repr=False)
    lojasiewicz: tuple = ()
    local: dict = field(default_factory=dict)
    bounded: bool | None = None

    @property
    def algorithm(self) -> str:
        """The algorithm of the run."""
        return self.result.algorithm

    @property
    def line_search(self) -> dict:
        """The line-search parameters ``lam, f1, eta0, f2`` of the run (None where not set)."""
        params = self.result.params
        return {name: params.get(name) for name in ("lam", "f1", "eta0", "f2")}

    def local_at(self, start: int):
        """The limit-point Lojasiewicz estimate of the group that ``start`` belongs to, or None."""
        return next((local for members, local in self.local.items() if start in members), None)


@dataclass(frozen=True, kw_only=True, eq=False)
class CheckedBound:
    """One check of a theorem on one run: the bound per start and threshold and the counts it bounds.

    Attributes
    ----------
    check : str
        Its label, a key of :data:`theory.theorems.CHECKS` (``"T3-point"``...).
    measured : ndarray, shape (B, m)
        The counts (``-1``: threshold not reached).
    bound : ndarray, shape (B, m)
        The bound (``inf``: none for that start; nan: no count, no bound).
    budget : int or None
        Largest value the counts could reach in the run (``max_iter`` for ``N(eps)``); None when
        they are not capped (evaluations: the engine does not cap the backtracks).
    entry : ndarray, shape (B,), or None
        Per start, an entry time ``K`` read from the same counts (nan: none); the ratios are then
        ``(N - K) / (bound - K)``.
    """

    check: str
    measured: np.ndarray = field(repr=False)
    bound: np.ndarray = field(repr=False)
    budget: int | None
    entry: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True, eq=False)
class TheoremChecks:
    """What one theorem module's ``checks`` says about one run.

    Attributes
    ----------
    bounds : tuple of CheckedBound
        Its checks on the run, in the order the tables print them (empty: not evaluated).
    predicted_exponent : float or None
        The largest exponent of ``N(eps)`` it allows on this run where its hypotheses hold
        (None: it says nothing about the exponent here).
    two_regime : bool
        Whether its bound has two regimes (a constant plus ``eps^-2``): the fit then also tries
        the two-regime model.
    """

    bounds: tuple = ()
    predicted_exponent: float | None = None
    two_regime: bool = False


def no_delta_reason(run: RunFacts) -> str | None:
    """Why a bound in ``Delta`` (T1, T2) checked nothing when no start has a ``Delta``, else None."""
    if not np.isfinite(run.delta).any():
        return "Delta is unknown for every start (diverged, or no limit and no known inf f)"
    return None
