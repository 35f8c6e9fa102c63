r"""Limit points of runs: refine the last iterate by Newton's method, verify, classify, group.

A rate, a Lojasiewicz exponent and the gap ``Delta = f(x_0) - f_*`` belong to a start and
the critical point it approaches (SCIENCE.md section 6, "Pooling").  This module names
that point for every start:

1. **Refine, within reach of the run.**  From the last iterate ``x_K``, damped Newton steps on the
   gradient, ``x <- x - (H^2 + mu I)^+ H g`` (Levenberg-Marquardt: ``mu = 0`` is Newton's step
   with a pseudo-inverse of the Hessian; a larger ``mu`` damps the directions of small curvature
   and turns the step towards the descent of ``||grad f||``), first without the directions whose
   curvature is below :data:`TRUNCATION` times the largest, then with every direction (see
   :func:`refine`); a step that would leave the allowed ball is projected onto its edge (a trust
   region), and ``mu`` grows tenfold until ``||grad f||`` decreases; at most :data:`NEWTON_STEPS`
   steps.  The ball is **justified by the run's own steps**
   (:func:`tail_radii`): :data:`TAIL_FACTOR` times the distance the iterates still have to go,
   extrapolated from their recorded tail (Aitken's Delta^2 on iterates a factor apart in the
   iteration count: exact for a power-law or a geometric approach), and at least
   :data:`STEP_FACTOR` last steps.  Newton's method is attracted to the most degenerate point
   of a critical set (on the line of minima of ``(x y)^4`` it slides to the origin); the limit
   of a run is the point its iterates approach, so the refinement may not leave that ball.
   Without a run (a point given alone) the ball is ``RADIUS (1 + ||x_K||)``.
2. **Verify.**  The refined point ``x*`` is accepted as the limit when
   ``||grad f(x*)|| <= VERIFY_RATIO * ||grad f(x_K)||`` (Newton made the gradient at least
   a million times smaller than the run left it: a critical point, not a flat slope) or
   is exactly 0, and Newton's steps were converging (:data:`CONVERGED_RTOL`) or had shrunk to
   the rounding level of the point (:data:`ROUNDING_STEP_ULPS`).  At a degenerate point
   (a zero of order ``k`` of the gradient) Newton converges linearly with ratio ``(k-1)/k``
   until rounding takes over: a **geometric tail** of at least :data:`GEOMETRIC_STEPS` steps
   whose ratios agree within :data:`GEOMETRIC_SPREAD` is recognised, its limit extrapolated
   (Aitken: the point plus the rest of the geometric series of steps, then back to the floor of
   a curved valley) and used when the last steps do not converge; it is verified when its
   gradient is below the one it was extrapolated from, and its ``uncertainty`` (an enclosure
   radius under the local model: the gradient grows like the distance to the zero to the power
   ``m = 1/(1 - rho)``) is :data:`ENCLOSURE_SAFETY` times ``tail * (||g(x_ext)|| / ||g||)^(1 - rho)``.  Otherwise the limit is ``none``: the iterates are unbounded, the run had
   not converged, or Newton reached the edge of the ball.
3. **Classify.**  From the Hessian's eigenvalues at ``x*``: ``minimum``, ``maximum`` or
   ``saddle`` when none is within :data:`CURVATURE_RTOL` of 0 (relative to the largest);
   otherwise the point is degenerate and its nature is read from ``f`` on small spheres
   around it (:data:`PROBE_RADII`, the coordinate directions and seeded random ones):
   ``degenerate minimum``, ``degenerate maximum`` or ``degenerate saddle``; ``flat`` when
   the gradient vanishes in floating point on the nearest sphere, or every probe equals
   ``f(x*)`` to rounding (``f`` underflows on a whole region, e.g. ``exp(-1/x^2)`` near 0 or
   the Mexican hat outside its disc: the point that Newton stops at is one of many, and says
   only which value the run reaches).  A degenerate point is then tested for a **non-isolated
   critical set** (:func:`critical_set_dimensions`): from probes along the Hessian's kernel, at
   distance :data:`SET_PROBE` on both sides, critical points of the same value at least half that
   distance from ``x*`` mean the set extends that way; the rank of those displacements
   is the set's local dimension ``d`` and the kind becomes ``non-isolated minimum (curve)``
   (``surface`` for ``d = 2``, ``set of dimension d`` above).
4. **Group.**  Starts whose limits lie within :data:`SAME_POINT_RTOL` of each other (and
   are of the same kind), or have one value and lie within :data:`MERGE_RTOL` (the resolution
   of Newton's method at a degenerate point), form a group; ``flat`` limits of equal value form
   one group; starts without a verified limit form the group ``none``.  Where the registry
   knows the critical points exactly, Newton's point within :data:`SNAP_RTOL` of one is that
   point.  Rates, exponents and Lojasiewicz
   constants are estimated per group.

The numbers are those of floating-point Newton iterations: a limit is verified, not
proved; its value ``f(x*)`` is exact up to rounding for a nondegenerate point and within
the (tiny) remaining distance for a degenerate one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

NEWTON_STEPS = 300
"""Largest number of Newton steps (degenerate points converge linearly: x^6 loses 1/5 per step)."""

TRUNCATION = 1e-8
"""First phase of the refinement: curvatures below this share of the largest are left out."""

TRIALS = 40
"""Largest number of trial steps in one damped Newton step (the damping ``mu`` grows tenfold each time)."""

STIFF_GAP = 100.0
"""A gap of this factor in the Hessian's spectrum separates a valley's stiff walls from its floor: a
Newton step that leaves a curved valley is corrected by Newton steps in the stiff directions."""

FIRST_DAMPING = 1e-16
"""First nonzero damping tried, relative to the largest curvature squared (below ``TRUNCATION^2`` it
would change nothing in the first phase)."""

VERIFY_RATIO = 1e-6
"""A limit is verified when Newton divides the run's last gradient norm by at least 10^6."""

