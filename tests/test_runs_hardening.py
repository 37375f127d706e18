"""`kto run` as separate processes: killed with SIGKILL, stopped with SIGTERM, run twice at
once, run beside `kto check`, with and without the project's dagster.yaml (pool
kto_warehouse limited to 1). Every finished run must equal a clean run: the warehouse's
models, the published snapshot and Parquet files, the factsheets. The landing folder is the
samples plus one export with personal data in Product and Gemeente, so the same clean run
also carries the scan for personal data in every output.

Each `kto run` on the samples takes tens of seconds, so these tests are frugal: one crash
at a random point of a phase chosen by a seeded RNG (KTO_CRASH_SEED picks another; the
deep target `make test-hardening` kills in every phase and runs every combination).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import MART_TABLES
from tests.conftest import (
    OUTSIDE_THE_CODE_LIST,
    REFUSED_ON_PURPOSE,
    assert_done_but_for,
    copy_samples,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PROJECT_DAGSTER_YAML = REPO / "dagster_home" / "dagster.yaml"
KTO = [sys.executable, "-m", "dagster_project.cli"]
RUN_TIMEOUT = 1200  # seconds; a hang fails the test instead of blocking the suite
DEEP = os.environ.get("KTO_DEEP_TESTS") == "1"

# Personal data in the fields that are not tips: the name of a municipality (never shown:
# names come from the CBS code list only) and a product, with a bidi override, an emoji and
# a word too long for a line. All of these strings are in expected.json's pii.
PII = ["123456782", "j.104@voorbeeld.nl", "06-41566932", "NL91ABNA0417184495", "j.878@voorbeeld.nl"]
PII_GEMEENTE = "Delft \u202eBSN 123456782 j.104@voorbeeld.nl"
PII_PRODUCT = "Paspoort 06-41566932 NL91ABNA0417184495 \U0001f600"
PII_TIP = "Mail j.878@voorbeeld.nl " + "Klantvriendelijkheidsverbeteringsprogramma" * 2


def write_pii_export(landing: Path) -> None:
    header = (
        (REPO / "tests/fixtures/samples/one2ten/export_balie_2020.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()[0]
    )
    columns = header.split(";")
    rows = []
    # The latest responses of GM0644, so that its name on the factsheet is this export's.
    for i, minute in enumerate((57, 58)):
        row = dict.fromkeys(columns, "")
        row.update(
            {
                "Respondentnummer": str(990001 + i),
                "Survey": "KTO Balie",
                "Gemeentecode": "GM0644",
                "Gemeente": PII_GEMEENTE,
                "Kanaal": "Balie",
                "Startdatum": f"31-12-2020 23:{minute}",
                "Einddatum": f"31-12-2020 23:{minute + 1}",
                "Status": "Voltooid",
                "Uitnodiging": "Kaartje",
                "Product": PII_PRODUCT,
                "Totaaloordeel": "8",
                "Moeite": "Geen moeite",
                "Verbetertip": "Ja",
                "Verbetertip toelichting": PII_TIP,
                "E-mailadres": "j.921@voorbeeld.nl",
            }
        )
        rows.append(";".join(row[c] for c in columns))
    (landing / "one2ten" / "export_balie_pii.csv").write_text(
        "\n".join([header, *rows]) + "\n", encoding="utf-8"
    )


def make_root(root: Path, dagster_yaml: bool, landing_from: Path | None = None) -> dict:
    """A landing folder, warehouse and output under ``root``; the environment for `kto`."""
    root.mkdir(parents=True, exist_ok=True)
    if landing_from is None:
        write_pii_export(copy_samples(root / "landing"))
    else:
        shutil.copytree(landing_from, root / "landing")  # copy2: the mtimes too
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KTO_", "DAGSTER_HOME"))}
    env.update(
        KTO_LANDING_DIR=str(root / "landing"),
        KTO_WAREHOUSE=str(root / "warehouse.duckdb"),
        KTO_OUTPUT_DIR=str(root / "output"),
        PYTHONUNBUFFERED="1",
    )
    # Without the project's dagster.yaml: an instance with Dagster's defaults (kto would
    # otherwise use ./dagster_home, the project's own instance).
    home = root / "dagster_home"
    home.mkdir()
    if dagster_yaml:
        shutil.copy(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    env["DAGSTER_HOME"] = str(home)
    return env


def start(env: dict, *args: str, log: Path) -> subprocess.Popen:
    handle = open(log, "w")  # noqa: SIM115 - closed when the process is reaped
    return subprocess.Popen(
        [*KTO, *(args or ("run",))],
        cwd=REPO,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen, log: Path, timeout: float = RUN_TIMEOUT) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(f"{proc.args} did not finish in {timeout} s:\n{tail(log)}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def assert_done_but_for_the_refused_samples(code: int, log: Path) -> None:
    text = log.read_text()
    assert_done_but_for(code, text)
    summary = text[text.index("\nsummary:\n") + 1 :].splitlines()
    # the refused files and the codes outside the CBS code list, each under its own heading
    listed = 1 + len(REFUSED_ON_PURPOSE) + 1 + len(OUTSIDE_THE_CODE_LIST)
    assert summary[1 + listed].startswith("  files "), tail(log)


def run_ok(env: dict, log: Path) -> str:
    proc = start(env, log=log)
    assert_done_but_for_the_refused_samples(finish(proc, log), log)
    return log.read_text()


def wait_for(
    predicate, what: str, timeout: float = RUN_TIMEOUT, proc=None, poll: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(poll)


def rows(con, sql: str) -> list[str]:
    return sorted(map(repr, con.execute(sql).fetchall()))


# What records the publications so far (docs/metrics.md, "Disclosure control"): a warehouse
# that published three times differs there from one that published once, by design; every
# figure and every output must still be the same.
PUBLICATION_HISTORY = {
    "intermediate.int_year_fingerprints": None,  # a year's inputs include its releases
    "intermediate.int_built_years": None,  # the fingerprints each year was built from
    "intermediate.int_disclosure": "vrijgegeven",  # released by an earlier publication
}


def result_of(env: dict) -> dict:
    """Everything a run produces that a person or a BI tool reads, comparable across roots."""
    out = Path(env["KTO_OUTPUT_DIR"])
    got: dict = {}
    with duckdb.connect(env["KTO_WAREHOUSE"], read_only=True) as con:
        for schema, table in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema IN ('staging', 'intermediate', 'marts') ORDER BY ALL"
        ).fetchall():
            name = f"{schema}.{table}"
            if name in PUBLICATION_HISTORY and PUBLICATION_HISTORY[name] is None:
                continue
            columns = (
                "*"
                if name not in PUBLICATION_HISTORY
                else f"* EXCLUDE ({PUBLICATION_HISTORY[name]})"
            )
            got[f"warehouse {name}"] = rows(con, f'SELECT {columns} FROM {schema}."{table}"')
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall():
            got[f"warehouse raw.{table} rows"] = con.execute(
                f'SELECT count(*) FROM raw."{table}"'
            ).fetchone()[0]
    got.update(published(out))
    for path in sorted((out / "factsheets").rglob("*")):
        if path.is_file():
            got[f"factsheet {path.relative_to(out)}"] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    return got


def published(out: Path) -> dict:
    got = {}
    with duckdb.connect(str(out / "marts.duckdb"), read_only=True) as con:
        for table in MART_TABLES:
            got[f"snapshot {table}"] = rows(con, f"SELECT * FROM marts.{table}")
    for table in MART_TABLES:
        got[f"parquet {table}"] = rows(duckdb, f"SELECT * FROM '{out}/marts/{table}.parquet'")
    return got


def assert_same(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    differ = [key for key in want if got[key] != want[key]]
    assert differ == []


def instance_of(env: dict):
    import dagster as dg

    return dg.DagsterInstance.from_config(env["DAGSTER_HOME"])


def run_state(env: dict) -> tuple[list[str], set[str]]:
    """Statuses of the instance's runs, and the runs holding or waiting for a pool slot."""
    instance = instance_of(env)
    try:
        statuses = [r.status.value for r in instance.get_runs()]
        return statuses, set(instance.event_log_storage.get_concurrency_run_ids())
    finally:
        instance.dispose()


