"""The published snapshot as a BI tool sees it: documented tables and columns, dimensions,
the long figure table, schemas fixed by the contract, CSV for Excel, the docs site.

On the samples built by dbt (conftest's ``built_sample_warehouse``), published once per
module with the dbt docs site."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import re
import shutil
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from dagster_project.factsheets.marts import list_periodes
from dagster_project.factsheets.view import build_view_models
from dagster_project.publish import Published, publish_marts
from dagster_project.publish.excel_csv import BOM
from dagster_project.publish.public_marts import PUBLIC_MARTS
from dagster_project.publish.snapshot_tables import read_contract
from dagster_project.settings import Settings
from dagster_project.transform.commands import docs_site, prepare_manifest, run_dbt

pytestmark = pytest.mark.slow

# figuur_type -> (wide mart, its figure-name column, its value column)
WIDE = {
    "totaaloordeel": ("kto_cel", None, "totaaloordeel"),
    "ces": ("kto_cel", None, "ces"),
    "aspect": ("kto_aspect", "aspect", "score"),
    "stelling": ("kto_stelling", "stelling", "pct"),
    "product": ("kto_product", "product", "totaaloordeel"),
    "thema": ("kto_thema", "thema", "aandeel"),
}
FIGURE_NAMES = {"totaaloordeel": "Totaaloordeel", "ces": "CES"}  # kto_cel's two figures


@dataclass
class Publication:
    settings: Settings
    published: Published


@pytest.fixture(scope="module")
def manifest_models() -> dict[str, dict]:
    manifest = json.loads(prepare_manifest().read_text())
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


@pytest.fixture(scope="module")
def publication(built_sample_warehouse: Path, tmp_path_factory) -> Publication:
    root = tmp_path_factory.mktemp("bi")
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)  # dbt docs opens it for writing
    # One comparison group of every sample municipality, so that kto_vergelijkingsgroep (empty
    # without KTO_VERGELIJKINGSGROEPEN) has rows to publish like every other table.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cells = con.sql("SELECT DISTINCT gemeentecode FROM marts.kto_cel").fetchall()
    codes = sorted(code for (code,) in cells)
    groups = root / "vergelijkingsgroepen.csv"
    groups.write_text("groep;gemeentecode\n" + "".join(f"Alle;{c}\n" for c in codes))
    settings = Settings.from_env(
        {
            "KTO_WAREHOUSE": str(warehouse),
            "KTO_OUTPUT_DIR": str(root / "output"),
            "KTO_VERGELIJKINGSGROEPEN": str(groups),
        }
    )
    run = run_dbt(["run", "--select", "int_comparison_groups+"], settings)
    assert run.ok, run.output
    site = docs_site(root / "docs-target", settings)
    return Publication(settings, publish_marts(warehouse, settings.output_dir, docs_site=site))


def snapshot(pub: Publication) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(pub.published.snapshot), read_only=True)


def rows(con, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def not_null_in_contract(column: dict) -> bool:
    return any(c["type"] == "not_null" for c in column.get("constraints", []))


def test_every_published_column_has_a_description(manifest_models):
    """The contract lists every column of a public mart (dbt enforces it), so a column
    without a description here is a column a BI tool would show undocumented."""
    missing = []
    for table in PUBLIC_MARTS:
        model = manifest_models[table]
        assert model["config"]["contract"]["enforced"], table
        if not model["description"].strip():
            missing.append(table)
        missing += [f"{table}.{c}" for c, col in model["columns"].items() if not col["description"]]
    assert missing == []


def test_a_bi_tool_sees_every_table_column_and_comment(publication, manifest_models):
    url = f"duckdb:///{publication.published.snapshot}?access_mode=read_only"
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        assert sorted(inspector.get_table_names()) == sorted(PUBLIC_MARTS)
        for table in PUBLIC_MARTS:
            model = manifest_models[table]
            assert inspector.get_table_comment(table)["text"] == model["description"], table
            columns = inspector.get_columns(table)
            assert [c["name"] for c in columns] == list(model["columns"]), table
            for column in columns:
                want = model["columns"][column["name"]]
                assert column["comment"] and column["comment"] == want["description"], column
                assert column["nullable"] == (not not_null_in_contract(want)), column
        # read only: a BI tool cannot change the snapshot
        with engine.connect() as con, pytest.raises(sa.exc.DBAPIError):
            con.execute(sa.text("CREATE TABLE x (a INTEGER)"))
    finally:
        engine.dispose()


def test_sqlalchemy_and_pandas_reflect_the_snapshot(publication, manifest_models):
    """MetaData.reflect, Table(autoload_with=...), pandas.read_sql_table and the key
    look-ups work on the published snapshot (dagster_project/compat/sqlalchemy_reflection.py)."""
    url = f"duckdb:///{publication.published.snapshot}?access_mode=read_only"
    engine = sa.create_engine(url)
    try:
        metadata = sa.MetaData()
        with warnings.catch_warnings():  # duckdb-engine: "no reflection on indices" (none)
            warnings.simplefilter("ignore")
            metadata.reflect(engine)
            table = sa.Table("kto_cel", sa.MetaData(), autoload_with=engine)
            inspector = sa.inspect(engine)
            assert inspector.get_pk_constraint("kto_cel")["constrained_columns"] == []
            assert inspector.get_foreign_keys("kto_cel") == []
        assert sorted(metadata.tables) == sorted(PUBLIC_MARTS)
        assert [c.name for c in table.columns] == list(manifest_models["kto_cel"]["columns"])
        assert table.comment == manifest_models["kto_cel"]["description"]
        frame = pd.read_sql_table("kto_figuur", engine)
        with engine.connect() as con:
            n = con.execute(sa.text("SELECT count(*) FROM kto_figuur")).scalar_one()
        assert len(frame) == n > 0
    finally:
        engine.dispose()


def test_the_reflection_types_are_still_needed(tmp_path):
    """The pinned duckdb-engine fails to reflect a DuckDB file without the snapshot's
    reflection types: when this fails, a release fixed it and sqlalchemy_compat can go."""
    plain = tmp_path / "plain.duckdb"
    with duckdb.connect(str(plain)) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
    engine = sa.create_engine(f"duckdb:///{plain}?access_mode=read_only")
    try:
        with pytest.raises(sa.exc.DBAPIError, match="REGCLASS"):
            sa.MetaData().reflect(engine)
    finally:
        engine.dispose()


def factsheet_down_arrows(pub: Publication) -> set[tuple[str, str, str]]:
    """The cells whose factsheet marks totaaloordeel with ▼, from the factsheets' view model."""
    marked = set()
    with duckdb.connect(str(pub.settings.warehouse), read_only=True) as con:
        for periode in list_periodes(con):
            for view in build_view_models(con, periode, pub.settings, dt.date(2024, 1, 1)):
                if view.totaaloordeel.teken == "▼":
                    marked.add((view.gemeentecode, view.kanaal, view.periode))
    return marked


