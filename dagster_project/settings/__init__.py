"""The pipeline's settings: environment variables with the defaults of the public contract.

Read once per call of ``Settings.from_env()`` so tests and the CLI can set the
environment first. Paths are resolved against the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..domain import municipalities
from ..ingest.readers.limits import LIMITS, default_text
from ..ingest.readers.limits import current as read_limits

BENCHMARK_METHODS = ("gemeenten", "respondenten")
# KTO_PUBLICATIE: open, every municipality's figures side by side in one portal and one
# snapshot; eigen, a folder per municipality with its own figures and the benchmarks only
# (README, "Settings"; docs/architecture.md, "Per municipality").
OPEN, EIGEN = "open", "eigen"
PUBLICATIES = (OPEN, EIGEN)
# KTO_SIGNIFICANCE: which difference from the BM a factsheet marks. bm, the 95% interval
# excludes the BM (each figure on its own, the seed factsheet's marks); fdr, the
# Benjamini-Hochberg q-value over the municipalities is below 0.05 (docs/metrics.md). The
# marts hold both either way.
SIGNIFICANCE_MODES = ("bm", "fdr")


@dataclass(frozen=True)
class Setting:
    variable: str
    default: str
    meaning: str


# The public contract (README "Settings"); `kto --help` lists these, so it cannot drift.
SETTINGS = (
    Setting("KTO_LANDING_DIR", "data/landing", "where exports are dropped"),
    Setting("KTO_WAREHOUSE", "data/warehouse.duckdb", "the DuckDB file that ingest and dbt write"),
    Setting("KTO_OUTPUT_DIR", "data/output", "factsheets, published marts, reports"),
    Setting("KTO_MIN_RESPONDENTS", "10", "suppression threshold (marts, checks, factsheets)"),
    Setting("KTO_BENCHMARK_METHOD", "gemeenten", f"benchmark: {' or '.join(BENCHMARK_METHODS)}"),
    Setting("KTO_SIZE_CLASSES", "", "optional CSV of size classes: a class BM beside the national"),
    Setting(
        municipalities.VARIABLE,
        municipalities.REPORT,
        "a code outside the CBS code list: melden (accept, report, exit 1) or strikt (quarantine)",
    ),
    Setting(
        "KTO_PUBLICATIE",
        OPEN,
        "who sees what: open (every municipality side by side) or eigen (a folder per "
        "municipality with only its own figures and the BM)",
    ),
    Setting(
        "KTO_SIGNIFICANCE",
        "bm",
        "the factsheet's marks: bm (the interval excludes the BM) or fdr (q < 0.05 over "
        "the municipalities)",
    ),
    # What one landing file may cost; the readers read them (readers/limits.py).
    *(Setting(limit.variable, default_text(limit), limit.meaning) for limit in LIMITS),
)
# The defaults by variable; the Dagster resource (defs/settings_resource.py) reads them too.
DEFAULTS = {s.variable: s.default for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    output_dir: Path
    min_respondents: int
    benchmark_method: str
    # a CSV of municipalities and their size class (docs/formats.md, "Size classes"); None:
    # national BM only
    size_classes: Path | None = None
    # KTO_GEMEENTECODES: melden or strikt (dagster_project/domain/municipalities.py)
    gemeentecodes: str = municipalities.REPORT
    # KTO_PUBLICATIE: open or eigen (PUBLICATIES)
    publicatie: str = OPEN
    # KTO_SIGNIFICANCE: bm or fdr (SIGNIFICANCE_MODES)
    significance: str = "bm"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = {**DEFAULTS, **(os.environ if env is None else env)}
        method = env["KTO_BENCHMARK_METHOD"]
        if method not in BENCHMARK_METHODS:
            raise ValueError(
                f"KTO_BENCHMARK_METHOD={method!r}: expected one of {', '.join(BENCHMARK_METHODS)}"
            )
        raw_min = env["KTO_MIN_RESPONDENTS"]
        try:
            min_respondents = int(raw_min)
        except ValueError:
            raise ValueError(f"KTO_MIN_RESPONDENTS={raw_min!r}: expected a whole number") from None
        if min_respondents < 1:
            raise ValueError(f"KTO_MIN_RESPONDENTS={min_respondents}: must be at least 1")
        warehouse = _path("KTO_WAREHOUSE", env["KTO_WAREHOUSE"])
        if warehouse.is_dir():
            raise ValueError(f"KTO_WAREHOUSE={warehouse}: is a folder, expected a DuckDB file")
        output_dir = _path("KTO_OUTPUT_DIR", env["KTO_OUTPUT_DIR"])
        if output_dir.exists() and not output_dir.is_dir():
            raise ValueError(f"KTO_OUTPUT_DIR={output_dir}: is a file, expected a folder")
        read_limits(env)  # refused here, before any work, rather than file by file
        gemeentecodes = municipalities.checked(env["KTO_GEMEENTECODES"])
        publicatie = env["KTO_PUBLICATIE"]
        if publicatie not in PUBLICATIES:
            raise ValueError(
                f"KTO_PUBLICATIE={publicatie!r}: expected one of {', '.join(PUBLICATIES)}"
            )
        significance = env["KTO_SIGNIFICANCE"]
        if significance not in SIGNIFICANCE_MODES:
            expected = ", ".join(SIGNIFICANCE_MODES)
            raise ValueError(f"KTO_SIGNIFICANCE={significance!r}: expected one of {expected}")
        return cls(
            landing_dir=_path("KTO_LANDING_DIR", env["KTO_LANDING_DIR"]),
            warehouse=warehouse,
            output_dir=output_dir,
            min_respondents=min_respondents,
            benchmark_method=method,
            size_classes=_optional_path(env["KTO_SIZE_CLASSES"]),
            gemeentecodes=gemeentecodes,
            publicatie=publicatie,
            significance=significance,
        )

    def as_env(self) -> dict[str, str]:
        """The same settings as environment variables, for subprocesses such as dbt."""
        return {
            "KTO_LANDING_DIR": str(self.landing_dir),
            "KTO_WAREHOUSE": str(self.warehouse),
            "KTO_OUTPUT_DIR": str(self.output_dir),
            "KTO_MIN_RESPONDENTS": str(self.min_respondents),
            "KTO_BENCHMARK_METHOD": self.benchmark_method,
            # empty: not set (dbt's size_classes_path() reads an empty value as none)
            "KTO_SIZE_CLASSES": str(self.size_classes) if self.size_classes else "",
            municipalities.VARIABLE: self.gemeentecodes,
            "KTO_PUBLICATIE": self.publicatie,
            "KTO_SIGNIFICANCE": self.significance,
        }


def _path(variable: str, value: str) -> Path:
    """A required path; empty is refused (it would silently mean the working directory)."""
    if not value.strip():
        raise ValueError(f"{variable} is set but empty: expected a path (unset it for the default)")
    return Path(value).resolve()


def _optional_path(value: str) -> Path | None:
    return Path(value).resolve() if value.strip() else None