RADIUS = 0.5
"""Without a run, refinement stays within ``RADIUS (1 + ||x_K||)`` of the point given (and never
further than that with a run)."""

TAIL_FACTOR = 4.0
"""With a run, refinement stays within this many times the distance its iterates still have to go."""

STEP_FACTOR = 10.0
"""...and may always move this many lengths ``eta_K ||grad f(x_K)||`` of the run's last step."""

GEOMETRIC_STEPS = 5
"""Newton steps whose consecutive ratios agree (a geometric tail) before the tail is extrapolated."""

GEOMETRIC_SPREAD = 0.03
"""Largest spread of those ratios."""

ENCLOSURE_SAFETY = 2.0
"""The enclosure radius of an extrapolated limit is this many times the local model's distance estimate."""

GEOMETRIC_MAX_RATIO = 0.98
"""Largest ratio of a geometric tail (above, the steps hardly shrink: a crawl, not a convergence)."""

CONVERGED_RTOL = 1e-6
"""...and Newton's steps were converging: the distance still to go, extrapolated from the ratio of
its last two steps, is below this relative size (a degenerate minimum is approached
geometrically; a flat slope such as exp(-1/x^2) at 0.05 is crawled along at a ratio near 1)."""

ROUNDING_STEP_ULPS = 16
"""A Newton step no longer than this many ulps of ``1 + ||x||`` is rounding noise: once the gradient
is at its rounding level, any decrease of it is accepted and such steps need not shrink, so their
ratio says nothing; the point is determined to rounding (logistic regression: steps of 1e-17 after
the gradient fell from 1e-6 to 1e-17)."""

SNAP_RTOL = 1e-3
"""Newton's point within this relative distance of a critical point the registry knows exactly is
that point (kind and value from the registry: at a degenerate point of high order, such as the
(x-2)^8 minima of poly-eight, the gradient is rounding noise within ~1e-4 of the point and Newton
stops there)."""

MERGE_RTOL = 1e-3
"""Verified limits of equal value (to 1e-9) within this relative distance are one limit point: the
resolution of Newton's method at a degenerate point, where rounding decides the last digits."""

CURVATURE_RTOL = 1e-8
"""Hessian eigenvalues below this share of the largest one (or 1) count as zero."""

PROBE_RADII = (1e-4, 1e-3, 1e-2)
"""Relative radii of the spheres probed around a degenerate point."""

PROBE_DIRECTIONS = 32
"""Random directions probed per radius, besides the coordinate directions."""

SIGN_RTOL = 1e-9
"""Probe values below ``f(x*)`` by less than this share of the largest probe difference count as equal."""

SAME_POINT_RTOL = 1e-6
"""Limits closer than ``SAME_POINT_RTOL (1 + ||x*||)`` are one limit point."""

FLAT_ULPS = 4
"""Probe values within this many ulps of ``f(x*)`` are equal to it (rounding)."""

SET_PROBE = 1e-3
"""Relative distance ``SET_PROBE (1 + ||x*||)`` of the probes along the Hessian's kernel."""

SET_VALUE_RTOL = 1e-8
"""A critical point found from a probe belongs to the set of ``x*`` when its value is ``f(x*)`` within this."""

MAX_KERNEL_PROBES = 8
"""Kernel directions probed at most (the local dimension is at most this)."""

SET_NAMES = {1: "curve", 2: "surface"}
"""Names of the critical sets by local dimension (``set of dimension d`` otherwise)."""

MAX_DIMENSION = 1100
"""Above this many variables limits are not located: Newton's refinement needs dense ``n x n``
Hessians (for a numeric entry, central differences of ``2 n`` gradient calls each), minutes per
step for the networks on real data (``mlp-data-*``: 2410 parameters for 64-32-10)."""

KINDS = ("minimum", "saddle", "maximum", "degenerate minimum", "degenerate saddle", "degenerate maximum", "flat")


@dataclass(frozen=True, kw_only=True)
class LimitPoint:
    """The critical point a start approaches, or ``none``.

    Attributes
    ----------
    point : ndarray or None
        ``x*``, shape ``(n,)``; None when no limit was verified.
    kind : str
        One of :data:`KINDS`, or ``"none"``.
    value : float
        ``f(x*)`` (nan for ``none``).
    grad_norm : float
        ``||grad f(x*)||`` after refinement (for ``none``: the best Newton reached).
    distance : float
        ``||x* - x_K||`` from the last iterate.
    reason : str
        Why the limit is ``none``; for a ``flat`` limit that Newton's method reached by leaving
        the run, how the point was chosen; empty otherwise.
    dimension : int or None
        Local dimension of the critical set through ``x*``: 0 for an isolated point, ``d >= 1``
        for a non-isolated set (``kind`` then says ``non-isolated ... (curve)``); None when not
        determined (``flat``, ``none``).
    uncertainty : float
        Radius of the enclosure of ``x*`` where Newton's tail was extrapolated (see the module
        docstring); the distance still to go at the last step ratio otherwise (0 when Newton
        stopped on its own).
    radius : float
        How far the refinement was allowed to move the last iterate (see :func:`tail_radii`).
    """

    point: np.ndarray | None
    kind: str
    value: float
    grad_norm: float
    distance: float
    reason: str = ""
    dimension: int | None = None
    uncertainty: float = 0.0
    radius: float = float("nan")

    @property
    def verified(self) -> bool:
        return self.point is not None


@dataclass(frozen=True)
class LimitGroup:
    """Starts that approach the same limit point (or none)."""

    limit: LimitPoint
    starts: tuple[int, ...]


NONE_KIND = "none"


def _norm(vector):
    return float(np.sqrt(np.sum(np.asarray(vector, dtype=float) ** 2)))


def _row_norms(X):
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.sum(X * X, axis=1))


def _gradients(objective, X):
    with np.errstate(all="ignore"):
        return np.asarray(objective.grad(X), dtype=float)


