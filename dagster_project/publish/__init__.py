"""Publishing the marts for BI tools: Parquet files and a read-only DuckDB snapshot.

BI tools never read the warehouse the pipeline writes (DuckDB has one writer,
and a reader would block the next run). Every publication is a complete folder
``KTO_OUTPUT_DIR/.published/{version}/`` (``marts.duckdb``, ``marts/{table}.parquet``,
``marts/{table}.csv`` and, from the pipeline, ``docs/index.html``), written in full before
anyone can see it, and then switched in with one atomic rename of the pointer
``.published/current`` (a symbolic link to the version). The public paths are fixed links
through that pointer::

    KTO_OUTPUT_DIR/marts.duckdb -> .published/current/marts.duckdb
    KTO_OUTPUT_DIR/marts        -> .published/current/marts
    KTO_OUTPUT_DIR/docs         -> .published/current/docs

so all published files change together: a reader sees the previous publication or
the new one, never a mix, and a reader that holds a file open keeps reading it.
The previous version is kept (a reader may be in the middle of it); older ones,
versions a killed run left half-written and temporary files are removed by the
next publication.

A version stores the fingerprint of what it holds (dagster_project/publish/fingerprint.py);
``unchanged_publication`` tells the publish step that the marts hold exactly what the current
version holds, and then no new version is written.

The snapshot's tables are declared from the marts' contract (types, NOT NULL) and carry
their dbt descriptions as comments (dagster_project/publish/snapshot_tables.py); the Parquet and
CSV files are written from them (dagster_project/publish/excel_csv.py for the CSV).

Under ``KTO_PUBLICATIE=eigen`` a version also holds a publication per municipality
(dagster_project/publish/per_gemeente.py), linked as ``KTO_OUTPUT_DIR/gemeenten/{code}/``;
the complete snapshot stays inside the version only (the operator's copy, and what the
disclosure audit reads), without the public links above, which a run under ``eigen``
removes. A run under ``open`` removes the municipalities' links in turn.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..compat.sqlalchemy_reflection import add_reflection_types
from ..settings import EIGEN, OPEN, PUBLICATIES
from ..warehouse import open_file
from ..warehouse.lock import attach_read_only
from . import fingerprint as publication_fingerprint
from .excel_csv import write_excel_csv
from .per_gemeente import GEMEENTEN, link_gemeenten, unlink_gemeenten, write_gemeenten
from .public_marts import PUBLIC_MARTS as MART_TABLES  # the public layer only
from .snapshot_tables import copy_to_parquet, create_like, read_contract

PUBLISHED = ".published"
CURRENT = "current"
KEEP_PREVIOUS = 1  # publications kept besides the current one, for readers still in them
# In a version written under ``eigen``: that word; a version without it is ``open``.
MODE_FILE = "publicatie"
# The public paths of the complete publication, linked under ``open`` only.
OPEN_LINKS = ("marts.duckdb", "marts", "docs")


@dataclass(frozen=True)
class Published:
    snapshot: Path
    parquet: dict[str, Path]
    csv: dict[str, Path]
    docs: Path | None  # the dbt docs site, when one was given
    rows: dict[str, int]
    version: str
    removed: list[str]  # stale versions and temporary files cleaned up
    fingerprint: str = ""  # what the version holds (publication_fingerprint.py)
    publicatie: str = OPEN
    gemeenten: tuple[str, ...] = ()  # under eigen: the municipalities given a folder


def current_version(output_dir: Path) -> Path | None:
    """The folder of the current publication, if there is one."""
    pointer = output_dir / PUBLISHED / CURRENT
    if not pointer.is_symlink():
        return None
    return output_dir / PUBLISHED / os.readlink(pointer)


def version_mode(folder: Path) -> str:
    """The KTO_PUBLICATIE a version was written under."""
    try:
        return (folder / MODE_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return OPEN  # written before the setting existed


def unchanged_publication(
    warehouse: Path,
    output_dir: Path,
    tables: tuple[str, ...] = MART_TABLES,
    publicatie: str = OPEN,
) -> str | None:
    """The current version when the marts hold exactly what it holds (its fingerprint
    equals theirs) in the same layout (``publicatie``), so a new publication would add
    nothing; None otherwise."""
    current = current_version(output_dir)
    if current is None or not current.is_dir():
        return None
    if version_mode(current) != publicatie:
        return None  # the same figures, but the files of the other layout
    published = publication_fingerprint.version_fingerprint(current, tables)
    if published is None:
        return None
    if published != publication_fingerprint.warehouse_fingerprint(warehouse, tables):
        return None
    return current.name


def _new_version_name() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"v{stamp}-{os.getpid()}"


def _write_version(
    warehouse: Path, folder: Path, tables: tuple[str, ...], docs_site: Path | None, publicatie: str
) -> tuple[dict[str, int], str, list[str]]:
    marts_dir = folder / "marts"
    marts_dir.mkdir(parents=True)
    rows: dict[str, int] = {}
    with open_file(folder / "marts.duckdb") as con:
        attach_read_only(con, warehouse, "warehouse")
        for table in tables:
            # In the snapshot's main schema: opened as marts.duckdb its catalog is `marts`, so
            # `marts.kto_cel` and plain `kto_cel` both resolve (a schema `marts` would make
            # `marts.kto_cel` ambiguous).
            contract = read_contract(con, "warehouse", "marts", table)
            rows[table] = create_like(con, contract, f"warehouse.marts.{table}")
            copy_to_parquet(con, contract, f"{marts_dir / table}.parquet")
            write_excel_csv(con, contract, marts_dir / f"{table}.csv")
        fingerprint = publication_fingerprint.fingerprint_of(con, "warehouse", "marts", tables)
        con.execute("DETACH warehouse")
        add_reflection_types(con)
    written = [folder / "marts.duckdb", *marts_dir.iterdir()]
    written.append(publication_fingerprint.store(folder, fingerprint))
    if docs_site is not None:
        (folder / "docs").mkdir()
        shutil.copyfile(docs_site, folder / "docs" / "index.html")
        written.append(folder / "docs" / "index.html")
    codes: list[str] = []
    if publicatie == EIGEN:
        codes, own = write_gemeenten(folder, tables)
        written += own
        # only here: a version under open is what it was before the setting existed
        (folder / MODE_FILE).write_text(publicatie + "\n", encoding="utf-8")
        written.append(folder / MODE_FILE)
    # The folder is complete only when its files are on disk: the switch must not
    # point at files a power cut would leave empty.
    for path in written:
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    return rows, fingerprint, codes


def _link(target: str, link: Path) -> None:
    """Point ``link`` at ``target`` with one rename (a new link beside it, renamed over)."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


