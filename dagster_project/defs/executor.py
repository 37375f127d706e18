"""The executor of every run the daemon or the UI starts (``kto run`` runs in process).

Dagster's multiprocess executor spawns a fresh interpreter per step by default, and each
one imports Dagster, dagster-dbt, the definitions and, for the checks, Great Expectations
again: 5-10 s a step before it does any work. Here the steps are forked from a forkserver
that imported all of that once per run.

The start method is fixed in the executor itself (``configured``), not in a job's default
run config: a run launched with partition-range tags (the UI, the sensors, a backfill)
gets the run config of its partitions, which carries no executor settings, so a job
default would silently fall back to ``spawn``.
"""

import dagster as dg

# Great Expectations is imported only when the checks run; preloading it spares that step.
PRELOADED_MODULES = ["dagster_project.definitions", "great_expectations"]

STEP_EXECUTOR = dg.multiprocess_executor.configured(
    {"start_method": {"forkserver": {"preload_modules": PRELOADED_MODULES}}},
    name="multiprocess_forkserver",
)
