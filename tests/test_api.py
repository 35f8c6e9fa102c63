"""The Python API and the sweeps of function classes (issue 14): conjectures tested per row,
user callables, variable order, bad sweeps refused with one line."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from armijo_suite import CheckInputError, check, sweep
from armijo_suite.cli import main

ROOT = Path(__file__).resolve().parent.parent


def cli_json(capsys, *argv):
    code = main(["check", *argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_monomial_class_agrees_with_its_conjecture(capsys):
    report = cli_json(capsys, "x**(2*p)", "--sweep", "p=2:6", "--x0", "0.9", "--expect", "(2*p-2)/(2*p-1)",
                      "--algorithm", "armijo")
    assert set(report) == {"sweep", "rows", "expect"}
    assert report["sweep"]["parameters"] == ["p"] and [v["p"] for v in report["sweep"]["values"]] == [2, 3, 4, 5, 6]
    assert len(report["rows"]) == 5 and all("algorithms" in row and "function" in row for row in report["rows"])
    expect = report["expect"]
    assert expect["formula"] == "(2*p-2)/(2*p-1)" and expect["algorithm"] == "armijo"
    assert expect["agreements"] == 5 and all(row["agrees"] for row in expect["rows"])
    for row, p in zip(expect["rows"], range(2, 7)):
        assert row["expected"] == pytest.approx((2 * p - 2) / (2 * p - 1))


def test_escape_family_agrees_with_its_conjecture():
    result = sweep("(1 + x**2)**(-a/2)", over={"a": [1, 2, 4]}, x0=[1.0], expect="(a+2)/(a+1)",
                   algorithms=["armijo"], eps_max=3e-2, eps_min=1e-4, max_iter=10**7)
    assert result.expect.agreements == 3, [(r.expected, r.exponent_ci) for r in result.expect.rows]


def test_a_wrong_conjecture_disagrees_on_every_row(capsys):
    report = cli_json(capsys, "x**(2*p)", "--sweep", "p=2,3", "--x0", "0.9", "--expect", "1/2",
                      "--algorithm", "armijo", "--eps-min", "1e-7")
    assert report["expect"]["agreements"] == 0
    assert not any(row["agrees"] for row in report["expect"]["rows"])


def test_registry_family_sweep_and_text(capsys):
    code = main(["check", "--function", "cosh", "--sweep", "s=1,4", "--x0", "1.5", "--algorithm", "armijo",
                 "--eps-min", "1e-6"])
    out = capsys.readouterr().out
    assert code == 0 and out.count("s=") >= 2 and "logarithmic" in out


@pytest.mark.parametrize("argv, message", [
    (["x**(2*p)", "--sweep", "q=2,3", "--x0", "0.9"], "the parameter q (not in the expression)"),
    (["x**(2*p)", "--sweep", "p=5:2", "--x0", "0.9"], "is empty"),
    (["x**(2*p)", "--sweep", "p=1:60", "--x0", "0.9"], "at most 50"),
    (["x**(2*p)", "--sweep", "p=2,3", "--sweep", "q=1:30", "--x0", "0.9"], "at most 50"),
    (["log(x + a)", "--sweep", "a=1,-2", "--x0", "0.5"], "a=-2: f is not finite at the start"),
    (["--function", "cosh", "--sweep", "t=1,2"], "unknown parameter t"),
    (["x**(2*p)", "--sweep", "p=2,3", "--expect", "(2*q)", "--x0", "0.9"], "q is not a swept parameter"),
    (["x**2", "--expect", "1"], "--expect compares a conjecture with the rows of a --sweep"),
    (["x**(2*p)", "--sweep", "p=a,b"], "sweep values are"),
])
def test_bad_sweeps_exit_2_with_one_line(capsys, argv, message):
    code = main(["check", *argv])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and captured.out == "" and len(lines) == 1, captured.err
    assert message in lines[0]


def test_variables_in_natural_order_or_as_declared(capsys):
    report = cli_json(capsys, "x10**2 + 2*x2**2 + x1**2", "--x0", "1,2,3", "--algorithm", "armijo", "--eps-min", "1e-4")
    assert report["function"]["variables"] == ["x1", "x2", "x10"]
    report = cli_json(capsys, "y**2", "--vars", "x,y", "--x0", "3,1", "--algorithm", "armijo", "--eps-min", "1e-4")
    assert report["function"]["variables"] == ["x", "y"]
    assert report["algorithms"][0]["groups"][0]["limit_point"] == [3.0, 0.0]  # f does not move x


def test_dropped_names_are_said(capsys):
    code = main(["check", "0*x + y**2", "--x0", "1", "--algorithm", "armijo", "--eps-min", "1e-4"])
    out = capsys.readouterr().out
    assert code == 0 and "variables (in order): y" in out and "x cancel(s) out" in out


def test_callables_with_declared_tags():
    rng = np.random.default_rng(0)
    t = np.linspace(0.0, 2.0, 20)
    y = 1.5 * np.exp(-0.7 * t) + 0.01 * rng.normal(size=t.size)

    def f(X):
        residual = X[:, :1] * np.exp(-X[:, 1:2] * t) - y
        return 0.5 * np.sum(residual**2, axis=1)

    def grad(X):
        model = np.exp(-X[:, 1:2] * t)
        residual = X[:, :1] * model - y
        return np.column_stack([np.sum(residual * model, axis=1), np.sum(-residual * X[:, :1] * t * model, axis=1)])

    report = check(f=f, grad=grad, x0=[1.0, 1.0], analytic=True, bounded=True, name="decay fit",
                   algorithms=["armijo"], eps_min=1e-7)
    block = report.algorithm("armijo")
    assert report.function.name == "decay fit" and report.function.analytic is True
    assert block.backend == "numpy" and block.model == "logarithmic"  # a nondegenerate least-squares minimum
    assert block.groups[0].limit_kind == "minimum"
    assert json.loads(report.to_json())["algorithms"][0]["model"] == "logarithmic"


@pytest.mark.parametrize("kwargs, message", [
    (dict(f=lambda X: X[:, 0] ** 2), "give grad as well"),
    (dict(f=lambda X: np.sum(X**2, axis=1), grad=lambda X: 2 * X[:, :1]), "f must map"),
    (dict(expression="x**2", analytic=True), "class tags"),
    (dict(expression="x**2", function="cosh"), "exactly one"),
    (dict(expression="x**2", x0=[1.0], box=(0, 1)), "box draws random starts"),
    (dict(expression="x**2", x0=[1.0], eta=0.3, algorithms=["armijo"]), "eta is a parameter of none"),
    (dict(expression="x**2", x0=[1.0], max_iter=10**13), "max_iter must be an integer in"),
    (dict(expression="x**2", x0=[1.0], eps_per_decade=100_000), "eps_per_decade must be an integer in"),
])
def test_api_refuses_bad_input(kwargs, message):
    kwargs.setdefault("x0", [1.0, 2.0])
    with pytest.raises(CheckInputError, match=re.escape(message)):
        check(**kwargs)


def test_readme_api_example_runs():
    """The notebook-style example of the README, run as written."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- api-example -->\s*```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no api-example block"
    namespace = {}
    exec(compile(blocks[0], "README.md (api example)", "exec"), namespace)  # our own README's code
    report = namespace["report"]
    assert report.algorithm("armijo").groups[0].limit_kind in ("minimum", "degenerate minimum")


