"""Executors: failed pieces are reported without losing the others, locally and on Dask; a real
Dask cluster on loopback gives the local table, and survives losing a worker mid-run."""

import json
import logging
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from experiments import monomials
from experiments.machinery.cases import Case
from experiments.machinery.executors import PiecesFailed, make_executor
from experiments.machinery.run import run_pieces
from experiments.machinery.pieces import run_case

NO_DASK = "Dask is not installed: pip install -e '.[dask]' (make test does) runs the cluster tests"

#: Longest wait for anything a test waits for (a piece to start, pieces to be written).
TIMEOUT = 60.0


def _square_piece(case):
    return pd.DataFrame({"experiment": case.experiment, "function": case.function, "start": [0],
                         "value": [float(case.seed) ** 2]})


def _piece_failing_on_seed_2(case):
    if case.seed == 2:
        raise ValueError("bad piece on purpose")
    return _square_piece(case)


def _piece_killed_once(case):
    """The victim case, on its first attempt, records its process id and waits to be killed;
    its retry (the marker exists) records its own id and computes normally."""
    if case.labels.get("victim"):
        folder = Path(case.labels["folder"])
        try:
            with open(folder / "first.pid", "x") as marker:
                marker.write(str(os.getpid()))
        except FileExistsError:
            (folder / "second.pid").write_text(str(os.getpid()))
        else:
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                time.sleep(0.05)
            raise TimeoutError("the victim piece was not killed")
    return _square_piece(case)


def _wait_for(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {TIMEOUT} s for {what}")
        time.sleep(0.05)


def _pieces_written(folder):
    return len(list((folder / "pieces").glob("*.csv")))


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed", reason=NO_DASK)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=logging.CRITICAL) as local_cluster:
        yield local_cluster


# -- failures are reported, the other pieces kept --------------------------------------------------


@pytest.mark.parametrize("jobs", [1, 2])
def test_local_failed_piece_is_reported_and_the_others_kept(tmp_path, jobs):
    cases = [Case(experiment="failing", function="monomial", seed=s) for s in range(4)]
    with pytest.raises(PiecesFailed, match=r"1 of 4 pieces failed(?s:.*)seed=2: ValueError: bad piece"):
        run_pieces("failing", cases, _piece_failing_on_seed_2, tmp_path, jobs=jobs, progress=False)
    assert _pieces_written(tmp_path / "failing") == 3
    assert not (tmp_path / "failing" / "table.csv").exists()
    table = run_pieces("failing", cases, _square_piece, tmp_path, jobs=jobs, progress=False)
    assert json.loads((tmp_path / "failing" / "meta.json").read_text())["pieces_computed_now"] == 1
    assert table["value"].tolist() == [0.0, 1.0, 4.0, 9.0]


# -- Dask --------------------------------------------------------------------------------------------


def test_scheduler_address_from_the_environment_selects_dask(monkeypatch):
    pytest.importorskip("distributed", reason=NO_DASK)
    from experiments.machinery.executors import DaskExecutor

    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:8786")
    executor = make_executor(jobs=2)
    assert isinstance(executor, DaskExecutor) and executor.address == "tcp://127.0.0.1:8786"


def test_quick_experiment_on_dask_gives_the_local_table(cluster, tmp_path):
    cases = monomials.cases(quick=True)
    local, dask = tmp_path / "local", tmp_path / "dask"
    for cache, options in ((local, {"jobs": 2}), (dask, {"scheduler": cluster.scheduler_address})):
        run_pieces(monomials.NAME, cases, run_case, cache, progress=False, sources=[monomials.__file__],
                   **options)
    # exact: the same code on the same machine and library build (the workers are local
    # processes), so the reproducibility contract makes the tables identical byte for byte
    assert (dask / "monomials" / "table.csv").read_bytes() == (local / "monomials" / "table.csv").read_bytes()
    local_pieces = sorted((local / "monomials" / "pieces").glob("*.csv"))
    assert len(local_pieces) == len(cases)
    for piece in local_pieces:
        assert (dask / "monomials" / "pieces" / piece.name).read_bytes() == piece.read_bytes()


def test_dask_failed_piece_is_reported_and_the_others_kept(cluster, tmp_path):
    cases = [Case(experiment="failing", function="monomial", seed=s) for s in range(4)]
    with pytest.raises(PiecesFailed, match=r"1 of 4 pieces failed(?s:.*)seed=2: ValueError: bad piece"):
        run_pieces("failing", cases, _piece_failing_on_seed_2, tmp_path, scheduler=cluster.scheduler_address,
                   progress=False)
    assert _pieces_written(tmp_path / "failing") == 3
    run_pieces("failing", cases, _square_piece, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert json.loads((tmp_path / "failing" / "meta.json").read_text())["pieces_computed_now"] == 1


def test_worker_killed_mid_run_still_gives_the_complete_table(cluster, tmp_path):
    labels = {"folder": str(tmp_path)}
    cases = [Case(experiment="killed", function="monomial", seed=s, labels={**labels, "victim": s == 3})
             for s in range(6)]
    expected = run_pieces("killed", cases, _square_piece, tmp_path / "local", jobs=1, progress=False)
    folder = tmp_path / "dask" / "killed"
    killed = []

    def kill_the_victim_after_some_pieces():
        _wait_for(lambda: (tmp_path / "first.pid").exists() and _pieces_written(folder) >= 2,
                  "the victim piece to start after two pieces were written")
        pid = int((tmp_path / "first.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    killer = threading.Thread(target=kill_the_victim_after_some_pieces, daemon=True)
    killer.start()
    table = run_pieces("killed", cases, _piece_killed_once, tmp_path / "dask", scheduler=cluster.scheduler_address,
                       progress=False)
    killer.join(TIMEOUT)
    assert killed, "no worker was killed"
    assert int((tmp_path / "second.pid").read_text()) != killed[0]
    pd.testing.assert_frame_equal(table, expected)
    assert json.loads((folder / "meta.json").read_text())["pieces_computed_now"] == 6