# Public paths that earlier layouts held as real folders of the pipeline's own, taken over
# by the first versioned publication. Any other real folder in the way (someone's own
# ``docs/``) is left alone and gets no link.
OLD_LAYOUT = ("marts",)


def _public_link(output_dir: Path, name: str) -> bool:
    """``output_dir/name`` -> ``.published/current/name``; set once, then never changes.
    False when a folder that is not the pipeline's stands in the way."""
    link = output_dir / name
    target = f"{PUBLISHED}/{CURRENT}/{name}"
    if link.is_symlink() and os.readlink(link) == target:
        return True
    if link.is_dir() and not link.is_symlink():
        if name not in OLD_LAYOUT:
            return False
        # The layout before versioned publications: a real folder cannot be renamed
        # over by a link, so move it aside first (a reader may miss it for a moment).
        aside = output_dir / PUBLISHED / f"old-{name}-{os.getpid()}"
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(link, aside)
    _link(target, link)
    return True


def remove_open_links(output_dir: Path) -> list[str]:
    """Under ``eigen``: remove the public links to the complete publication (every
    municipality side by side); a real folder of someone else's is left alone."""
    removed = []
    for name in OPEN_LINKS:
        link = output_dir / name
        if link.is_symlink() and os.readlink(link) == f"{PUBLISHED}/{CURRENT}/{name}":
            link.unlink()
            removed.append(name)
        elif name in OLD_LAYOUT and link.is_dir() and not link.is_symlink():
            # the layout before versioned publications, every municipality in it: moved
            # under .published/, where the next remove_stale deletes it
            (output_dir / PUBLISHED).mkdir(parents=True, exist_ok=True)
            os.replace(link, output_dir / PUBLISHED / f"old-{name}-{os.getpid()}")
            removed.append(name)
    return removed


