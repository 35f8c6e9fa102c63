"""Multilayer perceptrons on real data: ``mlp-data-tanh`` and ``mlp-data-relu``.

Model and loss.  Layer widths ``d = w_0, w_1, ..., w_L = C`` (input features, the hidden
widths of ``hidden``, classes); parameters :math:`\\theta = (W_1, b_1, \\dots, W_L, b_L)`
flattened in that order, each ``W_l`` of shape ``(w_l, w_{l-1})`` row-major:

.. math::

    a_0 = x, \\qquad a_l = \\sigma(W_l a_{l-1} + b_l) \\ (l < L), \\qquad
    z = W_L a_{L-1} + b_L,

    f(\\theta) = \\frac1N \\sum_{i=1}^N \\Big(\\log \\sum_{c} e^{z_c(x_i)} - z_{y_i}(x_i)\\Big)
                 + \\frac{\\lambda}{2} \\|\\theta\\|^2,

softmax cross-entropy on the ``N`` training samples of :func:`functions.datasets.load`
with :math:`\\sigma = \\tanh` (analytic) or ReLU (not C^1), and an optional L2 weight decay
:math:`\\lambda` = ``l2`` on every parameter (biases included: then ``f`` is coercive and
its sublevel sets are bounded).  ``f`` and ``grad`` are backpropagation batched over
parameter vectors (``(B, n)`` in, one matrix product per layer for the whole batch);
``hess`` is central finite differences of ``grad`` (``2 n`` gradient calls: meant for
small networks); :func:`functions.objective.hessian_vector_product` gives ``H v`` from two gradients.

Starts: ``W_l ~ N(0, 1/w_{l-1})`` for tanh (LeCun) and ``N(0, 2/w_{l-1})`` for ReLU (He),
biases 0.  Mini-batches: ``Objective.minibatch(batch_size, seed)``.

Caps (:data:`MAX_HIDDEN_LAYERS`, :data:`MAX_WIDTH`): a shape beyond them is refused before
any data is read.
"""

from __future__ import annotations

import functools

import numpy as np

from functions.datasets import DATASETS, check_name, load
from functions.finite_sum import MinibatchOracle
from functions.neural import activation_class, network_oracles
from functions.objective import Objective

#: At most this many hidden layers, each of at most :data:`MAX_WIDTH` units.
MAX_HIDDEN_LAYERS = 4
MAX_WIDTH = 256
ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0.0).astype(np.float64)),
}


def parse_hidden(text):
    """Hidden widths from ``"32"`` or ``"64-64"`` (also ``"64,64"``): a tuple of ints within the caps.

    Raises
    ------
    ValueError
        For text that is not 1 to :data:`MAX_HIDDEN_LAYERS` integers in ``[1, MAX_WIDTH]``.
    """
    parts = str(text).replace(",", "-").split("-")
    try:
        widths = tuple(int(part) for part in parts)
    except ValueError:
        raise ValueError(f"hidden must be layer widths such as 32 or 64-64, got {text!r}") from None
    if not 1 <= len(widths) <= MAX_HIDDEN_LAYERS or not all(1 <= width <= MAX_WIDTH for width in widths):
        raise ValueError(f"hidden must be 1 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_WIDTH} units, got {text!r}")
    return widths


