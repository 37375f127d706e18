"""The code lists have one source that the readers, the factsheets and dbt all read.

dbt compiles its macros from the var ``code_lists`` (dbt_project.yml); the readers and the
factsheet texts get theirs from ``dagster_project.domain.code_lists``. These tests compile the
macros with dbt itself and compare what dbt sees with what the readers accept.
"""

from __future__ import annotations

import json

import duckdb
import pytest

from dagster_project.ingest.readers import one2ten, openforms
from tests.test_dbt_rounding import compile_inline

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dbt_lists(tmp_path_factory: pytest.TempPathFactory) -> dict:
    warehouse = tmp_path_factory.mktemp("code_lists") / "warehouse.duckdb"
    compiled = compile_inline(
        "{{ tojson({'aspects': aspect_columns(), 'hostmanship': hostmanship_columns(),"
        " 'statements': statement_columns(), 'products': product_order(),"
        " 'aspect_order': aspect_order(), 'in_een_keer': in_een_keer_geholpen_label()}) }}"
        "\n-- split --\n"
        "select label, {{ moeite_code('label') }} as moeite, {{ eens_code('label') }} as eens,"
        " {{ ja_nee_code('label') }} as ja_nee from labels",
        warehouse,
    )
    lists, codes_sql = compiled.split("-- split --")
    return {**json.loads(lists), "codes_sql": codes_sql}


def _grade_columns(fields) -> dict[str, str]:
    return {f.column: f.raw_name for f in fields if f.sql_type == "INTEGER"}


def test_the_readers_write_the_columns_dbt_reads(dbt_lists):
    grades = _grade_columns(one2ten.FIELDS)
    assert [[label, grades[label]] for label, _ in dbt_lists["aspects"]] == dbt_lists["aspects"]
    hostmanship = [raw for column, raw in grades.items() if column.startswith("Hostmanship - ")]
    assert hostmanship == dbt_lists["hostmanship"]
    assert len(hostmanship) == 6
    statement_raw = [raw for _, raw in openforms.STATEMENTS]
    assert statement_raw == [column for _, column in dbt_lists["statements"]]
    of_columns = {f.raw_name for f in openforms.FIELDS}
    assert set(statement_raw) <= of_columns
    assert dbt_lists["in_een_keer"] in {f.column for f in one2ten.FIELDS}
    # every aspect placed on a factsheet is one the reader reads (or Hostmanship's items)
    for kanaal, order in dbt_lists["aspect_order"].items():
        assert set(order) - {"Hostmanship"} <= set(grades), kanaal


def test_every_label_a_reader_accepts_maps_to_its_code_in_dbt(dbt_lists):
    """The labels the readers let through are exactly the ones staging maps to a code."""
    reader_lists = {
        "moeite": [*one2ten.MOEITE.values(), *openforms.MOEITE.values()],
        "eens": [*openforms.EENS.values()],
        "ja_nee": [
            *one2ten.JA_NEE_WEET_NIET.values(),
            *one2ten.JA_NEE.values(),
            *openforms.JA_NEE.values(),
        ],
    }
    labels = sorted({label for ls in reader_lists.values() for label in ls} | {"Misschien"})
    with duckdb.connect() as con:
        con.execute("create table labels (label varchar)")
        con.executemany("insert into labels values (?)", [(label,) for label in labels])
        rows = con.execute(dbt_lists["codes_sql"]).fetchall()
    mapped = {
        label: dict(zip(("moeite", "eens", "ja_nee"), codes, strict=True)) for label, *codes in rows
    }
    for kind, accepted in reader_lists.items():
        for label in accepted:
            assert mapped[label][kind] is not None, (kind, label)
    # a label no reader accepts has no code; "Ja" and "ja" (two tools) get the same code
    assert set(mapped["Misschien"].values()) == {None}
    assert mapped["Ja"]["ja_nee"] == mapped["ja"]["ja_nee"] == "ja"
    assert mapped["Heel veel moeite"]["moeite"] == mapped["heelVeelMoeite"]["moeite"]
    # each tool's labels map to distinct codes: no two answers collapse
    for kind, tool_labels in [
        ("moeite", one2ten.MOEITE.values()),
        ("moeite", openforms.MOEITE.values()),
        ("eens", openforms.EENS.values()),
        ("ja_nee", one2ten.JA_NEE_WEET_NIET.values()),
    ]:
        codes = [mapped[label][kind] for label in tool_labels]
        assert len(set(codes)) == len(codes), (kind, codes)
