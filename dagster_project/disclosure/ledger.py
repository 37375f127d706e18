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
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import duckdb

from ..warehouse import open_file, open_warehouse
from .audit import AuditResult, Figure, Key, Publication, audit

SCHEMA = "ledger"
TABLE = f"{SCHEMA}.released_figures"
# the comparison groups' BMs of each release (a figure has one per group of its
# municipality, so they are rows of their own)
GROUP_TABLE = f"{SCHEMA}.released_group_benchmarks"
GROUP_MART = "kto_vergelijkingsgroep"
CANDIDATE = "candidate"  # the version name of the marts not yet published

# A figure's key as the ledger's tables and the audit's withheld figures store it.
FIGURE_KEY_COLUMNS = """
    gemeentecode varchar not null,
    kanaal varchar not null,
    periode varchar not null,
    jaar integer not null,
    figuur_type varchar not null,
    figuur varchar not null,"""

_CREATE = f"""
create schema if not exists {SCHEMA};
create table if not exists {TABLE} (
    version varchar not null,
    released_at timestamp not null,{FIGURE_KEY_COLUMNS}
    decimalen integer not null,
    n integer not null,
    exact double,
    bm double,
    bm_exact double,
    bm_method varchar,
    drempel integer not null,
    fingerprint varchar,
    grootteklasse varchar,
    bm_klasse double,
    bm_klasse_exact double
);
-- ledgers written before the size-class BM was audited
alter table {TABLE} add column if not exists grootteklasse varchar;
alter table {TABLE} add column if not exists bm_klasse double;
alter table {TABLE} add column if not exists bm_klasse_exact double;
create table if not exists {GROUP_TABLE} (
    version varchar not null,
    gemeentecode varchar not null,
    kanaal varchar not null,
    periode varchar not null,
    figuur_type varchar not null,
    figuur varchar not null,
    groep varchar not null,
    bm double,
    bm_exact double
);
"""
_GROUPS = """
select gemeentecode, kanaal, periode, figuur_type, figuur, groep,
    cast(bm_groep as double) as bm, bm_groep_exact as bm_exact
from {schema}.kto_vergelijkingsgroep
order by groep
"""

# every figure of the public marts, with the size-class BM where the wide marts publish one
_FIGURES = """
with klasse as (
    select gemeentecode, kanaal, periode, 'totaaloordeel' as figuur_type,
        'Totaaloordeel' as figuur, grootteklasse,
        cast(totaaloordeel_bm_klasse as double) as bm_klasse,
        totaaloordeel_bm_klasse_exact as bm_klasse_exact
    from {schema}.kto_cel
    union all
    select gemeentecode, kanaal, periode, 'ces', 'CES', grootteklasse,
        cast(ces_bm_klasse as double), ces_bm_klasse_exact
    from {schema}.kto_cel
    union all
    select a.gemeentecode, a.kanaal, a.periode, 'aspect', a.aspect, c.grootteklasse,
        cast(a.bm_klasse as double), a.bm_klasse_exact
    from {schema}.kto_aspect as a
    inner join {schema}.kto_cel as c using (gemeentecode, kanaal, periode)
    union all
    select s.gemeentecode, s.kanaal, s.periode, 'stelling', s.stelling, c.grootteklasse,
        cast(s.bm_klasse as double), s.bm_klasse_exact
    from {schema}.kto_stelling as s
    inner join {schema}.kto_cel as c using (gemeentecode, kanaal, periode)
)
select f.gemeentecode, f.kanaal, f.periode, f.figuur_type, f.figuur, f.decimalen, f.n,
    f.waarde_exact, cast(f.bm as double) as bm, f.bm_exact, f.bm_method,
    k.grootteklasse, k.bm_klasse, k.bm_klasse_exact, {fingerprint} as fingerprint
from {schema}.kto_figuur as f
left join klasse as k using (gemeentecode, kanaal, periode, figuur_type, figuur)
{fingerprint_join}
"""
# the warehouse knows the data behind each figure (a snapshot does not)
_INTERNAL = {
    "fingerprint": "cast(i.teller as varchar) || '/' || cast(i.noemer as varchar)",
    "fingerprint_join": "left join intermediate.int_cell_figures as i "
    "using (gemeentecode, kanaal, periode, figuur_type, figuur)",
}
_SNAPSHOT = {"fingerprint": "cast(null as varchar)", "fingerprint_join": ""}


def _figures_sql(schema: str) -> str:
    return _FIGURES.format(schema=schema, **(_INTERNAL if schema == "marts" else _SNAPSHOT))


def _figure(
    decimalen, n, exact, bm, bm_exact, bm_method, klasse, bm_klasse, bm_klasse_exact, fingerprint
):
    return Figure(
        n=int(n),
        decimalen=int(decimalen),
        exact=exact,
        bm=bm,
        bm_exact=bm_exact,
        bm_method=bm_method,
        klasse=klasse,
        bm_klasse=bm_klasse,
        bm_klasse_exact=bm_klasse_exact,
        fingerprint=fingerprint,
    )


