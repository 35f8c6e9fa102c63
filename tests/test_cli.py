"""The ``armijo`` command line: the check report, its JSON contract, every error case."""

import json
import subprocess
import sys

import pytest

from armijo_suite.cli import main

VERDICTS = {"consistent", "violated", "inconclusive"}
MODELS = {"power", "logarithmic", "two-regime", "undetermined"}
FAST = ["--eps-max", "1e-2", "--eps-min", "1e-5", "--max-iter", "200000"]


def run_cli(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_json(capsys, *argv):
    code, out, err = run_cli(capsys, "check", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_contract(report, variables):
    function = report["function"]
    for key in ("name", "expression", "variables", "analytic", "L", "L0", "L1", "lojasiewicz_theta"):
        assert key in function
    assert function["variables"] == variables
    for block in report["algorithms"]:
        for key in ("algorithm", "params", "starts", "status", "eps", "iterations_median", "f_evals_median",
                    "exponent", "exponent_ci", "fit_window", "predicted_max_exponent", "bounds", "verdict",
                    "model", "pre_asymptotic", "iterations_per_decade", "groups"):
            assert key in block, key
        assert block["model"] in MODELS
        assert sum(group["starts"] for group in block["groups"]) == block["starts"]
        for group in block["groups"]:
            for key in ("limit_point", "limit_kind", "limit_value", "starts", "model", "exponent", "exponent_ci",
                        "iterations_per_decade", "theta", "verdict"):
                assert key in group, key
            assert group["model"] in MODELS and group["verdict"] in VERDICTS
        if block["groups"]:  # the top-level fit is that of the largest group
            largest = max(block["groups"], key=lambda group: group["starts"])
            assert (block["model"], block["exponent"], block["exponent_ci"]) == (
                largest["model"], largest["exponent"], largest["exponent_ci"])
        assert block["verdict"] in VERDICTS
        assert len(block["iterations_median"]) == len(block["eps"]) == len(block["f_evals_median"])
        assert sum(block["status"].values()) == block["starts"]
        for bound in block["bounds"]:
            assert set(bound) >= {"theorem", "holds", "max_ratio", "checked", "informative", "vacuous", "kind",
                                  "informative_median_ratio", "informative_max_ratio"}
            assert bound["kind"] in ("bound", "identity", "restatement")
            if not bound["checked"]:  # nothing checked: neither holds nor fails
                assert bound["holds"] is None and bound["max_ratio"] is None and bound["reason"]
                continue
            assert bound["holds"] == (bound["max_ratio"] <= 1 + 1e-12)
            classified = bound["informative"] + bound["vacuous"]
            assert classified == (bound["checked"] if bound["kind"] == "bound" else 0)
            assert (bound["informative_max_ratio"] is None) == (bound["informative"] == 0)


def test_check_one_variable_degenerate_minimum(capsys):
    report = check_json(capsys, "x**4", "--x0", "0.9", *FAST)
    assert_contract(report, ["x"])
    assert report["function"]["analytic"] is True
    assert [b["algorithm"] for b in report["algorithms"]] == ["armijo", "armijo-increase", "gd"]
    armijo_block = report["algorithms"][0]
    assert armijo_block["status"]["converged"] == 1
    assert armijo_block["predicted_max_exponent"] == 1.0
    assert {b["theorem"] for b in armijo_block["bounds"]} >= {"T1", "T2", "T4"}
    assert all(b["holds"] for b in armijo_block["bounds"])
    # armijo on x^4 is asymptotically fixed-step gradient descent: N(eps) ~ eps^(-2/3)
    assert abs(armijo_block["exponent"] - 2 / 3) < 0.05
    assert report["function"]["lojasiewicz_theta"] == pytest.approx(0.75, abs=0.02)


def test_x6_reports_which_checks_could_have_failed(capsys):
    # T1 on x^6 from 0.9: Delta = 0.531, L ~ 19.7 on the sampled set, eta_min = min(0.1, 1/(2 L)) ~ 0.025, so
    # Delta / (lam eta_min eps^2) ~ 4.2e5 already at eps = 1e-2: above a budget of 2e5 iterations, every T1
    # check is vacuous; T3 with tail constants restates the run; T4 of armijo-increase is the telescoped count
    report = check_json(capsys, "x**6", "--x0", "0.9", *FAST)
    assert_contract(report, ["x"])
    armijo, increase = report["algorithms"][0], report["algorithms"][1]
    t1 = {b["theorem"]: b for b in armijo["bounds"]}["T1"]
    assert t1["checked"] > 0 and t1["informative"] == 0 and t1["vacuous"] == t1["checked"] and t1["holds"]
    kinds = {b["theorem"]: b["kind"] for b in increase["bounds"]}
    assert kinds["T3"] == "restatement" and kinds["T4"] == "identity" and kinds["T1"] == "bound"
    code, out, _ = run_cli(capsys, "check", "x**6", "--x0", "0.9", "--algorithm", "armijo", *FAST)
    assert code == 0 and "T1: holds over" in out and "0 informative" in out and "vacuous" in out


def test_check_several_variables_and_starts(capsys):
    report = check_json(capsys, "x**4 + 3*y**2 + x*y", "--starts", "4", "--box", "-2,2", "--seed", "3",
                        "--algorithm", "armijo", "--algorithm", "armijo-dichotomy", *FAST)
    assert_contract(report, ["x", "y"])
    assert [b["starts"] for b in report["algorithms"]] == [4, 4]
    assert report["algorithms"][1]["params"]["f2"] == 1e4


def test_check_registry_entry_with_param(capsys):
    report = check_json(capsys, "--function", "cosh", "--param", "s=2", "--x0", "1.5", *FAST)
    assert report["function"]["name"] == "cosh"
    assert report["function"]["analytic"] is True


def test_check_text_report(capsys):
    code, out, err = run_cli(capsys, "check", "x**4 + 1e-3*x**2", "--x0", "1.2", *FAST)
    assert code == 0, err
    assert "analytic: yes" in out and "bounded iterates: yes" in out
    assert "model: power, exponent" in out and "verdict:" in out and "T1:" in out
    assert "limit points: 1 group(s)" in out and "x* = (0), minimum" in out  # f''(0) = 2e-3: nondegenerate


def test_theta_at_the_limit_point_says_once_how_it_was_obtained(capsys):
    # exact at a nondegenerate minimum (Morse lemma); sampled on spheres at the degenerate minimum of a
    # bivariate quartic, where the method itself says "sampled ... (a lower estimate)", once
    code, out, err = run_cli(capsys, "check", "x**4 + 1e-3*x**2", "--x0", "1.2", *FAST)
    assert code == 0, err
    assert "theta at the limit point: 0.5 (exact: nondegenerate Hessian" in out
    code, out, err = run_cli(capsys, "check", "x**2*y**2 + x**4 + y**4", "--x0=0.8,-0.5", "--algorithm", "gd")
    assert code == 0, err
    line = next(line for line in out.splitlines() if "theta at the limit point" in line)
    assert "(sampled: spheres of radii" in line and line.count("sampled") == 1 and "(a lower estimate)" in line
    assert "exact" not in line


def test_diverging_run_is_reported_not_an_error(capsys):
    report = check_json(capsys, "-x**2", "--x0", "0.5", *FAST)
    for block in report["algorithms"]:
        assert block["status"]["diverged"] == 1
        assert block["verdict"] == "inconclusive"


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")])
def test_plot_file_is_written(capsys, tmp_path, suffix, magic):
    path = tmp_path / f"n_eps{suffix}"
    code, out, err = run_cli(capsys, "check", "x**6", "--x0", "0.9", "--plot", str(path), *FAST)
    assert code == 0, err
    assert path.read_bytes().startswith(magic)


@pytest.mark.parametrize("argv, message", [
    (["x**"], "syntax"),
    (["x +* 2"], "syntax"),
    (["__import__('os').system('touch {marker}')"], "__import__"),
    (["().__class__"], ""),
    (["lambda: 0"], "lambda"),
    (["x.real"], "attribute"),
    (["--function", "no-such-function"], "no-such-function"),
    (["x**2 + y**2", "--x0", "1"], "--x0 has 1 value(s) but the function has 2 variable(s)"),
    (["log(x)", "--x0", "-1"], "not finite at the start"),
    (["x**2", "--x0", "1", "--lam", "1.5"], "lam must be in (0, 1)"),
    (["x**2", "--x0", "1", "--eta0", "-1"], "eta0 must be in (0, inf)"),
    (["x**2", "--x0", "1", "--eps-min", "1", "--eps-max", "1e-3"], "--eps-min (1) must be below --eps-max"),
    (["x**2", "--x0", "1", "--algorithm", "newton"], "unknown algorithm 'newton'"),
    (["x**2", "--x0", "abc"], "--x0 takes comma-separated numbers"),
    (["x**2", "--plot", "/no/such/folder/a.png"], "does not exist"),
    (["x**2", "--frobnicate"], "unrecognized arguments"),
    ([], "give an expression"),
])
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, argv, message):
    marker = tmp_path / "pwned"
    argv = [a.replace("{marker}", str(marker)) for a in argv]
    code, out, err = run_cli(capsys, "check", *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("armijo: error:")
    assert message.lower() in lines[0].lower()
    assert not marker.exists()


def test_console_script_end_to_end(tmp_path):
    marker = tmp_path / "created"
    completed = subprocess.run([sys.executable, "-m", "armijo_suite.cli", "check",
                                f"__import__('os').system('touch {marker}')"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert not marker.exists()
    completed = subprocess.run([sys.executable, "-m", "armijo_suite.cli", "check", "x**2 + y**4",
                                "--x0=-1,0.5", "--json", *FAST], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["function"]["variables"] == ["x", "y"]


def test_functions_listing(capsys):
    code, out, err = run_cli(capsys, "functions", "--json")
    assert code == 0, err
    names = {row["name"] for row in json.loads(out)}
    assert {"monomial", "rosenbrock", "cosh", "escape", "poly-two", "poly-three", "poly-four", "poly-five",
            "poly-eight", "cgt", "flat-exp", "mexican-hat", "logistic", "mlp-tanh", "mlp-relu"} <= names
    code, out, err = run_cli(capsys, "functions")
    assert code == 0 and "poly-two" in out


@pytest.mark.parametrize("argv", [
    ["x", "--x0", "1"],                                         # affine: (L0, L1) = (0, 0), unbounded below
    ["abs(x)", "--x0", "1"],                                    # piecewise linear
    ["x**2", "--x0", "1", "--eps-max", "1e100", "--eps-min", "1e-100"],
])
def test_unusual_functions_and_ranges_are_reported_not_crashed(capsys, argv):
    code, out, err = run_cli(capsys, "check", *argv, "--max-iter", "20000", "--json")
    assert code == 0, err
    for block in json.loads(out)["algorithms"]:
        assert block["verdict"] in VERDICTS


@pytest.mark.parametrize("argv, message", [
    (["x**2", "--seed", "-1"], "--seed must be an integer >= 0"),
    (["x**2", "--eps-max", "inf"], "finite and > 0"),
    (["x**2", "--eps-max", "1e300", "--eps-min", "1e-300"], "must lie in [1e-150, 1e+150]"),
])
def test_more_bad_input(capsys, argv, message):
    code, out, err = run_cli(capsys, "check", *argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_a_diverging_baseline_does_not_switch_off_t3_for_armijo(capsys):
    # gd diverges on poly-five from these starts; the boundedness of armijo's iterates is its own
    report = check_json(capsys, "--function", "poly-five", "--starts", "3", "--eps-min", "1e-4",
                        "--max-iter", "20000")
    blocks = {b["algorithm"]: b for b in report["algorithms"]}
    assert blocks["gd"]["status"]["diverged"] > 0
    assert blocks["armijo"]["predicted_max_exponent"] == 1.0
    assert "T3" in {b["theorem"] for b in blocks["armijo"]["bounds"]}
    # the diverged gd endpoints (|x| ~ 1e95) do not blow up the sampled box: most samples land in it
    sampled = report["function"]["constants_sampled_on"]
    assert int(sampled.split()[0]) > 1000, sampled
    assert "e+9" not in sampled


@pytest.mark.parametrize("argv, message", [
    (["x**2", "--eps-per-decade", "100000"], "--eps-per-decade must be an integer in [1, 100]"),
    (["--function", "logistic", "--param", "samples=100000000"], "samples must be <= 10000"),
    (["--function", "mlp-tanh", "--param", "hidden=100000"], "hidden must be <= 256"),
    (["x**2", "--max-iter", "99999999999999999999"], "--max-iter must be an integer in [1, 1e+12]"),
    (["x**2", "--starts", "1000000"], "--starts must be an integer in [1, 10000]"),
    (["nan*x**2"], "the name 'nan' (reads as a number"),
    (["\uff58**2"], "FULLWIDTH LATIN SMALL LETTER X"),
    (["x**2", "--x0", "1", "--box=-1,1"], "--box draws random starts"),
    (["x**2", "--x0", "1", "--eta", "0.2", "--algorithm", "armijo"], "--eta is a parameter of none"),
    (["x**2", "--x0", "1", "--f2", "3", "--algorithm", "armijo", "--algorithm", "gd"], "--f2 is a parameter of none"),
])
def test_sizes_names_and_ignored_options_are_refused_quickly(capsys, argv, message):
    import time

    started = time.perf_counter()
    code, out, err = run_cli(capsys, "check", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert message in err
    assert time.perf_counter() - started < 10  # answered, not run (well under a second once imported)


def test_unchecked_bounds_say_why(capsys):
    code, out, err = run_cli(capsys, "check", "x**4 - x**3", "--x0=-0.5", "--algorithm", "armijo", *FAST)
    assert code == 0, err
    assert "T3-point: not checked: the limit points are degenerate saddle" in out
    assert "not checked (no count where it applies)" not in out


def test_the_report_says_where_the_starts_come_from(capsys):
    code, out, err = run_cli(capsys, "check", "x**2 + y**2", "--starts", "3", "--algorithm", "armijo", *FAST)
    assert code == 0 and "starts: 3 uniform in [-2, 2]^2" in out


def test_sampled_region_covers_the_visited_iterates():
    from armijo_suite import check

    report = check("(1-x)**2 + 100*(y-x**2)**2", x0=[-1.2, 1.0], algorithms=["armijo"], eps_min=1e-5)
    sampled = report.function.constants_sampled_on
    low, high = (tuple(float(v) for v in part.strip("()").split(","))
                 for part in sampled.split("box [")[1].split("] around")[0].split("), ("))
    # Rosenbrock's iterates from (-1.2, 1) dip to y ~ -0.01 and climb to y ~ 1.07 before (1, 1)
    assert low[1] < -0.01 and high[1] > 1.07, sampled


@pytest.mark.parametrize("argv, message", [
    (["exp(x) + y**2", "--x0", "1,1", "--algorithm", "polyak"], "polyak needs --f-star (the optimal value"),
    (["x**4", "--x0", "10", "--algorithm", "polyak", "--f-star", "inf"], "--f-star must be in [-1e+150, 1e+150]"),
    (["--function", "poly-two", "--algorithm", "polyak", "--f-star", "1"], "poly-two's inf f is known (0)"),
    (["x**4", "--x0", "10", "--algorithm", "l0l1-gd", "--L0", "4"], "l0l1-gd takes --L0 and --L1 (together)"),
    (["x**4", "--x0", "10", "--algorithm", "l0l1-gd", "--L0", "0", "--L1", "0"], "L0 + L1 > 0"),
    (["x**4", "--x0", "10", "--algorithm", "l0l1-gd", "--L0", "-1", "--L1", "3"], "--L0 must be in [0, 1e+150]"),
    (["x**4", "--x0", "10", "--algorithm", "l0l1-gd", "--eta", "-1"], "--eta must be in (0, inf)"),
    (["--function", "mlp-tanh", "--param", "hidden=32", "--algorithm", "l0l1-gd"],
     "l0l1-gd needs --L0 and --L1 (they cannot be estimated here: dimension 129 > 64)"),
    (["x**4", "--x0", "10", "--algorithm", "normalized-gd-decay"], "normalized-gd-decay needs --R (the scale"),
    (["x**4", "--x0", "10", "--algorithm", "normalized-gd-decay", "--R", "0"], "--R must be in (0, 1e+150]"),
    (["x**4", "--x0", "10", "--algorithm", "adgd", "--R", "1"], "--R is a parameter of none"),
    (["x**4", "--x0", "10", "--algorithm", "gd", "--L0", "1", "--L1", "1"], "--L0 and --L1 are parameters of none"),
    (["x**4", "--x0", "10", "--algorithm", "adgd", "--algorithm", "adgd"], "algorithm adgd is given twice"),
])
def test_rivals_bad_input_exits_2_before_any_run(capsys, monkeypatch, argv, message):
    """polyak without f*, l0l1-gd without (L0, L1) where they cannot be estimated, R missing, constants out of
    range: exit 2 with one line, and no run was started (run_minimize is replaced by a tripwire)."""
    import armijo_suite.api

    def tripwire(*args, **kwargs):
        raise AssertionError("a run started before the input was validated")

    monkeypatch.setattr(armijo_suite.api, "run_minimize", tripwire)
    code, out, err = run_cli(capsys, "check", *argv)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert message in err, err


def test_algorithms_listing_shows_the_rivals_and_their_required_constants(capsys):
    code, out, err = run_cli(capsys, "algorithms", "--json")
    assert code == 0, err
    rows = {row["algorithm"]: row for row in json.loads(out)}
    assert rows["polyak"]["required"] == ["f_star"] and rows["l0l1-gd"]["required"] == ["L0", "L1"]
    assert rows["normalized-gd-decay"]["required"] == ["R"] and rows["adgd"]["defaults"] == {"eta0": 1e-6}
    assert "Malitsky" in rows["adgd"]["reference"]
    code, out, err = run_cli(capsys, "algorithms")
    assert code == 0 and "f_star=(required)" in out
