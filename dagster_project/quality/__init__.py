"""Great Expectations quality gates on the warehouse, free of Dagster (docs/quality.md).

``check_warehouse(settings)`` runs every suite of expectations/*.json; ``run_suite``
runs one suite on the frames that guard one asset (what an asset check does).
"""

from .data_docs import build_data_docs, data_docs_dir
from .report import QualityReport, check_warehouse, format_report
from .runner import RuleFailure, SuiteResult, run_all, run_suite, suite_parameters
from .suites import EXPECTATIONS_DIR, Suite, load_suites

__all__ = [
    "EXPECTATIONS_DIR",
    "QualityReport",
    "RuleFailure",
    "Suite",
    "SuiteResult",
    "build_data_docs",
    "check_warehouse",
    "data_docs_dir",
    "format_report",
    "load_suites",
    "run_all",
    "run_suite",
    "suite_parameters",
]