@dataclass(frozen=True)
class Refinement:
    """What :func:`refine` returns, one entry per row.

    ``points``, ``grad_norms``: where Newton's method ends (the extrapolated limit where a
    geometric tail was used); ``remaining``: the distance still to go at the last step ratio
    (0 when Newton stopped on its own or made at most one step, inf when the steps stopped
    shrinking; the last step itself when it is at the rounding level of the point);
    ``extrapolated``: a geometric tail was extrapolated; ``ratio``: its ratio (nan otherwise);
    ``uncertainty``: the enclosure radius (see :class:`LimitPoint`); ``at_edge``: the last
    point lies on the edge of the allowed ball.
    """

    points: np.ndarray
    grad_norms: np.ndarray
    remaining: np.ndarray
    extrapolated: np.ndarray
    ratio: np.ndarray
    uncertainty: np.ndarray
    at_edge: np.ndarray


def _damped_steps(curvatures, directions, components, kept, damping):
    """Per row, ``(H^2 + mu I)^+ H g`` over the kept eigen-directions, ``mu = damping * largest^2``."""
    largest = np.max(np.abs(curvatures), axis=1, keepdims=True)
    mu = damping[:, None] * largest**2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scaled = np.where(kept, curvatures * components / (curvatures**2 + mu), 0.0)
    return np.einsum("bij,bj->bi", directions, scaled)