def retract_other_layout(
    output_dir: Path, publicatie: str, keep: tuple[str, ...] = ()
) -> list[str]:
    """Remove the public paths of the layout ``publicatie`` does not use: under ``eigen`` the
    complete snapshot's links, under ``open`` every municipality's (``keep``: under
    ``eigen``, the municipalities still published)."""
    if publicatie not in PUBLICATIES:
        raise ValueError(f"KTO_PUBLICATIE={publicatie!r}: expected one of {', '.join(PUBLICATIES)}")
    if publicatie == EIGEN:
        return remove_open_links(output_dir) + unlink_gemeenten(output_dir, keep)
    return unlink_gemeenten(output_dir)


def settle_layout(output_dir: Path, publicatie: str) -> list[str]:
    """``retract_other_layout`` for a run that writes no new version (withheld or
    unchanged): the municipalities of the current version keep their links under ``eigen``."""
    current = current_version(output_dir)
    keep: tuple[str, ...] = ()
    if current is not None and version_mode(current) == EIGEN and (current / GEMEENTEN).is_dir():
        keep = tuple(p.name for p in (current / GEMEENTEN).iterdir())
    return retract_other_layout(output_dir, publicatie, keep)


def remove_stale(output_dir: Path) -> list[str]:
    """Remove what killed or earlier publications left: temporary files, and versions
    other than the current one and the newest ``KEEP_PREVIOUS`` before it."""
    removed = []
    # The factsheets' half-written files too: their writer holds the same lock.
    patterns = (".snapshot-*.duckdb.tmp", ".*.tmp", "marts/.*.parquet.tmp", "factsheets/**/.*.tmp")
    for pattern in patterns:
        for path in output_dir.glob(pattern):
            if path.is_symlink() or path.is_file():
                path.unlink(missing_ok=True)
                removed.append(str(path.relative_to(output_dir)))
    root = output_dir / PUBLISHED
    if not root.is_dir():
        return removed
    current = current_version(output_dir)
    keep = {current.name} if current is not None else set()
    versions = sorted(
        (p for p in root.iterdir() if p.name.startswith("v") and not p.is_symlink()),
        key=lambda p: p.name,
        reverse=True,
    )
    older = [p for p in versions if current is None or p.name < current.name]
    keep.update(p.name for p in older[:KEEP_PREVIOUS])
    for path in root.iterdir():
        if path.name == CURRENT or path.name in keep:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(str(path.relative_to(output_dir)))
    return removed


def publish_marts(
    warehouse: Path,
    output_dir: Path,
    tables: tuple[str, ...] = MART_TABLES,
    docs_site: Path | None = None,
    publicatie: str = OPEN,
) -> Published:
    """Write a new publication and switch to it; the caller holds the warehouse lock.

    ``docs_site``: a self-contained HTML page (dbt's ``static_index.html``) published as
    ``docs/index.html``. ``publicatie``: ``open`` links the complete publication at the
    public paths; ``eigen`` links each municipality's under ``gemeenten/{code}/`` instead."""
    if publicatie not in PUBLICATIES:
        raise ValueError(f"KTO_PUBLICATIE={publicatie!r}: expected one of {', '.join(PUBLICATIES)}")
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / PUBLISHED).mkdir(exist_ok=True)
    removed = remove_stale(output_dir)
    version = _new_version_name()
    folder = output_dir / PUBLISHED / version
    rows, fingerprint, codes = _write_version(warehouse, folder, tables, docs_site, publicatie)
    _link(version, output_dir / PUBLISHED / CURRENT)  # the switch
    docs = None
    if publicatie == EIGEN:
        link_gemeenten(output_dir, codes, PUBLISHED, CURRENT)
        removed += retract_other_layout(output_dir, publicatie, keep=tuple(codes))
        base = output_dir / PUBLISHED / CURRENT  # the operator's complete copy
        if docs_site is not None:
            docs = base / "docs" / "index.html"
    else:
        removed += retract_other_layout(output_dir, publicatie)
        for name in ("marts.duckdb", "marts"):
            _public_link(output_dir, name)
        base = output_dir
        if docs_site is not None:
            linked = _public_link(output_dir, "docs")
            docs = (output_dir if linked else output_dir / PUBLISHED / CURRENT) / "docs"
            docs = docs / "index.html"
    removed += remove_stale(output_dir)
    marts_dir = base / "marts"
    return Published(
        snapshot=base / "marts.duckdb",
        parquet={table: marts_dir / f"{table}.parquet" for table in tables},
        csv={table: marts_dir / f"{table}.csv" for table in tables},
        docs=docs,
        rows=rows,
        version=version,
        removed=removed,
        fingerprint=fingerprint,
        publicatie=publicatie,
        gemeenten=tuple(codes),
    )
