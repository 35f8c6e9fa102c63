"""Every experiment through the quick grid, as `make experiments QUICK=1` runs it."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from experiments.machinery.cases import Case, TABLE_COLUMNS, eps_grid
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
    cases = [Case("resume", "monomial", seed=s) for s in range(4)]
    run_pieces("resume", cases[:2], _square_piece, tmp_path, jobs=1, progress=False)
    table = run_pieces("resume", cases, _square_piece, tmp_path, jobs=1, progress=False)
    meta = json.loads((tmp_path / "resume" / "meta.json").read_text())
    assert meta["pieces_computed_now"] == 2
    assert table["value"].tolist() == [0.0, 1.0, 4.0, 9.0]
    again = run_pieces("resume", cases, _square_piece, tmp_path, jobs=2, progress=False)
    assert json.loads((tmp_path / "resume" / "meta.json").read_text())["pieces_computed_now"] == 0
    assert again.equals(table)


def test_eps_grid_is_decreasing_and_log_spaced():
    grid = eps_grid(1e-2, 1e-8, 4)
    assert len(grid) == 25 and grid[0] == pytest.approx(1e-2) and grid[-1] == pytest.approx(1e-8)
    assert all(a > b for a, b in zip(grid, grid[1:]))


def test_every_experiment_module_runs_on_its_own():
    completed = subprocess.run([sys.executable, "-m", "experiments.monomials", "--help"], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and "--quick" in completed.stdout


def test_metadata_is_written_before_the_table(tmp_path):
    # the table is the Makefile's target: it must never be newer-than-complete provenance
    run_pieces("order", [Case("order", "monomial", seed=1)], _square_piece, tmp_path, jobs=1, progress=False)
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
