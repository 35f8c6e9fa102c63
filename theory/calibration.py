r"""Calibration battery of the rate fitter: synthetic ``N(eps)`` with known truth, drawn like real runs.

A fit is a claim (:mod:`theory.fit`): an answer without a warning label promises that its
interval contains the true exponent, a confident model promises the right model.  This module
measures both promises on families of synthetic first-hitting curves whose asymptotic model
and exponent are known, drawn with the features real runs have:

* pre-asymptotic corrections ``N = C eps^-p (1 + c eps^q)`` of both signs (``|c|`` from 0.3
  to 10, ``q`` from 0.1 to 1), logarithmic factors ``C eps^-p log(1/eps)^k`` (``k`` from
  -1.5 to 1), two regimes ``a eps^-2 + b eps^-1``, linear convergence ``a + b log10(1/eps)``
  after a slow transient, staircase ripples in ``log eps`` (relative amplitude up to 30%,
  one to five periods per decade), small counts (integer rounding), exponents from 0.02 to 2;
* the designs of real runs: 1 to 64 starts whose constants spread (lognormal, 10% to 70%)
  and whose corrections differ (lognormal 20%), 6 to 60 thresholds over 2 to 10 decades,
  integer counts, non-decreasing as ``eps`` decreases, with a 1% jitter per threshold and a
  budget (:data:`MAX_COUNT`) above which a threshold is never reached.

Every family has a parameter grid; draw ``i`` of a family takes each parameter at random from
its grid (seeded by the family's name and ``i``), so a battery is reproducible and its draws
spread over the whole grid.  :func:`run_family` fits draws as the assessment does where T2
applies (``two_regime=True``) and :func:`judge` scores each answer; :func:`summarize` gives a
family's record: the share of answers without a warning label, the coverage of their interval,
the coverage of the labelled answers (an ``undetermined`` answer counts as honest: it claims
nothing), and the rate of confident wrong models.

The contract (:data:`CONTRACT`), enforced by ``tests/test_calibration.py`` on a reduced
battery and reported in full by ``make calibration``: per family, coverage of the unlabelled
answers >= 0.93, confident wrong models <= 0.02, coverage of the labelled answers >= 0.80.

:data:`FAMILIES` are the families the fitter's rules were designed against; :data:`HELD_OUT`
were not used to choose them (other correction shapes, ripples on linear convergence, offsets
with corrections, mixed starts), but their numbers were looked at during development;
:data:`FRESH` were written after the rules were fixed and never used to tune them.  Their
numbers say how far the calibration carries.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from theory.fit import fit_rate

CONTRACT = {"coverage_unlabelled": 0.93, "wrong_model_unlabelled": 0.02, "coverage_labelled": 0.80}
"""Per family: least coverage of unlabelled answers, most confident wrong models, least coverage
of labelled answers."""

SMALL_POWER = 0.05
"""A power law with a smaller exponent called ``logarithmic`` is not counted as a wrong model."""

DESIGN = {
    "thresholds": (6, 10, 25, 40, 60),
    "decades": (2, 3, 4, 6, 8, 10),
    "eps_max": (1e-1, 1e-2),
    "starts": (1, 1, 2, 4, 8, 16, 64),
    "spread": (0.1, 0.3, 0.7),
}
"""The design of a draw (every family): thresholds, decades they span from ``eps_max``, starts and
the lognormal spread of their constants."""

MAX_COUNT = 1e10
"""Counts above this are never reached (the budget of a run): the threshold is left out (``-1``)."""

JITTER = 0.01
"""Lognormal jitter of a count per start and threshold."""

SHAPE_SPREAD = 0.2
"""Lognormal spread over starts of a correction's size (``c``, the transient, the ripple phase)."""


@dataclass(frozen=True)
class Draw:
    """One synthetic data set: a grid, counts per start, and the truth."""

    eps: np.ndarray
    hits: np.ndarray
    truth_model: str
    truth_exponent: float
    parameters: dict


