"""The Dagster UI as people use it: `kto run`, then dagster-webserver and dagster-daemon as
real processes on the project's instance, read and driven through GraphQL.

After `kto run` every asset shows a materialization, the marts their row counts, the checks
their results, and both schedules and both sensors are there. A refresh launched through
GraphQL is queued, started by the daemon and executed the way scheduled runs are
(run launcher, multiprocess executor), and succeeds.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.automation import period_range_tags
from dagster_project.defs.names import SIGNALS_CHECK
from dagster_project.defs.partitions import PERIODE
from tests.conftest import assert_done_but_for, copy_samples

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MARTS = ("kto_cel", "kto_aspect", "kto_stelling", "kto_product", "kto_tip")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GraphQL:
    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/graphql"

    def __call__(self, query: str, **variables) -> dict:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.loads(response.read())
        assert not body.get("errors"), body["errors"]
        return body["data"]


def _wait_for_webserver(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"webserver did not start:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="module")
def control_room(tmp_path_factory):
    root = tmp_path_factory.mktemp("control_room")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "KTO_LANDING_DIR": str(copy_samples(root / "landing")),
        "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(root / "output"),
    }
    started = time.perf_counter()
    run = subprocess.run(
        [BIN / "kto", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )
    kto_seconds = time.perf_counter() - started
    # the samples' two files refused on purpose and three codes outside the CBS code list:
    # exit 1 naming them, the rest built
    assert_done_but_for(run.returncode, run.stdout + run.stderr)
    assert "2 landing file(s) not used" in run.stdout and "refresh: 10 periods" in run.stdout

    port = _free_port()
    processes = []
    logs = {name: root / f"{name}.log" for name in ("webserver", "daemon")}
    workspace = ["-w", "workspace.yaml"]
    commands = {
        "webserver": [BIN / "dagster-webserver", *workspace, "-h", "127.0.0.1", "-p", str(port)],
        "daemon": [BIN / "dagster-daemon", "run", *workspace],
    }
    try:
        for name, command in commands.items():
            with logs[name].open("w") as log:
                processes.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        _wait_for_webserver(port, processes[0], logs["webserver"])
        yield GraphQL(port), env, kto_seconds, logs
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


ASSETS = """
{ assetNodes {
    assetKey { path }
    owners { ... on TeamAssetOwner { team } }
    assetMaterializations(limit: 1) {
      runId
      metadataEntries { label ... on IntMetadataEntry { intValue } }
    }
    assetChecksOrError { ... on AssetChecks { checks {
      name blocking executionForLatestMaterialization { status evaluation { severity } } } } }
} }
"""


def test_every_asset_materialized_with_row_counts_and_checks(control_room):
    graphql, env, _, _ = control_room
    nodes = {"/".join(n["assetKey"]["path"]): n for n in graphql(ASSETS)["assetNodes"]}
    assert {f"marts/{m}" for m in MARTS} | {"factsheets/pdf_html", "publish/marts_snapshot"} <= set(
        nodes
    )
    for key, node in nodes.items():
        assert node["assetMaterializations"], f"{key} shows no materialization"
        assert node["owners"] == [{"team": "kto-data"}], key

    with duckdb.connect(env["KTO_WAREHOUSE"], read_only=True) as con:
        for mart in MARTS:
            entries = nodes[f"marts/{mart}"]["assetMaterializations"][0]["metadataEntries"]
            counts = [e["intValue"] for e in entries if e["label"] == "dagster/row_count"]
            (rows,) = con.execute(f"select count(*) from marts.{mart}").fetchone()
            assert counts == [rows], mart

    checks = [c for n in nodes.values() for c in n["assetChecksOrError"].get("checks", [])]
    # every check of the code location: one row_rules test per dbt model, the other dbt
    # tests, the GX suites' gx_<suite> on each guarded asset
    assert {c["name"] for c in checks} >= {"gx_marts", "gx_staging", "row_rules_kto_cel"}
    assert len(checks) == len(expected_checks())
    # the raw assets' landing_files_used (not blocking: it reports, the quality rules gate)
    # fails where the samples' refused files are: red in the UI
    landing = {
        key: c["executionForLatestMaterialization"]["status"]
        for key, n in nodes.items()
        for c in n["assetChecksOrError"].get("checks", [])
        if c["name"] == "landing_files_used"
    }
    assert landing == {
        "raw/one2ten_responses": "FAILED",
        "raw/openforms_submissions": "FAILED",
        "raw/inviter_invitations": "SUCCEEDED",
    }
    # the raw assets' gemeentecodes_in_cbs_list (not blocking either) fails with severity
    # WARN, orange in the UI, where the samples' rows hold well-formed codes outside the CBS
    # code list (GM0644, GM0651, GM0658 in every folder; accepted, KTO_GEMEENTECODES=melden)
    codes = {
        key: (
            c["executionForLatestMaterialization"]["status"],
            c["executionForLatestMaterialization"]["evaluation"]["severity"],
        )
        for key, n in nodes.items()
        for c in n["assetChecksOrError"].get("checks", [])
        if c["name"] == "gemeentecodes_in_cbs_list"
    }
    assert codes == {
        "raw/one2ten_responses": ("FAILED", "WARN"),
        "raw/openforms_submissions": ("FAILED", "WARN"),
        "raw/inviter_invitations": ("FAILED", "WARN"),
    }
    # the signals check (not blocking, no quality rule) warns, orange, when the portal's
    # signalen.csv lists a signal, and passes when none does
    (signal_check,) = [c for c in checks if c["name"] == SIGNALS_CHECK]
    listed = sum(
        len(path.read_text(encoding="utf-8").splitlines()) - 1
        for path in (Path(env["KTO_OUTPUT_DIR"]) / "factsheets").glob("*/signalen.csv")
    )
    latest = signal_check["executionForLatestMaterialization"]
    assert (latest["status"], latest["evaluation"]["severity"]) == (
        ("FAILED" if listed else "SUCCEEDED"),
        "WARN",
    ), listed
    assert not signal_check["blocking"]
    ingest_checks = ("landing_files_used", "gemeentecodes_in_cbs_list")
    quality = [c for c in checks if c["name"] not in (*ingest_checks, SIGNALS_CHECK)]
    # blocking where it orders: the GX suites and the disclosure audit run in steps of their
    # own, which quality/gate waits for; the dbt tests run in their models' step (not
    # blocking), and none stops anything (severity WARN): the gate withholds
    own_step = [
        c for c in quality if c["name"].startswith("gx_") or c["name"] == "disclosure_audit"
    ]
    assert own_step and all(c["blocking"] for c in own_step)
    assert not any(c["blocking"] for c in quality if c not in own_step)
    assert not any(c["blocking"] for c in checks if c["name"] in ingest_checks)
    statuses = [(c["name"], c["executionForLatestMaterialization"]["status"]) for c in quality]
    assert {status for _, status in statuses} == {"SUCCEEDED"}, statuses
    # quality/gate judged every one of them and withholds nothing
    entries = nodes["quality/gate"]["assetMaterializations"][0]["metadataEntries"]
    gate = {e["label"]: e.get("intValue") for e in entries}
    assert (gate["checks_judged"], gate["rules_failing"]) == (len(quality), 0)


def expected_checks():
    """The code location's checks (imported late: the dbt manifest exists once kto ran)."""
    from dagster_project.definitions import defs

    return list(defs.resolve_asset_graph().asset_check_keys)


