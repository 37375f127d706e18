"""The figures of the internal and the public layer in one long shape, for the tests.

Key: (gemeentecode, kanaal, periode, figuur_type, figuur) with figuur_type one of
totaaloordeel, ces, aspect, stelling, product, thema (the names of int_cell_figures; a
theme's figuur is its code). Each row: n, value (as published: Decimal for grades, int
otherwise), exact, ci_low, ci_high, bm, bm_exact, bm_method, publiceerbaar, richting, jaar,
kwartaal; a public theme row also its count (aantal) and its change against the year
before (verschil_vorig_jaar); where the municipality is in comparison groups
(kto_vergelijkingsgroep) also groepen: groep -> the group's exact BM as published.

- ``internal_figures``: intermediate.int_figures, the layer the checks read (values of
  withheld figures kept; only suppressed ones NULL). Never published.
- ``public_figures``: the public marts (``marts.kto_*`` in the warehouse, or the tables of
  the published snapshot / Parquet files).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

Key = tuple[str, str, str, str, str]
Figures = dict[Key, dict[str, Any]]
# kto_verandering: per change the figure's key, the earlier figure's key (key_vorig), and
# verschil_exact, ci_low, ci_high, p_waarde, q_waarde, publiceerbaar
Changes = list[dict[str, Any]] | tuple[()]

_COMMON = "gemeentecode, kanaal, periode, jaar, kwartaal"


def records(con, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _scaled(value: Any, decimals: int) -> Any:
    if value is None:
        return None
    return int(value) if decimals == 0 else Decimal(int(value)).scaleb(-decimals)


def internal_figures(con) -> Figures:
    out: Figures = {}
    for r in records(con, "select * from intermediate.int_figures"):
        d = r["decimalen"]
        key = (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"])
        out[key] = {
            "jaar": r["jaar"],
            "kwartaal": r["kwartaal"],
            "n": r["n"],
            "value": _scaled(r["waarde_scaled"], d),
            "exact": r["exact"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
            "bm": _scaled(r["bm_scaled"], d),
            "bm_exact": r["bm_exact"],
            "bm_method": r["bm_method"],
            "publiceerbaar": r["publiceerbaar"],
            "richting": r["richting"],
            "drempel": r["drempel"],
        }
    return out


def _norm(value: Any) -> Any:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def public_figures(con, schema: str = "marts") -> Figures:
    """The public marts in the long shape; ``schema`` "main" for the snapshot file."""
    out: Figures = {}

    def add(figuur_type: str, figuur: str, r: dict[str, Any], **cols: str | None) -> None:
        key = (r["gemeentecode"], r["kanaal"], r["periode"], figuur_type, figuur)
        out[key] = {
            "jaar": r["jaar"],
            "kwartaal": r["kwartaal"],
            **{name: (r[col] if col else None) for name, col in cols.items()},
        }
        out[key]["value"] = _norm(out[key]["value"])
        out[key]["bm"] = _norm(out[key]["bm"])

    for r in records(con, f"select * from {schema}.kto_cel"):
        for name, label in (("totaaloordeel", "Totaaloordeel"), ("ces", "CES")):
            add(
                name,
                label,
                r,
                n=f"{name}_n",
                value=name,
                exact=f"{name}_exact",
                ci_low=f"{name}_ci_low",
                ci_high=f"{name}_ci_high",
                bm=f"{name}_bm",
                bm_exact=f"{name}_bm_exact",
                bm_method="bm_method",
                publiceerbaar=f"{name}_publiceerbaar",
                richting=f"{name}_richting",
                drempel="drempel",
            )
    for table, figuur_type, label, value in (
        ("kto_aspect", "aspect", "aspect", "score"),
        ("kto_stelling", "stelling", "stelling", "pct"),
    ):
        for r in records(con, f"select * from {schema}.{table}"):
            add(
                figuur_type,
                r[label],
                r,
                n="n",
                value=value,
                exact=f"{value}_exact",
                ci_low="ci_low",
                ci_high="ci_high",
                bm="bm",
                bm_exact="bm_exact",
                bm_method="bm_method",
                publiceerbaar="publiceerbaar",
                richting="richting",
                drempel=None,
            )
    for r in records(con, f"select * from {schema}.kto_thema"):
        add(
            "thema",
            r["thema"],
            r,
            n="n",
            value="aandeel",
            exact="aandeel_exact",
            ci_low="ci_low",
            ci_high="ci_high",
            bm="bm",
            bm_exact="bm_exact",
            bm_method="bm_method",
            publiceerbaar="publiceerbaar",
            richting="richting",
            drempel=None,
            aantal="aantal",
            verschil_vorig_jaar="verschil_vorig_jaar",
        )
    for r in records(con, f"select * from {schema}.kto_product"):
        add(
            "product",
            r["product"],
            r,
            n="totaaloordeel_n",
            value="totaaloordeel",
            exact="totaaloordeel_exact",
            ci_low=None,
            ci_high=None,
            bm=None,
            bm_exact=None,
            bm_method=None,
            publiceerbaar="publiceerbaar",
            richting=None,
            drempel=None,
        )
    # the comparison groups' BMs (kto_vergelijkingsgroep): groep -> the exact BM as shown
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, "kto_vergelijkingsgroep"],
    ).fetchone()[0]
    if found:
        for r in records(con, f"select * from {schema}.kto_vergelijkingsgroep"):
            key = (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"])
            out[key].setdefault("groepen", {})[r["groep"]] = r["bm_groep_exact"]
    return out


def public_changes(con, schema: str = "marts") -> list[dict[str, Any]]:
    """kto_verandering: what a BI user holds of every change."""
    out = []
    for r in records(con, f"select * from {schema}.kto_verandering"):
        figure = (r["kanaal"], r["figuur_type"], r["figuur"])
        key = (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"])
        key_vorig = (r["gemeentecode"], *figure[:1], r["periode_vorig"], *figure[1:])
        out.append(
            {
                "key": key,
                "key_vorig": key_vorig,
                "vergelijking": r["vergelijking"],
                **{
                    c: r[c] for c in ("verschil_exact", "ci_low", "ci_high", "p_waarde", "q_waarde")
                },
                "publiceerbaar": r["publiceerbaar"],
            }
        )
    return out
