"""``kto-dbt``: dbt's command line, with its parse state shared between warehouses.

dbt keeps what it parsed in ``partial_parse.msgpack`` in its target folder and re-parses
the whole project (seconds; most of a small run's dbt time) when anything in its state
check differs. The connection settings are part of that check, and the warehouse path is
one of them; so are the command line's vars, which carry the warehouse path and the build
key of the models built by year (dagster_project/transform/by_year.py). So every new
warehouse (a trial, a test, the bench) and every new build key parsed everything anew.
Parsing depends on neither: the path is read by the profile alone (only the database name
DuckDB derives from it, the file's stem, reaches the models), and the build key is read by
the SQL of the models built by year, which dbt renders when it runs them, not when it
parses. This command therefore:

- leaves the path out of the connection settings' hash, and those two vars out of the
  vars' hash (``RUNTIME_VARS``), and
- gives a target folder that has no parse state of its own yet a copy of the last state
  written for the same database name and the same other vars (``target/parse-state/`` in
  the dbt project).

dbt still checks everything else itself (its version, the other vars, the rest of the
profile, the hash of every project file, the environment variables the files read) and
parses again whatever differs. The patched method is dbt internals, kept in
``compat/dbt_internals.py``: tests/test_compat.py fails when the pinned dbt-core changes, and
tests/test_dbt_launch.py when the patch stops working.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..compat.dbt_internals import hash_without_path

STATE_FILE = "partial_parse.msgpack"
DEFAULT_TARGET = "target"  # dbt's target folder in the project when none is given
SHARED_STATE = Path(DEFAULT_TARGET) / "parse-state"  # in the dbt project
# the profile's fallback when the var warehouse is not given (dbt/profiles.yml)
DEFAULT_WAREHOUSE = "../data/warehouse.duckdb"
# The vars parsing does not depend on (see above): the warehouse (Settings.dbt_vars) and the
# build key (by_year.VAR).
WAREHOUSE_VAR = "warehouse"
RUNTIME_VARS = (WAREHOUSE_VAR, "build_key")


def _option(argv: list[str], name: str) -> str | None:
    """The value of ``--name value`` or ``--name=value`` in dbt's arguments."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _project_dir(argv: list[str]) -> Path:
    """dbt's project folder: as dbt finds it (the option, DBT_PROJECT_DIR, else here)."""
    return Path(_option(argv, "--project-dir") or os.environ.get("DBT_PROJECT_DIR") or os.getcwd())


def _vars(argv: list[str]) -> dict:
    """The command line's vars (YAML, as dbt reads them); {} when none or unreadable (dbt
    then says what is wrong with them)."""
    import yaml

    try:
        found = yaml.safe_load(_option(argv, "--vars") or "{}")
    except yaml.YAMLError:
        return {}
    return found if isinstance(found, dict) else {}


def shared_state_path(argv: list[str]) -> Path:
    """Where the parse state of this project for this database name and these vars (but the
    runtime ones) is shared."""
    given = _vars(argv)
    database = Path(str(given.get(WAREHOUSE_VAR) or DEFAULT_WAREHOUSE)).stem
    others = {k: v for k, v in given.items() if k not in RUNTIME_VARS}
    key = "\x00".join([database, json.dumps(others, sort_keys=True, default=str)])
    name = f"{hashlib.sha256(key.encode()).hexdigest()[:16]}.msgpack"
    return _project_dir(argv) / SHARED_STATE / name


def _copy_atomically(source: Path, dest: Path) -> None:
    """Copy under a temporary name, then rename: readers see the old file or the new one."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _target_dir(argv: list[str]) -> Path:
    target = _option(argv, "--target-path") or os.environ.get("DBT_TARGET_PATH") or DEFAULT_TARGET
    return _project_dir(argv) / target  # an absolute target path stays as it is


def _unused(own_state: Path, project_state: Path) -> bool:
    """True when the target folder has no parse state of its own: none, or the copy of the
    project's default target's that dagster-dbt puts into a new target folder (written by
    whichever dbt command last ran without a target path, for any warehouse and vars)."""
    if not own_state.exists():
        return True
    return project_state.exists() and filecmp.cmp(own_state, project_state, shallow=False)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    own_state = _target_dir(argv) / STATE_FILE
    shared = shared_state_path(argv)
    if shared.exists() and _unused(own_state, _project_dir(argv) / DEFAULT_TARGET / STATE_FILE):
        _copy_atomically(shared, own_state)
    seeded = own_state.stat().st_mtime_ns if own_state.exists() else None

    hash_without_path(RUNTIME_VARS)
    from dbt.cli.main import cli

    try:
        cli.main(args=argv, prog_name="dbt")  # exits with dbt's own code
    finally:
        # dbt wrote new parse state (it parsed something): share it
        if own_state.exists() and own_state.stat().st_mtime_ns != seeded:
            _copy_atomically(own_state, shared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
