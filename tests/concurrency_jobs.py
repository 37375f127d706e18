"""Jobs for test_concurrent_runs.py, importable by module path so that the multiprocess
executor's step processes can rebuild them (``dg.reconstructable``)."""

import dagster as dg

from dagster_project.defs.factsheets import factsheets_pdf_html
from dagster_project.defs.gate import quality_gate
from dagster_project.defs.ingest import ingest_landing
from tests.conftest import settings_resources


def _definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[ingest_landing, quality_gate, factsheets_pdf_html],
        resources=settings_resources(),
        jobs=[
            dg.define_asset_job("ingest", selection=dg.AssetSelection.assets(ingest_landing)),
            # the factsheets read the gate's verdict: it runs first, in the same run
            dg.define_asset_job(
                "factsheets", selection=dg.AssetSelection.assets(quality_gate, factsheets_pdf_html)
            ),
        ],
        executor=dg.multiprocess_executor,
    )


def ingest_job() -> dg.JobDefinition:
    return _definitions().resolve_job_def("ingest")


def factsheets_job() -> dg.JobDefinition:
    return _definitions().resolve_job_def("factsheets")


def execute(job_name: str, dagster_home: str, tags: dict[str, str]) -> None:
    """Run one job on the instance at ``dagster_home`` with the multiprocess executor, in a
    process of its own (two ``execute_job`` in threads of one process deadlock on logging
    configuration); exits 1 when the run fails."""
    import sys

    job = {"ingest": ingest_job, "factsheets": factsheets_job}[job_name]
    with dg.DagsterInstance.from_config(dagster_home) as instance:
        result = dg.execute_job(dg.reconstructable(job), instance=instance, tags=tags)
    sys.exit(0 if result.success else 1)
