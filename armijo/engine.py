"""The driver: batched gradient methods with Armijo line searches and baselines.

:func:`minimize` advances ``B`` starts in lockstep.  All starts that are still
running share the iteration counter ``k``; each has its own step size, its own
backtracking and its own stopping.  The state of the running starts is kept in
compact arrays; when starts stop, their rows are written to the result and
dropped, so a finished start costs nothing more.

One trajectory serves a whole grid of thresholds: for every start, the first
iteration with ``||grad f(x_k)|| <= eps_j`` is recorded for each ``eps_j``
(SCIENCE.md section 1); the start converges when the smallest threshold is
reached.
"""

from __future__ import annotations

import math

import numpy as np

from armijo.adam import adam_step
from armijo.linesearch import (
    ACCEPTED,
    NOISE_FLOOR,
    PRECISION_FLOOR,
    STEP_UNDERFLOW,
    NoiseGate,
    noise_against,
    backtrack,
    dichotomy_refine,
    dichotomy_rounds,
)
from armijo.oracle import CountingOracle
from armijo.params import ALGORITHMS, get_spec, resolve_params
from armijo.result import RunResult, Trace

#: Largest first trial step of the increasing variants: ``f2 * eta_{k-1}`` is
#: capped here so that repeated growth cannot overflow to ``inf``.
MAX_FIRST_TRIAL = 1e300

#: Default factor of the noise gate (:class:`armijo.linesearch.NoiseGate`): a noise kernel is
#: evaluated at ``x_k`` only when a margin comes within this factor of the last noise evaluated.
NOISE_GATE = 64.0

_INCREASING = ("armijo-increase", "armijo-dichotomy", "armijo-normalized")

#: Algorithms whose step is Polyak's: they evaluate f at every iterate (one f, one grad per iteration).
POLYAK_STEPS = ("polyak", "polyak-level")

#: Algorithms the noise rule (``noise=``, status ``noise_floor``) applies to: those that decide on a
#: difference of computed values of ``f``, which the evaluation noise of ``f`` can decide.  The Armijo
#: variants (their sufficient-decrease test, :mod:`armijo.linesearch`) and the Polyak steps (their gap
#: ``f(x_k) - target`` within ``2 N(x_k)``: the step would be rounding; the level of ``polyak-level``
#: holds a computed value too).  The others never evaluate ``f`` along the way (fixed and normalized
#: steps, clipping, Adam, AdGD, (L0,L1)-GD, normalized GD with decay): no rule applies to them.  The
#: mini-batch loop (:mod:`armijo.stochastic`) takes no noise model: its objectives (networks) have none.
NOISE_RULE = tuple(name for name, spec in ALGORITHMS.items() if spec.line_search) + POLYAK_STEPS

_FAILED_SEARCH = {PRECISION_FLOOR: "precision_floor", STEP_UNDERFLOW: "step_underflow",
                  NOISE_FLOOR: "noise_floor"}


def _as_starts(x0):
    X = np.array(x0, dtype=np.float64, copy=True)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(
            f"x0 must have shape (n,) or (B, n) with B, n >= 1, got shape {np.shape(x0)}"
        )
    if not np.isfinite(X).all():
        raise ValueError("x0 must be finite")
    return X


def _as_thresholds(eps):
    thresholds = np.atleast_1d(np.asarray(eps, dtype=np.float64))
    if thresholds.ndim != 1 or thresholds.size == 0:
        raise ValueError("eps must be a non-empty sequence of thresholds")
    if not (np.isfinite(thresholds).all() and (thresholds > 0).all()):
        raise ValueError("every eps threshold must be finite and > 0")
    if thresholds.size > 1 and not (np.diff(thresholds) < 0).all():
        raise ValueError("eps thresholds must be strictly decreasing")
    return thresholds


