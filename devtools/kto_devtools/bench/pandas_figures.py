"""kto_cel's figures from a plain landing folder in pandas, the way an analyst would write it.

The second independent reference of ``kto bench`` (the first is ``floor.sql``): read
every export with pandas, keep rows with a usable identity and the latest version of each
response, then group. Same rules as the floor (docs/contract/metrics.md): completed
responses counted in their year and quarter, counts, totaaloordeel and CES rounded half
away from zero from the integer sums, the BM (method gemeenten) as the mean of the
unsuppressed exact values, here as an exact fraction. Only the UTF-8 CSV and JSON of a
plain landing folder.

    python -m kto_devtools.bench.pandas_figures LANDING OUT.parquet [MIN_N]
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd

GRADE = r"(10|[1-9])(,0)?"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
GEMEENTECODE = r"GM[0-9]{4}"
FORM_NAME = "KTO digitale dienstverlening"
EFFORT = {  # Moeite, lower case: +1 low effort, -1 high effort, 0 neutral
    "weinig moeite": 1, "geen moeite": 1, "veel moeite": -1, "heel veel moeite": -1,
    "neutraal": 0, "weinigmoeite": 1, "geenmoeite": 1, "veelmoeite": -1, "heelveelmoeite": -1,
}  # fmt: skip


def _read(files: list[Path], reader) -> pd.DataFrame:
    """All files of one kind, with each file's name, mtime and row position."""
    frames = []
    for path in files:
        frame = reader(path)
        frame["_file"] = path.name
        frame["_mtime"] = path.stat().st_mtime
        frame["_row"] = range(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _csv(delimiter: str):
    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(
            path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )

    return read


def _json(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8") as f:
        return pd.DataFrame(json.load(f)).astype(str)


def _latest(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    ordered = frame.sort_values(["_mtime", "_file", "_row"])
    return ordered.drop_duplicates(key, keep="last")


def _grade(column: pd.Series) -> pd.Series:
    text = column.fillna("").str.strip()
    valid = text.str.fullmatch(GRADE)
    return text.str.extract(r"^(10|[1-9])")[0].where(valid).astype("Int64")


def _has_text(column: pd.Series) -> pd.Series:
    return column.fillna("").str.contains(r"[^\W_]", regex=True)


def one2ten(landing: Path) -> pd.DataFrame:
    raw = _read(sorted((landing / "one2ten").glob("*.csv")), _csv(";"))
    df = pd.DataFrame(
        {
            "_file": raw["_file"],
            "_mtime": raw["_mtime"],
            "_row": raw["_row"],
            "respondentnummer": pd.to_numeric(raw["Respondentnummer"].str.strip(), "coerce"),
            "gemeentecode": raw["Gemeentecode"].str.strip(),
            "kanaal": raw["Kanaal"].str.strip().str.lower(),
            "start": pd.to_datetime(raw["Startdatum"].str.strip(), format="%d-%m-%Y %H:%M",
                                    errors="coerce"),
            "einde_tekst": raw["Einddatum"].str.strip(),
            "einde": pd.to_datetime(raw["Einddatum"].str.strip(), format="%d-%m-%Y %H:%M",
                                    errors="coerce"),
            "status": raw["Status"].str.strip().str.lower(),
            "totaaloordeel": _grade(raw["Totaaloordeel"]),
            "review": _has_text(raw["Toelichting totaaloordeel"]),
            "moeite": raw["Moeite"].str.strip().str.lower().map(EFFORT),
            "tip": raw["Verbetertip"].str.strip().str.lower() == "ja",
        }
    )  # fmt: skip
    usable = (
        df["respondentnummer"].notna()
        & (df["respondentnummer"] % 1 == 0)
        & df["gemeentecode"].str.fullmatch(GEMEENTECODE)
        & df["kanaal"].isin(["balie", "telefoon"])
        & df["start"].notna()
        & (df["einde"].notna() | (df["einde_tekst"] == ""))
        & df["status"].isin(["voltooid", "onvolledig"])
        & ~((df["status"] == "voltooid") & df["einde"].isna())
    )
    df = _latest(df[usable], ["kanaal", "respondentnummer"])
    return df[df["status"] == "voltooid"]


def openforms(landing: Path) -> pd.DataFrame:
    folder = landing / "openforms"
    raw = pd.concat(
        [
            _read(sorted(folder.glob("*.csv")), _csv(",")),
            _read(sorted(folder.glob("*.json")), _json),
        ],
        ignore_index=True,
    )
    df = pd.DataFrame(
        {
            "_file": raw["_file"],
            "_mtime": raw["_mtime"],
            "_row": raw["_row"],
            "formulier": raw["Formuliernaam"].str.strip(),
            "respondent_id": raw["respondentId"].str.strip().str.lower(),
            "gemeentecode": raw["gemeentecode"].str.strip(),
            "kanaal": "digitaal",
            "einde": pd.to_datetime(raw["Inzendingdatum"].str.strip(),
                                    format="%Y-%m-%d %H:%M:%S", errors="coerce"),
            "totaaloordeel": _grade(raw["totaaloordeel"]),
            "review": _has_text(raw["toelichting"]),
            "moeite": raw["moeite"].str.strip().str.lower().map(EFFORT),
            "tip": raw["verbetertip"].str.strip().str.lower() == "ja",
        }
    )  # fmt: skip
    usable = (
        (df["formulier"] == FORM_NAME)
        & df["respondent_id"].str.fullmatch(UUID)
        & df["gemeentecode"].str.fullmatch(GEMEENTECODE)
        & df["einde"].notna()
    )
    return _latest(df[usable], ["respondent_id"])


def _by_period(df: pd.DataFrame, moment: str) -> pd.DataFrame:
    """Each row twice: in its year and in its quarter."""
    year = df[moment].dt.year.astype(str)
    quarter = year + "-Q" + df[moment].dt.quarter.astype(str)
    return pd.concat([df.assign(periode=year), df.assign(periode=quarter)], ignore_index=True)


def invitations(landing: Path) -> pd.DataFrame:
    raw = _read(sorted((landing / "inviter").glob("*.csv")), _csv(";"))
    df = pd.DataFrame(
        {
            "_file": raw["_file"],
            "_mtime": raw["_mtime"],
            "_row": raw["_row"],
            "gemeentecode": raw["Gemeentecode"].str.strip(),
            "kanaal": raw["Kanaal"].str.strip().str.lower(),
            "verzonden_op": pd.to_datetime(raw["Verzonden op"].str.strip(),
                                           format="%d-%m-%Y %H:%M", errors="coerce"),
            "adres": raw["E-mailadres"],
            "status": raw["Status"].str.strip().str.lower(),
        }
    )  # fmt: skip
    usable = (
        df["gemeentecode"].str.fullmatch(GEMEENTECODE)
        & df["kanaal"].isin(["balie", "telefoon"])
        & df["verzonden_op"].notna()
        & df["status"].isin(["verzonden", "bounce"])
    )
    df = _latest(df[usable], ["gemeentecode", "kanaal", "verzonden_op", "adres"])
    df = _by_period(df, "verzonden_op")
    df["verzonden"] = df["status"] == "verzonden"
    return (
        df.groupby(["gemeentecode", "kanaal", "periode"])["verzonden"]
        .sum()
        .rename("uitnodigingen")
        .reset_index()
    )


def round_half_away(teller: int, n: int, digits: int) -> Decimal:
    """teller / n rounded half away from zero, from the integers."""
    scaled = (2 * abs(teller) * 10**digits + n) // (2 * n)
    return Decimal(scaled if teller >= 0 else -scaled).scaleb(-digits)


def _rounded(fraction: Fraction | None, digits: int) -> Decimal | None:
    if fraction is None:
        return None
    return round_half_away(fraction.numerator, fraction.denominator, digits)


def kto_cel(landing: Path, min_n: int = 10) -> pd.DataFrame:
    responses = pd.concat([one2ten(landing), openforms(landing)], ignore_index=True)
    responses = _by_period(responses, "einde")
    responses["ces_punten"] = 100 * responses["moeite"]
    cells = (
        responses.groupby(["gemeentecode", "kanaal", "periode"])
        .agg(
            respons=("review", "size"),
            reviews=("review", "sum"),
            verbetertips=("tip", "sum"),
            totaal_teller=("totaaloordeel", "sum"),
            totaaloordeel_n=("totaaloordeel", "count"),
            ces_teller=("ces_punten", "sum"),
            ces_n=("moeite", "count"),
        )
        .reset_index()
    )
    cells = cells.merge(invitations(landing), how="left", on=["gemeentecode", "kanaal", "periode"])

    def exact(teller, n):
        return [
            Fraction(int(t), int(k)) if k >= min_n else None for t, k in zip(teller, n, strict=True)
        ]

    cells["totaal_frac"] = exact(cells["totaal_teller"], cells["totaaloordeel_n"])
    cells["ces_frac"] = exact(cells["ces_teller"], cells["ces_n"])
    for figure, fractions, digits in (
        ("totaaloordeel", cells["totaal_frac"], 1),
        ("ces", cells["ces_frac"], 0),
    ):
        cells[figure] = [_rounded(f, digits) for f in fractions]
        cells[f"{figure}_exact"] = [None if f is None else float(f) for f in fractions]
        bm = {}
        for key, group in cells.groupby(["kanaal", "periode"]):
            values = [f for f in fractions[group.index] if f is not None]
            bm[key] = _rounded(sum(values, Fraction(0)) / len(values), digits) if values else None
        cells[f"{figure}_bm"] = [bm[k] for k in zip(cells["kanaal"], cells["periode"], strict=True)]
    return cells[
        ["gemeentecode", "kanaal", "periode", "respons", "reviews", "verbetertips",
         "uitnodigingen", "totaaloordeel", "totaaloordeel_exact", "totaaloordeel_n",
         "totaaloordeel_bm", "ces", "ces_exact", "ces_n", "ces_bm"]
    ].sort_values(["gemeentecode", "kanaal", "periode"])  # fmt: skip


def main(argv: list[str]) -> int:
    landing, out = Path(argv[0]), Path(argv[1])
    min_n = int(argv[2]) if len(argv) > 2 else 10
    started = time.perf_counter()
    cells = kto_cel(landing, min_n)
    seconds = time.perf_counter() - started
    write_cells(cells, out)
    print(json.dumps({"seconds": round(seconds, 3), "cells": len(cells)}))
    return 0


def write_cells(cells: pd.DataFrame, out: Path) -> None:
    """As Parquet through DuckDB (exact decimals kept), so the bench reads all references alike."""
    import duckdb

    frame = cells.astype(object).where(cells.notna(), None)
    with duckdb.connect() as con:
        con.register("cells", frame)
        con.execute(
            f"""COPY (SELECT gemeentecode::VARCHAR AS gemeentecode, kanaal::VARCHAR AS kanaal,
                    periode::VARCHAR AS periode, respons::BIGINT AS respons,
                    reviews::BIGINT AS reviews, verbetertips::BIGINT AS verbetertips,
                    uitnodigingen::BIGINT AS uitnodigingen,
                    totaaloordeel::DECIMAL(3, 1) AS totaaloordeel,
                    totaaloordeel_exact::DOUBLE AS totaaloordeel_exact,
                    totaaloordeel_n::BIGINT AS totaaloordeel_n,
                    totaaloordeel_bm::DECIMAL(3, 1) AS totaaloordeel_bm,
                    ces::INTEGER AS ces, ces_exact::DOUBLE AS ces_exact,
                    ces_n::BIGINT AS ces_n, ces_bm::INTEGER AS ces_bm
                FROM cells) TO '{out}' (FORMAT parquet)"""
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
