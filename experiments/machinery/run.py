"""Run an experiment: every case not yet cached, on an executor, then the tidy table with provenance.

An experiment module declares its grid as data and a list of independent *pieces*
(:class:`~experiments.machinery.cases.Case` records, each a few seconds to a minute of work).
:func:`run_pieces` runs the pieces that are not cached yet on an executor (local processes, or
a Dask cluster: :mod:`experiments.machinery.executors`), writes each finished piece to the cache
at once (atomically), and assembles the experiment's tidy table and its metadata.  An
interrupted run loses no finished piece and resumes; a piece's cache key includes a fingerprint
of the code it runs, so a change to the engine or the functions invalidates it.

Layout of the cache (ignored by git)::

    cache/<experiment>/pieces/<key>.csv     one finished piece
    cache/<experiment>/table.csv            the tidy table (one row per case, start, eps)
    cache/<experiment>/meta.json            provenance: commit, dirty flag, versions, grid, wall time
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from experiments.machinery.cases import TABLE_COLUMNS, atomic_write_table, atomic_write_text, code_fingerprint, provenance
from experiments.machinery.executors import PieceFailure, PiecesFailed, describe_case, make_executor


def run_pieces(name, cases, piece_function, cache_root, *, jobs=None, scheduler=None, progress=True,
               parameters=None, sources=()):
    """Run every case not yet cached, then assemble and write the experiment's table.

    Parameters
    ----------
    name : str
        Experiment name (folder of the cache).
    cases : list of Case
        The pieces.
    piece_function : callable
        ``piece_function(case) -> pandas.DataFrame`` (a module-level function, picklable).
    cache_root : path
        Root of the cache.
    jobs : int, optional
        Local processes (default: all cores).
    scheduler : str, optional
        Dask scheduler address (default: ``DASK_SCHEDULER_ADDRESS`` if set, else local processes).
    progress : bool
        Show a progress bar.
    parameters : dict, optional
        The experiment's grid, recorded in the metadata.
    sources : sequence of path
        Files whose change invalidates the cached pieces (the experiment's module).

    Returns
    -------
    pandas.DataFrame
        The assembled table.

    Raises
    ------
    PiecesFailed
        When some pieces raised (or were lost with their worker for good): every other piece
        is written to the cache first, and no table is written, so a re-run resumes.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    folder = Path(cache_root) / name
    pieces_folder = folder / "pieces"
    pieces_folder.mkdir(parents=True, exist_ok=True)
    fingerprint = code_fingerprint(sources)
    keyed = [(case, case.key(fingerprint)) for case in cases]
    missing = [(case, key) for case, key in keyed if not (pieces_folder / f"{key}.csv").exists()]
    executor = make_executor(jobs, scheduler)
    bar = tqdm(total=len(missing), desc=name, unit="piece", disable=not progress or not missing,
               file=sys.stderr)
    computed_seconds = 0.0
    failures = []
    keys = {id(case): key for case, key in missing}  # executors yield the very objects passed in
    for case, outcome in executor.run(_timed(piece_function), [case for case, _ in missing]):
        bar.update(1)
        if isinstance(outcome, PieceFailure):
            failures.append((case, outcome))
            bar.set_postfix(failed=len(failures))
            tqdm.write(f"{name}: piece failed: {describe_case(case)}: {outcome.message}", file=sys.stderr)
            continue
        table, seconds = outcome
        atomic_write_table(pieces_folder / f"{keys[id(case)]}.csv", table)
        computed_seconds += seconds
    bar.close()
    if failures:
        raise PiecesFailed(name, failures, len(cases), pieces_folder) from failures[0][1].error
    tables = [pd.read_csv(pieces_folder / f"{key}.csv", low_memory=False) for _, key in keyed]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=TABLE_COLUMNS)
    meta = {
        "experiment": name,
        **provenance(),
        "code_fingerprint": fingerprint,
        "parameters": parameters or {},
        "cases": [asdict(case) for case in cases],
        "pieces": len(cases),
        "pieces_computed_now": len(missing),
        "piece_seconds_computed_now": computed_seconds,
        "wall_seconds": time.perf_counter() - started,
    }
    # provenance first, then the table (the Makefile's target): a table is never newer than its metadata
    atomic_write_text(folder / "meta.json", json.dumps(meta, indent=1, default=float))
    atomic_write_table(folder / "table.csv", table)
    return table


class _timed:
    """Picklable wrapper returning ``(result, seconds)``."""

    def __init__(self, function):
        self.function = function

    def __call__(self, item):
        start = time.perf_counter()
        result = self.function(item)
        return result, time.perf_counter() - start