def trace_iterations(max_iter, per_decade):
    """Log-spaced iteration indices recorded by a trace: 0 .. max_iter, ``per_decade`` per decade.

    Every iteration below ``per_decade`` is kept; above it the indices are
    rounded geometric points, so a trace of ``10^6`` iterations holds about
    ``6 * per_decade`` points.
    """
    if per_decade < 1:
        raise ValueError(f"trace_per_decade must be >= 1, got {per_decade}")
    if max_iter < 1:
        return np.zeros(1, dtype=np.int64)
    count = int(math.ceil(math.log10(max_iter + 1) * per_decade)) + 1
    # through Python ints: near 2^63 the float grid rounds above the int64 range
    rounded = np.round(np.logspace(0, math.log10(max_iter + 1), count) - 1)
    points = np.unique(np.array([min(int(point), max_iter) for point in rounded], dtype=np.int64))
    return np.union1d(points, np.arange(min(per_decade, max_iter + 1)))


def first_trial(name, k, params, previous_step):
    """First trial step of iteration ``k`` of an Armijo variant (SCIENCE.md section 2).

    ``eta0`` for ``armijo`` and at ``k = 0``; ``eta_{k-1}`` for ``armijo-memory``;
    ``min(f2 * eta_{k-1}, MAX_FIRST_TRIAL)`` for the increasing variants.
    ``previous_step`` is a float or an array of one step per start.
    """
    if name == "armijo" or k == 0:
        return params["eta0"]
    if name == "armijo-memory":
        return previous_step
    return np.minimum(params["f2"] * previous_step, MAX_FIRST_TRIAL)


def smallest_moving_step(X, direction, eta_min):
    """Per row, the smallest step that moves at least one coordinate of ``x_r`` (at least ``eta_min``)."""
    moving = np.abs(direction)
    per_coordinate = np.divide(0.5 * np.spacing(np.abs(X)), moving,
                               out=np.full(moving.shape, np.inf), where=moving > 0)
    return np.maximum(per_coordinate.min(axis=1), eta_min)


def squared_norms(X):
    """``||x_r||^2`` per row: the one reduction the engine uses for every norm.

    ``(X * X).sum(axis=1)``: an exact elementwise product, then NumPy's pairwise summation
    of each row, whose order depends only on the row length.  The result is therefore the
    same for a row alone or in a batch, and on every CPU: it does not go through BLAS
    (``np.vecdot`` and ``np.dot`` call OpenBLAS, whose kernel, chosen at run time by CPU,
    sums in another order: results then differ by ulps between machines, and between a
    row alone and in a batch under some kernels).  The compiled backend reproduces this
    summation order exactly.
    """
    return (X * X).sum(axis=1)


class _TraceRecorder:
    def __init__(self, iterations, starts, dimension):
        self.iterations = iterations
        shape = (iterations.size, starts)
        self.x = np.full(shape + (dimension,), np.nan)
        self.step = np.full(shape, np.nan)
        self.f = np.full(shape, np.nan)
        self.grad_norm = np.full(shape, np.nan)
        self.x_norm = np.full(shape, np.nan)
        self.f_evals = np.full(shape, -1, dtype=np.int64)
        self.position = 0

    @property
    def next_iteration(self):
        if self.position < self.iterations.size:
            return int(self.iterations[self.position])
        return -1

    def record(self, ids, step, f, grad_norm, X, f_evals):
        row = self.position
        self.step[row, ids] = step
        self.f[row, ids] = f
        self.grad_norm[row, ids] = grad_norm
        self.x_norm[row, ids] = np.sqrt(squared_norms(X))
        self.x[row, ids] = X
        self.f_evals[row, ids] = f_evals
        self.position += 1

    def finish(self):
        used = slice(0, self.position)
        return Trace(
            iteration=self.iterations[used].copy(),
            step=self.step[used],
            f=self.f[used],
            grad_norm=self.grad_norm[used],
            x_norm=self.x_norm[used],
            f_evals=self.f_evals[used],
            x=self.x[used],
        )


