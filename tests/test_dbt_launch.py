"""kto-dbt: dbt's parse state shared between warehouses of the same database name.

Each case runs ``kto-dbt parse`` in its own target folder and reads dbt's own log for how
it parsed. dbt internals are patched there (dagster_project/transform/launch.py): these fail if
dbt moves them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.transform import launch as dbt_launch
from dagster_project.transform.commands import DBT_PROJECT_DIR, dbt_executable

# vars of their own, so no other test's runs share this state
OWN_VARS = "test_severity: warn, kto_dbt_launch_test: 1"
FULL = "Starting full parse"
REUSED = "Partial parsing enabled"


def _vars(warehouse: str, build_key: str = "k1") -> str:
    """The vars as the pipeline gives them: the warehouse and the build key among them."""
    return f"{{{OWN_VARS}, warehouse: '{warehouse}', build_key: {build_key}}}"


def _parse(
    root: Path, warehouse: str, project: Path = DBT_PROJECT_DIR, build_key: str = "k1"
) -> str:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    run = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--vars",
            _vars(str(root / warehouse), build_key),
            "--project-dir",
            str(project),
            "--target-path",
            str(root / "target"),
            "--log-path",
            str(root / "logs"),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return (root / "logs" / "dbt.log").read_text()


def _shared(warehouse: str) -> Path:
    argv = ["--vars", _vars(f"x/{warehouse}", "another"), "--project-dir", str(DBT_PROJECT_DIR)]
    return dbt_launch.shared_state_path(argv)


@pytest.fixture
def shared_state():
    """The project's shared state for these vars, removed before and after."""
    paths = [_shared("warehouse.duckdb"), _shared("elsewhere.duckdb")]
    for path in paths:
        path.unlink(missing_ok=True)
    yield paths[0]
    for path in paths:
        path.unlink(missing_ok=True)


def test_the_pipeline_runs_dbt_through_kto_dbt():
    assert Path(dbt_executable()).name == "kto-dbt"
    assert Path(dbt_executable()).parent == Path(sys.executable).parent


def test_a_new_warehouse_reuses_the_parse_of_another_with_the_same_name(tmp_path, shared_state):
    first = _parse(tmp_path / "a", "warehouse.duckdb")
    assert FULL in first
    assert shared_state.is_file()

    # another folder, another path, same database name, another build key: dbt's own
    # check passes
    second = _parse(tmp_path / "b", "warehouse.duckdb", build_key="k2")
    assert FULL not in second
    assert REUSED in second
    assert (tmp_path / "b" / "target" / "manifest.json").is_file()


def test_other_vars_parse_anew(tmp_path, shared_state):
    """A var other than the warehouse and the build key may change what dbt parses."""
    _parse(tmp_path / "a", "warehouse.duckdb")
    other = tmp_path / "b"
    env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    vars_ = f"{{{OWN_VARS}, warehouse: '{other / 'warehouse.duckdb'}', min_respondents: 5}}"
    argv = ["parse", "--quiet", "--vars", vars_, "--project-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(other / "target"), "--log-path", str(other / "logs")]  # fmt: skip
    run = subprocess.run([dbt_executable(), *argv], cwd=DBT_PROJECT_DIR, env=env, check=False)
    assert run.returncode == 0
    assert FULL in (other / "logs" / "dbt.log").read_text()
    dbt_launch.shared_state_path(argv).unlink(missing_ok=True)


def test_another_database_name_parses_anew(tmp_path, shared_state):
    _parse(tmp_path / "a", "warehouse.duckdb")
    other = _parse(tmp_path / "b", "elsewhere.duckdb")
    assert FULL in other


def test_a_changed_model_is_parsed_again_from_shared_state(tmp_path):
    # a copy of the project (its shared state is its own), so the change touches no other
    # test's files
    project = tmp_path / "project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    _parse(tmp_path / "a", "warehouse.duckdb", project)
    model = project / "models" / "marts" / "dim_gemeente.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    again = _parse(tmp_path / "b", "warehouse.duckdb", project)
    assert FULL not in again
    assert "1 files changed" in again


def test_a_damaged_shared_state_costs_a_full_parse_not_the_run(tmp_path, shared_state):
    shared_state.parent.mkdir(parents=True, exist_ok=True)
    shared_state.write_bytes(b"\x00 not msgpack")
    log = _parse(tmp_path / "a", "warehouse.duckdb")  # dbt exits 0 (asserted there)
    assert "Failed to load parsed file from disk" in log  # so it parsed everything
    assert (tmp_path / "a" / "target" / "manifest.json").is_file()
    assert shared_state.read_bytes() != b"\x00 not msgpack"  # replaced by the new state
    # and the next new warehouse starts from that state
    assert REUSED in _parse(tmp_path / "b", "warehouse.duckdb")
