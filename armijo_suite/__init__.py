"""The user's entry points: the Python check API and the ``armijo`` command line over it.

>>> from armijo_suite import check, sweep       # doctest: +SKIP

See :mod:`armijo_suite.api` (what a check does), :mod:`armijo_suite.report` (the records it
returns, their JSON and text) and :mod:`armijo_suite.cli` (the command line).
"""

from armijo_suite.api import CheckInputError, check, sweep
from armijo_suite.report import CheckReport, SweepReport
