"""The ``armijo`` command line.

Subcommands
-----------
``armijo algorithms``
    List the algorithms of the engine with their default parameters.
"""

from __future__ import annotations

import argparse
import json
import sys

from armijo import ALGORITHMS


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def command_algorithms(args):
    rows = [{"algorithm": spec.name, "defaults": spec.defaults, "first_trial": spec.first_trial,
             "description": spec.description} for spec in ALGORITHMS.values()]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        defaults = ", ".join(f"{k}={v:g}" for k, v in row["defaults"].items())
        print(f"{row['algorithm']:18s} {defaults:40s} {row['description']}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="armijo", description="Theory-verification suite for Armijo-like line searches.")
    commands = parser.add_subparsers(dest="command", required=True)
    algorithms = commands.add_parser("algorithms", help="list the algorithms and their defaults")
    algorithms.add_argument("--json", action="store_true")
    algorithms.set_defaults(handler=command_algorithms)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (UsageError, ValueError) as error:
        print(f"armijo: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