@dataclass(frozen=True)
class Family:
    """A family of synthetic curves: its truth, its parameter grid and its per-start curve.

    ``curve(parameters, eps, rng, starts)`` returns the noiseless counts ``(starts, m)`` (per-start
    constants and shape spread included); the design and the noise are added by :func:`draw`.
    ``exponent(parameters)`` is the true asymptotic exponent (0 for ``logarithmic``).
    """

    name: str
    truth_model: str
    description: str
    grid: dict
    curve: object
    exponent: object
    design: dict = field(default_factory=lambda: dict(DESIGN))


def _constants(rng, starts, spread, size=1.0):
    return size * rng.lognormal(0.0, spread, size=(starts, 1))


def _shape(rng, starts, value):
    return value * rng.lognormal(0.0, SHAPE_SPREAD, size=(starts, 1))


def _decades(eps):
    """Decades below the largest threshold, ``log10(eps_max / eps)``."""
    return np.log10(eps[0] / eps)


def _power(par, eps, rng, starts):
    return _constants(rng, starts, par["spread"], par["C"]) * eps ** -par["p"]


def _correction(par, eps, rng, starts):
    # c > 0 above the limit; c < 0 below it, sized so that 1 + c eps^q > 0 at the largest eps
    c = par["c"] if par["c"] > 0 else par["c"] / eps[0] ** par["q"]
    factor = 1.0 + _shape(rng, starts, c) * eps ** par["q"]
    return _power(par, eps, rng, starts) * np.maximum(factor, 1e-3)


def _log_factor(par, eps, rng, starts):
    return _power(par, eps, rng, starts) * np.log(1.0 / eps) ** par["k"]


def _two_regime(par, eps, rng, starts):
    # a eps^-2 + b eps^-1 with the crossover a/b placed relative to the smallest threshold and N there
    # set to ``size`` (below the budget): the eps^-2 term is visible in the data
    crossover = par["crossover"] * eps[-1]
    shape = crossover * eps**-2.0 + eps**-1.0
    return _constants(rng, starts, par["spread"], par["size"]) * shape / shape[-1]


def _linear(par, eps, rng, starts):
    # b iterations per decade after a slow start: T extra iterations spread over tau decades
    decades = _decades(eps)[None, :]
    b = _constants(rng, starts, min(par["spread"], 0.3), par["b"])
    transient = _shape(rng, starts, par["transient"] * par["b"]) * (1.0 - 10.0 ** (-decades / par["tau"]))
    return par["offset"] + b * decades + transient


def _staircase(par, eps, rng, starts):
    decades = _decades(eps)[None, :]
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(starts, 1))
    ripple = 1.0 + par["amplitude"] * np.sin(2.0 * np.pi * par["periods"] * decades + phase)
    return _power(par, eps, rng, starts) * ripple


def _two_corrections(par, eps, rng, starts):
    factor = (1.0 + _shape(rng, starts, par["c1"]) * eps ** par["q1"]
              + _shape(rng, starts, par["c2"]) * eps ** par["q2"])
    return _power(par, eps, rng, starts) * np.maximum(factor, 1e-3)


def _offset_correction(par, eps, rng, starts):
    body = _correction(par, eps, rng, starts)
    return _shape(rng, starts, par["offset"]) * body[:, :1] + body


def _linear_staircase(par, eps, rng, starts):
    decades = _decades(eps)[None, :]
    phase = rng.uniform(0.0, 2.0 * np.pi, size=(starts, 1))
    b = _constants(rng, starts, min(par["spread"], 0.3), par["b"])
    ripple = par["amplitude"] * par["b"] * np.sin(2.0 * np.pi * par["periods"] * decades + phase)
    return par["offset"] + b * decades + ripple


