"""Which loop runs a batch of starts: the compiled twin or the NumPy reference, and why.

:func:`run_minimize` is the one function ``armijo check``, the studies and the benchmarks call
to run the optimiser.  It picks the backend:

* ``"compiled"``: the Numba loop of :mod:`armijo.compiled` with the objective's kernels, when
  Numba imports and the objective has kernels;
* ``"numpy"``: the reference engine :func:`armijo.minimize` with the objective's batched
  oracles, for objectives without kernels and when Numba is absent.

Both backends take the objective's evaluation noise from the same model (the objective's
``engine_noise()``, :func:`functions.noise.engine_noise`; the compiled kernels carry it): the
noise-floor rule is the same on both sides.

``backend="auto"`` chooses as above; ``"compiled"`` insists (a clear ``ValueError`` when it
cannot run) and ``"numpy"`` forces the reference.  Every result says which backend ran
(``RunResult.backend``); :func:`backend_choice` tells it beforehand, with the reason.

The engine knows nothing of where kernels come from: an objective is anything with

* ``f(X) -> (B,)`` and ``grad(X) -> (B, n)``, the batched oracles of the NumPy engine;
* ``name``, for messages;
* ``kernels()``, returning the Numba kernels :func:`armijo.compiled.minimize_compiled` takes
  (``f``, ``grad``, ``dimension``), or raising ``ValueError`` whose message says why there are
  none (the suite's :class:`functions.Objective` raises ``functions.kernels.KernelUnavailable``:
  a numeric entry, Numba missing, an expression Numba cannot compile).

>>> import numpy as np
>>> class Quartic:  # no kernels: the NumPy engine runs it
...     name = "x^4"
...     f = staticmethod(lambda X: np.sum(X**4, axis=1))
...     grad = staticmethod(lambda X: 4 * X**3)
...     def kernels(self):
...         raise ValueError("no kernel")
>>> backend_choice(Quartic())
BackendChoice(backend='numpy', reason='no kernel', kernels=None)
>>> run_minimize(Quartic(), [[1.0]], "armijo", eps=[1e-3], max_iter=10_000).backend
'numpy'
"""

from __future__ import annotations

from dataclasses import dataclass

from armijo.engine import minimize

#: The backend names :func:`backend_choice` takes.
BACKENDS = ("auto", "compiled", "numpy")


@dataclass(frozen=True, kw_only=True)
class BackendChoice:
    """Which backend a run uses and why.

    Attributes
    ----------
    backend : str
        ``"compiled"`` or ``"numpy"``.
    reason : str
        Why (e.g. ``"numeric entry, no kernel"``, ``"Numba is not installed"``, ``"requested"``).
    kernels : object or None
        The kernels when the backend is compiled.
    """

    backend: str
    reason: str
    kernels: object = None


def backend_choice(objective, backend="auto"):
    """Resolve ``backend`` (``auto``, ``compiled`` or ``numpy``) for ``objective``.

    Compiles (or loads from the disk cache) the objective's kernels when the compiled backend
    is chosen: call it once the inputs of the run are validated.

    Raises
    ------
    ValueError
        For an unknown backend name, or ``backend="compiled"`` when the objective has no
        kernels (its ``kernels()`` says why).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "numpy":
        return BackendChoice(backend="numpy", reason="requested")
    try:
        kernels = objective.kernels()
    except ValueError as error:  # the objective's own statement that it has no kernels, and why
        if backend == "compiled":
            raise ValueError(f"backend 'compiled' cannot run {objective.name}: {error}") from None
        return BackendChoice(backend="numpy", reason=str(error))
    return BackendChoice(backend="compiled", kernels=kernels,
                         reason="requested" if backend == "compiled" else "Numba kernels of the expression")


def run_minimize(objective, starts, algorithm, *, backend="auto", threads=None, **engine_kwargs):
    """Run ``algorithm`` on ``objective`` from ``starts`` with the chosen backend.

    Parameters
    ----------
    objective : object
        ``f``, ``grad``, ``name`` and ``kernels()`` (module docstring), e.g. a registry entry
        or a parsed expression (:class:`functions.Objective`).
    starts : array_like, shape (n,) or (B, n)
        Starts.
    algorithm : str
        Engine algorithm name.
    backend : str
        ``"auto"`` (compiled when possible), ``"compiled"`` or ``"numpy"``.
    threads : int, optional
        Numba threads of a compiled run (default: ``NUMBA_NUM_THREADS``); ignored by NumPy.
    **engine_kwargs
        The keyword arguments of :func:`armijo.minimize` (``eps``, ``max_iter``, ``trace``,
        algorithm parameters...), identical for both backends.

    Returns
    -------
    armijo.RunResult
        With ``backend`` set to the backend that ran.
    """
    choice = backend_choice(objective, backend)
    if choice.backend == "compiled":
        from armijo.compiled import minimize_compiled

        return minimize_compiled(choice.kernels, starts, algorithm, threads=threads, **engine_kwargs)
    if "noise" not in engine_kwargs:  # the objective's own model (the compiled kernels carry the same)
        noise = getattr(objective, "engine_noise", None)
        engine_kwargs["noise"] = noise() if callable(noise) else None
    return minimize(objective.f, objective.grad, starts, algorithm, **engine_kwargs)
