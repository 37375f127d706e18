"""Each bad-input rule of docs/contract/formats.md, and the quirks real exports have."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from dagster_project.ingest.readers import FileRejected, read_file
from dagster_project.ingest.readers import answers as a

ONE2TEN_HEADER = (
    "Respondentnummer;Survey;Gemeentecode;Gemeente;Kanaal;Startdatum;Einddatum;Status;"
    "Product;Totaaloordeel;Toelichting totaaloordeel;Moeite;Vriendelijkheid;"
    "Verbetertip;Verbetertip toelichting;E-mailadres"
)
GOOD_ROW = (
    "1001;KTO Balie;GM0637;Zoetermeer;Balie;02-03-2020 10:00;02-03-2020 10:05;Voltooid;"
    "Rijbewijs;8;Prima;Geen moeite;9;Nee;;a@example.org"
)


def write(landing: Path, file_path: str, content: str | bytes) -> str:
    path = landing / file_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return file_path


def one2ten_csv(landing: Path, *rows: str, header: str = ONE2TEN_HEADER) -> str:
    return write(landing, "one2ten/export.csv", "\r\n".join((header, *rows)) + "\r\n")


def only_problem(problems):
    assert len(problems) == 1, problems
    return problems[0]


# --- values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "grade"),
    [
        ("8", 8),
        ("8,0", 8),
        (" 10 ", 10),
        ("1", 1),
        (8, 8),
        (8.0, 8),
        ("Weet niet", None),
        ("WEET NIET", None),
        ("weet niet", None),
        ("n.v.t.", None),
        ("N.V.T.", None),
        ("", None),
        (None, None),
    ],
)
def test_grades_that_are_answers_or_no_answer(cell, grade):
    assert a.grade(cell) == grade


@pytest.mark.parametrize("cell", ["0", "11", "8,5", "acht", "8.5", 11, 0, 8.5, "-1", "10,1"])
def test_grades_that_are_invalid(cell):
    with pytest.raises(a.InvalidValue, match=r"1\.\.10"):
        a.grade(cell)


def test_labels_match_in_any_case_and_unknown_ones_are_invalid():
    moeite = a.labels("Geen moeite", "Weet niet")
    assert a.label("geen MOEITE", moeite, "Moeite") == "Geen moeite"
    assert a.label("  ", moeite, "Moeite") is None
    with pytest.raises(a.InvalidValue, match="unknown Moeite"):
        a.label("Beetje moeite", moeite, "Moeite")


def test_dates():
    assert str(a.one2ten_datetime("31-12-2020 23:59", "Einddatum")) == "2020-12-31 23:59:00"
    assert str(a.openforms_datetime("2020-01-10 11:55:56", "Inzendingdatum")).endswith("11:55:56")
    for bad in ("31-02-2020 10:00", "2020-02-01 10:00", "1-2-2020", "gisteren"):
        with pytest.raises(a.InvalidValue, match="Einddatum must be a date"):
            a.one2ten_datetime(bad, "Einddatum")


# --- quarantine: unusable identity ------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("Respondentnummer", "", "missing Respondentnummer"),
        ("Respondentnummer", "abc", "Respondentnummer must be a positive whole number"),
        ("Respondentnummer", "0", "Respondentnummer must be a positive whole number"),
        # other Unicode digits: int() refused them, which refused the whole file
        ("Respondentnummer", "²", "Respondentnummer must be a positive whole number"),
        # past BIGINT: the insert into raw failed, which stopped the whole ingest
        ("Respondentnummer", "9" * 20, "Respondentnummer larger than 9,223,372,036,854,775,807"),
        ("Startdatum", "2-03-2020 10:00", "Startdatum must be a date"),
        ("Startdatum", "02-03-2020 10:00:60", "Startdatum must be a date"),
        ("Gemeentecode", "0637", "Gemeentecode must be GM followed by 4 digits"),
        ("Gemeentecode", "GM637", "Gemeentecode must be GM followed by 4 digits"),
        ("Kanaal", "Loket", "unknown Kanaal"),
        ("Kanaal", "", "missing Kanaal"),
        ("Startdatum", "2020-03-02 10:00", "Startdatum must be a date"),
        ("Einddatum", "31-02-2020 10:00", "Einddatum must be a date"),
        ("Status", "Half", "unknown Status"),
    ],
)
def test_unusable_identity_quarantines_the_row_naming_file_row_and_column(
    tmp_path, column, value, rule
):
    header = ONE2TEN_HEADER.split(";")
    bad = GOOD_ROW.split(";")
    bad[header.index(column)] = value
    file_path = one2ten_csv(tmp_path, GOOD_ROW.replace("1001", "1000"), ";".join(bad))
    result = read_file(tmp_path, file_path)

    assert (result.rows_read, len(result.rows), result.rows_quarantined) == (2, 1, 1)
    problem = only_problem(result.quarantined)
    assert (problem.file_path, problem.row_number, problem.column_name) == (file_path, 3, column)
    assert rule in problem.rule
    assert str(problem).startswith(f"{file_path}, row 3, column {column!r}: ")


def test_completed_without_end_date_is_quarantined(tmp_path):
    row = GOOD_ROW.replace("02-03-2020 10:05;Voltooid", ";Voltooid")
    result = read_file(tmp_path, one2ten_csv(tmp_path, row))
    problem = only_problem(result.quarantined)
    assert (problem.row_number, problem.column_name) == (2, "Einddatum")
    # An unfinished questionnaire without Einddatum is kept (it counts nowhere, but is kept).
    row = GOOD_ROW.replace("02-03-2020 10:05;Voltooid", ";Onvolledig")
    assert len(read_file(tmp_path, one2ten_csv(tmp_path, row)).rows) == 1


def test_a_row_with_the_wrong_number_of_fields_is_quarantined(tmp_path):
    result = read_file(tmp_path, one2ten_csv(tmp_path, GOOD_ROW, GOOD_ROW + ";extra"))
    problem = only_problem(result.quarantined)
    assert problem.row_number == 3
    assert "17 fields, header has 16" in problem.rule
    assert result.rows_read == 2


# --- answer issues: the answer is blanked, the row stays --------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("Totaaloordeel", "11"),
        ("Totaaloordeel", "0"),
        ("Totaaloordeel", "8,5"),
        ("Totaaloordeel", "acht"),
        ("Vriendelijkheid", "11"),
        ("Moeite", "Beetje moeite"),
        ("Verbetertip", "Misschien"),
    ],
)
def test_an_invalid_answer_is_blanked_and_recorded(tmp_path, column, value):
    header = ONE2TEN_HEADER.split(";")
    cells = GOOD_ROW.split(";")
    cells[header.index(column)] = value
    file_path = one2ten_csv(tmp_path, ";".join(cells))
    result = read_file(tmp_path, file_path)

    (row,) = result.rows
    raw_name = column.lower()
    assert row[raw_name] is None
    assert row["gemeentecode"] == "GM0637"
    issue = only_problem(result.answer_issues)
    assert (issue.file_path, issue.row_number, issue.column_name, issue.value) == (
        file_path,
        2,
        column,
        value,
    )


# --- files refused whole ----------------------------------------------------------------


def test_missing_required_column_rejects_the_file_naming_it(tmp_path):
    header = ONE2TEN_HEADER.replace("Gemeentecode;", "")
    row = GOOD_ROW.replace("GM0637;", "")
    file_path = one2ten_csv(tmp_path, row, header=header)
    with pytest.raises(FileRejected) as caught:
        read_file(tmp_path, file_path)
    assert caught.value.file_path == file_path
    assert "'Gemeentecode'" in str(caught.value) and file_path in str(caught.value)


def test_wrong_delimiter_rejects_the_file(tmp_path):
    file_path = one2ten_csv(
        tmp_path, GOOD_ROW.replace(";", ","), header=ONE2TEN_HEADER.replace(";", ",")
    )
    with pytest.raises(FileRejected, match=r"export.csv: header has no ';' delimiter.*','"):
        read_file(tmp_path, file_path)


def test_binary_content_rejects_the_file(tmp_path):
    file_path = write(tmp_path, "one2ten/export.csv", b"\x00\x01\x02PK\x03\x04" * 50)
    with pytest.raises(FileRejected, match="binary"):
        read_file(tmp_path, file_path)


def test_truncated_xlsx_rejects_the_file(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(ONE2TEN_HEADER.split(";"))
    workbook.save(tmp_path / "full.xlsx")
    data = (tmp_path / "full.xlsx").read_bytes()
    file_path = write(tmp_path, "one2ten/export.xlsx", data[: len(data) // 2])
    with pytest.raises(FileRejected, match=r"export\.xlsx: .*XLSX"):
        read_file(tmp_path, file_path)


def test_another_form_in_the_openforms_folder_is_rejected(tmp_path):
    file_path = write(
        tmp_path,
        "openforms/melding.csv",
        "Formuliernaam,Inzendingdatum,omschrijving\n"
        "Melding openbare ruimte,2020-05-01 12:00:00,x\n",
    )
    with pytest.raises(FileRejected, match="not the survey form"):
        read_file(tmp_path, file_path)


def test_json_that_is_not_an_array_is_rejected(tmp_path):
    file_path = write(tmp_path, "openforms/export.json", json.dumps({"a": 1}))
    with pytest.raises(FileRejected, match="array"):
        read_file(tmp_path, file_path)


@pytest.mark.parametrize(
    ("nesting", "refusal"),
    [
        # parses: the limit is checked on the parsed data
        ('[{"respondentId": [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}]', "nested 17 levels deep"),
        # does not parse: too deep a nesting is still the reason given, not the syntax
        ('[{"respondentId": [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]}', "nested 17 levels deep"),
        ('[{"a": 1, "a": [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}]', "nested 17 levels deep"),
        ('[{"a": 1, "a": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}]', "duplicated column name 'a'"),
        ('[{"respondentId": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}', "not valid JSON"),
    ],
)
def test_json_nested_past_the_limit_is_refused_with_its_depth(tmp_path, nesting, refusal):
    file_path = write(tmp_path, "openforms/export.json", nesting)
    with pytest.raises(FileRejected, match=refusal):
        read_file(tmp_path, file_path)


def test_json_nested_to_the_limit_is_read(tmp_path):
    nesting = '[{"respondentId": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}]'  # 16 levels
    file_path = write(tmp_path, "openforms/export.json", nesting)
    # past the nesting check, refused for what the object lacks
    with pytest.raises(FileRejected, match="missing required column"):
        read_file(tmp_path, file_path)


def test_files_outside_the_known_folders_or_types_are_rejected(tmp_path):
    with pytest.raises(FileRejected, match="not in a known folder"):
        read_file(tmp_path, write(tmp_path, "export.csv", "x"))
    with pytest.raises(FileRejected, match="unsupported file type"):
        read_file(tmp_path, write(tmp_path, "inviter/log.xlsx", "x"))


# --- the quirks real exports have -------------------------------------------------------


def test_windows_1252_and_bom_are_detected_and_quoted_text_survives(tmp_path):
    text = 'Fijn; "echt" goed\r\nDank je wel, één keer'
    row = GOOD_ROW.replace("Prima", '"' + text.replace('"', '""') + '"')
    content = "\r\n".join((ONE2TEN_HEADER, row, GOOD_ROW.replace("1001", "1002"))) + "\r\n"
    for encoded in (
        content.encode("cp1252"),
        b"\xef\xbb\xbf" + content.encode("utf-8"),
        content.encode("utf-8"),
    ):
        file_path = write(tmp_path, "one2ten/export.csv", encoded)
        result = read_file(tmp_path, file_path)
        assert [r["toelichting_totaaloordeel"] for r in result.rows] == [text, "Prima"]
        # The second record starts on line 4: the first spans lines 2 and 3.
        assert [r["source_row"] for r in result.rows] == [2, 4]


def test_xlsx_numbers_and_text_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = ONE2TEN_HEADER.split(";")
    sheet.append(header)
    cells: list = GOOD_ROW.split(";")
    cells[0] = 1001
    cells[header.index("Totaaloordeel")] = 7
    cells[header.index("Vriendelijkheid")] = "8,0"
    sheet.append(cells)
    sheet.append([None] * len(header))  # an empty sheet row is no data row
    workbook.save(tmp_path / "x.xlsx")
    file_path = write(tmp_path, "one2ten/x.xlsx", (tmp_path / "x.xlsx").read_bytes())
    (row,) = read_file(tmp_path, file_path).rows
    assert (row["respondentnummer"], row["totaaloordeel"], row["vriendelijkheid"]) == (1001, 7, 8)
    assert row["source_row"] == 2


def test_unknown_extra_columns_are_listed_and_order_does_not_matter(tmp_path):
    header = ONE2TEN_HEADER.split(";")
    cells = GOOD_ROW.split(";")
    order = list(reversed(range(len(header))))
    file_path = one2ten_csv(
        tmp_path,
        ";".join([cells[i] for i in order] + ["x"]),
        header=";".join([header[i] for i in order] + ["Afdeling"]),
    )
    result = read_file(tmp_path, file_path)
    assert result.extra_columns == ["Afdeling"]
    assert result.rows[0]["totaaloordeel"] == 8


def test_openforms_json_and_inviter(tmp_path):
    submission = {
        "Formuliernaam": "KTO digitale dienstverlening",
        "Inzendingdatum": "2020-01-10 11:55:56",
        "respondentId": "4F92AD01-E78A-76ED-84A7-6D6EC621600A",
        "gemeentecode": "GM0637",
        "totaaloordeel": "10",
        "moeite": "GeenMoeite",
        "taalDuidelijk": "misschien",
    }
    file_path = write(
        tmp_path,
        "openforms/x.json",
        json.dumps([submission, {**submission, "respondentId": "nope"}]),
    )
    result = read_file(tmp_path, file_path)
    (row,) = result.rows
    assert (row["respondent_id"], row["totaaloordeel"], row["moeite"]) == (
        "4f92ad01-e78a-76ed-84a7-6d6ec621600a",
        10,
        "geenMoeite",
    )
    assert only_problem(result.answer_issues).column_name == "taalDuidelijk"
    problem = only_problem(result.quarantined)
    assert (problem.row_number, problem.column_name) == (2, "respondentId")

    log = (
        "Gemeentecode;Kanaal;Verzonden op;E-mailadres;Status\n"
        "GM0637;Balie;22-07-2019 09:00;x@example.org;Verzonden\n"
        "GM0637;Balie;22-07-2019 09:00;x@example.org;Gelezen\n"
    )
    result = read_file(tmp_path, write(tmp_path, "inviter/log.csv", log))
    assert len(result.rows) == 1
    assert only_problem(result.quarantined).column_name == "Status"


def test_an_xlsx_workbook_is_read_in_parts_like_one_table(tmp_path, monkeypatch):
    """A full channel-year in one workbook is read a part at a time (its memory is one
    part's); the rows, their numbers and the quarantine are those of one whole read."""
    from dagster_project.ingest.readers import tabular

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = ONE2TEN_HEADER.split(";")
    sheet.append(header)
    for n in range(7):
        cells: list = GOOD_ROW.split(";")
        cells[0] = 1001 + n
        cells[header.index("Totaaloordeel")] = 1 + n
        if n == 4:
            cells[header.index("Gemeentecode")] = "637"  # unusable identity: quarantined
        sheet.append(cells)
        if n == 2:
            sheet.append([None] * len(header))  # an empty sheet row between the parts
    workbook.save(tmp_path / "x.xlsx")
    file_path = write(tmp_path, "one2ten/x.xlsx", (tmp_path / "x.xlsx").read_bytes())

    parts = list(tabular.read_xlsx_parts(tmp_path / file_path, file_path, part_rows=3))
    assert [[number for number, _ in part.rows] for part in parts] == [[2, 3, 4], [6, 7, 8], [9]]
    assert all(part.header == header for part in parts)
    whole = read_file(tmp_path, file_path)
    monkeypatch.setattr(tabular.read_xlsx_parts, "__defaults__", (2,))  # parts of two rows
    in_parts = read_file(tmp_path, file_path)
    assert in_parts.rows == whole.rows and len(whole.rows) == 6
    assert [r["totaaloordeel"] for r in in_parts.rows] == [1, 2, 3, 4, 6, 7]
    quarantined = [(p.row_number, p.column_name) for p in in_parts.quarantined]
    assert quarantined == [(7, "Gemeentecode")]
