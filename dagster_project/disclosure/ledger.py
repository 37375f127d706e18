"""The ledger of released figures, and the audit of a new publication against it.

Everything ever published counts as released: a BI user may have kept any version. Two
records of it, so that neither alone has to be trusted:

- ``ledger.released_figures`` in the warehouse: every figure of every publication (its
  version, n, exact value when shown, the BM as shown), written by the publish step; with
  ``fingerprint``: the exact fraction teller/noemer of the data behind it, so int_disclosure
  recognises a figure that did not change (the ledger is internal, like the warehouse);
- the publications retained under ``KTO_OUTPUT_DIR/.published/`` (the current one and the
  one before), read as they are: they count even when the warehouse is new.

Dagster-free; the Dagster layer (defs/disclosure.py) runs the audit (protect.py) as a
blocking check and ``record_release`` after a publication.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from .audit import AuditResult, Figure, Publication, audit

SCHEMA = "ledger"
TABLE = f"{SCHEMA}.released_figures"
CANDIDATE = "candidate"  # the version name of the marts not yet published

_CREATE = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    version varchar not null,
    released_at timestamp not null,
    gemeentecode varchar not null,
    kanaal varchar not null,
    periode varchar not null,
    jaar integer not null,
    figuur_type varchar not null,
    figuur varchar not null,
    decimalen integer not null,
    n integer not null,
    exact double,
    bm double,
    bm_exact double,
    bm_method varchar,
    drempel integer not null,
    fingerprint varchar
)
"""

_FIGURES = """
select gemeentecode, kanaal, periode, figuur_type, figuur, decimalen, n, waarde_exact,
    cast(bm as double) as bm, bm_exact, bm_method
from {schema}.kto_figuur
"""


def _drempel(con: duckdb.DuckDBPyConnection, schema: str, default: int) -> int:
    found = con.execute(f"select max(drempel) from {schema}.kto_cel").fetchone()
    return int(found[0]) if found and found[0] is not None else default


def read_publication(
    con: duckdb.DuckDBPyConnection, schema: str, version: str, default_drempel: int = 10
) -> Publication:
    """The figures of the public marts in ``schema`` (``marts`` in the warehouse, ``main``
    in a published snapshot)."""
    figures = {
        tuple(r[:5]): Figure(
            n=int(r[6]), decimalen=int(r[5]), exact=r[7], bm=r[8], bm_exact=r[9], bm_method=r[10]
        )
        for r in con.execute(_FIGURES.format(schema=schema)).fetchall()
    }
    return Publication(version, _drempel(con, schema, default_drempel), figures)


def retained_publications(output_dir: Path) -> list[Publication]:
    """Every complete publication under ``output_dir/.published/`` (oldest first)."""
    root = output_dir / ".published"
    found = []
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.name.startswith("v") and p.is_dir()):
        snapshot = folder / "marts.duckdb"
        if not snapshot.is_file():
            continue
        try:
            with duckdb.connect(str(snapshot), read_only=True) as con:
                found.append(read_publication(con, "main", folder.name))
        except duckdb.Error:
            continue  # a version a killed run left half-written was never switched in
    return found


def has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'released_figures'",
            [SCHEMA],
        ).fetchone()[0]
    )


def ledger_publications(con: duckdb.DuckDBPyConnection) -> list[Publication]:
    """The publications the warehouse's ledger records (oldest first)."""
    if not has_ledger(con):
        return []
    pubs: dict[str, Publication] = {}
    rows = con.execute(
        f"select version, drempel, gemeentecode, kanaal, periode, figuur_type, figuur, "
        f"decimalen, n, exact, bm, bm_exact, bm_method from {TABLE} order by version"
    ).fetchall()
    for r in rows:
        pub = pubs.setdefault(r[0], Publication(r[0], int(r[1]), {}))
        pub.figures[tuple(r[2:7])] = Figure(
            n=int(r[8]), decimalen=int(r[7]), exact=r[9], bm=r[10], bm_exact=r[11], bm_method=r[12]
        )
    return list(pubs.values())


def released_history(con: duckdb.DuckDBPyConnection, output_dir: Path) -> list[Publication]:
    """The ledger and the retained publications, each version once, oldest first."""
    history = {p.version: p for p in ledger_publications(con)}
    for pub in retained_publications(output_dir):
        history.setdefault(pub.version, pub)
    return [history[v] for v in sorted(history)]


def audit_publications(
    warehouse: Path, output_dir: Path, default_drempel: int = 10
) -> tuple[list[Publication], int]:
    """Every release so far and, last, the marts as they would be published; with the
    number of earlier publications."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        history = released_history(con, output_dir)
        candidate = read_publication(con, "marts", CANDIDATE, default_drempel)
    return [*history, candidate], len(history)


def audit_candidate(
    warehouse: Path, output_dir: Path, default_drempel: int = 10
) -> tuple[AuditResult, int]:
    """The audit of the marts as they would be published, against every release so far;
    with the number of earlier publications it took into account."""
    publications, earlier = audit_publications(warehouse, output_dir, default_drempel)
    return audit(publications), earlier


def is_recorded(warehouse: Path, version: str) -> bool:
    """Whether the ledger holds ``version`` (a crash between the switch and
    ``record_release`` leaves a current version out of it)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_ledger(con):
            return False
        found = con.execute(f"select count(*) from {TABLE} where version = ?", [version])
        return bool(found.fetchone()[0])


def record_release(warehouse: Path, version: str) -> int:
    """Add the marts just published as ``version`` to the ledger; the rows added."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(_CREATE)
        con.execute(f"delete from {TABLE} where version = ?", [version])
        con.execute(
            f"""
            insert into {TABLE}
            select ?, ?, f.gemeentecode, f.kanaal, f.periode, cast(left(f.periode, 4) as integer),
                f.figuur_type, f.figuur, f.decimalen, f.n, f.waarde_exact, cast(f.bm as double),
                f.bm_exact, f.bm_method, c.drempel,
                cast(i.teller as varchar) || '/' || cast(i.noemer as varchar)
            from marts.kto_figuur as f
            inner join (select distinct gemeentecode, kanaal, periode, drempel from marts.kto_cel)
                as c using (gemeentecode, kanaal, periode)
            left join intermediate.int_cell_figures as i
                using (gemeentecode, kanaal, periode, figuur_type, figuur)
            """,
            [version, now],
        )
        return con.execute(f"select count(*) from {TABLE} where version = ?", [version]).fetchone()[
            0
        ]