def refine(objective, X_last, radii=None):
    """Damped Newton iterations on the gradient from each row of ``X_last`` (batched).

    The step is ``s = (H^2 + mu I)^+ H g`` on the eigen-directions of ``H``, first without the
    directions whose curvature is below :data:`TRUNCATION` times the largest (a critical
    *manifold* through ``x*`` has zero curvature along itself: a step along it would slide
    along the manifold, away from the point the run approaches), then, once those steps make
    no progress, with every direction (a degenerate isolated point, such as the minimum of
    ``x^4 + y^2``, is reached along its flat direction).  Each iteration first tries the last
    accepted damping divided by 100 (0: Newton's step), then a damping ten times larger, until
    ``||grad f||`` decreases; a step that would leave the ball of ``radii`` around ``X_last`` is
    projected onto its edge.  Where the first step fails, it is also tried after Newton steps in
    the stiff directions (back to the floor of a curved valley, :func:`_stiff_corrections`).

    Parameters
    ----------
    objective : functions.Objective
        Batched ``f``, ``grad``, ``hess``.
    X_last : array_like, shape (B, n)
        Starting points.
    radii : array_like, shape (B,), optional
        How far each row may move (default ``RADIUS (1 + ||x||)``).

    Returns
    -------
    Refinement
    """
    X_last = np.array(X_last, dtype=float, ndmin=2)
    B, n = X_last.shape
    radius = (RADIUS * (1.0 + _row_norms(X_last)) if radii is None
              else np.broadcast_to(np.asarray(radii, dtype=float), (B,)).copy())
    X = X_last.copy()
    G = _gradients(objective, X)
    g_norm = _row_norms(G)
    start_norms = g_norm.copy()
    phase = np.zeros(B, dtype=int)  # index into (TRUNCATION, 0): 2 = finished
    phases = np.array([TRUNCATION, 0.0])
    damping = np.zeros(B)
    last_step = np.zeros(B)           # lengths of the last two accepted steps
    previous_step = np.full(B, np.nan)
    recent = np.full((B, GEOMETRIC_STEPS + 1), np.nan)  # the last accepted step lengths, oldest first
    geometric_point = np.full((B, n), np.nan)
    geometric_tail = np.full(B, np.inf)
    geometric_ratio = np.full(B, np.nan)
    geometric_grad = np.full(B, np.nan)   # ||grad f|| where the tail was extrapolated from
    geometric_spread = np.full(B, np.inf)  # spread of the ratios it was extrapolated with
    for _ in range(NEWTON_STEPS):
        rows = np.flatnonzero((phase < 2) & np.isfinite(g_norm) & (g_norm > 0))
        if not rows.size:
            break
        with np.errstate(all="ignore"):
            hessians = np.asarray(objective.hess(X[rows]), dtype=float)
        finite = np.isfinite(hessians).all(axis=(1, 2))
        phase[rows[~finite]] = 2
        rows, hessians = rows[finite], hessians[finite]
        if not rows.size:
            break
        curvatures, directions = np.linalg.eigh(0.5 * (hessians + np.swapaxes(hessians, 1, 2)))
        largest = np.max(np.abs(curvatures), axis=1, keepdims=True)
        kept = (np.abs(curvatures) > phases[phase[rows]][:, None] * largest) & (largest > 0)
        components = np.einsum("bji,bj->bi", directions, G[rows])
        trial = np.where(damping[rows] > 0, damping[rows] / 100.0, 0.0)
        pending = np.arange(rows.size)
        for attempt in range(TRIALS):
            steps = _damped_steps(curvatures[pending], directions[pending], components[pending], kept[pending],
                                  trial[pending])
            candidates = _into_ball(X[rows[pending]] - steps, X_last[rows[pending]], radius[rows[pending]])
            gradients = _gradients(objective, candidates)
            norms = _row_norms(gradients)
            inside = np.isfinite(candidates).all(axis=1)
            accept = np.isfinite(norms) & (norms < g_norm[rows[pending]]) & inside
            if attempt == 0 and not accept.all():
                # a straight step along a curved valley leaves it (the stiff residual outweighs the
                # gain along the valley): back to the valley floor by Newton steps in the stiff
                # directions, then judge the step
                retry = np.flatnonzero(~accept & inside)
                corrected, _ = _stiff_corrections(objective, candidates[retry])
                corrected = _into_ball(corrected, X_last[rows[pending[retry]]], radius[rows[pending[retry]]])
                corrected_gradients = _gradients(objective, corrected)
                corrected_norms = _row_norms(corrected_gradients)
                better = np.isfinite(corrected_norms) & (corrected_norms < g_norm[rows[pending[retry]]])
                retry, corrected = retry[better], corrected[better]
                candidates[retry], gradients[retry], norms[retry] = (corrected, corrected_gradients[better],
                                                                     corrected_norms[better])
                accept[retry] = True
            accepted = rows[pending[accept]]
            previous_step[accepted] = last_step[accepted]
            moves = candidates[accept] - X[accepted]
            last_step[accepted] = _row_norms(moves)
            recent[accepted] = np.column_stack([recent[accepted, 1:], last_step[accepted]])
            X[accepted], G[accepted], g_norm[accepted] = candidates[accept], gradients[accept], norms[accept]
            damping[accepted] = trial[pending[accept]]
            _record_geometric_tail(accepted, X, g_norm, moves, recent,
                                   (geometric_point, geometric_tail, geometric_ratio, geometric_grad, geometric_spread))
            pending = pending[~accept]
            if not pending.size:
                break
            trial[pending] = np.where(trial[pending] > 0, 10.0 * trial[pending], FIRST_DAMPING)
        phase[rows[pending]] += 1  # no progress: next phase (or finished)
        damping[rows[pending]] = 0.0
    # the distance still to go if the steps keep shrinking at their last ratio (geometric tail):
    # a critical point is converged to (x^6: ratio 4/5); a flat slope is crawled along (ratio -> 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = last_step / previous_step
        remaining = np.where(np.isfinite(ratio) & (ratio < 1.0), last_step * ratio / (1.0 - ratio),
                             np.where(np.isnan(previous_step), 0.0, np.inf))
    remaining = np.where(last_step == 0.0, 0.0, remaining)
    at_rounding = last_step <= ROUNDING_STEP_ULPS * np.spacing(1.0 + _row_norms(X))
    remaining = np.where(at_rounding, np.minimum(remaining, last_step), remaining)
    # at the rounding level of the gradient the steps are noise and their ratio says nothing: the point is
    # determined as far as the gradient can tell (a set of minima approached at a linear rate, (x - y)^2)
    noisy = np.flatnonzero(~(remaining <= CONVERGED_RTOL * (1.0 + _row_norms(X))) & (g_norm > 0)
                           & ~np.isfinite(geometric_tail))
    if noisy.size:
        rounding = noisy[g_norm[noisy] <= gradient_rounding_level(objective, X[noisy])]
        remaining[rounding] = np.minimum(remaining[rounding], last_step[rounding])
    uncertainty = np.where(g_norm == 0.0, np.minimum(remaining, last_step), remaining)
    # where the last steps are not converging but a geometric tail was seen before (Newton at a
    # degenerate point until rounding takes over): its extrapolated limit, if it is as critical
    # (also where the last steps count as converged, to CONVERGED_RTOL (1 + ||x||), if the extrapolated
    # limit is more critical than where they ended: damped last steps make the ratio's distance to go
    # too small, x^4 + 10 (x - y)^2 from 1.5e-3 ends 1.6e-8 from 0 with 6.8e-9 to go at its last ratio)
    converged = remaining <= CONVERGED_RTOL * (1.0 + _row_norms(X))
    extrapolated = (np.isfinite(geometric_tail)
                    & (_row_norms(np.nan_to_num(geometric_point) - X_last) <= radius))
    rows = np.flatnonzero(extrapolated)
    if rows.size:
        # a straight extrapolation leaves a curved valley: back to its floor (stiff directions)
        geometric_point[rows], gradients = _stiff_corrections(objective, geometric_point[rows])
        norms = _row_norms(gradients)
        # as critical as where it was extrapolated from, or as the verification asks (a stiff direction
        # turns the rounding of the extrapolated coordinates into a gradient of that order)
        good = np.isfinite(norms) & (norms <= np.maximum(geometric_grad[rows], VERIFY_RATIO * start_norms[rows]))
        good &= ~converged[rows] | (norms < g_norm[rows])
        # a converged end the extrapolation does not improve on is known no better than the two differ
        kept = rows[~good & converged[rows]]
        uncertainty[kept] = np.maximum(uncertainty[kept], _row_norms(geometric_point[kept] - X[kept]))
        extrapolated[rows[~good]] = False
        rows, norms = rows[good], norms[good]
        # Newton's ratio rho at a zero of order m of the gradient is (m - 1)/m, and ||grad f|| grows like
        # the distance^m: the extrapolated point is off by about tail * (||g(x_ext)|| / ||g||)^(1 - rho)
        with np.errstate(divide="ignore", invalid="ignore"):
            shrink = np.where(norms > 0, (norms / geometric_grad[rows]) ** (1.0 - geometric_ratio[rows]), 0.0)
        error = np.maximum(ENCLOSURE_SAFETY * geometric_tail[rows] * np.minimum(shrink, 1.0),
                           ROUNDING_STEP_ULPS * np.spacing(1.0 + _row_norms(geometric_point[rows])))
        # a gradient that vanishes in floating point says nothing of the distance (f flat to rounding
        # there, log(cosh(x))^2 near 0): the enclosure is where Newton's steps ended
        error = np.where(norms == 0.0, np.maximum(error, _row_norms(geometric_point[rows] - X[rows])), error)
        uncertainty[rows] = remaining[rows] = error
        X[rows], g_norm[rows] = geometric_point[rows], norms
    geometric_ratio = np.where(extrapolated, geometric_ratio, np.nan)
    at_edge = _row_norms(X - X_last) >= (1.0 - 1e-6) * radius
    return Refinement(X, g_norm, remaining, extrapolated, geometric_ratio, uncertainty, at_edge)


def _into_ball(points, centres, radii):
    """Each row of ``points`` projected radially onto the ball of ``radii`` around ``centres`` (a trust
    region: a step that would leave it slides along its edge instead)."""
    offsets = points - centres
    lengths = _row_norms(offsets)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.where(lengths > radii, radii * (1.0 - 1e-12) / lengths, 1.0)
        return centres + scale[:, None] * offsets


