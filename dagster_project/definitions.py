"""The one Definitions object that `dagster dev` and `kto` load."""

import dagster as dg

from .defs.automation import JOBS, SCHEDULES, SENSORS
from .defs.ingest import ingest_landing

defs = dg.Definitions(
    assets=[ingest_landing],
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
)
