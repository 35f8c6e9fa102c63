"""Logistic regression on seeded synthetic data (numeric entry, hand-written derivatives).

.. math::

    f(w) = \\frac1m \\sum_{i=1}^m \\log\\left(1 + e^{-y_i \\langle a_i, w \\rangle}\\right)
           + \\frac{\\lambda}{2} \\|w\\|^2,

with features :math:`a_i \\sim N(0, I_d)`, a planted :math:`w^\\dagger \\sim N(0, 4 I_d / d)`
and labels :math:`y_i = \\pm 1` drawn with :math:`P(y_i = 1) = \\sigma(\\langle a_i, w^\\dagger\\rangle)`
(noisy labels, so for :math:`m \\gg d` the data are not separable and the minimiser is
finite). Sizes: ``samples`` = m, ``features`` = d, ``l2`` = :math:`\\lambda`.
"""

import numpy as np
from scipy.special import expit

from functions.finite_sum import MinibatchOracle
from functions.objective import Differentiability, Objective, batched, uniform_box_sampler


def logistic_data(samples, features, seed):
    """Seeded features ``A`` (m, d) and labels ``y`` in {-1, +1} (m,)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((samples, features))
    planted = rng.standard_normal(features) * (2.0 / np.sqrt(features))
    y = np.where(rng.uniform(size=samples) < expit(A @ planted), 1.0, -1.0)
    return A, y


def logistic(samples, features, seed, l2):
    """Logistic regression entry; see the module docstring.

    Oracles are batched over ``B`` parameter vectors with matrix products (no loop over
    ``B`` for ``f`` and ``grad``; ``hess`` loops over ``B`` with one BLAS product each).
    """
    if samples < 1 or features < 1:
        raise ValueError(f"logistic: samples and features must be >= 1, got {samples}, {features}")
    if l2 < 0:
        raise ValueError(f"logistic: l2 must be >= 0, got {l2}")
    A, y = logistic_data(samples, features, seed)

    def value(W, rows=None):
        A_rows, y_rows = (A, y) if rows is None else (A[rows], y[rows])
        margins = (W @ A_rows.T) * y_rows
        return np.logaddexp(0.0, -margins).mean(axis=1) + 0.5 * l2 * np.einsum("bi,bi->b", W, W)

    def gradient(W, rows=None):
        A_rows, y_rows = (A, y) if rows is None else (A[rows], y[rows])
        margins = (W @ A_rows.T) * y_rows
        weights = -expit(-margins) * y_rows / y_rows.size
        return weights @ A_rows + l2 * W

    def hessian(W):
        margins = (W @ A.T) * y
        curvature = expit(margins) * expit(-margins) / samples
        H = np.empty((W.shape[0], features, features))
        for i in range(W.shape[0]):
            H[i] = (A.T * curvature[i]) @ A + l2 * np.eye(features)
        return H

    gram_eigenvalue = float(np.linalg.eigvalsh(A.T @ A if features <= samples else A @ A.T)[-1])
    return Objective(
        name="logistic",
        params={"samples": samples, "features": features, "seed": seed, "l2": l2},
        variables=tuple(f"w{i}" for i in range(features)),
        expression=None,
        f=batched(features)(value),
        grad=batched(features)(gradient),
        hess=batched(features)(hessian),
        default_start=np.zeros(features),
        sample_starts=uniform_box_sampler(-np.ones(features), np.ones(features)),
        analytic=True,
        analytic_reason="finite sum of log(1 + exp(linear)) plus a quadratic: real analytic on R^n",
        smoothness="C-infinity (analytic)",
        differentiability=Differentiability.ANALYTIC,
        l_smooth=True,
        l0l1_smooth=True,
        bounded_iterates=True if l2 > 0 else None,
        f_star=None,
        minimizers=(),
        critical_points=(),
        constants={"L": gram_eigenvalue / (4.0 * samples) + l2},
        reference="SCIENCE.md section 5 (logistic regression on synthetic data)",
        description=(
            f"Logistic loss, {samples} seeded Gaussian samples, {features} features, seed {seed}, "
            f"l2 = {l2}; labels from a planted logistic model with label noise (for samples >> features "
            "almost surely not separable, so the minimiser is finite; guaranteed compact sublevel sets "
            "only with l2 > 0, hence bounded_iterates None when l2 = 0). "
            "L = lambda_max(A^T A)/(4 m) + l2. Starts uniform in [-1, 1]^d; default start 0."
        ),
        minibatch=lambda batch_size, seed=0: MinibatchOracle(value, gradient, features, samples, batch_size, seed),
    )