def _stiff_directions(curvatures):
    """Per row, the eigen-directions above the largest gap (a factor :data:`STIFF_GAP` at least) of the
    sorted |curvatures|; none where the spectrum has no such gap."""
    magnitudes = np.abs(curvatures)
    ordered = np.sort(magnitudes, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gaps = np.log(ordered[:, 1:]) - np.log(ordered[:, :-1])
    gaps = np.where(np.isnan(gaps), 0.0, gaps)
    if gaps.shape[1] == 0:
        return np.zeros_like(magnitudes, dtype=bool)
    widest = np.argmax(gaps, axis=1)
    threshold = np.take_along_axis(ordered, widest[:, None] + 1, axis=1)
    has_gap = np.take_along_axis(gaps, widest[:, None], axis=1) >= np.log(STIFF_GAP)
    return has_gap & (magnitudes >= threshold)


def _stiff_corrections(objective, points, steps=2):
    """``steps`` Newton steps restricted to the stiff directions (:func:`_stiff_directions`) from each
    row of ``points``: back to the floor of the valley they are near.  Returns points and gradients."""
    points = points.copy()
    gradients = _gradients(objective, points)
    for _ in range(steps):
        if not points.shape[0]:
            break
        with np.errstate(all="ignore"):
            hessians = np.asarray(objective.hess(points), dtype=float)
        finite = np.isfinite(hessians).all(axis=(1, 2)) & np.isfinite(gradients).all(axis=1)
        hessians = np.where(finite[:, None, None], hessians, 0.0)
        curvatures, directions = np.linalg.eigh(0.5 * (hessians + np.swapaxes(hessians, 1, 2)))
        stiff = _stiff_directions(curvatures) & finite[:, None]
        components = np.einsum("bji,bj->bi", directions, np.where(finite[:, None], gradients, 0.0))
        points = points - _damped_steps(curvatures, directions, components, stiff, np.zeros(points.shape[0]))
        gradients = _gradients(objective, points)
    return points, gradients


def gradient_rounding_level(objective, X):
    """Per row of ``X``, the largest gradient norm at the row and at its neighbours a few ulps away
    along each coordinate (``x +- 4 ulp(x_i) e_i``): a gradient below it is rounding noise."""
    X = np.array(X, dtype=float, ndmin=2)
    B, n = X.shape
    shifts = 4.0 * np.spacing(np.abs(X) + np.finfo(float).tiny)               # (B, n)
    offsets = shifts[:, None, :] * np.eye(n)[None, :, :]                       # (B, n, n)
    neighbours = np.concatenate([X[:, None, :], X[:, None, :] + offsets, X[:, None, :] - offsets], axis=1)
    norms = _row_norms(_gradients(objective, neighbours.reshape(-1, n))).reshape(B, 2 * n + 1)
    return np.max(np.where(np.isfinite(norms), norms, 0.0), axis=1)


def _record_geometric_tail(rows, X, g_norm, moves, recent, records):
    """After accepted steps ``moves`` of ``rows``: where the last :data:`GEOMETRIC_STEPS` ratios of
    step lengths agree within :data:`GEOMETRIC_SPREAD` (below :data:`GEOMETRIC_MAX_RATIO`), record
    the limit of the geometric series of further steps (Aitken), the series' length, its ratio and
    the gradient norm where it was extrapolated from (``records``, updated in place).  A record is
    replaced by a later one with ratios as tight (or within a tenth of the spread allowed): once
    rounding disturbs the steps, the tightest tail before stays."""
    point, tail, ratio, gradient, recorded_spread = records
    if not rows.size:
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = recent[rows, 1:] / recent[rows, :-1]
    finite = np.isfinite(ratios).all(axis=1)
    mean = np.where(finite, np.mean(np.where(finite[:, None], ratios, 0.0), axis=1), np.nan)
    spread = np.where(finite, np.ptp(np.where(finite[:, None], ratios, 0.0), axis=1), np.inf)
    geometric = (finite & (spread <= GEOMETRIC_SPREAD) & (mean > 0) & (mean <= GEOMETRIC_MAX_RATIO)
                 & ((spread <= recorded_spread[rows]) | (spread <= 0.1 * GEOMETRIC_SPREAD)))
    if not geometric.any():
        return
    chosen, rho = rows[geometric], mean[geometric]
    factor = rho / (1.0 - rho)
    point[chosen] = X[chosen] + factor[:, None] * moves[geometric]
    tail[chosen] = recent[chosen, -1] * factor
    ratio[chosen] = rho
    gradient[chosen] = g_norm[chosen]
    recorded_spread[chosen] = spread[geometric]


def tail_radii(result):
    """Per start of ``result``, how far the refinement may move its last iterate.

    From the recorded iterates of the start (``result.trace.x``) and its last iterate ``x_K``:
    the distance still to go extrapolated by Aitken's Delta^2 on three recorded iterates
    (``D_2 rho / (1 - rho)`` with ``D_1, D_2`` the two displacements and ``rho = D_2 / D_1``: exact
    when ``||x_k - x*||`` decays like a power of ``k`` or geometrically; :func:`_tail_remaining`),
    times :data:`TAIL_FACTOR`, and at least :data:`STEP_FACTOR` lengths of the last step.  Where the
    iterates do not show converging, :data:`TAIL_FACTOR` times their displacement over the last
    decade of iterations.  Never more than ``RADIUS (1 + ||x_K||)``.  Without a
    trace: ``RADIUS (1 + ||x_K||)``.
    """
    X = np.asarray(result.x, dtype=float)
    cap = RADIUS * (1.0 + _row_norms(np.where(np.isfinite(X), X, 0.0)))
    trace = result.trace
    if trace is None or getattr(trace, "x", None) is None:
        return cap
    radii = cap.copy()
    steps = np.abs(np.asarray(result.step, dtype=float) * np.asarray(result.grad_norm, dtype=float))
    for start in range(X.shape[0]):
        if not np.isfinite(X[start]).all():
            continue
        rows = np.flatnonzero(np.isfinite(trace.x[:, start]).all(axis=1))
        iterations = trace.iteration[rows].astype(float)
        points = trace.x[rows, start]
        if not iterations.size:
            iterations, points = np.array([float(result.iterations[start])]), X[start][None, :]
        estimate = _tail_remaining(iterations, points, X[start])
        floor = max(STEP_FACTOR * (steps[start] if np.isfinite(steps[start]) else 0.0),
                    64 * np.spacing(1.0 + _norm(X[start])))
        radii[start] = min(cap[start], max(TAIL_FACTOR * estimate, floor))
    return radii


def _tail_remaining(iterations, points, last):
    """The distance the iterates still have to go from ``last`` (see :func:`tail_radii`): Aitken's
    Delta^2 on the last three recorded iterates (the trace records every iteration at first, then
    geometrically spaced ones: exact for a power-law and for a geometric approach), plus the distance
    from the last recorded iterate to ``last``; where those three do not show the iterates converging,
    the same on iterates at ``K/q^2, K/q, K`` for ``q`` = 2 and 10; where none does, the displacement
    over the last decade of iterations."""
    K = iterations[-1]
    log_iterations = np.log1p(iterations)
    end = iterations.size - 1
    triples = [(end - 2, end - 1)] if iterations.size >= 3 else []
    for q in (2.0, 10.0):
        triples.append((int(np.argmin(np.abs(log_iterations - np.log1p(K / q**2)))),
                        int(np.argmin(np.abs(log_iterations - np.log1p(K / q))))))
    beyond = _norm(last - points[end])
    for a, b in triples:
        if not 0 <= a < b < end:
            continue
        first, second = _norm(points[b] - points[a]), _norm(points[end] - points[b])
        if second == 0.0:
            return beyond
        if second < first:
            rho = second / first
            return second * rho / (1.0 - rho) + beyond
    a = int(np.argmin(np.abs(log_iterations - np.log1p(K / 10.0))))
    return _norm(last - points[a]) if a < end else _norm(last - points[0])


def classify(objective, point, *, seed=0):
    """Kind of the critical point ``point`` (one of :data:`KINDS`)."""
    with np.errstate(all="ignore"):
        hessian = np.asarray(objective.hess(point[None, :]), dtype=float)[0]
    eigenvalues = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))
    scale = max(1.0, float(np.max(np.abs(eigenvalues))))
    if np.all(np.abs(eigenvalues) > CURVATURE_RTOL * scale):
        if np.all(eigenvalues > 0):
            return "minimum"
        if np.all(eigenvalues < 0):
            return "maximum"
        return "saddle"
    n = point.size
    rng = np.random.default_rng(seed)
    directions = np.vstack([np.eye(n), -np.eye(n), rng.normal(size=(PROBE_DIRECTIONS, n))])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radius = 1.0 + _norm(point)
    probes = np.vstack([point + r * radius * directions for r in PROBE_RADII])
    with np.errstate(all="ignore"):
        value = float(objective.f(point[None, :])[0])
        differences = np.asarray(objective.f(probes), dtype=float) - value
        nearest = np.asarray(objective.grad(probes[:directions.shape[0]]), dtype=float)
    differences = differences[np.isfinite(differences)]
    rounding = FLAT_ULPS * np.spacing(abs(value)) + np.finfo(float).tiny
    # flat: the gradient vanishes in floating point all around (f underflows there), or every
    # probe equals f(x*) to rounding
    if np.all(np.abs(nearest) <= np.finfo(float).tiny) or np.all(np.abs(differences) <= rounding):
        return "flat"
    # f(x*) itself is known within the variation of f over the point's own uncertainty: on a set of
    # minima a probe may land where f is below the refined point's (tiny, positive) value
    below = max(rounding, SIGN_RTOL * float(np.max(np.abs(differences), initial=0.0)))
    if np.all(differences >= -below):
        return "degenerate minimum"
    if np.all(differences <= below):
        return "degenerate maximum"
    return "degenerate saddle"


