"""The suites as blocking Dagster asset checks, and `check_warehouse` as `kto check` prints it."""

import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.quality import QUALITY_CHECKS
from dagster_project.quality.report import check_warehouse
from dagster_project.quality.suites import load_suites
from dagster_project.settings import Settings
from tests.test_quality_warehouse import warehouse_copy

GUARDED = sorted({asset for suite in load_suites().values() for asset in suite.assets()})


@dg.multi_asset(specs=[dg.AssetSpec(list(a)) for a in GUARDED], can_subset=True)
def models(context: dg.AssetExecutionContext):
    """Stands in for the dbt models: the warehouse is already built."""
    for key in context.selected_asset_keys:
        yield dg.MaterializeResult(asset_key=key)


built = []


@dg.asset(deps=[dg.AssetKey(["marts", "kto_cel"])])
def factsheets_stub() -> None:
    built.append("factsheets")


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return warehouse_copy(tmp_path_factory.mktemp("clean"))


@pytest.fixture
def env(clean, tmp_path, monkeypatch):
    """Settings pointing at a fresh copy of the clean warehouse and an empty output folder."""
    path, min_n = clean
    shutil.copyfile(path, tmp_path / "warehouse.duckdb")
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("KTO_MIN_RESPONDENTS", str(min_n))
    built.clear()
    return Settings.from_env()


def _products_not_summing_up(settings: Settings) -> tuple[str, str, str]:
    """One product's respons one higher: the cell's products no longer add up to the cell."""
    with duckdb.connect(str(settings.warehouse)) as con:
        rowid, *cell = con.execute(
            "select rowid, gemeentecode, kanaal, periode from marts.kto_product "
            "order by all limit 1"
        ).fetchone()
        con.execute(f"update marts.kto_product set respons = respons + 1 where rowid = {rowid}")
    return tuple(cell)


def _run():
    return dg.materialize(
        [models, factsheets_stub, *QUALITY_CHECKS],
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def test_one_blocking_check_per_suite_and_guarded_asset():
    specs = {
        (spec.asset_key.path[0], spec.asset_key.path[-1], spec.name, spec.blocking)
        for check in QUALITY_CHECKS
        for spec in check.check_specs
    }
    assert specs == {
        (*asset, f"gx_{suite.name}", True)
        for suite in load_suites().values()
        for asset in suite.assets()
    }
    assert {
        ("marts", "kto_cel", "gx_marts", True),
        ("marts", "kto_product", "gx_marts", True),
        ("staging", "stg_one2ten__responses", "gx_staging", True),
    } <= specs


def test_one_step_for_every_suite():
    """One process and one GX start-up under the multiprocess executor."""
    assert [check.node_def.name for check in QUALITY_CHECKS] == ["gx_suites"]


def test_checks_pass_on_a_clean_warehouse(env):
    result = _run()

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == sum(len(list(check.check_specs)) for check in QUALITY_CHECKS)
    assert all(e.passed for e in evaluations)
    assert all(e.metadata["failing_rows"].value == 0 for e in evaluations)
    assert built == ["factsheets"]
    assert (env.output_dir / "quality" / "data_docs" / "index.html").exists()


def test_failing_rule_fails_its_check_and_names_what_it_withholds(env):
    cell = _products_not_summing_up(env)

    result = _run()

    evaluations = {
        (e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()
    }
    failed = evaluations[("kto_product", "gx_marts")]
    assert not failed.passed
    # WARN: the run goes on to the factsheet step, which withholds what the breach names
    assert failed.severity == dg.AssetCheckSeverity.WARN
    assert failed.metadata["rule"].value == "product_respons_sums_to_cell"
    assert failed.metadata["failing_rows"].value == 1
    sample = failed.metadata["sample_rows"].value
    assert all(part in sample for part in cell)
    (failure,) = failed.metadata["failures"].value
    shown = failure["sample"][0]
    assert shown["product_respons"] == shown["respons"] + 1
    (breach,) = failed.metadata["breaches"].value
    assert (breach["rule"], breach["model"], breach["scope"]) == (
        "gx marts/product_respons_sums_to_cell",
        "marts/kto_product",
        "cel",
    )
    assert breach["cells"] == [list(cell)]
    assert [k for k, e in evaluations.items() if not e.passed] == [("kto_product", "gx_marts")]
    # blocking: the step downstream of the marts started after the checks finished
    assert built == ["factsheets"]
    events = [(e.event_type_value, e.step_key) for e in result.all_events]
    assert events.index(("STEP_SUCCESS", "gx_suites")) < events.index(
        ("STEP_START", "factsheets_stub")
    )


def test_check_warehouse_report_and_exit_code(env):
    clean = check_warehouse(env)
    assert clean.success and clean.exit_code == 0
    assert clean.text().splitlines()[-2].startswith("All rules hold.")

    cell = _products_not_summing_up(env)
    report = check_warehouse(env)

    assert report.exit_code == 1
    (failure,) = report.failures
    assert (failure.suite, failure.rule, failure.failing_rows) == (
        "marts",
        "product_respons_sums_to_cell",
        1,
    )
    text = report.text()
    assert "FAIL marts/product_respons_sums_to_cell on kto_product_totalen" in text
    assert "gemeentecode={}, kanaal={}, periode={}".format(*cell) in text
    assert report.as_dict()["suites"][0]["suite"] == "marts"

    # Data Docs: GX's site and the offline summary, naming the failing rule and its row
    docs = env.output_dir / "quality" / "data_docs"
    assert report.data_docs == docs / "last_check.html"
    summary = report.data_docs.read_text()
    assert "product_respons_sums_to_cell" in summary and cell[0] in summary
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == sum(len(r.gx_suites) for r in report.results)
    failed_pages = [p for p in pages if "marts" in p.parts and "kto_product_totalen" in p.parts]
    assert len(failed_pages) == 1 and "Failed" in failed_pages[0].read_text()


def test_check_warehouse_without_a_warehouse(tmp_path):
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(tmp_path / "none.duckdb"), "KTO_OUTPUT_DIR": str(tmp_path)}
    )
    with pytest.raises(FileNotFoundError, match="kto run"):
        check_warehouse(settings)
