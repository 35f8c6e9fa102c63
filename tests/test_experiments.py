"""Every experiment through the quick grid, as `make experiments QUICK=1` runs it."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.machinery.cases import Case, TABLE_COLUMNS
from experiments.machinery.run import run_pieces
from experiments.machinery.report import EXPERIMENTS

ROOT = Path(__file__).resolve().parent.parent
QUICK = ROOT / "cache" / "quick"


@pytest.fixture(scope="module")
def quick_run():
    """`make experiments QUICK=1` from the Makefile, twice: the second call must do no work."""
    first = subprocess.run(["make", "-s", "experiments", "QUICK=1", "JOBS=2"], cwd=ROOT,
                           capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    second = subprocess.run(["make", "experiments", "QUICK=1", "JOBS=2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    return first, second


def test_makefile_and_report_list_the_same_experiments():
    makefile = (ROOT / "Makefile").read_text()
    listed = re.search(r"^EXPERIMENTS := (.*)$", makefile, re.M).group(1).split()
    assert tuple(listed) == EXPERIMENTS
    for name in EXPERIMENTS:
        assert (ROOT / "experiments" / f"{name}.py").exists()


def test_quick_experiments_produce_tables_figures_and_report(quick_run):
    for name in EXPERIMENTS:
        table = pd.read_csv(QUICK / name / "table.csv")
        assert len(table) > 0, name
        if name != "bounds":
            assert list(table.columns[:len(TABLE_COLUMNS)]) == list(TABLE_COLUMNS), name
        meta = json.loads((QUICK / name / "meta.json").read_text())
        for key in ("commit", "dirty", "versions", "parameters", "wall_seconds", "code_fingerprint"):
            assert key in meta, (name, key)
        for extension in ("png", "pdf", "json"):
            assert (QUICK / "figures" / f"{name}.{extension}").stat().st_size > 0, (name, extension)
        assert (QUICK / "figures" / f"{name}.png").read_bytes().startswith(b"\x89PNG")
    report = (QUICK / "figures" / "REPORT.md").read_text()
    for name in EXPERIMENTS:
        assert f"({name}.png)" in report
    assert "| verdict |" in report


def test_second_make_call_does_no_work(quick_run):
    _, second = quick_run
    assert "Nothing to be done" in second.stdout or "is up to date" in second.stdout, second.stdout


def _square_piece(case):
    import numpy as np
    return pd.DataFrame({"experiment": case.experiment, "function": case.function, "start": [0],
                         "value": [float(np.square(case.seed))]})


def test_interrupted_run_resumes_without_recomputing(tmp_path):
    cases = [Case(experiment="resume", function="monomial", seed=s) for s in range(4)]
    run_pieces("resume", cases[:2], _square_piece, tmp_path, jobs=1, progress=False)
    table = run_pieces("resume", cases, _square_piece, tmp_path, jobs=1, progress=False)
    meta = json.loads((tmp_path / "resume" / "meta.json").read_text())
    assert meta["pieces_computed_now"] == 2
    assert table["value"].tolist() == [0.0, 1.0, 4.0, 9.0]
    again = run_pieces("resume", cases, _square_piece, tmp_path, jobs=2, progress=False)
    assert json.loads((tmp_path / "resume" / "meta.json").read_text())["pieces_computed_now"] == 0
    assert again.equals(table)


def test_every_experiment_module_runs_on_its_own():
    completed = subprocess.run([sys.executable, "-m", "experiments.monomials", "--help"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and "--quick" in completed.stdout


def test_metadata_is_written_before_the_table(tmp_path):
    # the table is the Makefile's target: it must never be newer-than-complete provenance
    run_pieces("order", [Case(experiment="order", function="monomial", seed=1)], _square_piece, tmp_path, jobs=1,
               progress=False)
    folder = tmp_path / "order"
    assert (folder / "meta.json").stat().st_mtime_ns <= (folder / "table.csv").stat().st_mtime_ns
    assert not list(folder.glob("*.tmp"))


def test_quick_figures_have_text_inside_and_legends_off_the_data(quick_run, monkeypatch):
    """Every experiment's figure, redrawn from its quick table: a referee's layout checks."""
    import importlib

    from experiments.machinery import study as experiment

    problems = {}
    for name in EXPERIMENTS:
        module = importlib.import_module(f"experiments.{name}")
        monkeypatch.setattr(module, "save_figure",
                            lambda figure, figures, figure_name: problems.setdefault(
                                figure_name, experiment.layout_problems(figure)))
        module.plot(pd.read_csv(QUICK / name / "table.csv"), QUICK / "figures")
    assert set(EXPERIMENTS) <= set(problems)  # every study drew its figure; a study may draw more, named after it
    assert all(name.split("-")[0] in EXPERIMENTS for name in problems)
    assert not any(problems.values()), problems


def test_layout_check_finds_what_it_should():
    """The checker itself: a legend on the data and a label off the canvas are flagged."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.machinery.study import layout_problems

    figure, axes = plt.subplots(figsize=(3, 2))
    axes.plot([0, 0.5, 1], [0, 0.5, 1], "o-", label="data")
    axes.legend(loc="center", bbox_to_anchor=(0.5, 0.5))
    axes.set_xlabel("x" * 200)
    problems = layout_problems(figure)
    plt.close(figure)
    assert any("leaves the canvas" in p for p in problems)
    assert any("legend" in p and "covers" in p for p in problems)


