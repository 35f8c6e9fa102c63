"""Run an algorithm on a registry objective with the best available backend.

:func:`run_minimize` is the one function the experiments and ``armijo check`` call to run
the optimiser.  It picks the backend:

* ``"compiled"``: the Numba loop of :mod:`armijo.compiled` with the objective's kernels
  (:func:`functions.kernels.objective_kernels`), when Numba imports and the objective is
  symbolic;
* ``"numpy"``: the reference engine :func:`armijo.minimize` with the objective's batched
  oracles, for numeric entries (no kernel) and when Numba is absent.

Both backends take the objective's evaluation noise from the same model
(:func:`functions.noise.engine_noise`; the compiled kernels carry it): the noise-floor rule is
the same on both sides.

``backend="auto"`` chooses as above; ``"compiled"`` insists (a clear ``ValueError`` when it
cannot run) and ``"numpy"`` forces the reference.  Every result says which backend ran
(``RunResult.backend``); :func:`backend_choice` tells it beforehand, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from armijo import minimize
from functions.kernels import KernelUnavailable, objective_kernels
from functions.noise import engine_noise

BACKENDS = ("auto", "compiled", "numpy")


@dataclass(frozen=True)
class BackendChoice:
    """Which backend a run uses and why.

    Attributes
    ----------
    backend : str
        ``"compiled"`` or ``"numpy"``.
    reason : str
        Why (e.g. ``"numeric entry, no kernel"``, ``"Numba not installed"``, ``"requested"``).
    kernels : functions.kernels.CompiledKernels or None
        The kernels when the backend is compiled.
    """

    backend: str
    reason: str
    kernels: object = None


def backend_choice(objective, backend="auto"):
    """Resolve ``backend`` (``auto``, ``compiled`` or ``numpy``) for ``objective``.

    Compiles (or loads from the disk cache) the objective's kernels when the compiled backend
    is chosen.

    Raises
    ------
    ValueError
        For an unknown backend name, or ``backend="compiled"`` when Numba is missing or the
        objective has no kernel.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "numpy":
        return BackendChoice("numpy", "requested")
    try:
        kernels = objective_kernels(objective)
    except KernelUnavailable as error:
        if backend == "compiled":
            raise ValueError(f"backend 'compiled' cannot run {objective.name}: {error}") from None
        return BackendChoice("numpy", str(error))
    return BackendChoice("compiled", "requested" if backend == "compiled" else
                         "Numba kernels of the expression", kernels)


def run_minimize(objective, starts, algorithm, *, backend="auto", threads=None, **engine_kwargs):
    """Run ``algorithm`` on ``objective`` from ``starts`` with the chosen backend.

    Parameters
    ----------
    objective : functions.Objective
        A registry entry or a parsed expression.
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
    return minimize(objective.f, objective.grad, starts, algorithm, noise=engine_noise(objective), **engine_kwargs)