def _mixed_corrections(par, eps, rng, starts):
    # every start its own correction exponent and sign
    q = rng.choice(par["q"], size=(starts, 1))
    c = rng.choice(par["c"], size=(starts, 1)) * np.where(rng.random((starts, 1)) < 0.5, 1.0, -0.5 / eps[0] ** q)
    return _power(par, eps, rng, starts) * np.maximum(1.0 + c * eps**q, 1e-3)


def _log_correction(par, eps, rng, starts):
    # an additive logarithmic correction (gradient descent on x^4: 1/x_k^2 = 8 eta k + 6 eta log k + ...)
    body = _power(par, eps, rng, starts)
    return np.maximum(body + _shape(rng, starts, par["c"]) * body[:, :1] * np.log(eps[0] / eps) + par["offset"], 1.0)


def _linear_loglog(par, eps, rng, starts):
    decades = _decades(eps)[None, :] + 1.0
    b = _constants(rng, starts, min(par["spread"], 0.3), par["b"])
    return par["offset"] + b * decades + _shape(rng, starts, par["c"] * par["b"]) * np.log(decades)


def _heavy_noise(par, eps, rng, starts):
    # student-t noise of scale 3% on the log of each count, on top of the jitter
    noise = np.exp(0.03 * rng.standard_t(3.0, size=(starts, eps.size)))
    return _correction(par, eps, rng, starts) * noise


def _staircase_correction(par, eps, rng, starts):
    return _staircase(par, eps, rng, starts) * (1.0 + _shape(rng, starts, par["c"]) * eps ** par["q"])


def _p(par):
    return par["p"]


FAMILIES = (
    Family("pure power", "power", "N = C eps^-p", {"p": (0.1, 0.2, 0.5, 0.8, 1.0, 1.5, 2.0), "C": (2.0, 20.0, 200.0)},
           _power, _p),
    Family("small exponent", "power", "N = C eps^-p with p from 0.02 to 0.1 (100 eps^-0.05 among them)",
           {"p": (0.02, 0.03, 0.05, 0.07, 0.1), "C": (20.0, 100.0, 1000.0)}, _power, _p),
    Family("correction above", "power", "N = C eps^-p (1 + c eps^q), c from 0.3 to 10, q from 0.1 to 1",
           {"p": (0.2, 0.5, 0.8, 1.0, 1.5, 2.0), "C": (5.0, 50.0), "c": (0.3, 1.0, 3.0, 10.0),
            "q": (0.1, 0.25, 0.5, 1.0)}, _correction, _p),
    Family("correction below", "power", "N = C eps^-p (1 - c' eps^q), c' eps_max^q from 0.3 to 0.9",
           {"p": (0.2, 0.5, 0.8, 1.0, 1.5, 2.0), "C": (5.0, 50.0), "c": (-0.3, -0.6, -0.9),
            "q": (0.1, 0.25, 0.5, 1.0)}, _correction, _p),
    Family("log factor", "power", "N = C eps^-p log(1/eps)^k, k from -1.5 to 1",
           {"p": (0.5, 0.8, 1.0, 1.5, 2.0), "C": (5.0, 50.0), "k": (-1.5, -1.0, -0.5, 0.5, 1.0)}, _log_factor, _p),
    Family("two regimes", "power", "N = a eps^-2 + b eps^-1, crossover a/b from 0.3 to 1e4 times the smallest eps",
           {"crossover": (0.3, 1.0, 10.0, 100.0, 1e4), "size": (1e4, 1e6, 1e9)}, _two_regime, lambda par: 2.0),
    Family("linear convergence", "logarithmic",
           "N = a + b log10(1/eps) after a slow start (T b iterations over tau decades)",
           {"b": (1.5, 3.0, 10.0, 50.0, 2000.0), "offset": (1.0, 10.0, 100.0), "transient": (0.0, 1.0, 5.0),
            "tau": (0.5, 1.0, 2.0)}, _linear, lambda par: 0.0),
    Family("staircase", "power",
           "N = C eps^-p (1 + a sin(2 pi k log10(eps) + phase)), a up to 0.3, k 1 to 5 per decade",
           {"p": (0.5, 0.8, 1.0, 1.5, 2.0), "C": (5.0, 50.0), "amplitude": (0.1, 0.2, 0.3),
            "periods": (1.0, 2.0, 3.0, 5.0)}, _staircase, _p),
    Family("small counts", "power", "N = C eps^-p with N from 3 to about 100: integer rounding dominates",
           {"p": (0.2, 0.5, 1.0), "C": (0.5, 1.0, 2.0)}, _power, _p,
           design={**DESIGN, "decades": (2, 3, 4), "eps_max": (1e-1,)}),
)
"""The families the fitter's rules were designed against."""

