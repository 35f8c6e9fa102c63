"""Registry of the theorem modules: code loops over :data:`THEOREMS`, never over names.

Each module exposes ``APPLIES_TO`` (algorithm names), ``HYPOTHESES`` (text), a bound
function (``iteration_bound`` or ``f_evals_bound``), ``sympy_form``,
``evidence_kind(variant, constants)``: what a check of its bound is (:mod:`theory.evidence`), and
the hook of :mod:`theory.hook`: ``checks(run) -> TheoremChecks`` (its bounds on one run, the
exponent it allows) and ``why_unchecked(check, run)``.  A new theorem is a module with these and
one line in :data:`THEOREMS` (and its check labels in :data:`CHECKS`).

Every algorithm of the engine is either covered by some theorem (its name is in a module's
``APPLIES_TO``) or listed in :data:`NOT_COVERED` with the reason: the assessment runs every
algorithm the same way (limit points, rate per limit point) and, where no theorem applies,
says why in the verdict (:func:`coverage`).
"""

from __future__ import annotations

from types import ModuleType

from theory import t1_lsmooth, t2_l0l1, t3_lojasiewicz, t4_oracle

THEOREMS: dict[str, ModuleType] = {
    "T1": t1_lsmooth,
    "T2": t2_l0l1,
    "T3": t3_lojasiewicz,
    "T4": t4_oracle,
}
"""Theorem label -> module."""

CHECKS: dict[str, tuple[str, str]] = {
    "T1": ("T1", "sampled"),
    "T2": ("T2", "sampled"),
    "T3": ("T3", "trace"),
    "T3-point": ("T3", "limit point"),
    "T4": ("T4", "sampled"),
}
"""Check label (as the assessment and the tables name it) -> (theorem label, where its constants come from)."""


NOT_COVERED: dict[str, str] = {
    "gd": "a fixed step, no line search: T1-T4 bound Armijo line searches (GD's classical bound needs eta < 2/L, "
          "a constant the suite only estimates)",
    "clipped-gd": "clipping (Zhang et al. 2020: O(L0 Delta eps^-2 + L1^2 Delta / L0) with the true (L0, L1)) is "
                  "not implemented as a check",
    "normalized-gd": "a fixed normalized step reaches ||g|| <= eps only by luck below a scale set by eta",
    "adam": "no deterministic complexity bound of the suite covers Adam",
    "polyak": "Polyak's step: the cited guarantees are for convex f (Polyak 1987; Hazan & Kakade 2019; "
              "(L0,L1)-smooth convex: Gorbunov et al. 2024, Vankov et al. 2024), not checked by the suite",
    "polyak-level": "Polyak's step with an estimated f*: the level rule's guarantees (Nedic & Bertsekas 2001) are "
                    "for convex f and a positive floor on delta, which this variant does not use",
    "adgd": "AdGD: the guarantees are for convex f, with smoothness near a solution (Malitsky & Mishchenko 2020; "
            "(L0,L1)-smooth convex: Gorbunov et al. 2024), not checked by the suite",
    "l0l1-gd": "the (L0,L1)-GD step: its bounds (Gorbunov et al. 2024; Vankov et al. 2024) need the true (L0, L1); "
               "the suite's constants are sampled lower estimates, so a check would not be a test of the theorem",
    "normalized-gd-decay": "normalized GD with R/sqrt(k+1): the guarantees are for convex f (Vankov et al. 2024), "
                           "not checked by the suite",
}
"""Algorithm -> why no theorem of the suite covers it (the assessment quotes it)."""


def coverage(algorithm: str) -> str:
    """Which theorems cover ``algorithm`` (``"T1, T2, T3, T4"``), or why none does.

    Raises
    ------
    KeyError
        For an algorithm neither covered nor listed in :data:`NOT_COVERED`.

    Examples
    --------
    >>> coverage("armijo")
    'T1, T2, T3, T4'
    >>> coverage("gd")[:40]
    'no theorem of the suite covers gd: a fix'
    """
    covered = theorems_for(algorithm)
    if covered:
        return ", ".join(covered)
    return f"no theorem of the suite covers {algorithm}: {NOT_COVERED[algorithm]}"


def theorems_for(algorithm: str) -> dict[str, ModuleType]:
    """The theorems whose ``APPLIES_TO`` contains ``algorithm``."""
    return {label: module for label, module in THEOREMS.items()
            if algorithm in module.APPLIES_TO}


def check_kind(check: str, algorithm: str) -> str:
    """What a check labelled ``check`` (a key of :data:`CHECKS`) on a run of ``algorithm`` is.

    ``"bound"``, ``"identity"`` or ``"restatement"``, as the theorem module states it
    (``evidence_kind``); see :mod:`theory.evidence`.

    >>> check_kind("T1", "armijo"), check_kind("T3", "armijo"), check_kind("T4", "armijo-increase")
    ('bound', 'restatement', 'identity')
    """
    theorem, constants = CHECKS[check]
    return THEOREMS[theorem].evidence_kind(algorithm, constants)
