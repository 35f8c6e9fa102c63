"""Running experiments: pieces, a resumable cache, tidy tables with provenance, executors.

An experiment module declares its grid as data and a list of independent
*pieces* (:class:`Case` records, each a few seconds to a minute of work).
:func:`run_pieces` runs the pieces that are not cached yet on an executor
(local processes, or a Dask cluster), writes each finished piece to the cache
at once (atomically), and assembles the experiment's tidy table and its
metadata.  An interrupted run loses no finished piece and resumes; a piece's
cache key includes a fingerprint of the code it runs, so a change to the
engine or the functions invalidates it.

Layout of the cache (ignored by git)::

    cache/<experiment>/pieces/<key>.csv     one finished piece
    cache/<experiment>/table.csv            the tidy table (one row per case, start, eps)
    cache/<experiment>/meta.json            provenance: commit, dirty flag, versions, grid, wall time
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.metadata
import json
import os
import platform
import secrets
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

#: Sources whose code decides the numbers of a piece (plus the experiment's own module).
FINGERPRINTED = ("armijo/*.py", "functions/*.py", "theory/*.py", "experiments/pieces.py")

#: What the dirty flag of the provenance looks at.
CODE_PATHS = ("armijo", "functions", "theory", "experiments", "tests", "Makefile", "pyproject.toml")

#: Columns of every tidy table, in order (an experiment may add its own after them).
TABLE_COLUMNS = (
    "experiment", "function", "function_params", "algorithm", "algorithm_params", "start", "eps",
    "iterations", "f_evals", "grad_evals", "status",
)


@dataclass(frozen=True)
class Case:
    """One piece of work: ``algorithm`` on ``function`` from ``starts`` starts.

    Parameters
    ----------
    experiment : str
        Experiment name (the table it belongs to).
    function : str
        Registry name of the function.
    function_params : dict
        Family parameters.
    algorithm : str
        Engine algorithm name.
    algorithm_params : dict
        Algorithm parameters (validated by the engine).
    eps : tuple of float
        Decreasing thresholds.
    max_iter : int
        Iteration budget.
    starts : int
        Number of starts drawn from the function's start distribution with ``seed``
        (ignored when ``x0`` is given).
    seed : int
        Seed of the start draw.
    x0 : tuple of tuple of float or None
        Explicit starts.
    labels : dict
        Extra columns for the table (e.g. the scanned quantity).
    """

    experiment: str
    function: str
    function_params: dict = field(default_factory=dict)
    algorithm: str = "armijo"
    algorithm_params: dict = field(default_factory=dict)
    eps: tuple = (1e-2, 1e-4, 1e-6)
    max_iter: int = 100_000
    starts: int = 8
    seed: int = 0
    x0: tuple | None = None
    labels: dict = field(default_factory=dict)

    def key(self, fingerprint):
        """Cache key: the case's content and the code fingerprint."""
        text = json.dumps(asdict(self), sort_keys=True, default=float) + fingerprint
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def eps_grid(eps_max, eps_min, per_decade):
    """Log-spaced decreasing thresholds from ``eps_max`` to ``eps_min``, ``per_decade`` per decade."""
    decades = np.log10(eps_max) - np.log10(eps_min)
    count = int(round(decades * per_decade)) + 1
    return tuple(float(v) for v in np.logspace(np.log10(eps_max), np.log10(eps_min), count))


def code_fingerprint(extra_sources=()):
    """Hash of the sources that decide the numbers: engine, functions, theory, the piece runner,
    and ``extra_sources`` (the experiment's module)."""
    digest = hashlib.sha256()
    paths = sorted({path for pattern in FINGERPRINTED for path in ROOT.glob(pattern)}
                   | {Path(p).resolve() for p in extra_sources})
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def provenance():
    """Commit, dirty flag, package versions, machine: recorded with every table."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    versions = {}
    for package in ("numpy", "scipy", "sympy", "matplotlib", "pandas"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "commit": git("rev-parse", "HEAD") or None,
        # uncommitted changes to the code (generated figures and benchmarks do not count)
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)),
        "versions": versions,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` through ``path.tmp`` and a rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique temporary name in the same folder (concurrent writers never share it), created by
    # open() so that the file gets the user's umask (tempfile's files are private, mode 0600)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    with open(temporary, "x") as handle:
        handle.write(text)
    os.replace(temporary, path)


def atomic_write_table(path, table):
    atomic_write_text(path, table.to_csv(index=False))


# -- executors -----------------------------------------------------------------------------------
#
# An executor has one method, ``run(function, items)``: a generator that yields ``(item, outcome)``
# as pieces finish, in any order, where ``item`` is the very object passed in and ``outcome`` is
# ``function(item)``, or a :class:`PieceFailure` when the piece raised (or its process was lost).
# A failed piece never stops the others: the caller writes every piece that finished, then reports.


@dataclass(frozen=True)
class PieceFailure:
    """A piece that raised instead of returning its result.

    Parameters
    ----------
    error : BaseException
        The exception raised by the piece (re-raised in this process by the executor).
    """

    error: BaseException

    @property
    def message(self):
        """One line: the exception's type and message."""
        lines = traceback.format_exception_only(type(self.error), self.error)
        return " ".join(line.strip() for line in lines if line.strip()) or type(self.error).__name__


class PiecesFailed(RuntimeError):
    """Some pieces of an experiment failed; every piece that finished is in the cache.

    Parameters
    ----------
    name : str
        Experiment name.
    failures : list of (Case, PieceFailure)
        The failed pieces.
    pieces : int
        Number of pieces of the experiment.
    folder : path
        The cache folder of the finished pieces.
    """

    def __init__(self, name, failures, pieces, folder):
        self.failures = failures
        listed = "\n".join(f"  - {describe_case(case)}: {failure.message}" for case, failure in failures)
        super().__init__(
            f"{name}: {len(failures)} of {pieces} pieces failed; no table written. The pieces that "
            f"finished are cached in {folder}, so a re-run computes only the missing ones.\n"
            f"Failed pieces:\n{listed}")


def describe_case(case):
    """Short human description of a case (for progress and error messages)."""
    if not isinstance(case, Case):
        return repr(case)
    params = json.dumps(case.function_params, sort_keys=True) if case.function_params else ""
    return f"{case.function}{params} {case.algorithm} seed={case.seed}"


class LocalExecutor:
    """Runs pieces in ``jobs`` local processes (in this process when ``jobs == 1``)."""

    def __init__(self, jobs):
        self.jobs = max(1, int(jobs))

    def run(self, function, items):
        """Yield ``(item, result or PieceFailure)`` as pieces finish (any order)."""
        if self.jobs == 1:
            for item in items:
                try:
                    outcome = function(item)
                except Exception as error:  # reported by the caller, after the others are written
                    outcome = PieceFailure(error)
                yield item, outcome
            return
        with concurrent.futures.ProcessPoolExecutor(max_workers=self.jobs) as pool:
            futures = {pool.submit(function, item): item for item in items}
            for future in concurrent.futures.as_completed(futures):
                error = future.exception()  # a dead process gives BrokenProcessPool here
                yield futures.pop(future), PieceFailure(error) if error is not None else future.result()


def make_executor(jobs=None, scheduler=None):
    """Local processes by default; a Dask cluster when a scheduler address is given
    (``scheduler``, else the ``DASK_SCHEDULER_ADDRESS`` environment variable, as Dask reads it)."""
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if scheduler:
        from experiments.cluster import DaskExecutor
        return DaskExecutor(scheduler)
    return LocalExecutor(jobs or os.cpu_count() or 1)


# -- running and assembling ----------------------------------------------------------------------


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
