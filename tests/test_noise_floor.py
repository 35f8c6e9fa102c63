"""The noise-floor battery (tests/noise_battery.py) on both backends: no false ``violated``.

For each of the battery's functions (cancellation or inner rounding in the evaluation of ``f``),
three starts, the default eps grid of ``armijo check``, ``armijo`` and ``armijo-increase``,
compiled as written and in its safer form:

* every start stops ``converged`` or at the named floor (``noise_floor``), and as written, where
  the floor lies inside the grid, the battery does reach it;
* the counts before the stop (first hitting iterations and evaluations there) equal those of the
  same run in 40 digits (:mod:`theory.high_precision`): no decision before the stop was made by
  rounding; and the two backends agree on every threshold both reached;
* no assessment says ``violated``.
"""

import numpy as np
import pytest

pytest.importorskip("numba")

import noise_battery as battery  # noqa: E402

CASES = [text for text, _ in battery.BATTERY]


def test_the_battery_is_what_the_issue_asks():
    assert len(battery.BATTERY) >= 12
    assert all(battery.starts(text).shape[0] >= 3 for text in CASES)
    # the default grid of `armijo check`
    assert battery.EPS[0] == 1e-2 and battery.EPS[-1] == 1e-10 and battery.EPS.size == 33


@pytest.mark.parametrize("text", CASES)
def test_floor_named_counts_exact_and_no_violation(text):
    for algorithm in battery.ALGORITHMS:
        results = {(rewrite, backend): battery.run(text, rewrite, backend, algorithm)
                   for rewrite in (False, True) for backend in battery.BACKENDS}
        for (rewrite, backend), result in results.items():
            assert set(result.status) <= {"converged", "noise_floor"}, (text, algorithm, rewrite, backend, result.status)
        # as written, every battery function has its floor inside the grid
        assert (results[False, "compiled"].status == "noise_floor").any(), (text, algorithm)
        for rewrite in (False, True):
            numpy_run, compiled_run = results[rewrite, "numpy"], results[rewrite, "compiled"]
            both = (numpy_run.eps_hits >= 0) & (compiled_run.eps_hits >= 0)
            assert np.array_equal(numpy_run.eps_hits[both], compiled_run.eps_hits[both]), (text, algorithm, rewrite)
        assert battery.reference_mismatches(text, algorithm, list(results.values())) == [], (text, algorithm)
    # the assessment: as written on both backends (the floor inside the grid), rewritten on the compiled one
    for rewrite, backend in ((False, "numpy"), (False, "compiled"), (True, "compiled")):
        for algorithm, assessment in battery.verdict(text, rewrite, backend).items():
            assert assessment.verdict.verdict != "violated", (text, algorithm, rewrite, backend,
                                                             assessment.verdict.reasons)