def test_significantly_below_the_benchmark_is_the_factsheets_down_arrow(publication):
    marked = factsheet_down_arrows(publication)
    assert marked, "the samples must have a cell below the benchmark for this to mean anything"
    with snapshot(publication) as con:
        wide = set(
            con.execute(
                "SELECT gemeentecode, kanaal, periode FROM marts.kto_cel"
                " WHERE totaaloordeel_richting = 'lager'"
            ).fetchall()
        )
        long = set(
            con.execute(
                "SELECT gemeentecode, kanaal, periode FROM marts.kto_figuur"
                " WHERE figuur_type = 'totaaloordeel' AND richting = 'lager'"
            ).fetchall()
        )
    assert wide == marked
    assert long == marked


def parse_csv_field(text: str, data_type: str) -> Any:
    """A CSV field back to the value DuckDB gives for the column type."""
    if text == "":
        return None
    kind = data_type.upper()
    if kind.startswith("DECIMAL"):
        assert "." not in text, text
        return Decimal(text.replace(",", "."))
    if kind == "DOUBLE":
        assert "." not in text, text
        return float(text.replace(",", "."))
    if kind in ("INTEGER", "BIGINT"):
        return int(text)
    if kind == "BOOLEAN":
        return {"true": True, "false": False}[text]
    if kind == "DATE":
        return dt.date.fromisoformat(text)
    assert kind == "VARCHAR", kind
    # a text Excel would run as a formula is written with a leading apostrophe
    return text[1:] if re.match(r"'[=+\-@\t\r]", text) else text


