"""The models built by year (dbt/macros/by_year.sql): a build on a warehouse that changed
equals a build from scratch, and it rebuilds only the years whose data changed.

The property test draws a ground truth (tests/groundtruth.py), delivers part of it, builds,
then delivers a second version: new files, re-exports that move responses to other years,
change grades and drop responses, and perhaps a retraction. The incremental build that
follows must leave every intermediate and mart table exactly as ``dbt build
--full-refresh`` makes it of the same raw layer.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import random
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from kto_devtools.bench.landing import move_into, write_drop, write_year
from kto_devtools.demo import write_landing
from kto_devtools.demo.model import Dataset

from dagster_project import cli
from dagster_project.disclosure.ledger import TABLE as LEDGER
from dagster_project.ingest import load_landing
from dagster_project.ingest.files import retract
from dagster_project.settings import Settings
from dagster_project.transform.by_year import RECORD_MODEL, build_key, recorded_build_key
from dagster_project.transform.commands import prepare_manifest, run_dbt
from tests.conftest import SAMPLES
from tests.groundtruth import Case, cases

pytestmark = pytest.mark.slow

BUILT_SCHEMAS = ("intermediate", "marts")


def _settings(root: Path, warehouse: str = "warehouse.duckdb", **env: str) -> Settings:
    return Settings.from_env(
        {"KTO_WAREHOUSE": str(root / warehouse), "KTO_OUTPUT_DIR": str(root / "output"), **env}
    )


def _build(settings: Settings, *args: str) -> None:
    # rules only warn: a revision may break one on purpose (fewer invitations than responses
    # through Inviter), and what is compared here is the tables
    run = run_dbt(["build", "--vars", "{test_severity: warn}", *args], settings)
    assert run.ok, run.output[-3000:]


def _build_marked(settings: Settings) -> None:
    """A build on a warehouse whose rows a test marked: the marks break rules (warn only),
    and staging stays as the test left it."""
    _build(settings, "--exclude", "staging")


def table_differences(left: Path, right: Path) -> list[str]:
    """Every table of the built schemas that is not the same bag of rows in both warehouses."""
    found = []
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            f"where database_name = current_database() and schema_name in {BUILT_SCHEMAS}"
        ).fetchall()
        other = {
            (s, t)
            for s, t in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'other'"
            ).fetchall()
        }
        for schema, table in sorted(tables):
            if (schema, table) not in other:
                found.append(f"{schema}.{table}: missing")
                continue
            mine, theirs = f"{schema}.{table}", f"other.{schema}.{table}"
            extra = con.execute(
                f"select count(*) from (from {mine} except all from {theirs})"
            ).fetchone()[0]
            lacking = con.execute(
                f"select count(*) from (from {theirs} except all from {mine})"
            ).fetchone()[0]
            if extra or lacking:
                found.append(f"{schema}.{table}: {extra} rows only here, {lacking} only there")
    return found


def _move_year(moment: datetime, year: int) -> datetime:
    return moment.replace(year=year, day=min(moment.day, 28))


def revised(data: Dataset, rng: random.Random, years: list[int]) -> Dataset:
    """A second version of ``data``: some responses moved to another year, some grades
    changed, some responses and invitations gone."""
    new = copy.deepcopy(data)
    kept = []
    for response in new.responses:
        roll = rng.random()
        if roll < 0.05:
            continue
        if roll < 0.15 and response.einddatum is not None:
            year = rng.choice(years)
            response.startdatum = _move_year(response.startdatum, year)
            response.einddatum = max(response.startdatum, _move_year(response.einddatum, year))
        elif roll < 0.25 and response.totaaloordeel is not None:
            response.totaaloordeel = rng.randint(1, 10)
        kept.append(response)
    new.responses = kept
    submissions = []
    for submission in new.submissions:
        roll = rng.random()
        if roll < 0.05:
            continue
        if roll < 0.15:
            submission.inzendingdatum = _move_year(submission.inzendingdatum, rng.choice(years))
        submissions.append(submission)
    new.submissions = submissions
    new.invitations = [i for i in new.invitations if rng.random() >= 0.1]
    return new


def _deliver(files: list[Path], source: Path, landing: Path, mtime: float) -> None:
    for path in files:
        target = landing / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        os.utime(target, (mtime, mtime))


@given(case=cases(max_scenarios=3), data=st.data())
def test_a_build_by_year_equals_a_build_from_scratch(case: Case, data: st.DataObject):
    rng = data.draw(st.randoms(use_true_random=False))
    years = sorted({s.year for s in case.scenarios} | {max(s.year for s in case.scenarios) + 1})
    with tempfile.TemporaryDirectory(prefix="kto-by-year-") as tmp:
        root = Path(tmp)
        first = write_landing(root / "v1", case.dataset, seed=case.format_seed)
        second = write_landing(
            root / "v2", revised(case.dataset, rng, years), seed=case.format_seed
        )
        first_files = sorted(p for p in (root / "v1").rglob("*") if p.is_file())
        assume(first_files)  # a ground truth of empty cells writes no file
        delivered = data.draw(st.lists(st.sampled_from(first_files), unique=True, min_size=1))
        landing = root / "landing"
        landing.mkdir()
        settings = _settings(root, KTO_MIN_RESPONDENTS=str(case.min_n))

        _deliver(delivered, first.landing_dir, landing, 1_700_000_000)
        load_landing(landing, settings.warehouse)
        _build(settings)

        second_files = sorted(p for p in (root / "v2").rglob("*") if p.is_file())
        _deliver(second_files, second.landing_dir, landing, 1_700_100_000)
        withdrawn = data.draw(st.none() | st.sampled_from(second_files)) if second_files else None
        load_landing(landing, settings.warehouse)
        if withdrawn is not None:
            with duckdb.connect(str(settings.warehouse)) as con:
                path = withdrawn.relative_to(second.landing_dir).as_posix()
                retract(con, landing, path, "test")
        _build(settings)

        scratch = _settings(root, "scratch.duckdb", KTO_MIN_RESPONDENTS=str(case.min_n))
        shutil.copyfile(settings.warehouse, scratch.warehouse)
        _build(scratch, "--full-refresh")
        differences = table_differences(settings.warehouse, scratch.warehouse)
    assert not differences, "\n".join(differences)


@pytest.fixture(scope="module")
def dbt_defs():
    """The Dagster layer's dbt module; importing it needs dbt's manifest (tests/conftest.py)."""
    prepare_manifest()
    from dagster_project.defs import dbt as dbt_defs

    return dbt_defs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    """The samples, built by year once."""
    root = tmp_path_factory.mktemp("by-year")
    settings = _settings(root)
    load_landing(SAMPLES, settings.warehouse)
    _build(settings)
    return settings


def _fresh_copy(built: Settings, root: Path, **env: str) -> Settings:
    settings = _settings(root, **env)
    shutil.copyfile(built.warehouse, settings.warehouse)
    return settings


def test_a_build_rebuilds_only_the_years_whose_data_changed(built: Settings, tmp_path: Path):
    """Rows of an unchanged year stay as they are (a mark put in them survives the build);
    the changed year's rows are built anew (its mark is gone)."""
    settings = _fresh_copy(built, tmp_path)
    with duckdb.connect(str(settings.warehouse)) as con:
        years = [
            y for (y,) in con.execute("select distinct jaar from intermediate.int_cells").fetchall()
        ]
        assert len(years) >= 2, years
        unchanged, changed = min(years), max(years)
        con.execute("update intermediate.int_cells set respons = -1")
        con.execute("update marts.kto_tip set tekst = 'mark'")
        # a changed invitation of the later year: its fingerprint changes, no other's does
        con.execute(
            "update staging.stg_inviter__invitations set status = 'bounce', is_verzonden = false "
            "where rowid = (select min(rowid) from staging.stg_inviter__invitations "
            f"where year(verzonden_op) = {changed} and is_verzonden)"
        )
    _build_marked(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        marks = dict(
            con.execute(
                "select jaar, bool_and(respons = -1) from intermediate.int_cells group by jaar"
            ).fetchall()
        )
        tip_marks = dict(
            con.execute(
                "select jaar, bool_and(tekst = 'mark') from marts.kto_tip group by jaar"
            ).fetchall()
        )
    assert marks[unchanged] is True and marks[changed] is False, marks
    assert tip_marks[unchanged] is True and tip_marks[changed] is False, tip_marks


def _marks_left_by_a_build(settings: Settings) -> tuple[int, int]:
    """Mark every figure's lower bound (-99), build; (marks left, figures)."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("update intermediate.int_cell_figures set ci_low = -99")
    _build_marked(settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return con.execute(
            "select count(*) filter (where ci_low = -99), count(*) "
            "from intermediate.int_cell_figures"
        ).fetchone()


def test_a_build_with_nothing_changed_rebuilds_nothing(built: Settings, tmp_path: Path):
    left, figures = _marks_left_by_a_build(_fresh_copy(built, tmp_path))
    assert left == figures > 0


def test_another_setting_rebuilds_every_year(built: Settings, tmp_path: Path):
    """A new threshold is a new build key: every year is rebuilt, none is left from the old."""
    settings = _fresh_copy(built, tmp_path, KTO_MIN_RESPONDENTS="3")
    assert recorded_build_key(settings.warehouse) == build_key(built)
    assert build_key(settings) != build_key(built)
    left, figures = _marks_left_by_a_build(settings)
    assert left == 0 and figures > 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        drempels = con.execute("select distinct drempel from intermediate.int_disclosure")
        assert drempels.fetchall() == [(3,)]
    assert recorded_build_key(settings.warehouse) == build_key(settings)


def test_kto_run_builds_a_drop_by_year_like_a_build_from_scratch(tmp_path: Path, dbt_defs):
    """The user's path: `kto run` on a year builds from scratch (a new warehouse has no
    record); `kto run` after a month's drop builds by year, and equals a build from scratch
    of the same raw layer."""
    year = write_year(tmp_path / "landing", 3, 60, 2020)
    settings = _settings(tmp_path)

    def kto_run() -> bool:
        """`kto run`; whether its dbt build was a full refresh."""
        assert cli.main(["run"]) == 0
        target = dbt_defs.run_target(settings.warehouse)
        results = json.loads((target / "run_results.json").read_text())
        return results["args"].get("full_refresh", False)

    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**settings.as_env(), "KTO_LANDING_DIR": str(year.path)}.items():
            mp.setenv(name, value)
        mp.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
        assert kto_run() is True
        move_into(write_drop(tmp_path / "drop", year, 60, 2020), year.path)
        assert kto_run() is False
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        new = con.execute("select count(*) from intermediate.int_cells where jaar = 2021")
        assert new.fetchone()[0] > 0
    scratch = _settings(tmp_path, "scratch.duckdb")
    shutil.copyfile(settings.warehouse, scratch.warehouse)
    # The ledger of released figures is an input too (int_disclosure), and the second run's
    # publish step added that run's release after its build: the build from scratch gets the
    # ledger as the run's build saw it.
    with duckdb.connect(str(scratch.warehouse)) as con:
        con.execute(f"delete from {LEDGER} where version = (select max(version) from {LEDGER})")
    _build(scratch, "--full-refresh")
    differences = table_differences(settings.warehouse, scratch.warehouse)
    assert not differences, "\n".join(differences)


def test_a_run_of_some_dbt_assets_leaves_the_record_of_built_years_alone(built: Settings, dbt_defs):
    """Only a build of every model may record years as built; a warehouse built under
    another key (or none) is built from scratch."""
    every = {"a", "b", "c"}
    whole = SimpleNamespace(selected_asset_keys=every, assets_def=SimpleNamespace(keys=every))
    part = SimpleNamespace(selected_asset_keys={"a"}, assets_def=SimpleNamespace(keys=every))
    record = RECORD_MODEL

    def args(context, settings: Settings = built) -> list[str]:
        return dbt_defs.build_args(context, settings)

    assert record not in args(whole) and "--full-refresh" not in args(whole)
    assert args(part)[-2:] == ["--exclude", record]
    # another threshold is another build key
    other_key = dataclasses.replace(built, min_respondents=built.min_respondents + 1)
    assert build_key(other_key) != build_key(built)
    assert "--full-refresh" in args(whole, other_key)
    nowhere = dataclasses.replace(built, warehouse=built.warehouse.with_name("none.duckdb"))
    assert "--full-refresh" in args(whole, nowhere)
