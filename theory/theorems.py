"""Registry of the theorem modules: code loops over :data:`THEOREMS`, never over names.

Each module exposes ``APPLIES_TO`` (algorithm names), ``HYPOTHESES`` (text), a bound
function (``iteration_bound`` or ``f_evals_bound``), ``sympy_form`` and
``evidence_kind(variant, constants)``: what a check of its bound is (:mod:`theory.evidence`).
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


def theorems_for(algorithm: str) -> dict[str, ModuleType]:
    """The theorems whose ``APPLIES_TO`` contains ``algorithm``."""
    return {label: module for label, module in THEOREMS.items()
            if algorithm in module.APPLIES_TO}


def check_kind(check: str, algorithm: str) -> str:
    """What a check labelled ``check`` (a key of :data:`CHECKS`) on a run of ``algorithm`` is.

    ``"bound"``, ``"identity"`` or ``"restatement"``, as the theorem module states it
    (``evidence_kind``); see :mod:`theory.evidence`.
    """
    theorem, constants = CHECKS[check]
    return THEOREMS[theorem].evidence_kind(algorithm, constants)
