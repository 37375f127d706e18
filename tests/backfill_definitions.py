"""A code location with only the factsheet asset, for the backfill test in test_automation.py
(the daemon's backfill loop loads a code location, not a Definitions object)."""

import dagster as dg

from dagster_project.defs.factsheets import factsheets_pdf_html
from tests.conftest import settings_resources

defs = dg.Definitions(assets=[factsheets_pdf_html], resources=settings_resources())