def step_events(env: dict, kinds=("STEP_START",)) -> list[tuple[str, str, float]]:
    """(step key, event type, time) of the instance's step events, read straight from its
    sqlite files: cheap enough to poll every few milliseconds while a run goes on."""
    found = []
    for db in sorted((Path(env["DAGSTER_HOME"]) / "history" / "runs").glob("*.db")):
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
                found += con.execute(
                    "SELECT step_key, dagster_event_type, timestamp FROM event_logs"
                    f" WHERE dagster_event_type IN ({', '.join('?' for _ in kinds)})",
                    kinds,
                ).fetchall()
        except sqlite3.Error:
            continue  # being created
    return [(key, kind, _seconds(ts)) for key, kind, ts in found if key]


def _seconds(timestamp: str | float) -> float:
    if isinstance(timestamp, float | int):
        return float(timestamp)
    return datetime.datetime.fromisoformat(timestamp).timestamp()


def started_steps(env: dict) -> list[str]:
    return [key for key, _, _ in step_events(env)]


PHASES = {
    "ingest": lambda key: key == "ingest_landing",
    "dbt": lambda key: key == "kto_dbt_models",
    "checks": lambda key: "gx_" in key,
    "rendering": lambda key: key.startswith("factsheets"),
    "publish": lambda key: key.startswith("publish"),
}