def minimize(
    f,
    grad,
    x0,
    algorithm="armijo",
    *,
    eps=(1e-6,),
    max_iter=10_000,
    trace=False,
    trace_per_decade=20,
    max_norm=1e15,
    min_f=-1e100,
    eta_min=0.0,
    precision_floor_ulps=4.0,
    noise=None,
    noise_gate=NOISE_GATE,
    **params,
):
    """Run ``algorithm`` from every start of ``x0`` until each start stops.

    Parameters
    ----------
    f : callable
        Batched objective, ``f(X) -> (B,)`` for ``X`` of shape ``(B, n)``.
    grad : callable
        Batched gradient, ``grad(X) -> (B, n)``.
    x0 : array_like, shape (n,) or (B, n)
        Starts (a 1-D array is one start).
    algorithm : str
        ``armijo``, ``armijo-memory``, ``armijo-increase``, ``armijo-dichotomy``,
        ``armijo-normalized``, ``gd``, ``clipped-gd``, ``normalized-gd``, ``adam``, or a
        tuning-free rival: ``polyak``, ``polyak-level``, ``adgd``, ``l0l1-gd``,
        ``normalized-gd-decay`` (step rules in :data:`armijo.params.ALGORITHMS`).
    eps : sequence of float
        Strictly decreasing thresholds on ``||grad f||``; a start converges at
        the smallest one, and the first hitting iteration of each is recorded.
    max_iter : int
        Iteration budget per start.
    trace : bool
        Record a thinned history (:class:`armijo.result.Trace`).
    trace_per_decade : int
        Trace points per decade of iterations.
    max_norm : float
        A start whose ``||x_k||`` exceeds this has ``diverged``.
    min_f : float
        A start whose ``f(x_k)`` falls below this (or to ``-inf``) has ``diverged``.
    eta_min : float
        Optional floor on trial steps; below it a start stops with ``step_underflow``
        (a trial point equal to ``x_k`` in floating point always does).
    precision_floor_ulps : float
        A trial whose first-order decrease ``eta * <g, d>`` is at most this many
        ulps of ``|f(x_k)|`` stops the start with ``precision_floor``.
    noise : None, float or callable
        The evaluation noise ``N(x)`` of ``f`` (a bound on ``|computed f(x) - f(x)|``,
        :mod:`functions.noise`): a callable ``noise(X) -> (B,)``, evaluated at an iterate at
        most once, and only where a margin comes near (``noise_gate``; not counted as an oracle
        call), or a float ``r`` for ``N(x) = r |f(x)|``.  An Armijo trial whose margin is within
        ``2 N(x_k)`` (the noise of a difference of two values) stops the start with
        ``noise_floor`` (:mod:`armijo.linesearch`), and so does a Polyak gap ``f(x_k) - target``
        within ``2 N(x_k)`` (:data:`NOISE_RULE`).  None: no noise rule (the precision floor only).
    noise_gate : float
        For a callable ``noise``: a margin above ``noise_gate`` times the last ``2 N`` evaluated
        for the start is taken as above the noise without evaluating it
        (:class:`armijo.linesearch.NoiseGate`); ``inf`` evaluates it at every iterate.
    **params
        Algorithm parameters (``eta0, lam, f1, f2`` for the Armijo variants,
        ``eta``, ``gamma``, ``beta1``, ``beta2``, ``adam_eps`` for the baselines,
        ``f_star``, ``rho``, ``beta``, ``L0``, ``L1``, ``R`` for the rivals),
        validated up front; ``polyak`` needs ``f_star``, ``l0l1-gd`` needs ``L0`` and
        ``L1``, ``normalized-gd-decay`` needs ``R``.

    Returns
    -------
    RunResult
        Per-start statuses, counts, first hitting iterations and final state.

    Raises
    ------
    ValueError
        For a bad algorithm name, parameter, start, threshold or budget.

    Examples
    --------
    >>> import numpy as np
    >>> result = minimize(lambda X: np.sum(X**4, axis=1), lambda X: 4 * X**3,
    ...                   np.array([[0.5], [1.7]]), "armijo", eps=[1e-2, 1e-4])
    >>> result.status.tolist()
    ['converged', 'converged']
    """
    spec, resolved, X, thresholds, max_iter = validate_run(
        algorithm, params, x0, eps, max_iter, max_norm, eta_min, precision_floor_ulps)
    run = _Run(f, grad, X, spec, resolved, thresholds, max_iter, trace, trace_per_decade,
               float(max_norm), float(min_f), float(eta_min), float(precision_floor_ulps), _as_noise(noise),
               as_noise_gate(noise_gate))
    # Overflow or nan at a trial point is expected and handled (the trial is rejected; a non-finite
    # iterate is the status non_finite): NumPy's floating-point warnings would only repeat it.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return run.execute()


