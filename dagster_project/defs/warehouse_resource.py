"""The warehouse as a Dagster resource, ``kto_warehouse``: how the assets and checks reach DuckDB.

``WarehouseResource`` owns what the Dagster layer needs of the DuckDB file: its path, the
process's lock on it for a step (``lock``: the flock of ``warehouse/lock.py``, its wait
logged), a connection (``open``: ``warehouse.open_warehouse``) and the pool its steps run
in (``POOL``). The domain code below ``defs/`` takes a path and opens it through
``dagster_project.warehouse`` itself, so it runs the same without Dagster.

The path is configured like ``kto_settings``' (``dg.EnvVar("KTO_WAREHOUSE")`` in
definitions.py, run config from ``kto``: ``run_config_of`` sets both), and every step
checks that the two agree (``check``): a run configured with one warehouse for ingest and
dbt and another for this resource fails instead of writing two files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb

from ..settings import DEFAULTS, Settings
from ..warehouse import open_warehouse
from ..warehouse.lock import warehouse_lock

RESOURCE_KEY = "kto_warehouse"  # as the pool: the steps that take it run in it
VARIABLE = "KTO_WAREHOUSE"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse (KTO_WAREHOUSE; relative to the working directory)."""

    # DuckDB has one writer, and a reader holds its file lock too: every step that opens
    # the warehouse runs in this pool (ordered in the UI's queue when dagster.yaml limits it)
    POOL: ClassVar[str] = "kto_warehouse"

    path: str = DEFAULTS[VARIABLE]

    @classmethod
    def from_environment(cls) -> WarehouseResource:
        """The path from KTO_WAREHOUSE (``dg.EnvVar``, read when a run starts) when set here."""
        return cls(path=dg.EnvVar(VARIABLE)) if VARIABLE in os.environ else cls()

    def location(self) -> Path:
        """The warehouse file, resolved as ``Settings`` resolves KTO_WAREHOUSE."""
        return Path(str(self.path)).resolve()

    def check(self, settings: Settings) -> Path:
        """The warehouse file; fails the step when ``kto_settings`` names another one."""
        here = self.location()
        if here != settings.warehouse:
            raise dg.Failure(
                description=f"the warehouse resource is {here}, kto_settings.warehouse is "
                f"{settings.warehouse}: configure both with the same KTO_WAREHOUSE"
            )
        return here

    @contextmanager
    def lock(self, context: dg.OpExecutionContext) -> Iterator[Path]:
        """Hold the warehouse's lock for the block (waited for as long as it takes, the wait
        logged); taken inside the step, after its pool slot. Yields the warehouse file."""
        path = self.location()
        with warehouse_lock(path, on_wait=context.log.info):
            yield path

    @contextmanager
    def open(
        self,
        context: dg.OpExecutionContext,
        *,
        read_only: bool = False,
        wait: float | None = None,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for the block (``open_warehouse``, ``wait`` as there), waits logged."""
        with open_warehouse(
            self.location(), read_only=read_only, wait=wait, on_wait=context.log.info
        ) as con:
            yield con
