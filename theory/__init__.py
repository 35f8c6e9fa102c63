"""Theory layer: bounds with explicit constants (one module per theorem), estimators of
the hypotheses, exponent fits and verdicts.  The registry is :mod:`theory.theorems`."""
