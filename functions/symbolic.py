"""Compile a SymPy expression once into batched NumPy ``f``, ``grad`` and ``hess``.

Derivatives are taken symbolically, reduced by one common-subexpression elimination and
printed by :mod:`functions.kernels` (variables renamed ``a0, a1, ...`` so that no variable
name ever reaches the generated source); the printed code runs on the columns of ``X``, and
the compiled backend's Numba kernels are generated from the same printed code. Compilation
happens at the first call of each oracle, so building the registry catalogue costs nothing.

A constant component (e.g. the ``200`` in the Hessian of Rosenbrock) comes back as a Python
number; every component is therefore written into a preallocated ``(B, ...)`` array, which
broadcasts scalars and costs one copy per component. The batch axis is never looped over in
Python.
"""

import numpy as np
import sympy

from functions.analyticity import certify_analytic
from functions.kernels import numpy_condition, numpy_evaluator, print_components, print_condition, print_noise
from functions.noise import UNIT_ROUNDOFF, noise_model
from functions.objective import Objective, batched
from functions.rewrites import safe_rewrite


def _almost_everywhere(derivative):
    """Replace what SymPy cannot compile in a derivative by its almost-everywhere value.

    Derivatives of step functions (``floor``, ``ceiling``, ``sign``, ``Heaviside``) come
    out as unevaluated ``Derivative`` objects (inside ``Subs`` when the argument is composite,
    e.g. ``floor(x + y)``) or ``DiracDelta`` terms; both vanish off the
    (measure-zero) jump set, so they are replaced by 0. Such expressions are never
    certified analytic.
    """
    derivative = derivative.replace(lambda node: isinstance(node, sympy.Derivative), lambda node: sympy.S.Zero)
    derivative = derivative.replace(lambda node: isinstance(node, sympy.DiracDelta), lambda node: sympy.S.Zero)
    # the chain rule through a step function leaves Subs(0, xi, g(x)): evaluate it (to 0)
    return derivative.replace(lambda node: isinstance(node, sympy.Subs), lambda node: node.doit())


