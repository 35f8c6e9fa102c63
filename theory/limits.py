r"""Limit points of runs: refine the last iterate by Newton's method, verify, classify, group.

A rate, a Lojasiewicz exponent and the gap ``Delta = f(x_0) - f_*`` belong to a start and
the critical point it approaches (SCIENCE.md section 6, "Pooling").  This module names
that point for every start:

1. **Refine.**  From the last iterate ``x_K``, damped Newton steps on the gradient,
   ``x <- x - t H^+ g`` with ``H^+`` a least-squares (pseudo-)inverse of the Hessian
   (singular Hessians at degenerate points are handled: Newton then converges linearly),
   first truncated to the well-curved directions, then complete (see :func:`refine`),
   ``t`` halved until ``||grad f||`` decreases within reach of ``x_K``; at most
   :data:`NEWTON_STEPS` steps.
2. **Verify.**  The refined point ``x*`` is accepted as the limit when
   ``||grad f(x*)|| <= VERIFY_RATIO * ||grad f(x_K)||`` (Newton made the gradient at least
   a million times smaller than the run left it: a critical point, not a flat slope) or
   is exactly 0; Newton never leaves the ball ``||x - x_K|| <= RADIUS (1 + ||x_K||)`` (near
   the iterate: the run was approaching it), and its steps were converging
   (:data:`CONVERGED_RTOL`) or had shrunk to the rounding level of the point
   (:data:`ROUNDING_STEP_ULPS`).  Otherwise the limit is ``none``: the
   iterates are unbounded, or the run had not converged.
3. **Classify.**  From the Hessian's eigenvalues at ``x*``: ``minimum``, ``maximum`` or
   ``saddle`` when none is within :data:`CURVATURE_RTOL` of 0 (relative to the largest);
   otherwise the point is degenerate and its nature is read from ``f`` on small spheres
   around it (:data:`PROBE_RADII`, the coordinate directions and seeded random ones):
   ``degenerate minimum``, ``degenerate maximum`` or ``degenerate saddle``; ``flat`` when
   the gradient vanishes in floating point on the nearest sphere, or every probe equals
   ``f(x*)`` to rounding (``f`` underflows on a whole region, e.g. ``exp(-1/x^2)`` near 0 or
   the Mexican hat outside its disc: the point that Newton stops at is one of many, and says
   only which value the run reaches).
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

from dataclasses import dataclass

import numpy as np

NEWTON_STEPS = 300
"""Largest number of Newton steps (degenerate points converge linearly: x^6 loses 1/5 per step)."""

TRUNCATION = 1e-8
"""First phase of the refinement: curvatures below this share of the largest are left out."""

HALVINGS = 40
"""Largest number of step halvings in one damped Newton step."""

VERIFY_RATIO = 1e-6
"""A limit is verified when Newton divides the run's last gradient norm by at least 10^6."""

RADIUS = 0.5
"""...and lies within this relative distance ``RADIUS (1 + ||x_K||)`` of the last iterate."""

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

SAME_POINT_RTOL = 1e-6
"""Limits closer than ``SAME_POINT_RTOL (1 + ||x*||)`` are one limit point."""

FLAT_ULPS = 4
"""Probe values within this many ulps of ``f(x*)`` are equal to it (rounding)."""

MAX_DIMENSION = 1100
"""Above this many variables limits are not located: Newton's refinement needs dense ``n x n``
Hessians (for a numeric entry, central differences of ``2 n`` gradient calls each), minutes per
step for the networks on real data (``mlp-data-*``: 2410 parameters for 64-32-10)."""

KINDS = ("minimum", "saddle", "maximum", "degenerate minimum", "degenerate saddle", "degenerate maximum", "flat")


