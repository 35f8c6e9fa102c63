"""The lockstep phase of the compiled loop: plain iterations of many starts at once, in SIMD lanes.

Most iterations of a line search are plain: the first trial is accepted and nothing else
happens (no threshold crossed, no trace point, no stop, no floor or noise rule near).  For an
objective given by printed code (:mod:`functions.kernels`), this module writes a function,
``advance``, that runs such iterations for a block of starts side by side, one start per lane,
with ``f`` and ``grad`` written inline in the loop over lanes (no call through a function
pointer, so the compiler vectorises the loop over lanes).  ``advance`` decides nothing: a lane
whose iteration is not plain for certain is frozen, untouched, at the top of that iteration,
and the general loop of :mod:`armijo.compiled` (the engine's operations, one start at a time)
runs that one iteration, with every rule.  A plain iteration performs the general loop's
floating-point operations in the same order, so a run gives the same bits whichever lanes took
which iterations.

What ``advance`` requires of an iteration, per lane (anything else freezes the lane):

* ``g2`` and ``f`` finite, ``||g||`` above the next threshold, ``k`` not a trace point and
  below ``max_iter``, ``k > 0``;
* the first trial (``eta0``; ``eta_{k-1}`` for ``armijo-memory``; ``min(f2 eta_{k-1},
  MAX_FIRST_TRIAL)`` for ``armijo-increase`` and ``armijo-dichotomy``) resolvable with a
  factor 2 to spare (``eta ||g||^2 > 2 ulps (|f| 2^-52 + 2^-1074)``, above the exact floor
  ``ulps * spacing(|f|)``), accepted by the Armijo test with ``f(trial) != f``;
* the noise rule not reached: with a relative noise, both margins above ``2 N`` exactly as the
  general loop tests them; with a noise kernel, both margins above the gate's cap (the kernel
  would not be evaluated);
* the new iterate within ``max_norm`` and ``f >= min_f``.

Squared norms are written out in NumPy's pairwise order for the objective's dimension
(:func:`armijo.compiled.squared_norm`), so ``||g||^2`` has the general loop's bits.
"""

from __future__ import annotations

#: Fields of a lane's float state after its ``x`` (rows ``0 .. n-1``) and ``g`` (rows ``n .. 2n-1``):
#: ``state[(2 n + field) * width + lane]``.
F_ROW, G2_ROW, GN_ROW, PREVIOUS_ROW, STEP_ROW, NEXT_THRESHOLD_ROW, CAP_ROW = range(7)
FLOAT_FIELDS = 7
#: Fields of a lane's integer state: ``integers[field * width + lane]``.
K_ROW, NEXT_TRACE_ROW, F_EVALS_ROW, GRAD_EVALS_ROW, LANE_ROW, BACKTRACKS_ROW, REACHED_ROW, TRACE_ROW_ROW = range(8)
INTEGER_FIELDS = 8
#: Lanes of a block of ``advance`` (the last block of a run is padded with done lanes).
WIDTH = 256
#: Lane states (``LANE_ROW``).
RUNNING, FROZEN, DONE = range(3)
#: Entries of ``advance``'s float parameters.
P_ETA0, P_LAM, P_F2, P_MAX_FIRST, P_ULPS, P_NOISE_RELATIVE, P_MAX_NORM_SQUARED, P_MIN_F = range(8)
PARAMETERS = 8
#: Entries of its integer parameters.
Q_CODE, Q_NOISE_MODE, Q_MAX_ITER, Q_ROUNDS = range(4)
#: Algorithm codes it runs (:data:`armijo.compiled.ALGORITHM_CODES`): armijo, armijo-memory,
#: armijo-increase, armijo-dichotomy (whose refinement runs only after a rejection).
LOCKSTEP_CODES = (0, 1, 2, 3)
#: Noise modes (:mod:`armijo.compiled`): none, relative, kernel.
NO_NOISE, RELATIVE_NOISE, KERNEL_NOISE = range(3)
#: Largest dimension run in lanes: the generated code, and its compile time, grow with n (larger
#: objectives run in the general loop).  :func:`squared_norm_expression` is written for up to 128.
MAX_DIMENSION = 16


def squared_norm_expression(names):
    """NumPy's pairwise sum of squares of ``names`` (at most 128) as one expression (the same bits)."""
    count = len(names)
    if not 1 <= count <= 128:
        raise ValueError(f"written for 1 to 128 terms (NumPy recurses above), got {count}")
    square = [f"({name} * {name})" for name in names]
    if count < 8:
        text = "0.0"
        for term in square:
            text = f"({text} + {term})"
        return text
    accumulators = list(square[:8])
    blocks_end = count - count % 8
    for start in range(8, blocks_end, 8):
        accumulators = [f"({accumulators[j]} + {square[start + j]})" for j in range(8)]
    r = accumulators
    text = f"((({r[0]} + {r[1]}) + ({r[2]} + {r[3]})) + (({r[4]} + {r[5]}) + ({r[6]} + {r[7]})))"
    for term in square[blocks_end:]:
        text = f"({text} + {term})"
    return text


