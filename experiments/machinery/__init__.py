"""The machinery that runs the studies: none of it is a claim.

=================  ======================================================================
module             what it does
=================  ======================================================================
``cases``          a piece of work (:class:`~cases.Case`), code fingerprints, provenance,
                   atomic writes
``grid``           a study's GRID and QUICK as data, eps ranges expanded (``expand_grid``)
``executors``      local processes or a Dask cluster; failed pieces named, never lost
``run``            run the pieces not yet cached and assemble the tidy table
``pieces``         the standard piece: run, assess (:mod:`theory.assessment`), tidy rows
``study``          the command line every study shares, figure helpers, verdict rows
``report``         ``figures/REPORT.md`` from the studies' summaries
``bench``          ``make bench``: the engine against its peers, as ratios in one run
=================  ======================================================================

Imports run downwards only: ``study`` -> ``run`` -> ``executors`` -> ``cases``; ``pieces`` ->
the engine (its backend choice and eps grids live in :mod:`armijo.backend` and
:mod:`armijo.thresholds`) and the functions.
"""
