"""The public marts: the only tables that leave the warehouse.

They are the dbt models in ``dbt/models/marts`` (schema ``marts``); every figure in them
comes from the one publication step ``int_public_figures``, so every figure a factsheet may
not show is NULL in them (the dimensions ``dim_*`` hold no figures). The factsheets read
them, and the snapshot, the Parquet and the CSV files copy exactly these
(docs/architecture.md, "Published snapshot"); the internal models (``intermediate.*``) are
never published.
"""

PUBLIC_MARTS = (
    "kto_cel",
    "kto_aspect",
    "kto_stelling",
    "kto_product",
    "kto_tip",
    "kto_thema",
    # for BI tools: every figure in one long table, and the dimensions the marts join on
    "kto_figuur",
    "dim_gemeente",
    "dim_periode",
)
