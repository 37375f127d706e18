"""Running the dbt project (dbt/) without Dagster: the manifest, build and test.

Dagster needs dbt's manifest.json before it can load the dbt assets, and
``DbtProject.prepare_if_dev()`` builds it only under ``dagster dev``; the ``kto``
command and the tests call :func:`prepare_manifest` first. :func:`run_dbt` runs any dbt
command in a subprocess with the settings as its ``--vars`` (DuckDB allows one
process per file, so dbt must not share this process's connections);
:func:`failing_tests` turns a ``dbt test``/``dbt build`` result into the failing rules
with a sample of their offending rows.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..domain.project_files import files_in, project_dir
from ..settings import Settings
from ..warehouse import open_warehouse
from .by_year import dbt_vars

DBT_PROJECT_DIR = project_dir("dbt")
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"

# What the manifest is built from: a newer file here makes it stale.
_PROJECT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


def dbt_executable() -> str:
    """``kto-dbt`` next to this interpreter (a venv need not be activated): dbt, with its parse
    state shared between warehouses (dbt_launch.py); else dbt itself, there or on PATH."""
    for name in ("kto-dbt", "dbt"):
        candidate = Path(sys.executable).parent / name
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


def dbt_env() -> dict[str, str]:
    """The environment for a dbt subprocess: the current one, with the profile's folder and
    without usage statistics. The settings go as ``--vars`` (:func:`with_vars`)."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def with_vars(args: list[str], settings_vars: Mapping[str, Any]) -> list[str]:
    """dbt's arguments with ``settings_vars`` (``by_year.dbt_vars``: the settings, paths
    absolute since dbt runs in the project directory, and the build key) as ``--vars``,
    merged into a ``--vars`` already in ``args``, whose own values win
    (``{test_severity: warn}``)."""
    given: dict[str, Any] = {}
    rest: list[str] = []
    pending = False
    for arg in args:
        if pending:
            given = yaml.safe_load(arg) or {}
            pending = False
        elif arg == "--vars":
            pending = True
        elif arg.startswith("--vars="):
            given = yaml.safe_load(arg.split("=", 1)[1]) or {}
        else:
            rest.append(arg)
    return [*rest, "--vars", json.dumps({**settings_vars, **given}, sort_keys=True)]


def _newest_source_mtime() -> float:
    files = files_in(DBT_PROJECT_DIR, _PROJECT_SOURCES)
    return max((p.stat().st_mtime for p in files), default=0.0)


def manifest_is_stale() -> bool:
    return not MANIFEST_PATH.exists() or MANIFEST_PATH.stat().st_mtime < _newest_source_mtime()


def prepare_manifest(settings: Settings | None = None, *, force: bool = False) -> Path:
    """dbt/target/manifest.json, parsed anew (``dbt parse``) when missing or older than the
    project's files. Parsed in a temporary target and moved into place in one step, so
    concurrent callers (test workers, a running ``dagster dev``) never read half a file."""
    if not force and not manifest_is_stale():
        return MANIFEST_PATH
    MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=MANIFEST_PATH.parent, prefix="parse-") as tmp:
        run = run_dbt(["parse", "--quiet"], settings, target_path=Path(tmp))
        if run.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{run.output}")
        os.replace(Path(tmp) / "manifest.json", MANIFEST_PATH)
    return MANIFEST_PATH