HELD_OUT = (
    Family("two corrections", "power", "N = C eps^-p (1 + c1 eps^q1 + c2 eps^q2), opposite signs",
           {"p": (0.3, 0.7, 1.2), "C": (5.0, 50.0), "c1": (2.0, 5.0), "q1": (0.15, 0.3), "c2": (-0.5, -0.9),
            "q2": (0.6, 1.0)}, _two_corrections, _p),
    Family("offset and correction", "power", "N = K + C eps^-p (1 + c eps^q), K from 3 to 30 times N(eps_max)",
           {"p": (0.3, 0.6, 1.0, 1.7), "C": (5.0,), "c": (0.5, 2.0, -0.5), "q": (0.2, 0.7), "offset": (3.0, 30.0)},
           _offset_correction, _p),
    Family("staircase on linear", "logarithmic", "N = a + b log10(1/eps) + ripple of a b iterations",
           {"b": (3.0, 20.0, 300.0), "offset": (5.0, 50.0), "amplitude": (0.1, 0.3), "periods": (1.0, 2.5, 4.0)},
           _linear_staircase, lambda par: 0.0),
    Family("mixed corrections", "power", "every start its own correction (q from 0.2 to 0.8, either sign)",
           {"p": (0.4, 0.9, 1.4), "C": (5.0, 50.0), "q": ((0.2, 0.5, 0.8),), "c": ((0.5, 2.0, 6.0),)},
           _mixed_corrections, _p, design={**DESIGN, "starts": (4, 8, 16, 64)}),
    Family("exponents 0.03 to 0.3", "power", "N = C eps^-p, p between the grid's values",
           {"p": (0.03, 0.06, 0.13, 0.3), "C": (3.0, 30.0, 300.0)}, _power, _p),
    # written as a fresh family; its first run broke the contract (unlabelled coverage 77%), which, with
    # real x^(2p) runs, led to the additive-logarithm class of theory.fit: no longer fresh since
    Family("additive log correction", "power", "N = C eps^-p + c N(eps_max) log(eps_max/eps) + K",
           {"p": (0.4, 2 / 3, 0.8, 1.2), "C": (5.0, 50.0), "c": (0.3, 3.0, 30.0), "offset": (0.0, 20.0)},
           _log_correction, _p),
)
"""Families and parameters not used to choose the fitter's rules (their numbers were looked at while
the rules were developed: see :data:`FRESH`)."""

FRESH = (
    Family("linear with log-log drift", "logarithmic", "N = a + b D + c b log D, D decades from eps_max plus one",
           {"b": (2.0, 20.0, 500.0), "offset": (3.0, 30.0), "c": (-0.5, 0.5, 2.0)}, _linear_loglog, lambda par: 0.0),
    Family("heavy-tailed noise", "power", "N = C eps^-p (1 + c eps^q) times t(3) noise of 3% per count",
           {"p": (0.3, 0.9, 1.6), "C": (5.0, 50.0), "c": (0.5, 3.0), "q": (0.3, 0.8)}, _heavy_noise, _p),
    Family("staircase with correction", "power", "a staircase ripple on C eps^-p (1 + c eps^q)",
           {"p": (0.6, 1.1, 1.8), "C": (5.0,), "amplitude": (0.15, 0.3), "periods": (1.5, 4.0), "c": (1.0, 4.0),
            "q": (0.3, 0.6)}, _staircase_correction, _p),
)
"""Held-out families written after the rules were fixed, never used to tune them."""


