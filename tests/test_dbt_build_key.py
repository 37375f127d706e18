"""The build key of the models built by year (dagster_project/transform/build_key.py) changes with
everything their rows depend on besides the data."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dagster_project
from dagster_project.domain.project_files import project_dir
from dagster_project.settings import Settings
from dagster_project.transform import build_key as dbt_build_key
from dagster_project.transform.build_key import UDF_MODULES, build_key


@pytest.fixture
def dbt_copy(tmp_path: Path, monkeypatch) -> Path:
    copy = tmp_path / "dbt"
    shutil.copytree(project_dir("dbt"), copy, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(dbt_build_key, "project_dir", lambda name: copy)
    return copy


def test_the_key_follows_the_models_and_macros(dbt_copy: Path):
    settings = Settings.from_env({})
    before = build_key(settings)
    assert build_key(settings) == before
    macro = dbt_copy / "macros" / "statistics.sql"
    macro.write_text(macro.read_text() + "\n")
    after_macro = build_key(settings)
    model = dbt_copy / "models" / "intermediate" / "int_cells.sql"
    model.write_text(model.read_text() + "\n")
    after_model = build_key(settings)
    assert len({before, after_macro, after_model}) == 3
    # the data tests judge rows, they do not make them
    (dbt_copy / "tests" / "extra.sql").write_text("select 1 where false\n")
    assert build_key(settings) == after_model


def test_the_key_follows_the_settings(tmp_path: Path):
    classes = tmp_path / "klassen.csv"
    classes.write_text("gemeentecode;grootteklasse\nGM0014;groot\n")
    keys = {
        build_key(Settings.from_env(env))
        for env in (
            {},
            {"KTO_MIN_RESPONDENTS": "5"},
            {"KTO_BENCHMARK_METHOD": "respondenten"},
            {"KTO_SIZE_CLASSES": str(classes)},
        )
    }
    classes.write_text("gemeentecode;grootteklasse\nGM0014;klein\n")
    keys.add(build_key(Settings.from_env({"KTO_SIZE_CLASSES": str(classes)})))
    assert len(keys) == 5


def test_the_key_covers_the_python_dbt_runs():
    """Every module of this package that dbt's plugin loads is hashed into the key."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, dagster_project.transform.plugin; "
            "print('\\n'.join(m for m in sys.modules if m.startswith('dagster_project.')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    package = Path(dagster_project.__file__).parent
    files = {
        Path(spec.origin).relative_to(package).as_posix()
        for spec in map(importlib.util.find_spec, loaded)
    }
    assert files == set(UDF_MODULES)