def find_limit(objective, x_last, *, seed=0, radius=None):
    """The verified limit point near ``x_last`` (see the module docstring), or ``none``."""
    return find_limits(objective, np.atleast_2d(x_last), seed=seed,
                       radii=None if radius is None else [radius])[0]


def find_limits(objective, X_last, *, seed=0, reasons=None, radii=None):
    """:func:`find_limit` for every row of ``X_last`` (refined together, batched).

    ``reasons`` optionally gives, per row, a reason why the row has no limit (e.g. the run
    diverged); such rows are not refined.  ``radii`` gives, per row, how far the refinement may
    move it (:func:`tail_radii` for a run; default ``RADIUS (1 + ||x||)``).
    """
    X_last = np.array(X_last, dtype=float, ndmin=2)
    reasons = list(reasons) if reasons is not None else [""] * X_last.shape[0]
    if X_last.shape[1] > MAX_DIMENSION:
        reasons = [reason or f"not located: dimension {X_last.shape[1]} > {MAX_DIMENSION} (Newton's refinement "
                   "needs n x n Hessians)" for reason in reasons]
    finite = np.isfinite(X_last).all(axis=1)
    for row in np.flatnonzero(~finite):
        reasons[row] = reasons[row] or "the last iterate is not finite"
    todo = np.flatnonzero([not reason for reason in reasons])
    limits = [LimitPoint(point=None, kind=NONE_KIND, value=np.nan, grad_norm=np.nan, distance=np.nan, reason=reason)
              for reason in reasons]
    if not todo.size:
        return tuple(limits)
    radius = (RADIUS * (1.0 + _row_norms(X_last[todo])) if radii is None
              else np.asarray(radii, dtype=float)[todo])
    start_norms = _row_norms(_gradients(objective, X_last[todo]))
    refined = refine(objective, X_last[todo], radius)
    points, g_norms, remaining = refined.points, refined.grad_norms, refined.remaining
    with np.errstate(all="ignore"):
        values = np.asarray(objective.f(points), dtype=float)
    known = [(np.asarray(c.x, dtype=float), c) for c in (getattr(objective, "critical_points", ()) or ())]
    degenerate = []
    for k, row in enumerate(todo):
        point, g_norm, start_norm = points[k], float(g_norms[k]), float(start_norms[k])
        distance = _norm(point - X_last[row])
        exact = _known_point(known, point)
        if exact is not None:  # the registry knows this critical point exactly: Newton found it
            limits[row] = LimitPoint(point=exact[0], kind=exact[1], value=exact[2], grad_norm=g_norm,
                                     distance=_norm(exact[0] - X_last[row]), dimension=0, radius=float(radius[k]))
            continue
        if not (g_norm == 0.0 or g_norm <= VERIFY_RATIO * start_norm):
            edge = (f"; it reached the edge of the neighbourhood the run's own steps justify (radius "
                    f"{radius[k]:.3g})" if refined.at_edge[k] else "")
            limits[row] = LimitPoint(point=None, kind=NONE_KIND, value=np.nan, grad_norm=g_norm, distance=distance,
                                     reason=f"Newton's method did not find a critical point near the last iterate "
                                     f"(||grad f|| {start_norm:.3g} -> {g_norm:.3g}{edge})", radius=float(radius[k]))
            continue
        if g_norm > 0.0 and remaining[k] > CONVERGED_RTOL * (1.0 + _norm(point)):
            limits[row] = LimitPoint(point=None, kind=NONE_KIND, value=np.nan, grad_norm=g_norm, distance=distance,
                                     reason=f"Newton's method was still crawling ({remaining[k]:.3g} to go at its last "
                                     "step ratio): f is too flat near the last iterate to locate a critical point",
                                     radius=float(radius[k]))
            continue
        kind = classify(objective, point, seed=seed)
        reason = ""
        if kind == "flat" and distance > SAME_POINT_RTOL * (1.0 + _norm(point)):
            # Newton's extrapolation left the run and landed in a region where f is constant (the
            # spiral and the Mexican hat vanish outside the unit disc): every point there is critical,
            # so the far end of the jump says nothing about where the run goes.  Keep the point of
            # the region nearest the run along that path.
            point, g_norm = _flat_entry(objective, X_last[row], point, float(values[k]), VERIFY_RATIO * start_norm)
            jump, distance = distance, _norm(point - X_last[row])
            reason = (f"the edge of a flat region (f = {values[k]:.6g} to rounding): where the segment to "
                      f"Newton's point, {jump:.3g} away, enters it, {distance:.3g} from the last iterate; "
                      "where in the region the run ends is not determined")
        if refined.extrapolated[k]:
            reason = (f"Newton's steps shrank geometrically (ratio {refined.ratio[k]:.3g}, a degenerate point) until "
                      f"rounding took over; their limit extrapolated, within {refined.uncertainty[k]:.2g}")
        dimension = 0 if kind in ("minimum", "maximum", "saddle") else None
        limits[row] = LimitPoint(point=point, kind=kind, value=float(values[k]), grad_norm=g_norm, distance=distance,
                                 reason=reason, dimension=dimension, uncertainty=float(refined.uncertainty[k]),
                                 radius=float(radius[k]))
        if kind.startswith("degenerate"):
            degenerate.append(row)
    if degenerate:
        dimensions = critical_set_dimensions(objective, [limits[row] for row in degenerate])
        for row, dimension in zip(degenerate, dimensions):
            limit = limits[row]
            limits[row] = replace(limit, kind=set_kind(limit.kind, dimension), dimension=dimension)
    return tuple(limits)