def family_seed(name: str, index: int) -> int:
    """Seed of draw ``index`` of the family ``name`` (stable across runs and platforms)."""
    return zlib.crc32(f"{name}:{index}".encode())


def draw(family: Family, index: int) -> Draw:
    """Draw ``index`` of ``family``: parameters at random from the grids, noise, integer counts."""
    rng = np.random.default_rng(family_seed(family.name, index))
    pick = {key: values[rng.integers(len(values))] for key, values in family.design.items()}
    pick.update({key: values[rng.integers(len(values))] for key, values in family.grid.items()})
    eps = np.logspace(np.log10(pick["eps_max"]), np.log10(pick["eps_max"]) - pick["decades"], pick["thresholds"])
    hits = first_hitting(family.curve(pick, eps, rng, pick["starts"]), rng)
    return Draw(eps, hits, family.truth_model, float(family.exponent(pick)), pick)


def first_hitting(curve, rng):
    """Integer first-hitting iterations ``(B, m)`` from noiseless per-start counts: a jitter of
    :data:`JITTER`, rounded down (below 1: reached at the start), non-decreasing as eps decreases,
    ``-1`` above the budget :data:`MAX_COUNT`."""
    noisy = np.asarray(curve, dtype=float) * rng.lognormal(0.0, JITTER, size=np.shape(curve))
    counts = np.maximum.accumulate(np.floor(noisy), axis=1)
    return np.where(counts <= MAX_COUNT, counts, -1).astype(np.int64)


@dataclass(frozen=True)
class Outcome:
    """What one fit said about one draw, judged against the truth."""

    labelled: bool
    undetermined: bool
    covered: bool
    wrong_model: bool
    model: str
    exponent: float
    ci_low: float
    ci_high: float
    flags: tuple


def judge(fit, truth: Draw) -> Outcome:
    """Whether the answer carries a warning label, covers the truth, and names a wrong model confidently."""
    labelled = fit.labelled
    undetermined = fit.model == "undetermined"
    covered = fit.contains(truth.truth_exponent)
    if truth.truth_model == "logarithmic":
        wrong = fit.model in ("power", "two-regime")
    else:
        wrong = fit.model == "logarithmic" and truth.truth_exponent >= SMALL_POWER
    return Outcome(labelled, undetermined, bool(covered), bool(wrong and not labelled), fit.model,
                   float(fit.exponent), float(fit.ci_low), float(fit.ci_high), tuple(fit.flags))


def run_family(family: Family, draws: int, *, start: int = 0, two_regime: bool = True):
    """Fit draws ``start .. start + draws - 1`` of ``family``; returns the :class:`Outcome` of each.

    ``two_regime=True`` fits as the assessment does wherever T2 applies (every Armijo variant).
    """
    outcomes = []
    for index in range(start, start + draws):
        truth = draw(family, index)
        outcomes.append(judge(fit_rate(truth.eps, truth.hits, two_regime=two_regime, seed=index), truth))
    return outcomes


def truth_exponent(family: Family):
    """The true exponent of a family: a number, or ``[low, high]`` over its grid of exponents."""
    if "p" in family.grid and len(set(family.grid["p"])) > 1:
        return [float(min(family.grid["p"])), float(max(family.grid["p"]))]
    return float(family.exponent({key: values[0] for key, values in family.grid.items()}))


def _minimum_q(parameters):
    q = parameters.get("q", parameters.get("q1"))
    return None if q is None else float(np.min(q))