def _renamed(lines, prefix):
    """``lines`` with the printer's temporaries ``t_<i>`` renamed ``<prefix><i>`` (f's and the gradient's apart)."""
    renamed = []
    for line in lines:
        out, i = [], 0
        while i < len(line):
            starts_name = line.startswith("t_", i) and (i == 0 or not (line[i - 1].isalnum() or line[i - 1] == "_"))
            end = i + 2
            while starts_name and end < len(line) and line[end].isdigit():
                end += 1
            if starts_name and end > i + 2 and not (end < len(line) and (line[end].isalnum() or line[end] == "_")):
                out.append(prefix + line[i + 2:end])
                i = end
            else:
                out.append(line[i])
                i += 1
        renamed.append("".join(out))
    return renamed


def float_rows(dimension):
    """Rows of a block's float state for objectives of dimension ``n``: ``x``, ``g``, the fields."""
    return 2 * dimension + FLOAT_FIELDS


def _lane_body(n, printed_f, printed_grad, read, write, branchy):
    """One plain iteration of one lane: the lines, given how a state field is read and written."""
    f_lines = _renamed(printed_f.statements, "ft_") + [f"value = {_renamed(printed_f.results, 'ft_')[0]}"]
    gradient = [f"d{i} = {result} + 0.0"  # a constant component prints as a Python number
                for i, result in enumerate(_renamed(printed_grad.results, "gt_"))]
    lines = [
        f"fx = {read(2 * n + F_ROW)}",
        f"g2 = {read(2 * n + G2_ROW)}",
        f"k = {read(K_ROW, True)}",
        f"previous = {read(2 * n + PREVIOUS_ROW)}",
        f"lane = {read(LANE_ROW, True)}",
        "eta = eta0 if code == 0 else (previous if code == 1 else min(f2 * previous, max_first))",
        "magnitude = abs(fx)",
        f"ok = lane == {RUNNING}",
        "ok &= (abs(g2) < numpy.inf) & (magnitude < numpy.inf)",
        f"ok &= {read(2 * n + GN_ROW)} > {read(2 * n + NEXT_THRESHOLD_ROW)}",
        f"ok &= (k != {read(NEXT_TRACE_ROW, True)}) & (k < max_iter) & (k > 0)",
        "ok &= eta * g2 > floor_scale * (magnitude * 2.220446049250313e-16 + 5e-324)",
        "first_margin = (1.0 - lam) * (eta * g2)",
        "difference_noise = 2.0 * (relative * magnitude)",
        f"cap = {read(2 * n + CAP_ROW)}",
        f"ok &= (noise_mode != {RELATIVE_NOISE}) | (first_margin > difference_noise)",
        f"ok &= (noise_mode != {KERNEL_NOISE}) | (first_margin > cap)",
        *[f"a{i} = {read(i)} - eta * {read(n + i)}" for i in range(n)],
        *f_lines,
        "computed_margin = abs(fx - lam * eta * g2 - value)",
        f"ok &= (noise_mode != {RELATIVE_NOISE}) | (not (computed_margin < difference_noise))",
        f"ok &= (noise_mode != {KERNEL_NOISE}) | (computed_margin > cap)",
        "ok &= (value <= fx - lam * eta * g2) & (value != fx)",
        f"ok &= (not ({squared_norm_expression([f'a{i}' for i in range(n)])} > max_norm_squared)) "
        "& (not (value < min_f))",
        *_renamed(printed_grad.statements, "gt_"),
        *gradient,
        f"new_g2 = {squared_norm_expression([f'd{i}' for i in range(n)])}",
    ]
    if branchy:  # one lane: a branch the processor predicts, so the next iteration need not wait for ok
        lines += ["if not ok:", f"    {write(LANE_ROW, FROZEN, True)}", "    break"]
        chosen = "{0}"
    else:  # lanes side by side: selects, which vectorise
        chosen = "{0} if ok else {1}"
    lines += [
        *[write(i, chosen.format(f"a{i}", read(i))) for i in range(n)],
        *[write(n + i, chosen.format(f"d{i}", read(n + i))) for i in range(n)],
        write(2 * n + F_ROW, chosen.format("value", "fx")),
        write(2 * n + G2_ROW, chosen.format("new_g2", "g2")),
        write(2 * n + GN_ROW, chosen.format("math.sqrt(new_g2)", read(2 * n + GN_ROW))),
        write(2 * n + PREVIOUS_ROW, chosen.format("eta", "previous")),
        write(2 * n + STEP_ROW, chosen.format("eta", read(2 * n + STEP_ROW))),
        "step = " + chosen.format("1", "0"),
        write(K_ROW, "k + step", True),
        write(F_EVALS_ROW, f"{read(F_EVALS_ROW, True)} + step", True),
        write(GRAD_EVALS_ROW, f"{read(GRAD_EVALS_ROW, True)} + step", True),
    ]
    if not branchy:
        lines.append(write(LANE_ROW, f"{FROZEN} if (lane == {RUNNING}) & (not ok) else lane", True))
    return lines


