"""One-hidden-layer networks on two seeded moons: ``mlp-tanh`` and ``mlp-relu``.

Model and loss, for parameters :math:`\\theta = (W_1, b_1, w_2, b_2)` flattened in that
order (``W_1`` of shape (hidden, 2) row-major, then ``b_1`` (hidden,), ``w_2`` (hidden,),
``b_2`` scalar; dimension ``4 hidden + 1``):

.. math::

    o(x) = w_2^\\top \\sigma(W_1 x + b_1) + b_2, \\qquad
    f(\\theta) = \\frac1N \\sum_{i=1}^N \\ell(o(x_i), y_i),

with :math:`\\sigma = \\tanh` or ReLU, labels :math:`y_i = \\pm 1` and
:math:`\\ell(o, y) = \\log(1 + e^{-y o})` (``loss="cross-entropy"``) or
:math:`(o - y)^2 / 2` (``loss="squared"``). ``f`` and ``grad`` are hand-written
(backpropagation) and batched over parameter vectors; ``hess`` is central finite
differences of ``grad`` (for ReLU only meaningful away from the kinks). Mini-batches:
``Objective.minibatch(batch_size, seed)`` or :func:`minibatch_oracle`.

Data: :func:`two_moons`, two interleaved half circles with Gaussian noise, from a seeded
NumPy generator.
"""

import numpy as np
from scipy.special import expit

from functions.finite_sum import MinibatchOracle
from functions.objective import Differentiability, Objective, batched, finite_difference_hessian

ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, a: 1.0 - a**2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0.0).astype(np.float64)),
}
LOSSES = ("cross-entropy", "squared")


def two_moons(samples, noise, seed):
    """Two interleaved half circles: points (N, 2) and labels (N,) in {-1, +1}.

    The upper moon (label +1) is the unit half circle, the lower one (label -1) the same
    shifted by (1, -0.5) and flipped; each point gets N(0, noise^2) noise.
    """
    rng = np.random.default_rng(seed)
    upper = samples // 2
    lower = samples - upper
    angle_upper = rng.uniform(0.0, np.pi, size=upper)
    angle_lower = rng.uniform(0.0, np.pi, size=lower)
    points = np.concatenate(
        [
            np.stack([np.cos(angle_upper), np.sin(angle_upper)], axis=1),
            np.stack([1.0 - np.cos(angle_lower), 0.5 - np.sin(angle_lower)], axis=1),
        ]
    )
    points += noise * rng.standard_normal(points.shape)
    labels = np.concatenate([np.ones(upper), -np.ones(lower)])
    return points, labels


class OneHiddenLayerNetwork:
    """Batched loss and backpropagated gradient of the one-hidden-layer network.

    Parameters
    ----------
    activation : str
        ``"tanh"`` or ``"relu"``.
    hidden : int
        Width of the hidden layer.
    loss : str
        ``"cross-entropy"`` or ``"squared"``.
    inputs, labels : numpy.ndarray
        Data, shapes (N, 2) and (N,).
    """

    def __init__(self, activation, hidden, loss, inputs, labels):
        self.sigma, self.sigma_prime = ACTIVATIONS[activation]
        self.hidden = hidden
        self.loss = loss
        self.inputs = inputs
        self.labels = labels
        self.dimension = 4 * hidden + 1

    def unpack(self, theta):
        """Split a batch (B, 4h+1) into W1 (B, h, 2), b1 (B, h), w2 (B, h), b2 (B,)."""
        h = self.hidden
        return theta[:, : 2 * h].reshape(-1, h, 2), theta[:, 2 * h : 3 * h], theta[:, 3 * h : 4 * h], theta[:, 4 * h]

    def _forward(self, theta, rows):
        inputs, labels = (self.inputs, self.labels) if rows is None else (self.inputs[rows], self.labels[rows])
        W1, b1, w2, b2 = self.unpack(theta)
        pre = np.einsum("bhi,ni->bnh", W1, inputs) + b1[:, None, :]
        post = self.sigma(pre)
        output = np.einsum("bnh,bh->bn", post, w2) + b2[:, None]
        return inputs, labels, pre, post, output

    def value(self, theta, rows=None):
        """Mean loss over ``rows`` (all samples if None), shape (B,)."""
        _, labels, _, _, output = self._forward(theta, rows)
        if self.loss == "cross-entropy":
            return np.logaddexp(0.0, -labels * output).mean(axis=1)
        return 0.5 * ((output - labels) ** 2).mean(axis=1)

    def gradient(self, theta, rows=None):
        """Gradient of :meth:`value` by backpropagation, shape (B, 4h+1)."""
        inputs, labels, pre, post, output = self._forward(theta, rows)
        count = labels.size
        if self.loss == "cross-entropy":
            residual = -labels * expit(-labels * output) / count
        else:
            residual = (output - labels) / count
        _, _, w2, _ = self.unpack(theta)
        grad_pre = residual[:, :, None] * w2[:, None, :] * self.sigma_prime(pre, post)
        h = self.hidden
        out = np.empty_like(theta)
        out[:, : 2 * h] = np.einsum("bnh,ni->bhi", grad_pre, inputs).reshape(-1, 2 * h)
        out[:, 2 * h : 3 * h] = grad_pre.sum(axis=1)
        out[:, 3 * h : 4 * h] = np.einsum("bn,bnh->bh", residual, post)
        out[:, 4 * h] = residual.sum(axis=1)
        return out

    def sample_parameters(self, rng, count):
        """Starts: W1 ~ N(0, 1/2), b1 ~ N(0, 0.1^2), w2 ~ N(0, 1/h), b2 = 0 (LeCun-type scaling)."""
        h = self.hidden
        theta = np.zeros((count, self.dimension))
        theta[:, : 2 * h] = rng.standard_normal((count, 2 * h)) / np.sqrt(2.0)
        theta[:, 2 * h : 3 * h] = 0.1 * rng.standard_normal((count, h))
        theta[:, 3 * h : 4 * h] = rng.standard_normal((count, h)) / np.sqrt(h)
        return theta


