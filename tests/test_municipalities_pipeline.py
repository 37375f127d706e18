"""`kto run` with codes outside the CBS code list: an unknown code under a real name, and a
merged municipality's code before and after its herindeling (docs/formats.md,
"Municipality codes and the CBS code list"), under both settings of KTO_GEMEENTECODES:
melden (the default) accepts and counts them, names them from the list only, and fails the
run naming each code; strikt quarantines them. Switching the setting judges the rows that
are already in the warehouse again."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from tests.conftest import kto

HEADER = "Respondentnummer;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;Totaaloordeel"
MARTS = ("kto_cel", "kto_aspect", "kto_stelling", "kto_product", "kto_tip", "dim_gemeente")


def _rows(first: int, code: str, name: str, year: int, n: int) -> list[str]:
    return [
        f"{first + k};{code};{name};Balie;0{1 + k % 9}-03-{year} 10:00;"
        f"0{1 + k % 9}-03-{year} 10:05;Voltooid;{6 + k % 4}"
        for k in range(n)
    ]


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    (landing / "one2ten").mkdir(parents=True)
    rows = [
        *_rows(1000, "GM9999", "Zoetermeer", 2023, 12),  # unknown code, a real name
        *_rows(2000, "GM0370", "Beemster", 2023, 12),  # Beemster after its herindeling
        *_rows(3000, "GM0370", "Gemeente Beemster (export)", 2021, 12),  # before: valid
    ]
    (landing / "one2ten" / "export.csv").write_text(
        "\n".join([HEADER, *rows]) + "\n", encoding="utf-8"
    )
    return landing


def _texts(output: Path) -> list[Path]:
    return [p for p in output.rglob("*") if p.is_file() and p.suffix in {".html", ".json", ".csv"}]


def _names_in_marts(database: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(database), read_only=True) as con:
        schema = "marts" if database.name == "warehouse.duckdb" else "main"
        found: set[tuple[str, str]] = set()
        for table in MARTS:
            found |= set(
                con.execute(
                    f"SELECT DISTINCT gemeentecode, gemeente FROM {schema}.{table}"
                ).fetchall()
            )
    return found


def _summary(stdout: str) -> list[str]:
    return stdout[stdout.index("\nsummary:\n") + 1 :].splitlines()


def test_kto_run_accepts_reports_or_quarantines_codes_outside_the_list(tmp_path):
    landing = _landing(tmp_path)
    warehouse, output = tmp_path / "warehouse.duckdb", tmp_path / "output"

    # -- melden, the default: accepted, counted, named from the list only, the run fails
    run = kto(tmp_path, landing, "run")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out[-3000:]
    assert re.search(r"^refresh: 4 periods \(.*\) done$", out, re.M), out[-3000:]
    warned = [line for line in run.stdout.splitlines() if line.startswith("warning: Gemeentecode")]
    assert len(warned) == 2, warned
    assert (
        "GM0370: 12 rows accepted (one2ten/): Gemeentecode GM0370 (Beemster) ceased after "
        in (warned[0])
        and "successor GM0439 Purmerend" in warned[0]
    )
    assert warned[1].endswith(
        "GM9999: 12 rows accepted (one2ten/): Gemeentecode not in the CBS code list"
    )
    summary = _summary(run.stdout)
    assert "2 Gemeentecode(s) not valid in the CBS code list" in summary[1], summary
    assert summary[2].startswith("    GM0370: 12 rows") and summary[3].startswith(
        "    GM9999: 12 rows"
    )
    assert summary[4].startswith("  files "), summary

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone() == (0,)
        gemeenten = con.execute(
            "SELECT gemeentecode, gemeente, in_cbs_codelijst FROM marts.dim_gemeente ORDER BY 1"
        ).fetchall()
        responses = dict(
            con.execute(
                "SELECT gemeentecode || ' ' || periode, respons FROM marts.kto_cel "
                "WHERE kwartaal IS NULL"
            ).fetchall()
        )
    assert gemeenten == [("GM0370", "Beemster", True), ("GM9999", "GM9999", False)]
    assert responses == {"GM0370 2021": 12, "GM0370 2023": 12, "GM9999 2023": 12}
    # never the export's name, in any output: the marts, the snapshot, factsheets, CSVs
    named = _names_in_marts(warehouse) | _names_in_marts(output / "marts.duckdb")
    assert named == {("GM0370", "Beemster"), ("GM9999", "GM9999")}, named
    assert [p for p in output.rglob("*GM9999*") if p.suffix == ".html"], "no GM9999 factsheet"
    texts = _texts(output)
    assert any("GM9999" in p.read_text(encoding="utf-8", errors="replace") for p in texts)
    for path in texts:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "Zoetermeer" not in text and "(export)" not in text, path

    # -- strikt, the same warehouse and unchanged file: the rows are judged again
    run = kto(tmp_path, landing, "run", env={"KTO_GEMEENTECODES": "strikt"})
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    assert "warning: Gemeentecode" not in out and "Gemeentecode(s) not valid" not in out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        reasons = dict(
            con.execute(
                "SELECT value, any_value(rule) FROM raw.quarantine GROUP BY value"
            ).fetchall()
        )
        counts = dict(
            con.execute("SELECT value, count(*) FROM raw.quarantine GROUP BY value").fetchall()
        )
        gemeenten = con.execute(
            "SELECT gemeentecode, gemeente, in_cbs_codelijst FROM marts.dim_gemeente"
        ).fetchall()
        periods = con.execute(
            "SELECT DISTINCT gemeentecode, periode FROM marts.kto_cel ORDER BY 1, 2"
        ).fetchall()
    assert counts == {"GM9999": 12, "GM0370": 12}
    assert reasons["GM9999"] == "Gemeentecode not in the CBS code list"
    assert "successor GM0439 Purmerend" in reasons["GM0370"]
    # accepted in 2021, named by the code list, never by the export
    assert gemeenten == [("GM0370", "Beemster", True)]
    assert {p for _, p in periods} == {"2021", "2021-Q1"}
    assert _names_in_marts(output / "marts.duckdb") == {("GM0370", "Beemster")}

    # -- melden again: accepted and reported again
    run = kto(tmp_path, landing, "run")
    assert run.returncode == 1, (run.stdout + run.stderr)[-3000:]
    assert "    GM9999: 12 rows accepted (one2ten/)" in run.stdout
    # every quality rule holds (the staging rule follows the setting: dbt's state is shared)
    assert re.search(r"^refresh: \d+ periods \(.*\) done$", run.stdout, re.M), run.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.quarantine").fetchone() == (0,)


def test_the_ingest_check_warns_naming_each_code_outside_the_list(definitions, tmp_path):
    """ingest_job on the samples: gemeentecodes_in_cbs_list fails with severity WARN (orange)
    on every raw asset, naming the samples' codes outside the CBS code list, and the gate
    does not withhold on it; under strikt those rows are quarantined and the check passes."""
    import dagster as dg

    from dagster_project.defs.gate import _check_keys
    from dagster_project.defs.ingest import CODE_LIST_CHECK
    from dagster_project.defs.settings_resource import run_config_of
    from dagster_project.settings import Settings
    from tests.conftest import OUTSIDE_THE_CODE_LIST, copy_samples

    landing = copy_samples(tmp_path / "landing")
    for mode in ("melden", "strikt"):
        settings = Settings.from_env(
            {
                "KTO_LANDING_DIR": str(landing),
                "KTO_WAREHOUSE": str(tmp_path / f"{mode}.duckdb"),
                "KTO_GEMEENTECODES": mode,
            }
        )
        (tmp_path / mode).mkdir()
        with dg.instance_for_test(temp_dir=str(tmp_path / mode)) as instance:
            result = definitions.resolve_job_def("ingest_job").execute_in_process(
                instance=instance, run_config=run_config_of(settings), raise_on_error=False
            )
        assert result.success
        checks = {
            e.asset_key.path[-1]: e
            for e in result.get_asset_check_evaluations()
            if e.check_name == CODE_LIST_CHECK
        }
        assert set(checks) == {"one2ten_responses", "openforms_submissions", "inviter_invitations"}
        for check in checks.values():
            assert check.severity == dg.AssetCheckSeverity.WARN
            listed = check.metadata["gemeentecodes"].value
            if mode == "melden":
                assert not check.passed
                assert [c for c in OUTSIDE_THE_CODE_LIST if f"`{c}`" in listed] == list(
                    OUTSIDE_THE_CODE_LIST
                ), listed
                assert "GM0637" not in listed and "GM0627" not in listed
                assert "(Ouderkerk) ceased after 2014-12-31" in listed
            else:
                assert check.passed and listed == "none"
        with duckdb.connect(str(settings.warehouse), read_only=True) as con:
            quarantined = con.execute(
                "SELECT DISTINCT value FROM raw.quarantine WHERE column_name ILIKE 'gemeentecode'"
            ).fetchall()
        codes = {v for (v,) in quarantined if v and v.startswith("GM")}
        assert codes == (set() if mode == "melden" else set(OUTSIDE_THE_CODE_LIST)), codes
    # the gate never withholds on it: the format specification accepts such codes
    assert CODE_LIST_CHECK not in {k.name for k in _gate_keys(definitions, _check_keys)}


def _gate_keys(definitions, check_keys):
    class Context:  # what _check_keys reads of an asset's context
        job_def = definitions.resolve_job_def("ingest_job")
        repository_def = definitions.get_repository_def()

    return check_keys(Context())
