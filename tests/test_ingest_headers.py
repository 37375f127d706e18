"""Header names in any spelling of the one alias table (readers/headers.py); a file whose
answers would vanish (a column that matches nothing but holds answers, or a re-export without
answers its previous version supplied) is held at its previous version, and `kto run` exits 1
naming it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.ingest import load_landing
from dagster_project.ingest.readers import SOURCES, FileRejected, read_file
from dagster_project.ingest.readers.headers import ALIASES, header_key
from tests.conftest import copy_samples
from tests.test_ingest_arrival import kto

BALIE_2019 = "one2ten/export_balie_2019.csv"
BALIE_2020 = "one2ten/export_balie_2020.csv"
TELEFOON_2020 = "one2ten/export_telefoon_2020.csv"


def rewrite(path: Path, rename: dict[str, str], drop: str | None = None, reverse=False) -> None:
    """Re-export a One2Ten CSV with other header names, a column left out, the order reversed."""
    data = path.read_bytes()
    text = data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("cp1252")
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=";") if r]
    keep = [i for i, name in enumerate(rows[0]) if name != drop]
    if reverse:
        keep.reverse()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([rename.get(rows[0][i], rows[0][i]) for i in keep])
    writer.writerows([r[i] for i in keep] for r in rows[1:])
    path.write_text(out.getvalue(), encoding="utf-8")


# -- the table ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.folder)
def test_every_field_and_alias_has_a_key_of_its_own(source):
    keys = [header_key(f.column) for f in source.fields]
    assert len(set(keys)) == len(keys) and all(keys)
    columns = {f.column for f in source.fields}
    for alias, column in ALIASES[source.raw_table].items():
        assert column in columns, alias
        assert header_key(alias) not in keys, f"{alias!r} is already a field's own name"


def respell(name: str, draw) -> str:
    """The name as another export writes it: case, blanks, dashes, underscores, accents."""
    out = []
    for ch in name:
        if ch.isalnum():
            case = draw(st.sampled_from(("same", "upper", "lower")))
            ch = {"same": ch, "upper": ch.upper(), "lower": ch.lower()}[case]
            ch = {"é": "e", "É": "E", "ë": "e"}.get(ch, ch) if draw(st.booleans()) else ch
            out.append(ch)
        else:
            out.append(draw(st.sampled_from(("", " ", "-", "_", "  ", " - ", "\u2011", "."))))
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from((" ", "_", "-", "\u200b", "\u00a0"))))
    return "".join(out)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_a_respelt_and_reordered_header_reads_as_the_original(tmp_path_factory, data):
    """Oracle: the file with the contract's header names; the same cells under respelt names
    in another column order must give the same rows."""
    tmp = tmp_path_factory.mktemp("respelt")
    original = Path(__file__).parent / "fixtures" / "samples" / TELEFOON_2020
    for folder in ("a", "b"):
        (tmp / folder / "one2ten").mkdir(parents=True)
        (tmp / folder / TELEFOON_2020).write_bytes(original.read_bytes())
    header = next(csv.reader(io.StringIO(original.read_bytes().decode("cp1252")), delimiter=";"))
    names = {name: respell(name, data.draw) for name in header}
    rewrite(tmp / "a" / TELEFOON_2020, {})  # the same writing, so the same row numbers
    rewrite(tmp / "b" / TELEFOON_2020, names, reverse=data.draw(st.booleans()))
    expected = read_file(tmp / "a", TELEFOON_2020)
    got = read_file(tmp / "b", TELEFOON_2020)
    assert got.extra_columns == [] and got.rows == expected.rows
    assert got.quarantined == expected.quarantined


def test_a_column_that_matches_nothing_but_holds_answers_refuses_the_file(tmp_path):
    (tmp_path / "one2ten").mkdir()
    path = tmp_path / BALIE_2020
    path.write_bytes((Path(__file__).parent / "fixtures" / "samples" / BALIE_2020).read_bytes())
    rewrite(path, {"Moeite": "Hoeveel moeite kostte het?"})
    with pytest.raises(FileRejected, match="'Hoeveel moeite kostte het\\?' matches no known"):
        read_file(tmp_path, BALIE_2020)
    # An extra column that holds no answers (a device, a free remark) is listed and ignored.
    rewrite(path, {"Hoeveel moeite kostte het?": "Moeite", "Survey": "Apparaat"})
    assert read_file(tmp_path, BALIE_2020).extra_columns == ["Apparaat"]


def test_two_columns_of_one_field_refuse_the_file(tmp_path):
    (tmp_path / "one2ten").mkdir()
    path = tmp_path / BALIE_2020
    path.write_bytes((Path(__file__).parent / "fixtures" / "samples" / BALIE_2020).read_bytes())
    rewrite(path, {"Survey": "TOTAALOORDEEL"})
    with pytest.raises(FileRejected, match="columns 'TOTAALOORDEEL' and 'Totaaloordeel' are"):
        read_file(tmp_path, BALIE_2020)


def test_a_reexport_without_answers_its_previous_version_supplied_is_held(tmp_path):
    landing = copy_samples(tmp_path / "landing")
    warehouse = tmp_path / "w.duckdb"
    load_landing(landing, warehouse)
    rewrite(landing / BALIE_2019, {}, drop="Moeite")
    report = load_landing(landing, warehouse)
    (held,) = report.held
    assert held.file_path == BALIE_2019
    assert held.reason.startswith("this version has no column 'Moeite' (")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ((moeite,),) = con.execute(
            "SELECT count(moeite) FROM raw.one2ten_responses WHERE source_file = ?", [BALIE_2019]
        ).fetchall()
    assert moeite > 0  # the previous version's answers stay

    # A column that is there but empty takes nothing away: a correction may have no remark.
    text = (landing / BALIE_2020).read_bytes().decode("utf-8-sig").split("\r\n")
    correction = [text[0]] + [
        ";".join(c if i != 11 else "" for i, c in enumerate(line.split(";"))) for line in text[1:4]
    ]
    (landing / BALIE_2020).write_text("\r\n".join(correction) + "\r\n", encoding="utf-8")
    # A version of which no row can be used takes everything away: held.
    inviter = landing / "inviter" / "inviter_log.csv"
    inviter.write_bytes(inviter.read_bytes().split(b"\n")[0] + b"\nGM0637;Balie;gisteren;;x\n")
    report = load_landing(landing, warehouse)
    assert [f.file_path for f in report.of("ingested")] == [BALIE_2020]
    assert {h.file_path: h.reason for h in report.held} == {
        BALIE_2019: held.reason,
        "inviter/inviter_log.csv": "no row of this version can be used (1 quarantined), where "
        "its previous version supplied 1,440",
    }

    # A new file without the column is nothing taken away: read, the answers left empty.
    (landing / "one2ten" / "nieuw.csv").write_bytes((landing / BALIE_2019).read_bytes())
    report = load_landing(landing, warehouse)
    assert [f.file_path for f in report.of("ingested")] == ["one2ten/nieuw.csv"]


# -- through `kto run` ------------------------------------------------------------------------


@pytest.mark.slow
def test_kto_run_maps_respelt_headers_and_holds_files_whose_answers_would_vanish(
    tmp_path, expected
):
    landing = copy_samples(tmp_path / "landing")
    load_landing(landing, tmp_path / "warehouse.duckdb")  # the good delivery, earlier
    # The re-export of the issue: other spellings, another order. Its answers must count.
    rewrite(
        landing / BALIE_2020,
        {"Totaaloordeel": "totaaloordeel", "Moeite": "MOEITE", "Wachttijd": "Wacht tijd"},
        reverse=True,
    )
    # A grade column under a name nothing matches, and a re-export without its Moeite column.
    rewrite(landing / TELEFOON_2020, {"Totaaloordeel": "Totaal-oordeel (1-10)"})
    rewrite(landing / BALIE_2019, {}, drop="Moeite")

    run = kto(tmp_path, landing, "run")
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert (
        f"held: {TELEFOON_2020}: column 'Totaal-oordeel (1-10)' matches no known column but "
        "holds answers" in out
    )
    assert f"held: {BALIE_2019}: this version has no column 'Moeite' (" in out
    assert f"held: {BALIE_2020}" not in out

    cells = {
        key: (cell["respons"], cell["totaaloordeel"]["n"], cell["ces"]["n"])
        for key, cell in expected["cells"].items()
        if "|balie|" in key or "|telefoon|" in key
    }
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        built = {
            f"{code}|{kanaal}|{periode}": (respons, n, ces_n)
            for code, kanaal, periode, respons, n, ces_n in con.execute(
                "SELECT gemeentecode, kanaal, periode, respons, totaaloordeel_n, ces_n "
                "FROM marts.kto_cel WHERE kanaal IN ('balie', 'telefoon')"
            ).fetchall()
        }
        ((mapped,),) = con.execute(
            "SELECT count(*) FROM raw.ingested_files WHERE file_path = ? AND content_hash = "
            "(SELECT content_hash FROM raw.file_contents ORDER BY arrival DESC LIMIT 1)",
            [BALIE_2020],
        ).fetchall()
    assert mapped == 1  # the respelt re-export is the version in raw
    assert {k: built.get(k) for k in cells} == cells
    assert any(key.endswith("|balie|2020") and n > 0 for key, (_, n, _) in cells.items())


def test_a_changed_file_of_every_source_is_read_again(tmp_path):
    """The answer check has nothing to compare in the Inviter log (no answer columns)."""
    landing = copy_samples(tmp_path / "landing")
    warehouse = tmp_path / "w.duckdb"
    load_landing(landing, warehouse)
    for file_path, extra in (
        ("inviter/inviter_log.csv", b"GM0637;Balie;01-02-2020 10:00;x@example.org;Verzonden\r\n"),
        (TELEFOON_2020, b"\r\n"),
        ("openforms/kto_digitaal_2019.csv", b"\r\n"),
    ):
        path = landing / file_path
        path.write_bytes(path.read_bytes().rstrip(b"\r\n") + b"\r\n" + extra)
    report = load_landing(landing, warehouse)
    assert sorted(f.file_path for f in report.of("ingested")) == sorted(
        ["inviter/inviter_log.csv", TELEFOON_2020, "openforms/kto_digitaal_2019.csv"]
    )
    assert report.held == []