_INT64_MAX = int(np.iinfo(np.int64).max)


def _as_noise(noise):
    """Validate the ``noise`` argument of :func:`minimize`: None, a callable, or a float >= 0."""
    if noise is None or callable(noise):
        return noise
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)):
        raise ValueError(f"noise must be None, a callable noise(X) or a float >= 0, got {noise!r}")
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"a relative noise must be finite and >= 0, got {noise!r}")
    return float(noise) if noise > 0 else None


def as_noise_gate(noise_gate):
    """Validate the noise gate factor (a float >= 1, ``inf`` allowed); shared by both backends."""
    if isinstance(noise_gate, bool) or not isinstance(noise_gate, (int, float, np.floating, np.integer)) \
            or not noise_gate >= 1:
        raise ValueError(f"noise_gate must be a number >= 1 (inf: no gate), got {noise_gate!r}")
    return float(noise_gate)


def noise_of_difference(noise, X, F, cap, gate):
    """``2 N(x)`` per row, the bound on the noise of ``f(trial) - f(x)`` the line search takes.

    ``noise`` as validated by :func:`minimize`: None (no rule: None), a float ``r`` (``2 r |f|``,
    an array), or a callable (a :class:`armijo.linesearch.NoiseGate` over ``cap`` that evaluates
    it at the rows of ``X`` only where a margin comes near).  The noise at the trial point is
    taken equal to the noise at ``x`` (the rule matters only for trials close to ``x``).
    """
    if noise is None:
        return None
    if callable(noise):
        return NoiseGate(lambda rows: 2.0 * np.asarray(noise(X[rows]), dtype=np.float64), cap, gate)
    return 2.0 * (noise * np.abs(F))


