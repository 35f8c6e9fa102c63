"""What a piece of work is and how its results are kept: cases, code fingerprints,
provenance and atomic writes (the lowest layer of the machinery; no executor, no run here).

A piece is one :class:`Case` (one algorithm on one function from several starts); its cache
key includes the :func:`code_fingerprint` of the code that decides its numbers, and every file
is written atomically with the user's umask.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import secrets
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]

#: Sources whose code decides the numbers of a piece (plus the experiment's own module).
FINGERPRINTED = ("armijo/*.py", "functions/*.py", "theory/*.py", "experiments/machinery/pieces.py")

#: What the dirty flag of the provenance looks at.
CODE_PATHS = ("armijo", "functions", "theory", "experiments", "armijo_suite", "tests", "Makefile", "pyproject.toml")

#: Columns of every tidy table, in order (an experiment may add its own after them).
TABLE_COLUMNS = (
    "experiment", "function", "function_params", "algorithm", "algorithm_params", "start", "eps",
    "iterations", "f_evals", "grad_evals", "status",
)


@dataclass(frozen=True, kw_only=True)
class Case:
    """One piece of work: ``algorithm`` on ``function`` from ``starts`` starts.

    Parameters
    ----------
    experiment : str
        Experiment name (the table it belongs to).
    function : str
        Registry name of the function.
    function_params : dict
        Family parameters.
    algorithm : str
        Engine algorithm name.
    algorithm_params : dict
        Algorithm parameters (validated by the engine).
    eps : tuple of float
        Decreasing thresholds.
    max_iter : int
        Iteration budget.
    starts : int
        Number of starts drawn from the function's start distribution with ``seed``
        (ignored when ``x0`` is given).
    seed : int
        Seed of the start draw.
    x0 : tuple of tuple of float or None
        Explicit starts.
    labels : dict
        Extra columns for the table (e.g. the scanned quantity).
    """

    experiment: str
    function: str
    function_params: dict = field(default_factory=dict)
    algorithm: str = "armijo"
    algorithm_params: dict = field(default_factory=dict)
    eps: tuple = (1e-2, 1e-4, 1e-6)
    max_iter: int = 100_000
    starts: int = 8
    seed: int = 0
    x0: tuple | None = None
    labels: dict = field(default_factory=dict)

    def key(self, fingerprint):
        """Cache key: the case's content and the code fingerprint."""
        text = json.dumps(asdict(self), sort_keys=True, default=float) + fingerprint
        return hashlib.sha256(text.encode()).hexdigest()[:20]


def code_fingerprint(extra_sources=()):
    """Hash of the sources that decide the numbers: engine (with its backend choice), functions, theory,
    the piece runner, and ``extra_sources`` (the experiment's module)."""
    digest = hashlib.sha256()
    paths = sorted({path for pattern in FINGERPRINTED for path in ROOT.glob(pattern)}
                   | {Path(p).resolve() for p in extra_sources})
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def provenance():
    """Commit, dirty flag, package versions, machine: recorded with every table."""
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    versions = {}
    for package in ("numpy", "scipy", "sympy", "matplotlib", "pandas"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "commit": git("rev-parse", "HEAD") or None,
        # uncommitted changes to the code (generated figures and benchmarks do not count)
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", *CODE_PATHS)),
        "versions": versions,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` through ``path.tmp`` and a rename: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique temporary name in the same folder (concurrent writers never share it), created by
    # open() so that the file gets the user's umask (tempfile's files are private, mode 0600)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
    with open(temporary, "x") as handle:
        handle.write(text)
    os.replace(temporary, path)


def atomic_write_table(path, table):
    atomic_write_text(path, table.to_csv(index=False))