class SymbolicOracle:
    """Batched oracles of a SymPy expression, compiled lazily and cached.

    The derivatives are printed once by :mod:`functions.kernels` (one CSE, one printer) and
    the printed code is executed on columns of ``X``; the Numba kernels of the compiled
    backend are generated from the same printed code (:func:`functions.kernels.compile_kernels`).

    Parameters
    ----------
    expression : sympy.Expr
        A smooth expression in ``symbols`` (the one that is differentiated and compiled).
    symbols : tuple of sympy.Symbol
        The variables, in the order of the columns of ``X``.
    active_region : sympy.Boolean, optional
        A condition on ``symbols``. Outside it, ``f``, ``grad`` and ``hess`` are exactly 0 and
        the compiled expression is not evaluated. Used for flat regions where the true values
        are below 1e-290 and the compiled formulas would give ``0 * inf = nan``
        (``exp(-1/x**2)`` at 0, the Mexican hat on the unit circle).
    special_points : tuple of (point, value, gradient, hessian)
        Points where the formulas are 0/0 and the exact values are given instead (the origin
        of the Mexican hat); they take precedence over ``active_region``.
    rewrite : bool
        Print every component in its numerically safer form (:mod:`functions.rewrites`:
        ``log1p``, ``expm1``...); False prints the expression as written.

    Attributes
    ----------
    noise : callable
        The batched evaluation noise of ``f``, ``noise(X) -> (B,)``: ``u`` times the running
        error bound of the printed ``f`` (:mod:`functions.noise`; 0 outside the
        active region and at special points).  Meaningful where :attr:`noise_model` is a kernel.
    """

    def __init__(self, expression, symbols, active_region=None, special_points=(), rewrite=True):
        self.expression = expression
        self.rewrite = bool(rewrite)
        self.symbols = tuple(symbols)
        self.active_region = active_region
        self.special_points = tuple(
            (tuple(float(c) for c in point), float(value), tuple(float(c) for c in gradient),
             tuple(tuple(float(c) for c in row) for row in hessian))
            for point, value, gradient, hessian in special_points)
        self._printed = {}
        self._compiled = {}
        self._condition = None
        self._noise_model = None
        n = len(self.symbols)
        self.f = batched(n)(self._value)
        self.grad = batched(n)(self._gradient)
        self.hess = batched(n)(self._hessian)
        self.noise = batched(n)(self._noise)

    @property
    def dimension(self):
        """Number of variables."""
        return len(self.symbols)

    def components(self, order):
        """The SymPy components of the derivative of ``order`` (0, 1 or 2; Hessian: upper triangle).

        Derivatives of the expression as written, each rewritten by
        :func:`functions.rewrites.safe_rewrite` when :attr:`rewrite` is set; ``order =
        "noise"`` gives the running error bound of the printed ``f`` (units of ``u``).
        """
        symbols = self.symbols
        if order == "noise":
            return [self.noise_model.expression]
        if order == 0:
            components = [self.expression]
        elif order == 1:
            components = [sympy.diff(self.expression, s) for s in symbols]
        else:
            gradient = [sympy.diff(self.expression, s) for s in symbols]
            components = [
                sympy.diff(gradient[i], symbols[j])
                for i in range(len(symbols))
                for j in range(i, len(symbols))
            ]
        components = [_almost_everywhere(component) for component in components]
        return [safe_rewrite(component) for component in components] if self.rewrite else components

    @property
    def noise_model(self):
        """The :class:`functions.noise.NoiseModel` of the printed ``f`` (relative, kernel, or none)."""
        if self._noise_model is None:
            self._noise_model = noise_model(self.components(0)[0])
        return self._noise_model

    def printed(self, order):
        """The printed code of the derivative of ``order`` (:class:`functions.kernels.PrintedComponents`);
        ``"noise"``: the running error bound of ``f`` in forward mode (:func:`functions.kernels.print_noise`)."""
        if order not in self._printed:
            if order == "noise":
                self._printed[order] = print_noise(self.components(0)[0], self.symbols)
            else:
                self._printed[order] = print_components(self.components(order), self.symbols)
        return self._printed[order]

    def _compile(self, order):
        if order not in self._compiled:
            self._compiled[order] = numpy_evaluator(self.printed(order))
        return self._compiled[order]

    def _evaluate(self, X, order):
        """Components of the derivative of ``order`` at the rows of X, shape (B, n**order)."""
        n = self.dimension
        compiled = self._compile(order)
        B = X.shape[0]
        columns = [X[:, i] for i in range(n)]
        values = compiled(*columns)
        if order in (0, "noise"):
            out = np.empty(B)
            out[:] = values[0]
            return out
        if order == 1:
            out = np.empty((B, n))
            for i, value in enumerate(values):
                out[:, i] = value
            return out
        out = np.empty((B, n, n))
        position = 0
        for i in range(n):
            for j in range(i, n):
                out[:, i, j] = values[position]
                if j != i:
                    out[:, j, i] = out[:, i, j]
                position += 1
        return out

    def _active(self, X):
        if self._condition is None:
            self._condition = numpy_condition(print_condition(self.active_region, self.symbols), self.dimension)
        active = np.empty(X.shape[0], dtype=bool)
        active[:] = self._condition(*[X[:, i] for i in range(self.dimension)])
        return active

    def _restricted(self, X, order):
        shape = (X.shape[0],) if order == "noise" else (X.shape[0],) + (self.dimension,) * order
        if self.active_region is None:
            with np.errstate(under="ignore"):
                out = self._evaluate(X, order)
        else:
            active = self._active(X)
            out = np.zeros(shape)
            if active.any():
                with np.errstate(under="ignore", over="ignore", invalid="ignore", divide="ignore"):
                    out[active] = self._evaluate(X[active], order)
        for point, *values in self.special_points:
            at_point = (X == np.asarray(point)).all(axis=1)
            if at_point.any():
                out[at_point] = 0.0 if order == "noise" else values[order]
        return out

    def _value(self, X):
        """Objective values, shape (B,)."""
        return self._restricted(X, 0)

    def _gradient(self, X):
        """Gradients, shape (B, n)."""
        return self._restricted(X, 1)

    def _hessian(self, X):
        """Hessians, shape (B, n, n)."""
        return self._restricted(X, 2)

    def _noise(self, X):
        """Evaluation noise of ``f``, shape (B,) (for a kernel model)."""
        if self.noise_model.kind != "kernel":
            raise ValueError(f"no noise kernel: {self.noise_model.reason}")
        return UNIT_ROUNDOFF * self._restricted(X, "noise")


def symbolic_objective(name, params, expression, symbols, analytic, compiled_expression=None, active_region=None,
                       special_points=(), rewrite=True, **properties):
    """Build an :class:`~functions.objective.Objective` from a SymPy expression.

    Parameters
    ----------
    name, params : str, dict
        Registry name and the parameters used.
    expression : sympy.Expr
        The exact objective (stored in the record, and certified).
    symbols : tuple of sympy.Symbol
        Variables in a fixed order.
    analytic : bool
        The declared tag. The record keeps it; its reason is the certificate of
        :func:`functions.analyticity.certify_analytic`, flagged when the two disagree
        (tests require that they agree).
    compiled_expression : sympy.Expr, optional
        The smooth branch actually compiled when ``expression`` is piecewise (used with
        ``active_region``, see :class:`SymbolicOracle`). Defaults to ``expression``.
    active_region : sympy.Boolean, optional
        See :class:`SymbolicOracle`.
    special_points : tuple, optional
        See :class:`SymbolicOracle`.
    rewrite : bool
        See :class:`SymbolicOracle` (default: the numerically safer forms).
    **properties
        Remaining :class:`~functions.objective.Objective` fields.
    """
    certified, reason = certify_analytic(expression)
    if certified != analytic:
        reason = f"declared analytic={analytic} but the certificate says {certified}: {reason}"
    oracle = SymbolicOracle(expression if compiled_expression is None else compiled_expression, symbols,
                            active_region, special_points, rewrite)
    return Objective(
        name=name,
        params=dict(params),
        variables=tuple(s.name for s in symbols),
        expression=expression,
        f=oracle.f,
        grad=oracle.grad,
        hess=oracle.hess,
        analytic=analytic,
        analytic_reason=reason,
        symbolic=oracle,
        **properties,
    )