def set_kind(kind, dimension):
    """The kind of a critical point on a critical set of local ``dimension`` (``kind`` if 0 or None)."""
    if not dimension:
        return kind
    base = kind.removeprefix("degenerate ")
    return f"non-isolated {base} ({SET_NAMES.get(dimension, f'set of dimension {dimension}')})"


def is_minimum(kind):
    """Whether ``kind`` is a minimum: isolated, degenerate or on a set of minima."""
    return kind == "minimum" or kind == "degenerate minimum" or kind.startswith("non-isolated minimum")


def critical_set_dimensions(objective, limits):
    """Local dimension of the critical set through each degenerate limit (see the module docstring).

    For each limit, probes ``x* +- delta v`` (``delta = SET_PROBE (1 + ||x*||)``) along an
    orthonormal basis ``v`` of the Hessian's kernel (eigenvalues within :data:`CURVATURE_RTOL` of 0,
    at most :data:`MAX_KERNEL_PROBES`; where the kernel is the whole space its basis is arbitrary, and a
    probe at ``delta`` reaches the set within ``delta``) are refined within ``delta`` (batched over every
    probe of every limit).  A probe shows the set extending there when its refinement ends inside
    that ball (on a valley the refinement runs towards ``x*``, and reaches it or the ball's edge),
    converged, at a point of value ``f(x*)`` (within :data:`SET_VALUE_RTOL`) at least ``delta / 2``
    from ``x*``, where the gradient is 0 or below ``VERIFY_RATIO`` times the largest gradient norm at
    distance ``delta`` from ``x*`` (along the Hessian's eigenvectors): as critical as the set, not
    only as the floor of a valley.  The dimension is the rank of those displacements (singular
    values above half the largest, of unit vectors).
    """
    points = np.array([limit.point for limit in limits], dtype=float)
    with np.errstate(all="ignore"):
        hessians = np.asarray(objective.hess(points), dtype=float)
    probes, owners, deltas = [], [], []
    reference = np.full(len(limits), np.inf)  # the largest gradient norm at distance delta
    for index, (point, hessian) in enumerate(zip(points, hessians)):
        if not np.isfinite(hessian).all():
            continue
        curvatures, directions = np.linalg.eigh(0.5 * (hessian + hessian.T))
        scale = max(1.0, float(np.max(np.abs(curvatures))))
        kernel = directions[:, np.abs(curvatures) <= CURVATURE_RTOL * scale].T[:MAX_KERNEL_PROBES]
        delta = SET_PROBE * (1.0 + _norm(point))
        around = np.vstack([point + delta * directions.T, point - delta * directions.T])
        reference[index] = float(np.max(_row_norms(_gradients(objective, around)), initial=0.0))
        for direction in kernel:
            for sign in (1.0, -1.0):
                probes.append(point + sign * delta * direction)
                owners.append(index)
                deltas.append(delta)
    dimensions = [0] * len(limits)
    if not probes:
        return dimensions
    probes, owners, deltas = np.array(probes), np.array(owners), np.array(deltas)
    refined = refine(objective, probes, deltas)
    with np.errstate(all="ignore"):
        values = np.asarray(objective.f(refined.points), dtype=float)
    targets = np.array([limits[i].value for i in owners])
    critical = (refined.grad_norms == 0.0) | (refined.grad_norms <= VERIFY_RATIO * reference[owners])
    converged = (refined.remaining <= CONVERGED_RTOL * (1.0 + _row_norms(refined.points))) | refined.extrapolated
    same_set = np.abs(values - targets) <= SET_VALUE_RTOL * (1.0 + np.abs(targets))
    displacements = refined.points - points[owners]
    away = _row_norms(displacements) >= 0.5 * deltas
    on_set = critical & converged & same_set & away & ~refined.at_edge
    for index in range(len(limits)):
        found = displacements[(owners == index) & on_set]
        if not found.size:
            continue
        unit = found / _row_norms(found)[:, None]
        singular = np.linalg.svd(unit, compute_uv=False)
        dimensions[index] = int(np.sum(singular > 0.5 * singular[0]))
    return dimensions


