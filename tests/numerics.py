"""Comparisons of floating-point results computed along two different code paths.

Results computed along the *same* code path (the same function on the same inputs, on one
machine and one library build) are compared exactly.  Results computed along two paths (the
compiled and the NumPy backends, an independent recomputation in a test, a row alone and in a batch,
backends) may differ by a few units in the last place wherever one path rounds differently
(a SIMD kernel of a transcendental, another summation order): those are compared with
:func:`assert_ulps_close`, with the tolerance and the reason stated at the call.
"""

import numpy as np

#: Integer outputs of a run: identical across code paths (no tolerance).
INTEGER_FIELDS = ("status", "iterations", "f_evals", "grad_evals", "backtracks", "eps_hits",
                  "eps_hit_f_evals", "eps_hit_grad_evals")
#: Floating-point outputs of a run: compared in ulps across code paths.
FLOAT_FIELDS = ("x", "f", "grad_norm", "step", "f_initial", "grad_norm_initial")


def ulp_distance(a, b):
    """Elementwise distance between float64 arrays in units in the last place.

    Equal values (including two nans, or two infinities of one sign) are at distance 0; a nan
    against a number is at distance ``inf``.  The distance is counted on the integer
    representation, so it is symmetric and meaningful across binades and through zero.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a, b = np.broadcast_arrays(a, b)

    def ordered(values):
        # int64 keys increasing with the value: +0 and -0 both map to 0
        bits = np.ascontiguousarray(values).view(np.int64)
        return np.where(bits < 0, np.int64(-(2**63)) - bits, bits)

    key_a, key_b = ordered(a), ordered(b)
    # |key_a - key_b| exactly: the unsigned difference (mod 2^64) of the larger minus the smaller
    high, low = np.maximum(key_a, key_b).view(np.uint64), np.minimum(key_a, key_b).view(np.uint64)
    distance = (high - low).astype(np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    distance = np.where(np.isnan(a) | np.isnan(b), np.inf, distance)
    return np.where(same, 0.0, distance)


def assert_ulps_close(actual, expected, max_ulps, why):
    """``actual`` and ``expected`` agree within ``max_ulps`` units in the last place.

    Parameters
    ----------
    actual, expected : array_like
        float64 values computed along two code paths.
    max_ulps : float
        Largest distance allowed, in ulps.
    why : str
        Why the two paths may differ and why by at most that much (shown on failure).
    """
    distance = ulp_distance(actual, expected)
    worst = float(distance.max()) if distance.size else 0.0
    assert worst <= max_ulps, (
        f"{worst:g} ulps apart (allowed {max_ulps:g}: {why})\nactual   {np.asarray(actual)!r}\n"
        f"expected {np.asarray(expected)!r}")


def assert_same_run(first, second, *, index_first=slice(None), index_second=slice(None),
                    max_ulps, why, label=""):
    """Two run records (or rows of them) agree: integers exactly, floats within ``max_ulps``."""
    for name in INTEGER_FIELDS:
        mine, theirs = getattr(first, name)[index_first], getattr(second, name)[index_second]
        assert np.array_equal(mine, theirs), (label, name, mine, theirs)
    for name in FLOAT_FIELDS:
        mine, theirs = getattr(first, name)[index_first], getattr(second, name)[index_second]
        assert_ulps_close(mine, theirs, max_ulps, f"{label} {name}: {why}")
