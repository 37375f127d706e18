"""The DuckDB warehouse: its lock and what its catalog holds."""
