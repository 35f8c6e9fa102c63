"""Executors: run pieces in local processes or on a Dask cluster, and name the ones that fail.

An executor has one method, ``run(function, items)``: a generator that yields ``(item, outcome)``
as pieces finish, in any order, where ``item`` is the very object passed in and ``outcome`` is
``function(item)``, or a :class:`PieceFailure` when the piece raised (or its process was lost).
A failed piece never stops the others: the caller writes every piece that finished, then reports.

Dask
----
:func:`experiments.machinery.run.make_executor` returns a :class:`DaskExecutor` when a scheduler
address is given (``--scheduler tcp://host:8786``, ``make experiments SCHEDULER=...``, or the
``DASK_SCHEDULER_ADDRESS`` environment variable).  Each piece (one :class:`~experiments.machinery.run.Case`:
one algorithm on one function from several starts, seconds to minutes of work) is one Dask task,
a pure function of its picklable case.  The results come back to the client, which writes every
piece to the cache as it arrives and assembles the table exactly as in a local run: the pieces
are deterministic, so the table is identical to one from local processes.  Only the client
touches the cache, so the workers need no shared filesystem.

The workers unpickle the piece function by reference, so they must run in the project's
environment: the project installed (``pip install -e '.[dask]'``) at the same commit as the
client.  Before submitting, the executor checks that every connected worker can import the
project and has the same code fingerprint (engine, functions, theory, piece runner) as the
client, and stops with a clear error otherwise; a worker that joins later is not checked.

Failures: a worker lost mid-run costs only the piece it was running, which the scheduler
reschedules on another worker (up to ``distributed.scheduler.allowed-failures`` times, 3 by
default, before it gives up with ``KilledWorker``); a piece that raises is retried ``retries``
times.  A piece that still fails is yielded as a :class:`~experiments.machinery.run.PieceFailure`:
the other pieces are written, then the run stops with an error listing the failed pieces, and a
re-run computes only those.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import sys
import traceback
import uuid
from dataclasses import dataclass

from experiments.machinery.cases import Case, code_fingerprint


def _distributed():
    """The ``distributed`` package, or a clear error when the Dask extra is not installed."""
    try:
        import distributed
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise ImportError(
            "a Dask scheduler was given (--scheduler, SCHEDULER= or DASK_SCHEDULER_ADDRESS) but Dask is "
            "not installed: pip install -e '.[dask]'") from error
    return distributed


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
        return DaskExecutor(scheduler)
    return LocalExecutor(jobs or os.cpu_count() or 1)


class DaskExecutor:
    """Runs pieces as tasks on the Dask cluster whose scheduler listens at ``address``.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``tcp://host:8786``.
    retries : int
        Extra attempts for a piece that raises (a lost worker is handled by the scheduler
        itself, see the module docstring).
    """

    def __init__(self, address, retries=1):
        self.address = address
        self.retries = retries

    def run(self, function, items):
        """Yield ``(item, result or PieceFailure)`` as pieces finish (any order)."""
        items = list(items)
        if not items:
            return
        try:
            distributed = _distributed()
            client = distributed.Client(self.address, set_as_default=False)
        except OSError as error:
            raise ConnectionError(f"cannot reach the Dask scheduler at {self.address}: {error}") from error
        with client:
            _check_workers(client)
            run_id = uuid.uuid4().hex[:8]
            futures, pending = [], {}
            for index, item in enumerate(items):
                name = getattr(item, "experiment", "piece")
                future = client.submit(function, item, key=f"{name}-{run_id}-{index}", pure=False,
                                       retries=self.retries)
                futures.append(future)
                pending[future.key] = item
            completed = distributed.as_completed(futures, loop=client.loop)
            del futures  # as_completed holds them until they finish; then the result is let go
            for future in completed:
                item = pending.pop(future.key)
                try:
                    outcome = future.result()
                except Exception as error:  # reported by the caller, after the others are written
                    outcome = PieceFailure(error)
                del future
                yield item, outcome


def _worker_fingerprint():
    """Run on each worker: the fingerprint of the project code it would run."""
    return code_fingerprint()


def _check_workers(client):
    """Every connected worker imports the project and runs the client's code."""
    try:
        fingerprints = client.run(_worker_fingerprint)
    except Exception as error:
        raise RuntimeError(
            f"the Dask workers cannot import the project ({type(error).__name__}: {error}); start them "
            "from the project's environment (its venv, with `pip install -e '.[dask]'`)") from error
    if not fingerprints:
        print(f"Dask scheduler {client.scheduler.address}: no worker yet, the pieces wait for one",
              file=sys.stderr)
    mine = code_fingerprint()
    different = sorted(worker for worker, theirs in fingerprints.items() if theirs != mine)
    if different:
        raise RuntimeError(
            f"Dask workers {', '.join(different)} run different project code than this client "
            "(code fingerprint differs): check out the same commit on every machine, so that "
            "their pieces match a local run")