def test_check_figure_keeps_coinciding_algorithms_apart_and_lines_in_range():
    import matplotlib.pyplot as plt

    from armijo_suite.report import report_figure, sweep_figure
    from experiments.machinery.study import layout_problems

    # armijo and gd coincide on x^6 (the accepted step is eta0 = the fixed step)
    report = check("x**6", x0=[0.9], algorithms=["armijo", "gd"], eps_min=1e-6)
    figure = report_figure(report)
    axes = figure.axes[0]
    data = [line for line in axes.get_lines() if "start(s)" in line.get_label()]
    assert len(data) == 2 and data[0].get_marker() != data[1].get_marker()
    assert data[0].get_linestyle() != data[1].get_linestyle()
    low, high = axes.get_ylim()
    counts = np.concatenate([line.get_ydata() for line in data])
    assert low >= counts.min() / 2 - 1e-9 and high <= counts.max() * 2 + 1e-9  # reference lines clipped
    assert layout_problems(figure) == []
    plt.close(figure)
    result = sweep("x**(2*p)", over={"p": [2, 3]}, x0=[0.9], expect="(2*p-2)/(2*p-1)", algorithms=["armijo"],
                   eps_min=1e-6)
    figure = sweep_figure(result)
    assert layout_problems(figure) == []
    plt.close(figure)


def test_report_files_get_the_users_umask(tmp_path):
    import os

    from experiments.machinery.cases import atomic_write_text

    previous = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "table.csv", "a,b\n1,2\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "table.csv").stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.glob("*.tmp"))


def test_a_narrow_interval_is_printed_with_the_digits_that_show_its_width():
    from armijo_suite.report import _interval_spec

    # four significant digits while they separate the ends, more for a narrow interval
    assert _interval_spec(0.7997, 0.8001) == ".4g"
    low, high = 1.28861, 1.28934  # both "1.289" at four digits
    spec = _interval_spec(low, high)
    assert spec == ".5g" and format(low, spec) != format(high, spec)
    # a zero-width or half-open interval keeps four digits (nothing to separate)
    assert _interval_spec(1.0, 1.0) == ".4g" and _interval_spec(None, 1.0) == ".4g"
    # never more than seven
    assert _interval_spec(1.0, 1.0 + 1e-12) == ".7g"


@pytest.mark.parametrize("algorithm, options", [
    ("adgd", {}), ("polyak", {}), ("polyak-level", {}), ("l0l1-gd", {}), ("l0l1-gd", dict(L0=4.0, L1=3.0)),
    ("normalized-gd-decay", dict(R=3.0)),
])
def test_rivals_check_x4_from_10_on_both_backends(algorithm, options):
    """The issue's acceptance case: ``armijo check "x**4" --x0 10 --algorithm A`` on both backends, identical
    integers (x^4 is exact arithmetic: the pilot run of the estimated (L0, L1) is identical too)."""
    reports = [check("x**4", x0=[10.0], algorithms=[algorithm], backend=backend, eps_min=1e-6, max_iter=300_000,
                     **options) for backend in ("numpy", "compiled")]
    numpy_block, compiled_block = (report.algorithm(algorithm) for report in reports)
    assert numpy_block.backend == "numpy" and compiled_block.backend == "compiled"
    for name in ("status", "iterations_median", "f_evals_median", "grad_evals_median", "params", "verdict"):
        assert getattr(numpy_block, name) == getattr(compiled_block, name), name
    if algorithm == "polyak":
        assert numpy_block.params == {"f_star": 0.0}  # the infimum of the univariate polynomial
    if algorithm == "l0l1-gd" and not options:
        # estimated: the report's (L0, L1) are the ones the run used, said in the reasons
        function = reports[0].function
        assert numpy_block.params["L0"] == function.L0 and numpy_block.params["L1"] == function.L1
        assert any("estimated, not given" in reason for reason in numpy_block.reasons)
    assert numpy_block.verdict == "inconclusive"  # no theorem of the suite covers the rivals