def step_seconds(env: dict) -> dict[str, float]:
    """How long each phase took in a finished run (its first step's start to last end)."""
    spans: dict[str, list[float]] = {}
    for key, _, at in step_events(env, ("STEP_START", "STEP_SUCCESS")):
        for phase, match in PHASES.items():
            if match(key):
                spans.setdefault(phase, []).append(at)
    return {phase: max(t) - min(t) for phase, t in spans.items()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict:
    """One clean `kto run` with the project's dagster.yaml: the reference result."""
    root = tmp_path_factory.mktemp("clean")
    env = make_root(root, dagster_yaml=True)
    run_ok(env, root / "run.log")
    return {"env": env, "result": result_of(env), "seconds": step_seconds(env), "root": root}


def test_no_personal_data_in_any_output(clean, expected):
    """Every column of every model, every published file and every factsheet."""
    env = clean["env"]
    out = Path(env["KTO_OUTPUT_DIR"])
    texts = []
    with duckdb.connect(env["KTO_WAREHOUSE"], read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_schema <> 'raw'"
        ).fetchall()
        assert {s for s, _ in tables} >= {"staging", "intermediate", "marts"}
        for schema, table in tables:
            texts.append(repr(con.execute(f'SELECT * FROM {schema}."{table}"').fetchall()))
        gemeente = con.execute(
            "SELECT DISTINCT gemeente FROM marts.kto_cel WHERE gemeentecode = 'GM0644'"
        ).fetchall()
        zoetermeer = con.execute(
            "SELECT DISTINCT gemeente FROM marts.kto_cel WHERE gemeentecode = 'GM0637'"
        ).fetchall()
        products = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT product FROM marts.kto_product WHERE gemeentecode = 'GM0644'"
            ).fetchall()
        ]
    # Names from the CBS code list only, never the export's: GM0644, outside the list on the
    # samples' dates (accepted under KTO_GEMEENTECODES=melden), is the list's Ouderkerk, not
    # the export's "Delft" with a BSN and an e-mail address in it.
    assert gemeente == [("Ouderkerk",)]
    assert zoetermeer == [("Zoetermeer",)]
    assert "Paspoort [TELEFOON] [IBAN] \U0001f600" in products
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".pdf":
            text = subprocess.run(
                ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
            ).stdout.decode()
            texts.append(text)
        elif path.suffix in (".duckdb", ".parquet"):
            continue  # read through DuckDB below: their bytes are compressed
        else:
            texts.append(path.read_bytes().decode("utf-8", errors="replace"))
    for name, value in published(out).items():
        texts.append(name + repr(value))
    corpus = "\n".join(texts)
    assert "Ouderkerk" in corpus and "[IBAN]" in corpus
    assert "Delft" not in corpus and "BSN [BSN]" not in corpus
    assert "\u202e" not in corpus
    leaked = [pii for pii in [*expected["pii"], *PII] if pii in corpus]
    assert leaked == []


