"""A failing rule withholds what it concerns, not the country; and the gate holds in every path.

One small landing folder (year 2011: periods 2011, 2011-Q1, 2011-Q2) through `kto run`
and through `refresh_job` on the multiprocess executor, as the Dagster daemon runs it.
Cells with every respondent agreeing (100%) and none agreeing (0%) get their factsheets.
Then one rule at a time is broken, on each layer:

- staging: a rule on the staging rows (every period withheld);
- intermediate: a rule on the responses placed in 2011-Q2 (that period withheld);
- mart cell: a rule on one cell's own figures (that cell withheld, the rest published);
- benchmark: a rule on 2011-Q1's benchmark (that period withheld);
- data: an Inviter log with fewer invitations than invited responses in one cell, which
  kto_cel's dbt row rules catch (that cell's year and quarter withheld).

Each is a whole pipeline run: `make test` runs the 100%/0% cells, the Inviter fault
through `kto run` and the staging fault through refresh_job; `make test-deep` all of them.
The layer faults are extra rules in a copy of the suites (``KTO_EXPECTATIONS_DIR``): the
data stay valid, the rule is what breaks, so what is withheld follows from the rule alone.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from kto_devtools.demo import write_landing
from kto_devtools.demo.model import Dataset

from dagster_project import cli
from dagster_project.quality.suites import EXPECTATIONS_DIR
from dagster_project.settings import Settings
from tests import oracle
from tests.groundtruth import FIRST_YEAR, Case, CellShape, Scenario
from tests.marts_compare import compare

pytestmark = pytest.mark.slow

YEAR = str(FIRST_YEAR)
Q1, Q2 = f"{YEAR}-Q1", f"{YEAR}-Q2"
PERIODS = (YEAR, Q1, Q2)


def _shape(**changes) -> CellShape:
    base = {
        "sizes": (0, 0, 0, 0),
        "grades": (7, 8),
        "tie": None,
        "moeite": ("Geen moeite", "Neutraal"),
        "agreement": ("eens",),
        "ja_nee": ("Ja",),
        "products": ("Rijbewijs", None),
        "incomplete": 0,
        "inviter": False,
        "extra_invitations": 0,
        "bounces": 0,
        "edges": False,
    }
    return CellShape(**{**base, **changes})


CASE = Case(
    scenarios=[
        Scenario(
            FIRST_YEAR,
            10,
            {
                ("GM0637", "balie"): _shape(sizes=(12, 11, 0, 0), inviter=True, bounces=1),
                # every respondent helped at once (100%), all with much effort (CES -100)
                ("GM0637", "telefoon"): _shape(
                    sizes=(12, 0, 0, 0), ja_nee=("Ja",), moeite=("Heel veel moeite",)
                ),
                ("GM0014", "balie"): _shape(
                    sizes=(10, 10, 0, 0), inviter=True, extra_invitations=2, grades=(9,)
                ),
                # nobody agrees with any statement (0%), all grades the same
                ("GM0014", "digitaal"): _shape(
                    sizes=(11, 0, 0, 0),
                    agreement=("oneens", "helemaalOneens"),
                    moeite=("geenMoeite", "neutraal"),
                    grades=(6,),
                ),
            },
            seed=7,
        )
    ],
    min_n=10,
    format_seed=11,
)
CELLS = {
    YEAR: {"GM0637_balie", "GM0637_telefoon", "GM0014_balie", "GM0014_digitaal"},
    Q1: {"GM0637_balie", "GM0637_telefoon", "GM0014_balie", "GM0014_digitaal"},
    Q2: {"GM0637_balie", "GM0014_balie"},
}


def short_of_invitations(data: Dataset) -> Dataset:
    """GM0014 balie 2011-Q2: one Verzonden invitation left for its invited responses."""
    kept, first = [], True
    for inv in data.invitations:
        cell = inv.gemeentecode == "GM0014" and inv.kanaal == "Balie"
        if cell and inv.verzonden_op.month in (4, 5, 6):
            if not (first and inv.status == "Verzonden"):
                continue
            first = False
        kept.append(inv)
    return replace(data, invitations=kept)


def _extra_rule(folder: Path, suite: str, expectation: dict) -> Path:
    """A copy of the suites with one more rule in ``suite``."""
    shutil.copytree(EXPECTATIONS_DIR, folder)
    path = folder / f"{suite}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["expectations"].append(expectation)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def _rule(rule: str, frame: str, type_: str, **kwargs) -> dict:
    return {
        "type": type_,
        "kwargs": kwargs,
        "meta": {"rule": rule, "frame": frame, "description": f"test fault {rule}"},
    }


# layer -> (suite, the extra rule, the withheld cells per period: "*" = every cell)
FAULTS = {
    "staging": (
        "staging",
        _rule(
            "test_staging",
            "stg_one2ten__responses",
            "expect_column_values_to_not_be_in_set",
            column="gemeentecode",
            value_set=["GM0014"],
        ),
        {YEAR: "*", Q1: "*", Q2: "*"},
    ),
    "intermediate": (
        "staging",
        _rule(
            "test_intermediate",
            "int_response_periods",
            "expect_column_values_to_not_be_in_set",
            column="periode",
            value_set=[Q2],
        ),
        {Q2: "*"},
    ),
    "mart_cell": (
        "marts",
        _rule(
            "test_mart_cell",
            "kto_cel",
            "expect_column_values_to_not_be_in_set",
            column="respons",
            value_set=[23],  # GM0637 balie 2011: 12 + 11
        ),
        {YEAR: {"GM0637_balie"}},
    ),
    "benchmark": (
        "marts",
        _rule(
            "test_benchmark",
            "kto_cel",
            "expect_column_values_to_be_between",
            column="totaaloordeel_bm",
            max_value=0,
            row_condition={
                "type": "comparison",
                "column": {"name": "periode"},
                "operator": "==",
                "parameter": Q1,
            },
        ),
        {Q1: "*"},
    ),
}


def _env(root: Path, data: Dataset, expectations: Path | None) -> dict[str, str]:
    manifest = write_landing(root / "landing", data, seed=CASE.format_seed)
    env = {
        "KTO_LANDING_DIR": str(manifest.landing_dir),
        "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(root / "output"),
        "KTO_MIN_RESPONDENTS": "10",
    }
    if expectations is not None:
        env["KTO_EXPECTATIONS_DIR"] = str(expectations)
    return env


def kto_run(root: Path, data: Dataset, expectations: Path | None = None) -> tuple[int, str]:
    """`kto run` (what ``cli.main(["run"])`` does) with its report in a string."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in _env(root, data, expectations).items():
            mp.setenv(name, value)
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))  # an instance of its own
        code = 0 if cli.run_pipeline(Settings.from_env(), out=out) else 1
    return code, out.getvalue()


