"""``kto check``: the dbt tests and the GX suites on the warehouse as it is.

Exit code 0 when every rule holds, 1 when a dbt test or a GX rule fails (the
failing rules are printed with their offending rows), 2 when there is no
warehouse to check or another process holds it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import duckdb

from ..settings import Settings
from .report import check_warehouse
from .runner import SAMPLE_ROWS


def _row(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={'NULL' if v is None else v}" for k, v in row.items())


def dbt_test_lines(settings: Settings) -> tuple[bool, list[str]]:
    """Run ``dbt test`` (a subprocess: it must finish before this process reads the file)."""
    from ..transform.commands import failing_tests, run_dbt

    run = run_dbt(["test"], settings)
    if run.run_results is None:
        tail = "\n".join(run.output.strip().splitlines()[-15:])
        return False, [f"FAIL dbt test did not run (exit {run.returncode}):", tail]
    tests = [r for r in run.results() if r.get("unique_id", "").startswith("test.")]
    failures = failing_tests(run, settings, limit=SAMPLE_ROWS)
    lines = [
        f"dbt tests: {len(tests) - len(failures)} of {len(tests)} pass"
        + (f" ({run.elapsed_seconds:.2f} s)" if run.elapsed_seconds is not None else "")
    ]
    for f in failures:
        lines.append(f"  FAIL dbt {f.test}: {f.status}, {f.failures} rows")
        if f.message:
            lines.append(f"       {f.message}")
        lines.extend(f"       - {_row(row)}" for row in f.rows[:SAMPLE_ROWS])
    return run.ok and not failures, lines


def run_checks(
    settings: Settings, *, dbt_tests: bool = True, out: Callable[[str], Any] = print
) -> int:
    """Every quality rule on the warehouse; prints the outcome and returns the exit code."""
    if not settings.warehouse.exists():
        out(f"kto check: no warehouse at {settings.warehouse} (run `kto run` first)")
        return 2
    dbt_ok = True
    if dbt_tests:
        dbt_ok, lines = dbt_test_lines(settings)
        out("\n".join(lines))
    try:
        report = check_warehouse(settings, on_wait=out)
    except duckdb.IOException as exc:  # another process holds the file (a running pipeline)
        out(f"kto check: cannot read {settings.warehouse}: {str(exc).splitlines()[0]}")
        return 2
    out(report.text())
    return 0 if dbt_ok and report.success else 1


if __name__ == "__main__":
    sys.exit(run_checks(Settings.from_env()))
