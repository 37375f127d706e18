"""The one Definitions object that `dagster dev` and `kto` load.

The dbt assets need dbt's manifest at import time: `dagster dev` builds it
(``prepare_if_dev``), the `kto` command and the tests call
``dbt_commands.prepare_manifest()`` before importing this module.
"""

import dagster as dg

from .defs.automation import JOBS, SCHEDULES, SENSORS
from .defs.control_room import with_owner_and_freshness
from .defs.dbt import dbt_resource, kto_dbt_models
from .defs.disclosure import disclosure_audit
from .defs.executor import STEP_EXECUTOR
from .defs.factsheets import factsheets_pdf_html
from .defs.gate import quality_gate
from .defs.ingest import ingest_landing
from .defs.portal import factsheets_portal
from .defs.publish import marts_snapshot
from .defs.quality import QUALITY_CHECKS
from .defs.settings_resource import RESOURCE_KEY, KtoSettings
from .defs.signals import signals_check
from .defs.warehouse_resource import RESOURCE_KEY as WAREHOUSE_KEY
from .defs.warehouse_resource import WarehouseResource

defs = dg.Definitions(
    assets=dg.map_asset_specs(
        with_owner_and_freshness,
        [
            ingest_landing,
            kto_dbt_models,
            quality_gate,
            factsheets_pdf_html,
            factsheets_portal,
            marts_snapshot,
        ],
    ),
    asset_checks=[*QUALITY_CHECKS, disclosure_audit, signals_check],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
    executor=STEP_EXECUTOR,
    resources={
        "dbt": dbt_resource(),
        RESOURCE_KEY: KtoSettings.from_environment(),
        WAREHOUSE_KEY: WarehouseResource.from_environment(),
    },
)
