"""The pipeline's half of the dbt models built by year; the SQL half is
dbt/macros/by_year.sql with the two models it reads and writes (docs/architecture.md,
"Built by year").

Those models rebuild only the years whose data changed since the last complete build. Their
rows also depend on what is not data: the dbt project's models and macros, the Python UDFs
dbt calls (transform/plugin.py and what it imports from this package), the settings dbt
reads, and the versions of the libraries that compute. dbt sees none of the Python and the
library versions, so the build key that hashes all of that is made here; the warehouse
records the key its years were built under (``intermediate.int_built_years``). Under
another key every year is rebuilt, and the pipeline builds with ``--full-refresh`` (other
code may mean other columns): :func:`by_year_args` decides that, and leaves the record out
of a build of only some models.
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

import duckdb

from ..domain.project_files import files_in, project_dir
from ..settings import Settings
from ..warehouse import open_warehouse

VAR = "build_key"  # the dbt var that carries it (dbt/macros/by_year.sql)
# The dbt vars of the settings that say where, not what: the rows do not depend on them.
WHERE_VARS = ("warehouse",)
# The dbt vars that name a file whose content the rows depend on.
FILE_VARS = ("size_classes",)
# The dbt vars no model built by year reads: the comparison groups reach only tables rebuilt
# whole on every build (int_comparison_groups, int_group_benchmarks' group rows,
# int_public_group_benchmarks, kto_vergelijkingsgroep), so a new groups file rebuilds no year.
UNKEYED_VARS = ("vergelijkingsgroepen",)
RECORD_MODEL = "int_built_years"
RECORD_TABLE = f"intermediate.{RECORD_MODEL}"

_PACKAGE = Path(__file__).resolve().parents[1]  # dagster_project/
# What the rows of the dbt models are computed from, besides the data and the settings.
DBT_SOURCES = ("dbt_project.yml", "models", "macros", "codelists")
# The Python dbt runs: the plugin and the modules of this package it imports
# (tests/test_transform/by_year.py checks the list against the plugin's imports).
UDF_MODULES = (
    "domain/__init__.py",
    "domain/code_lists.py",
    "domain/municipalities.py",
    "domain/project_files.py",
    "transform/__init__.py",
    "transform/plugin.py",
    "text/__init__.py",
    "text/dutch_lists.py",
    "text/fold.py",
    "text/normalise.py",
    "text/redaction.py",
    "text/sanitise.py",
    "themes/__init__.py",
    "themes/matcher.py",
    "themes/taxonomy.py",
)
# Data those modules read: the themes' terms decide which responses count for a theme.
UDF_DATA = ("themes/taxonomy.yml",)
# deduce: its name and street lists; phonenumbers, python-stdnum: what a phone number, an
# IBAN and a BSN are. Each decides which texts are redacted or withheld.
LIBRARIES = (
    "duckdb",
    "dbt-core",
    "dbt-duckdb",
    "scipy",
    "deduce",
    "phonenumbers",
    "python-stdnum",
    "snowballstemmer",
)


def build_key(settings: Settings) -> str:
    """A hash of the code, settings and library versions the by-year models depend on."""
    digest = hashlib.sha256()

    def add(label: str, content: bytes) -> None:
        digest.update(f"{label}\0{len(content)}\0".encode())
        digest.update(content)

    dbt_dir = project_dir("dbt")
    for path in files_in(dbt_dir, DBT_SOURCES):
        add(f"dbt/{path.relative_to(dbt_dir).as_posix()}", path.read_bytes())
    for path in files_in(_PACKAGE, UDF_MODULES + UDF_DATA):
        add(f"python/{path.relative_to(_PACKAGE).as_posix()}", path.read_bytes())
    for library in LIBRARIES:
        add(f"library/{library}", metadata.version(library).encode())
    for name, value in settings.dbt_vars().items():
        if name in WHERE_VARS or name in UNKEYED_VARS:
            continue
        if name not in FILE_VARS or not value:
            add(f"setting/{name}", str(value).encode())
        elif Path(value).is_file():
            add(f"setting/{name}", Path(value).read_bytes())
        else:  # dbt fails on it; a later run with the file must rebuild
            add(f"setting/{name}", f"missing {value}".encode())
    return digest.hexdigest()[:16]


def dbt_vars(settings: Settings) -> dict[str, str | int]:
    """What a dbt process of the pipeline gets as ``--vars``: the settings and the build key
    they make."""
    return {**settings.dbt_vars(), VAR: build_key(settings)}


def recorded_build_key(warehouse: Path) -> str | None:
    """The key the warehouse's years were last built under; None: none recorded (a new
    warehouse, a build that never completed, or years recorded under several keys)."""
    if not warehouse.exists():
        return None
    try:
        with open_warehouse(warehouse, read_only=True) as con:
            keys = con.execute(f"select distinct build_key from {RECORD_TABLE}").fetchall()
    except duckdb.CatalogException:
        return None
    return keys[0][0] if len(keys) == 1 else None


def by_year_args(settings: Settings, *, every_model: bool) -> list[str]:
    """What ``dbt build`` adds for the models built by year: ``--full-refresh`` when the
    warehouse's years were built under another key (or none), and the record left out when
    the build has not ``every_model``, else it would call years built that the models left
    out never rebuilt."""
    args = []
    if recorded_build_key(settings.warehouse) != build_key(settings):
        args.append("--full-refresh")
    if not every_model:
        args += ["--exclude", RECORD_MODEL]
    return args