def test_schedules_and_sensors(control_room):
    graphql, *_ = control_room
    data = graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes {"
        " name location { name } schedules { name } sensors { name } } } } }"
    )
    (repository,) = data["repositoriesOrError"]["nodes"]
    assert {s["name"] for s in repository["schedules"]} == {"nightly_ingest", "quarterly_refresh"}
    assert {s["name"] for s in repository["sensors"]} >= {
        "landing_folder_sensor",
        "refresh_after_ingest",
    }


LAUNCH = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

STATUS = """
query ($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status startTime endTime } }
}
"""


def test_a_refresh_launched_from_the_ui_succeeds(control_room, record_property):
    graphql, env, kto_seconds, logs = control_room
    (repository,) = graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes {"
        " name location { name } } } } }"
    )["repositoriesOrError"]["nodes"]
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        periods = instance.get_dynamic_partitions(PERIODE.name)
    params = {
        "selector": {
            "repositoryLocationName": repository["location"]["name"],
            "repositoryName": repository["name"],
            "jobName": "refresh_job",
        },
        "executionMetadata": {
            "tags": [{"key": k, "value": v} for k, v in period_range_tags(periods).items()]
        },
    }
    started = time.perf_counter()
    launched = graphql(LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 1200
    status = None
    while time.monotonic() < deadline:
        status = graphql(STATUS, runId=run_id)["runOrError"]["status"]
        if status in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        time.sleep(0.5)
    ui_seconds = time.perf_counter() - started
    assert status == "SUCCESS", logs["daemon"].read_text()[-4000:]
    # Reported, not asserted: wall time is measured by `kto bench`, never in tests.
    record_property("kto_run_seconds", round(kto_seconds, 1))
    record_property("ui_refresh_seconds", round(ui_seconds, 1))
    print(f"kto run {kto_seconds:.1f} s; refresh launched through GraphQL {ui_seconds:.1f} s")