SLICES = {
    "6 thresholds": lambda parameters: parameters["thresholds"] == 6,
    "2 decades": lambda parameters: parameters["decades"] == 2,
    "slow correction (q <= 0.15)": lambda parameters: (_minimum_q(parameters) is not None
                                                       and _minimum_q(parameters) <= 0.15),
    "1 start": lambda parameters: parameters["starts"] == 1,
}
"""The designs the issue names as hard (few thresholds, a short range, slow corrections, one start):
a predicate on a draw's parameters (:attr:`Draw.parameters`).  Their draws, pooled over families,
are reported apart (``slices`` of ``figures/calibration.json``); the contract is per family."""


def contract_numbers(outcomes) -> dict:
    """The contract's shares over some outcomes: ``draws``, ``unlabelled_fraction``,
    ``coverage_unlabelled``, ``coverage_labelled`` (an ``undetermined`` answer counts as honest: it
    claims no interval), ``wrong_model_unlabelled``; ``nan`` where a share has no draw."""
    outcomes = list(outcomes)
    unlabelled = [o for o in outcomes if not o.labelled]
    labelled = [o for o in outcomes if o.labelled]

    def share(items, test):
        return float(np.mean([test(o) for o in items])) if items else float("nan")

    return {
        "draws": len(outcomes),
        "unlabelled_fraction": share(outcomes, lambda o: not o.labelled),
        "coverage_unlabelled": share(unlabelled, lambda o: o.covered),
        "coverage_labelled": share(labelled, lambda o: o.covered or o.undetermined),
        "wrong_model_unlabelled": share(unlabelled, lambda o: o.wrong_model),
    }


def summarize(family: Family, outcomes) -> dict:
    """The family's row of ``figures/calibration.json``: its name, truth and :func:`contract_numbers`."""
    return {"name": family.name, "truth_model": family.truth_model, "truth_exponent": truth_exponent(family),
            **contract_numbers(outcomes)}


def summarize_slices(draws_and_outcomes) -> list[dict]:
    """One record per :data:`SLICES` entry: its :func:`contract_numbers` over the ``(Draw parameters,
    Outcome)`` pairs it selects, pooled over families."""
    pairs = list(draws_and_outcomes)
    return [{"name": name, **contract_numbers(o for parameters, o in pairs if selects(parameters))}
            for name, selects in SLICES.items()]


def details(family: Family, outcomes) -> dict:
    """More than the contract: undetermined share, labels, models, median interval width."""
    outcomes = list(outcomes)
    flags, models = {}, {}
    for o in outcomes:
        models[o.model] = models.get(o.model, 0) + 1
        for flag in o.flags:
            flags[flag] = flags.get(flag, 0) + 1
    widths = [o.ci_high - o.ci_low for o in outcomes if np.isfinite(o.ci_high - o.ci_low)]
    unlabelled = [o.ci_high - o.ci_low for o in outcomes if not o.labelled and np.isfinite(o.ci_high - o.ci_low)]
    return {"name": family.name, "description": family.description,
            "undetermined_fraction": float(np.mean([o.undetermined for o in outcomes])) if outcomes else float("nan"),
            "models": models, "flags": flags,
            "median_width": float(np.median(widths)) if widths else float("nan"),
            "median_width_unlabelled": float(np.median(unlabelled)) if unlabelled else float("nan")}


def meets_contract(row: dict) -> list[str]:
    """The contract's clauses a family's row breaks (empty when it meets them)."""
    clauses = (("coverage_unlabelled", "coverage of unlabelled answers", np.less),
               ("wrong_model_unlabelled", "confident wrong models", np.greater),
               ("coverage_labelled", "coverage of labelled answers", np.less))
    return [f"{text} {row[key]:.3f} {'<' if breaks is np.less else '>'} {CONTRACT[key]}"
            for key, text, breaks in clauses if np.isfinite(row[key]) and breaks(row[key], CONTRACT[key])]
