"""The thin Dagster layer: assets, checks, resources and automation that call the domain code."""
