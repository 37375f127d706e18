"""Gemeentecodes in raw that the CBS code list does not have valid on their rows' days.

Under KTO_GEMEENTECODES=melden (the default) the readers accept such a row, as the format
specification defines a valid code by its form (docs/formats.md, "Municipality codes and the
CBS code list"); it is never accepted silently: the ingest reports every such code from what
raw holds (so every run on the folder reports it, not only the one that read the file), the
check ``gemeentecodes_in_cbs_list`` fails with severity WARN, and `kto run` exits 1. Under
``strikt`` the readers quarantine those rows and raw holds none.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ..domain import municipalities

# raw table -> (its landing folder, the day a row happened: the readers' rule)
DAYS = {
    "one2ten_responses": ("one2ten", "coalesce(einddatum, startdatum)"),
    "openforms_submissions": ("openforms", "inzendingdatum"),
    "inviter_invitations": ("inviter", "verzonden_op"),
}


@dataclass(frozen=True)
class CodeOutsideList:
    code: str
    rows: dict[str, int]  # landing folder -> rows in raw
    says: tuple[str, ...]  # what the list says (municipalities.rule), one text per case

    def __str__(self) -> str:
        total = sum(self.rows.values())
        where = ", ".join(f"{folder}/" for folder in sorted(self.rows))
        plural = "" if total == 1 else "s"
        return f"{self.code}: {total:,} row{plural} accepted ({where}): {'; '.join(self.says)}"


def codes_outside_list(con: duckdb.DuckDBPyConnection) -> list[CodeOutsideList]:
    """Every code in raw not valid in the CBS code list on its row's day, in code order."""
    tables = {
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    municipalities.register_tables(con)
    found: dict[str, tuple[dict[str, int], set[str]]] = {}
    for table, (folder, day) in DAYS.items():
        if table not in tables:
            continue
        # the list's valid codes excluded in SQL (few rows are left); the words in Python
        rows = con.execute(
            f"SELECT r.gemeentecode, CAST({day} AS DATE) AS dag, count(*) "
            f"FROM raw.{table} AS r WHERE r.gemeentecode IS NOT NULL AND {day} IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM temp.main.kto_cbs_gemeenten AS lijst "
            "WHERE lijst.gemeentecode = r.gemeentecode "
            f"AND lijst.geldig_vanaf <= CAST({day} AS DATE) "
            f"AND CAST({day} AS DATE) <= coalesce(lijst.geldig_tot_en_met, DATE '9999-12-31')) "
            "GROUP BY ALL"
        ).fetchall()
        for code, dag, n in rows:
            says = municipalities.rule(code, dag)
            if says is None:  # the SQL and the Python rule disagree: say so rather than hide
                says = "outside the CBS code list by SQL, inside by Python (a bug)"
            counts, texts = found.setdefault(code, ({}, set()))
            counts[folder] = counts.get(folder, 0) + n
            texts.add(says)
    return [
        CodeOutsideList(code, counts, tuple(sorted(texts)))
        for code, (counts, texts) in sorted(found.items())
    ]
