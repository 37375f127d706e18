"""The public marts: the only tables that leave the warehouse.

They are the dbt models with ``meta: {public: true}`` (dbt_project.yml gives it to every
model in ``dbt/models/marts``, schema ``marts``), read from dbt's manifest; every figure in
them comes from the one publication step ``int_public_figures``, so every figure a
factsheet may not show is NULL in them (the dimensions ``dim_*`` hold no figures). The
factsheets read them, and the snapshot, the Parquet and the CSV files copy exactly these
(docs/architecture.md, "Published snapshot"); the internal models (``intermediate.*``) are
never published.
"""

from __future__ import annotations

from ..transform.commands import models_meta

SCHEMA = "marts"


def _public_marts() -> tuple[str, ...]:
    found = []
    for path, meta in models_meta().items():
        if meta.get("public") is True:
            schema, name = path.split("/")
            if schema != SCHEMA:  # the snapshot, the factsheets and the UI read marts.*
                raise ValueError(f"dbt model {path}: public, but not in schema {SCHEMA}")
            found.append(name)
    return tuple(sorted(found))


PUBLIC_MARTS = _public_marts()
