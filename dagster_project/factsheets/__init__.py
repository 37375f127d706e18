"""Factsheets per gemeente × kanaal × periode: one view model, rendered to PDF (Typst)
and HTML (Jinja2). Free of Dagster; the asset is in dagster_project/defs/factsheets.py.
"""

from dagster_project.factsheets.marts import MART_TABLES, list_periodes, read_only
from dagster_project.factsheets.output import (
    PeriodResult,
    RenderResult,
    render_period,
    render_periods,
)
from dagster_project.factsheets.render import render_html, render_pdf
from dagster_project.factsheets.view import FactsheetView, build_view_models

__all__ = [
    "MART_TABLES",
    "FactsheetView",
    "PeriodResult",
    "RenderResult",
    "build_view_models",
    "list_periodes",
    "read_only",
    "render_html",
    "render_pdf",
    "render_period",
    "render_periods",
]