def test_parquet_and_csv_hold_the_snapshots_values(publication):
    suppressed_seen = 0
    with snapshot(publication) as con:
        for table in PUBLIC_MARTS:
            contract = read_contract(con, "marts", "main", table)
            names = [c.name for c in contract.columns]
            order = ", ".join(f'"{n}"' for n in names)
            want = con.execute(f"SELECT * FROM main.{table} ORDER BY {order}").fetchall()
            assert want, table
            parquet = publication.published.parquet[table]
            got = con.execute(f"SELECT * FROM read_parquet('{parquet}') ORDER BY {order}")
            parquet_types = [d[1] for d in got.description]
            assert got.fetchall() == want, table
            assert parquet_types == [d[1] for d in con.execute(f"FROM main.{table}").description]

            raw = publication.published.csv[table].read_bytes()
            assert raw.startswith(BOM), table
            reader = csv.reader(io.StringIO(raw[len(BOM) :].decode("utf-8")), delimiter=";")
            header, *lines = list(reader)
            assert header == names
            types = [c.data_type for c in contract.columns]
            parsed = [
                tuple(parse_csv_field(v, t) for v, t in zip(line, types, strict=True))
                for line in lines
            ]
            assert sorted(parsed, key=lambda r: [(v is None, str(v)) for v in r]) == sorted(
                want, key=lambda r: [(v is None, str(v)) for v in r]
            ), table
        # suppressed figures are NULL in the snapshot, so empty in the CSV (checked above)
        (suppressed_seen,) = con.execute(
            "SELECT count(*) FROM main.kto_cel WHERE totaaloordeel IS NULL"
        ).fetchone()
    assert suppressed_seen > 0


def test_every_key_of_the_marts_is_in_the_dimensions(publication):
    with snapshot(publication) as con:
        periodes = {r[0] for r in con.execute("SELECT periode FROM dim_periode").fetchall()}
        gemeenten = {r[0] for r in con.execute("SELECT gemeentecode FROM dim_gemeente").fetchall()}
        for table in PUBLIC_MARTS:
            if table.startswith("dim_"):
                continue
            keys = con.execute(f"SELECT DISTINCT periode, gemeentecode FROM {table}").fetchall()
            assert keys, table
            assert {p for p, _ in keys} <= periodes, table
            assert {g for _, g in keys} <= gemeenten, table
        names = dict(con.execute("SELECT DISTINCT gemeentecode, gemeente FROM kto_cel").fetchall())
        assert dict(con.execute("SELECT gemeentecode, gemeente FROM dim_gemeente").fetchall()) == (
            names
        )


def test_dim_periode_has_each_years_and_quarters_dates(publication):
    with snapshot(publication) as con:
        periods = rows(con, "SELECT * FROM dim_periode")
        years = {r[0] for r in con.execute("SELECT DISTINCT jaar FROM kto_cel").fetchall()}
    want_years = set(range(min(years), max(years) + 1))
    assert {p["periode"] for p in periods} == {str(y) for y in want_years} | {
        f"{y}-Q{q}" for y in want_years for q in (1, 2, 3, 4)
    }
    for p in periods:
        jaar, kwartaal = p["jaar"], p["kwartaal"]
        if p["soort"] == "jaar":
            assert kwartaal is None and p["periode"] == str(jaar)
            assert (p["begindatum"], p["einddatum"]) == (dt.date(jaar, 1, 1), dt.date(jaar, 12, 31))
        else:
            assert p["soort"] == "kwartaal" and p["periode"] == f"{jaar}-Q{kwartaal}"
            last_month = 3 * kwartaal
            end = dt.date(jaar, last_month, calendar.monthrange(jaar, last_month)[1])
            assert (p["begindatum"], p["einddatum"]) == (dt.date(jaar, last_month - 2, 1), end)
    q2 = next(p for p in periods if p["periode"] == f"{min(years)}-Q2")
    assert (q2["begindatum"].month, q2["begindatum"].day) == (4, 1)
    assert (q2["einddatum"].month, q2["einddatum"].day) == (6, 30)


