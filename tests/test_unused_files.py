"""A landing file that is refused, held at its previous version or wholly quarantined is
never a green run (issue 21).

- `kto run` exits 1 and its summary opens with each such file and its cause; everything
  else is built and published; `kto files` calls a wholly quarantined file `quarantined`.
- Unattended (ingest_job, the sensors): the check ``landing_files_used`` on the raw assets
  fails with severity ERROR and lists the files; a missing landing folder fails the ingest
  run; an ingest that read nothing new requests no refresh (no new publication of the same
  data).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.automation import refresh_after_ingest
from dagster_project.defs.ingest import FILES_USED_CHECK
from dagster_project.defs.settings_resource import run_config_of
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from tests.conftest import OUTSIDE_THE_CODE_LIST, codes_outside_the_list, copy_samples
from tests.test_ingest_redelivery import BALIE_2020, comma_copy

ROOT = Path(__file__).resolve().parents[1]
GARBAGE = "one2ten/export_balie_2021.csv"  # a header and one garbage line
NOT_XLSX = "openforms/kto_digitaal_2021.xlsx"  # named .xlsx, not a workbook
SAMPLES_REFUSED = [
    "one2ten/export_zonder_gemeentecode.csv",
    "openforms/melding_openbare_ruimte.csv",
]


def add_unusable_files(landing: Path) -> None:
    header = (landing / BALIE_2020).read_bytes().decode("utf-8-sig").splitlines()[0]
    (landing / GARBAGE).write_text(header + "\nxq7#;garbage;;\n", encoding="utf-8")
    (landing / NOT_XLSX).write_text("not a workbook\n", encoding="utf-8")


# -- unattended: ingest_job, its check, the refresh sensor --------------------------------


def ingest(definitions, instance, landing: Path, warehouse: Path):
    settings = Settings.from_env({"KTO_LANDING_DIR": str(landing), "KTO_WAREHOUSE": str(warehouse)})
    return definitions.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, run_config=run_config_of(settings), raise_on_error=False
    )


def checks_of(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_key.path[-1]: e
        for e in result.get_asset_check_evaluations()
        if e.check_name == FILES_USED_CHECK
    }


def refresh_decision(instance, result):
    run = instance.get_run_by_id(result.run_id)
    (success,) = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(
        sensor_name=refresh_after_ingest.name,
        dagster_event=success.dagster_event,
        dagster_instance=instance,
        dagster_run=run,
    )
    return refresh_after_ingest(context)


def test_the_ingest_check_fails_on_unused_files_and_a_drop_of_no_data_requests_no_refresh(
    definitions, tmp_path
):
    landing = copy_samples(tmp_path / "landing")
    add_unusable_files(landing)
    warehouse = tmp_path / "warehouse.duckdb"
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        first = ingest(definitions, instance, landing, warehouse)
        assert first.success  # the run reads what it can ...
        checks = checks_of(first)
        assert set(checks) == {"one2ten_responses", "openforms_submissions", "inviter_invitations"}
        for name in ("one2ten_responses", "openforms_submissions"):  # ... its checks are red
            assert not checks[name].passed
            assert checks[name].severity == dg.AssetCheckSeverity.ERROR
        assert checks["inviter_invitations"].passed
        listed = checks["one2ten_responses"].metadata["unused_files"].value
        assert f"quarantined whole: `{GARBAGE}`: 1 row read, none accepted" in listed
        assert f"refused: `{SAMPLES_REFUSED[0]}`: missing required column(s)" in listed
        listed = checks["openforms_submissions"].metadata["unused_files"].value
        assert f"refused: `{NOT_XLSX}`: not a readable XLSX workbook" in listed
        assert isinstance(refresh_decision(instance, first), dg.RunRequest)  # new data

        # a corrupt re-delivery of a loaded file only: held, nothing new read
        comma_copy(landing / BALIE_2020)
        second = ingest(definitions, instance, landing, warehouse)
        assert second.success
        check = checks_of(second)["one2ten_responses"]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
        listed = check.metadata["unused_files"].value
        assert f"held: `{BALIE_2020}`: header has no ';' delimiter" in listed
        assert f"quarantined whole: `{GARBAGE}`" in listed  # still there, still red
        skip = refresh_decision(instance, second)
        assert (
            isinstance(skip, dg.SkipReason) and "read no new or changed file" in skip.skip_message
        )

        # a missing landing folder: a failed ingest run naming it, no refresh
        gone = ingest(definitions, instance, tmp_path / "nowhere", warehouse)
        assert not gone.success
        assert instance.get_run_by_id(gone.run_id).status == dg.DagsterRunStatus.FAILURE
        failure = next(e for e in gone.all_events if e.event_type_value == "STEP_FAILURE")
        message = failure.step_failure_data.user_failure_data.description
        assert (
            message == f"the landing folder {tmp_path / 'nowhere'} does not exist (KTO_LANDING_DIR)"
        )


# -- `kto run` ----------------------------------------------------------------------------


def kto(root: Path, *args: str, recorder: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTO_")}
    env.update(
        KTO_LANDING_DIR=str(root / "landing"),
        KTO_WAREHOUSE=str(root / "warehouse.duckdb"),
        KTO_OUTPUT_DIR=str(root / "output"),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    start = [str(ROOT / "tests" / "import_threads.py"), str(root / "imports.json")]
    return subprocess.run(
        [sys.executable, *(start if recorder else ["-m", "dagster_project.cli"]), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_kto_run_fails_naming_each_unused_file_first_and_builds_the_rest(tmp_path, expected):
    landing = copy_samples(tmp_path / "landing")
    load_landing(landing, tmp_path / "warehouse.duckdb")  # the good delivery, earlier
    add_unusable_files(landing)
    comma_copy(landing / BALIE_2020)  # its corrupt re-delivery: held

    run = kto(tmp_path, "run", recorder=True)
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    summary = run.stdout[run.stdout.index("\nsummary:\n") + 1 :].splitlines()
    assert summary[1].startswith("  5 landing file(s) not used, so `kto run` fails")
    unused = [line.strip() for line in summary[2:7]]
    assert [line.split(": ")[:2] for line in unused] == [
        ["refused", SAMPLES_REFUSED[0]],
        ["refused", NOT_XLSX],
        ["refused", SAMPLES_REFUSED[1]],
        ["held", BALIE_2020],
        ["quarantined whole", GARBAGE],
    ]
    assert unused[1].endswith("not a readable XLSX workbook (File is not a zip file)")
    assert "header has no ';' delimiter" in unused[3]
    assert unused[4].endswith(
        "1 row read, none accepted (raw.quarantine; most: row has 4 fields, header has 30)"
    )
    # then the samples' codes outside the CBS code list (accepted, KTO_GEMEENTECODES=melden)
    assert summary[7].startswith("  3 Gemeentecode(s) not valid in the CBS code list")
    assert codes_outside_the_list(run.stdout) == list(OUTSIDE_THE_CODE_LIST)
    assert summary[8 + len(OUTSIDE_THE_CODE_LIST)].startswith("  files ")
    assert "refresh: 10 periods" in run.stdout  # the rest built, checked and published
    with duckdb.connect(str(tmp_path / "output" / "marts.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM kto_cel").fetchall()[0][0] == len(
            expected["cells"]
        )

    # Imports in one thread at a time over the whole pipeline (tests/test_startup_imports.py)
    imports = json.loads((tmp_path / "imports.json").read_text())
    assert imports["beside_worker"] == [] and imports["by_worker"] > 0
    assert set(imports["threads"]) == {"MainThread"}

    files = kto(tmp_path, "files")
    assert files.returncode == 0, files.stderr
    row = next(line for line in files.stdout.splitlines() if line.startswith(GARBAGE))
    assert row.split()[1] == "quarantined"