def reports(output: Path) -> dict[str, dict]:
    return {
        p: json.loads((output / "factsheets" / p / "report.json").read_text(encoding="utf-8"))
        for p in PERIODS
        if (output / "factsheets" / p / "report.json").exists()
    }


def written(output: Path) -> dict[str, set[str]]:
    return {
        p: {f.stem for f in (output / "factsheets" / p).glob("*.pdf")}
        for p in PERIODS
        if (output / "factsheets" / p).is_dir()
    }


def assert_withheld(output: Path, withheld: dict, rule: str) -> None:
    """Exactly the cells of ``withheld`` are held back (with ``rule``); the rest written."""
    found = reports(output)
    files = written(output)
    for periode in PERIODS:
        held = CELLS[periode] if withheld.get(periode) == "*" else withheld.get(periode, set())
        report = found[periode]
        listed = {
            f"{w['gemeentecode']}_{w['kanaal']}": w["regels"] for w in report["achtergehouden"]
        }
        assert set(listed) == held, periode
        assert all(any(rule in r for r in rules) for rules in listed.values()), listed
        published = {Path(f["pdf"]).stem for f in report["factsheets"]}
        assert published == CELLS[periode] - held, periode
        assert files.get(periode, set()) == CELLS[periode] - held, periode
    assert not (output / "marts.duckdb").exists()  # the snapshot is withheld


def test_cells_of_100_and_0_percent_get_their_factsheets(tmp_path):
    code, text = kto_run(tmp_path, CASE.dataset)
    assert code == 0, text
    output = tmp_path / "output"
    assert written(output) == CELLS
    assert all(not r["achtergehouden"] for r in reports(output).values())
    assert (output / "marts.duckdb").exists()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        full = con.execute(
            "select pct, pct_exact, ci_low, ci_high from marts.kto_stelling"
            " where gemeentecode = 'GM0637' and kanaal = 'telefoon' and periode = ?",
            [Q1],
        ).fetchone()
        none = con.execute(
            "select max(pct), max(ci_low), min(ci_high) from marts.kto_stelling"
            " where gemeentecode = 'GM0014' and kanaal = 'digitaal' and periode = ?",
            [Q1],
        ).fetchone()
        ces = con.execute(
            "select ces, ces_ci_low, ces_ci_high, totaaloordeel_ci_low, totaaloordeel_ci_high"
            " from marts.kto_cel where gemeentecode = 'GM0014' and kanaal = 'digitaal'"
            " and periode = ?",
            [Q1],
        ).fetchone()
        tel = con.execute(
            "select ces, ces_ci_low, ces_ci_high from marts.kto_cel"
            " where gemeentecode = 'GM0637' and kanaal = 'telefoon' and periode = ?",
            [Q1],
        ).fetchone()
    # 100%: the Wilson upper bound is exactly 100, not 100.00000000000001
    assert full[0] == 100 and full[1] == 100.0 and full[3] == 100.0 and full[2] < 100
    # 0%: every statement 0, lower bound exactly 0
    assert none == (0, 0.0, none[2]) and none[2] > 0
    # every grade 6: the t-interval is the value itself
    assert (ces[3], ces[4]) == (6.0, 6.0)
    # everyone much effort: CES -100, interval clipped at -100 and containing it
    assert tel == (-100, -100.0, -100.0)
    want = oracle.expected(CASE.dataset, 10, intervals=True)
    assert not compare(tmp_path / "warehouse.duckdb", want)


