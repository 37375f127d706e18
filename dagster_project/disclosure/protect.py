"""Withhold until the audit passes: the step between the dbt build and publishing.

int_disclosure's rule (no relation with exactly one hidden figure, values released before
counted as known) covers what publications usually bring; the LP audit sees every linear
consequence. Where it finds a figure the rule left unprotected, this withholds one more
shown figure of its relations (``audit.complements``), records it in
``ledger.withheld_figures`` with the data it was chosen for, rebuilds the disclosure
models of the years concerned and audits again, a few rounds at most. Dagster-free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..warehouse import open_warehouse
from .audit import AuditResult, Key, audit, complements
from .ledger import FIGURE_KEY_COLUMNS, SCHEMA, audit_publications, read_candidate

WITHHELD = f"{SCHEMA}.withheld_figures"
# the ranges of the groups' linear programs the last run solved or reused, by signature
# (audit.group_signature): a group no round and no new publication changed is not solved
# again. Internal, like the ledger; an entry is only ever the ranges of its own program.
SOLVED = f"{SCHEMA}.audit_groups"
ROUNDS = 8  # each a dbt rebuild of the years concerned (docs/metrics.md)
# the models that read the withheld figures, and the year fingerprints that say which years
# to rebuild (int_built_years, downstream of every model built by year, records them)
REBUILD = ["int_year_fingerprints", "int_disclosure+"]

_CREATE = f"""
create schema if not exists {SCHEMA};
create table if not exists {WITHHELD} ({FIGURE_KEY_COLUMNS}
    n integer not null,
    fingerprint varchar not null,
    withheld_at timestamp not null
)
"""


@dataclass
class Protection:
    result: AuditResult  # the last audit
    earlier: int  # earlier publications audited against
    withheld: list[Key] = field(default_factory=list)  # added by this run
    rounds: int = 0
    error: str | None = None  # a rebuild that failed


def _withhold(warehouse: Path, keys: list[Key]) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with open_warehouse(warehouse) as con:
        con.execute(_CREATE)
        for key in keys:
            con.execute(
                f"""
                insert into {WITHHELD}
                select gemeentecode, kanaal, periode, jaar, figuur_type, figuur, n,
                    cast(teller as varchar) || '/' || cast(noemer as varchar), ?
                from intermediate.int_cell_figures as c
                where gemeentecode = ? and kanaal = ? and periode = ? and figuur_type = ?
                    and figuur = ?
                    and not exists (
                        select 1 from {WITHHELD} as w
                        where (w.gemeentecode, w.kanaal, w.periode, w.figuur_type, w.figuur, w.n,
                            w.fingerprint)
                            = (c.gemeentecode, c.kanaal, c.periode, c.figuur_type, c.figuur, c.n,
                            cast(c.teller as varchar) || '/' || cast(c.noemer as varchar))
                    )
                """,
                [now, *key],
            )


def _load_solved(warehouse: Path) -> dict[str, list[tuple[float, float]]]:
    if not warehouse.is_file():
        return {}
    with open_warehouse(warehouse, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = 'audit_groups'",
            [SCHEMA],
        ).fetchone()[0]
        if not exists:
            return {}
        rows = con.execute(f"select signature, ranges from {SOLVED}").fetchall()
    return {sig: [(low, high) for low, high in ranges] for sig, ranges in rows}


def _store_solved(warehouse: Path, solved: dict, used: set[str]) -> None:
    """Keep the groups this run's audits had (older ones would only grow the table)."""
    # the ranges as numbers (low, high per objective), not as text: they are sums of figures
    rows = [(sig, [list(r) for r in solved[sig]]) for sig in sorted(used) if sig in solved]
    with open_warehouse(warehouse) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(
            f"create or replace table {SOLVED} as "
            "select unnest(?::varchar[]) as signature, unnest(?::double[][][]) as ranges",
            [[sig for sig, _ in rows], [ranges for _, ranges in rows]],
        )


def protect(
    warehouse: Path,
    output_dir: Path,
    rebuild: Callable[[list[str]], str | None],
    default_drempel: int = 10,
) -> Protection:
    """Audit; while figures are unprotected and complements exist, withhold and rebuild
    (``rebuild(selection)`` returns an error text or None). Each audit solves only the
    groups whose linear program the last run's audits or an earlier round did not have."""
    solved = _load_solved(warehouse)
    used: set[str] = set()
    try:
        return _protect(warehouse, output_dir, rebuild, default_drempel, solved, used)
    finally:
        _store_solved(warehouse, solved, used)


def _protect(
    warehouse: Path,
    output_dir: Path,
    rebuild: Callable[[list[str]], str | None],
    default_drempel: int,
    solved: dict,
    used: set[str],
) -> Protection:
    def audited(publications: list) -> AuditResult:
        result = audit(publications, solved=solved)
        used.update(result.signatures)
        return result

    publications, earlier = audit_publications(warehouse, output_dir, default_drempel)
    outcome = Protection(audited(publications), earlier)
    while not outcome.result.passed and outcome.rounds < ROUNDS:
        extra = complements(publications, outcome.result.findings)
        if not extra:
            break
        outcome.rounds += 1
        # what int_disclosure's rule withheld this round stays withheld in the next: its
        # choice depends on what else is hidden, and a figure it released again would undo
        # the round (the rounds only ever add, so they end)
        candidate = publications[-1]
        kept = [
            key
            for key, f in candidate.figures.items()
            if f.exact is None and f.n >= candidate.drempel and key not in extra
        ]
        _withhold(warehouse, extra + kept)
        outcome.withheld += extra
        outcome.error = rebuild(REBUILD)
        if outcome.error:
            break
        # the earlier publications are as they were (nothing is released during the check):
        # only the marts the round rebuilt are read again
        publications = [*publications[:-1], read_candidate(warehouse, default_drempel)]
        outcome.result = audited(publications)
    return outcome