def wide_columns(mart: str, figuur_type: str, value: str) -> dict[str, str]:
    """kto_figuur's column -> the wide mart's column holding the same (absent: NULL)."""
    if mart == "kto_cel":
        p = f"{figuur_type}_"
        names = ["ci_low", "ci_high", "bm", "bm_exact", "significant", "richting", "publiceerbaar"]
        names += ["reden", "bm_reden", "bm_p_waarde", "bm_q_waarde"]
        return {
            "soort": "soort",
            "waarde": value,
            "waarde_exact": f"{p}exact",
            "n": f"{p}n",
            "bm_method": "bm_method",
            **{c: p + c for c in names},
        }
    if mart == "kto_product":
        return {
            "waarde": value,
            "waarde_exact": f"{value}_exact",
            "n": f"{value}_n",
            "publiceerbaar": "publiceerbaar",
            "volgorde": "volgorde",
            "soort": "soort",
            "reden": "reden",
        }
    shared = ["n", "bm", "bm_exact", "ci_low", "ci_high", "publiceerbaar", "significant"]
    shared += ["richting", "bm_method", "volgorde", "soort", "reden", "bm_reden"]
    if mart != "kto_thema":  # a theme's share has no p-value: its interval is the test
        shared += ["bm_p_waarde", "bm_q_waarde"]
    return {"waarde": value, "waarde_exact": f"{value}_exact", **{c: c for c in shared}}


def test_kto_figuur_is_the_wide_marts_in_long_form(publication):
    with snapshot(publication) as con:
        long = {
            (r["gemeentecode"], r["kanaal"], r["periode"], r["figuur_type"], r["figuur"]): r
            for r in rows(con, "SELECT * FROM kto_figuur")
        }
        expected = {}
        for figuur_type, (mart, name_column, value) in WIDE.items():
            mapping = wide_columns(mart, figuur_type, value)
            for r in rows(con, f"SELECT * FROM {mart}"):
                figuur = r[name_column] if name_column else FIGURE_NAMES[figuur_type]
                key = (r["gemeentecode"], r["kanaal"], r["periode"], figuur_type, figuur)
                expected[key] = {c: r[w] for c, w in mapping.items()}
    assert set(long) == set(expected)
    compared = {"gemeentecode", "kanaal", "periode", "figuur_type", "figuur", "decimalen"}
    hidden = 0
    for key, want in expected.items():
        got = long[key]
        for column in set(got) - compared:
            if column == "volgorde" and column not in want:
                continue  # kto_cel's two figures have no order column
            assert got[column] == want.get(column), (key, column)
        hidden += not got["publiceerbaar"]
    assert hidden > 0  # the NULLs of hidden figures were compared too


def parquet_schemas(published: Published) -> dict[str, list[tuple]]:
    return {
        table: duckdb.sql(
            "SELECT name, type, repetition_type, converted_type, logical_type, precision, scale"
            f" FROM parquet_schema('{path}') ORDER BY name"
        ).fetchall()
        for table, path in published.parquet.items()
    }


