"""The bad-input corpus: every hostile or broken delivery the ingest must survive.

Each case is a landing file built here (the big ones would not belong in git)
with what must become of it: refused whole with a reason, or read with its
rows counted and each quarantined row named by file, row and column.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl

HEADER = [
    "Respondentnummer",
    "Survey",
    "Gemeentecode",
    "Gemeente",
    "Kanaal",
    "Startdatum",
    "Einddatum",
    "Status",
    "Product",
    "Totaaloordeel",
    "Toelichting totaaloordeel",
    "Moeite",
    "Vriendelijkheid",
    "Verbetertip",
    "Verbetertip toelichting",
    "E-mailadres",
]


def row(number: int, **changes: str) -> list[str]:
    """A valid balie response, with some cells changed (keys are column names, spaces as _)."""
    cells = {
        "Respondentnummer": str(number),
        "Survey": "KTO Balie",
        "Gemeentecode": "GM0637",
        "Gemeente": "Zoetermeer",
        "Kanaal": "Balie",
        "Startdatum": "02-03-2020 10:00",
        "Einddatum": "02-03-2020 10:05",
        "Status": "Voltooid",
        "Product": "Rijbewijs",
        "Totaaloordeel": "8",
        "Toelichting totaaloordeel": "Prima",
        "Moeite": "Geen moeite",
        "Vriendelijkheid": "9",
        "Verbetertip": "Nee",
        "Verbetertip toelichting": "",
        "E-mailadres": "",
    }
    cells.update({k.replace("_", " "): v for k, v in changes.items()})
    return [cells[h] for h in HEADER]


def csv_bytes(*rows: list[str], header: list[str] = HEADER, delimiter: str = ";") -> bytes:
    def quoted(cell: str) -> str:
        if any(c in cell for c in f'{delimiter}"\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell

    lines = [delimiter.join(quoted(c) for c in r) for r in (header, *rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def xlsx_bytes(*rows: list[str]) -> bytes:
    workbook = openpyxl.Workbook()
    for r in (HEADER, *rows):
        workbook.active.append(r)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rezip(data: bytes, replace: Callable[[str, bytes], bytes | None]) -> bytes:
    """The workbook with some parts replaced (``replace`` returns None to keep a part)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            new = replace(info.filename, content)
            dst.writestr(info.filename, content if new is None else new, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def cut_sheet_xlsx() -> bytes:
    """A valid zip whose sheet XML stops halfway (the ParseError case)."""
    full = xlsx_bytes(*(row(1000 + i) for i in range(20)))
    return _rezip(full, lambda name, c: c[: len(c) // 2] if name.endswith("sheet1.xml") else None)


def zip_bomb_xlsx(unpacked_mib: int = 300) -> bytes:
    """A small XLSX whose sheet unpacks to ``unpacked_mib`` MiB of repeated rows."""
    full = xlsx_bytes(row(1000))
    out = io.BytesIO()
    cell = '<c t="inlineStr"><is><t>8</t></is></c>' * 16
    block = (f"<row>{cell}</row>" * 20000).encode()
    with (
        zipfile.ZipFile(io.BytesIO(full)) as src,
        zipfile.ZipFile(out, "w", compresslevel=1) as dst,
    ):
        for info in src.infolist():
            if not info.filename.endswith("sheet1.xml"):
                dst.writestr(info.filename, src.read(info), zipfile.ZIP_DEFLATED)
                continue
            part = zipfile.ZipInfo(info.filename)
            part.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(part, "w", force_zip64=True) as sheet:
                sheet.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><sheetData>'
                )
                written = 0
                while written < unpacked_mib * 1024**2:
                    sheet.write(block)
                    written += len(block)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


@dataclass(frozen=True)
class Case:
    file_path: str
    build: Callable[[], bytes]
    rejected: str | None = None  # regex the rejection reason must match
    rows: tuple[int, int, int] | None = None  # read, accepted, quarantined
    # (row, column, rule regex) of each quarantined row
    problems: tuple[tuple[int, str | None, str], ...] = ()
    stored: dict[str, str] = field(default_factory=dict)  # raw column -> value it must hold
    slow: bool = False


GOOD = csv_bytes(row(1001))
INJECTIONS = (
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    '#read("/etc/passwd") #import "/etc/passwd": * $x$ @ref \\ ]',
    "=cmd|' /C calc'!A0",
    "'; DROP TABLE raw.quarantine; --",
    "{{ 7*7 }} {% include '/etc/passwd' %}",
)


def _late_nul() -> bytes:
    data = csv_bytes(*(row(2000 + i) for i in range(60)))
    assert len(data) > 5000
    return data[:5000] + b"\x00" + data[5000:]


def _truncated_in_quotes() -> bytes:
    data = csv_bytes(row(3001), row(3002, Toelichting_totaaloordeel="regel een\r\nregel twee"))
    return data[: data.index(b"regel twee")]


def _truncated_in_row() -> bytes:
    data = csv_bytes(row(3101), row(3102))
    return data[: data.rindex(b"Voltooid")]


def _mis_columned() -> bytes:
    shuffled = list(reversed(HEADER))
    return csv_bytes(
        list(reversed(row(3201))), [*list(reversed(row(3202))), "extra"], header=shuffled
    )


def _duplicated_column() -> bytes:
    header = [*HEADER, "Totaaloordeel"]
    return csv_bytes([*row(3301), "3"], header=header)


def _big_field() -> bytes:
    return csv_bytes(row(3401), row(3402, Toelichting_totaaloordeel="x" * (50 * 1024**2)))


def _dates() -> bytes:
    return csv_bytes(
        row(3501),
        row(3502, Startdatum="02-03-1900 10:00", Einddatum="02-03-1900 10:05"),
        row(3503, Startdatum="02-03-2099 10:00", Einddatum="02-03-2099 10:05"),
        row(3504, Startdatum="02-03-2020 10:00", Einddatum="01-03-2020 10:05"),
    )


def _openforms_json(**changes) -> list[dict]:
    return [
        {
            "Formuliernaam": "KTO digitale dienstverlening",
            "Inzendingdatum": "2020-05-01 12:00:00",
            "respondentId": "0b6b1ac4-5a43-4c1e-9c83-5d3e4c1c7a01",
            "gemeentecode": "GM0637",
            "totaaloordeel": 8,
            **changes,
        }
    ]


def _disguised() -> bytes:
    """Codes and labels written with other code points (docs/formats.md, "Normalised values")."""
    return csv_bytes(
        row(4101, Gemeentecode="GM\u0660\u0666\u0663\u0667", Product="Rij\u200bbewijs"),
        row(4102, Gemeentecode="\uff27\uff2d\uff10\uff16\uff13\uff17", Kanaal="Ba\u00adlie"),
        row(4103, Gemeentecode="GM06\u00b37"),  # a superscript is no digit
        row(4104, Product="Paspoort en ID\u2011kaart", Moeite="Geen\u00a0moeite"),
    )


def _surrogates() -> bytes:
    """Lone surrogates (JSON escapes of half a character) in an id, a key and free text."""
    items = [
        *_openforms_json(),
        *_openforms_json(respondentId="\ud800"),
        {**_openforms_json()[0], "respondentId": "0b6b1ac4-5a43-4c1e-9c83-5d3e4c1c7a02",
         "k\udc00": 1},
        *_openforms_json(respondentId="0b6b1ac4-5a43-4c1e-9c83-5d3e4c1c7a03", toelichting="\udfff"),
    ]  # fmt: skip
    return json.dumps(items, ensure_ascii=True).encode()


CORPUS: tuple[Case, ...] = (
    Case(
        "openforms/diep.json",
        lambda: b"[" * 100_000 + b"]" * 100_000,
        rejected=r"nested 100000 levels deep, more than the limit of 16",
    ),
    Case(
        "openforms/diep_ongesloten.json",
        lambda: b"[" * 100_000,
        rejected=r"nested 100000 levels deep",
    ),
    Case(
        "openforms/dubbele_sleutel.json",
        lambda: (
            json.dumps(_openforms_json())
            .replace('"totaaloordeel": 8', '"totaaloordeel": 8, "gemeentecode": "GM0003"')
            .encode()
        ),
        rejected=r"duplicated column name 'gemeentecode'",
    ),
    Case(
        "openforms/geen_array.json",
        lambda: b'{"a": 1}',
        rejected=r"must be an array of objects",
    ),
    Case(
        "openforms/afgebroken.json",
        lambda: json.dumps(_openforms_json()).encode()[:-10],
        rejected=r"not valid JSON \(line 1",
    ),
    Case(
        "one2ten/afgebroken_blad.xlsx",
        cut_sheet_xlsx,
        rejected=r"truncated or damaged XLSX workbook",
    ),
    Case(
        "one2ten/zipbom.xlsx",
        zip_bomb_xlsx,
        rejected=r"unpacks to 30\d MiB, \d+ times its size, more than the limit of 100 times",
        slow=True,
    ),
    Case(
        "one2ten/half.xlsx",
        lambda: xlsx_bytes(row(1)).__getitem__(slice(0, 2000)),
        rejected=r"not a readable XLSX workbook",
    ),
    Case("one2ten/leeg.csv", lambda: b"", rejected=r"empty file: no header line"),
    Case(
        "one2ten/binair.csv",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
        rejected=r"not a text file \(binary content: NUL byte on line 3, byte 8\)",
    ),
    Case(
        "one2ten/nul_na_4kib.csv",
        _late_nul,
        rejected=r"not a text file \(binary content: NUL byte on line \d+, byte 5000\)",
    ),
    Case(
        "one2ten/utf16.csv",
        lambda: csv_bytes(row(3601)).decode().encode("utf-16"),
        rejected=r"not a text file",
    ),
    Case(
        "one2ten/afgebroken_in_aanhalingstekens.csv",
        _truncated_in_quotes,
        rejected=r"line 3: unreadable CSV",
    ),
    Case(
        "one2ten/afgebroken_in_rij.csv",
        _truncated_in_row,
        rows=(2, 1, 1),
        problems=((3, None, r"row has 8 fields, header has 16"),),
    ),
    Case(
        "one2ten/komma.csv",
        lambda: csv_bytes(row(3701), delimiter=","),
        rejected=r"header has no ';' delimiter \(it looks ','-separated\)",
    ),
    Case(
        "one2ten/kolommen_door_elkaar.csv",
        _mis_columned,
        rows=(2, 1, 1),
        problems=((3, None, r"row has 17 fields, header has 16"),),
    ),
    Case(
        "one2ten/zonder_kanaal.csv",
        lambda: csv_bytes(
            [c for h, c in zip(HEADER, row(1), strict=True) if h != "Kanaal"],
            header=[h for h in HEADER if h != "Kanaal"],
        ),
        rejected=r"missing required column\(s\): 'Kanaal'",
    ),
    Case(
        "one2ten/dubbele_kolom.csv",
        _duplicated_column,
        rejected=r"duplicated column name\(s\): 'Totaaloordeel'",
    ),
    Case(
        "one2ten/veld_van_50_mb.csv",
        _big_field,
        rejected=r"line 3: a field longer than 100,000 characters \(the limit\)",
    ),
    Case(
        "one2ten/datums.csv",
        _dates,
        rows=(4, 1, 3),
        problems=(
            (
                3,
                "Startdatum",
                r"^implausible Startdatum: before 2010, the first survey year; "
                r"Einddatum: implausible Einddatum: before 2010",
            ),
            (4, "Startdatum", r"^implausible Startdatum: in the future"),
            (5, "Einddatum", r"^Einddatum before Startdatum$"),
        ),
    ),
    Case(
        "one2ten/injectie.csv",
        lambda: csv_bytes(
            *(
                row(3800 + i, Toelichting_totaaloordeel=text, Product=text)
                for i, text in enumerate(INJECTIONS)
            )
        ),
        rows=(len(INJECTIONS), len(INJECTIONS), 0),
    ),
    Case(
        "one2ten/stuurtekens.csv",
        lambda: csv_bytes(
            row(
                3901,
                Gemeente="Zoeter\x01meer\x7f",
                Toelichting_totaaloordeel="a\x07b\x1b[31mc\u0085",
            )
        ),
        rows=(1, 1, 0),
        stored={"gemeente": "Zoetermeer", "toelichting_totaaloordeel": "ab[31mc"},
    ),
    Case(
        "one2ten/vermomd.csv",
        _disguised,
        rows=(4, 3, 1),
        problems=((4, "Gemeentecode", r"^Gemeentecode must be GM followed by 4 digits$"),),
    ),
    Case(
        "openforms/surrogaten.json",
        _surrogates,
        rows=(4, 1, 3),
        problems=(
            (2, "respondentId", r"^not valid Unicode text \(a lone surrogate"),
            (3, "k\\udc00", r"^not valid Unicode text .* in the key$"),
            (4, "toelichting", r"^not valid Unicode text"),
        ),
    ),
    Case("one2ten/export (1).csv", lambda: csv_bytes(row(4001)), rows=(1, 1, 0)),
    Case("one2ten/ëxport; 'quote\" <b>.csv", lambda: csv_bytes(row(4002)), rows=(1, 1, 0)),
    Case("one2ten/-rf *.csv", lambda: csv_bytes(row(4003)), rows=(1, 1, 0)),
    Case("one2ten/sub map/diep/export.CSV", lambda: csv_bytes(row(4004)), rows=(1, 1, 0)),
    Case("export.csv", lambda: GOOD, rejected=r"not in a known folder"),
    Case("inviter/log.xlsx", lambda: GOOD, rejected=r"unsupported file type for inviter/"),
)
