"""Test configuration: property-based tests are derandomized in CI.

Locally, hypothesis draws new examples on every run (that is how the ``Subs`` bug of the
expression compiler was found); in CI (``CI`` set, as ``.ci/run`` runs) the examples are
derived from the test itself, so a submission's result does not depend on the draw.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
