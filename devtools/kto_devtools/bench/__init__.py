"""`kto bench`: `kto run` measured beside a DuckDB floor and a pandas script (bench/README.md).

- :mod:`.run`: the bench itself (:func:`run_bench`);
- :mod:`.landing`: the year and the monthly drop it runs on;
- ``floor.sql`` (run by :mod:`.floor`) and :mod:`.pandas_figures`: the references;
- :mod:`.measure`: wall time and peak RSS of a process tree;
- :mod:`.phases`: `kto run`'s phases from its Dagster event log;
- :mod:`.agreement`: references against the published kto_cel; :mod:`.report`: Markdown.

Nothing is imported here: the references run as ``python -m kto_devtools.bench.floor``
and should not pay for the rest at start-up.
"""
