"""``KTO_PUBLICATIE=eigen``: a publication per municipality, holding its own rows only.

Inside a version (``.published/{version}/``) beside the complete snapshot, each
municipality of ``dim_gemeente`` gets ``gemeenten/{gemeentecode}/marts.duckdb`` and
``gemeenten/{gemeentecode}/marts/{table}.parquet`` and ``.csv``: the same tables, columns,
types and comments, with only the rows of that ``gemeentecode``. A row of a municipality
carries the benchmarks (national and size-class) as columns, so its own rows are its
figures and the BM, never another municipality's. ``dim_periode`` holds no municipality
and is copied whole; every other public table must have a ``gemeentecode`` column, or the
publication fails rather than copy a table it cannot split.

The public paths are links through ``.published/current``, as the complete snapshot's
are under ``open``, so one rename switches every municipality's files together::

    gemeenten/GM0637/marts.duckdb -> ../../.published/current/gemeenten/GM0637/marts.duckdb
    gemeenten/GM0637/marts        -> ../../.published/current/gemeenten/GM0637/marts

The dbt docs page is not copied into a municipality's folder: it documents the whole
project (its tests name example municipalities); the descriptions travel with the
snapshot's comments and the Parquet metadata.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from ..compat.sqlalchemy_reflection import add_reflection_types
from ..warehouse import open_file
from .excel_csv import write_excel_csv
from .snapshot_tables import copy_to_parquet, create_like, ident, literal, read_contract

GEMEENTEN = "gemeenten"  # the folder of the municipalities' folders, in KTO_OUTPUT_DIR
SHARED_TABLES = ("dim_periode",)  # no municipality in them: copied whole
KEY = "gemeentecode"
LINKED = ("marts.duckdb", "marts")  # a municipality's published paths
CODE = re.compile(r"^[A-Za-z0-9_-]+$")  # a gemeentecode safe as a folder name


def gemeentecodes(snapshot: Path) -> list[str]:
    """Every municipality of the complete snapshot's ``dim_gemeente``."""
    with open_file(snapshot, read_only=True) as con:
        codes = [
            r[0] for r in con.execute(f"SELECT {KEY} FROM main.dim_gemeente ORDER BY 1").fetchall()
        ]
    for code in codes:
        if not CODE.match(code):
            raise ValueError(f"gemeentecode {code!r}: not usable as a folder name")
    return codes


def _rows_of(table: str, columns: set[str], code: str) -> str:
    """The source of one municipality's rows of ``table`` in the attached snapshot ``alles``."""
    source = f"alles.main.{ident(table)}"
    if table in SHARED_TABLES:
        return source
    if KEY not in columns:
        raise ValueError(f"{table}: no {KEY} column, cannot be published per municipality")
    return f"(SELECT * FROM {source} WHERE {KEY} = {literal(code)}) AS eigen"


def write_gemeenten(folder: Path, tables: tuple[str, ...]) -> tuple[list[str], list[Path]]:
    """Write ``folder/gemeenten/{code}/`` for every municipality of the version's complete
    snapshot ``folder/marts.duckdb``; the codes and the files written (to be fsynced)."""
    snapshot = folder / "marts.duckdb"
    codes = gemeentecodes(snapshot)
    written: list[Path] = []
    for code in codes:
        own = folder / GEMEENTEN / code
        (own / "marts").mkdir(parents=True)
        with open_file(own / "marts.duckdb") as con:
            con.execute(f"ATTACH {literal(str(snapshot))} AS alles (READ_ONLY)")
            for table in tables:
                contract = read_contract(con, "alles", "main", table)
                names = {c.name for c in contract.columns}
                create_like(con, contract, _rows_of(table, names, code))
                copy_to_parquet(con, contract, f"{own / 'marts' / table}.parquet")
                write_excel_csv(con, contract, own / "marts" / f"{table}.csv")
            con.execute("DETACH alles")
            add_reflection_types(con)
        written += [own / "marts.duckdb", *(own / "marts").iterdir()]
    return codes, written


def link_gemeenten(output_dir: Path, codes: list[str], published: str, current: str) -> None:
    """Point each municipality's public paths through ``{published}/{current}``."""
    for code in codes:
        own = output_dir / GEMEENTEN / code
        own.mkdir(parents=True, exist_ok=True)
        for name in LINKED:
            link = own / name
            target = f"../../{published}/{current}/{GEMEENTEN}/{code}/{name}"
            if link.is_symlink() and os.readlink(link) == target:
                continue
            if link.exists() and not link.is_symlink():
                raise FileExistsError(f"{link}: not a link of the pipeline's, left alone")
            tmp = own / f".{name}.{os.getpid()}.tmp"
            tmp.unlink(missing_ok=True)
            os.symlink(target, tmp)
            os.replace(tmp, link)


def unlink_gemeenten(output_dir: Path, keep: tuple[str, ...] = ()) -> list[str]:
    """Remove the published links of every municipality not in ``keep`` (all of them under
    ``open``), and each municipality's folder (and ``gemeenten/``) that is left empty."""
    root = output_dir / GEMEENTEN
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for own in sorted(root.iterdir()):
        if own.name in keep or not own.is_dir() or own.is_symlink():
            continue
        for name in LINKED:
            if (own / name).is_symlink():
                (own / name).unlink()
                removed.append(str((own / name).relative_to(output_dir)))
        remove_if_empty(own)
    remove_if_empty(root)
    return removed


def remove_if_empty(folder: Path) -> None:
    # not empty (the portal's pages, someone's file) or already gone: left
    with contextlib.suppress(OSError):
        folder.rmdir()
