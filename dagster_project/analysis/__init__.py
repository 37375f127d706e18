"""What to act on: change, significance, drivers and funnels (docs/metrics.md, "Change,
significance, drivers, funnels"). The changes and the tests against the BM reach the
marts through the dbt UDFs ``kto_change`` and ``kto_bm_p`` (transform/plugin.py), the
drivers through the dbt Python model ``int_aspect_drivers``; the funnels are not yet wired.

Pure functions on numbers, numpy arrays and pandas DataFrames: no Dagster, no DuckDB. A
Dagster asset reads the figures it needs from the warehouse into a DataFrame and calls:

- ``change.changes(frame)``: per row the difference between two independent figures (a
  cell this period against the same cell the period before), its 95% interval and
  two-sided p-value, from the sums ``int_cell_figures`` computes (n, s1, s2, k_laag,
  k_hoog) with the suffixes ``_a`` (before) and ``_b`` (after);
- ``multiplicity.add_qvalues(frame)``: Benjamini-Hochberg q-values over each family of
  tests (period x channel x figure);
- ``funnel.mean_limits`` / ``funnel.proportion_limits`` / ``funnel.flag_units``: funnel-plot
  control limits around the BM and which municipalities fall outside them;
- ``drivers.relative_importance(wide, aspects)`` on all respondents of a channel and year
  (``drivers.wide_answers`` pivots ``int_response_answers``), then
  ``drivers.priority_matrix(scores, importance)`` per municipality: the top three aspects
  to act on.

A sketch of an asset body (the frames' columns are the marts' names)::

    compared = change.changes(pairs)            # one row per cell x figure, sides _a / _b
    compared = multiplicity.add_qvalues(compared)
    for (kanaal, jaar), answers in answers_by_channel_year:
        wide = drivers.wide_answers(answers)
        importance = drivers.relative_importance(wide, aspects[kanaal]).reset_index()
        importance["kanaal"] = kanaal
        priorities = drivers.priority_matrix(aspect_scores_of(kanaal, jaar), importance)

Units are the marts': grades 1..10, percentages 0..100, CES -100..100; differences of
percentages and CES are in percentage points.
"""