@pytest.mark.deep
@pytest.mark.parametrize("layer", sorted(FAULTS))
def test_a_broken_rule_withholds_what_it_concerns_through_kto_run(tmp_path, layer):
    suite, rule, withheld = FAULTS[layer]
    expectations = _extra_rule(tmp_path / "expectations", suite, rule)
    code, text = kto_run(tmp_path / "run", CASE.dataset, expectations)
    assert code == 1, text
    name = rule["meta"]["rule"]
    assert f"FAIL gx {suite}/{name}" in text
    assert "snapshot not replaced" in text
    assert_withheld(tmp_path / "run" / "output", withheld, name)


def test_too_few_invitations_withhold_that_cell_through_kto_run(tmp_path):
    code, text = kto_run(tmp_path, short_of_invitations(CASE.dataset))
    assert code == 1, text
    # kto_cel's dbt row rules catch it, naming the rule and the cells
    assert (
        "FAIL dbt row_rules_kto_cel: expression_is_true(respons_inviter <= respons and "
        "(uitnodigingen is null or respons_inviter <= uitnodigingen))"
    ) in text
    assert "GM0014/balie/2011-Q2" in text
    assert_withheld(tmp_path / "output", {YEAR: {"GM0014_balie"}, Q2: {"GM0014_balie"}}, "")


# --- refresh_job as the daemon runs it: a persistent instance, the multiprocess executor ---


def refresh_job_def():
    from dagster_project.definitions import defs

    return defs.resolve_job_def("refresh_job")


@pytest.mark.parametrize(
    "layer",
    [
        # A job run on its own has an implicit repository without checks: the gate must
        # take the job's own checks (it published here once).
        "staging",
        pytest.param("mart_cell", marks=pytest.mark.deep),
        pytest.param("benchmark", marks=pytest.mark.deep),
        pytest.param("intermediate", marks=pytest.mark.deep),
    ],
)
def test_a_broken_rule_withholds_what_it_concerns_through_refresh_job(tmp_path, layer):
    from dagster_project.defs.automation import period_range_tags
    from dagster_project.defs.partitions import PERIODE
    from dagster_project.ingest import load_landing
    from dagster_project.transform.commands import prepare_manifest

    prepare_manifest()
    suite, rule, withheld = FAULTS[layer]
    expectations = _extra_rule(tmp_path / "expectations", suite, rule)
    env = _env(tmp_path / "run", CASE.dataset, expectations)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        load_landing(Path(env["KTO_LANDING_DIR"]), Path(env["KTO_WAREHOUSE"]))
        (tmp_path / "dagster_home").mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
            instance.add_dynamic_partitions(PERIODE.name, list(PERIODS))
            result = dg.execute_job(
                dg.reconstructable(refresh_job_def),
                instance=instance,
                tags=period_range_tags(sorted(PERIODS)),
                raise_on_error=False,
            )
            assert not result.success  # the publish step refuses: a rule fails
            steps = {
                e.step_key: e.event_type_value
                for e in result.all_events
                if e.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE")
            }
            assert steps["factsheets__pdf_html"] == "STEP_SUCCESS"
            assert steps["publish__marts_snapshot"] == "STEP_FAILURE"
            # every check (and the dbt step with its tests) finished before the gate judged,
            # and the gate before the factsheet and publish steps started
            events = [(e.event_type_value, e.step_key) for e in result.all_events]
            checks_done = max(
                i
                for i, (kind, step) in enumerate(events)
                if kind == "STEP_SUCCESS"
                and (step.startswith("gx_") or "dbt" in step or "disclosure_audit" in step)
            )
            assert events.index(("STEP_START", "quality__gate")) > checks_done
            gate_done = events.index(("STEP_SUCCESS", "quality__gate"))
            for step in ("factsheets__pdf_html", "publish__marts_snapshot"):
                assert events.index(("STEP_START", step)) > gate_done
            [gate] = [
                e.event_specific_data.materialization
                for e in result.all_events
                if e.event_type_value == "ASSET_MATERIALIZATION" and e.step_key == "quality__gate"
            ]
            assert gate.metadata["open"].value is False
            assert rule["meta"]["rule"] in gate.metadata["rules"].value
    assert_withheld(tmp_path / "run" / "output", withheld, rule["meta"]["rule"])