def test_the_pii_factsheet_shows_the_lists_name_not_the_exports(clean):
    """The export names GM0644 "Delft" with a BSN and an e-mail address in it; the factsheet
    shows the CBS code list's name for the code, Ouderkerk, and nothing of the export's."""
    out = Path(clean["env"]["KTO_OUTPUT_DIR"])
    html = (out / "factsheets" / "2020" / "GM0644_balie.html").read_text(encoding="utf-8")
    assert "Ouderkerk" in html and "Delft" not in html
    pdf = out / "factsheets" / "2020" / "GM0644_balie.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    shown = text.stdout.decode()
    assert "Ouderkerk" in shown and "Delft" not in shown


SLICE = 0.01  # seconds a frozen run may work on at a time


def phase_over(env: dict, match) -> bool:
    """A step outside the phase started after the phase's first step: the run moved on."""
    events = step_events(env)
    starts = [at for key, _, at in events if match(key)]
    return bool(starts) and any(not match(key) and at > min(starts) for key, _, at in events)


def process_groups(proc: subprocess.Popen) -> set[int]:
    """The process groups of `kto run` and of its worker (a group of its own, with dbt and
    the other processes it starts: dagster_project/cli/runs.py, ``supervise``)."""
    import psutil

    groups = {proc.pid}
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(proc.pid).children():
            with contextlib.suppress(ProcessLookupError):
                groups.add(os.getpgid(child.pid))
    assert len(groups) == 2, groups  # the worker is there
    return groups


def signal_groups(groups: set[int], signum: int) -> None:
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signum)


def crash_and_recover(clean: dict, root: Path, phase: str, rng: random.Random) -> None:
    """SIGKILL `kto run` at a random point of ``phase``; the next run must equal a clean one."""
    env = make_root(root, dagster_yaml=True, landing_from=Path(clean["env"]["KTO_LANDING_DIR"]))
    log = root / "killed.log"
    proc = start(env, log=log)
    match = PHASES[phase]

    def in_phase() -> bool:
        return any(map(match, started_steps(env)))

    wait_for(in_phase, f"phase {phase}", proc=proc, poll=0.02)
    # Freeze the run (the process, its worker and their children) the moment the phase is
    # seen, then let it work on in slices of 10 ms up to a random share of the phase's
    # length in the clean run: the kill lands at a random point inside the phase however
    # fast the phase is on this machine (the factsheets and publish take a second or two).
    groups = process_groups(proc)
    signal_groups(groups, signal.SIGSTOP)
    if phase_over(env, match) or proc.poll() is not None:
        pytest.fail(f"phase {phase} was over before it was seen:\n{tail(log)}")
    budget = rng.uniform(0, 0.9 * clean["seconds"].get(phase, 1.0))
    while budget > 0 and not phase_over(env, match):
        signal_groups(groups, signal.SIGCONT)
        time.sleep(SLICE)
        signal_groups(groups, signal.SIGSTOP)
        budget -= SLICE
    proc.send_signal(signal.SIGKILL)  # the process only: its dbt child lives on, as it would
    proc.wait()
    # the processes it left run on (its worker ends itself: runs.follow_supervisor)
    signal_groups(groups, signal.SIGCONT)
    statuses, _ = run_state(env)
    assert "STARTED" in statuses  # what the killed run leaves behind

    out = Path(env["KTO_OUTPUT_DIR"])
    if (out / "marts.duckdb").exists():  # a killed publication leaves the old, whole one
        snapshot = published(out)
        for table in MART_TABLES:
            assert snapshot[f"snapshot {table}"] == snapshot[f"parquet {table}"], table

    output = run_ok(env, root / "rerun.log")
    assert "released run" in output
    statuses, slot_runs = run_state(env)
    assert "STARTED" not in statuses and slot_runs == set()
    assert not list(out.glob("**/*.tmp")) and not list(out.glob("**/.*.tmp"))
    assert_same(result_of(env), clean["result"])


def test_sigkill_at_a_random_point_then_the_next_run_equals_a_clean_one(clean, tmp_path):
    seed = int(os.environ.get("KTO_CRASH_SEED", "20201231"))
    rng = random.Random(seed)
    phase = rng.choice(sorted(PHASES))
    crash_and_recover(clean, tmp_path, phase, rng)