_PROLOGUE = f"""    eta0 = parameters[{P_ETA0}]
    lam = parameters[{P_LAM}]
    f2 = parameters[{P_F2}]
    max_first = parameters[{P_MAX_FIRST}]
    floor_scale = 2.0 * parameters[{P_ULPS}]
    relative = parameters[{P_NOISE_RELATIVE}]
    max_norm_squared = parameters[{P_MAX_NORM_SQUARED}]
    min_f = parameters[{P_MIN_F}]
    code = settings[{Q_CODE}]
    noise_mode = settings[{Q_NOISE_MODE}]
    max_iter = settings[{Q_MAX_ITER}]
"""


def lockstep_source(printed_f, printed_grad, dimension, header):
    """The module text of ``advance`` and ``advance_one`` for one objective (see the module docstring).

    ``advance(state, integers, parameters, settings)`` runs up to ``settings[Q_ROUNDS]`` rounds
    over the :data:`WIDTH` lanes of a block (flat state, rows of ``WIDTH``: constant offsets, so
    the rows cannot overlap and the loop over lanes vectorises); it stops early when more than
    one lane in eight is frozen and returns the frozen lanes.  ``advance_one`` is the same for a
    block of one lane, its state in registers, until the lane freezes or the rounds end.
    ``printed_f`` and ``printed_grad`` are :class:`functions.kernels.PrintedComponents`
    (variables ``a0 .. a{n-1}``); ``header`` opens the module (``numpy``, ``math``,
    ``integer_power``, ``erf`` and ``njit`` as the objective's kernel module has them).
    """
    n = dimension
    if not 1 <= n <= MAX_DIMENSION:
        raise ValueError(f"lanes are written for objectives of dimension 1 to {MAX_DIMENSION}, got {n}")

    def wide_read(row, integer=False):
        return f"{'integers' if integer else 'state'}[{row * WIDTH} + j]"

    def wide_write(row, value, integer=False):
        return f"{wide_read(row, integer)} = {value}"

    wide = "".join(f"            {line}\n" for line in _lane_body(n, printed_f, printed_grad, wide_read, wide_write, False))

    def local(row, integer=False):
        return f"{'i' if integer else 's'}{row}"

    def local_write(row, value, integer=False):
        return f"{local(row, integer)} = {value}"

    rows = [(row, False) for row in range(float_rows(n))] + [(row, True) for row in range(INTEGER_FIELDS)]
    load = "".join(f"    {local(row, integer)} = {'integers' if integer else 'state'}[{row}]\n" for row, integer in rows)
    store = "".join(f"    {'integers' if integer else 'state'}[{row}] = {local(row, integer)}\n" for row, integer in rows)
    single = "".join(f"        {line}\n" for line in _lane_body(n, printed_f, printed_grad, local, local_write, True))
    return f'''{header}

@njit(cache=True, error_model="numpy", nogil=True)
def advance(state, integers, parameters, settings):
    """Plain iterations of the lanes of a block of {WIDTH} (armijo.lockstep); returns the frozen lanes."""
{_PROLOGUE}    frozen = 0
    for _ in range(settings[{Q_ROUNDS}]):
        for j in range({WIDTH}):
{wide}        frozen = 0
        waiting = 0
        for j in range({WIDTH}):
            lane = integers[{LANE_ROW * WIDTH} + j]
            frozen += lane == {FROZEN}
            waiting += lane != {RUNNING}
        if frozen * 8 > {WIDTH} or waiting == {WIDTH}:
            break
    return frozen


@njit(cache=True, error_model="numpy", nogil=True)
def advance_one(state, integers, parameters, settings):
    """:func:`advance` for a block of one lane, its state in registers; returns 1 if it froze."""
{_PROLOGUE}{load}    for _ in range(settings[{Q_ROUNDS}]):
{single}        if i{LANE_ROW} != {RUNNING}:
            break
{store}    return 1 if i{LANE_ROW} == {FROZEN} else 0
'''