def _drempel(con: duckdb.DuckDBPyConnection, schema: str, default: int) -> int:
    found = con.execute(f"select max(drempel) from {schema}.kto_cel").fetchone()
    return int(found[0]) if found and found[0] is not None else default


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found[0])


def _with_groups(figures: dict[Key, Figure], rows) -> dict[Key, Figure]:
    """``figures`` with the comparison groups' BMs of ``rows`` (key..., groep, bm, bm_exact)."""
    groepen: dict[Key, list] = defaultdict(list)
    for r in rows:
        groepen[tuple(r[:5])].append(tuple(r[5:]))
    for key, found in groepen.items():
        if key in figures:
            figures[key] = replace(figures[key], groepen=tuple(sorted(found)))
    return figures


def read_publication(
    con: duckdb.DuckDBPyConnection, schema: str, version: str, default_drempel: int = 10
) -> Publication:
    """The figures of the public marts in ``schema`` (``marts`` in the warehouse, ``main``
    in a published snapshot), with their comparison groups' BMs (a snapshot published
    before there were any has no such table)."""
    figures = {tuple(r[:5]): _figure(*r[5:]) for r in con.execute(_figures_sql(schema)).fetchall()}
    if _has_table(con, schema, GROUP_MART):
        figures = _with_groups(figures, con.execute(_GROUPS.format(schema=schema)).fetchall())
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
            with open_file(snapshot, read_only=True) as con:
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
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = 'released_figures'",
            [SCHEMA],
        ).fetchall()
    }
    # a ledger written before the size-class BM was audited has no class columns yet
    klasse = ", ".join(
        c if c in columns else f"null as {c}"
        for c in ("grootteklasse", "bm_klasse", "bm_klasse_exact")
    )
    rows = con.execute(
        f"select version, drempel, gemeentecode, kanaal, periode, figuur_type, figuur, "
        f"decimalen, n, exact, bm, bm_exact, bm_method, {klasse}, fingerprint from {TABLE} "
        f"order by version"
    ).fetchall()
    for r in rows:
        pub = pubs.setdefault(r[0], Publication(r[0], int(r[1]), {}))
        pub.figures[tuple(r[2:7])] = _figure(*r[7:])
    # a ledger written before the comparison groups has no table of their BMs
    if _has_table(con, SCHEMA, GROUP_TABLE.split(".")[1]):
        by_version: dict[str, list] = defaultdict(list)
        for r in con.execute(
            f"select version, gemeentecode, kanaal, periode, figuur_type, figuur, groep, bm, "
            f"bm_exact from {GROUP_TABLE} order by version, groep"
        ).fetchall():
            by_version[r[0]].append(r[1:])
        for version, found in by_version.items():
            if version in pubs:
                _with_groups(pubs[version].figures, found)
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
    with open_warehouse(warehouse, read_only=True) as con:
        history = released_history(con, output_dir)
        candidate = read_publication(con, "marts", CANDIDATE, default_drempel)
    return [*history, candidate], len(history)


def read_candidate(warehouse: Path, default_drempel: int = 10) -> Publication:
    """The marts as they would be published."""
    with open_warehouse(warehouse, read_only=True) as con:
        return read_publication(con, "marts", CANDIDATE, default_drempel)


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
    with open_warehouse(warehouse, read_only=True) as con:
        if not has_ledger(con):
            return False
        found = con.execute(f"select count(*) from {TABLE} where version = ?", [version])
        return bool(found.fetchone()[0])


def record_release(warehouse: Path, version: str) -> int:
    """Add the marts just published as ``version`` to the ledger; the rows added."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with open_warehouse(warehouse) as con:
        con.execute(_CREATE)
        con.execute(f"delete from {TABLE} where version = ?", [version])
        con.execute(
            f"""
            insert into {TABLE} by name
            select ? as version, ? as released_at, f.gemeentecode, f.kanaal, f.periode,
                cast(left(f.periode, 4) as integer) as jaar, f.figuur_type, f.figuur,
                f.decimalen, f.n, f.waarde_exact as exact, f.bm, f.bm_exact, f.bm_method,
                c.drempel, f.fingerprint, f.grootteklasse, f.bm_klasse, f.bm_klasse_exact
            from ({_figures_sql("marts")}) as f
            inner join (select distinct gemeentecode, kanaal, periode, drempel from marts.kto_cel)
                as c using (gemeentecode, kanaal, periode)
            """,
            [version, now],
        )
        con.execute(f"delete from {GROUP_TABLE} where version = ?", [version])
        if _has_table(con, "marts", GROUP_MART):
            con.execute(
                f"insert into {GROUP_TABLE} by name select ? as version, g.* "
                f"from ({_GROUPS.format(schema='marts')}) as g",
                [version],
            )
        return con.execute(f"select count(*) from {TABLE} where version = ?", [version]).fetchone()[
            0
        ]
