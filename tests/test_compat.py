"""The pins of dagster_project/compat/'s Dagster, dagster-dbt and dbt-core workarounds.

Each workaround reaches into a library's internals, so each was written for one version.
These tests fail when the installed version is another one (a pin changed in
pyproject.toml): read the module named in the failure, check that the internal it names
still exists and does the same, then move its ``WRITTEN_FOR`` on.
"""

from __future__ import annotations

from importlib.metadata import version

from dagster_project.compat import dagster_dbt_internals, dagster_internals, dbt_internals


def test_dagster_dbt_pin_of_the_dbt_cli_resource_overrides():
    """Guards compat/dagster_dbt_internals.py: ``DbtCliResource._cli_version`` (no ``dbt
    --version`` subprocess) and ``DbtCliResource._initialize_dbt_core_adapter`` (no adapter
    loaded in-process) are dagster-dbt internals of the pinned version."""
    from dagster_dbt import DbtCliResource

    assert version("dagster-dbt") == dagster_dbt_internals.WRITTEN_FOR, (
        "dagster-dbt changed: check DbtCliResource._cli_version and "
        "_initialize_dbt_core_adapter (compat/dagster_dbt_internals.py)"
    )
    for name in dagster_dbt_internals.OVERRIDDEN:
        assert name in vars(DbtCliResource), f"DbtCliResource.{name} is gone"
        assert name in vars(dagster_dbt_internals.LeanDbtCliResource)


def test_dbt_core_pin_of_the_manifest_state_check_patch():
    """Guards compat/dbt_internals.py: ``ManifestLoader.build_manifest_state_check`` of
    ``dbt.parser.manifest`` and ``FileHash`` of ``dbt.contracts.files`` (the warehouse path
    left out of dbt's profile hash, so parse state is shared between warehouses)."""
    from dbt.contracts.files import FileHash
    from dbt.parser.manifest import ManifestLoader
    from dbt.version import __version__

    assert __version__ == dbt_internals.WRITTEN_FOR, (
        "dbt-core changed: check ManifestLoader.build_manifest_state_check and "
        "FileHash.from_contents (compat/dbt_internals.py)"
    )
    assert callable(ManifestLoader.build_manifest_state_check)
    assert callable(FileHash.from_contents)


def test_dagster_pin_of_the_check_history_and_pool_slots():
    """Guards compat/dagster_internals.py: the run tags of a partition range, the statuses of
    a finished check execution, and the event log storage's readers of check records and
    pool slots (``DagsterInstance`` exports none of them)."""
    import dagster as dg

    assert version("dagster") == dagster_internals.WRITTEN_FOR, (
        "dagster changed: check the names and the event log storage methods listed in "
        "compat/dagster_internals.py's docstring"
    )
    instance = dg.DagsterInstance.ephemeral()
    storage = instance.event_log_storage
    for method in (
        "get_latest_asset_check_execution_by_key",
        "get_asset_check_execution_history",
        "get_concurrency_run_ids",
        "free_concurrency_slots_for_run",
        "get_concurrency_keys",
        "get_concurrency_info",
    ):
        assert callable(getattr(storage, method, None)), f"event log storage lost {method}"
    key = dg.AssetCheckKey(dg.AssetKey("a"), "b")
    assert dagster_internals.latest_check_records(instance, [key]) == {}
    assert dagster_internals.check_history(instance, key, 3) == []
