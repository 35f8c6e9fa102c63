"""The record every registry entry produces: one evaluated objective with its properties.

An :class:`Objective` bundles the batched oracles ``f``, ``grad`` and ``hess`` with what is
known about the function (class tags, minimisers, critical points, reference). All oracles
take a batch ``X`` of shape ``(B, n)`` and return float64 arrays of shapes ``(B,)``,
``(B, n)`` and ``(B, n, n)``; row ``i`` of a batched call equals the call on ``X[i:i+1]``.
A single point of shape ``(n,)`` is accepted too and gives a scalar, ``(n,)``, ``(n, n)``.
"""

import enum
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


class Differentiability(enum.Enum):
    """The differentiability class of an objective, as a typed tag (the free text of
    :attr:`Objective.smoothness` says the same for a reader, with details).

    Code tests the tag, never the text:

    >>> Differentiability.NOT_C1.has_gradient, Differentiability.C1.has_gradient
    (False, True)
    """

    ANALYTIC = "real analytic"
    SMOOTH = "C-infinity, not analytic everywhere"
    C1 = "C^1 at least (a continuous gradient), not C-infinity everywhere"
    NOT_C1 = "not C^1 (the gradient jumps, or is only defined almost everywhere)"
    UNKNOWN = "unknown"

    @property
    def has_gradient(self) -> bool:
        """Whether the gradient may be continuous: every class but :attr:`NOT_C1` (unknown included)."""
        return self is not Differentiability.NOT_C1


@dataclass(frozen=True, eq=False)
class CriticalPoint:
    """A critical point of an objective, with its value and its local nature.

    Parameters
    ----------
    x : numpy.ndarray
        The point, shape ``(n,)``, in the objective's variable order.
    value : float
        The objective value at ``x``.
    kind : str
        ``"minimum"``, ``"maximum"``, ``"saddle"`` (a critical point that is not a local
        extremum) or ``"degenerate"`` (nature not determined).
    hessian_degenerate : bool
        True when the Hessian at ``x`` is singular, so the second-order test alone does
        not decide ``kind`` (the argument used is in ``note``).
    note : str
        How ``kind`` was decided.
    exact : tuple
        The coordinates as exact SymPy numbers where they are known exactly, else empty.
    """

    x: np.ndarray
    value: float
    kind: str
    hessian_degenerate: bool = False
    note: str = ""
    exact: tuple = ()


@dataclass(frozen=True, eq=False, kw_only=True)
class Objective:
    """One function instance of the registry (a family with its parameters filled in).

    Parameters
    ----------
    name : str
        Registry name, or ``"user"`` for a parsed expression.
    params : dict
        Family parameters actually used, defaults filled in.
    variables : tuple of str
        Variable names in the fixed order of the coordinates of ``x``.
    expression : sympy.Expr or None
        The exact symbolic objective; None for numeric entries.
    f, grad, hess : callable
        Batched oracles: ``(B, n) -> (B,)``, ``(B, n) -> (B, n)``, ``(B, n) -> (B, n, n)``.
    default_start : numpy.ndarray
        A generic start, shape ``(n,)``.
    sample_starts : callable
        ``sample_starts(rng, count)`` draws ``(count, n)`` starts from the entry's start
        distribution with a ``numpy.random.Generator``.
    analytic : bool
        Real analytic on the whole of :math:`\\mathbb{R}^n`.
    analytic_reason : str
        Why (certified from the expression tree for symbolic entries).
    smoothness : str
        The differentiability class in words, for display, e.g. ``"C-infinity (analytic)"``, ``"C^1"``.
    differentiability : Differentiability
        The same class as a typed tag: what code tests.
    l_smooth : bool or None
        Globally Lipschitz gradient (None: unknown).
    l0l1_smooth : bool or None
        :math:`\\|\\nabla^2 f(x)\\| \\le L_0 + L_1 \\|\\nabla f(x)\\|` everywhere (None: unknown).
    bounded_iterates : bool or None
        Whether descent iterates stay bounded (e.g. compact sublevel sets); None: unknown.
    f_star : float or None
        :math:`\\inf f` where known (attained or not, see ``description``).
    minimizers : tuple of numpy.ndarray
        Known global minimisers (empty when the infimum is not attained or unknown).
    critical_points : tuple of CriticalPoint
        Known critical points with their nature.
    constants : dict
        Known smoothness constants, e.g. ``{"L": 3.0}`` or ``{"L0": 1.0, "L1": 2.0}``.
    hess_method : str
        ``"exact"`` or how the Hessian is approximated.
    reference : str
        Where the function comes from.
    description : str
        One paragraph on the function and its known behaviour.
    minibatch : callable or None
        For finite sums: ``minibatch(batch_size, seed)`` returns a
        :class:`functions.finite_sum.MinibatchOracle`.
    symbolic : functions.symbolic.SymbolicOracle or None
        For symbolic entries, the oracle behind ``f``, ``grad`` and ``hess`` (its printed
        code also gives the compiled backend's kernels, :func:`functions.kernels.objective_kernels`);
        None for numeric entries.
    """

    name: str
    params: dict
    variables: tuple
    expression: object
    f: Callable
    grad: Callable
    hess: Callable
    default_start: np.ndarray
    sample_starts: Callable
    analytic: bool
    analytic_reason: str
    smoothness: str = ""
    differentiability: Differentiability = Differentiability.UNKNOWN
    l_smooth: bool | None = None
    l0l1_smooth: bool | None = None
    bounded_iterates: bool | None = None
    f_star: float | None = None
    minimizers: tuple = ()
    critical_points: tuple = ()
    constants: dict = field(default_factory=dict)
    hess_method: str = "exact"
    reference: str = ""
    description: str = ""
    minibatch: Callable | None = None
    symbolic: object = None

    @property
    def n(self):
        """Dimension of the variable space."""
        return len(self.variables)

    def kernels(self):
        """The compiled kernels of the entry (:func:`functions.kernels.objective_kernels`), as
        :func:`armijo.backend.run_minimize` asks for them.

        Raises
        ------
        functions.kernels.KernelUnavailable
            A ``ValueError`` saying why there are none (numeric entry, Numba missing, not compilable).
        """
        from functions.kernels import objective_kernels

        return objective_kernels(self)

    def engine_noise(self):
        """The ``noise`` argument of :func:`armijo.minimize` for this entry
        (:func:`functions.noise.engine_noise`), as :func:`armijo.backend.run_minimize` asks for it:
        the same model the compiled kernels carry, so both backends apply the same noise rule."""
        from functions.noise import engine_noise

        return engine_noise(self)


