"""Loading landing files into the warehouse's raw schema, free of Dagster."""

from .loader import FileOutcome, HeldFile, IngestReport, ingest_source, load_landing
from .raw_schema import ensure_raw_schema

__all__ = [
    "FileOutcome",
    "HeldFile",
    "IngestReport",
    "ensure_raw_schema",
    "ingest_source",
    "load_landing",
]