def activation_class(activation, tanh_reason):
    """The class tags an activation gives a network (``Objective`` keywords): tanh analytic, for the reason
    ``tanh_reason``; ReLU not C^1 (so neither L-smooth nor (L0,L1)-smooth); the other classes unknown for tanh."""
    if activation == "tanh":
        return {"analytic": True, "analytic_reason": tanh_reason, "smoothness": "C-infinity (analytic)",
                "differentiability": Differentiability.ANALYTIC, "l_smooth": None, "l0l1_smooth": None}
    return {"analytic": False,
            "analytic_reason": "ReLU = max(0, z): not differentiable where a pre-activation vanishes (not even C^1)",
            "smoothness": "continuous, piecewise smooth, not C^1; grad is the almost-everywhere derivative (0 at kinks)",
            "differentiability": Differentiability.NOT_C1,
            "l_smooth": False, "l0l1_smooth": False}


def network_oracles(value, gradient, dimension):
    """``f``, ``grad`` and ``hess`` (central differences of ``grad``) of a network, batched (``Objective`` keywords)."""
    return {"f": batched(dimension)(value), "grad": batched(dimension)(gradient),
            "hess": batched(dimension)(finite_difference_hessian(gradient, dimension))}


def mlp(activation, hidden, samples, noise, loss, seed):
    """The ``mlp-tanh`` / ``mlp-relu`` entry (see the module docstring)."""
    if hidden < 1 or samples < 2:
        raise ValueError(f"mlp: hidden must be >= 1 and samples >= 2, got {hidden}, {samples}")
    if noise < 0:
        raise ValueError(f"mlp: noise must be >= 0, got {noise}")
    if loss not in LOSSES:
        raise ValueError(f"mlp: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    inputs, labels = two_moons(samples, noise, seed)
    network = OneHiddenLayerNetwork(activation, hidden, loss, inputs, labels)
    n = network.dimension
    names = [f"W1_{j}_{i}" for j in range(hidden) for i in range(2)]
    names += [f"b1_{j}" for j in range(hidden)] + [f"w2_{j}" for j in range(hidden)] + ["b2"]
    return Objective(
        name=f"mlp-{activation}",
        params={"hidden": hidden, "samples": samples, "noise": noise, "loss": loss, "seed": seed},
        variables=tuple(names),
        expression=None,
        **network_oracles(network.value, network.gradient, n),
        default_start=network.sample_parameters(np.random.default_rng(seed + 1), 1)[0],
        sample_starts=network.sample_parameters,
        **activation_class(activation, f"tanh network with {loss} loss: compositions of tanh, polynomials, "
                                       "log(1 + exp): real analytic"),
        bounded_iterates=None,
        hess_method="central finite differences of the backpropagated gradient",
        reference="SCIENCE.md section 5 (deep-learning context of Bensaid arXiv:2412.14637); two moons data",
        description=(
            f"One hidden layer of {hidden} {activation} units on {samples} seeded two-moons points "
            f"(noise {noise}), {loss} loss, {n} parameters. Full batch by default; "
            "Objective.minibatch(batch_size, seed) freezes one mini-batch per iteration. "
            "Class tags beyond analyticity are unknown (None): not globally L-smooth in general, "
            "and networks of depth >= 2 are not (L0,L1)-smooth for the L2 loss (Cooper 2024)."
        ),
        minibatch=lambda batch_size, seed=0: minibatch_oracle(network, batch_size, seed),
    )


def minibatch_oracle(network, batch_size, seed):
    """A :class:`functions.finite_sum.MinibatchOracle` for a :class:`OneHiddenLayerNetwork`."""
    return MinibatchOracle(network.value, network.gradient, network.dimension, network.labels.size, batch_size, seed)
