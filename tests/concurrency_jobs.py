"""Jobs for test_concurrent_runs.py, importable by module path so that the multiprocess
executor's step processes can rebuild them (``dg.reconstructable``)."""

import dagster as dg

from dagster_project.defs.factsheets import factsheets_pdf_html
from dagster_project.defs.ingest import ingest_landing
from tests.conftest import settings_resources


def _definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[ingest_landing, factsheets_pdf_html],
        resources=settings_resources(),
        jobs=[
            dg.define_asset_job("ingest", selection=dg.AssetSelection.assets(ingest_landing)),
            dg.define_asset_job(
                "factsheets", selection=dg.AssetSelection.assets(factsheets_pdf_html)
            ),
        ],
        executor=dg.multiprocess_executor,
    )


def ingest_job() -> dg.JobDefinition:
    return _definitions().resolve_job_def("ingest")


def factsheets_job() -> dg.JobDefinition:
    return _definitions().resolve_job_def("factsheets")
