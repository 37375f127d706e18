"""The ``kto_settings`` resource agrees with ``Settings.from_env()``, the settings of ``kto``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.settings_resource import (
    FIELDS,
    RESOURCE_KEY,
    KtoSettings,
    run_config_of,
)
from dagster_project.defs.warehouse_resource import RESOURCE_KEY as WAREHOUSE_KEY
from dagster_project.defs.warehouse_resource import WarehouseResource
from dagster_project.settings import Settings

PACKAGE = Path(__file__).resolve().parents[1] / "dagster_project"


@dg.asset
def _seen(kto_settings: KtoSettings, kto_warehouse: WarehouseResource) -> Settings:
    settings = kto_settings.settings()
    kto_warehouse.check(settings)  # as the steps do: the two must name the same warehouse
    return settings


def _run(resource: KtoSettings, run_config: dict | None = None) -> Settings:
    """``resource`` in a job with the resources of definitions.py (the warehouse's from the
    environment, as there), run as ``kto`` runs it with ``run_config``."""
    job = dg.define_asset_job("seen", selection=[_seen])
    resources = {RESOURCE_KEY: resource, WAREHOUSE_KEY: WarehouseResource.from_environment()}
    defs = dg.Definitions(assets=[_seen], jobs=[job], resources=resources)
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


# dbt's modules that are meant to be used from outside: the programmatic entry point, the
# version, and dbt-duckdb's plugin base class (its documented extension point).
PUBLIC_DBT_MODULES = {"dbt.cli.main", "dbt.version", "dbt.adapters.duckdb.plugins"}

# The private mechanisms the package uses, file by file, each with why: only modules of
# dagster_project/compat/, each with a test that fails when its library's pin changes
# (tests/test_compat.py). Listed exactly, so that a new one fails and a removed one is
# taken off the list.
KNOWN_PRIVATE = {
    # the one module for Dagster names without a public export (its docstring says which)
    "compat/dagster_internals.py": {
        "dagster._core.storage.asset_check_execution_record",
        "dagster._core.storage.tags",
        "dagster_shared.check",
        "DagsterInstance.event_log_storage",
    },
    # the warehouse path left out of dbt's manifest state check (dbt has no setting for it)
    "compat/dbt_internals.py": {"dbt.contracts.files", "dbt.parser.manifest"},
    # no `dbt --version` subprocess and no in-process adapter before every dbt command
    "compat/dagster_dbt_internals.py": {
        "DbtCliResource._cli_version",
        "DbtCliResource._initialize_dbt_core_adapter",
    },
}


def _library_class(module: str, name: str) -> type | None:
    import importlib

    if not module.split(".")[0].startswith(("dagster", "dbt")):
        return None
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if isinstance(found, type) else None


# Dagster's own helpers (argument checks and their CheckError): not part of its API.
PRIVATE_DAGSTER_MODULES = {"dagster_shared.check"}
# The storages behind a DagsterInstance: its public methods do not reach them.
INSTANCE_STORAGES = {"event_log_storage", "run_storage", "schedule_storage"}


def _private_module(module: str) -> bool:
    top, *rest = module.split(".")
    if module in PRIVATE_DAGSTER_MODULES:
        return True
    if top.startswith("dagster"):  # dagster, dagster_dbt, dagster_shared, ...
        return any(part.startswith("_") for part in rest)
    return top == "dbt" and module not in PUBLIC_DBT_MODULES


def private_uses(source: str) -> set[str]:
    """The private mechanisms of Dagster, dagster-dbt, dbt and CPython that ``source`` uses:
    modules imported (``dagster._…``, ``dagster_dbt.…._…``, dbt beyond PUBLIC_DBT_MODULES),
    ``ctypes.pythonapi``, a DagsterInstance's storages (``.event_log_storage``), and private
    members of a Dagster or dbt class that a subclass overrides (``Class._member``)."""
    import ast

    tree = ast.parse(source)
    found: set[str] = set()
    imported: dict[str, tuple[str, str]] = {}  # local name -> (module, name)
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules = [node.module]
            for alias in node.names:
                imported[alias.asname or alias.name] = (node.module, alias.name)
                if node.module == "ctypes" and alias.name == "pythonapi":
                    found.add("ctypes.pythonapi")
        elif (
            isinstance(node, ast.Attribute)
            and node.attr == "pythonapi"
            and isinstance(node.value, ast.Name)
            and node.value.id == "ctypes"
        ):
            found.add("ctypes.pythonapi")
        elif isinstance(node, ast.Attribute) and node.attr in INSTANCE_STORAGES:
            found.add(f"DagsterInstance.{node.attr}")
        found.update(module for module in modules if _private_module(module))
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in imported:
                cls = _library_class(*imported[base.id])
            elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
                module = {"dg": "dagster"}.get(base.value.id, base.value.id)
                cls = _library_class(module, base.attr)
            else:
                cls = None
            if cls is None:
                continue
            for item in node.body:
                names = []
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names = [item.name]
                elif isinstance(item, ast.Assign):
                    names = [t.id for t in item.targets if isinstance(t, ast.Name)]
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    names = [item.target.id]
                for name in names:
                    private = name.startswith("_") and not name.endswith("__")
                    if private and hasattr(cls, name):
                        found.add(f"{cls.__name__}.{name}")
    return found


def test_the_private_use_scan_finds_each_kind():
    """The scan below means something: each kind of private use is found, public use not."""
    assert private_uses("from dagster._core.storage.tags import X") == {
        "dagster._core.storage.tags"
    }
    assert private_uses("def f():\n    import dagster._utils.interrupts") == {
        "dagster._utils.interrupts"
    }
    assert private_uses("from dagster_dbt.core._x import y") == {"dagster_dbt.core._x"}
    assert private_uses("import ctypes\nctypes.pythonapi.PyThreadState_SetAsyncExc(1, 2)") == {
        "ctypes.pythonapi"
    }
    assert private_uses("from ctypes import pythonapi") == {"ctypes.pythonapi"}
    assert private_uses("from dagster_shared.check import CheckError") == {"dagster_shared.check"}
    assert private_uses("def f(instance):\n    return instance.event_log_storage") == {
        "DagsterInstance.event_log_storage"
    }
    assert private_uses("from dbt.parser.manifest import ManifestLoader") == {"dbt.parser.manifest"}
    overrides = (
        "from dagster_dbt import DbtCliResource\n"
        "class R(DbtCliResource):\n"
        "    def _initialize_dbt_core_adapter(self, args):\n"
        "        return None\n"
        "    def _own_helper(self):\n"
        "        return None\n"
    )
    assert private_uses(overrides) == {"DbtCliResource._initialize_dbt_core_adapter"}
    public = (
        "import dagster as dg\nimport ctypes\nfrom dbt.cli.main import cli\n"
        "from dbt.version import __version__\nfrom dagster_dbt import DbtCliResource\n"
        "from dbt.adapters.duckdb.plugins import BasePlugin\nlibc = ctypes.CDLL(None)\n"
    )
    assert private_uses(public) == set()


def test_assets_take_settings_from_the_resource_and_private_mechanisms_stay_known():
    from_env, private = [], {}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(PACKAGE).as_posix()
        resource = name == "defs/settings_resource.py"  # builds Settings from its fields
        if name.startswith("defs/") and not resource and "Settings.from_env(" in text:
            from_env.append(name)
        if uses := private_uses(text):
            private[name] = uses
    assert from_env == []
    assert private == KNOWN_PRIVATE
