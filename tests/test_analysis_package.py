"""dagster_project/analysis is a pure domain package: importing it loads neither Dagster nor
DuckDB, nor statsmodels (the tests' oracle, a dev dependency only)."""

from __future__ import annotations

import subprocess
import sys


def test_the_analysis_package_imports_no_dagster_duckdb_or_statsmodels():
    code = (
        "import sys\n"
        "from dagster_project.analysis import change, drivers, funnel, multiplicity, signals\n"
        "loaded = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(loaded & {'dagster', 'duckdb', 'statsmodels', 'dagster_dbt'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
