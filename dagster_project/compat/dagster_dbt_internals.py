"""The dagster-dbt internals the project overrides (written for dagster-dbt 0.29.27).

dagster-dbt's ``DbtCliResource`` does two things before every dbt command that a run of
this project does not need, and offers no setting to turn them off:

- ``_cli_version``: runs ``dbt --version`` in a subprocess (which also looks up the latest
  release on PyPI: seconds, and a network call from the pipeline) to learn dbt's version;
  the installed dbt-core's version (pinned in pyproject.toml) is the same answer;
- ``_initialize_dbt_core_adapter``: loads dbt's adapter and macros in this process, for
  ``fetch_row_counts()`` and column metadata, which the project reads itself after dbt has
  released the warehouse (``defs/dbt.py``, ``with_table_metadata``).

``tests/test_compat.py`` fails when the installed dagster-dbt is not the version these
overrides were written for, or when either hook is gone from ``DbtCliResource``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

from dagster_dbt import DbtCliResource
from dbt.version import __version__ as dbt_core_version
from packaging import version

WRITTEN_FOR = "0.29.27"  # the dagster-dbt version whose internals these overrides replace
OVERRIDDEN = ("_cli_version", "_initialize_dbt_core_adapter")


class LeanDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without the ``dbt --version`` subprocess and the in-process adapter."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_core_version)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None
