"""The compiled backend: the whole run loop of :func:`armijo.minimize` compiled with Numba.

:func:`minimize_compiled` takes scalar Numba kernels instead of batched NumPy oracles and runs
every start to its stop inside one compiled function, in parallel over starts (``prange``).
The NumPy engine (:mod:`armijo.engine`) stays the reference: it defines every algorithm.  This
loop performs, for each start, the floating-point operations of the engine's loop on that start's row
in the same order, with the same counting, and returns the same :class:`~armijo.result.RunResult`
(``backend="compiled"``):

* norms: :func:`squared_norm` reproduces NumPy's pairwise summation of ``(X * X).sum(axis=1)``
  (:func:`armijo.engine.squared_norms`) bit for bit, for every row length;
* the Armijo test ``phi <= phi0 - lam * eta * slope``, the precision floor
  ``eta * slope > precision_floor_ulps * spacing(|f|)`` and the noise rule (the first-order
  margin ``(1 - lam) * eta * slope`` and the computed margin against ``2 N(x_k)``), written once
  each, as in :mod:`armijo.linesearch`; ``smallest_moving_step``, the first-trial policy with
  ``MAX_FIRST_TRIAL``, the dichotomy's geometric midpoints and ``dichotomy_rounds``;
* baselines: the same updates (Adam's bias corrections use ``pow`` with a float exponent,
  which is the C library's ``pow`` that Python's ``**`` calls);
* counts: ``f(x_0)`` plus one ``f`` per Armijo trial, one ``grad`` per iterate; baselines
  evaluate ``f`` at the start, at trace points and at the last iterate;
* eps grid, statuses, trace: as in the engine (first hitting iteration and the counts there,
  the log-thinned trace at :func:`armijo.engine.trace_iterations`).

No ``fastmath``: LLVM neither reassociates nor contracts ``a * b + c`` into a fused
multiply-add, so given the same objective values the two backends produce the same bits
(``tests/test_compiled.py`` checks it).  What may still differ comes from the objective
kernels, not from this loop (see :mod:`functions.kernels`).

Kernels
-------
A kernels object has three attributes:

* ``f``: a Numba dispatcher ``f(x) -> float`` for ``x`` a C-contiguous float64 array of
  shape ``(n,)``;
* ``grad``: a Numba dispatcher ``grad(x, out) -> None`` writing the gradient into ``out``;
* ``dimension``: ``n``;
* optionally the evaluation noise of ``f`` (:mod:`functions.noise`): ``noise``, a Numba
  dispatcher ``noise(x) -> float`` evaluated once per iteration at ``x_k``, or
  ``noise_relative``, a float ``r`` for ``N(x) = r |f(x)|``; without either, no noise rule.

The loop takes them as first-class functions (``numba.types.FunctionType``), so it is
compiled once for every objective and cached on disk (in ``__pycache__`` next to this file,
or in ``NUMBA_CACHE_DIR``); an objective costs only the compilation of its kernels.

Lanes
-----
Kernels that also carry their printed code (``printed``: the
:class:`functions.kernels.PrintedComponents` of ``f`` and of the gradient, ``header`` and
``load_module``, as :class:`functions.kernels.CompiledKernels` do) run the line searches
``armijo``, ``armijo-memory``, ``armijo-increase`` and ``armijo-dichotomy`` in lanes
(:mod:`armijo.lockstep`): a function generated once per objective, with ``f`` and the gradient
written inline, runs the plain iterations (first trial accepted, nothing else happening) of a
block of starts side by side, vectorised over ``WIDTH`` lanes (from ``LANES_FROM`` starts on)
or one start with its state in registers; every other iteration of a start (its first one,
backtracking, a threshold crossed, a trace point, a stop, a floor or the noise rule near) is
run by the general loop, :func:`_run_start`, resumed from the lane's state for one iteration.
A plain iteration performs the general loop's operations in the same order, so lanes change
no bit of a run (``tests/test_lockstep.py``).  Where they gain: the kernels are not called
through function pointers, the checks of a plain iteration are a few comparisons, and the
processor predicts the branch of a lane of one (or the compiler vectorises the lanes of a block)
instead of waiting for the Armijo test.

Threads
-------
Starts are independent and each writes only its own rows of the outputs, so results do not
depend on the number of threads.  Numba uses ``NUMBA_NUM_THREADS`` threads (default: all
cores); ``threads=`` limits one call (``numba.set_num_threads``).  A single start, or a
call with one thread, runs the serial loop and never touches the thread pool (so a process
forked from one that used the pool, as the experiments' worker processes are, runs safely).

This module imports Numba; :mod:`armijo` itself does not, and works without it.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from armijo.engine import MAX_FIRST_TRIAL, NOISE_GATE, as_noise_gate, trace_iterations, validate_run
from armijo.linesearch import ACCEPTED, NOISE_FLOOR, PRECISION_FLOOR, STEP_UNDERFLOW, dichotomy_rounds
from armijo.lockstep import (
    BACKTRACKS_ROW, CAP_ROW, DONE, F_EVALS_ROW, F_ROW, FLOAT_FIELDS, FROZEN, G2_ROW, GN_ROW, GRAD_EVALS_ROW,
    INTEGER_FIELDS, K_ROW, KERNEL_NOISE, LANE_ROW, LOCKSTEP_CODES, MAX_DIMENSION, NEXT_THRESHOLD_ROW, NEXT_TRACE_ROW,
    NO_NOISE, P_ETA0, P_F2, P_LAM, P_MAX_FIRST, P_MAX_NORM_SQUARED, P_MIN_F, P_NOISE_RELATIVE, P_ULPS, PARAMETERS,
    PREVIOUS_ROW, Q_CODE, Q_MAX_ITER, Q_NOISE_MODE, Q_ROUNDS, REACHED_ROW, RELATIVE_NOISE, RUNNING, STEP_ROW,
    TRACE_ROW_ROW, WIDTH, lockstep_source,
)
from armijo.result import STATUSES, RunResult, Trace

#: Algorithm codes of the compiled loop, in the order of :data:`armijo.params.ALGORITHMS`.
ALGORITHM_CODES = {name: code for code, name in enumerate(
    ("armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy", "armijo-normalized",
     "gd", "clipped-gd", "normalized-gd", "adam",
     "polyak", "polyak-level", "adgd", "l0l1-gd", "normalized-gd-decay"))}
_ARMIJO, _MEMORY, _INCREASE, _DICHOTOMY, _NORMALIZED, _GD, _CLIPPED, _NORMALIZED_GD, _ADAM = range(9)
# the tuning-free rivals (SCIENCE.md section 9)
_POLYAK, _POLYAK_LEVEL, _ADGD, _L0L1_GD, _NORMALIZED_GD_DECAY = range(9, 14)

# Status codes: indices into armijo.result.STATUSES.
_CONVERGED, _MAX_ITER, _STEP_UNDERFLOW, _PRECISION_FLOOR, _NON_FINITE, _DIVERGED, _NOISE_FLOOR = range(7)
assert STATUSES == ("converged", "max_iter", "step_underflow", "precision_floor", "non_finite", "diverged",
                    "noise_floor")

# Layout of the float parameters of a run (``reals``) and of its integers (``integers``).
_ETA0, _LAM, _F1, _F2, _ETA, _GAMMA, _BETA1, _BETA2, _ADAM_EPS = range(9)
_MAX_NORM_SQUARED, _MIN_F, _ETA_MIN, _FLOOR_ULPS, _MAX_FIRST = range(9, 14)
_F_STAR, _RHO, _BETA, _L0, _L1, _R = range(14, 20)
_NOISE_RELATIVE, _NOISE_GATE = range(20, 22)
_REALS = 22
_MAX_ITER_INDEX, _ROUNDS, _NOISE_MODE = range(3)
# How N(x_k) is known: no noise rule, r |f(x_k)|, or the noise kernel at x_k.
_NO_NOISE, _RELATIVE_NOISE, _KERNEL_NOISE = range(3)
assert (_NO_NOISE, _RELATIVE_NOISE, _KERNEL_NOISE) == (NO_NOISE, RELATIVE_NOISE, KERNEL_NOISE)  # armijo.lockstep's

# Rows of the per-start float outputs and of the count outputs.
_OUT_F, _OUT_GRAD_NORM, _OUT_F_INITIAL, _OUT_GRAD_NORM_INITIAL, _OUT_STEP = range(5)
_OUT_ITERATIONS, _OUT_F_EVALS, _OUT_GRAD_EVALS, _OUT_BACKTRACKS = range(4)
# Rows of the float trace (the int trace holds f_evals).
_TRACE_STEP, _TRACE_F, _TRACE_GRAD_NORM, _TRACE_X_NORM = range(4)

#: Signatures of the kernels (first-class function types of the loop's arguments).
F_SIGNATURE = types.float64(types.float64[::1])
GRAD_SIGNATURE = types.none(types.float64[::1], types.float64[::1])

_OPTIONS = dict(cache=True, error_model="numpy", nogil=True)


# -- arithmetic shared with the NumPy engine ------------------------------------------------------


@njit(**_OPTIONS)
def _pairwise_block(v, start, count):
    """NumPy's pairwise sum of ``v[start:start+count] ** 2`` for ``count <= 128``.

    Below 8 elements a plain loop from 0; else eight interleaved accumulators combined as
    ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))``, then the remainder one by one.
    """
    if count < 8:
        total = 0.0
        for i in range(start, start + count):
            total += v[i] * v[i]
        return total
    r0 = v[start] * v[start]
    r1 = v[start + 1] * v[start + 1]
    r2 = v[start + 2] * v[start + 2]
    r3 = v[start + 3] * v[start + 3]
    r4 = v[start + 4] * v[start + 4]
    r5 = v[start + 5] * v[start + 5]
    r6 = v[start + 6] * v[start + 6]
    r7 = v[start + 7] * v[start + 7]
    i = 8
    blocks_end = count - count % 8
    while i < blocks_end:
        j = start + i
        r0 += v[j] * v[j]
        r1 += v[j + 1] * v[j + 1]
        r2 += v[j + 2] * v[j + 2]
        r3 += v[j + 3] * v[j + 3]
        r4 += v[j + 4] * v[j + 4]
        r5 += v[j + 5] * v[j + 5]
        r6 += v[j + 6] * v[j + 6]
        r7 += v[j + 7] * v[j + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < count:
        total += v[start + i] * v[start + i]
        i += 1
    return total


@njit(**_OPTIONS)
def _pairwise_squares(v, start, count):
    """NumPy's pairwise sum of squares (``DOUBLE_pairwise_sum``) for ``count > 128``.

    Above 128 elements NumPy sums the two halves recursively, the first rounded down to a
    multiple of 8.  The recursion is unrolled on an explicit stack (Numba cannot cache a
    recursive function): a frame waits for its left half, then its right half, and returns
    ``left + right``.
    """
    depth = 64  # halving 2**63 elements down to 128 takes 56 levels
    frame_start = np.empty(depth, dtype=np.int64)
    frame_count = np.empty(depth, dtype=np.int64)
    left_done = np.zeros(depth, dtype=np.bool_)
    left_value = np.empty(depth)
    top = 0
    frame_start[0], frame_count[0] = start, count
    value = 0.0
    returning = False
    while True:
        if returning:
            if top < 0:
                return value
            half = frame_count[top] // 2
            half -= half % 8
            if not left_done[top]:
                left_done[top], left_value[top] = True, value
                returning = False
                top += 1
                frame_start[top], frame_count[top], left_done[top] = frame_start[top - 1] + half, frame_count[top - 1] - half, False
            else:
                value = left_value[top] + value
                top -= 1
            continue
        if frame_count[top] <= 128:
            value = _pairwise_block(v, frame_start[top], frame_count[top])
            top -= 1
            returning = True
            continue
        half = frame_count[top] // 2
        half -= half % 8
        top += 1
        frame_start[top], frame_count[top], left_done[top] = frame_start[top - 1], half, False


@njit(inline="always", **_OPTIONS)
def squared_norm(v):
    """``||v||^2`` with the bits of :func:`armijo.engine.squared_norms` (NumPy 2's add.reduce
    starts from the identity 0 and pairwise-sums all ``n`` squares; tested for n = 1..300).

    Inlined into its callers (Numba IR inlining): called out of line, the two norms of an
    iteration took about 8 of the 31 ns of a one-start iteration on x^4."""
    count = v.shape[0]
    # the short case apart: the explicit stack of the long one costs allocations
    return _pairwise_block(v, 0, count) if count <= 128 else _pairwise_squares(v, 0, count)


@intrinsic
def _bits(typingctx, value):
    """The bits of a float64 as an int64 (a bit cast)."""
    def codegen(context, builder, signature, arguments):
        return builder.bitcast(arguments[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, value):
    """The float64 of int64 bits (a bit cast)."""
    def codegen(context, builder, signature, arguments):
        return builder.bitcast(arguments[0], context.get_value_type(types.float64))
    return types.float64(types.int64), codegen


@njit(**_OPTIONS)
def _spacing(value):
    """``np.spacing(abs(value))``: inf at the largest float, nan at inf and nan.

    The next float above ``|value|`` is the one whose bits are one more (``np.nextafter`` gives
    the same for every non-negative float, at the cost of a library call: 8 of the 48 ns of a
    one-start iteration on x^4); at inf and nan the difference is nan either way.
    """
    magnitude = abs(value)
    return _from_bits(_bits(magnitude) + 1) - magnitude


@njit(**_OPTIONS)
def _armijo_test(phi_eta, phi0, eta, slope, lam):
    """:func:`armijo.linesearch.armijo_test` (a nan ``phi_eta`` fails)."""
    return phi_eta <= phi0 - lam * eta * slope


@njit(**_OPTIONS)
def _resolvable(eta, slope, floor):
    """The precision-floor test of :mod:`armijo.linesearch`: the decrease is above the floor."""
    return eta * slope > floor


@njit(**_OPTIONS)
def _first_order_margin(eta, slope, lam):
    """:func:`armijo.linesearch.first_order_margin`."""
    return (1.0 - lam) * (eta * slope)


@njit(**_OPTIONS)
def _computed_margin(phi_eta, phi0, eta, slope, lam):
    """:func:`armijo.linesearch.computed_margin` (nan for a nan ``phi_eta``)."""
    return abs(phi0 - lam * eta * slope - phi_eta)


@njit(**_OPTIONS)
def _noise_at(noise, x, gate):
    """The noise kernel at ``x`` as :class:`armijo.linesearch.NoiseGate` reads it: ``2 N(x)`` (a nan
    bound read as ``inf``) and the new cap ``gate * 2 N`` (``inf`` where ``N`` is not > 0)."""
    difference_noise = 2.0 * noise(x)
    if difference_noise != difference_noise:
        difference_noise = np.inf
    return difference_noise, (gate * difference_noise if difference_noise > 0 else np.inf)


@njit(**_OPTIONS)
def _smallest_moving_step(x, direction, eta_min):
    """:func:`armijo.engine.smallest_moving_step` for one row."""
    smallest = np.inf
    for i in range(x.shape[0]):
        moving = abs(direction[i])
        if moving > 0:
            candidate = 0.5 * _spacing(x[i]) / moving
            if candidate < smallest:
                smallest = candidate
    return smallest if smallest > eta_min else eta_min


@njit(**_OPTIONS)
def _propagating_min(a, b):
    """``np.minimum(a, b)`` for two floats: nan when either is nan."""
    if math.isnan(a) or math.isnan(b):
        return np.nan
    return a if a <= b else b


@njit(**_OPTIONS)
def _trial_point(x, eta, direction, out):
    for i in range(x.shape[0]):
        out[i] = x[i] - eta * direction[i]


# -- one start -----------------------------------------------------------------------------------


@njit(**_OPTIONS)
def _run_start(f, grad, noise, b, starts, code, reals, integers, thresholds, trace_at,
               status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x,
               lane_state, lane_integers, lane, width, budget, scratch):
    """Run start ``b`` to its stop and write its row of every output (the engine's single loop).

    ``width > 0``: start ``b`` is lane ``lane`` of a block of ``width`` lanes (:mod:`armijo.lockstep`;
    line searches of :data:`armijo.lockstep.LOCKSTEP_CODES` only): it resumes from the lane's
    state (unless the lane's ``k`` is -1: not started), and after ``budget`` iterations (-1: no
    limit) writes its state back there and returns; a stopped start marks its lane done.
    ``scratch``, shape ``(8, n)``, holds its vectors (the caller allocates it once for many calls).
    """
    n = starts.shape[1]
    m = thresholds.shape[0]
    trace_points = trace_at.shape[0]
    max_iter = integers[_MAX_ITER_INDEX]
    noise_mode = integers[_NOISE_MODE]
    gate = reals[_NOISE_GATE]
    cap = np.inf  # NoiseGate: gate * 2 N at the last evaluation of the noise kernel
    lam, f1 = reals[_LAM], reals[_F1]
    line_search = code <= _NORMALIZED
    x = scratch[0]
    for i in range(n):
        x[i] = starts[b, i]
    trial = scratch[1]
    g = scratch[2]
    direction = g if code != _NORMALIZED else scratch[3]
    first_moment = scratch[4]
    second_moment = scratch[5]
    if code == _ADAM:
        first_moment[:] = 0.0
        second_moment[:] = 0.0
    previous_iterate = scratch[6]
    previous_gradient = scratch[7]
    step_ratio = np.inf  # AdGD's theta_0
    f_record = np.nan    # polyak-level: min_j f(x_j) and delta, set at k = 0
    delta = np.nan

    resume = width > 0 and lane_integers[K_ROW * width + lane] >= 0
    if resume:
        for i in range(n):
            x[i] = lane_state[i * width + lane]
            g[i] = lane_state[(n + i) * width + lane]
        fx = lane_state[(2 * n + F_ROW) * width + lane]
        g2 = lane_state[(2 * n + G2_ROW) * width + lane]
        grad_norm = lane_state[(2 * n + GN_ROW) * width + lane]
        step = lane_state[(2 * n + STEP_ROW) * width + lane]
        previous_step = lane_state[(2 * n + PREVIOUS_ROW) * width + lane]
        next_threshold = lane_state[(2 * n + NEXT_THRESHOLD_ROW) * width + lane]
        cap = lane_state[(2 * n + CAP_ROW) * width + lane]
        k = lane_integers[K_ROW * width + lane]
        next_trace = lane_integers[NEXT_TRACE_ROW * width + lane]
        f_evals = lane_integers[F_EVALS_ROW * width + lane]
        grad_evals = lane_integers[GRAD_EVALS_ROW * width + lane]
        backtracks = lane_integers[BACKTRACKS_ROW * width + lane]
        reached = lane_integers[REACHED_ROW * width + lane]
        trace_row = lane_integers[TRACE_ROW_ROW * width + lane]
        f_is_current = True
    else:
        fx = f(x)
        f_evals = 1
        grad(x, g)
        grad_evals = 1
        g2 = squared_norm(g)
        grad_norm = math.sqrt(g2)
        floats[_OUT_F_INITIAL, b] = fx
        floats[_OUT_GRAD_NORM_INITIAL, b] = grad_norm
        f_is_current = True
        step = np.nan
        previous_step = reals[_ETA0]
        backtracks = 0
        reached = 0
        next_threshold = thresholds[0]
        trace_row = 0
        next_trace = trace_at[0] if trace_points > 0 else -1
        k = 0
    left = budget
    outcome_status = _MAX_ITER
    while True:
        if left == 0:  # the budget is spent: the lane's state, at the top of iteration k
            for i in range(n):
                lane_state[i * width + lane] = x[i]
                lane_state[(n + i) * width + lane] = g[i]
            lane_state[(2 * n + F_ROW) * width + lane] = fx
            lane_state[(2 * n + G2_ROW) * width + lane] = g2
            lane_state[(2 * n + GN_ROW) * width + lane] = grad_norm
            lane_state[(2 * n + STEP_ROW) * width + lane] = step
            lane_state[(2 * n + PREVIOUS_ROW) * width + lane] = previous_step
            lane_state[(2 * n + NEXT_THRESHOLD_ROW) * width + lane] = next_threshold
            lane_state[(2 * n + CAP_ROW) * width + lane] = cap
            lane_integers[K_ROW * width + lane] = k
            lane_integers[NEXT_TRACE_ROW * width + lane] = next_trace
            lane_integers[F_EVALS_ROW * width + lane] = f_evals
            lane_integers[GRAD_EVALS_ROW * width + lane] = grad_evals
            lane_integers[BACKTRACKS_ROW * width + lane] = backtracks
            lane_integers[REACHED_ROW * width + lane] = reached
            lane_integers[TRACE_ROW_ROW * width + lane] = trace_row
            return
        left -= 1
        if not math.isfinite(g2) or (f_is_current and not math.isfinite(fx)):
            outcome_status = _NON_FINITE
            break
        if grad_norm <= next_threshold:
            after = reached
            while after < m and thresholds[after] >= grad_norm:
                after += 1
            for j in range(reached, after):
                hit_tables[0, b, j] = k
                hit_tables[1, b, j] = f_evals
                hit_tables[2, b, j] = grad_evals
            reached = after
            next_threshold = thresholds[after] if after < m else -np.inf
        if k == next_trace:
            traced_f = fx
            if not f_is_current:
                traced_f = f(x)
                f_evals += 1
            trace_reals[_TRACE_STEP, trace_row, b] = step
            trace_reals[_TRACE_F, trace_row, b] = traced_f
            trace_reals[_TRACE_GRAD_NORM, trace_row, b] = grad_norm
            trace_reals[_TRACE_X_NORM, trace_row, b] = math.sqrt(squared_norm(x))
            for i in range(n):
                trace_x[trace_row, b, i] = x[i]
            trace_f_evals[trace_row, b] = f_evals
            trace_row += 1
            next_trace = trace_at[trace_row] if trace_row < trace_points else -1
        if reached == m:
            outcome_status = _CONVERGED
            break
        if k == max_iter:
            outcome_status = _MAX_ITER
            break
        if line_search:
            if code == _NORMALIZED:
                for i in range(n):
                    direction[i] = g[i] / grad_norm
                slope = grad_norm
            else:
                slope = g2
            floor = reals[_FLOOR_ULPS] * _spacing(fx)
            noisy = noise_mode != _NO_NOISE
            known = noise_mode == _RELATIVE_NOISE  # the kernel's noise is evaluated when a margin comes near
            difference_noise = 2.0 * (reals[_NOISE_RELATIVE] * abs(fx)) if known else 0.0
            if code == _ARMIJO or k == 0:
                eta = reals[_ETA0]
            elif code == _MEMORY:
                eta = previous_step
            else:
                eta = min(reals[_F2] * previous_step, reals[_MAX_FIRST])
            # backtracking (armijo.linesearch.backtrack, one row)
            outcome = PRECISION_FLOOR
            value = np.nan
            rejections = 0
            smallest = -1.0
            while _resolvable(eta, slope, floor):
                # the noise rule; a margin above the cap is above the noise (NoiseGate): a kernel not
                # known yet is evaluated only when a margin is not (a relative noise is always known).
                # Written out at its three places: a helper, even inlined, made x^4 20% slower.
                if noisy:
                    margin = _first_order_margin(eta, slope, lam)
                    if not known and not margin > cap:
                        difference_noise, cap = _noise_at(noise, x, gate)
                        known = True
                    if known and not margin > difference_noise:
                        outcome = NOISE_FLOOR
                        break
                _trial_point(x, eta, direction, trial)
                value = f(trial)
                f_evals += 1
                if noisy:
                    margin = _computed_margin(value, fx, eta, slope, lam)
                    if not known and not margin > cap:
                        difference_noise, cap = _noise_at(noise, x, gate)
                        known = True
                    if known and margin < difference_noise:
                        outcome = NOISE_FLOOR
                        break
                if _armijo_test(value, fx, eta, slope, lam):
                    outcome = PRECISION_FLOOR if value == fx else ACCEPTED
                    break
                rejections += 1
                eta /= f1
                if smallest < 0.0:
                    smallest = _smallest_moving_step(x, direction, reals[_ETA_MIN])
                if eta < smallest:
                    outcome = STEP_UNDERFLOW
                    break
            if code == _DICHOTOMY and outcome == ACCEPTED and rejections > 0:
                # armijo.linesearch.dichotomy_refine, one row
                low = eta
                high = eta * f1
                for _ in range(integers[_ROUNDS]):
                    middle = math.sqrt(low * high)
                    if not _resolvable(middle, slope, floor):
                        break
                    _trial_point(x, middle, direction, trial)
                    middle_value = f(trial)
                    f_evals += 1
                    if noisy:
                        margin = _computed_margin(middle_value, fx, middle, slope, lam)
                        if not known and not margin > cap:
                            difference_noise, cap = _noise_at(noise, x, gate)
                            known = True
                        if known and margin < difference_noise:
                            outcome = NOISE_FLOOR
                            break
                    if _armijo_test(middle_value, fx, middle, slope, lam) and middle_value != fx:
                        low = middle
                        value = middle_value
                    else:
                        high = middle
                        rejections += 1
                eta = low
            backtracks += rejections
            if outcome != ACCEPTED:
                if outcome == PRECISION_FLOOR:
                    outcome_status = _PRECISION_FLOOR
                elif outcome == NOISE_FLOOR:
                    outcome_status = _NOISE_FLOOR
                else:
                    outcome_status = _STEP_UNDERFLOW
                break
            for i in range(n):
                x[i] = x[i] - eta * direction[i]
            fx = value
            step = eta
            previous_step = eta
        elif code == _POLYAK or code == _POLYAK_LEVEL:
            # armijo.engine._Run._polyak_step (with the noise rule on the gap: armijo.engine.NOISE_RULE)
            if code == _POLYAK:
                gap = fx - reals[_F_STAR]
            else:
                if k == 0:
                    f_record = fx
                    delta = reals[_ETA0] * g2
                gap = fx - (f_record - delta)
            floor = reals[_FLOOR_ULPS] * _spacing(fx)
            if noise_mode != _NO_NOISE:
                # the noise rule first, as in the engine: a gap within 2 N(x_k) has no sign
                distance = abs(gap)
                if noise_mode == _RELATIVE_NOISE:
                    difference_noise = 2.0 * (reals[_NOISE_RELATIVE] * abs(fx))
                elif not distance > cap:
                    difference_noise, cap = _noise_at(noise, x, gate)
                else:
                    difference_noise = 0.0
                if not distance > difference_noise:
                    outcome_status = _NOISE_FLOOR
                    break
            if gap < -floor:
                outcome_status = _STEP_UNDERFLOW
                break
            if gap <= floor:
                outcome_status = _PRECISION_FLOOR
                break
            step = gap / g2
            for i in range(n):
                x[i] = x[i] - step * g[i]
            fx = f(x)
            f_evals += 1
            if code == _POLYAK_LEVEL:
                if fx <= f_record - 0.5 * delta:
                    delta = reals[_RHO] * delta
                else:
                    delta = reals[_BETA] * delta
                if fx < f_record:
                    f_record = fx
        else:
            f_is_current = False
            eta = reals[_ETA]
            if code == _GD:
                step = eta
                for i in range(n):
                    x[i] = x[i] - eta * g[i]
            elif code == _CLIPPED:
                step = eta * min(1.0, reals[_GAMMA] / grad_norm)
                for i in range(n):
                    x[i] = x[i] - step * g[i]
            elif code == _NORMALIZED_GD:
                step = eta
                scale = eta / grad_norm
                for i in range(n):
                    x[i] = x[i] - scale * g[i]
            elif code == _ADGD:
                # armijo.engine._Run._adgd_step
                if k == 0:
                    step = previous_step
                else:
                    for i in range(n):
                        trial[i] = x[i] - previous_iterate[i]
                    moved = squared_norm(trial)
                    for i in range(n):
                        trial[i] = g[i] - previous_gradient[i]
                    turned = squared_norm(trial)
                    curvature = math.sqrt(moved) / (2.0 * math.sqrt(turned)) if turned > 0 else np.inf
                    growth = math.sqrt(1.0 + step_ratio) * previous_step
                    step = _propagating_min(growth, curvature)
                    step_ratio = step / previous_step
                previous_step = step
                for i in range(n):
                    previous_iterate[i] = x[i]
                    previous_gradient[i] = g[i]
                    x[i] = x[i] - step * g[i]
            elif code == _L0L1_GD:
                step = eta / (reals[_L0] + reals[_L1] * grad_norm)
                for i in range(n):
                    x[i] = x[i] - step * g[i]
            elif code == _NORMALIZED_GD_DECAY:
                step = reals[_R] / math.sqrt(np.float64(k + 1))
                scale = step / grad_norm
                for i in range(n):
                    x[i] = x[i] - scale * g[i]
            else:  # adam: armijo.adam.adam_step, per coordinate, the same operations in the same order
                step = eta
                beta1, beta2 = reals[_BETA1], reals[_BETA2]
                correction1 = 1 - math.pow(beta1, np.float64(k + 1))
                correction2 = 1 - math.pow(beta2, np.float64(k + 1))
                for i in range(n):
                    first_moment[i] = beta1 * first_moment[i] + (1 - beta1) * g[i]
                    second_moment[i] = beta2 * second_moment[i] + (1 - beta2) * (g[i] * g[i])
                    corrected_first = first_moment[i] / correction1
                    corrected_second = second_moment[i] / correction2
                    x[i] = x[i] - eta * (corrected_first / (math.sqrt(corrected_second) + reals[_ADAM_EPS]))
        k += 1
        if squared_norm(x) > reals[_MAX_NORM_SQUARED] or (f_is_current and fx < reals[_MIN_F]):
            outcome_status = _DIVERGED
            break
        grad(x, g)
        grad_evals += 1
        g2 = squared_norm(g)
        grad_norm = math.sqrt(g2)
    if not f_is_current:
        fx = f(x)
        f_evals += 1
    status[b] = outcome_status
    counts[_OUT_ITERATIONS, b] = k
    counts[_OUT_F_EVALS, b] = f_evals
    counts[_OUT_GRAD_EVALS, b] = grad_evals
    counts[_OUT_BACKTRACKS, b] = backtracks
    for i in range(n):
        x_out[b, i] = x[i]
    floats[_OUT_F, b] = fx
    floats[_OUT_GRAD_NORM, b] = grad_norm
    floats[_OUT_STEP, b] = step
    trace_rows[b] = trace_row
    if width > 0:
        lane_integers[LANE_ROW * width + lane] = DONE


def _run_serial_py(f, grad, noise, starts, code, reals, integers, thresholds, trace_at,
                   status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x):
    no_lanes, no_lane_integers = np.zeros(0), np.zeros(0, dtype=np.int64)  # not in lanes
    scratch = np.empty((8, starts.shape[1]))
    for b in range(starts.shape[0]):
        _run_start(f, grad, noise, b, starts, code, reals, integers, thresholds, trace_at,
                   status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x,
                   no_lanes, no_lane_integers, 0, 0, -1, scratch)


def _run_parallel_py(f, grad, noise, starts, code, reals, integers, thresholds, trace_at,
                     status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x):
    no_lanes, no_lane_integers = np.zeros(0), np.zeros(0, dtype=np.int64)  # not in lanes
    for b in prange(starts.shape[0]):
        scratch = np.empty((8, starts.shape[1]))
        _run_start(f, grad, noise, b, starts, code, reals, integers, thresholds, trace_at,
                   status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x,
                   no_lanes, no_lane_integers, 0, 0, -1, scratch)


_LOOP_SIGNATURE = types.none(
    types.FunctionType(F_SIGNATURE), types.FunctionType(GRAD_SIGNATURE), types.FunctionType(F_SIGNATURE),
    types.float64[:, ::1], types.int64, types.float64[::1], types.int64[::1], types.float64[::1],
    types.int64[::1], types.int64[::1], types.int64[:, ::1], types.int64[:, :, ::1],
    types.float64[:, ::1], types.float64[:, ::1], types.float64[:, :, ::1], types.int64[:, ::1],
    types.int64[::1], types.float64[:, :, ::1],
)

_LOOPS = {}


def _loop(parallel):
    """The compiled loop (serial or parallel over starts), compiled or loaded from disk at first use."""
    if parallel not in _LOOPS:
        python_function = _run_parallel_py if parallel else _run_serial_py
        _LOOPS[parallel] = njit(_LOOP_SIGNATURE, parallel=parallel, **_OPTIONS)(python_function)
    return _LOOPS[parallel]



# -- lockstep: plain iterations of many starts in lanes (armijo.lockstep) --------------------------


@njit(**_OPTIONS)
def _run_block(advance, f, grad, noise, first, count, width, starts, code, reals, integers, thresholds, trace_at,
               status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x,
               parameters, settings):
    """Starts ``first .. first + count - 1`` in the lanes of one block of ``width`` (1 or ``WIDTH``).

    ``advance`` runs the lanes' plain iterations; every start's first iteration, and every
    iteration ``advance`` leaves frozen, is run by the general loop (:func:`_run_start` with a
    budget of one iteration).  When fewer than one lane in 16 is left running, the general loop
    runs those to their stop.  The general loop is called from one place: called from three, it
    was compiled into each (47 s instead of 15 s to compile the serial loop on this machine).
    """
    n = starts.shape[1]
    state = np.zeros((2 * n + FLOAT_FIELDS) * width)
    lanes = np.zeros(INTEGER_FIELDS * width, dtype=np.int64)
    scratch = np.empty((8, n))
    for lane in range(width):
        lanes[LANE_ROW * width + lane] = FROZEN if lane < count else DONE  # frozen: for the general loop
        lanes[K_ROW * width + lane] = -1  # not started
    finishing = False
    while True:
        running = 0
        for lane in range(width):
            if lanes[LANE_ROW * width + lane] == FROZEN or (finishing and lanes[LANE_ROW * width + lane] == RUNNING):
                lanes[LANE_ROW * width + lane] = RUNNING
                # the one call of the general loop (one call site: it is compiled in once)
                _run_start(f, grad, noise, first + lane, starts, code, reals, integers, thresholds, trace_at,
                           status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows,
                           trace_x, state, lanes, lane, width, -1 if finishing else 1, scratch)
            running += lanes[LANE_ROW * width + lane] == RUNNING
        if running == 0 or finishing:
            return
        finishing = width > 1 and running * 16 < width  # too few lanes left to fill the vectors
        if not finishing:
            advance(state, lanes, parameters, settings)


def _lockstep_serial_py(advance, f, grad, noise, width, starts, code, reals, integers, thresholds, trace_at,
                        status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x,
                        parameters, settings):
    total = starts.shape[0]
    for block in range((total + width - 1) // width):
        first = block * width
        _run_block(advance, f, grad, noise, first, min(width, total - first), width, starts, code, reals, integers,
                   thresholds, trace_at, status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals,
                   trace_rows, trace_x, parameters, settings)


def _lockstep_parallel_py(advance, f, grad, noise, width, starts, code, reals, integers, thresholds, trace_at,
                          status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals, trace_rows, trace_x,
                          parameters, settings):
    total = starts.shape[0]
    for block in prange((total + width - 1) // width):
        first = block * width
        _run_block(advance, f, grad, noise, first, min(width, total - first), width, starts, code, reals, integers,
                   thresholds, trace_at, status, counts, hit_tables, x_out, floats, trace_reals, trace_f_evals,
                   trace_rows, trace_x, parameters, settings)


#: Signature of ``advance`` (:func:`armijo.lockstep.lockstep_source`).
ADVANCE_SIGNATURE = types.int64(types.float64[::1], types.int64[::1], types.float64[::1], types.int64[::1])
_LOCKSTEP_SIGNATURE = types.none(
    types.FunctionType(ADVANCE_SIGNATURE), *_LOOP_SIGNATURE.args[:3], types.int64,
    *_LOOP_SIGNATURE.args[3:], types.float64[::1], types.int64[::1])
#: Below this many starts, every start runs in a block of one lane (the vectors would be mostly empty).
LANES_FROM = 64
#: Rounds of ``advance`` per call: a frozen lane waits at most this many rounds for the general loop.
_WIDE_ROUNDS = 64
_LOCKSTEP_LOOPS = {}
_ADVANCE = {}


def _lockstep_loop(parallel):
    """The lockstep loop over blocks (serial or parallel), compiled or loaded from disk at first use."""
    if parallel not in _LOCKSTEP_LOOPS:
        python_function = _lockstep_parallel_py if parallel else _lockstep_serial_py
        _LOCKSTEP_LOOPS[parallel] = njit(_LOCKSTEP_SIGNATURE, parallel=parallel, **_OPTIONS)(python_function)
    return _LOCKSTEP_LOOPS[parallel]


def lockstep_width(kernels, algorithm, starts, lockstep=None):
    """Lanes per block of a compiled run (0: the general loop runs every iteration).

    ``lockstep``: None (the default) uses lanes where they apply: a line search of
    :data:`armijo.lockstep.LOCKSTEP_CODES` on kernels that carry their printed code
    (``kernels.printed``, ``kernels.load_module``) of dimension at most ``MAX_DIMENSION``, in
    blocks of ``WIDTH`` lanes from ``LANES_FROM`` starts on, of one lane below; False never;
    ``"one"`` and ``"wide"`` force blocks of one or of ``WIDTH`` lanes where lanes apply.
    """
    if lockstep not in (None, False, "one", "wide"):
        raise ValueError(f"lockstep must be None, False, 'one' or 'wide', got {lockstep!r}")
    if (lockstep is False or ALGORITHM_CODES.get(algorithm) not in LOCKSTEP_CODES
            or getattr(kernels, "printed", None) is None or not hasattr(kernels, "load_module")
            or not 1 <= int(kernels.dimension) <= MAX_DIMENSION):
        return 0
    if lockstep is None:
        return WIDTH if starts >= LANES_FROM else 1
    return WIDTH if lockstep == "wide" else 1


def _advance(kernels, width):
    """The compiled ``advance`` of the kernels' objective for blocks of ``width`` (generated once per objective)."""
    key = (kernels.path, width)
    if key not in _ADVANCE:
        printed_f, printed_grad = kernels.printed
        module = kernels.load_module("lanes", lockstep_source(printed_f, printed_grad, int(kernels.dimension),
                                                             kernels.header))
        function = module.advance if width > 1 else module.advance_one
        function.compile(ADVANCE_SIGNATURE)
        _ADVANCE[key] = function
    return _ADVANCE[key]


def check_kernels(kernels, dimension):
    """Refuse kernels that do not fit the starts (a wrong dimension would read out of bounds)."""
    for name in ("f", "grad", "dimension"):
        if not hasattr(kernels, name):
            raise ValueError(f"kernels must have attributes f, grad and dimension; {name} is missing")
    if int(kernels.dimension) != dimension:
        raise ValueError(f"the kernels take points of dimension {kernels.dimension}, "
                         f"but the starts have {dimension} coordinates")


def _noise_arguments(kernels):
    """The noise kernel (``kernels.f`` as a placeholder when there is none), its mode and the relative noise."""
    kernel = getattr(kernels, "noise", None)
    if kernel is not None:
        return kernel, _KERNEL_NOISE, 0.0
    relative = float(getattr(kernels, "noise_relative", 0.0) or 0.0)
    if not (math.isfinite(relative) and relative >= 0):
        raise ValueError(f"kernels.noise_relative must be finite and >= 0, got {relative!r}")
    return kernels.f, (_RELATIVE_NOISE if relative > 0 else _NO_NOISE), relative


def minimize_compiled(
    kernels,
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
    noise_gate=NOISE_GATE,
    threads=None,
    lockstep=None,
    **params,
):
    """Run ``algorithm`` from every start of ``x0`` with the compiled loop.

    Parameters
    ----------
    kernels : object
        ``kernels.f``, ``kernels.grad`` (Numba dispatchers, see the module docstring) and
        ``kernels.dimension``; optionally ``kernels.noise`` or ``kernels.noise_relative``, the
        evaluation noise of ``f`` (the ``noise`` argument of :func:`armijo.minimize`).
    x0, algorithm, eps, max_iter, trace, trace_per_decade, max_norm, min_f, eta_min, precision_floor_ulps, noise_gate, **params
        As in :func:`armijo.minimize`, validated by the same code (same errors).
    threads : int, optional
        Numba threads for this call (default: Numba's setting, ``NUMBA_NUM_THREADS``).
    lockstep : None, False, "one" or "wide"
        Where plain iterations run in lanes (:func:`lockstep_width`); every choice gives the
        same result, bit for bit (tests compare them).

    Returns
    -------
    RunResult
        As :func:`armijo.minimize` would return, with ``backend="compiled"``.

    Raises
    ------
    ValueError
        For the arguments :func:`armijo.minimize` refuses, and for kernels of the wrong dimension.
    """
    spec, resolved, X, thresholds, max_iter = validate_run(
        algorithm, params, x0, eps, max_iter, max_norm, eta_min, precision_floor_ulps)
    starts, dimension = X.shape
    check_kernels(kernels, dimension)
    if threads is not None and not (isinstance(threads, (int, np.integer)) and 1 <= threads <= numba.config.NUMBA_NUM_THREADS):
        raise ValueError(f"threads must be an integer in [1, {numba.config.NUMBA_NUM_THREADS}], got {threads!r}")

    reals = np.zeros(_REALS)
    for index, name in ((_ETA0, "eta0"), (_LAM, "lam"), (_F1, "f1"), (_F2, "f2"), (_ETA, "eta"),
                        (_GAMMA, "gamma"), (_BETA1, "beta1"), (_BETA2, "beta2"), (_ADAM_EPS, "adam_eps"),
                        (_F_STAR, "f_star"), (_RHO, "rho"), (_BETA, "beta"), (_L0, "L0"), (_L1, "L1"), (_R, "R")):
        reals[index] = resolved.get(name, np.nan)
    reals[_MAX_NORM_SQUARED] = float(max_norm) ** 2
    reals[_MIN_F] = float(min_f)
    reals[_ETA_MIN] = float(eta_min)
    reals[_FLOOR_ULPS] = float(precision_floor_ulps)
    reals[_MAX_FIRST] = MAX_FIRST_TRIAL
    reals[_NOISE_GATE] = as_noise_gate(noise_gate)
    integers = np.zeros(3, dtype=np.int64)
    integers[_MAX_ITER_INDEX] = max_iter
    noise_kernel, integers[_NOISE_MODE], reals[_NOISE_RELATIVE] = _noise_arguments(kernels)
    if spec.name == "armijo-dichotomy":
        integers[_ROUNDS] = dichotomy_rounds(resolved["f1"], resolved["f2"])
    trace_at = trace_iterations(max_iter, trace_per_decade) if trace else np.zeros(0, dtype=np.int64)
    trace_at = np.ascontiguousarray(trace_at, dtype=np.int64)

    m = thresholds.size
    status = np.zeros(starts, dtype=np.int64)
    counts = np.zeros((4, starts), dtype=np.int64)
    hit_tables = np.full((3, starts, m), -1, dtype=np.int64)
    x_out = np.empty_like(X)
    floats = np.full((5, starts), np.nan)
    trace_reals = np.full((4, trace_at.size, starts), np.nan)
    trace_f_evals = np.full((trace_at.size, starts), -1, dtype=np.int64)
    trace_rows = np.zeros(starts, dtype=np.int64)
    trace_x = np.full((trace_at.size, starts, X.shape[1]), np.nan)

    arguments = (kernels.f, kernels.grad, noise_kernel, X, ALGORITHM_CODES[spec.name], reals, integers,
                 np.ascontiguousarray(thresholds), trace_at, status, counts, hit_tables, x_out, floats,
                 trace_reals, trace_f_evals, trace_rows, trace_x)
    loop, blocks = _loop, starts
    width = lockstep_width(kernels, spec.name, starts, lockstep)
    if width:
        parameters = np.zeros(PARAMETERS)
        for index, source in ((P_ETA0, _ETA0), (P_LAM, _LAM), (P_F2, _F2), (P_MAX_FIRST, _MAX_FIRST),
                              (P_ULPS, _FLOOR_ULPS), (P_MAX_NORM_SQUARED, _MAX_NORM_SQUARED), (P_MIN_F, _MIN_F)):
            parameters[index] = reals[source]
        settings = np.zeros(4, dtype=np.int64)
        settings[Q_CODE], settings[Q_MAX_ITER] = ALGORITHM_CODES[spec.name], max_iter
        settings[Q_ROUNDS] = _WIDE_ROUNDS if width > 1 else np.iinfo(np.int64).max
        settings[Q_NOISE_MODE], parameters[P_NOISE_RELATIVE] = integers[_NOISE_MODE], reals[_NOISE_RELATIVE]
        arguments = (_advance(kernels, width), *arguments[:3], width, *arguments[3:],
                     parameters, settings)
        loop, blocks = _lockstep_loop, -(-starts // width)
    previous_threads = numba.get_num_threads()
    workers = previous_threads if threads is None else int(threads)
    if blocks == 1 or workers == 1:
        loop(False)(*arguments)
    else:
        numba.set_num_threads(workers)
        try:
            loop(True)(*arguments)
        finally:
            numba.set_num_threads(previous_threads)

    recorded = None
    if trace:
        used = int(trace_rows.max())
        recorded = Trace(
            iteration=trace_at[:used].copy(),
            step=trace_reals[_TRACE_STEP, :used].copy(),
            f=trace_reals[_TRACE_F, :used].copy(),
            grad_norm=trace_reals[_TRACE_GRAD_NORM, :used].copy(),
            x_norm=trace_reals[_TRACE_X_NORM, :used].copy(),
            f_evals=trace_f_evals[:used].copy(),
            x=trace_x[:used].copy(),
        )
    return RunResult(
        algorithm=spec.name,
        params=dict(resolved),
        first_trial=spec.first_trial,
        eps=thresholds.copy(),
        max_iter=max_iter,
        status=np.array(STATUSES, dtype="<U16")[status],
        iterations=counts[_OUT_ITERATIONS].copy(),
        f_evals=counts[_OUT_F_EVALS].copy(),
        grad_evals=counts[_OUT_GRAD_EVALS].copy(),
        backtracks=counts[_OUT_BACKTRACKS].copy(),
        eps_hits=hit_tables[0].copy(),
        eps_hit_f_evals=hit_tables[1].copy(),
        eps_hit_grad_evals=hit_tables[2].copy(),
        x=x_out,
        f=floats[_OUT_F].copy(),
        grad_norm=floats[_OUT_GRAD_NORM].copy(),
        f_initial=floats[_OUT_F_INITIAL].copy(),
        grad_norm_initial=floats[_OUT_GRAD_NORM_INITIAL].copy(),
        step=floats[_OUT_STEP].copy(),
        trace=recorded,
        backend="compiled",
    )