class MultilayerPerceptron:
    """Batched softmax cross-entropy of a multilayer perceptron, and its backpropagated gradient.

    Parameters
    ----------
    widths : tuple of int
        ``(d, w_1, ..., C)``: input features, hidden widths, classes.
    activation : str
        ``"tanh"`` or ``"relu"``.
    l2 : float
        Weight decay :math:`\\lambda \\ge 0`.
    inputs : numpy.ndarray, shape (N, d)
    labels : numpy.ndarray of int, shape (N,)
    """

    def __init__(self, widths, activation, l2, inputs, labels):
        self.widths = tuple(int(w) for w in widths)
        self.activation = activation
        self.sigma, self.sigma_prime = ACTIVATIONS[activation]
        self.l2 = float(l2)
        self.inputs = inputs
        self.labels = labels
        self.layers = []  # (start of W, end of W = start of b, end of b, rows, columns)
        position = 0
        for columns, rows in zip(self.widths[:-1], self.widths[1:]):
            self.layers.append((position, position + rows * columns, position + rows * columns + rows, rows, columns))
            position += rows * columns + rows
        self.dimension = position

    def unpack(self, theta):
        """The layers of a batch ``(B, n)``: a list of ``(W (B, rows, columns), b (B, rows))`` views."""
        batch = theta.shape[0]
        return [(theta[:, start:middle].reshape(batch, rows, columns), theta[:, middle:end])
                for start, middle, end, rows, columns in self.layers]

    def _data(self, rows):
        return (self.inputs, self.labels) if rows is None else (self.inputs[rows], self.labels[rows])

    def _forward(self, theta, inputs):
        """Pre-activations and activations of every layer; the logits last, shape (B, N, C)."""
        activations = [np.broadcast_to(inputs, (theta.shape[0],) + inputs.shape)]
        pre_activations = []
        layers = self.unpack(theta)
        for index, (W, b) in enumerate(layers):
            z = np.matmul(activations[-1], W.transpose(0, 2, 1)) + b[:, None, :]
            pre_activations.append(z)
            if index < len(layers) - 1:
                activations.append(self.sigma(z))
        return layers, pre_activations, activations

    @staticmethod
    def _log_softmax(logits):
        shifted = logits - logits.max(axis=2, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))

    def value(self, theta, rows=None):
        """Mean cross-entropy over ``rows`` (all samples if None) plus the weight decay, shape (B,)."""
        inputs, labels = self._data(rows)
        _, pre_activations, _ = self._forward(theta, inputs)
        log_probabilities = self._log_softmax(pre_activations[-1])
        loss = -np.take_along_axis(log_probabilities, labels[None, :, None], axis=2)[:, :, 0].mean(axis=1)
        if self.l2:
            loss = loss + 0.5 * self.l2 * (theta * theta).sum(axis=1)
        return loss

    def gradient(self, theta, rows=None):
        """Gradient of :meth:`value` by backpropagation, shape (B, n)."""
        inputs, labels = self._data(rows)
        layers, pre_activations, activations = self._forward(theta, inputs)
        count = labels.size
        delta = np.exp(self._log_softmax(pre_activations[-1]))  # softmax, then minus the one-hot labels
        delta[:, np.arange(count), labels] -= 1.0
        delta /= count
        out = np.empty_like(theta)
        for index in range(len(layers) - 1, -1, -1):
            start, middle, end, rows_, columns = self.layers[index]
            out[:, start:middle] = np.matmul(delta.transpose(0, 2, 1), activations[index]).reshape(-1, rows_ * columns)
            out[:, middle:end] = delta.sum(axis=1)
            if index:
                W = layers[index][0]
                delta = np.matmul(delta, W) * self.sigma_prime(pre_activations[index - 1], activations[index])
        if self.l2:
            out += self.l2 * theta
        return out

    def accuracy(self, theta, inputs, labels):
        """Share of ``inputs`` whose largest logit is the label, per parameter vector, shape (B,)."""
        theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
        _, pre_activations, _ = self._forward(theta, inputs)
        return (pre_activations[-1].argmax(axis=2) == labels[None, :]).mean(axis=1)

    def sample_parameters(self, rng, count):
        """Starts: ``W_l ~ N(0, s/w_{l-1})`` with ``s = 1`` (tanh, LeCun) or 2 (ReLU, He); biases 0."""
        gain = 2.0 if self.activation == "relu" else 1.0
        theta = np.zeros((count, self.dimension))
        for start, middle, _, rows, columns in self.layers:
            theta[:, start:middle] = rng.standard_normal((count, rows * columns)) * np.sqrt(gain / columns)
        return theta


@functools.lru_cache(maxsize=32)
def network(dataset, hidden, activation, l2, seed):
    """The :class:`MultilayerPerceptron` of a registry entry on the training part of ``dataset`` (cached).

    Validates before reading any data: the data set name, the hidden widths (caps), the
    activation and ``l2 >= 0``.
    """
    check_name(dataset)
    widths = parse_hidden(hidden)
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    if not l2 >= 0:
        raise ValueError(f"l2 must be >= 0, got {l2!r}")
    data = load(dataset, seed)
    return MultilayerPerceptron((data.features, *widths, data.classes), activation, l2,
                                data.train_inputs, data.train_labels)


def mlp_data(activation, dataset, hidden, l2, seed):
    """The ``mlp-data-tanh`` / ``mlp-data-relu`` entry (see the module docstring)."""
    try:
        net = network(dataset, hidden, activation, l2, seed)
    except ValueError as error:
        raise ValueError(f"mlp-data-{activation}: {error}") from None
    data = load(dataset, seed)
    n = net.dimension
    shape = "-".join(str(w) for w in net.widths)
    names = []
    for index, (_, _, _, rows, columns) in enumerate(net.layers, start=1):
        names += [f"W{index}_{i}_{j}" for i in range(rows) for j in range(columns)]
        names += [f"b{index}_{i}" for i in range(rows)]
    return Objective(
        name=f"mlp-data-{activation}",
        params={"dataset": dataset, "hidden": "-".join(str(w) for w in net.widths[1:-1]), "l2": l2, "seed": seed},
        variables=tuple(names),
        expression=None,
        **network_oracles(net.value, net.gradient, n),
        default_start=net.sample_parameters(np.random.default_rng(seed + 1), 1)[0],
        sample_starts=net.sample_parameters,
        **activation_class(activation, "tanh network with softmax cross-entropy: compositions of tanh, affine "
                                       "maps and log-sum-exp: real analytic"),
        bounded_iterates=True if l2 > 0 else None,
        hess_method="central finite differences of the backpropagated gradient (2 n gradient calls)",
        reference=f"SCIENCE.md section 5 (deep-learning context); data: {data.provenance}",
        description=(
            f"{shape} {activation} perceptron ({n} parameters) with softmax cross-entropy on the {data.train_labels.size} "
            f"training samples of {dataset}" + (f", weight decay {l2:g}" if l2 else "") + ". "
            + ("With weight decay f is coercive, so descent iterates stay bounded. " if l2 > 0 else
               "Without weight decay inf f = 0 is not attained where the training set is separable (the weights grow). ")
            + "Smoothness classes are unknown (None): networks of depth >= 2 are not (L0,L1)-smooth for the L2 "
            "loss (Cooper 2024). Objective.minibatch(batch_size, seed) freezes one mini-batch per iteration."
        ),
        minibatch=lambda batch_size, seed=0: MinibatchOracle(net.value, net.gradient, n, net.labels.size,
                                                             batch_size, seed),
    )


#: The data sets a registry entry accepts (for the registry's parameter choices).
DATASET_NAMES = tuple(DATASETS)
