"""The machinery that runs the studies: none of it is a claim.

=================  ======================================================================
module             what it does
=================  ======================================================================
``cases``          a piece of work (:class:`~cases.Case`), eps grids, code fingerprints,
                   provenance, atomic writes
``executors``      local processes or a Dask cluster; failed pieces named, never lost
``run``            run the pieces not yet cached and assemble the tidy table
``runner``         pick the backend (compiled Numba loop or the NumPy reference) for a run
``pieces``         the standard piece: run, assess (:mod:`theory.assessment`), tidy rows
``study``          the command line every study shares, figure helpers, verdict rows
``report``         ``figures/REPORT.md`` from the studies' summaries
``bench``          ``make bench``: the engine against its peers, as ratios in one run
=================  ======================================================================

Imports run downwards only: ``study`` -> ``run`` -> ``executors`` -> ``cases``; ``pieces`` ->
``runner`` -> the engine and the functions.
"""