def test_layout_check_flags_text_too_small_at_printed_size():
    """No text under MIN_TEXT_POINTS once the figure is scaled to PRINT_WIDTH_INCHES: 6 pt on a figure twice
    the printed width prints at 3 pt and is flagged; 6 pt on a figure of the printed width is not; 13 pt on the
    wide figure prints at 6.5 pt and passes. Figure legends count too."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from experiments.machinery.study import MIN_TEXT_POINTS, PRINT_WIDTH_INCHES, layout_problems, printed_points

    assert MIN_TEXT_POINTS == 6.0 and PRINT_WIDTH_INCHES == 10.0

    def problems_of(width, fontsize, legend=False):
        figure, axes = plt.subplots(figsize=(width, 3))
        axes.plot([0, 1], [0, 1], label="curve")
        axes.tick_params(labelsize=13)
        axes.set_title("title", fontsize=13)
        if legend:
            figure.legend(fontsize=fontsize, loc="lower right", frameon=False)
        else:
            axes.set_xlabel("x label", fontsize=fontsize)
        assert printed_points(figure, fontsize) == pytest.approx(fontsize * min(1.0, PRINT_WIDTH_INCHES / width))
        found = layout_problems(figure)
        plt.close(figure)
        return [p for p in found if "printed size" in p]

    assert problems_of(20, 6) == ["text 'x label' is 3.0 pt at printed size (minimum 6)"]
    assert problems_of(10, 6) == []
    assert problems_of(20, 13) == []
    assert problems_of(8, 5.5) == ["text 'x label' is 5.5 pt at printed size (minimum 6)"]
    assert problems_of(20, 8, legend=True) == ["text 'curve' is 4.0 pt at printed size (minimum 6)"]


def test_make_install_says_what_it_does():
    """`make install` prints a line per step and lets pip show its progress (no --quiet): a minute of silence
    on a fresh clone looks like a hang."""
    dry = subprocess.run(["make", "-n", "-B", ".venv/.installed"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    pip = [line for line in lines if " -m pip install" in line]
    steps = [line for line in lines if line.startswith("echo \"install ")]
    assert len(pip) == 2 and not any("--quiet" in line or " -q" in line for line in pip), pip
    assert len(steps) == 3 and all(f"{k}/3" in step for k, step in enumerate(steps, 1)), steps
    assert lines.index(steps[-1]) < lines.index(pip[-1])  # each step announced before it runs


STEPS = ("summarize", "draw", "caption", "plot")


def _study(name):
    import importlib

    return importlib.import_module(f"experiments.{name}")


def test_every_study_computes_apart_from_drawing():
    """summarize(table) -> numbers, draw(numbers, figures), caption(numbers): each step documented."""
    for name in EXPERIMENTS:
        module = _study(name)
        for step in STEPS:
            function = getattr(module, step, None)
            assert callable(function) and (function.__doc__ or "").strip(), (name, step)


def _values_named(value, key):
    """Every value stored under ``key`` anywhere inside nested dicts and lists."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name == key:
                yield item
            yield from _values_named(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _values_named(item, key)


def test_grids_are_data_and_the_quick_grid_has_one_name():
    from experiments.machinery.grid import expand_grid, is_eps_range

    for name in EXPERIMENTS:
        module = _study(name)
        assert not hasattr(module, "QUICK_GRID"), name
        for grid in (module.GRID, getattr(module, "QUICK", {})):
            json.dumps(grid, allow_nan=False)  # plain data: no tuples of prose, no objects, no nan
            for eps in _values_named(grid, "eps"):  # thresholds as ranges (or one number), never as text
                assert is_eps_range(eps) or isinstance(eps, float), (name, eps)
        if hasattr(module, "QUICK"):
            expand_grid(module.GRID, module.QUICK, quick=True)


def test_expand_grid_merges_the_quick_grid_and_expands_every_range():
    from experiments.machinery.grid import expand_grid

    grid = {"a": {"b": 1, "c": [1, 2], "eps": {"from": 1e-1, "to": 1e-3, "per_decade": 1}}, "d": "text",
            "cases": [{"eps": {"from": 1.0, "decades": 1, "per_decade": 2}}]}
    before = json.dumps(grid)
    full = expand_grid(grid)
    assert full["a"]["eps"] == (0.1, 0.01, 0.001) and full["cases"][0]["eps"] == pytest.approx((1.0, 10**-0.5, 0.1))
    quick = expand_grid(grid, {"a": {"c": [3], "eps": {"from": 1e-2, "decades": 1, "per_decade": 1}}}, quick=True)
    assert quick["a"] == {"b": 1, "c": [3], "eps": (0.01, 0.001)} and quick["d"] == "text"
    assert expand_grid(grid, {"a": {"c": [3]}}, quick=False) == full
    assert json.dumps(grid) == before  # the module's GRID is never modified
    with pytest.raises(ValueError, match="eps_min"):
        expand_grid({"eps": {"from": 1e-3, "to": 1e-1, "per_decade": 2}})


def test_summaries_and_captions_need_no_matplotlib(quick_run):
    """Every study's numbers and caption from its quick table, in a process where matplotlib cannot be imported."""
    code = ("import sys\nsys.modules['matplotlib'] = None\nimport importlib\nimport pandas as pd\n"
            f"for name in {list(EXPERIMENTS)!r}:\n"
            "    module = importlib.import_module('experiments.' + name)\n"
            f"    table = pd.read_csv({str(QUICK)!r} + '/' + name + '/table.csv', low_memory=False)\n"
            "    numbers = module.summarize(table)\n"
            "    assert module.caption(numbers), name\n"
            "    print(name)\n")
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.split() == list(EXPERIMENTS)
