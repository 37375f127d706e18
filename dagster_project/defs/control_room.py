"""What the Dagster UI shows about every asset beyond its lineage: who owns it and how
fresh it must be.

The marts are rebuilt after every nightly ingest (``nightly_ingest`` at 02:00, then
``refresh_after_ingest``). A mart that was not rebuilt for a day is worth a warning (a run
failed, or the schedule is off); after a day and a half it fails its freshness policy, which
the daemon evaluates and the UI shows on the asset and in the asset health overview.
"""

from datetime import timedelta

import dagster as dg

OWNERS = ["team:kto-data"]
MART_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=36), warn_window=timedelta(hours=26)
)


def with_owner_and_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    if spec.key.path[0] == "marts":
        return spec.replace_attributes(owners=OWNERS, freshness_policy=MART_FRESHNESS)
    return spec.replace_attributes(owners=OWNERS)