def models_meta() -> dict[str, dict[str, Any]]:
    """Each dbt model's ``meta`` (dbt_project.yml and the models' YAML), by its
    ``<schema>/<name>`` (the asset path), from the manifest (parsed when missing or stale)."""
    manifest = json.loads(prepare_manifest().read_bytes())
    return {
        f"{node['schema']}/{node['name']}": dict(node["config"].get("meta") or {})
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


@dataclass
class DbtRun:
    """The outcome of one dbt command."""

    args: list[str]
    returncode: int
    output: str
    run_results: dict[str, Any] | None
    compiled_sql: dict[str, str] = field(default_factory=dict)  # unique_id -> SQL

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def elapsed_seconds(self) -> float | None:
        return None if self.run_results is None else self.run_results.get("elapsed_time")

    def results(self, status: str | None = None) -> list[dict[str, Any]]:
        found = (self.run_results or {}).get("results", [])
        return [r for r in found if status is None or r.get("status") == status]


def run_dbt(
    args: list[str], settings: Settings | None = None, *, target_path: Path | None = None
) -> DbtRun:
    """Run ``dbt <args>`` on the project with the settings' warehouse and thresholds.

    Example: ``run_dbt(["build"])``, ``run_dbt(["test", "--select", "marts"])``. Artifacts go
    to a fresh temporary target (or ``target_path``); the run results and the compiled SQL
    of the tests are read back before it is removed.
    """
    with tempfile.TemporaryDirectory(prefix="kto-dbt-") as tmp:
        target = target_path or Path(tmp) / "target"
        proc = subprocess.run(
            [
                dbt_executable(),
                *with_vars(args, dbt_vars(settings or Settings.from_env())),
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(target),
            ],
            cwd=DBT_PROJECT_DIR,
            env={**dbt_env(), "DBT_LOG_PATH": str(Path(tmp) / "logs")},
            capture_output=True,
            text=True,
            check=False,
        )
        results_path = target / "run_results.json"
        run_results = json.loads(results_path.read_text()) if results_path.exists() else None
        compiled = {}
        for result in (run_results or {}).get("results", []):
            if result.get("unique_id", "").startswith("test.") and result.get("compiled_code"):
                compiled[result["unique_id"]] = result["compiled_code"]
        return DbtRun(
            args=list(args),
            returncode=proc.returncode,
            output=proc.stdout + proc.stderr,
            run_results=run_results,
            compiled_sql=compiled,
        )


@dataclass
class TestFailure:
    """A dbt test that failed (or errored), with up to ``limit`` of its offending rows."""

    test: str  # dbt unique_id, e.g. test.kto.unique_combination_kto_cel_...
    status: str  # fail | error
    failures: int | None
    message: str | None
    rows: list[dict[str, Any]]


def failing_tests(
    run: DbtRun, settings: Settings | None = None, limit: int = 20
) -> list[TestFailure]:
    """The failed and errored tests of a ``dbt test``/``dbt build`` run; for failures, the first
    ``limit`` offending rows, queried read-only from the warehouse with the test's own SQL."""
    settings = settings or Settings.from_env()
    found = [
        r
        for r in run.results()
        if r.get("unique_id", "").startswith("test.") and r.get("status") in ("fail", "error")
    ]
    if not found:
        return []
    failures = []
    from .plugin import register_udfs  # the tests' SQL may call kto_redact

    with open_warehouse(settings.warehouse, read_only=True) as con:
        register_udfs(con)
        for result in found:
            rows: list[dict[str, Any]] = []
            sql = run.compiled_sql.get(result["unique_id"])
            if result["status"] == "fail" and sql:
                cursor = con.execute(f"select * from ({sql}) limit {int(limit)}")
                names = [d[0] for d in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            failures.append(
                TestFailure(
                    test=result["unique_id"],
                    status=result["status"],
                    failures=result.get("failures"),
                    message=result.get("message"),
                    rows=rows,
                )
            )
    return failures


DOCS_CACHE = MANIFEST_PATH.parent / "docs-site"
KEEP_DOCS = 5


def _docs_key(settings: Settings) -> str:
    """What the docs page is made of: the dbt project (its manifest) and the marts' columns.

    When a parse happened is left out (the ``metadata`` block, every node's
    ``created_at``): a manifest parsed again from the same project is the same project.
    """
    import hashlib

    def timeless(value):
        if isinstance(value, dict):
            return {k: timeless(v) for k, v in value.items() if k != "created_at"}
        return [timeless(v) for v in value] if isinstance(value, list) else value

    manifest = json.loads(MANIFEST_PATH.read_bytes())
    manifest.pop("metadata", None)
    digest = hashlib.sha256(json.dumps(timeless(manifest), sort_keys=True).encode())
    with open_warehouse(settings.warehouse, read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name, data_type, is_nullable, comment "
            "from duckdb_columns() where schema_name = 'marts' order by all"
        ).fetchall()
    digest.update(repr(columns).encode())
    return digest.hexdigest()[:16]


def docs_site(target: Path, settings: Settings | None = None) -> Path:
    """dbt's documentation of the public marts as one self-contained page
    (``dbt docs generate --static``: manifest and catalog inlined, nothing fetched when it
    is opened); the catalog is read from the warehouse, so the caller holds its lock.

    The page describes the project and the marts' columns, not their rows: it is made once
    per dbt project and column set (``dbt docs generate`` takes seconds) and kept in
    ``dbt/target/docs-site/``.
    """
    settings = settings or Settings.from_env()
    prepare_manifest(settings)
    cached = DOCS_CACHE / f"{_docs_key(settings)}.html"
    if cached.is_file():
        return cached
    args = ["docs", "generate", "--static", "--select", "marts"]
    run = run_dbt(args, settings, target_path=target)
    page = target / "static_index.html"
    if not run.ok or not page.is_file():
        raise RuntimeError(f"dbt docs generate failed:\n{run.output}")
    DOCS_CACHE.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")  # whole files only, for other runs
    shutil.copyfile(page, partial)
    os.replace(partial, cached)
    for old in sorted(DOCS_CACHE.glob("*.html"), key=lambda p: p.stat().st_mtime)[:-KEEP_DOCS]:
        old.unlink(missing_ok=True)  # pages of earlier projects
    return cached
