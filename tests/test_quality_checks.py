"""The suites as Dagster asset checks that quality/gate waits for, and `check_warehouse` as
`kto check` prints it."""

import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.gate import GATE_KEY, quality_gate
from dagster_project.defs.quality import GATE_NOTE, QUALITY_CHECKS
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
        [models, quality_gate, factsheets_stub, *QUALITY_CHECKS],
        instance=dg.DagsterInstance.ephemeral(),
        resources=settings_resources(),
        raise_on_error=False,
    )


def test_one_check_per_suite_and_guarded_asset_blocking_only_to_order_the_gate():
    """Declared blocking: Dagster makes every step downstream of a guarded asset (the gate)
    wait for the check step; a failure is WARN (below), so blocking stops nothing, and each
    check says that the gate withholds."""
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
    descriptions = [spec.description for check in QUALITY_CHECKS for spec in check.check_specs]
    assert descriptions and all(d.endswith(GATE_NOTE) for d in descriptions)
    assert "quality/gate withholds the cells or periods it concerns" in GATE_NOTE


def test_the_gate_sits_between_every_check_and_the_outputs(definitions):
    """Every check runs in a step quality/gate depends on: its asset is upstream of the gate,
    or built in the dbt step with one that is (the tests run in that step). The factsheets
    and the snapshot are downstream of the gate, and every check on another step than the
    models' is blocking, so that the gate waits for it."""
    from dagster_project.defs.dbt import kto_dbt_models

    graph = definitions.resolve_asset_graph()
    above, todo = set(), [GATE_KEY]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys - above:
            above.add(parent)
            todo.append(parent)
    dbt_models = set(kto_dbt_models.keys)
    assert dbt_models & above
    ingest = ("landing_files_used", "gemeentecodes_in_cbs_list")  # not quality rules
    checks = [k for k in graph.asset_check_keys if k.name not in ingest]
    assert len(checks) > 60
    for key in checks:
        assert key.asset_key in above or key.asset_key in dbt_models, key
        # a check in a step of its own (the GX suites, the disclosure audit) is blocking, so
        # that the gate waits for it; a dbt test runs in its model's step and is not
        own_step = key.name.startswith("gx_") or key.name == "disclosure_audit"
        assert graph.get_check_spec(key).blocking == own_step, key
    outputs = {dg.AssetKey(["factsheets", "pdf_html"]), dg.AssetKey(["publish", "marts_snapshot"])}
    assert set(graph.get(GATE_KEY).child_keys) == outputs
    assert graph.get(GATE_KEY).group_name == "quality"


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
    [gate] = result.asset_materializations_for_node("quality__gate")
    assert gate.metadata["open"].value is True and gate.metadata["rules_failing"].value == 0
    assert gate.metadata["checks_judged"].value == len(evaluations)
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
    # blocking: the steps downstream of the marts started after the checks finished
    assert built == ["factsheets"]
    events = [(e.event_type_value, e.step_key) for e in result.all_events]
    for step in ("factsheets_stub", "quality__gate"):
        assert events.index(("STEP_SUCCESS", "gx_suites")) < events.index(("STEP_START", step))
    # the gate recorded the failing rule and the cell it withholds
    [gate] = result.asset_materializations_for_node("quality__gate")
    assert gate.metadata["open"].value is False
    assert gate.metadata["withheld_cells"].value == "- " + "/".join(cell)
    (recorded,) = gate.metadata["verdict"].value["breaches"]
    assert recorded == breach


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
