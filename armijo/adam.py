"""Adam's update (Kingma and Ba, ICLR 2015, Algorithm 1), written once for every NumPy loop.

:func:`adam_step` is used by the engine (:mod:`armijo.engine`, full batch) and by the
stochastic loop (:mod:`armijo.stochastic`, mini-batches); the compiled twin
(:mod:`armijo.compiled`) transcribes the same operations per coordinate, in the same order,
so that both backends give the same bits (``tests/test_compiled.py``).
"""

from __future__ import annotations

import numpy as np


def adam_step(first_moment, second_moment, G, k, *, beta1, beta2, adam_eps):
    """Update Adam's moments with the gradients ``G`` of iteration ``k`` and return the direction.

    .. math::

        m_k = \\beta_1 m_{k-1} + (1 - \\beta_1) g_k, \\qquad
        v_k = \\beta_2 v_{k-1} + (1 - \\beta_2) g_k^2,

        d_k = \\frac{m_k / (1 - \\beta_1^{k+1})}{\\sqrt{v_k / (1 - \\beta_2^{k+1})} + \\epsilon},

    with ``beta1`` :math:`= \\beta_1`, ``beta2`` :math:`= \\beta_2`, ``adam_eps``
    :math:`= \\epsilon`; ``k`` counts from 0.  The step is ``x_{k+1} = x_k - eta * d_k``.

    Parameters
    ----------
    first_moment, second_moment : ndarray, shape (B, n)
        ``m_{k-1}`` and ``v_{k-1}`` (zeros at ``k = 0``).
    G : ndarray, shape (B, n)
        Gradients ``g_k``.
    k : int
        Iteration index (0 for the first update).
    beta1, beta2, adam_eps : float

    Returns
    -------
    first_moment, second_moment, direction : ndarray, shape (B, n)
        ``m_k``, ``v_k`` and ``d_k``.

    Examples
    --------
    >>> m, v, d = adam_step(np.zeros((1, 2)), np.zeros((1, 2)), np.array([[3.0, -4.0]]), 0,
    ...                     beta1=0.9, beta2=0.999, adam_eps=0.0)
    >>> d.round(12).tolist()  # the first step is sign(g) whatever its size
    [[1.0, -1.0]]
    """
    first_moment = beta1 * first_moment + (1 - beta1) * G
    second_moment = beta2 * second_moment + (1 - beta2) * G**2
    corrected_first = first_moment / (1 - beta1 ** (k + 1))
    corrected_second = second_moment / (1 - beta2 ** (k + 1))
    return first_moment, second_moment, corrected_first / (np.sqrt(corrected_second) + adam_eps)
