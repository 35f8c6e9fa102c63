"""A peer for ``make bench``: the suite's ``armijo`` loop written in JAX as a user would write it.

``jax.jit`` of ``jax.vmap`` of a ``lax.while_loop`` over iterations with an inner
``lax.while_loop`` for the backtracking, float64 on the CPU, ``jax.grad`` for the gradient:
the short script a user who wants many starts fast would write.  The rule is the suite's
``armijo`` (SCIENCE.md section 2): every iteration starts from ``eta0``, divides the trial by
``f1`` until ``f(x - eta g) <= f(x) - lam eta ||g||^2``, and a start stops at
``||g|| <= eps_min`` or after ``max_iter`` iterations.  What the suite adds (the precision and
noise floors, step underflow, eps grids, counts) is absent: on the benchmark's runs none of
it stops a start (``bench.py`` checks that both take the same iterations).

JAX is optional (``pip install .[peers]``): :func:`jax_available` says whether it imports;
nothing else of the project imports this module.
"""

from __future__ import annotations

import os


def jax_available():
    """True when JAX imports (the peer can run)."""
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


def _jax():
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def quartic(x):
    """``sum(x^4)`` on one point, in ``jax.numpy``."""
    return (x**4).sum()


def poly_two(x):
    """``R(w, b) = 1/2 [(b^2 - 1)^2 + ((w + b)^2 - 1)^2]`` on one point (the registry's ``poly-two``)."""
    w, b = x[0], x[1]
    inner, outer = b * b - 1.0, (w + b) ** 2 - 1.0
    return 0.5 * (inner * inner + outer * outer)


PEER_FUNCTIONS = {"x^4": quartic, "poly-two": poly_two}


def armijo_solver(f, *, eta0, lam, f1):
    """``solve(x0, eps_min, max_iter) -> (x, f, iterations)`` over a batch ``x0`` of shape ``(B, n)``.

    The function a user would write: one start's loop, ``vmap`` over starts, ``jit`` of the whole.
    """
    jax = _jax()
    jnp, lax = jax.numpy, jax.lax
    grad = jax.grad(f)

    def one_start(x0, eps_min, max_iter):
        def running(state):
            _, _, g, k = state
            return (k < max_iter) & (jnp.sqrt(g @ g) > eps_min)

        def iteration(state):
            x, fx, g, k = state
            g2 = g @ g

            def rejected(trial):
                eta, value = trial
                return ~(value <= fx - lam * eta * g2)

            def backtrack(trial):
                eta = trial[0] / f1
                return eta, f(x - eta * g)

            eta, value = lax.while_loop(rejected, backtrack, (jnp.float64(eta0), f(x - eta0 * g)))
            x = x - eta * g
            return x, value, grad(x), k + 1

        x, fx, _, k = lax.while_loop(running, iteration, (x0, f(x0), grad(x0), jnp.int64(0)))
        return x, fx, k

    return jax.jit(jax.vmap(one_start, in_axes=(0, None, None)))


def run_solver(solve, x0, eps_min, max_iter):
    """Run ``solve`` on the NumPy starts ``x0`` to completion; return NumPy ``(x, f, iterations)``."""
    import numpy as np

    jax = _jax()
    x, fx, k = jax.block_until_ready(solve(jax.numpy.asarray(x0, dtype=jax.numpy.float64), eps_min, max_iter))
    return np.asarray(x), np.asarray(fx), np.asarray(k)


def versions():
    """JAX's version and its CPU devices (for the report)."""
    jax = _jax()
    return {"jax": jax.__version__, "devices": [str(device) for device in jax.devices()]}
