"""The build key of the dbt models built by year (dbt/macros/by_year.sql).

Those models rebuild only the years whose data changed since the last complete build. Their
rows also depend on what is not data: the dbt project's models and macros, the Python UDFs
dbt calls (dbt_plugin.py and what it imports from this package), the settings dbt reads,
and the versions of the libraries that compute. The build key hashes all of that; the
warehouse records the key its years were built under (``intermediate.int_built_years``).
Under another key every year is rebuilt, and the pipeline builds with ``--full-refresh``
(other code may mean other columns).
"""

from __future__ import annotations

import hashlib
from importlib import metadata
from pathlib import Path

import duckdb

from ..domain.project_files import files_in, project_dir
from ..settings import Settings

ENV_VAR = "KTO_DBT_BUILD_KEY"
RECORD_TABLE = "intermediate.int_built_years"

_PACKAGE = Path(__file__).resolve().parents[1]  # dagster_project/
# What the rows of the dbt models are computed from, besides the data and the settings.
DBT_SOURCES = ("dbt_project.yml", "models", "macros", "codelists")
# The Python dbt runs: the plugin and the modules of this package it imports
# (tests/test_dbt_build_key.py checks the list against the plugin's imports).
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
    add("setting/min_respondents", str(settings.min_respondents).encode())
    add("setting/benchmark_method", settings.benchmark_method.encode())
    add("setting/gemeentecodes", settings.gemeentecodes.encode())
    size_classes = settings.size_classes
    if size_classes is None:
        add("setting/size_classes", b"")
    elif size_classes.is_file():
        add("setting/size_classes", size_classes.read_bytes())
    else:  # dbt fails on it; a later run with the file must rebuild
        add("setting/size_classes", f"missing {size_classes}".encode())
    return digest.hexdigest()[:16]


def dbt_settings_env(settings: Settings) -> dict[str, str]:
    """What a dbt process needs in its environment besides the current one: the settings and
    the build key they make."""
    return {**settings.as_env(), ENV_VAR: build_key(settings)}


def recorded_build_key(warehouse: Path) -> str | None:
    """The key the warehouse's years were last built under; None: none recorded (a new
    warehouse, a build that never completed, or years recorded under several keys)."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            keys = con.execute(f"select distinct build_key from {RECORD_TABLE}").fetchall()
    except duckdb.CatalogException:
        return None
    return keys[0][0] if len(keys) == 1 else None
