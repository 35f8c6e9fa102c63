"""Mini-batch oracles for finite-sum objectives (logistic regression, networks).

A finite-sum entry supplies ``value(X, rows)`` and ``gradient(X, rows)``: the mean loss over
the sample indices ``rows`` (all samples when ``rows`` is None) at the batch of parameter
vectors ``X`` of shape ``(B, n)``. :class:`MinibatchOracle` freezes one mini-batch at a
time, so a stochastic Armijo line search can evaluate all its trials of one iteration on
the same batch (Vaswani et al., NeurIPS 2019), then call :meth:`MinibatchOracle.next_batch`.
"""

import numpy as np

from functions.objective import batched


class MinibatchOracle:
    """``f`` and ``grad`` on the current mini-batch; batches drawn from a seeded generator.

    Parameters
    ----------
    value, gradient : callable
        ``value(X, rows) -> (B,)`` and ``gradient(X, rows) -> (B, n)``.
    dimension : int
        Number of parameters ``n``.
    sample_count : int
        Number of samples in the finite sum.
    batch_size : int
        Samples per batch, ``1 <= batch_size <= sample_count``; drawn without replacement
        within a batch, independently across batches.
    seed : int
        Seed of the ``numpy.random.Generator`` that draws the batches.

    Attributes
    ----------
    rows : numpy.ndarray
        Sorted sample indices of the current batch.
    batches_drawn : int
        Number of batches drawn so far (the first one is drawn at construction).
    """

    def __init__(self, value, gradient, dimension, sample_count, batch_size, seed):
        if not 1 <= batch_size <= sample_count:
            raise ValueError(f"batch_size must be in [1, {sample_count}], got {batch_size}")
        self._value = value
        self._gradient = gradient
        self.sample_count = sample_count
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self.batches_drawn = 0
        self.rows = None
        self.f = batched(dimension)(lambda X: self._value(X, self.rows))
        self.grad = batched(dimension)(lambda X: self._gradient(X, self.rows))
        self.next_batch()

    def next_batch(self):
        """Draw the next batch of sample indices and make it current; return it."""
        self.rows = np.sort(self.rng.choice(self.sample_count, size=self.batch_size, replace=False))
        self.batches_drawn += 1
        return self.rows
