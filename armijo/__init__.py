"""Pure-NumPy engine: batched Armijo line searches and baselines with exact oracle accounting.

The engine imports only NumPy: it knows nothing of the suite's test functions
or theorems and can be reused on any batched oracle ``f(X) -> (B,)``,
``grad(X) -> (B, n)``.
"""

from armijo.engine import minimize, trace_iterations
from armijo.linesearch import armijo_test
from armijo.params import ALGORITHMS, resolve_params
from armijo.result import STATUSES, RunResult, Trace
