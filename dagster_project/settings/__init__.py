"""The pipeline's settings: one table, ``SETTINGS``, that everything else derives from.

Each setting is an environment variable with the default of the public contract, its
meaning, its validation and, when dbt reads it, the dbt var it reaches dbt as. `kto --help`
(cli/help.py), the Dagster resource (defs/settings_resource.py), the dbt vars of a build
(``Settings.dbt_vars``, transform/by_year.py) and the README's table all come from it.
The defaults of the settings dbt reads live in dbt_project.yml's ``vars``, where a
``dbt build`` run by hand in dbt/ finds them too; this table reads them from there.

Read once per call of ``Settings.from_env()`` so tests and the CLI can set the
environment first. Paths are resolved against the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..domain import comparison_groups, municipalities
from ..domain.code_lists import dbt_var_default
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
    # the attribute of ``Settings`` that holds it (None: read where it is used, the readers'
    # limits); the dbt var it reaches dbt as (None: dbt does not read it)
    field: str | None = None
    dbt_var: str | None = None


def _dbt_default(var: str) -> str:
    """The default of a setting dbt reads: dbt_project.yml's var, as the README writes it."""
    value = dbt_var_default(var)
    return "" if value is None else str(value)


# The public contract (README "Settings"); `kto --help` lists these, so it cannot drift.
SETTINGS = (
    Setting("KTO_LANDING_DIR", "data/landing", "where exports are dropped", "landing_dir"),
    Setting(
        "KTO_WAREHOUSE",
        "data/warehouse.duckdb",
        "the DuckDB file that ingest and dbt write",
        "warehouse",
        # dbt/profiles.yml; a path relative to dbt/ when dbt is run by hand without it
        "warehouse",
    ),
    Setting("KTO_OUTPUT_DIR", "data/output", "factsheets, published marts, reports", "output_dir"),
    Setting(
        "KTO_MIN_RESPONDENTS",
        _dbt_default("min_respondents"),
        "suppression threshold (marts, checks, factsheets)",
        "min_respondents",
        "min_respondents",
    ),
    Setting(
        "KTO_BENCHMARK_METHOD",
        _dbt_default("benchmark_method"),
        f"benchmark: {' or '.join(BENCHMARK_METHODS)}",
        "benchmark_method",
        "benchmark_method",
    ),
    Setting(
        "KTO_SIZE_CLASSES",
        _dbt_default("size_classes"),
        "optional CSV of size classes: a class BM beside the national",
        "size_classes",
        "size_classes",
    ),
    Setting(
        comparison_groups.VARIABLE,
        _dbt_default("vergelijkingsgroepen"),
        "optional CSV of comparison groups (groep;gemeentecode): a BM per group beside the "
        "national and the size class",
        "vergelijkingsgroepen",
        "vergelijkingsgroepen",
    ),
    Setting(
        municipalities.VARIABLE,
        _dbt_default("gemeentecodes"),
        "a code outside the CBS code list: melden (accept, report, exit 1) or strikt (quarantine)",
        "gemeentecodes",
        "gemeentecodes",
    ),
    Setting(
        "KTO_PUBLICATIE",
        OPEN,
        "who sees what: open (every municipality side by side) or eigen (a folder per "
        "municipality with only its own figures and the BM)",
        "publicatie",
    ),
    Setting(
        "KTO_SIGNIFICANCE",
        "bm",
        "the factsheet's marks: bm (the interval excludes the BM) or fdr (q < 0.05 over "
        "the municipalities)",
        "significance",
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
    # a CSV of named groups of municipalities (docs/formats.md, "Comparison groups"); None:
    # no group BMs
    vergelijkingsgroepen: Path | None = None
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
        vergelijkingsgroepen = _optional_path(env["KTO_VERGELIJKINGSGROEPEN"])
        if vergelijkingsgroepen is not None:
            comparison_groups.read(vergelijkingsgroepen, gemeentecodes)  # refused here, whole
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
            vergelijkingsgroepen=vergelijkingsgroepen,
            gemeentecodes=gemeentecodes,
            publicatie=publicatie,
            significance=significance,
        )

    def as_env(self) -> dict[str, str]:
        """The settings of ``SETTINGS`` this object holds, as environment variables (for a
        ``kto`` subprocess); an unset size-class or group file is empty."""
        return {s.variable: _text(getattr(self, s.field)) for s in SETTINGS if s.field}

    def dbt_vars(self) -> dict[str, str | int]:
        """The settings dbt reads, as its vars (``--vars``): validated, paths absolute."""
        found: dict[str, str | int] = {}
        for setting in SETTINGS:
            if setting.dbt_var and setting.field:
                value = getattr(self, setting.field)
                found[setting.dbt_var] = value if isinstance(value, int) else _text(value)
        return found


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _path(variable: str, value: str) -> Path:
    """A required path; empty is refused (it would silently mean the working directory)."""
    if not value.strip():
        raise ValueError(f"{variable} is set but empty: expected a path (unset it for the default)")
    return Path(value).resolve()


def _optional_path(value: str) -> Path | None:
    return Path(value).resolve() if value.strip() else None
