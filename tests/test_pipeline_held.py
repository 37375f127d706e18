"""`kto run` with a broken re-upload: the good rows stay in the marts and factsheets, and the
run exits non-zero naming the file."""

from __future__ import annotations

import io

import duckdb
import pytest

from dagster_project import cli
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from tests.conftest import copy_samples
from tests.test_ingest_redelivery import BALIE_2020, comma_copy

pytestmark = pytest.mark.slow


def test_kto_run_keeps_the_good_rows_of_a_broken_reupload_and_fails_naming_it(
    tmp_path, monkeypatch, expected
):
    landing = copy_samples(tmp_path / "landing")
    warehouse = tmp_path / "warehouse.duckdb"
    load_landing(landing, warehouse)  # the good delivery, ingested earlier
    comma_copy(landing / BALIE_2020)
    for name, value in {
        "KTO_LANDING_DIR": landing,
        "KTO_WAREHOUSE": warehouse,
        "KTO_OUTPUT_DIR": tmp_path / "output",
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # an instance of its own

    printed = io.StringIO()
    assert cli.run_pipeline(Settings.from_env(), out=printed) is False  # `kto run` exits 1
    out = printed.getvalue()
    assert f"held: {BALIE_2020}: header has no ';' delimiter (it looks ','-separated)" in out
    assert "refresh: " in out  # everything else was built

    balie_2020 = {
        key.split("|")[0]: cell["respons"]
        for key, cell in expected["cells"].items()
        if key.endswith("|balie|2020")
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = dict(
            con.execute(
                "SELECT gemeentecode, respons FROM marts.kto_cel "
                "WHERE kanaal = 'balie' AND periode = '2020'"
            ).fetchall()
        )
    assert built == balie_2020 and len(built) >= 3
    for code, respons in balie_2020.items():
        if respons >= expected["min_n"]:
            assert (tmp_path / "output" / "factsheets" / "2020" / f"{code}_balie.pdf").is_file()
