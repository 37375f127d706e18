"""`kto run` stopped by a signal in the middle of dbt (issue 21): SIGHUP (a closed SSH session)
is handled like SIGTERM, not an instant death that leaves the run STARTED and dbt running;
SIGINT (Ctrl-C) records the run as CANCELED, not FAILURE. Exit code 128 + the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from tests.conftest import copy_samples

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def processes_with(variable: str, value: str) -> list[int]:
    """Processes whose environment holds ``variable=value`` (a dbt left behind has ours)."""
    wanted = f"{variable}={value}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if wanted in (proc / "environ").read_bytes().split(b"\0"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_dbt_cancels_the_run_and_stops_dbt(tmp_path, signum):
    copy_samples(tmp_path / "landing")
    warehouse = str(tmp_path / "warehouse.duckdb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTO_")}
    env.update(
        KTO_LANDING_DIR=str(tmp_path / "landing"),
        KTO_WAREHOUSE=warehouse,
        KTO_OUTPUT_DIR=str(tmp_path / "output"),
        DAGSTER_HOME=str(tmp_path / "dagster_home"),
        PYTHONUNBUFFERED="1",
    )
    log = tmp_path / "kto.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 600
        while "dbt: running" not in log.read_text():
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "dbt did not start"
            time.sleep(0.2)
        time.sleep(2)  # dbt is under way
        assert set(processes_with("KTO_WAREHOUSE", warehouse)) - {proc.pid}  # dbt runs
        proc.send_signal(signum)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    assert code == 128 + signum, text[-3000:]
    name = signal.Signals(signum).name
    stopped = next(line for line in text.splitlines() if line.startswith(f"stopped by {name}"))
    time.sleep(1)
    assert processes_with("KTO_WAREHOUSE", warehouse) == []  # no dbt left behind

    instance = dg.DagsterInstance.from_config(env["DAGSTER_HOME"])
    try:
        runs = {r.job_name: r for r in instance.get_runs()}
    finally:
        instance.dispose()
    assert runs["ingest_job"].status == dg.DagsterRunStatus.SUCCESS
    refresh = runs["refresh_job"]
    assert refresh.status == dg.DagsterRunStatus.CANCELED, refresh.status
    assert stopped == f"stopped by {name}; canceled runs: {refresh.run_id}"