@pytest.mark.skipif(not DEEP, reason="deep: make test-hardening")
@pytest.mark.parametrize("phase", sorted(PHASES))
def test_sigkill_in_every_phase(clean, tmp_path, phase):
    crash_and_recover(clean, tmp_path, phase, random.Random(phase))


def runs_and_check_at_once(clean: dict, root: Path, dagster_yaml: bool) -> None:
    """Two `kto run` and a `kto check` at once, on the warehouse and output of an earlier
    run (as a nightly run meets a steward's check): all finish, the result is a single
    run's."""
    env = make_root(root, dagster_yaml, landing_from=Path(clean["env"]["KTO_LANDING_DIR"]))
    shutil.copy(clean["env"]["KTO_WAREHOUSE"], env["KTO_WAREHOUSE"])
    shutil.copytree(clean["env"]["KTO_OUTPUT_DIR"], env["KTO_OUTPUT_DIR"], symlinks=True)
    logs = {name: root / f"{name}.log" for name in ("first", "second", "check")}
    first = start(env, log=logs["first"])
    # The others start while the first is past its ingest (in dbt, the checks or later).
    wait_for(lambda: "ingest: done" in logs["first"].read_text(), "ingest", proc=first)
    second = start(env, log=logs["second"])
    check = start(env, "check", log=logs["check"])
    assert finish(check, logs["check"]) == 0, tail(logs["check"])
    for name, proc in (("first", first), ("second", second)):
        assert_done_but_for_the_refused_samples(finish(proc, logs[name]), logs[name])
    assert "dbt tests:" in logs["check"].read_text()
    assert_same(result_of(env), clean["result"])


def test_two_runs_and_a_check_at_once_without_dagster_yaml(clean, tmp_path):
    runs_and_check_at_once(clean, tmp_path, dagster_yaml=False)


@pytest.mark.skipif(not DEEP, reason="deep: make test-hardening")
def test_two_runs_and_a_check_at_once_with_the_project_dagster_yaml(clean, tmp_path):
    runs_and_check_at_once(clean, tmp_path, dagster_yaml=True)


def runs_of(env: dict, pid: int) -> list[str]:
    """Statuses of the runs a `kto run` process started (tag kto/pid)."""
    from dagster import RunsFilter

    if not (Path(env["DAGSTER_HOME"]) / "history").exists():
        return []
    instance = instance_of(env)
    try:
        return [r.status.value for r in instance.get_runs(RunsFilter(tags={"kto/pid": str(pid)}))]
    finally:
        instance.dispose()


def test_sigterm_stops_a_waiting_run_and_a_working_one_promptly(tmp_path):
    """With the pool limited to 1 the second run waits for the first run's slot; SIGTERM
    ends it at once, then SIGTERM ends the first in the middle of its work. Both runs
    end, none stays STARTED, and no slot stays taken."""
    env = make_root(tmp_path, dagster_yaml=True)
    first = start(env, log=tmp_path / "first.log")
    wait_for(lambda: "kto_dbt_models" in started_steps(env), "dbt", proc=first)
    second = start(env, log=tmp_path / "second.log")
    # Its ingest run has started: it now waits for the slot the first run's dbt holds.
    wait_for(lambda: runs_of(env, second.pid) != [], "the second run", proc=second, poll=0.5)
    time.sleep(3)
    assert second.poll() is None and started_steps(env).count("kto_dbt_models") == 1
    for proc, log in ((second, tmp_path / "second.log"), (first, tmp_path / "first.log")):
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert finish(proc, log, timeout=60) == 128 + signal.SIGTERM, tail(log)
        assert time.monotonic() - sent < 30
        assert "stopped by SIGTERM" in log.read_text()
    statuses, slot_runs = run_state(env)
    # Dagster records an interrupted step's run as failed; a run stopped between steps
    # is marked canceled by `kto run` itself. Either way: ended, and no slot held.
    assert statuses and set(statuses) <= {"SUCCESS", "FAILURE", "CANCELED"}
    assert "SUCCESS" not in runs_of(env, second.pid)
    assert slot_runs == set()
