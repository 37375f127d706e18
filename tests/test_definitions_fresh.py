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


def test_dagster_definitions_validate_in_a_checkout_without_a_manifest(tmp_path):
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__")
    for folder in ("dagster_project", "dbt", "expectations"):
        shutil.copytree(ROOT / folder, checkout / folder, ignore=ignore)
    shutil.copy(ROOT / "workspace.yaml", checkout)
    assert not (checkout / "dbt" / "target" / "manifest.json").exists()
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),  # this copy, not the installed checkout
        "DAGSTER_HOME": str(tmp_path / "home"),
        "KTO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
    }
    (tmp_path / "home").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (checkout / "dbt" / "target" / "manifest.json").is_file()
