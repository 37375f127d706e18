"""`kto run` with codes the CBS code list refuses: an unknown code under a real name, and a
merged municipality's code before and after its herindeling (docs/formats.md,
"Municipality codes and the CBS code list")."""

from __future__ import annotations

import duckdb

from tests.conftest import kto

HEADER = "Respondentnummer;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;Totaaloordeel"


def _rows(first: int, code: str, name: str, year: int, n: int) -> list[str]:
    return [
        f"{first + k};{code};{name};Balie;0{1 + k % 9}-03-{year} 10:00;"
        f"0{1 + k % 9}-03-{year} 10:05;Voltooid;{6 + k % 4}"
        for k in range(n)
    ]


def test_kto_run_quarantines_unknown_and_ceased_codes_and_names_from_the_list(tmp_path):
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
    run = kto(tmp_path, landing, "run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
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

    output = tmp_path / "output"
    shown = [p for p in output.rglob("*") if p.is_file() and p.suffix in {".html", ".json"}]
    assert shown, "no factsheets or reports written"
    assert not [p for p in output.rglob("*GM9999*")]
    for path in shown:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "Zoetermeer" not in text and "(export)" not in text, path
