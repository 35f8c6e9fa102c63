"""A battery of critical points with known Lojasiewicz exponent and rate, each with the run that reaches it.

Every case is one ``armijo check`` (``armijo`` with the reference defaults, compiled backend) from
a stated start: the limit point found must lie within the case's tolerance of the true limit (or
of where the iterates end, on a set of minima), the exponent ``theta`` at it within
:data:`THETA_TOL` of the true one (exactly where the method is exact), the prediction over the
fit window must be the known model and exponent (within :data:`EXPONENT_TOL`, or no prediction
where the window straddles a crossover), and the verdict must not be ``inconsistent``.

The cases cover isolated nondegenerate points (Morse), degenerate homogeneous points, mixed
orders, curved valleys of several orders, lines and circles of minima with quadratic and quartic
normal growth, near-degenerate minima whose crossover to the asymptotic regime lies outside and
inside the measured range, saddles, and functions unbounded below.

``tests/test_battery.py`` runs every case at its own thresholds (about 15 s on the compiled backend);
``python -m armijo_suite.battery`` (``make battery``) prints the table, and ``--deep`` (``make battery
DEEP=1``) runs every case to thresholds :data:`DEEP_FACTOR` times smaller.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace

import numpy as np

THETA_TOL = 0.03
"""Largest distance between the estimated and the true theta (exact methods: 1e-9)."""

EXPONENT_TOL = 0.03
"""Largest distance between the predicted (over the fit window) and the known exponent."""

@dataclass(frozen=True)
class Case:
    """One critical point and the run that reaches it.

    ``limit``: the true limit (None: where the iterates end, for a point of a set of minima whose
    position along the set depends on the run); ``limit_tol``: distance allowed; ``theta``: the
    true Lojasiewicz exponent at the limit (on the side ``f > f(x*)``); ``model``, ``exponent``:
    the rate over the measured window (``None``: the window straddles a crossover, no single rate);
    ``kind``: a word the limit's kind must contain; ``bounded_below``: the expected answer.
    """

    name: str
    expression: str
    x0: tuple
    eps_min: float
    limit: tuple | None
    limit_tol: float
    theta: float
    model: str | None
    exponent: float
    kind: str
    bounded_below: bool | None = True
    note: str = ""


CASES = (
    Case("Morse minimum", "x**2 + 3*y**2", (0.8, -0.6), 1e-8, (0.0, 0.0), 1e-8, 0.5, "logarithmic", 0.0, "minimum"),
    Case("Morse saddle (stable manifold)", "x**2 - y**2", (0.7, 0.0), 1e-8, (0.0, 0.0), 1e-8, 0.5, "logarithmic", 0.0,
         "saddle", False),
    Case("homogeneous quartic", "x**4 + x**2*y**2 + y**4", (0.9, 0.5), 1e-8, (0.0, 0.0), 1e-3, 0.75, "power", 2 / 3,
         "degenerate minimum"),
    Case("homogeneous sextic", "x**6 + x**2*y**4 + y**6", (0.8, 0.5), 1e-6, (0.0, 0.0), 1e-2, 5 / 6, "power", 0.8,
         "degenerate minimum"),
    Case("mixed orders 4, 2", "x**4 + y**2", (0.8, 0.6), 1e-8, (0.0, 0.0), 1e-3, 0.75, "power", 2 / 3,
         "degenerate minimum"),
    Case("mixed orders 4, 6", "x**4 + y**6", (0.5, 0.5), 1e-6, (0.0, 0.0), 1e-2, 5 / 6, "power", 0.8,
         "degenerate minimum"),
    Case("curved valley y = x^2, order 4", "(y - x**2)**2 + x**4", (0.9, 0.5), 1e-8, (0.0, 0.0), 1e-3, 0.75, "power",
         2 / 3, "degenerate minimum"),
    Case("curved valley y = x^2, order 6", "(y - x**2)**2 + x**6", (0.9, 0.5), 1e-6, (0.0, 0.0), 1e-2, 5 / 6, "power",
         0.8, "degenerate minimum"),
    Case("cubic valley y = x^3, order 4", "(y - x**3)**2 + x**4", (0.8, -0.3), 1e-8, (0.0, 0.0), 1e-3, 0.75, "power",
         2 / 3, "degenerate minimum"),
    Case("straight valley x = y, order 4", "x**4 + 10*(x - y)**2", (0.9, 0.1), 1e-8, (0.0, 0.0), 1e-3, 0.75, "power",
         2 / 3, "degenerate minimum"),
    Case("line of minima, quadratic normal growth", "(x - y)**2", (1.0, 0.0), 1e-8, (0.5, 0.5), 1e-8, 0.5,
         "logarithmic", 0.0, "non-isolated minimum (curve)"),
    Case("line of minima, quartic normal growth", "(x - y)**4", (1.0, 0.0), 1e-8, (0.5, 0.5), 1e-3, 0.75, "power",
         2 / 3, "non-isolated minimum (curve)"),
    Case("lines of minima (x y)^4 away from their crossing", "(x*y)**4", (1.0, 0.5), 1e-8, None, 1e-2, 0.75, "power",
         2 / 3, "non-isolated minimum (curve)"),
    Case("circle of minima, quadratic normal growth", "(x**2 + y**2 - 1)**2", (0.3, 0.2), 1e-8,
         (0.3 / np.hypot(0.3, 0.2), 0.2 / np.hypot(0.3, 0.2)), 1e-6, 0.5, "logarithmic", 0.0,
         "non-isolated minimum (curve)"),
    Case("circle of minima, quartic normal growth", "(x**2 + y**2 - 1)**4", (0.3, 0.2), 1e-6,
         (0.3 / np.hypot(0.3, 0.2), 0.2 / np.hypot(0.3, 0.2)), 1e-2, 0.75, "power", 2 / 3,
         "non-isolated minimum (curve)"),
    Case("near-degenerate, crossover below the window", "x**4 + 1e-7*x**2", (0.9,), 1e-6, (0.0,), 1e-8, 0.5, "power",
         2 / 3, "minimum", note="asymptotically logarithmic below ||g|| ~ 1e-11; x^4 rules the window"),
    Case("near-degenerate 2-D, crossover below the window", "x**4 + 1e-7*x**2 + y**2", (0.9, 0.5), 1e-6, (0.0, 0.0),
         1e-8, 0.5, "power", 2 / 3, "minimum", note="as above, with a stiff second variable"),
    Case("near-degenerate, crossover above the window", "x**4 + 1e-3*x**2", (0.9,), 1e-8, (0.0,), 1e-8, 0.5,
         "logarithmic", 0.0, "minimum", note="x^2 rules below ||g|| ~ 1e-4: the window is linear convergence"),
    Case("near-degenerate, crossover inside the window", "x**4 + 1e-5*x**2", (0.9,), 1e-9, (0.0,), 1e-8, 0.5, None,
         np.nan, "minimum", note="the crossover near ||g|| ~ 1e-7 lies in the measured range"),
    Case("degenerate saddle from the left", "x**4 - x**3", (-0.5,), 1e-8, (0.0,), 1e-3, 2 / 3, "power", 0.5,
         "degenerate saddle"),
    Case("inflection, unbounded below", "x**3", (0.5,), 1e-8, (0.0,), 1e-3, 2 / 3, "power", 0.5, "degenerate saddle",
         False),
    Case("degenerate saddle, unbounded below", "x**2 - y**4", (0.7, 0.0), 1e-8, (0.0, 0.0), 1e-8, 0.5, "logarithmic",
         0.0, "degenerate saddle", False, note="reached along y = 0, where f > f(x*): theta 1/2 on that side"),
)


@dataclass(frozen=True)
class Row:
    """What the battery measured on one case."""

    case: Case
    limit: tuple | None
    limit_error: float
    kind: str
    theta: float | None
    theta_method: str | None
    exact: bool | None
    predicted_model: str | None
    predicted_exponent: float | None
    prediction_reason: str | None
    fit_model: str
    fit_exponent: float | None
    agreement: bool | None
    verdict: str
    bounded_below: bool | None
    last_iterate: tuple

    def failures(self):
        """What the case asks that the row does not give (empty: the case passes)."""
        case, problems = self.case, []
        if self.limit is None:
            problems.append(f"no verified limit ({self.kind})")
        elif not self.limit_error <= case.limit_tol:
            problems.append(f"limit {self.limit} is {self.limit_error:.3g} from the truth (tolerance {case.limit_tol:g})")
        if case.kind not in self.kind:
            problems.append(f"kind {self.kind!r}, expected {case.kind!r}")
        tolerance = 1e-9 if self.exact else THETA_TOL
        if self.theta is None or not abs(self.theta - case.theta) <= tolerance:
            problems.append(f"theta {self.theta} ({self.theta_method}), true {case.theta:.4g}")
        if case.model is None:
            if self.predicted_model is not None:
                problems.append(f"predicted {self.predicted_model} over a window that straddles the crossover")
        elif self.predicted_model != case.model or (
                case.model == "power" and not abs(self.predicted_exponent - case.exponent) <= EXPONENT_TOL):
            problems.append(f"predicted {self.predicted_model} {self.predicted_exponent} over the window, "
                            f"expected {case.model} {case.exponent:.4g} ({self.prediction_reason})")
        if self.verdict == "inconsistent":
            problems.append("verdict inconsistent")
        if case.bounded_below is not None and self.bounded_below is not case.bounded_below:
            problems.append(f"bounded below {self.bounded_below}, expected {case.bounded_below}")
        return problems


def run(case):
    """The :class:`Row` of ``case``.

    The path of :func:`armijo_suite.check` (compiled backend where available, the default budget),
    keeping the run's last iterate: on a set of minima the truth is where the iterates end.
    """
    import functions
    from armijo.backend import backend_choice, run_minimize
    from armijo.thresholds import eps_grid
    from theory.assessment import assess_run, estimate_hypotheses

    from armijo_suite.limits import DEFAULT_MAX_ITER
    from armijo_suite.report import algorithm_report

    objective = functions.from_expression(case.expression)
    backend = backend_choice(objective, "auto").backend
    starts = np.array([case.x0], dtype=float)
    eps = eps_grid(1e-2, case.eps_min, 4)
    result = run_minimize(objective, starts, "armijo", backend=backend, eps=eps, max_iter=DEFAULT_MAX_ITER[backend],
                          trace=True)
    hypotheses = estimate_hypotheses(objective, starts, [result])
    group = algorithm_report(result, assess_run(objective, result, hypotheses)).groups[0]
    x_last = tuple(float(v) for v in result.x[0])
    truth = np.array(case.limit if case.limit is not None else x_last)
    error = float(np.linalg.norm(np.array(group.limit_point) - truth)) if group.limit_point else np.inf
    window = group.predicted_in_window
    return Row(case=case, limit=group.limit_point, limit_error=error, kind=group.limit_kind, theta=group.theta_point,
               theta_method=group.theta_method, exact=group.theta_point_exact,
               predicted_model=None if window is None else window["model"],
               predicted_exponent=None if window is None else window["exponent"],
               prediction_reason=group.prediction_reason, fit_model=group.model, fit_exponent=group.exponent,
               agreement=group.agreement, verdict=group.verdict, bounded_below=hypotheses.bounded_below,
               last_iterate=x_last)


def table(rows):
    """The battery as a Markdown table."""
    lines = ["| case | function | true theta | estimated theta | method | limit error | predicted over the "
             "window | fit | verdict |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        case = row.case
        predicted = ("none (straddles a crossover)" if row.predicted_model is None else
                     "logarithmic" if row.predicted_model == "logarithmic" else f"power {row.predicted_exponent:.4f}")
        fit = ("logarithmic" if row.fit_model == "logarithmic" else
               f"{row.fit_model} {row.fit_exponent:.4f}" if row.fit_exponent is not None else row.fit_model)
        theta = "-" if row.theta is None else f"{row.theta:.4f}"
        status = "" if not row.failures() else " FAILS: " + "; ".join(row.failures())
        lines.append(f"| {case.name} | `{case.expression}` | {case.theta:.4f} | {theta} | {row.theta_method} | "
                     f"{row.limit_error:.2g} | {predicted} | {fit} | {row.verdict}{status} |")
    return "\n".join(lines)


DEEP_FACTOR = 100.0
"""``--deep``: every case's smallest threshold divided by this (longer runs, deeper windows)."""


def main(argv=None):
    """Print the battery's table (``--deep``: thresholds :data:`DEEP_FACTOR` times smaller); exit 1 if a
    case fails."""
    argv = sys.argv[1:] if argv is None else list(argv)
    deep = "--deep" in argv
    rows = [run(replace(case, eps_min=case.eps_min / DEEP_FACTOR) if deep else case) for case in CASES]
    print(table(rows))
    return 1 if any(row.failures() for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
