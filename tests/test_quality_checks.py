"""The suites as blocking Dagster asset checks, and `check_warehouse` as `kto check` prints it."""

import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.quality import QUALITY_CHECKS
from dagster_project.quality.report import check_warehouse
from dagster_project.quality.suites import load_suites
from dagster_project.settings import Settings
from tests.conftest import settings_resources
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


def _grade_of_11(settings: Settings) -> tuple[str, str, str]:
    with duckdb.connect(str(settings.warehouse)) as con:
        rowid, *cell = con.execute(
            "select rowid, gemeentecode, kanaal, periode from marts.kto_cel "
            "where totaaloordeel is not null limit 1"
        ).fetchone()
        con.execute(f"update marts.kto_cel set totaaloordeel = 11 where rowid = {rowid}")
    return tuple(cell)


def _run():
    return dg.materialize(
        [models, factsheets_stub, *QUALITY_CHECKS],
        instance=dg.DagsterInstance.ephemeral(),
        resources=settings_resources(),
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
        ("marts", "kto_cel", "gx_min_respondents", True),
        ("marts", "kto_cel", "gx_ranges", True),
        ("staging", "stg_one2ten__responses", "gx_staging", True),
    } <= specs


def test_one_step_per_suite():
    assert sorted(check.node_def.name for check in QUALITY_CHECKS) == sorted(
        f"gx_{name}" for name in load_suites()
    )


def test_checks_pass_on_a_clean_warehouse(env):
    result = _run()

    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == sum(len(list(check.check_specs)) for check in QUALITY_CHECKS)
    assert all(e.passed for e in evaluations)
    assert all(e.metadata["failing_rows"].value == 0 for e in evaluations)
    assert built == ["factsheets"]
    assert (env.output_dir / "quality" / "data_docs" / "index.html").exists()


def test_failing_rule_fails_its_check_and_names_what_it_withholds(env):
    cell = _grade_of_11(env)

    result = _run()

    evaluations = {
        (e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()
    }
    failed = evaluations[("kto_cel", "gx_ranges")]
    assert not failed.passed
    # WARN: the run goes on to the factsheet step, which withholds what the breach names
    assert failed.severity == dg.AssetCheckSeverity.WARN
    assert failed.metadata["rule"].value == "cel_totaaloordeel_1_10"
    assert failed.metadata["failing_rows"].value == 1
    sample = failed.metadata["sample_rows"].value
    assert all(part in sample for part in cell) and "11.0" in sample
    (failure,) = failed.metadata["failures"].value
    assert failure["sample"][0]["totaaloordeel"] == 11.0
    (breach,) = failed.metadata["breaches"].value
    assert (breach["rule"], breach["model"], breach["scope"]) == (
        "gx ranges/cel_totaaloordeel_1_10",
        "marts/kto_cel",
        "cel",
    )
    assert breach["cells"] == [list(cell)]
    assert [k for k, e in evaluations.items() if not e.passed] == [("kto_cel", "gx_ranges")]
    # blocking: the step downstream of marts/kto_cel started after the checks finished
    assert built == ["factsheets"]
    events = [(e.event_type_value, e.step_key) for e in result.all_events]
    start = events.index(("STEP_START", "factsheets_stub"))
    on_cel = [
        check.node_def.name
        for check in QUALITY_CHECKS
        if any(spec.asset_key.path[-1] == "kto_cel" for spec in check.check_specs)
    ]
    assert len(on_cel) == 2
    assert all(events.index(("STEP_SUCCESS", name)) < start for name in on_cel)


def test_check_warehouse_report_and_exit_code(env):
    clean = check_warehouse(env)
    assert clean.success and clean.exit_code == 0
    assert clean.text().splitlines()[-2].startswith("All rules hold.")

    cell = _grade_of_11(env)
    report = check_warehouse(env)

    assert report.exit_code == 1
    (failure,) = report.failures
    assert (failure.suite, failure.rule, failure.failing_rows) == (
        "ranges",
        "cel_totaaloordeel_1_10",
        1,
    )
    text = report.text()
    assert "FAIL ranges/cel_totaaloordeel_1_10 on kto_cel (totaaloordeel): 1 rows" in text
    assert "gemeentecode={}, kanaal={}, periode={}".format(*cell) in text
    assert report.as_dict()["suites"][0]["suite"] == "min_respondents"

    # Data Docs: GX's site and the offline summary, naming the failing rule and its row
    docs = env.output_dir / "quality" / "data_docs"
    assert report.data_docs == docs / "last_check.html"
    summary = report.data_docs.read_text()
    assert "cel_totaaloordeel_1_10" in summary and cell[0] in summary
    pages = list((docs / "validations").rglob("*.html"))
    assert len(pages) == sum(len(r.gx_suites) for r in report.results)
    ranges_cel = [p for p in pages if "ranges" in p.parts and "kto_cel" in p.parts]
    assert len(ranges_cel) == 1 and "Failed" in ranges_cel[0].read_text()


def test_check_warehouse_without_a_warehouse(tmp_path):
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(tmp_path / "none.duckdb"), "KTO_OUTPUT_DIR": str(tmp_path)}
    )
    with pytest.raises(FileNotFoundError, match="kto run"):
        check_warehouse(settings)