def test_parquet_nullability_follows_the_contract(publication, manifest_models):
    for table, path in publication.published.parquet.items():
        leaves = f"SELECT name, repetition_type FROM parquet_schema('{path}')"
        repetition = dict(duckdb.sql(leaves + " WHERE num_children IS NULL").fetchall())
        columns = manifest_models[table]["columns"]
        assert list(repetition) == list(columns), table
        for name, column in columns.items():
            want = "REQUIRED" if not_null_in_contract(column) else "OPTIONAL"
            assert repetition[name] == want, (table, name)
    assert any(not_null_in_contract(c) for c in manifest_models["kto_figuur"]["columns"].values())


def test_parquet_files_carry_the_column_descriptions(publication, manifest_models):
    """A Parquet reader finds each column's description (the snapshot's comment) in the
    field metadata of the Arrow schema, and the table's in the schema metadata."""
    import pyarrow.parquet as pq

    for table, path in publication.published.parquet.items():
        model = manifest_models[table]
        schema = pq.read_schema(path)
        assert schema.names == list(model["columns"]), table
        assert schema.metadata[b"description"].decode() == model["description"], table
        for field in schema:
            want = model["columns"][field.name]["description"]
            assert want and field.metadata[b"description"].decode() == want, (table, field.name)
            assert field.nullable == (not not_null_in_contract(model["columns"][field.name]))
    cel = pq.read_schema(publication.published.parquet["kto_cel"])
    assert b"onder_drempel" in cel.field("totaaloordeel_reden").metadata[b"description"]


def test_the_table_comments_say_how_to_query(publication):
    """Each fact table's comment in the snapshot tells a BI user to filter on soort, to read
    the direction from richting, and where a hidden value's reason is."""
    with snapshot(publication) as con:
        comments = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        columns = {
            (t, c)
            for t, c in con.execute(
                "SELECT table_name, column_name FROM duckdb_columns()"
            ).fetchall()
        }
    for table in [t for t in PUBLIC_MARTS if not t.startswith("dim_")]:
        assert "How to query" in comments[table] and "soort" in comments[table], table
        assert (table, "soort") in columns, table
        for column in [c for t, c in columns if t == table and c.endswith("richting")]:
            assert (
                f"{column} = 'lager'" in comments[table] or "richting = 'lager'" in comments[table]
            ), (table, column)
        for column in [c for t, c in columns if t == table and c.endswith("reden")]:
            assert column.split("_")[0] in comments[table] or "reden" in comments[table], table


def test_parquet_schemas_do_not_depend_on_the_data(publication, sample_warehouse, tmp_path):
    """A build whose every figure is suppressed (threshold above any n) publishes the same
    schemas as the samples' build, although whole columns are NULL in it."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(warehouse), "KTO_MIN_RESPONDENTS": "1000000"}
    )
    run = run_dbt(["run"], settings)
    assert run.ok, run.output
    other = publish_marts(warehouse, tmp_path / "output")
    with duckdb.connect(str(other.snapshot), read_only=True) as con:
        shown = con.execute(
            "SELECT count(totaaloordeel) + count(ces) + count(totaaloordeel_ci_low) FROM kto_cel"
        ).fetchone()[0]
        assert shown == 0  # whole columns NULL: the data gives no type away
    assert parquet_schemas(other) == parquet_schemas(publication.published)
    for table in PUBLIC_MARTS:
        first = publication.published.csv[table].read_bytes().splitlines()[0]
        assert other.csv[table].read_bytes().splitlines()[0] == first, table


def test_the_docs_site_is_one_page_that_fetches_nothing(publication):
    page = publication.published.docs
    assert page == publication.settings.output_dir / "docs" / "index.html"
    html = page.read_text(encoding="utf-8")
    # no resource from elsewhere: no <script src>, <link href>, @import or url() to a host
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert not re.search(r"@import\s+url\(\s*[\"']?(https?:)?//", html)
    # dbt's page loads a tracker only when the project sends usage statistics
    assert '"send_anonymous_usage_stats": false' in html or (
        '"send_anonymous_usage_stats":false' in html
    )
    for table in PUBLIC_MARTS:
        assert f"model.kto.{table}" in html, table
