"""The definitions load where no `kto` command has prepared dbt's manifest: a fresh clone,
or a webserver and a daemon deployed as two services."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _checkout_without_a_manifest(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__")
    for folder in ("dagster_project", "dbt", "expectations"):
        shutil.copytree(ROOT / folder, checkout / folder, ignore=ignore)
    for name in ("workspace.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, checkout)
    assert not (checkout / "dbt" / "target" / "manifest.json").exists()
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),  # this copy, not the installed checkout
        "DAGSTER_HOME": str(tmp_path / "home"),
        "KTO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # dg finds this Python
        "VIRTUAL_ENV": str(bin_dir.parent),
    }
    (tmp_path / "home").mkdir()
    return checkout, env


def _run(command: list[str], checkout: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (checkout / "dbt" / "target" / "manifest.json").is_file()


def test_dagster_definitions_validate_in_a_checkout_without_a_manifest(tmp_path):
    checkout, env = _checkout_without_a_manifest(tmp_path)
    command = [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"]
    _run(command, checkout, env)


def test_dg_check_defs_in_a_checkout_without_a_manifest(tmp_path):
    """dg (dagster-dg-cli, pinned with Dagster) reads the project from [tool.dg]."""
    checkout, env = _checkout_without_a_manifest(tmp_path)
    _run([str(Path(sys.executable).parent / "dg"), "check", "defs"], checkout, env)
