"""Benchmarks of the engine (``make bench``): ratios measured side by side in one run.

Run ``python -m experiments.bench`` (``--quick`` for a short run).  Speed targets
live here, never in tests.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from armijo import minimize


def quartic_f(X):
    return np.sum(X**4, axis=1)


def quartic_grad(X):
    return 4.0 * X**3


def best_time(function, repeats):
    """Smallest wall time of ``repeats`` calls (seconds) and the last return value."""
    best = np.inf
    value = None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def batch_throughput(starts, iterations, repeats):
    """Nanoseconds per (start x iteration) of ``armijo`` on ``x^4`` with ``starts`` starts."""
    x0 = np.random.default_rng(0).uniform(0.5, 2.0, size=(starts, 1))
    run = lambda: minimize(quartic_f, quartic_grad, x0, "armijo", eps=[1e-300], max_iter=iterations)  # noqa: E731
    seconds, result = best_time(run, repeats)
    assert (result.iterations == iterations).all()
    return 1e9 * seconds / (starts * iterations)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run with the same keys")
    parser.add_argument("--output", default="figures/bench.json")
    args = parser.parse_args(argv)
    iterations = 200 if args.quick else 2000
    repeats = 2 if args.quick else 5
    rows = {f"ns_per_start_iter_b{b}_x4": batch_throughput(b, iterations if b > 1 else 10 * iterations, repeats)
            for b in (1, 100, 10_000)}
    rows["batch_speedup_b1e4_vs_b1_x4"] = rows["ns_per_start_iter_b1_x4"] / rows["ns_per_start_iter_b10000_x4"]
    for key, value in rows.items():
        print(f"{key:40s} {value:12.1f}")
    report = {**rows, "machine": platform.platform(), "python": platform.python_version(),
              "numpy": np.__version__, "quick": args.quick}
    with open(args.output + ".tmp", "w") as handle:
        json.dump(report, handle, indent=2)
    import os
    os.replace(args.output + ".tmp", args.output)


if __name__ == "__main__":
    main()
