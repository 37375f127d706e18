"""The wheel carries every file the installed code reads: the dbt project, the GX suites
and the templates (dagster_project/domain/project_files.py finds the first two in an install)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _project_files(folder: str, pattern: str) -> set[str]:
    return {p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).glob(pattern)}


def _source_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked, and new ones not ignored), without the
    build/ folder setuptools leaves behind and never cleans: a stale build/ would put modules
    removed since into the wheel."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():  # a tracked file deleted in the working tree is left out
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def test_the_wheel_holds_the_dbt_project_suites_and_templates(tmp_path):
    source = _source_copy(tmp_path / "src")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("kto_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # every module in the wheel is one the checkout holds
    data = "dagster_project/_data/"
    # (the dbt project's Python models under _data/ are data: dbt reads them, nothing imports)
    modules = {
        n
        for n in names
        if n.startswith("dagster_project/") and n.endswith(".py") and not n.startswith(data)
    }
    assert modules and all((ROOT / n).is_file() for n in modules), sorted(
        n for n in modules if not (ROOT / n).is_file()
    )
    assert f"{data}dbt/dbt_project.yml" in names
    assert f"{data}dbt/profiles.yml" in names
    for pattern in (
        "models/**/*.sql",
        "models/**/*.py",
        "models/**/*.yml",
        "macros/*.sql",
        "tests/**/*.sql",
    ):
        wanted = _project_files("dbt", pattern)
        assert wanted, pattern
        assert {f"{data}dbt/{name}" for name in wanted} <= names, pattern
    suites = _project_files("expectations", "*.json")
    assert suites and {f"{data}expectations/{name}" for name in suites} <= names
    for package in ("factsheets", "portal"):
        templates = _project_files(f"dagster_project/{package}/templates", "*")
        assert templates
        assert {f"dagster_project/{package}/templates/{t}" for t in templates} <= names
    assert not any("/target/" in name or "/logs/" in name for name in names)
    # data the installed code reads beside its modules
    assert "dagster_project/themes/taxonomy.yml" in names
    # the demo generator and the bench are development tools (devtools/), not production
    assert not any(name.startswith("kto_devtools/") for name in names)
    assert not any(
        name.startswith(("dagster_project/demo/", "dagster_project/bench/")) for name in names
    )


def test_the_runtime_package_needs_no_development_tools():
    """Only `kto demo` and `kto bench` reach for kto_devtools, and say so when it is missing."""
    package = ROOT / "dagster_project"
    users = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "kto_devtools" in path.read_text(encoding="utf-8")
    )
    assert users == ["cli/__init__.py"]
