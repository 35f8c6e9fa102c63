"""Registry of the theorem modules: code loops over :data:`THEOREMS`, never over names.

Each module exposes ``APPLIES_TO`` (algorithm names), ``HYPOTHESES`` (text), a bound
function (``iteration_bound`` or ``f_evals_bound``) and ``sympy_form``.
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


def theorems_for(algorithm: str) -> dict[str, ModuleType]:
    """The theorems whose ``APPLIES_TO`` contains ``algorithm``."""
    return {label: module for label, module in THEOREMS.items()
            if algorithm in module.APPLIES_TO}
