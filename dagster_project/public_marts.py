"""The public marts: the only tables that leave the warehouse.

They are the dbt models in ``dbt/models/marts`` (schema ``marts``), built from the one
publication step ``int_public_figures``: every figure a factsheet may not show is NULL in
them. The factsheets read them, and the snapshot and the Parquet files copy exactly these
(docs/architecture.md, "Published snapshot"); the internal models (``intermediate.*``)
are never published.
"""

PUBLIC_MARTS = ("kto_cel", "kto_aspect", "kto_stelling", "kto_product", "kto_tip")