@dataclass(frozen=True)
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
    """

    point: np.ndarray | None
    kind: str
    value: float
    grad_norm: float
    distance: float
    reason: str = ""

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
    return np.sqrt(np.sum(X * X, axis=1))


def _gradients(objective, X):
    with np.errstate(all="ignore"):
        return np.asarray(objective.grad(X), dtype=float)


def _newton_steps(hessians, gradients, truncations):
    """Per row, ``H^+ g`` over the eigen-directions of ``H`` whose |curvature| exceeds the row's
    truncation times its largest (every nonzero one for truncation 0)."""
    curvatures, directions = np.linalg.eigh(0.5 * (hessians + np.swapaxes(hessians, 1, 2)))
    largest = np.max(np.abs(curvatures), axis=1, keepdims=True)
    kept = (np.abs(curvatures) > truncations[:, None] * largest) & (largest > 0)
    components = np.einsum("bji,bj->bi", directions, gradients)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(kept, components / curvatures, 0.0)
    return np.einsum("bij,bj->bi", directions, scaled)


def refine(objective, X_last):
    """Damped Newton iterations on the gradient from each row of ``X_last`` (batched).

    The Newton step is ``s = H^+ g`` on the eigen-directions of ``H``, first without the
    directions whose curvature is below :data:`TRUNCATION` times the largest (a critical
    *manifold* through ``x*`` has zero curvature along itself: a step along it would slide
    along the manifold, away from the point the run approaches), then, once those steps make
    no progress, with every direction (a degenerate isolated point, such as the minimum of
    ``x^4 + y^2``, is reached along its flat direction).  Each step is halved until
    ``||grad f||`` decreases and the point stays within ``RADIUS (1 + ||x_K||)`` of ``x_K``.

    Returns ``(X*, ||grad f(X*)||, remaining)`` with shapes ``(B, n)``, ``(B,)``, ``(B,)``:
    ``remaining`` estimates the distance still to go from the ratio of the last two steps (0
    when Newton stopped on its own or made at most one step, inf when the steps stopped
    shrinking), and the last step itself when that step is at the rounding level of the point
    (:data:`ROUNDING_STEP_ULPS`).
    """
    X_last = np.array(X_last, dtype=float, ndmin=2)
    radius = RADIUS * (1.0 + _row_norms(X_last))
    X = X_last.copy()
    G = _gradients(objective, X)
    g_norm = _row_norms(G)
    phase = np.zeros(X.shape[0], dtype=int)  # index into (TRUNCATION, 0): 2 = finished
    phases = np.array([TRUNCATION, 0.0])
    last_step = np.zeros(X.shape[0])          # lengths of the last two accepted steps
    previous_step = np.full(X.shape[0], np.nan)
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
        steps = _newton_steps(hessians, G[rows], phases[phase[rows]])
        t = np.ones(rows.size)
        pending = np.arange(rows.size)
        for _ in range(HALVINGS):
            candidates = X[rows[pending]] - t[pending, None] * steps[pending]
            gradients = _gradients(objective, candidates)
            norms = _row_norms(gradients)
            accept = (np.isfinite(norms) & (norms < g_norm[rows[pending]])
                      & (_row_norms(candidates - X_last[rows[pending]]) <= radius[rows[pending]]))
            accepted = rows[pending[accept]]
            previous_step[accepted] = last_step[accepted]
            last_step[accepted] = _row_norms(candidates[accept] - X[accepted])
            X[accepted], G[accepted], g_norm[accepted] = candidates[accept], gradients[accept], norms[accept]
            pending = pending[~accept]
            if not pending.size:
                break
            t[pending] *= 0.5
        phase[rows[pending]] += 1  # no progress: next phase (or finished)
    # the distance still to go if the steps keep shrinking at their last ratio (geometric tail):
    # a critical point is converged to (x^6: ratio 4/5); a flat slope is crawled along (ratio -> 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = last_step / previous_step
        remaining = np.where(np.isfinite(ratio) & (ratio < 1.0), last_step * ratio / (1.0 - ratio),
                             np.where(np.isnan(previous_step), 0.0, np.inf))
    remaining = np.where(last_step == 0.0, 0.0, remaining)
    at_rounding = last_step <= ROUNDING_STEP_ULPS * np.spacing(1.0 + _row_norms(X))
    remaining = np.where(at_rounding, np.minimum(remaining, last_step), remaining)
    return X, g_norm, remaining


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
    if np.all(differences >= -rounding):
        return "degenerate minimum"
    if np.all(differences <= rounding):
        return "degenerate maximum"
    return "degenerate saddle"


def find_limit(objective, x_last, *, seed=0):
    """The verified limit point near ``x_last`` (see the module docstring), or ``none``."""
    return find_limits(objective, np.atleast_2d(x_last), seed=seed)[0]


def find_limits(objective, X_last, *, seed=0, reasons=None):
    """:func:`find_limit` for every row of ``X_last`` (refined together, batched).

    ``reasons`` optionally gives, per row, a reason why the row has no limit (e.g. the run
    diverged); such rows are not refined.
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
    limits = [LimitPoint(None, NONE_KIND, np.nan, np.nan, np.nan, reason) for reason in reasons]
    if not todo.size:
        return tuple(limits)
    start_norms = _row_norms(_gradients(objective, X_last[todo]))
    points, g_norms, remaining = refine(objective, X_last[todo])
    with np.errstate(all="ignore"):
        values = np.asarray(objective.f(points), dtype=float)
    known = [(np.asarray(c.x, dtype=float), c) for c in (getattr(objective, "critical_points", ()) or ())]
    for k, row in enumerate(todo):
        point, g_norm, start_norm = points[k], float(g_norms[k]), float(start_norms[k])
        distance = _norm(point - X_last[row])
        exact = _known_point(known, point)
        if exact is not None:  # the registry knows this critical point exactly: Newton found it
            limits[row] = LimitPoint(exact[0], exact[1], exact[2], g_norm, _norm(exact[0] - X_last[row]))
            continue
        if not (g_norm == 0.0 or g_norm <= VERIFY_RATIO * start_norm):
            limits[row] = LimitPoint(None, NONE_KIND, np.nan, g_norm, distance,
                                     f"Newton's method did not find a critical point near the last iterate "
                                     f"(||grad f|| {start_norm:.3g} -> {g_norm:.3g})")
            continue
        if g_norm > 0.0 and remaining[k] > CONVERGED_RTOL * (1.0 + _norm(point)):
            limits[row] = LimitPoint(None, NONE_KIND, np.nan, g_norm, distance,
                                     f"Newton's method was still crawling ({remaining[k]:.3g} to go at its last "
                                     "step ratio): f is too flat near the last iterate to locate a critical point")
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
        limits[row] = LimitPoint(point, kind, float(values[k]), g_norm, distance, reason)
    return tuple(limits)


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

    A start that diverged or stopped at a non-finite value has no limit.
    """
    reasons = [f"the run {status}" if status in ("diverged", "non_finite") else "" for status in result.status]
    return find_limits(objective, result.x, seed=seed, reasons=reasons)


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
