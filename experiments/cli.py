"""The ``armijo`` command line.

Subcommands
-----------
``armijo check "EXPRESSION" [options]`` or ``armijo check --function NAME [--param k=v]``
    Run the algorithms on a function, estimate its hypotheses, fit the exponents and
    check every applicable bound; print a report (``--json`` for the machine form).
``armijo functions [--json]``
    List the registry of test functions with their class tags.
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
_VALUE_OPTIONS = ("--x0", "--box", "--eta0", "--lam", "--f1", "--f2", "--eta", "--eps-max", "--eps-min",
                  "--param", "--seed", "--starts", "--max-iter", "--eps-per-decade", "--function",
                  "--algorithm", "--plot", "--expression", "--backend")


#: Range of the thresholds: eps^2 and eps^-2 stay normal floats.
EPS_LIMITS = (1e-150, 1e150)

#: Default budget and smallest threshold per backend: the compiled loop runs ~10^8 iterations in
#: seconds (x^6 from 0.9 reaches 1e-10 after 1.75e8), the NumPy engine ~10^5.
DEFAULT_MAX_ITER = {"compiled": 1_000_000_000, "numpy": 200_000}
DEFAULT_EPS_MIN = {"compiled": 1e-10, "numpy": 1e-8}


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


def _parse_params(pairs):
    params = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param takes NAME=VALUE, got {pair!r}")
        try:
            params[name.strip()] = int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            raise UsageError(f"--param {name} takes a number, got {value!r}") from None
    return params


def _objective(args):
    import functions

    if args.function and args.expression:
        raise UsageError("give either an expression or --function, not both")
    if args.function:
        return functions.get(args.function, **_parse_params(args.param)), None
    if args.param:
        raise UsageError("--param goes with --function")
    if not args.expression:
        raise UsageError('give an expression, e.g. armijo check "x**4 + y**2", or --function NAME')
    return functions.from_expression(args.expression), args.expression


def _starts(objective, args):
    if args.x0 is not None:
        if args.starts is not None:
            raise UsageError("give either --x0 or --starts, not both")
        values = _floats(args.x0, "--x0")
        if len(values) != objective.n:
            names = ", ".join(objective.variables)
            raise UsageError(f"--x0 has {len(values)} value(s) but the function has {objective.n} "
                             f"variable(s) ({names})")
        return np.array([values])
    count = 8 if args.starts is None else args.starts
    if count < 1:
        raise UsageError(f"--starts must be >= 1, got {count}")
    rng = np.random.default_rng(args.seed)
    if args.box is None:
        return np.asarray(objective.sample_starts(rng, count), dtype=float)
    box = _floats(args.box, "--box")
    if len(box) != 2 or not box[0] < box[1]:
        raise UsageError(f"--box takes LO,HI with LO < HI, got {args.box!r}")
    return rng.uniform(box[0], box[1], size=(count, objective.n))


def command_check(args):
    from armijo.params import check_in_range
    from experiments.check import (algorithm_parameters, check_objective, format_report, json_ready,
                                   plot_report, validate_starts)
    from experiments.framework import eps_grid
    from experiments.runner import backend_choice

    eps_min = 1.0 if args.eps_min is None else args.eps_min  # a placeholder until the backend is known
    if not (0 < args.eps_max < float("inf") and 0 < eps_min < float("inf")):
        raise UsageError("--eps-max and --eps-min must be finite and > 0")
    if not (EPS_LIMITS[0] <= eps_min and args.eps_max <= EPS_LIMITS[1]):
        raise UsageError(f"--eps-min and --eps-max must lie in [{EPS_LIMITS[0]:g}, {EPS_LIMITS[1]:g}] "
                         "(the bounds use eps^2, which must stay a normal float)")
    if args.seed < 0:
        raise UsageError(f"--seed must be >= 0, got {args.seed}")
    if args.eps_min is not None and not args.eps_min < args.eps_max:
        raise UsageError(f"--eps-min ({args.eps_min:g}) must be below --eps-max ({args.eps_max:g})")
    if args.eps_per_decade < 1:
        raise UsageError(f"--eps-per-decade must be >= 1, got {args.eps_per_decade}")
    if args.max_iter is not None and args.max_iter < 1:
        raise UsageError(f"--max-iter must be >= 1, got {args.max_iter}")
    algorithms = args.algorithm or ["armijo", "armijo-increase", "gd"]
    for name in algorithms:
        if name not in ALGORITHMS:
            raise UsageError(f"unknown algorithm {name!r}; choose among {', '.join(ALGORITHMS)}")
    if args.plot and not args.plot.lower().endswith((".png", ".pdf")):
        raise UsageError(f"--plot must name a .png or .pdf file, got {args.plot!r}")
    if args.plot and not os.path.isdir(os.path.dirname(os.path.abspath(args.plot))):
        raise UsageError(f"--plot: the folder of {args.plot!r} does not exist")
    try:  # everything the user gave is checked before any work: a ValueError here is bad input
        objective, text = _objective(args)
        starts = _starts(objective, args)
        options = {"eta0": args.eta0, "lam": args.lam, "f1": args.f1, "f2": args.f2, "eta": args.eta}
        for name, value in options.items():
            if value is not None:
                check_in_range(name, value)
        for name in algorithms:
            algorithm_parameters(name, options)
        validate_starts(objective, starts)
        choice = backend_choice(objective, args.backend)
        max_iter = args.max_iter if args.max_iter is not None else DEFAULT_MAX_ITER[choice.backend]
        eps_min = args.eps_min if args.eps_min is not None else DEFAULT_EPS_MIN[choice.backend]
        if not eps_min < args.eps_max:
            raise UsageError(f"--eps-min ({eps_min:g}) must be below --eps-max ({args.eps_max:g})")
        eps = eps_grid(args.eps_max, eps_min, args.eps_per_decade)
    except UsageError:
        raise
    except ValueError as error:
        raise UsageError(str(error)) from None
    report = check_objective(objective, starts, algorithms, options, eps, max_iter,
                             expression_text=text, seed=args.seed, backend=choice.backend)
    if args.plot:
        plot_report(report, args.plot)
    if args.json:
        print(json.dumps(json_ready(report), indent=2))
    else:
        print(format_report(report))
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
    rows = [{"algorithm": spec.name, "defaults": spec.defaults, "first_trial": spec.first_trial,
             "description": spec.description} for spec in ALGORITHMS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        defaults = ", ".join(f"{k}={v:g}" for k, v in row["defaults"].items())
        print(f"{row['algorithm']:18s} {defaults:48s} {row['description']}")
    return 0


def build_parser():
    parser = _Parser(prog="armijo", description="Theory-verification suite for Armijo-like line searches.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    check = commands.add_parser("check", help="check the bounds on a function you bring",
                                description="Run Armijo variants and baselines on a function, estimate its "
                                            "hypotheses, fit N(eps) exponents and check every applicable bound.")
    check.add_argument("expression", nargs="?", help='the objective, e.g. "x**4 + 3*y**2" (never run as Python)')
    check.add_argument("--expression", dest="expression_option", help=argparse.SUPPRESS)
    check.add_argument("--function", help="a registry entry instead of an expression (see armijo functions)")
    check.add_argument("--param", action="append", metavar="K=V", help="a family parameter of --function")
    check.add_argument("--x0", help="one start, comma-separated, one value per variable")
    check.add_argument("--starts", type=int, help="number of random starts (default 8)")
    check.add_argument("--box", help="LO,HI: draw the random starts uniformly in [LO, HI]^n")
    check.add_argument("--seed", type=int, default=0, help="seed of the random starts and estimates")
    check.add_argument("--algorithm", action="append", metavar="NAME",
                       help="repeatable; default: armijo, armijo-increase, gd")
    check.add_argument("--eta0", type=float, help="first trial step of the Armijo variants")
    check.add_argument("--lam", type=float, help="Armijo constant in (0, 1)")
    check.add_argument("--f1", type=float, help="backtracking factor > 1")
    check.add_argument("--f2", type=float, help="increase factor > 1 (armijo-increase and friends)")
    check.add_argument("--eta", type=float, help="fixed step of the baselines (gd...)")
    check.add_argument("--eps-max", type=float, default=1e-2, help="largest threshold on ||grad f|| (default 1e-2)")
    check.add_argument("--eps-min", type=float, default=None,
                       help=f"smallest threshold (default {DEFAULT_EPS_MIN['compiled']:g} on the compiled backend, "
                            f"{DEFAULT_EPS_MIN['numpy']:g} on NumPy)")
    check.add_argument("--eps-per-decade", type=int, default=4, help="thresholds per decade (default 4)")
    check.add_argument("--max-iter", type=int, default=None,
                       help=f"iteration budget per start (default {DEFAULT_MAX_ITER['compiled']:g} on the compiled "
                            f"backend, {DEFAULT_MAX_ITER['numpy']:g} on NumPy)")
    check.add_argument("--backend", choices=("auto", "compiled", "numpy"), default="auto",
                       help="compiled (Numba kernels of the expression), numpy (the reference engine), or auto: "
                            "compiled when Numba is installed and the function has a kernel")
    check.add_argument("--json", action="store_true", help="machine-readable report")
    check.add_argument("--plot", metavar="PATH", help="write the log-log N(eps) figure (.png or .pdf)")
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
    except Exception as error:  # noqa: BLE001 - an internal error is a bug: say so, exit 1
        print(f"armijo: internal error (a bug, please report): {type(error).__name__}: {error}", file=sys.stderr)
        if "ARMIJO_DEBUG" in os.environ:
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
