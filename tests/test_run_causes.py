"""`kto run` names the cause of every failure in its own output (issue 21): settings that
cannot work are refused before any work (exit 2, the setting named); a step that fails
prints the first line of the real error (a damaged warehouse, a full disk), not Dagster's
wrapper or "dbt build exited with code 1"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_samples

ROOT = Path(__file__).resolve().parents[1]


def kto_run(root: Path, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTO_")}
    env.update(
        KTO_LANDING_DIR=str(root / "landing"),
        KTO_WAREHOUSE=str(root / "warehouse.duckdb"),
        KTO_OUTPUT_DIR=str(root / "output"),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.parametrize(
    "setting, make, says",
    [
        ("DAGSTER_HOME", "file", "is a file, expected the folder of the Dagster instance"),
        ("KTO_OUTPUT_DIR", "file", "is a file, expected a folder"),
        ("KTO_WAREHOUSE", "folder", "is a folder, expected a DuckDB file"),
        ("KTO_WAREHOUSE", "empty", "KTO_WAREHOUSE is set but empty: expected a path"),
        ("KTO_OUTPUT_DIR", "empty", "KTO_OUTPUT_DIR is set but empty: expected a path"),
    ],
)
def test_a_setting_that_cannot_work_is_refused_before_any_work(tmp_path, setting, make, says):
    (tmp_path / "landing").mkdir()
    shutil.copytree(
        ROOT / "tests" / "fixtures" / "samples" / "inviter", tmp_path / "landing" / "inviter"
    )
    path = tmp_path / "given"
    if make == "file":
        path.write_text("not a folder\n")
    elif make == "folder":
        path.mkdir()
    value = "" if make == "empty" else str(path)
    run = kto_run(tmp_path, **{setting: value})
    assert run.returncode == 2, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()  # one line, no traceback
    assert line.startswith("kto run: ") and says in line
    if make != "empty":
        assert f"{setting}={path}" in line
    assert run.stdout == ""
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "output").exists()
    assert not (tmp_path / "dagster_home").exists()  # no run was started anywhere


@pytest.mark.slow
def test_a_damaged_warehouse_is_named_with_duckdbs_error(tmp_path):
    copy_samples(tmp_path / "landing")
    (tmp_path / "warehouse.duckdb").write_bytes(b"this is not a DuckDB file\n" * 1000)
    run = kto_run(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    failed = next(line for line in run.stdout.splitlines() if "step ingest_landing failed:" in line)
    assert "DagsterExecutionStepExecutionError" not in failed
    assert "Error occurred while executing" not in failed
    assert "not a valid DuckDB database file" in failed, failed


def small_disk(path: Path, options: str) -> bool:
    """A tmpfs mounted with ``options`` at ``path`` (root only); False where it cannot be."""
    path.mkdir(parents=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    return done.returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "options, cause",
    [("size=1m", "No space left on device"), ("ro,size=1m", "Read-only file system")],
    ids=["full", "read-only"],
)
def test_an_output_folder_that_cannot_be_written_is_named(tmp_path, options, cause):
    copy_samples(tmp_path / "landing")
    output = tmp_path / "output"
    if not small_disk(output, options):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        run = kto_run(tmp_path)
    finally:
        subprocess.run(["umount", "-l", str(output)], check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    failed = [line for line in run.stdout.splitlines() if " failed: " in line]
    assert failed, run.stdout
    assert all(cause in line for line in failed), failed
    assert "DagsterExecutionStepExecutionError" not in run.stdout


@pytest.mark.slow
def test_a_full_warehouse_disk_is_named_with_the_database_error_from_dbt(tmp_path):
    """The warehouse on a 5 MiB disk: the samples' raw layer fits, dbt's marts do not. dbt's
    log there is empty or cut short; kto run prints the database's error from dbt's
    run_results.json, not "dbt build exited with code 1" alone."""
    copy_samples(tmp_path / "landing")
    disk = tmp_path / "disk"
    if not small_disk(disk, "size=5m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        run = kto_run(tmp_path, KTO_WAREHOUSE=str(disk / "warehouse.duckdb"))
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    failed = next(line for line in run.stdout.splitlines() if " failed: " in line)
    assert failed.startswith("  step kto_dbt_models failed: dbt build exited with code 1: "), (
        run.stdout
    )
    assert "No space left on device" in failed, failed
