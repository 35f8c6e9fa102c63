"""The theorem registry is what the assessment uses: one hook per module, no branch on a name; classes are typed tags.

A theorem added as one module and one line of the registry is checked on a run without any
change to the assessment; a function tagged ``NOT_C1`` gets no theorem, whatever its free text says.
"""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import functions
from armijo import minimize
from armijo.thresholds import eps_grid
from functions.objective import Differentiability
from theory import theorems
from theory.assessment import assess_run, estimate_hypotheses
from theory.hook import CheckedBound, RunFacts, TheoremChecks

ROOT = Path(__file__).resolve().parent.parent


def _run(objective, starts, algorithm="armijo"):
    result = minimize(objective.f, objective.grad, starts, algorithm, eps=eps_grid(1e-1, 1e-4, 2),
                      max_iter=5_000, trace=True)
    return result, estimate_hypotheses(objective, starts, [result], seed=0)


def test_every_theorem_module_exposes_the_hook():
    for label, module in theorems.THEOREMS.items():
        for name in ("APPLIES_TO", "evidence_kind", "checks", "why_unchecked", "sympy_form"):
            assert hasattr(module, name), (label, name)
    # every check label a module can produce is in CHECKS, with its theorem
    assert {theorem for theorem, _ in theorems.CHECKS.values()} == set(theorems.THEOREMS)


def test_assess_run_names_no_theorem():
    """No string literal of the assessment is a theorem or check label (it loops over the registry)."""
    tree = ast.parse((ROOT / "theory" / "assessment.py").read_text())
    labels = set(theorems.CHECKS) | set(theorems.THEOREMS)
    literals = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not literals & labels, literals & labels


class _Counted:
    """A toy theorem: N(eps) <= 1e9 (never violated), and a second one that every count violates."""

    APPLIES_TO = ("armijo",)

    def __init__(self, value, exponent):
        self.value, self.exponent = value, exponent

    def evidence_kind(self, variant, constants="sampled"):
        return "bound"

    def checks(self, run: RunFacts) -> TheoremChecks:
        hits = run.result.eps_hits
        return TheoremChecks(bounds=(CheckedBound(check="T9", measured=hits, bound=np.full(hits.shape, self.value),
                                                  budget=run.result.max_iter),),
                             predicted_exponent=self.exponent)

    def why_unchecked(self, check, run):
        return None

    def sympy_form(self, variant="armijo"):
        return None


@pytest.mark.parametrize("value, verdict", [(1e9, None), (0.5, "violated")])
def test_a_theorem_added_to_the_registry_is_checked_without_touching_the_assessment(monkeypatch, value, verdict):
    objective = functions.get("monomial", p=1)  # x^2: every threshold reached in a few iterations
    starts = np.array([[1.0], [-0.7]])
    result, hypotheses = _run(objective, starts)
    monkeypatch.setitem(theorems.THEOREMS, "T9", _Counted(value, 0.25))
    monkeypatch.setitem(theorems.CHECKS, "T9", ("T9", "sampled"))
    assessment = assess_run(objective, result, hypotheses)
    check = {c.theorem: c for c in assessment.checks}["T9"]
    assert check.n_checked > 0 and check.holds == (verdict is None)
    assert "T9" in assessment.bounds and list(assessment.bounds)[-1] == "T9"  # registry order
    assert assessment.predicted_exponent == 0.25  # the smallest exponent any applicable theorem allows
    if verdict:
        assert assessment.verdict.verdict == verdict
    else:
        assert assessment.verdict.verdict != "violated"


def test_registry_tags_match_their_text():
    """The typed tag and the displayed text say the same class on every registry entry."""
    for name in functions.registry.FAMILIES:
        objective = functions.get(name)
        tag, text = objective.differentiability, objective.smoothness
        assert isinstance(tag, Differentiability), name
        assert (tag is Differentiability.NOT_C1) == ("not C^1" in text), (name, tag, text)
        assert (tag is Differentiability.ANALYTIC) == bool(objective.analytic), (name, tag)
        assert tag is not Differentiability.UNKNOWN, name


def test_the_tag_decides_not_the_text():
    """x^2 tagged NOT_C1 gets no theorem; x^2 whose free text says "not C^1" but tagged C1 keeps them."""
    objective = functions.get("monomial", p=1)
    starts = np.array([[1.0], [-0.7]])
    result, hypotheses = _run(objective, starts)
    kinked = dataclasses.replace(objective, differentiability=Differentiability.NOT_C1)
    none = assess_run(kinked, result, hypotheses)
    assert none.bounds == {} and "is not C^1: no theorem of the suite applies" in none.verdict.reasons[0]
    worded = dataclasses.replace(objective, smoothness="not C^1 (only words)", differentiability=Differentiability.C1)
    some = assess_run(worded, result, hypotheses)
    assert {"T1", "T2", "T4"} <= set(some.bounds)
    assert Differentiability.UNKNOWN.has_gradient and not Differentiability.NOT_C1.has_gradient
