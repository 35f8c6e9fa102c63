"""Run an experiment's pieces on a Dask cluster, for sweeps that outgrow one machine.

:func:`experiments.framework.make_executor` returns a :class:`DaskExecutor` when a scheduler
address is given (``--scheduler tcp://host:8786``, ``make experiments SCHEDULER=...``, or the
``DASK_SCHEDULER_ADDRESS`` environment variable).  Each piece (one :class:`~experiments.framework.Case`:
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
times.  A piece that still fails is yielded as a :class:`~experiments.framework.PieceFailure`:
the other pieces are written, then the run stops with an error listing the failed pieces, and a
re-run computes only those.
"""

from __future__ import annotations

import sys
import uuid

try:
    import distributed
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "a Dask scheduler was given (--scheduler, SCHEDULER= or DASK_SCHEDULER_ADDRESS) but Dask is "
        "not installed: pip install -e '.[dask]'") from error

from experiments.framework import PieceFailure, code_fingerprint


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
