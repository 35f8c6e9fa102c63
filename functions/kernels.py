"""One printer, two evaluators: SymPy expressions as batched NumPy oracles and as Numba kernels.

A symbolic objective is differentiated once with SymPy, its components are reduced by one
common-subexpression elimination (``sympy.cse``) and printed once by :class:`KernelPrinter`
into straight-line Python statements.  The same statements are then

* executed on columns of a batch ``X`` with NumPy (the reference oracles of
  :class:`functions.symbolic.SymbolicOracle`, used by the NumPy engine), and
* written to a module file whose functions are compiled by Numba for one point
  (``f(x) -> float``, ``grad(x, out)``): the kernels of the compiled backend
  (:mod:`armijo.compiled`).

So both backends evaluate the same arithmetic in the same order.  The printer writes small
integer powers as products (``integer_power``: square-and-multiply, the same products on an
array and on a float) and half-integer powers through ``sqrt``, because ``pow`` differs
between NumPy and the C library.

What may differ and why
-----------------------
``+ - * /``, ``sqrt``, ``abs``, ``floor``, ``ceil``, ``sign``, comparisons, ``maximum`` and
``minimum`` are correctly rounded or exact in IEEE arithmetic: identical on both sides.
Neither side contracts ``a * b + c`` into a fused multiply-add (NumPy's loops do not; Numba
runs without ``fastmath``).  Transcendental functions are not correctly rounded and the two
sides call different implementations: NumPy's own vectorised loops for ``exp``, ``log``,
``sin``, ``cos``, ``tanh``, ``power``... (SIMD, chosen at run time by CPU: AVX-512 on our
machine) and SciPy's ``erf``, against the C library (glibc's ``libm``) called by Numba.
Both are accurate to about an ulp, but not always the same ulp, so ``f`` and ``grad`` of
expressions with ``exp``, ``log``, trigonometric or hyperbolic functions, ``erf`` or a
non-half-integer power may differ by an ulp or so between the backends; trajectories then
differ in the last bits, and an integer outcome (an Armijo decision, an eps hit) differs
only where a run sits within those ulps of a decision boundary.  ``tests/test_compiled.py``
states its tolerances and names such cases.

Disk cache
----------
The kernel module of an expression is written to ``<cache>/kernels_<key>.py`` and compiled
by Numba with ``cache=True`` (machine code in ``<cache>/__pycache__``), where ``key`` hashes
the canonical form of the compiled expression (``sympy.srepr``) with its variables, active
region and special points, and :data:`GENERATOR_VERSION` with this file's source: a second
process running the same function loads the machine code instead of compiling, and an edit
of the generator starts new files.  The folder is ``$ARMIJO_KERNEL_CACHE`` if set, else
``cache/kernels`` of the checkout if it is writable, else ``$XDG_CACHE_HOME/armijo-suite/kernels``
(``~/.cache/...``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.special
import sympy
from sympy.printing.numpy import NumPyPrinter

from functions.noise import UNIT_ROUNDOFF, running_error_program

#: Bump when the generated code changes meaning (the file's own source is hashed too).
GENERATOR_VERSION = "1"

_NUMBA_OPTIONS = 'cache=True, error_model="numpy", nogil=True'


def integer_power(base, exponent):
    """``base ** exponent`` for an integer ``exponent >= 1`` by square-and-multiply.

    Plain Python: the same products, in the same order, on a NumPy array and (compiled by
    Numba) on a float.
    """
    mask = 1
    while mask * 2 <= exponent:
        mask *= 2
    result = base
    mask //= 2
    while mask:
        result = result * result
        if exponent & mask:
            result = result * base
        mask //= 2
    return result


class KernelPrinter(NumPyPrinter):
    """Print a SymPy expression as Python code valid on NumPy arrays and on Numba floats.

    Names used by the printed code: ``numpy`` (its ufuncs work on both), ``integer_power``
    and ``erf`` (bound to SciPy's on the NumPy side, ``math.erf`` in Numba).  Variables are
    printed with the names of ``variable_names``.
    """

    def __init__(self, variable_names=None):
        super().__init__({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})
        self.variable_names = dict(variable_names or {})

    def _print_Symbol(self, expr):
        if expr in self.variable_names:
            return self.variable_names[expr]
        return super()._print_Symbol(expr)

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Integer(self, expr):
        # beyond 2**53 an integer is rounded to a float on both sides; Numba has no big integers
        return str(int(expr)) if abs(int(expr)) <= 2**53 else repr(float(expr))

    def _print_Rational(self, expr):
        if abs(expr.p) <= 2**53 and expr.q <= 2**53:
            return f"({expr.p}/{expr.q})"
        return repr(float(expr))

    def _print_Half(self, expr):  # PythonCodePrinter prints S.Half apart from other rationals
        return self._print_Rational(expr)

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.as_base_exp()
        printed = self._print(base)
        if exponent.is_Integer and exponent != 0:
            power = abs(int(exponent))
            text = f"({printed})" if power == 1 else f"integer_power({printed}, {power})"
            return text if exponent > 0 else f"(1/{text})"
        if exponent.is_Rational and exponent.q == 2:
            power = abs(int(exponent.p))
            root = f"numpy.sqrt({printed})"
            text = root if power == 1 else f"integer_power({root}, {power})"
            return text if exponent > 0 else f"(1/{text})"
        return f"numpy.power({printed}, {self._print(exponent)})"

    def _print_erf(self, expr):
        return f"erf({self._print(expr.args[0])})"

    def _nested(self, function, arguments):
        text = self._print(arguments[-1])
        for argument in reversed(arguments[:-1]):
            text = f"{function}({self._print(argument)}, {text})"
        return text

    def _print_Max(self, expr):
        return self._nested("numpy.maximum", list(expr.args))

    def _print_Min(self, expr):
        return self._nested("numpy.minimum", list(expr.args))

    def _print_And(self, expr):
        return self._nested("numpy.logical_and", list(expr.args))

    def _print_Or(self, expr):
        return self._nested("numpy.logical_or", list(expr.args))

    def _print_Not(self, expr):
        return f"numpy.logical_not({self._print(expr.args[0])})"

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_Piecewise(self, expr):
        text = "numpy.nan"
        for value, condition in reversed(expr.args):
            if condition == sympy.true:
                text = self._print(value)
            else:
                text = f"numpy.where({self._print(condition)}, {self._print(value)}, {text})"
        return text

    def _print_Heaviside(self, expr):
        argument = self._print(expr.args[0])
        at_zero = self._print(expr.args[1]) if len(expr.args) > 1 else "0.5"
        return (f"numpy.where({argument} > 0, 1.0, numpy.where({argument} < 0, 0.0, "
                f"numpy.where({argument} == 0, {at_zero}, {argument})))")


@dataclass(frozen=True)
class PrintedComponents:
    """Straight-line code of some components of an expression, shared by both evaluators.

    Attributes
    ----------
    arguments : tuple of str
        Names of the variables, in order (``a0, a1, ...``).
    statements : tuple of str
        ``name = expression`` lines of the common subexpressions.
    results : tuple of str
        One expression per component.
    """

    arguments: tuple
    statements: tuple
    results: tuple


def print_components(components, symbols):
    """CSE and print ``components`` (SymPy expressions in ``symbols``) with :class:`KernelPrinter`."""
    names = {symbol: f"a{i}" for i, symbol in enumerate(symbols)}
    printer = KernelPrinter(names)
    replacements, reduced = sympy.cse(list(components), symbols=sympy.numbered_symbols("t_"))
    statements = tuple(f"{printer.doprint(symbol)} = {printer.doprint(value)}" for symbol, value in replacements)
    return PrintedComponents(tuple(names.values()), statements, tuple(printer.doprint(value) for value in reduced))


class NoisePrinter(KernelPrinter):
    """:class:`KernelPrinter` for the running error program: ``|v|`` as ``numpy.abs``, which Numba also
    takes for the 0-d arrays that ``numpy.where`` (``Heaviside``, ``Piecewise``) gives for one point."""

    def _print_Abs(self, expr):
        return f"numpy.abs({self._print(expr.args[0])})"


def print_noise(expression, symbols):
    """The running error bound of ``expression`` (units of ``u``) as straight-line code.

    :func:`functions.noise.running_error_program` printed with :class:`NoisePrinter`: the
    temporaries ``t_i`` of ``f`` and their errors ``e_i`` in evaluation order, one result.
    """
    names = {symbol: f"a{i}" for i, symbol in enumerate(symbols)}
    printer = NoisePrinter(names)
    program, result = running_error_program(expression)
    statements = tuple(f"{printer.doprint(name)} = {printer.doprint(value)}" for name, value in program)
    return PrintedComponents(tuple(names.values()), statements, (printer.doprint(result),))


def print_condition(condition, symbols):
    """Print a SymPy boolean in ``symbols`` (an active region) with :class:`KernelPrinter`."""
    return KernelPrinter({symbol: f"a{i}" for i, symbol in enumerate(symbols)}).doprint(condition)


#: What the printed code may call, on the NumPy side.
NUMPY_NAMESPACE = {"numpy": np, "integer_power": integer_power, "erf": scipy.special.erf}


def numpy_evaluator(printed):
    """The printed components as a Python function of columns: ``evaluate(*columns) -> tuple``.

    Constant components come back as Python numbers (callers broadcast them).
    """
    body = "".join(f"    {line}\n" for line in printed.statements)
    source = (f"def evaluate({', '.join(printed.arguments)}):\n{body}"
              f"    return ({''.join(result + ', ' for result in printed.results)})\n")
    namespace = dict(NUMPY_NAMESPACE)
    exec(compile(source, "<functions.kernels>", "exec"), namespace)  # our own printed code, never user text
    return namespace["evaluate"]


def numpy_condition(text, dimension):
    """A printed condition as a Python function of columns returning a boolean array."""
    arguments = ", ".join(f"a{i}" for i in range(dimension))
    namespace = dict(NUMPY_NAMESPACE)
    exec(compile(f"def condition({arguments}):\n    return {text}\n", "<functions.kernels>", "exec"), namespace)
    return namespace["condition"]


# -- the Numba kernels ---------------------------------------------------------------------------


#: The imports of a generated module: the names printed code calls (``numpy``, ``math``,
#: ``integer_power`` compiled by Numba, ``erf``) and ``njit``.
KERNEL_MODULE_HEADER = ("import math\n\nimport numpy\nfrom numba import njit\n\n"
                        "from functions.kernels import integer_power as _integer_power\n\n"
                        "integer_power = njit(_integer_power)\n"
                        "erf = math.erf\n")


class KernelUnavailable(ValueError):
    """No compiled kernel for this objective (numeric entry, Numba missing, or not compilable)."""


@dataclass(frozen=True)
class CompiledKernels:
    """Numba kernels of a symbolic objective, in the form :func:`armijo.compiled.minimize_compiled` takes.

    Attributes
    ----------
    f : numba dispatcher
        ``f(x) -> float`` for a C-contiguous float64 array ``x`` of shape ``(n,)``.
    grad : numba dispatcher
        ``grad(x, out)`` writes the gradient at ``x`` into ``out``.
    dimension : int
        ``n``.
    key : str
        The cache key (hash of the expression and of the generator).
    path : pathlib.Path
        The generated module.
    noise : numba dispatcher or None
        ``noise(x) -> float``, the running error bound of ``f`` at ``x`` (absolute), where the
        objective's noise model is a kernel (:mod:`functions.noise`); else None.
    noise_relative : float
        ``K u`` where the noise model is relative (``N(x) = K u |f(x)|``); else 0.
    printed : tuple of PrintedComponents or None
        The printed code of ``f`` and of the gradient (variables ``a0 .. a{n-1}``), for loops that
        write the objective inline (:mod:`armijo.lockstep`); None where the kernels have guards
        (special points, an active region) that straight-line code cannot express.
    """

    f: object
    grad: object
    dimension: int
    key: str
    path: Path
    noise: object = None
    noise_relative: float = 0.0
    printed: tuple | None = None

    #: What generated code may call, bound as in the kernel module (:data:`KERNEL_MODULE_HEADER`).
    header = KERNEL_MODULE_HEADER

    def load_module(self, name, source):
        """Write ``source`` next to the kernel module (once) and import it.

        For code generated from :attr:`printed` (our own printer's output, never user text):
        the file is ``<kernel module>_<name>_<hash of source>.py``, so a new generator writes a new
        file, and Numba caches its machine code on disk next to it, as for the kernels.
        """
        digest = hashlib.sha256(source.encode()).hexdigest()[:16]
        return _load_generated(self.path.parent, f"{self.path.stem}_{name}_{digest}", lambda: source)


def numba_available():
    """True when Numba imports (the compiled backend can run)."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def kernel_cache_folder():
    """Where generated kernel modules and their machine code live (see the module docstring)."""
    configured = os.environ.get("ARMIJO_KERNEL_CACHE")
    if configured:
        folder = Path(configured)
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    project = Path(__file__).resolve().parent.parent / "cache" / "kernels"
    try:
        project.mkdir(parents=True, exist_ok=True)
        if os.access(project, os.W_OK):
            return project
    except OSError:
        pass
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "armijo-suite" / "kernels"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _generator_fingerprint():
    # the printed code depends on this file, on the rewrites and on the noise analysis
    here = Path(__file__).resolve().parent
    sources = b"".join((here / name).read_bytes() for name in ("kernels.py", "rewrites.py", "noise.py"))
    return hashlib.sha256(GENERATOR_VERSION.encode() + sources).hexdigest()


def kernel_key(oracle):
    """The cache key of a :class:`functions.symbolic.SymbolicOracle`: hash of its canonical form."""
    parts = [_generator_fingerprint(), sympy.srepr(oracle.expression), sympy.srepr(oracle.symbols),
             sympy.srepr(oracle.active_region), repr(oracle.special_points), f"rewrite={oracle.rewrite}"]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _load_generated(folder, module_name, source):
    """Write ``source()`` to ``folder/<module_name>.py`` unless it is there (atomically), import it.

    Raises whatever writing or importing raises (the module is then not registered).
    """
    path = folder / f"{module_name}.py"
    if not path.exists():
        # a unique temporary name (concurrent processes), created by open(): the user's umask applies
        temporary = folder / f"{module_name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
        with open(temporary, "x") as handle:
            handle.write(source())
        os.replace(temporary, path)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def _kernel_source(oracle, key):
    """The module text of the kernels of ``oracle`` (its printed f and gradient)."""
    n = oracle.dimension
    value, gradient = oracle.printed(0), oracle.printed(1)
    unpack = "".join(f"    a{i} = x[{i}]\n" for i in range(n))
    guard_f, guard_grad, guard_noise = "", "", ""
    for point, point_value, point_gradient, _ in oracle.special_points:
        test = " and ".join(f"a{i} == {float(c)!r}" for i, c in enumerate(point))
        guard_f += f"    if {test}:\n        return {float(point_value)!r}\n"
        guard_noise += f"    if {test}:\n        return 0.0\n"
        writes = "".join(f"        out[{i}] = {float(c)!r}\n" for i, c in enumerate(point_gradient))
        guard_grad += f"    if {test}:\n{writes}        return\n"
    if oracle.active_region is not None:
        condition = print_condition(oracle.active_region, oracle.symbols)
        guard_f += f"    if not {condition}:\n        return 0.0\n"
        guard_noise += f"    if not {condition}:\n        return 0.0\n"
        zeros = "".join(f"        out[{i}] = 0.0\n" for i in range(n))
        guard_grad += f"    if not {condition}:\n{zeros}        return\n"
    f_body = "".join(f"    {line}\n" for line in value.statements)
    grad_body = "".join(f"    {line}\n" for line in gradient.statements)
    grad_writes = "".join(f"    out[{i}] = {result}\n" for i, result in enumerate(gradient.results))
    noise_kernel = ""
    if oracle.noise_model.kind == "kernel":
        # u times the running error bound of f; 0 where f is exact (special points, outside the region)
        noise = oracle.printed("noise")
        noise_body = "".join(f"    {line}\n" for line in noise.statements)
        noise_kernel = (f"\n\n@njit({_NUMBA_OPTIONS})\ndef noise(x):\n{unpack}{guard_noise}{noise_body}"
                        f"    return {UNIT_ROUNDOFF!r} * ({noise.results[0]})\n")
    return (
        f'"""Numba kernels generated by functions.kernels (version {GENERATOR_VERSION}), key {key}.\n\n'
        f"f = {sympy.sstr(oracle.expression)[:2000]}\nvariables: {', '.join(map(str, oracle.symbols))}\n"
        '"""\n\n'
        f"{KERNEL_MODULE_HEADER}\n\n"
        f"@njit({_NUMBA_OPTIONS})\ndef f(x):\n{unpack}{guard_f}{f_body}    return {value.results[0]}\n\n\n"
        f"@njit({_NUMBA_OPTIONS})\ndef grad(x, out):\n{unpack}{guard_grad}{grad_body}{grad_writes}"
        f"{noise_kernel}"
    )


_LOADED = {}


def compile_kernels(oracle):
    """The :class:`CompiledKernels` of a :class:`functions.symbolic.SymbolicOracle`.

    Writes the kernel module once per key (atomically), imports it and compiles ``f`` and
    ``grad`` for float64 arrays (loading the machine code from Numba's disk cache when a
    previous process compiled them).

    Raises
    ------
    KernelUnavailable
        Numba is not installed, or the expression could not be compiled (the reason is in
        the message; the NumPy engine still runs it).
    """
    if not numba_available():
        raise KernelUnavailable("Numba is not installed")
    key = kernel_key(oracle)
    if key in _LOADED:
        return _LOADED[key]
    from numba import types

    folder = kernel_cache_folder()
    module_name = f"kernels_{key}"
    path = folder / f"{module_name}.py"
    try:
        module = _load_generated(folder, module_name, lambda: _kernel_source(oracle, key))
        array = types.float64[::1]
        module.f.compile(types.float64(array))
        module.grad.compile(types.none(array, array))
        noise_kernel = getattr(module, "noise", None)
        if noise_kernel is not None:
            noise_kernel.compile(types.float64(array))
    except Exception as error:  # a kernel that does not compile is a fallback, not a crash
        sys.modules.pop(module_name, None)
        raise KernelUnavailable(f"the expression could not be compiled by Numba ({type(error).__name__}: "
                                f"{str(error).strip().splitlines()[0] if str(error).strip() else ''})") from error
    model = oracle.noise_model
    plain = not oracle.special_points and oracle.active_region is None
    kernels = CompiledKernels(module.f, module.grad, oracle.dimension, key, path, noise_kernel,
                              model.relative * UNIT_ROUNDOFF if model.kind == "relative" else 0.0,
                              (oracle.printed(0), oracle.printed(1)) if plain else None)
    _LOADED[key] = kernels
    return kernels


def objective_kernels(objective):
    """The compiled kernels of a registry :class:`~functions.objective.Objective`.

    Raises
    ------
    KernelUnavailable
        For numeric entries (no expression to compile), when Numba is missing, or when the
        expression does not compile.
    """
    if objective.symbolic is None:
        raise KernelUnavailable("numeric entry, no kernel")
    return compile_kernels(objective.symbolic)


def kernel_backend(objective):
    """Which backend ``run_minimize(..., backend="auto")`` would use, without compiling.

    ``"compiled"`` for a symbolic entry when Numba imports, else ``"numpy (reason)"``.
    """
    if objective.symbolic is None:
        return "numpy (numeric entry, no kernel)"
    if not numba_available():
        return "numpy (Numba not installed)"
    return "compiled"
