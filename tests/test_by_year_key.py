"""The build key of the models built by year (dagster_project/transform/by_year.py) changes with
everything their rows depend on besides the data."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dagster_project
from dagster_project.domain.project_files import project_dir
from dagster_project.settings import SETTINGS, Settings
from dagster_project.transform import by_year as dbt_build_key
from dagster_project.transform.by_year import UDF_MODULES, build_key, dbt_vars
from dagster_project.transform.commands import (
    DBT_PROJECT_DIR,
    dbt_env,
    dbt_executable,
    with_vars,
)


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


def test_the_key_leaves_out_where_the_warehouse_is(tmp_path: Path):
    here = Settings.from_env({"KTO_WAREHOUSE": str(tmp_path / "a" / "warehouse.duckdb")})
    there = Settings.from_env({"KTO_WAREHOUSE": str(tmp_path / "b" / "elders.duckdb")})
    assert build_key(here) == build_key(there)


SETTINGS_SQL = (
    "select {{ min_respondents() }} as drempel, '{{ benchmark_method() }}' as methode,"
    " '{{ gemeentecodes() }}' as codes, '{{ size_classes_path() }}' as klassen,"
    " '{{ dbt_build_key() }}' as sleutel"
)


def _compiled(args: list[str]) -> list[str]:
    """What dbt's settings macros give under ``args``: dbt's own compile, in dbt/."""
    run = subprocess.run(
        [dbt_executable(), "compile", "--quiet", "--inline", SETTINGS_SQL, *args],
        cwd=DBT_PROJECT_DIR,
        env=dbt_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return re.findall(r"(?:select |, )'?([^',]*)'? as \w+", run.stdout)


def test_the_settings_reach_dbt_as_vars(tmp_path: Path):
    """The pipeline's vars (Settings.dbt_vars and the build key) are what dbt's macros read;
    dbt run by hand, without them, takes the defaults of the settings table."""
    classes = tmp_path / "klassen.csv"
    classes.write_text("gemeentecode;grootteklasse\nGM0014;groot\n")
    settings = Settings.from_env(
        {
            "KTO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
            "KTO_MIN_RESPONDENTS": "7",
            "KTO_BENCHMARK_METHOD": "respondenten",
            "KTO_GEMEENTECODES": "strikt",
            "KTO_SIZE_CLASSES": str(classes),
        }
    )
    args = with_vars(["--vars", "{test_severity: warn}"], dbt_vars(settings))
    assert json.loads(args[-1])["test_severity"] == "warn"  # a caller's own vars stay
    assert _compiled(args) == ["7", "respondenten", "strikt", str(classes), build_key(settings)]
    defaults = {s.variable: s.default for s in SETTINGS}
    by_hand = _compiled(["--vars", f"{{warehouse: '{tmp_path / 'by_hand.duckdb'}'}}"])
    assert by_hand == [
        defaults["KTO_MIN_RESPONDENTS"],
        defaults["KTO_BENCHMARK_METHOD"],
        defaults["KTO_GEMEENTECODES"],
        "None",  # no size-class file
        "",  # no build key: every year is rebuilt
    ]
