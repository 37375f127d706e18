"""The ``kto_settings`` resource agrees with ``Settings.from_env()``, the settings of ``kto``."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.settings_resource import (
    FIELDS,
    RESOURCE_KEY,
    KtoSettings,
    run_config_of,
)
from dagster_project.settings import Settings

PACKAGE = Path(__file__).resolve().parents[1] / "dagster_project"


@dg.asset
def _seen(kto_settings: KtoSettings) -> Settings:
    return kto_settings.settings()


def _run(resource: KtoSettings, run_config: dict | None = None) -> Settings:
    job = dg.define_asset_job("seen", selection=[_seen])
    defs = dg.Definitions(assets=[_seen], jobs=[job], resources={RESOURCE_KEY: resource})
    result = defs.resolve_job_def("seen").execute_in_process(run_config=run_config or {})
    return result.output_for_node("_seen")


@pytest.fixture
def clean_env(monkeypatch):
    for name in FIELDS.values():
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_the_documented_ones(clean_env):
    assert _run(KtoSettings.from_environment()) == Settings.from_env()
    assert Settings.from_env().size_classes is None


def test_environment_is_read_when_the_run_starts(clean_env, tmp_path):
    clean_env.setenv("KTO_WAREHOUSE", "w.duckdb")
    clean_env.setenv("KTO_MIN_RESPONDENTS", "7")
    resource = KtoSettings.from_environment()  # as definitions.py builds it
    clean_env.setenv("KTO_WAREHOUSE", str(tmp_path / "later.duckdb"))
    clean_env.setenv("KTO_MIN_RESPONDENTS", "12")
    clean_env.setenv("KTO_SIZE_CLASSES", "")
    seen = _run(resource)
    assert seen == Settings.from_env()
    assert (seen.warehouse, seen.min_respondents) == (tmp_path / "later.duckdb", 12)


def test_kto_passes_its_own_settings(clean_env, tmp_path):
    """``kto`` passes its Settings as run config: they win over the resource's values."""
    clean_env.setenv("KTO_MIN_RESPONDENTS", "7")
    resource = KtoSettings.from_environment()
    wanted = Settings.from_env(
        {
            "KTO_LANDING_DIR": str(tmp_path / "landing"),
            "KTO_WAREHOUSE": str(tmp_path / "w.duckdb"),
            "KTO_OUTPUT_DIR": str(tmp_path / "out"),
            "KTO_MIN_RESPONDENTS": "15",
            "KTO_BENCHMARK_METHOD": "respondenten",
            "KTO_SIZE_CLASSES": str(tmp_path / "klassen.csv"),
            "KTO_GEMEENTECODES": "strikt",
            "KTO_PUBLICATIE": "eigen",
        }
    )
    assert (wanted.gemeentecodes, wanted.publicatie) == ("strikt", "eigen")
    assert _run(resource, run_config_of(wanted)) == wanted


def test_invalid_settings_fail_as_in_kto(clean_env):
    with pytest.raises(Exception) as failed:  # Dagster's step error, caused by Settings'
        _run(KtoSettings(benchmark_method="iedereen"))
    causes = [failed.value, failed.value.__cause__]
    assert any("KTO_BENCHMARK_METHOD='iedereen'" in str(c) for c in causes), causes
    with pytest.raises(Exception) as failed:
        _run(KtoSettings(gemeentecodes="streng"))
    causes = [failed.value, failed.value.__cause__]
    assert any("KTO_GEMEENTECODES='streng'" in str(c) for c in causes), causes
    with pytest.raises(Exception) as failed:
        _run(KtoSettings(publicatie="gesloten"))
    causes = [failed.value, failed.value.__cause__]
    assert any("KTO_PUBLICATIE='gesloten'" in str(c) for c in causes), causes


def test_the_publication_setting_is_read_when_the_run_starts(clean_env):
    resource = KtoSettings.from_environment()
    clean_env.setenv("KTO_PUBLICATIE", "eigen")
    assert _run(KtoSettings.from_environment()).publicatie == "eigen"
    assert _run(resource).publicatie == "open"  # not set when the definitions were loaded


def test_assets_take_settings_from_the_resource_and_dagster_internals_stay_in_one_place():
    from_env, private = [], []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(PACKAGE).as_posix()
        resource = name == "defs/settings_resource.py"  # builds Settings from its fields
        if name.startswith("defs/") and not resource and "Settings.from_env(" in text:
            from_env.append(name)
        if re.search(r"^\s*(from|import) dagster\._", text, re.MULTILINE):
            private.append(name)
    assert from_env == []
    assert private == ["compat/dagster_internals.py"]
