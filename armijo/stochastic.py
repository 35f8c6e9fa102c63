"""The mini-batch loop: a stochastic Armijo line search on the current batch, SGD and Adam.

:func:`minimize_stochastic` advances ``B`` starts in lockstep over one sequence of
mini-batches (iteration ``k`` uses batch ``B_k`` for every start still running), as
:func:`armijo.minimize` advances them on the full objective.  Iteration ``k``:

1. draws the batch ``B_k`` (``batches.next_batch()``; the first batch is the one the oracle
   holds when the run starts) and evaluates ``g_k = grad f_{B_k}(x_k)``;
2. moves.  ``sls-armijo`` and ``sls-increase`` backtrack (:func:`armijo.linesearch.backtrack`)
   on **the same batch** ``B_k`` that gave the gradient:

   .. math::

       f_{B_k}(x_k - \\eta g_k) \\le f_{B_k}(x_k) - \\lambda\\, \\eta\\, \\|g_k\\|^2,

   from the first trial ``eta0`` (``sls-armijo``) or ``min(eta_{k-1} growth^(b/n), eta_max)``
   (``sls-increase``, reset option 1 of Vaswani et al.), dividing by ``f1`` until the test
   holds; ``b`` is the batch size and ``n`` the number of samples.  This is Algorithm 1 of
   Vaswani et al. (NeurIPS 2019, "Painless stochastic gradient") and what their code does
   (the line search re-evaluates the closure of the current batch); their Appendix F.1
   describes, for the theory, a line search on a second batch independent of the
   gradient's (a difference raised in the ``IssamLaradji/sls`` issue tracker, issue 8).
   This loop reuses the gradient's batch.  ``sgd`` moves by ``eta g_k``; ``adam`` by
   ``eta d_k`` with :func:`armijo.adam.adam_step`.

Every ``monitor_every`` iterations (and at the last one) the **full** objective is
evaluated at the iterate: ``f(x_k)`` and ``||grad f(x_k)||``.  These monitoring calls are
not charged to the algorithm and their time is not counted: ``f_evals`` and ``grad_evals``
count batch evaluations only, and ``seconds`` the algorithm's own work.  A start converges
when a monitored ``||grad f(x_k)||`` reaches the smallest threshold of ``eps``; its first
hitting iterations are monitored iterations.

Statuses are those of :data:`armijo.result.STATUSES`: ``converged``, ``max_iter``,
``step_underflow`` and ``precision_floor`` (the batch line search failed, as in the engine),
``non_finite`` (a monitored value, the batch gradient or the batch loss at ``x_k``) and
``diverged`` (``||x_k|| > max_norm``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from armijo.adam import adam_step
from armijo.engine import _as_starts, _as_thresholds, smallest_moving_step, squared_norms
from armijo.linesearch import ACCEPTED, PRECISION_FLOOR, STEP_UNDERFLOW, backtrack
from armijo.params import STOCHASTIC_ALGORITHMS, get_spec, resolve_params
from armijo.result import STATUSES

_FAILED_SEARCH = {PRECISION_FLOOR: "precision_floor", STEP_UNDERFLOW: "step_underflow"}


@dataclass(frozen=True, kw_only=True)
class MonitorTrace:
    """The full objective at the monitored iterations of a stochastic run.

    Attributes
    ----------
    iteration : ndarray of int, shape (T,)
        Monitored iterations ``k`` (every ``monitor_every``, and the last one).
    seconds : ndarray, shape (T,)
        The loop's own time (monitoring excluded) spent before iterate ``k``, for the whole
        batch of starts.
    f_evals, grad_evals : ndarray of int, shape (T, B)
        Batch evaluations charged up to iterate ``x_k``; -1 after the start stopped.
    loss, grad_norm : ndarray, shape (T, B)
        ``f(x_k)`` and ``||grad f(x_k)||`` of the full objective; nan after the start stopped.
    x : ndarray, shape (T, B, n) or None
        The iterates ``x_k`` (with ``record_iterates``).
    x_next : ndarray, shape (T, B, n) or None
        The iterates ``x_{k+1}`` that follow them (nan where the start stopped at ``k``).
    """

    iteration: np.ndarray
    seconds: np.ndarray
    f_evals: np.ndarray
    grad_evals: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    x: np.ndarray | None = None
    x_next: np.ndarray | None = None


@dataclass(frozen=True, kw_only=True)
class StochasticResult:
    """Outcome of one batched mini-batch run: one entry per start in every per-start array.

    Attributes
    ----------
    algorithm : str
        A name of :data:`armijo.params.STOCHASTIC_ALGORITHMS`.
    params : dict
        Every parameter the run used (defaults filled).
    first_trial : str
        First-trial policy (empty for ``sgd`` and ``adam``).
    batch_size, sample_count : int
        ``b`` and ``n``: one batch evaluation costs ``b / n`` of a full one.
    eps : ndarray, shape (m,)
        Decreasing thresholds on the monitored ``||grad f||``.
    max_iter, monitor_every : int
    status : ndarray of str, shape (B,)
        One of :data:`armijo.result.STATUSES` per start.
    iterations : ndarray of int, shape (B,)
        Steps taken before stopping.
    f_evals, grad_evals : ndarray of int, shape (B,)
        Batch evaluations (a line search pays ``f_{B_k}(x_k)`` and every trial; ``sgd`` and
        ``adam`` one gradient per iteration and no ``f``).
    backtracks : ndarray of int, shape (B,)
        Rejected trials.
    eps_hits, eps_hit_f_evals, eps_hit_grad_evals : ndarray of int, shape (B, m)
        First monitored iteration with ``||grad f(x_k)|| <= eps_j`` and the counts there; -1 if never.
    x : ndarray, shape (B, n)
        Last iterate.
    step : ndarray, shape (B,)
        Last step taken (nan if none).
    armijo_checks : ndarray, shape (K, B, 4)
        Per iteration of a line search, the batch values ``(f_B(x_k), f_B(x_k - eta g), eta,
        ||g||^2)`` of the accepted step (nan where none): the test recomputes the condition.
    monitor : MonitorTrace
    seconds : float
        The loop's own time for the whole batch of starts (monitoring excluded).
    """

    algorithm: str
    params: dict
    first_trial: str
    batch_size: int
    sample_count: int
    eps: np.ndarray
    max_iter: int
    monitor_every: int
    status: np.ndarray
    iterations: np.ndarray
    f_evals: np.ndarray
    grad_evals: np.ndarray
    backtracks: np.ndarray
    eps_hits: np.ndarray
    eps_hit_f_evals: np.ndarray
    eps_hit_grad_evals: np.ndarray
    x: np.ndarray
    step: np.ndarray
    armijo_checks: np.ndarray
    monitor: MonitorTrace
    seconds: float

    @property
    def starts(self):
        """Number of starts ``B``."""
        return int(self.status.shape[0])

    def status_counts(self):
        """Count of starts per status, every status of :data:`armijo.result.STATUSES` listed."""
        return {name: int(np.count_nonzero(self.status == name)) for name in STATUSES}


class FullBatch:
    """The mini-batch oracle whose one batch is the whole objective: the loop then runs full-batch methods.

    ``sls-armijo`` on it takes the steps of :func:`armijo.minimize`'s ``armijo`` (the same
    iterates, bit for bit: ``tests/test_stochastic.py``), paying one more ``f`` per iteration
    (``f(x_k)``, which the engine keeps from the accepted trial).

    Parameters
    ----------
    f, grad : callable
        The batched objective and gradient.
    """

    batch_size = sample_count = 1

    def __init__(self, f, grad):
        self.f, self.grad = f, grad

    def next_batch(self):
        """Nothing to draw: the batch is the whole objective."""
        return None


def _count(value, name, low):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_batches(batches):
    """Validate the mini-batch oracle up front: its methods, and ``1 <= batch_size <= sample_count``.

    ``batches`` needs ``f(X) -> (B,)`` and ``grad(X) -> (B, n)`` on the current batch,
    ``next_batch()`` and the integers ``batch_size`` and ``sample_count``
    (:class:`functions.finite_sum.MinibatchOracle` has them).

    Raises
    ------
    ValueError
        For a missing method or a batch size outside ``[1, sample_count]``.
    """
    missing = [name for name in ("f", "grad", "next_batch") if not callable(getattr(batches, name, None))]
    if missing:
        raise ValueError(f"the mini-batch oracle needs f, grad and next_batch; missing: {', '.join(missing)}")
    samples = _count(getattr(batches, "sample_count", None), "sample_count", 1)
    size = _count(getattr(batches, "batch_size", None), "batch_size", 1)
    if size > samples:
        raise ValueError(f"batch_size {size} is larger than the data ({samples} samples)")
    return size, samples


def minimize_stochastic(f, grad, batches, x0, algorithm="sls-armijo", *, eps=(1e-6,), max_iter=1000,
                        monitor_every=1, record_iterates=False, max_norm=1e15, precision_floor_ulps=4.0,
                        **params):
    """Run the mini-batch method ``algorithm`` from every start of ``x0`` (see the module docstring).

    Parameters
    ----------
    f, grad : callable
        The full objective, batched (``(B, n) -> (B,)`` and ``(B, n) -> (B, n)``), for monitoring;
        ``grad=None`` monitors the loss only (no gradient norm, so no start converges by ``eps``).
    batches : object
        The mini-batch oracle (see :func:`check_batches`); the run draws its batches.
    x0 : array_like, shape (n,) or (B, n)
        Starts.
    algorithm : str
        ``sls-armijo``, ``sls-increase``, ``sgd`` or ``adam``.
    eps : sequence of float
        Strictly decreasing thresholds on the monitored full gradient norm.
    max_iter : int
        Iteration budget per start.
    monitor_every : int
        Monitoring period in iterations.
    record_iterates : bool
        Keep ``x_k`` and ``x_{k+1}`` at the monitored iterations (:class:`MonitorTrace`).
    max_norm : float
        A start whose ``||x_k||`` exceeds this has ``diverged``.
    precision_floor_ulps : float
        A trial whose first-order decrease ``eta ||g||^2`` is at most this many ulps of
        ``|f_B(x_k)|`` stops the start with ``precision_floor`` (as in the engine).
    **params
        Parameters of the algorithm (:data:`armijo.params.STOCHASTIC_ALGORITHMS`), validated up front.

    Returns
    -------
    StochasticResult

    Raises
    ------
    ValueError
        For a bad algorithm, parameter, start, threshold, budget or oracle (before any evaluation).
    """
    spec = get_spec(algorithm, STOCHASTIC_ALGORITHMS)
    resolved = resolve_params(algorithm, STOCHASTIC_ALGORITHMS, **params)
    X = _as_starts(x0)
    thresholds = _as_thresholds(eps)
    max_iter = _count(max_iter, "max_iter", 0)
    monitor_every = _count(monitor_every, "monitor_every", 1)
    for name, value in (("max_norm", max_norm), ("precision_floor_ulps", precision_floor_ulps)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    batch_size, sample_count = check_batches(batches)
    run = _StochasticRun(f, grad, batches, X, spec, resolved, thresholds, max_iter, monitor_every,
                         bool(record_iterates), float(max_norm), float(precision_floor_ulps),
                         batch_size, sample_count)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run.execute()


class _StochasticRun:
    """State and loop of one call of :func:`minimize_stochastic` (private).

    As in the engine, the state of the running starts is kept in compact arrays (``ids`` maps
    them to the starts); a start that stops is written to the results and dropped.
    """

    def __init__(self, f, grad, batches, X, spec, params, thresholds, max_iter, monitor_every, record_iterates,
                 max_norm, precision_floor_ulps, batch_size, sample_count):
        self.f, self.grad, self.batches = f, grad, batches
        self.spec, self.params = spec, params
        self.thresholds, self.max_iter, self.monitor_every = thresholds, max_iter, monitor_every
        self.record_iterates = record_iterates
        self.max_norm, self.precision_floor_ulps = max_norm, precision_floor_ulps
        self.growth = params["growth"] ** (batch_size / sample_count) if spec.name == "sls-increase" else None
        self.batch_size, self.sample_count = batch_size, sample_count
        starts, dimension = X.shape
        # results, indexed by start
        self.status = np.full(starts, "", dtype="<U16")
        self.iterations = np.zeros(starts, dtype=np.int64)
        self.f_evals_out = np.zeros(starts, dtype=np.int64)
        self.grad_evals_out = np.zeros(starts, dtype=np.int64)
        self.backtracks_out = np.zeros(starts, dtype=np.int64)
        self.x_out = X.copy()
        self.step_out = np.full(starts, np.nan)
        self.hits = np.full((3, starts, thresholds.size), -1, dtype=np.int64)
        # compact state of the running starts
        self.ids = np.arange(starts)
        self.X = X
        self.f_evals = np.zeros(starts, dtype=np.int64)
        self.grad_evals = np.zeros(starts, dtype=np.int64)
        self.backtracks = np.zeros(starts, dtype=np.int64)
        self.step = np.full(starts, np.nan)
        self.previous_step = np.full(starts, params.get("eta0", np.nan))
        if spec.name == "adam":
            self.first_moment = np.zeros_like(X)
            self.second_moment = np.zeros_like(X)
        self.checks = []  # (k, start ids, rows (phi0, phi(eta), eta, ||g||^2)) of the accepted steps
        self.monitored = []  # [k, seconds, f_evals, grad_evals, loss, grad_norm, x, x_next]
        self.seconds = 0.0

    def _compact_arrays(self):
        names = ["ids", "X", "f_evals", "grad_evals", "backtracks", "step", "previous_step"]
        if self.spec.name == "adam":
            names += ["first_moment", "second_moment"]
        return names

    def finish(self, mask, status, k):
        """Write the running starts of ``mask`` to the results with ``status`` at iteration ``k``; drop them."""
        ids = self.ids[mask]
        self.status[ids] = status
        self.iterations[ids] = k
        self.x_out[ids] = self.X[mask]
        self.step_out[ids] = self.step[mask]
        self.f_evals_out[ids] = self.f_evals[mask]
        self.grad_evals_out[ids] = self.grad_evals[mask]
        self.backtracks_out[ids] = self.backtracks[mask]
        keep = ~mask
        for name in self._compact_arrays():
            setattr(self, name, getattr(self, name)[keep])

    def _full(self, values, fill):
        """A per-start array from the compact ``values`` (``fill`` for stopped starts)."""
        out = np.full((self.status.size,) + values.shape[1:], fill, dtype=values.dtype)
        out[self.ids] = values
        return out

    def monitor(self, k):
        """Evaluate the full objective at the running starts; note eps hits; stop converged or non-finite ones."""
        loss = np.asarray(self.f(self.X), dtype=float)
        grad_norm = np.sqrt(squared_norms(self.grad(self.X))) if self.grad is not None else np.full(loss.size, np.nan)
        self.monitored.append([k, self.seconds, self._full(self.f_evals, -1), self._full(self.grad_evals, -1),
                               self._full(loss, np.nan), self._full(grad_norm, np.nan),
                               self._full(self.X, np.nan) if self.record_iterates else None, None])
        unusable = ~np.isfinite(loss) | (~np.isfinite(grad_norm) if self.grad is not None else False)
        if unusable.any():
            self.finish(unusable, "non_finite", k)
            grad_norm = grad_norm[~unusable]
        for row, start in enumerate(self.ids):
            newly = (self.hits[0, start] < 0) & (grad_norm[row] <= self.thresholds)
            if newly.any():
                self.hits[:, start, newly] = np.array([[k], [self.f_evals[row]], [self.grad_evals[row]]])
        converged = self.hits[0, self.ids, -1] >= 0
        if converged.any():
            self.finish(converged, "converged", k)

    def execute(self):
        k = 0
        while True:
            if k % self.monitor_every == 0 or k == self.max_iter:
                self.monitor(k)
            if not self.ids.size:
                break
            if k == self.max_iter:
                self.finish(np.ones(self.ids.size, dtype=bool), "max_iter", k)
                break
            clock = time.perf_counter()
            self.iterate(k)
            self.seconds += time.perf_counter() - clock
            if self.record_iterates and self.monitored[-1][0] == k:
                self.monitored[-1][7] = self._full(self.X, np.nan)
            if not self.ids.size:
                break
            k += 1
        return self._result()

    def iterate(self, k):
        """Iteration ``k``: draw the batch, take its gradient, move the running starts."""
        if k > 0:
            self.batches.next_batch()
        G = self.batches.grad(self.X)
        self.grad_evals += 1
        unusable = ~np.isfinite(G).all(axis=1)
        if unusable.any():
            self.finish(unusable, "non_finite", k)
            G = G[~unusable]
            if not self.ids.size:
                return
        if self.spec.line_search:
            if not self._line_search(k, G):
                return
        elif self.spec.name == "sgd":
            self.X = self.X - self.params["eta"] * G
            self.step[:] = self.params["eta"]
        else:  # adam
            self.first_moment, self.second_moment, direction = adam_step(
                self.first_moment, self.second_moment, G, k, beta1=self.params["beta1"],
                beta2=self.params["beta2"], adam_eps=self.params["adam_eps"])
            self.X = self.X - self.params["eta"] * direction
            self.step[:] = self.params["eta"]
        too_far = squared_norms(self.X) > self.max_norm**2
        if too_far.any():
            self.finish(too_far, "diverged", k + 1)

    def _line_search(self, k, G):
        """Backtrack on the current batch and move; False when no start is left."""
        params = self.params
        X = self.X
        phi0 = self.batches.f(X)
        self.f_evals += 1
        unusable = ~np.isfinite(phi0)
        if unusable.any():
            self.finish(unusable, "non_finite", k)
            X, G, phi0 = self.X, G[~unusable], phi0[~unusable]
            if not self.ids.size:
                return False
        slope = squared_norms(G)
        if self.growth is None or k == 0:
            trial = params["eta0"]
        else:
            trial = np.minimum(self.previous_step * self.growth, params["eta_max"])
        f_evals = self.f_evals

        def phi(eta, rows):
            if rows is None:
                f_evals[:] += 1
                return self.batches.f(X - eta[:, None] * G)
            f_evals[rows] += 1
            return self.batches.f(X[rows] - eta[:, None] * G[rows])

        steps, values, outcome, rejections = backtrack(
            phi, phi0, slope, trial, lam=params["lam"], f1=params["f1"],
            precision_floor=self.precision_floor_ulps * np.spacing(np.abs(phi0)),
            min_step=lambda rows: smallest_moving_step(X[rows], G[rows], 0.0))
        self.backtracks += rejections
        accepted = outcome == ACCEPTED
        self.checks.append((k, self.ids[accepted], np.column_stack([phi0, values, steps, slope])[accepted]))
        if not accepted.all():
            for code, status in _FAILED_SEARCH.items():
                failed = outcome == code
                if failed.any():
                    self.finish(failed, status, k)
                    keep = ~failed
                    outcome, steps, G = outcome[keep], steps[keep], G[keep]
            if not self.ids.size:
                return False
        self.X = self.X - steps[:, None] * G
        self.step = steps
        self.previous_step = steps
        return True

    def _result(self):
        starts, dimension = self.x_out.shape
        monitored = self.monitored
        if self.record_iterates:
            x = np.stack([entry[6] for entry in monitored])
            x_next = np.stack([entry[7] if entry[7] is not None else np.full((starts, dimension), np.nan)
                               for entry in monitored])
        else:
            x = x_next = None
        trace = MonitorTrace(
            iteration=np.array([entry[0] for entry in monitored], dtype=np.int64),
            seconds=np.array([entry[1] for entry in monitored]),
            f_evals=np.stack([entry[2] for entry in monitored]),
            grad_evals=np.stack([entry[3] for entry in monitored]),
            loss=np.stack([entry[4] for entry in monitored]),
            grad_norm=np.stack([entry[5] for entry in monitored]),
            x=x, x_next=x_next)
        checks = np.full((len(self.checks), starts, 4), np.nan)
        for row, (_, ids, values) in enumerate(self.checks):
            checks[row, ids] = values
        return StochasticResult(
            algorithm=self.spec.name, params=dict(self.params), first_trial=self.spec.first_trial,
            batch_size=self.batch_size, sample_count=self.sample_count, eps=self.thresholds.copy(),
            max_iter=self.max_iter, monitor_every=self.monitor_every, status=self.status,
            iterations=self.iterations, f_evals=self.f_evals_out, grad_evals=self.grad_evals_out,
            backtracks=self.backtracks_out, eps_hits=self.hits[0], eps_hit_f_evals=self.hits[1],
            eps_hit_grad_evals=self.hits[2], x=self.x_out, step=self.step_out, armijo_checks=checks,
            monitor=trace, seconds=self.seconds)
