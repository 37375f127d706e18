"""``check_warehouse``: every suite on the warehouse as it is, as a report and as text.

``kto check`` prints ``report.text()`` and exits with ``report.exit_code``
(0 when every rule holds, 1 otherwise).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import Settings
from .data_docs import build_data_docs, data_docs_dir
from .runner import SAMPLE_ROWS, RuleFailure, SuiteResult, gx_context, run_all
from .suites import load_suites


@dataclass(frozen=True)
class QualityReport:
    warehouse: Path
    min_respondents: int
    results: tuple[SuiteResult, ...]
    seconds: float  # the whole check: GX start-up, reading, validating, Data Docs
    startup_seconds: float  # importing GX and making its context, once per process
    docs_seconds: float
    data_docs: Path | None  # the summary page beside GX's Data Docs

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1

    @property
    def failures(self) -> list[RuleFailure]:
        return [f for r in self.results for f in r.failures]

    def text(self) -> str:
        return format_report(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "warehouse": str(self.warehouse),
            "min_respondents": self.min_respondents,
            "success": self.success,
            "seconds": round(self.seconds, 3),
            "data_docs": str(self.data_docs) if self.data_docs else None,
            "suites": [
                {
                    "suite": r.suite,
                    "asset": r.asset_path,
                    "success": r.success,
                    "evaluated": r.evaluated,
                    "rows": dict(r.rows),
                    "seconds": round(r.seconds, 3),
                    "failures": [f.as_dict() for f in r.failures],
                }
                for r in self.results
            ],
        }


def check_warehouse(
    settings: Settings,
    *,
    data_docs: bool = True,
    expectations_dir: Path | None = None,
    run_name: str = "kto-check",
    on_wait: Callable[[str], object] | None = None,
) -> QualityReport:
    """Run every suite on every asset it guards; write Data Docs under the output folder."""
    start = time.perf_counter()
    if not settings.warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse}: run `kto run` first")
    gx_context()  # timed apart: the first use in a process imports GX (about 2 s)
    startup = time.perf_counter() - start
    results = run_all(
        settings.warehouse,
        settings.min_respondents,
        suites=load_suites(expectations_dir),
        run_name=run_name,
        on_wait=on_wait,
    )
    docs_start = time.perf_counter()
    page = build_data_docs(data_docs_dir(settings.output_dir), results) if data_docs else None
    end = time.perf_counter()
    return QualityReport(
        warehouse=settings.warehouse,
        min_respondents=settings.min_respondents,
        results=tuple(results),
        seconds=end - start,
        startup_seconds=startup,
        docs_seconds=end - docs_start if data_docs else 0.0,
        data_docs=page,
    )


def _cell(value: Any) -> str:
    return "NULL" if value is None else str(value)


def format_failure(failure: RuleFailure) -> list[str]:
    lines = [
        f"  FAIL {failure.suite}/{failure.rule} on {failure.frame} ({failure.column}): "
        f"{failure.failing_rows} rows",
        f"       {failure.description}",
        f"       [{failure.expectation_type}]",
    ]
    if failure.error:
        lines.append(f"       error: {failure.error}")
    for row in failure.sample[:SAMPLE_ROWS]:
        lines.append("       - " + ", ".join(f"{k}={_cell(v)}" for k, v in row.items()))
    return lines


def format_report(report: QualityReport) -> str:
    lines = [
        f"Quality rules on {report.warehouse} (KTO_MIN_RESPONDENTS={report.min_respondents})",
    ]
    for r in report.results:
        status = "ok  " if r.success else "FAIL"
        lines.append(
            f"{status} {r.suite:<16} {r.asset_path:<40} {r.evaluated:>3} rules, "
            f"{sum(r.rows.values()):>8} rows, {r.seconds:6.2f} s"
        )
    for failure in report.failures:
        lines.extend(format_failure(failure))
    failing = len(report.failures)
    lines.append(
        ("All rules hold." if report.success else f"{failing} rule(s) fail.")
        + f" {sum(r.evaluated for r in report.results)} rules in {report.seconds:.2f} s"
        + f" (GX start-up {report.startup_seconds:.2f} s"
        + (f", Data Docs {report.docs_seconds:.2f} s)" if report.data_docs else ")")
    )
    if report.data_docs:
        lines.append(
            f"Data Docs: {report.data_docs} (GX index: {report.data_docs.parent}/index.html)"
        )
    return "\n".join(lines)


def report_json(report: QualityReport) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False, default=str)