def _flat_entry(objective, x_last, x_flat, value, g_tolerance):
    """The point where the segment from ``x_last`` to ``x_flat`` enters the flat region of value
    ``value`` (f equal to it within :data:`FLAT_ULPS` ulps and ``||grad f|| <= g_tolerance``), by
    bisection (``x_flat`` is in the region, ``x_last`` is not): ``(point, ||grad f(point)||)``."""
    rounding = FLAT_ULPS * np.spacing(abs(value)) + np.finfo(float).tiny

    def gradient_norm_inside(x):
        with np.errstate(all="ignore"):
            f = float(objective.f(x[None, :])[0])
            g = _norm(np.asarray(objective.grad(x[None, :]), dtype=float)[0])
        return g if abs(f - value) <= rounding and g <= g_tolerance else None

    outside_t, inside_t, g_norm = 0.0, 1.0, gradient_norm_inside(x_flat)
    for _ in range(60):
        middle = 0.5 * (outside_t + inside_t)
        g = gradient_norm_inside(x_last + middle * (x_flat - x_last))
        if g is not None:
            inside_t, g_norm = middle, g
        else:
            outside_t = middle
    return x_last + inside_t * (x_flat - x_last), g_norm


def _known_point(known, point):
    """The registry's exact critical point within :data:`SNAP_RTOL` of Newton's point: ``(x, kind, value)``."""
    for x, critical in known:
        if x.shape == point.shape and _norm(x - point) <= SNAP_RTOL * (1.0 + _norm(x)):
            kind = critical.kind
            if critical.hessian_degenerate and kind in ("minimum", "saddle", "maximum"):
                kind = f"degenerate {kind}"
            elif kind not in KINDS:
                kind = "degenerate saddle" if kind == "degenerate" else kind
            return x.copy(), kind, float(critical.value)
    return None


def limit_points(objective, result, *, seed=0):
    """The limit of every start of ``result`` (an :class:`armijo.RunResult`), in start order.

    A start that diverged or stopped at a non-finite value has no limit; the refinement of the
    others stays within :func:`tail_radii` of their last iterate.
    """
    reasons = [f"the run {status}" if status in ("diverged", "non_finite") else "" for status in result.status]
    return find_limits(objective, result.x, seed=seed, reasons=reasons, radii=tail_radii(result))


def group_starts(limits):
    """Group the starts by limit point, largest first: the same kind within :data:`SAME_POINT_RTOL`,
    or the same value within :data:`MERGE_RTOL` (Newton's resolution at degenerate points), or
    ``flat`` limits of one value.

    Starts without a verified limit form one group (its limit ``none``, with the reason of
    its first start).  Ties in size keep the order of first appearance.
    """
    groups = []  # (representative limit, [starts])
    unverified = []
    for start, limit in enumerate(limits):
        if not limit.verified:
            unverified.append(start)
            continue
        for representative, members in groups:
            distance = _norm(representative.point - limit.point)
            scale = 1.0 + _norm(representative.point)
            same_value = abs(limit.value - representative.value) <= 1e-9 * (1.0 + abs(representative.value))
            same_flat = limit.kind == "flat" and representative.kind == "flat" and (
                abs(limit.value - representative.value) <= FLAT_ULPS * np.spacing(abs(representative.value))
                + np.finfo(float).tiny)
            if same_flat or (representative.kind == limit.kind and distance <= SAME_POINT_RTOL * scale) or (
                    same_value and distance <= MERGE_RTOL * scale):
                members.append(start)
                break
        else:
            groups.append((limit, [start]))
    result = [LimitGroup(limit, tuple(members)) for limit, members in groups]
    if unverified:
        result.append(LimitGroup(limits[unverified[0]], tuple(unverified)))
    order = sorted(range(len(result)), key=lambda i: -len(result[i].starts))
    return tuple(result[i] for i in order)
