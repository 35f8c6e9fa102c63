"""The ``armijo`` command line: a thin layer over :mod:`armijo_suite.api`.

Subcommands
-----------
``armijo check "EXPRESSION" [options]`` or ``armijo check --function NAME [--param k=v]``
    Run the algorithms on a function, estimate its hypotheses, fit the rates per limit point
    and check every applicable bound; print a report (``--json`` for the machine form).
    ``--sweep k=VALUES`` checks every value of a parameter, ``--expect FORMULA`` compares a
    conjectured exponent with each fit.
``armijo functions [--json]``
    List the registry of test functions with their class tags and backend.
``armijo algorithms [--json]``
    List the algorithms of the engine with their default parameters.

Exit codes: 0 success, 2 bad input (one line on stderr), 1 internal error (a bug).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

import numpy as np

from armijo import ALGORITHMS

#: Options that take a value which may start with "-" (a negative number, a box).
_VALUE_OPTIONS = ("--x0", "--box", "--eta0", "--lam", "--f1", "--f2", "--eta", "--f-star", "--L0", "--L1", "--R",
                  "--eps-max", "--eps-min",
                  "--param", "--seed", "--starts", "--max-iter", "--eps-per-decade", "--function",
                  "--algorithm", "--plot", "--expression", "--backend", "--vars", "--sweep", "--expect")


class UsageError(ValueError):
    """Bad input from the user: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _floats(text, option):
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise UsageError(f"{option} takes comma-separated numbers, got {text!r}") from None
    if not all(np.isfinite(values)):
        raise UsageError(f"{option} takes finite numbers, got {text!r}")
    return values


def _pairs(pairs, option):
    """``NAME=VALUE`` items of a repeatable option."""
    out = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} takes NAME=VALUE, got {pair!r}")
        if name.strip() in out:
            raise UsageError(f"{option} gives {name.strip()} twice")
        out[name.strip()] = value.strip()
    return out


def _number(text, option, name, text_allowed=False):
    """``text`` as an int or a float; with ``text_allowed`` (a registry family's parameter) a value
    that is not a number stays text, for the registry to validate (e.g. ``dataset=digits``)."""
    try:
        value = float(text)
    except ValueError:
        if text_allowed:
            return text
        raise UsageError(f"{option} {name} takes a number, got {text!r}") from None
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _check_options(args):
    """The keyword arguments of :func:`armijo_suite.check` from the parsed command line."""
    x0 = _floats(args.x0, "--x0") if args.x0 is not None else None
    box = _floats(args.box, "--box") if args.box is not None else None
    if box is not None and (len(box) != 2 or not box[0] < box[1]):
        raise UsageError(f"--box takes LO,HI with LO < HI, got {args.box!r}")
    variables = [name.strip() for name in args.vars.split(",")] if args.vars is not None else None
    params = {name: _number(value, "--param", name, text_allowed=args.function is not None)
              for name, value in _pairs(args.param, "--param").items()}
    return dict(
        function=args.function, params=params or None, variables=variables,
        x0=[x0] if x0 is not None else None, starts=args.starts, box=box, seed=args.seed,
        algorithms=args.algorithm or ["armijo", "armijo-increase", "gd"],
        eta0=args.eta0, lam=args.lam, f1=args.f1, f2=args.f2, eta=args.eta, L0=args.L0, L1=args.L1, R=args.R,
        f_star=args.f_star,
        eps_max=args.eps_max, eps_min=args.eps_min, eps_per_decade=args.eps_per_decade,
        max_iter=args.max_iter, backend=args.backend)


#: Parameter names of the API as the command line spells them, for error messages.
_OPTION_NAMES = {"x0": "--x0", "box": "--box", "seed": "--seed", "eps_min": "--eps-min", "eps_max": "--eps-max",
                 "eps_per_decade": "--eps-per-decade", "max_iter": "--max-iter", "variables": "--vars",
                 "params": "--param", "expect": "--expect", "starts": "--starts", "eta0": "--eta0", "lam": "--lam",
                 "f1": "--f1", "f2": "--f2", "eta": "--eta", "backend": "--backend", "f_star": "--f-star",
                 "L0": "--L0", "L1": "--L1", "R": "--R"}


def _as_options(message):
    """An API error message with parameter names written as the command line's options."""
    import re

    def option(match):
        return _OPTION_NAMES[match.group(0)]

    # names are replaced where they are the subject of the message (its start, or after 'and'/'either')
    pattern = r"\b(" + "|".join(sorted(_OPTION_NAMES, key=len, reverse=True)) + r")\b(?= (must|has|takes|draws|and|or|is|\(|goes|are))"
    return re.sub(pattern, option, message)


#: The expression parser's limits, as functions.expressions states them (tested equal), for --help
#: without importing SymPy.
EXPRESSION_LIMITS = {"length": 1000, "variables": 64, "depth": 60, "exponent": 64}


