"""The battery of critical points with known theta and rate (issue 25): each case's run reaches its
limit within the stated tolerance, theta there is the true one, the rate predicted over the measured
window is the known one (or none where the window straddles a crossover), and no verdict is
"inconsistent" (armijo_suite/battery.py states the cases and the tolerances)."""

import pytest

from armijo_suite.battery import CASES, run


def test_the_battery_covers_every_kind_of_critical_point():
    assert len(CASES) >= 15
    names = " ".join(case.name for case in CASES)
    for word in ("Morse", "homogeneous", "mixed orders", "curved valley", "line of minima", "circle of minima",
                 "near-degenerate", "saddle", "unbounded below"):
        assert word in names
    assert {case.model for case in CASES} == {"logarithmic", "power", None}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case):
    row = run(case)
    assert not row.failures(), row.failures()
