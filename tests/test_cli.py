"""The `kto` command as people meet it: help texts, the landing-folder errors, what `kto run`
prints (a line per phase, a summary whose counts match the samples), dbt's lines in a log."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from dagster_project import cli
from dagster_project.cli import help as cli_help
from dagster_project.settings import SETTINGS, Settings
from tests.conftest import copy_samples

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("run", "check", "files", "retract", "demo", "bench")


def variables_read() -> set[str]:
    """The KTO_* variables settings.py reads, from its source (not from its tables)."""
    source = (ROOT / "dagster_project" / "settings" / "__init__.py").read_text(encoding="utf-8")
    # The file limits are read by readers/limits.py, each named in its Limit(...).
    limits = (ROOT / "dagster_project" / "ingest" / "readers" / "limits.py").read_text(
        encoding="utf-8"
    )
    return set(re.findall(r'env(?:\.get\(\s*|\[)"(KTO_[A-Z_]+)"', source)) | set(
        re.findall(r'Limit\(\s*"(KTO_[A-Z_]+)"', limits)
    )


def help_of(*args: str) -> str:
    out = io.StringIO()
    with pytest.raises(SystemExit) as stop, pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "stdout", out)
        cli.main([*args, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


def test_every_setting_read_is_listed_with_its_default():
    """The table of settings is what the code reads, and the help and the README show it."""
    listed = {s.variable: s.default for s in SETTINGS}
    assert set(listed) == variables_read()
    for text in (help_of(), help_of("run"), help_of("demo")):
        for name, default in listed.items():
            shown = default or "none"
            assert re.search(rf"^  {name} .*\(default: {re.escape(shown)}\)$", text, re.M), name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, default in listed.items():
        shown = f"`{default}`" if default else "(none)"
        assert f"| `{name}` | {shown} |" in readme, name


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_lists_its_settings_exit_codes_and_outputs(command):
    text = help_of(command)
    names, _, codes, outputs = cli_help.COMMANDS[command]
    listed = set(re.findall(r"^  (KTO_[A-Z_]+) ", text, re.M))
    assert listed == set(names) and listed <= variables_read()
    exit_codes = re.findall(r"^  (\d+(?:/\d+)*) ", text, re.M)
    assert exit_codes == [code for code, _ in codes] and "0" in exit_codes
    assert "2" in exit_codes  # usage errors: argparse's own exit code
    assert all(line in text for line in outputs)


def test_run_help_names_the_real_exit_codes():
    import signal

    codes = dict(re.findall(r"^  (\d+(?:/\d+)*)\s+(.*)$", help_of("run"), re.M))
    stopped = f"{128 + signal.SIGHUP}/{128 + signal.SIGINT}/{128 + signal.SIGTERM}"
    assert set(codes) == {"0", "1", "2", stopped}
    with pytest.raises(SystemExit) as usage:
        cli.main(["run", "--no-such-option"])
    assert usage.value.code == 2


@pytest.mark.parametrize("command", ["run", "files"])
def test_a_missing_landing_folder_is_an_error_naming_it(command, tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("KTO_LANDING_DIR", str(missing))
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    assert cli.main([command]) == 2
    assert str(missing) in capsys.readouterr().err
    assert not (tmp_path / "warehouse.duckdb").exists()  # nothing ran


def test_an_invalid_setting_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KTO_MIN_RESPONDENTS", "tien")
    assert cli.main(["files"]) == 2
    assert "KTO_MIN_RESPONDENTS='tien'" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["streng", "", "Strikt"])
def test_an_invalid_gemeentecodes_setting_stops_kto_run_before_any_work(
    tmp_path, monkeypatch, capsys, value
):
    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("KTO_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("KTO_GEMEENTECODES", value)
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"KTO_GEMEENTECODES={value!r}: expected melden or strikt" in err, err
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "output").exists()


@pytest.mark.parametrize("value", ["gesloten", "", "Eigen"])
def test_an_invalid_publicatie_setting_stops_kto_run_before_any_work(
    tmp_path, monkeypatch, capsys, value
):
    (tmp_path / "landing").mkdir()
    monkeypatch.setenv("KTO_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("KTO_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("KTO_OUTPUT_DIR", str(tmp_path / "output"))
    monkeypatch.setenv("KTO_PUBLICATIE", value)
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"KTO_PUBLICATIE={value!r}: expected one of open, eigen" in err, err
    assert not (tmp_path / "warehouse.duckdb").exists() and not (tmp_path / "output").exists()


def test_an_empty_landing_folder_on_a_warehouse_says_it_rebuilds_from_it(tmp_path, capsys):
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "one2ten").mkdir()  # folders, but no file
    (tmp_path / "warehouse.duckdb").write_bytes(b"")
    settings = Settings.from_env(
        {"KTO_LANDING_DIR": str(tmp_path / "landing"), "KTO_WAREHOUSE": str(tmp_path / "w")}
    )
    assert cli.landing_problem(settings, "run") is None
    assert "no warehouse" in capsys.readouterr().err
    settings = Settings.from_env(
        {
            "KTO_LANDING_DIR": str(tmp_path / "landing"),
            "KTO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        }
    )
    assert cli.landing_problem(settings, "run") is None
    err = capsys.readouterr().err
    assert f"warning: the landing folder {tmp_path / 'landing'} is empty" in err
    assert f"rebuilt from what the warehouse {tmp_path / 'warehouse.duckdb'}" in err


def kto(root: Path, landing: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "KTO_LANDING_DIR": str(landing),
        "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(root / "output"),
        "DAGSTER_HOME": str(root / "dagster_home"),  # an instance of its own
    }
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *(args or ("run",))],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
def test_an_empty_landing_folder_warns_and_exits_0(tmp_path):
    (tmp_path / "landing").mkdir()
    run = kto(tmp_path, tmp_path / "landing")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"warning: the landing folder {tmp_path / 'landing'} is empty" in run.stderr
    assert "nothing to build" in run.stdout


# -- one `kto run` on the samples -----------------------------------------------------------


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    landing = copy_samples(root / "landing")
    run = kto(root, landing)
    # the samples hold two files refused on purpose: everything else is built, the run fails
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-3000:]
    return root, landing, run.stdout


def summary_of(stdout: str) -> dict[str, str]:
    block = stdout[stdout.index("\nsummary:\n") :].splitlines()[2:]
    return {line[2:14].strip(): line[14:] for line in block if not line.startswith("    ")}


def test_the_summary_opens_with_the_files_refused(sample_run, expected):
    _, _, stdout = sample_run
    block = stdout[stdout.index("\nsummary:\n") + 1 :].splitlines()
    refused = sorted(expected["rejected_files"])
    assert block[1] == (
        f"  {len(refused)} landing file(s) not used, so `kto run` fails "
        "(replace, remove or `kto retract` them):"
    )
    listed = block[2 : 2 + len(refused)]
    assert [line.split(": ")[1] for line in listed] == refused
    assert all(line.startswith("    refused: ") and len(line.split(": ")) >= 3 for line in listed)
    # then the samples' well-formed codes outside the CBS code list (KTO_GEMEENTECODES=melden):
    # accepted and counted as expected.json expects, and named
    codes = block[2 + len(refused) :]
    assert codes[0].startswith("  3 Gemeentecode(s) not valid in the CBS code list"), codes[0]
    assert "(KTO_GEMEENTECODES=melden), so `kto run` fails" in codes[0]
    assert [line.split(":")[0].strip() for line in codes[1:4]] == ["GM0644", "GM0651", "GM0658"]
    assert "(Ouderkerk) ceased after 2014-12-31" in codes[1] and "GM1931" in codes[1]
    assert codes[2].endswith(": Gemeentecode not in the CBS code list")
    assert codes[4].startswith("  files ")
    assert "refresh: 10 periods" in stdout  # everything else was built and published


def data_rows(path: Path) -> int:
    """Rows of data in a landing file, counted here the plain way (not with the readers)."""
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path, read_only=True).active
        rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
        return len(rows) - 1
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(r)]
    return len(rows) - 1


def test_summary_counts_equal_counts_of_the_files(sample_run, expected):
    root, landing, stdout = sample_run
    summary = summary_of(stdout)
    files = [p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")]
    rejected = set(expected["rejected_files"])
    read = [p for p in files if p.relative_to(landing).as_posix() not in rejected]
    rows = sum(data_rows(p) for p in read)
    assert rows == sum(f["rows"] for f in expected["files"].values())  # counted right here
    quarantined = sum(f["quarantined"] for f in expected["files"].values())
    assert summary["files"] == (
        f"{len(files)} in the landing folder: {len(read)} read, 0 unchanged, "
        f"{len(rejected)} rejected, 0 held"
    )
    assert summary["rows"].startswith(
        f"{rows:,} read: {rows - quarantined:,} accepted, {quarantined:,} quarantined"
    )
    assert summary["cells"].startswith(f"{len(expected['cells']):,} ")

    factsheets = root / "output" / "factsheets"
    pdfs = list(factsheets.glob("*/*.pdf"))
    assert pdfs and len(pdfs) == len(list(factsheets.glob("*/*.html")))
    assert summary["factsheets"] == f"{len(pdfs)} written, 0 unchanged, 0 withheld"
    reports = list(factsheets.glob("*/report.json"))
    assert summary["reports"] == f"{factsheets}/<periode>/report.json ({len(reports)} periods)"
    assert summary["folder"] == str(factsheets)
    assert summary["warehouse"] == str(root / "warehouse.duckdb")
    assert summary["snapshot"] == str(root / "output" / "marts.duckdb")
    assert Path(summary["quality"]).is_file()
    assert re.fullmatch(
        r"ingest [\d.]+ s, dbt [\d.]+ s, checks [\d.]+ s, disclosure [\d.]+ s, "
        r"gate [\d.]+ s, factsheets [\d.]+ s, "
        r"(publish [\d.]+ s, portal|portal [\d.]+ s, publish) [\d.]+ s; total [\d.]+ s",
        summary["time"],
    )


def test_a_line_per_phase(sample_run):
    _, _, stdout = sample_run
    # SQL models and Python models (int_aspect_drivers.py)
    models = sum(len(list((ROOT / "dbt" / "models").rglob(p))) for p in ("*.sql", "*.py"))
    lines = stdout.splitlines()
    for phase in ("ingest: done", "dbt: running", "dbt: ", "checks: ", "factsheets: ", "publish: "):
        assert any(line.startswith(phase) for line in lines), phase
    assert re.match(
        r"gate: open, \d+ checks judged, nothing withheld in [\d.]+ s$",
        next(line for line in lines if line.startswith("gate: ")),
    )
    dbt = next(line for line in lines if re.match(r"dbt: \d+ of", line))
    found = re.match(r"dbt: (\d+) of (\d+) models built, (\d+) of (\d+) tests pass in", dbt)
    assert found and found[1] == found[2] == str(models) and found[3] == found[4], dbt
    assert int(found[3]) > models
    factsheets = next(line for line in lines if line.startswith("factsheets: "))
    assert re.match(
        r"factsheets: (\d+) of \1 done \(\1 written, 0 unchanged, 0 withheld", factsheets
    )
    assert len(lines) < 40  # short: not dbt's few hundred


def test_dbt_lines_are_in_the_named_log_not_on_stdout(sample_run):
    _, _, stdout = sample_run
    log = Path(summary_of(stdout)["dbt log"])
    text = log.read_text(encoding="utf-8")
    for dbt_says in ("Running with dbt=", "OK created sql table model", "Completed successfully"):
        assert dbt_says in text
        assert dbt_says not in stdout
    assert str(log) in next(line for line in stdout.splitlines() if line.startswith("dbt: running"))


def test_run_logs_are_kept_next_to_the_warehouse_the_oldest_pruned(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    old = [logs / f"run-2020010{i // 10}T0000{i % 10:02d}Z.log" for i in range(40)]
    for path in old:
        path.write_text("dbt\n")
    settings = Settings.from_env({"KTO_WAREHOUSE": str(tmp_path / "warehouse.duckdb")})
    new = cli.run_log_path(settings)
    assert new.parent == logs and new not in old
    kept = sorted(logs.glob("run-*.log"))
    assert kept == old[-(cli.KEEP_LOGS - 1) :]  # with the new one: KEEP_LOGS


@pytest.mark.parametrize(
    "command, setting",
    [
        (["run"], "KTO_WAREHOUSE"),
        (["check"], "KTO_WAREHOUSE"),
        (["files"], "KTO_WAREHOUSE"),
        (["retract", "one2ten/x.csv", "--reason", "test"], "KTO_WAREHOUSE"),
        (["demo"], "KTO_WAREHOUSE"),
        (["run"], "KTO_LANDING_DIR"),
        (["run"], "KTO_OUTPUT_DIR"),
        (["check"], "KTO_OUTPUT_DIR"),
        (["run"], "DAGSTER_HOME"),
        (["check"], "DAGSTER_HOME"),
        (["run"], "KTO_MAX_ROWS"),
        (["run"], "KTO_MAX_FILE_BYTES"),
    ],
)
def test_an_empty_setting_is_named_before_any_work(tmp_path, command, setting):
    """`KTO_WAREHOUSE=` is not the working directory, nor a warehouse "in use by another
    process": every command names the empty setting, exits 2 and writes nothing."""
    (tmp_path / "landing").mkdir()
    env = {
        **os.environ,
        "KTO_LANDING_DIR": str(tmp_path / "landing"),
        "KTO_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(tmp_path / "output"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        setting: "",
    }
    run = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2, run.stderr
    assert f"{setting} is set but empty" in run.stderr
    assert "in use" not in run.stderr + run.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["landing"]  # nothing written
    assert list((tmp_path / "landing").iterdir()) == []