def command_check(args):
    from armijo_suite.limits import CheckInputError, check_numbers

    try:  # plain sizes first: refused before the heavy imports
        check_numbers(eps_max=args.eps_max, eps_min=args.eps_min, eps_per_decade=args.eps_per_decade,
                      max_iter=args.max_iter, starts=args.starts, seed=args.seed)
    except CheckInputError as error:
        raise UsageError(_as_options(str(error))) from None
    from armijo_suite.api import check, parse_values, sweep

    if args.function and args.expression:
        raise UsageError("give either an expression or --function, not both")
    if not args.function and not args.expression:
        raise UsageError('give an expression, e.g. armijo check "x**4 + y**2", or --function NAME')
    if args.plot and not args.plot.lower().endswith((".png", ".pdf")):
        raise UsageError(f"--plot must name a .png or .pdf file, got {args.plot!r}")
    if args.plot and not os.path.isdir(os.path.dirname(os.path.abspath(args.plot))):
        raise UsageError(f"--plot: the folder of {args.plot!r} does not exist")
    if args.expect is not None and not args.sweep:
        raise UsageError("--expect compares a conjecture with the rows of a --sweep")
    try:
        options = _check_options(args)
        if args.sweep:
            over = {name: parse_values(values) for name, values in _pairs(args.sweep, "--sweep").items()}
            report = sweep(args.expression, over=over, expect=args.expect, **options)
        else:
            report = check(args.expression, **options)
    except CheckInputError as error:
        raise UsageError(_as_options(str(error))) from None
    if args.plot:
        report.plot(args.plot)
    if args.json:
        print(report.to_json())
    else:
        print(report.text())
        if args.plot:
            print(f"\nfigure written to {args.plot}")
    return 0


def command_functions(args):
    import functions

    rows = functions.catalog()
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    print(f"{'name':14s} {'n':>5s}  {'analytic':8s} {'L-smooth':8s} {'(L0,L1)':8s} {'f_*':>9s}  {'backend':9s} parameters")
    for row in rows:
        def tag(value):
            return {True: "yes", False: "no", None: "?"}.get(value, str(value))
        f_star = row.get("f_star")
        params = ", ".join(f"{k}={v}" for k, v in (row.get("parameters") or row.get("params") or {}).items())
        print(f"{row['name']:14s} {str(row.get('dimension', row.get('n', ''))):>5s}  {tag(row.get('analytic')):8s} "
              f"{tag(row.get('l_smooth')):8s} {tag(row.get('l0l1_smooth')):8s} "
              f"{'-' if f_star is None else format(f_star, '.4g'):>9s}  {row['backend'].split(' ')[0]:9s} {params}")
    return 0


