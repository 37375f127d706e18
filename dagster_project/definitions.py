"""The one Definitions object that `dagster dev` and `kto` load."""

import dagster as dg

defs = dg.Definitions(assets=[])