def as_batch(X, dimension):
    """Return ``(X2d, was_single)``: ``X`` as a float64 array of shape ``(B, dimension)``.

    Raises
    ------
    ValueError
        If the last axis is not ``dimension`` or ``X`` has more than two axes.
    """
    X = np.asarray(X, dtype=np.float64)
    single = X.ndim == 1
    if single:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != dimension:
        raise ValueError(f"expected points of shape (B, {dimension}) or ({dimension},), got {X.shape}")
    return X, single


def batched(dimension):
    """Decorate a batched oracle so it also accepts a single point of shape ``(n,)``.

    The decorated oracle receives a float64 array of shape ``(B, dimension)``.
    """

    def decorate(oracle):
        def wrapped(X):
            X2, single = as_batch(X, dimension)
            out = oracle(X2)
            return out[0] if single else out

        wrapped.__doc__ = oracle.__doc__
        wrapped.__name__ = getattr(oracle, "__name__", "oracle")
        return wrapped

    return decorate


def uniform_box_sampler(low, high):
    """Start distribution uniform in the box ``[low, high]`` (arrays of shape ``(n,)``)."""
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)

    def sample_starts(rng, count):
        return rng.uniform(low, high, size=(count, low.size))

    sample_starts.box = (low, high)
    return sample_starts


def finite_difference_hessian(grad, dimension, relative_step=6e-6):
    """Batched Hessian by central differences of a batched gradient, symmetrised.

    The step for coordinate ``j`` is ``relative_step * max(1, |x_j|)``; the error is
    :math:`O(h^2)` for a C^3 gradient (about 1e-9 relative with the default step).
    Costs ``2 n`` gradient calls on the whole batch (loops over coordinates, not points).
    """

    def hess(X):
        B = X.shape[0]
        H = np.empty((B, dimension, dimension))
        for j in range(dimension):
            step = relative_step * np.maximum(1.0, np.abs(X[:, j]))
            forward = X.copy()
            backward = X.copy()
            forward[:, j] += step
            backward[:, j] -= step
            H[:, :, j] = (grad(forward) - grad(backward)) / (2.0 * step)[:, None]
        return 0.5 * (H + np.swapaxes(H, 1, 2))

    return hess


def hessian_vector_product(grad, X, V, relative_step=1e-5):
    """``H(x_r) v_r`` per row by a central difference of ``grad`` along ``v_r``.

    .. math::

        H(x)\\, v \\approx \\frac{\\nabla f(x + h \\hat v) - \\nabla f(x - h \\hat v)}{2 h}\\, \\|v\\|,
        \\qquad \\hat v = v / \\|v\\|, \\quad h = \\text{relative\\_step}\\,(1 + \\|x\\|),

    error :math:`O(h^2)` for a C^3 gradient (for ReLU only meaningful away from the kinks).
    Costs two batched gradient calls.  Rows with ``v_r = 0`` give 0.
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    V = np.atleast_2d(np.asarray(V, dtype=np.float64))
    lengths = np.sqrt((V * V).sum(axis=1))
    unit = np.divide(V, lengths[:, None], out=np.zeros_like(V), where=lengths[:, None] > 0)
    step = relative_step * (1.0 + np.sqrt((X * X).sum(axis=1)))
    difference = grad(X + step[:, None] * unit) - grad(X - step[:, None] * unit)
    return difference / (2.0 * step)[:, None] * lengths[:, None]
