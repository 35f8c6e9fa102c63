"""The lockstep lanes of the compiled loop (armijo/lockstep.py) change no bit of a run.

``tests/test_compiled.py`` compares the default compiled run (lanes of one start below
``LANES_FROM`` starts) with the NumPy reference on the whole corpus.  Here: the written-out
squared norm has NumPy's bits for every length it is written for; the same runs give the same
bits with lanes of one, with blocks of ``WIDTH`` lanes, without lanes, on one thread or two,
with more starts than a block holds; blocks of lanes against the NumPy reference itself; and
where lanes do not apply, the general loop runs (``lockstep_width``).
"""

import numpy as np
import pytest

numba = pytest.importorskip("numba")

import functions  # noqa: E402
from armijo.compiled import LANES_FROM, lockstep_width, minimize_compiled  # noqa: E402
from armijo.engine import squared_norms  # noqa: E402
from armijo.lockstep import LOCKSTEP_CODES, MAX_DIMENSION, WIDTH, squared_norm_expression  # noqa: E402
from armijo.backend import run_minimize  # noqa: E402
from functions.kernels import objective_kernels  # noqa: E402

INTEGER_FIELDS = ("status", "iterations", "f_evals", "grad_evals", "backtracks", "eps_hits",
                  "eps_hit_f_evals", "eps_hit_grad_evals")
FLOAT_FIELDS = ("x", "f", "grad_norm", "step", "f_initial", "grad_norm_initial")
LOCKSTEP_ALGORITHMS = ("armijo", "armijo-memory", "armijo-increase", "armijo-dichotomy")


def _assert_same_bits(reference, other, label):
    for name in INTEGER_FIELDS:
        assert np.array_equal(getattr(reference, name), getattr(other, name)), (label, name)
    for name in FLOAT_FIELDS:
        assert np.array_equal(getattr(reference, name), getattr(other, name), equal_nan=True), (label, name)
    if reference.trace is not None:
        for name in ("iteration", "step", "f", "grad_norm", "x_norm", "f_evals", "x"):
            assert np.array_equal(getattr(reference.trace, name), getattr(other.trace, name), equal_nan=True), \
                (label, "trace", name)


@pytest.mark.parametrize("length", [1, 2, 3, 7, 8, 9, 15, 16, 17, 23, 64, 100, 127, 128])
def test_written_out_norm_has_numpys_bits(length):
    rng = np.random.default_rng(length)
    for scale in (1e-3, 1.0, 1e150):
        v = rng.standard_normal(length) * scale
        names = [f"v{i}" for i in range(length)]
        value = eval(squared_norm_expression(names), {}, dict(zip(names, v.tolist())))  # our own printed sum
        assert value == squared_norms(v[None, :])[0], (length, scale)


# (label, objective, starts): every kind of stop of a line search, both noise models (relative: x^4,
# 1 + x^4, cosh, -x^2; a kernel: poly-two, Rosenbrock, the cancelling quartic)
CASES = [
    ("x^4", lambda: functions.get("monomial", p=2), lambda rng, B: rng.uniform(-2, 2, (B, 1))),
    ("poly-two", lambda: functions.get("poly-two"), lambda rng, B: rng.uniform(-2.5, 2.5, (B, 2))),
    ("1 + x^4", lambda: functions.from_expression("1 + x**4"), lambda rng, B: rng.uniform(-1, 1, (B, 1))),
    ("rosenbrock", lambda: functions.get("rosenbrock"), lambda rng, B: rng.uniform(-2, 2, (B, 2))),
    ("cosh", lambda: functions.get("cosh", s=2.0), lambda rng, B: rng.uniform(-3, 3, (B, 1))),
    ("-x^2", lambda: functions.from_expression("-x**2 - y**2"), lambda rng, B: rng.uniform(-1, 1, (B, 2))),
    # the noise kernel's gate and noise_floor inside the grid
    ("(x^2+100)^2 - 199 x^2 - 10^4", lambda: functions.from_expression("(x**2+100)**2-199*x**2-10000"),
     lambda rng, B: rng.uniform(-1.5, 1.5, (B, 1))),
]


@pytest.mark.parametrize("algorithm", LOCKSTEP_ALGORITHMS)
@pytest.mark.parametrize("label, factory, starts", CASES, ids=[case[0] for case in CASES])
def test_lanes_change_no_bit(label, factory, starts, algorithm):
    objective = factory()
    kernels = objective_kernels(objective)
    X = starts(np.random.default_rng(3), WIDTH + 40)  # a full block and a part-filled one
    kwargs = dict(eps=np.logspace(-1, -8, 15), max_iter=3000, trace=True)
    reference = minimize_compiled(kernels, X, algorithm, lockstep=False, **kwargs)
    for lockstep in ("one", "wide", None):
        for threads in (1, 2):
            if threads > numba.config.NUMBA_NUM_THREADS:
                continue
            result = minimize_compiled(kernels, X, algorithm, lockstep=lockstep, threads=threads, **kwargs)
            _assert_same_bits(reference, result, (label, algorithm, lockstep, threads))


@pytest.mark.parametrize("label, factory, starts", CASES[:3], ids=[case[0] for case in CASES[:3]])
def test_wide_blocks_match_the_numpy_reference(label, factory, starts):
    objective = factory()
    X = starts(np.random.default_rng(5), LANES_FROM + 6)
    kwargs = dict(eps=np.logspace(-1, -8, 15), max_iter=3000, trace=True)
    reference = run_minimize(objective, X, "armijo", backend="numpy", **kwargs)
    compiled = run_minimize(objective, X, "armijo", backend="compiled", **kwargs)
    assert lockstep_width(objective_kernels(objective), "armijo", X.shape[0]) == WIDTH
    _assert_same_bits(reference, compiled, label)


def test_where_lanes_apply():
    kernels = objective_kernels(functions.get("monomial", p=2))
    assert lockstep_width(kernels, "armijo", 1) == 1
    assert lockstep_width(kernels, "armijo", LANES_FROM - 1) == 1
    assert lockstep_width(kernels, "armijo", LANES_FROM) == WIDTH
    assert lockstep_width(kernels, "armijo", 10, lockstep="wide") == WIDTH
    assert lockstep_width(kernels, "armijo", 10_000, lockstep="one") == 1
    assert lockstep_width(kernels, "armijo", 10_000, lockstep=False) == 0
    for algorithm in ("armijo-normalized", "gd", "adam", "polyak", "adgd"):
        assert lockstep_width(kernels, algorithm, 10_000) == 0
    assert len(LOCKSTEP_CODES) == len(LOCKSTEP_ALGORITHMS)
    # kernels with guards (special points, an active region) have no straight-line code
    guarded = objective_kernels(functions.get("mexican-hat"))
    assert guarded.printed is None and lockstep_width(guarded, "armijo", 10_000) == 0
    with pytest.raises(ValueError, match="lockstep"):
        lockstep_width(kernels, "armijo", 10, lockstep="sideways")
    assert MAX_DIMENSION >= 1