@pytest.mark.parametrize("command", ["demo", "bench"])
def test_without_the_development_tools_demo_and_bench_say_so(
    command, tmp_path, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, "kto_devtools", None)  # import fails as when not installed
    monkeypatch.setenv("KTO_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert cli.main([command]) == 2
    err = capsys.readouterr().err
    assert f"kto {command}: the development tools are not installed" in err
    assert not (tmp_path / "landing").exists()  # nothing written


def test_the_gate_line_says_what_a_closed_gate_withholds(tmp_path):
    """The gate's line from its own metadata (defs/gate.py): the periods and cells withheld."""
    import dagster as dg

    from dagster_project.cli.run_report import RunReport
    from dagster_project.defs.gate import gate_metadata
    from dagster_project.quality.gate import ALLES, CEL, PERIODE, Breach, Gate

    def line(*breaches: Breach) -> str:
        out = io.StringIO()
        report = RunReport(Settings.from_env({}), out, tmp_path / "log")
        report.seconds["gate"] = 0.25
        judged = [dg.AssetCheckKey(dg.AssetKey(["marts", "kto_cel"]), "row_rules_kto_cel")]
        report._materialized(
            dg.AssetKey(["quality", "gate"]), gate_metadata(Gate(list(breaches)), judged)
        )
        report._current = "gate"
        report.end_phase()
        return out.getvalue().strip()

    cell = Breach("r1", "marts/kto_cel", CEL, 1, cells=(("GM0014", "balie", "2011"),))
    period = Breach("r2", "intermediate/int_benchmarks", PERIODE, 3, periods=("2011-Q1",))
    assert line() == "gate: open, 1 checks judged, nothing withheld in 0.2 s"
    assert line(cell, period) == (
        "gate: 2 rule(s) fail, withholding period(s) 2011-Q1 and 1 cell(s) and the snapshot "
        "(the rules below) in 0.2 s"
    )
    assert line(Breach("r3", "staging/stg_x", ALLES, 0)).startswith(
        "gate: 1 rule(s) fail, withholding every period and the snapshot"
    )
