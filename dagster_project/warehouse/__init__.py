"""The DuckDB warehouse: how it is opened (connection.py), its lock (lock.py) and what its
catalog holds (catalog.py)."""

from .connection import open_file, open_warehouse

__all__ = ["open_file", "open_warehouse"]
