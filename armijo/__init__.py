"""Pure-NumPy engine: batched Armijo line searches and baselines with exact oracle accounting.

The engine imports only NumPy: it knows nothing of the suite's test functions
or theorems and can be reused on any batched oracle ``f(X) -> (B,)``,
``grad(X) -> (B, n)``.

>>> import numpy as np
>>> from armijo import minimize
>>> result = minimize(lambda X: np.sum(X**4, axis=1), lambda X: 4 * X**3, [[1.0], [-2.0]], "armijo",
...                   eps=[1e-2, 1e-4])
>>> result.status.tolist(), result.eps_hits.shape
(['converged', 'converged'], (2, 2))
"""

from armijo.engine import minimize, trace_iterations
from armijo.linesearch import armijo_test
from armijo.params import ALGORITHMS, resolve_params
from armijo.result import STATUSES, RunResult, Trace