def command_algorithms(args):
    rows = [{"algorithm": spec.name, "defaults": spec.defaults, "required": list(spec.required),
             "first_trial": spec.first_trial, "description": spec.description, "reference": spec.reference}
            for spec in ALGORITHMS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        defaults = ", ".join([f"{k}={v:g}" for k, v in row["defaults"].items()]
                             + [f"{k}=(required)" for k in row["required"]])
        print(f"{row['algorithm']:20s} {defaults:48s} {row['description']}")
    return 0


def build_parser():
    from armijo_suite.limits import (DEFAULT_BOX, DEFAULT_EPS_MIN, DEFAULT_MAX_ITER, MAX_EPS_PER_DECADE,
                                     MAX_ITER_LIMIT, MAX_STARTS, MAX_SWEEP_VALUES)

    parser = _Parser(prog="armijo", description="Theory-verification suite for Armijo-like line searches.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser(
        "check", help="check the bounds on a function you bring",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run Armijo variants and baselines on a function, estimate its hypotheses, name the limit "
                    "point of every start, fit the rate of N(eps) per limit point and check every applicable "
                    "bound.",
        epilog=f"""expressions: numbers, variables, + - * / **, and exp log ln sqrt sin cos tan sinh cosh tanh
  asin acos atan asinh acosh atanh erf sigmoid softplus abs sign heaviside floor ceiling relu max min.
  pi, e and E are constants, never variables; nan, inf and I are refused as names.  Variables are
  the other names, in natural order (x2 before x10) unless --vars gives the order.  Limits: at most
  {EXPRESSION_LIMITS['length']} characters, {EXPRESSION_LIMITS['variables']} variables, nesting depth {EXPRESSION_LIMITS['depth']}, numeric exponents
  |k| <= {EXPRESSION_LIMITS['exponent']}; ASCII only.  The text is parsed, never run as Python.
starts: --x0 (one start) or --starts N random starts uniform in the box [{DEFAULT_BOX[0]:g}, {DEFAULT_BOX[1]:g}]^n
  (a registry entry: its own start distribution) or in --box; at most {MAX_STARTS} starts.
sweeps: --sweep p=2,3,4 or p=2:8 (integers) or p=0.5:2:0.25; at most {MAX_SWEEP_VALUES} values.""")
    check.add_argument("expression", nargs="?", help='the objective, e.g. "x**4 + 3*y**2" (never run as Python)')
    check.add_argument("--expression", dest="expression_option", help=argparse.SUPPRESS)
    check.add_argument("--function", help="a registry entry instead of an expression (see armijo functions)")
    check.add_argument("--param", action="append", metavar="K=V",
                       help="a fixed parameter: of the registry family (numbers, or text such as "
                            "dataset=digits, hidden=64-64), or a name of the expression that is a "
                            "parameter, not a variable (repeatable)")
    check.add_argument("--sweep", action="append", metavar="K=VALUES",
                       help="check every value of a parameter (repeatable: the product of the values)")
    check.add_argument("--expect", metavar="FORMULA",
                       help='a conjectured exponent in the swept parameters, e.g. "(2*p-2)/(2*p-1)"')
    check.add_argument("--vars", metavar="X,Y,...", help="the variables in the order of --x0 (default: natural order)")
    check.add_argument("--x0", help="one start, comma-separated, one value per variable")
    check.add_argument("--starts", type=int, help="number of random starts (default 8)")
    check.add_argument("--box", help=f"LO,HI: draw the random starts uniformly in [LO, HI]^n "
                                     f"(default [{DEFAULT_BOX[0]:g}, {DEFAULT_BOX[1]:g}]^n for expressions)")
    check.add_argument("--seed", type=int, default=0, help="seed of the random starts and estimates")
    check.add_argument("--algorithm", action="append", metavar="NAME",
                       help="repeatable; default: armijo, armijo-increase, gd")
    check.add_argument("--eta0", type=float, help="first trial step of the Armijo variants; first step of adgd and "
                                                  "polyak-level")
    check.add_argument("--lam", type=float, help="Armijo constant in (0, 1)")
    check.add_argument("--f1", type=float, help="backtracking factor > 1")
    check.add_argument("--f2", type=float, help="increase factor > 1 (armijo-increase, -dichotomy, -normalized)")
    check.add_argument("--eta", type=float, help="fixed step of the baselines (gd...); numerator of l0l1-gd's step")
    check.add_argument("--f-star", type=float, dest="f_star",
                       help="the optimal value inf f: polyak's f* (default: the known infimum of a registry entry or "
                            "a univariate polynomial) and the theory's inf f")
    check.add_argument("--L0", type=float, dest="L0",
                       help="l0l1-gd's L0, with --L1 (default: declared, else estimated on the region the runs visit)")
    check.add_argument("--L1", type=float, dest="L1", help="l0l1-gd's L1, with --L0")
    check.add_argument("--R", type=float, dest="R",
                       help="normalized-gd-decay's step scale, steps R/sqrt(k+1) (required with it)")
    check.add_argument("--eps-max", type=float, default=1e-2, help="largest threshold on ||grad f|| (default 1e-2)")
    check.add_argument("--eps-min", type=float, default=None,
                       help=f"smallest threshold (default {DEFAULT_EPS_MIN['compiled']:g} on the compiled backend, "
                            f"{DEFAULT_EPS_MIN['numpy']:g} on NumPy)")
    check.add_argument("--eps-per-decade", type=int, default=4,
                       help=f"thresholds per decade (default 4, at most {MAX_EPS_PER_DECADE})")
    check.add_argument("--max-iter", type=int, default=None,
                       help=f"iteration budget per start (default {DEFAULT_MAX_ITER['compiled']:.0e} on the compiled "
                            f"backend, {DEFAULT_MAX_ITER['numpy']:.0e} on NumPy; at most {MAX_ITER_LIMIT:.0e})")
    check.add_argument("--backend", choices=("auto", "compiled", "numpy"), default="auto",
                       help="compiled (Numba kernels of the expression), numpy (the reference engine), or auto: "
                            "compiled when Numba is installed and the function has a kernel")
    check.add_argument("--json", action="store_true", help="machine-readable report")
    check.add_argument("--plot", metavar="PATH",
                       help="write the figure (.png or .pdf): log-log N(eps), or with --sweep the exponent "
                            "against the parameter")
    check.set_defaults(handler=command_check)

    listing = commands.add_parser("functions", help="list the registry of test functions")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=command_functions)

    algorithms = commands.add_parser("algorithms", help="list the algorithms and their defaults")
    algorithms.add_argument("--json", action="store_true")
    algorithms.set_defaults(handler=command_algorithms)
    return parser


def _normalise_argv(argv):
    """Let values and expressions start with '-': ``--x0 -1,2`` and ``check "-x**2"`` work."""
    tokens = list(argv)
    out = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in _VALUE_OPTIONS and index + 1 < len(tokens):
            out.append(f"{token}={tokens[index + 1]}")
            index += 2
            continue
        if token.startswith("-") and not token.startswith("--") and token not in ("-h",) and out[:1] == ["check"]:
            out.append(f"--expression={token}")
        else:
            out.append(token)
        index += 1
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(_normalise_argv(argv))
        if getattr(args, "expression_option", None) is not None:
            if args.expression is not None:
                raise UsageError("give one expression")
            args.expression = args.expression_option
        return args.handler(args)
    except UsageError as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"armijo: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("armijo: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (e.g. | head): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 - an internal error is a bug: say so, exit 1
        print(f"armijo: internal error (a bug, please report): {type(error).__name__}: {error}", file=sys.stderr)
        if "ARMIJO_DEBUG" in os.environ:
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