def validate_run(algorithm, params, x0, eps, max_iter, max_norm, eta_min, precision_floor_ulps):
    """Validate the arguments of a run up front (shared by every backend).

    Returns
    -------
    spec : AlgorithmSpec
    params : dict
        Every parameter of the algorithm, defaults filled, as floats.
    X : ndarray, shape (B, n)
        A float64 copy of the starts.
    thresholds : ndarray, shape (m,)
    max_iter : int

    Raises
    ------
    ValueError
        For a bad algorithm name, parameter, start, threshold, budget (a non-negative
        integer that fits in int64) or safeguard.
    """
    spec = get_spec(algorithm)
    resolved = resolve_params(algorithm, **params)
    X = _as_starts(x0)
    thresholds = _as_thresholds(eps)
    if (isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0
            or max_iter > _INT64_MAX):
        raise ValueError(f"max_iter must be a non-negative integer (at most 2^63 - 1), got {max_iter!r}")
    for name, value in (("max_norm", max_norm), ("precision_floor_ulps", precision_floor_ulps)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    if not eta_min >= 0:
        raise ValueError(f"eta_min must be >= 0, got {eta_min!r}")
    return spec, resolved, X, thresholds, int(max_iter)


class _Run:
    """State and loop of one call of :func:`minimize` (private)."""

    def __init__(self, f, grad, X, spec, params, thresholds, max_iter, trace, trace_per_decade,
                 max_norm, min_f, eta_min, precision_floor_ulps, noise, noise_gate):
        self.spec = spec
        self.params = params
        self.thresholds = thresholds
        self.max_iter = max_iter
        self.max_norm = max_norm
        self.min_f = min_f
        self.eta_min = eta_min
        self.precision_floor_ulps = precision_floor_ulps
        self.noise = noise
        self.noise_gate = noise_gate
        starts, dimension = X.shape
        self.oracle = CountingOracle(f, grad, starts)
        self.recorder = _TraceRecorder(trace_iterations(max_iter, trace_per_decade), starts, dimension) if trace else None
        # Thresholds padded with -inf: the next threshold of a start that hit all of them.
        self.padded_thresholds = np.append(thresholds, -np.inf)
        self.ascending_thresholds = thresholds[::-1].copy()

        # Results, indexed by start.
        self.status = np.full(starts, "", dtype="<U16")
        self.iterations = np.zeros(starts, dtype=np.int64)
        self.f_evals = np.zeros(starts, dtype=np.int64)
        self.grad_evals = np.zeros(starts, dtype=np.int64)
        self.backtracks_out = np.zeros(starts, dtype=np.int64)
        # Threshold crossings as they happen: (start ids, k, first and past-last threshold
        # index reached, f and grad counts); expanded into the (B, m) tables at the end.
        self.hit_events = []
        self.x_out = X.copy()
        self.f_out = np.full(starts, np.nan)
        self.grad_norm_out = np.full(starts, np.nan)
        self.step_out = np.full(starts, np.nan)

        # Compact state of running starts.
        self.ids = np.arange(starts)
        self.X = X
        self.hits = np.zeros(starts, dtype=np.int64)
        self.reached = np.zeros(starts, dtype=np.int64)  # thresholds reached, by start (written at stop)
        self.next_threshold = np.full(starts, thresholds[0])
        self.backtracks = np.zeros(starts, dtype=np.int64)
        self.step = np.full(starts, np.nan)
        if spec.line_search:
            self.previous_step = np.full(starts, params["eta0"])
        if spec.name == "adam":
            self.first_moment = np.zeros_like(X)
            self.second_moment = np.zeros_like(X)
        if spec.name == "adgd":
            self.previous_iterate = X.copy()
            self.previous_gradient = np.zeros_like(X)
            self.previous_step = np.full(starts, params["eta0"])
            self.step_ratio = np.full(starts, np.inf)  # theta_0 = inf
        if spec.name == "polyak-level":
            self.f_record = np.full(starts, np.nan)  # min_{j<=k} f(x_j), set at k = 0
            self.delta = np.full(starts, np.nan)     # delta_0 = eta0 ||g_0||^2, set at k = 0
        self.noise_cap = np.full(starts, np.inf)  # NoiseGate, per running start
        self.F = None
        self.f_is_current = True

    # -- bookkeeping ---------------------------------------------------------------

    def _compact_arrays(self):
        names = ["ids", "X", "G", "F", "g2", "grad_norm", "hits", "next_threshold", "backtracks", "step", "noise_cap"]
        if self.spec.line_search:
            names.append("previous_step")
        if self.spec.name == "adam":
            names += ["first_moment", "second_moment"]
        if self.spec.name == "adgd":
            names += ["previous_iterate", "previous_gradient", "previous_step", "step_ratio"]
        if self.spec.name == "polyak-level":
            names += ["f_record", "delta"]
        return names

    def finish(self, mask, status, iteration):
        """Write the rows of ``mask`` to the results with ``status`` and drop them."""
        rows = np.flatnonzero(mask)
        ids = self.ids[rows]
        if not self.f_is_current:
            # Baselines do not need f along the way: evaluate it once at the last iterate.
            self.F[rows] = self.oracle.f(self.X[rows], rows)
        self.status[ids] = status
        self.iterations[ids] = iteration
        self.x_out[ids] = self.X[rows]
        self.f_out[ids] = self.F[rows]
        self.grad_norm_out[ids] = self.grad_norm[rows]
        self.step_out[ids] = self.step[rows]
        self.f_evals[ids] = self.oracle.f_evals[rows]
        self.reached[ids] = self.hits[rows]
        self.grad_evals[ids] = self.oracle.grad_evals[rows]
        self.backtracks_out[ids] = self.backtracks[rows]
        keep = ~mask
        for name in self._compact_arrays():
            setattr(self, name, getattr(self, name)[keep])
        self.oracle.keep(keep)

    def evaluate_gradient(self):
        self.G = self.oracle.grad(self.X)
        self.g2 = squared_norms(self.G)
        self.grad_norm = np.sqrt(self.g2)

    def record_hits(self, k):
        """Note the thresholds first reached at iterate ``k`` (see :meth:`_hit_tables`).

        The cost is one comparison per running start, and work in proportion to the
        starts that reach a new threshold, whatever the number of thresholds.
        """
        newly = self.grad_norm <= self.next_threshold
        if not newly.any():
            return
        rows = np.flatnonzero(newly)
        after = self.thresholds.size - np.searchsorted(self.ascending_thresholds, self.grad_norm[rows], side="left")
        f_evals, grad_evals = self.oracle.counts(rows)
        self.hit_events.append((self.ids[rows], k, self.hits[rows], f_evals, grad_evals))
        self.hits[rows] = after
        self.next_threshold[rows] = self.padded_thresholds[after]

    def _hit_tables(self):
        """``eps_hits`` and the counts at the hits, shape ``(B, m)``, from the recorded crossings.

        A crossing of start ``b`` at iterate ``k`` reached thresholds ``before .. after - 1``;
        it is written at column ``before`` and carried to the right by a running maximum
        (``k`` and the counts only grow along a row, as later thresholds are reached
        later).  Columns past the last threshold a start reached stay -1.
        """
        starts, m = self.status.size, self.thresholds.size
        if not self.hit_events:
            return [np.full((starts, m), -1, dtype=np.int64) for _ in range(3)]
        ids, before, f_evals, grad_evals = (np.concatenate([event[i] for event in self.hit_events])
                                            for i in (0, 2, 3, 4))
        k = np.repeat([event[1] for event in self.hit_events], [event[0].size for event in self.hit_events])
        positions = ids * m + before
        tables = np.full((3, starts * m), -1, dtype=np.int64)
        for row, values in enumerate((k, f_evals, grad_evals)):
            tables[row, positions] = values
        tables = tables.reshape(3, starts, m)
        np.maximum.accumulate(tables, axis=2, out=tables)
        np.copyto(tables, -1, where=(np.arange(m) >= self.reached[:, None])[None])
        return list(tables)

    # -- the loop ------------------------------------------------------------------

    def execute(self):
        self.F = self.oracle.f(self.X)
        self.f_initial = self.F.copy()
        self.evaluate_gradient()
        self.grad_norm_initial = self.grad_norm.copy()
        k = 0
        while self.ids.size:
            unusable = ~np.isfinite(self.g2)
            if self.f_is_current:
                unusable |= ~np.isfinite(self.F)
            if unusable.any():
                self.finish(unusable, "non_finite", k)
                if not self.ids.size:
                    break
            self.record_hits(k)
            if self.recorder is not None and self.recorder.next_iteration == k:
                self._record_trace()
            converged = self.hits == self.thresholds.size
            if converged.any():
                self.finish(converged, "converged", k)
                if not self.ids.size:
                    break
            if k == self.max_iter:
                self.finish(np.ones(self.ids.size, dtype=bool), "max_iter", k)
                break
            if self.spec.line_search:
                self._line_search_step(k)
            elif self.spec.name in POLYAK_STEPS:
                self._polyak_step(k)
            else:
                self._baseline_step(k)
            if not self.ids.size:
                break
            k += 1
            self.evaluate_gradient()
        return self._result()

    def _record_trace(self):
        if not self.f_is_current:
            F = self.oracle.f(self.X)
        else:
            F = self.F
        self.recorder.record(self.ids, self.step, F, self.grad_norm, self.X, self.oracle.f_evals)

    def _direction_and_slope(self):
        if self.spec.name == "armijo-normalized":
            return self.G / self.grad_norm[:, None], self.grad_norm
        return self.G, self.g2

    def _line_search_step(self, k):
        params = self.params
        direction, slope = self._direction_and_slope()
        X = self.X

        def phi(eta, rows):
            if rows is None:
                return self.oracle.f(X - eta[:, None] * direction)
            return self.oracle.f(X[rows] - eta[:, None] * direction[rows], rows)

        def min_step(rows):
            return smallest_moving_step(X[rows], direction[rows], self.eta_min)

        floor = self.precision_floor_ulps * np.spacing(np.abs(self.F))
        noise = noise_of_difference(self.noise, X, self.F, self.noise_cap, self.noise_gate)
        step, value, outcome, rejections = backtrack(
            phi, self.F, slope, first_trial(self.spec.name, k, params, self.previous_step),
            lam=params["lam"], f1=params["f1"], precision_floor=floor, min_step=min_step, noise=noise,
        )
        if self.spec.name == "armijo-dichotomy":
            refine = np.flatnonzero((outcome == ACCEPTED) & (rejections > 0))
            if refine.size:
                refined, undecided = dichotomy_refine(
                    phi, refine, step, value, self.F, slope,
                    lam=params["lam"], f1=params["f1"],
                    rounds=dichotomy_rounds(params["f1"], params["f2"]), precision_floor=floor, noise=noise,
                )
                rejections += refined
                outcome[undecided] = NOISE_FLOOR
        self.backtracks += rejections

        for code, status in _FAILED_SEARCH.items():
            failed = outcome == code
            if failed.any():
                self.finish(failed, status, k)
                keep = ~failed
                step, value, direction = step[keep], value[keep], direction[keep]
                outcome = outcome[keep]
        if not self.ids.size:
            return
        self.X = self.X - step[:, None] * direction
        self.F = value
        self.step = step
        self.previous_step = step
        self._check_divergence(k + 1)

    def _baseline_step(self, k):
        params = self.params
        name = self.spec.name
        self.f_is_current = False
        if name == "gd":
            self.step = np.full(self.ids.size, params["eta"])
            self.X = self.X - params["eta"] * self.G
        elif name == "clipped-gd":
            with np.errstate(divide="ignore"):
                self.step = params["eta"] * np.minimum(1.0, params["gamma"] / self.grad_norm)
            self.X = self.X - self.step[:, None] * self.G
        elif name == "normalized-gd":
            self.step = np.full(self.ids.size, params["eta"])
            self.X = self.X - (params["eta"] / self.grad_norm)[:, None] * self.G
        elif name == "adgd":
            self.step = self._adgd_step(k)
            self.X = self.X - self.step[:, None] * self.G
        elif name == "l0l1-gd":
            self.step = params["eta"] / (params["L0"] + params["L1"] * self.grad_norm)
            self.X = self.X - self.step[:, None] * self.G
        elif name == "normalized-gd-decay":
            decayed = params["R"] / math.sqrt(k + 1)
            self.step = np.full(self.ids.size, decayed)
            self.X = self.X - (decayed / self.grad_norm)[:, None] * self.G
        else:  # adam
            self.step = np.full(self.ids.size, params["eta"])
            self.X = self.X - params["eta"] * self._adam_direction(self.G, k)
        self._check_divergence(k + 1)

    def _adgd_step(self, k):
        """AdGD's step of iteration ``k`` (Malitsky & Mishchenko 2020, Algorithm 1); updates its memory.

        ``eta_0 = eta0``; for ``k >= 1``, ``min(sqrt(1 + theta) eta_{k-1}, ||dx|| / (2 ||dg||))`` with
        ``dx = x_k - x_{k-1}``, ``dg = g_k - g_{k-1}`` (the second term is inf when ``dg = 0``), and
        ``theta = eta_{k-1} / eta_{k-2}`` (inf at ``k = 1``).  A nan in either term gives a nan step.
        """
        if k == 0:
            step = self.previous_step.copy()
        else:
            moved = squared_norms(self.X - self.previous_iterate)
            turned = squared_norms(self.G - self.previous_gradient)
            with np.errstate(divide="ignore", invalid="ignore"):
                curvature = np.where(turned > 0, np.sqrt(moved) / (2.0 * np.sqrt(turned)), np.inf)
            growth = np.sqrt(1.0 + self.step_ratio) * self.previous_step
            step = np.minimum(growth, curvature)
            self.step_ratio = step / self.previous_step
        self.previous_iterate = self.X
        self.previous_gradient = self.G
        self.previous_step = step
        return step

    def _polyak_step(self, k):
        """``polyak`` and ``polyak-level``: ``x - (f(x) - target) / ||g||^2 * g``, then ``f`` at the new iterate.

        The target is ``f_star`` (``polyak``) or the level ``min_j f(x_j) - delta`` (``polyak-level``;
        ``delta`` grows by ``rho`` when the new value is at least ``delta / 2`` below the record, else
        shrinks by ``beta``: see :data:`armijo.params.ALGORITHMS`).  A gap ``f(x_k) - target`` within
        the precision floor (``precision_floor_ulps`` ulps of ``f(x_k)``) stops the start with
        ``precision_floor``: the step would be decided by rounding; a gap below minus the floor
        (``f(x_k)`` under the given ``f_star``: the step would climb) stops it with ``step_underflow``.
        With a noise model, a gap within ``2 N(x_k)`` (:func:`noise_of_difference`) stops it first, with
        ``noise_floor``: the sign and size of the gap are rounding there.
        """
        params = self.params
        level_estimate = self.spec.name == "polyak-level"
        if level_estimate:
            if k == 0:
                self.f_record = self.F.copy()
                self.delta = params["eta0"] * self.g2
            gap = self.F - (self.f_record - self.delta)
        else:
            gap = self.F - params["f_star"]
        floor = self.precision_floor_ulps * np.spacing(np.abs(self.F))
        # the noise rule first: a gap within the noise 2 N(x_k) has no sign (compiled: the same order)
        noise = noise_of_difference(self.noise, self.X, self.F, self.noise_cap, self.noise_gate)
        distance = np.abs(gap)
        loud = np.zeros(gap.shape, dtype=bool) if noise is None else ~(distance > noise_against(noise, None, distance))
        stop = np.where(loud, 1, np.where(gap < -floor, 2, np.where(gap <= floor, 3, 0)))
        for code, status in ((1, "noise_floor"), (2, "step_underflow"), (3, "precision_floor")):
            mask = stop == code
            if mask.any():
                self.finish(mask, status, k)
                gap, stop = gap[~mask], stop[~mask]
        if not self.ids.size:
            return
        self.step = gap / self.g2
        self.X = self.X - self.step[:, None] * self.G
        self.F = self.oracle.f(self.X)
        if level_estimate:
            reached = self.F <= self.f_record - 0.5 * self.delta
            self.delta = np.where(reached, params["rho"] * self.delta, params["beta"] * self.delta)
            self.f_record = np.fmin(self.f_record, self.F)
        self._check_divergence(k + 1)

    def _adam_direction(self, G, k):
        """Update Adam's moments with ``G`` and return the bias-corrected direction of iteration ``k``."""
        params = self.params
        self.first_moment, self.second_moment, direction = adam_step(
            self.first_moment, self.second_moment, G, k,
            beta1=params["beta1"], beta2=params["beta2"], adam_eps=params["adam_eps"])
        return direction

    def _check_divergence(self, iteration):
        too_far = squared_norms(self.X) > self.max_norm**2
        if self.f_is_current:
            too_far |= self.F < self.min_f
        if too_far.any():
            self.finish(too_far, "diverged", iteration)

    def _result(self):
        eps_hits, eps_hit_f_evals, eps_hit_grad_evals = self._hit_tables()
        return RunResult(
            algorithm=self.spec.name,
            params=dict(self.params),
            first_trial=self.spec.first_trial,
            eps=self.thresholds.copy(),
            max_iter=self.max_iter,
            status=self.status,
            iterations=self.iterations,
            f_evals=self.f_evals,
            grad_evals=self.grad_evals,
            backtracks=self.backtracks_out,
            eps_hits=eps_hits,
            eps_hit_f_evals=eps_hit_f_evals,
            eps_hit_grad_evals=eps_hit_grad_evals,
            x=self.x_out,
            f=self.f_out,
            grad_norm=self.grad_norm_out,
            f_initial=self.f_initial,
            grad_norm_initial=self.grad_norm_initial,
            step=self.step_out,
            trace=self.recorder.finish() if self.recorder is not None else None,
            backend="numpy",
        )
