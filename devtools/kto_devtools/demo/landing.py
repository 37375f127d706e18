"""Write a landing folder (docs/contract/formats.md) from ground truth.

Exports are cut the way the tools cut them: one file per survey and year,
the most recent year per quarter, every file holding all municipalities of
its period. Formats and encodings rotate over the files (UTF-8 with BOM,
Windows-1252, XLSX, LF-only with shuffled columns and an extra column; JSON,
CSV and XLSX for the web form), so one folder exercises every reader path.

With ``quirks=True`` the folder also gets what real deliveries bring (see
:func:`_add_quirks`), and the manifest's ``truth`` says what a correct
pipeline must make of it.
"""

from __future__ import annotations

import copy
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from . import text
from .formats import (
    EXTRA_COLUMN,
    INVITER_COLUMNS,
    OPENFORMS_CSV_COLUMNS,
    OPENFORMS_JSON_KEYS,
    Cell,
    FileStyle,
    csv_bytes,
    inviter_row,
    json_bytes,
    one2ten_columns,
    one2ten_row,
    openforms_row,
    write_bytes,
    xlsx_bytes,
)
from .model import (
    BALIE_ASPECTS,
    HOSTMANSHIP_ITEMS,
    TELEFOON_ASPECTS,
    Dataset,
    One2TenResponse,
    OpenFormsSubmission,
)

ONE2TEN_STYLES = (
    FileStyle("csv", "utf-8-sig", "\r\n"),
    FileStyle("xlsx"),
    FileStyle("csv", "cp1252", "\r\n"),
    FileStyle("csv", "utf-8", "\n", shuffled_columns=True, extra_column=True),
)
OPENFORMS_STYLES = (FileStyle("json"), FileStyle("csv", "utf-8", "\n"), FileStyle("xlsx"))
INVITER_STYLE = FileStyle("csv", "utf-8", "\n")
# Only UTF-8 CSV and JSON: what DuckDB and pandas read without extensions (the benchmark's
# hand-written references read the landing folder directly).
PLAIN_ONE2TEN_STYLES = (ONE2TEN_STYLES[0], ONE2TEN_STYLES[3])
PLAIN_OPENFORMS_STYLES = OPENFORMS_STYLES[:2]


@dataclass
class WrittenFile:
    path: str  # landing-relative, "/"-separated
    source: str  # "one2ten" | "openforms" | "inviter"
    rows: int  # data rows (records, not lines)
    style: FileStyle
    mtime: datetime  # UTC
    quarantined: int = 0  # rows a correct reader must quarantine
    rejected: str | None = None  # why a correct reader must refuse the whole file


@dataclass
class AnswerIssue:
    path: str
    row: int  # CSV: line the record starts on; XLSX: sheet row; JSON: position from 1
    column: str
    value: str


@dataclass
class LandingManifest:
    landing_dir: Path
    files: list[WrittenFile]
    answer_issues: list[AnswerIssue]
    truth: Dataset  # what a correct pipeline must make of the folder
    quirks: list[str] = field(default_factory=list)  # each quirk and its effect

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


@dataclass
class _File:
    path: str
    source: str
    style: FileStyle
    mtime: datetime
    columns: list[str]
    rows: list[dict[str, Cell]]
    records: list[object | None]  # the ground truth behind each row (None: junk)
    issues: list[tuple[int, str, str]] = field(default_factory=list)  # (row index, col, value)
    quarantined: int = 0
    rejected: str | None = None
    raw: bytes | None = None  # written as is (a broken file)


def _period_end(jaar: int, kwartaal: int | None) -> datetime:
    if kwartaal is None or kwartaal == 4:
        return datetime(jaar + 1, 1, 1)
    return datetime(jaar, 3 * kwartaal + 1, 1)


def _export_moment(jaar: int, kwartaal: int | None) -> datetime:
    """Exports are taken a few days after the period closes."""
    return _period_end(jaar, kwartaal) + timedelta(days=4, hours=6, minutes=15)


def _slices(years: list[int]) -> list[tuple[int, int | None]]:
    """(year, quarter or None): whole years, the last year per quarter."""
    out: list[tuple[int, int | None]] = [(y, None) for y in years[:-1]]
    return out + [(years[-1], q) for q in (1, 2, 3, 4)] if years else out


def _slice_of(moment: datetime, years: list[int], quarterly: int) -> tuple[int, int | None]:
    year = min(max(moment.year, years[0]), years[-1])
    if year == quarterly:
        if moment.year != year:
            return year, 1 if moment.year < year else 4
        return year, (moment.month - 1) // 3 + 1
    return year, None


def _next_style(styles: tuple[FileStyle, ...], offset: int, yearly: bool) -> tuple[FileStyle, int]:
    """The next style in rotation; a whole year is too big for the tools' XLSX export."""
    while True:
        style = styles[offset % len(styles)]
        offset += 1
        if not (yearly and style.fmt == "xlsx"):
            return style, offset


def _plan_one2ten(
    data: Dataset, seed: int | str, styles: tuple[FileStyle, ...] = ONE2TEN_STYLES
) -> list[_File]:
    files: list[_File] = []
    rng = random.Random(f"{seed}:layout")
    offset = rng.randrange(len(styles))
    for kanaal in ("Balie", "Telefoon"):
        responses = [r for r in data.responses if r.kanaal == kanaal]
        if not responses:
            continue
        years = sorted({(r.einddatum or r.startdatum).year for r in responses})
        buckets: dict[tuple[int, int | None], list[One2TenResponse]] = {}
        for r in responses:
            key = _slice_of(r.einddatum or r.startdatum, years, years[-1])
            buckets.setdefault(key, []).append(r)
        for key in _slices(years):
            if key not in buckets:
                continue
            style, offset = _next_style(styles, offset, yearly=key[1] is None)
            moment = _export_moment(*key)
            ext = "xlsx" if style.fmt == "xlsx" else "csv"
            path = f"one2ten/kto_{kanaal.lower()}_export_{moment:%Y%m%d}.{ext}"
            records = sorted(buckets[key], key=lambda r: r.respondentnummer)
            file_rng = random.Random(f"{seed}:{path}")
            rows = [one2ten_row(r, file_rng, style.fmt == "xlsx") for r in records]
            columns = one2ten_columns(kanaal)
            if style.extra_column:
                columns.insert(5, EXTRA_COLUMN)
                for row in rows:
                    row[EXTRA_COLUMN] = file_rng.choice(("desktop", "mobiel", "tablet"))
            if style.shuffled_columns:
                file_rng.shuffle(columns)
            files.append(_File(path, "one2ten", style, moment, columns, rows, list(records)))
    return files


def _plan_openforms(
    data: Dataset, seed: int | str, styles: tuple[FileStyle, ...] = OPENFORMS_STYLES
) -> list[_File]:
    if not data.submissions:
        return []
    rng = random.Random(f"{seed}:layout:openforms")
    offset = rng.randrange(len(styles))
    years = sorted({s.inzendingdatum.year for s in data.submissions})
    buckets: dict[tuple[int, int | None], list[OpenFormsSubmission]] = {}
    for s in data.submissions:
        buckets.setdefault(_slice_of(s.inzendingdatum, years, years[-1]), []).append(s)
    files = []
    for key in _slices(years):
        if key not in buckets:
            continue
        style, offset = _next_style(styles, offset, yearly=key[1] is None)
        moment = _export_moment(*key)
        path = f"openforms/kto-digitale-dienstverlening_{moment:%Y-%m-%d}.{style.fmt}"
        records = sorted(buckets[key], key=lambda s: (s.inzendingdatum, s.respondent_id))
        file_rng = random.Random(f"{seed}:{path}")
        rows = [openforms_row(s, file_rng, style.fmt == "xlsx") for s in records]
        columns = list(OPENFORMS_JSON_KEYS if style.fmt == "json" else OPENFORMS_CSV_COLUMNS)
        files.append(_File(path, "openforms", style, moment, columns, rows, list(records)))
    return files


def _plan_inviter(data: Dataset) -> list[_File]:
    if not data.invitations:
        return []
    years = sorted({r.einddatum.year for r in data.responses if r.einddatum}) or sorted(
        {i.verzonden_op.year for i in data.invitations}
    )
    buckets: dict[int, list] = {}
    for inv in data.invitations:
        buckets.setdefault(min(max(inv.verzonden_op.year, years[0]), years[-1]), []).append(inv)
    files = []
    for year in sorted(buckets):
        moment = _export_moment(year, None)
        path = f"inviter/inviter_verzonden_{moment:%Y%m%d}.csv"
        records = buckets[year]
        rows = [inviter_row(i) for i in records]
        files.append(
            _File(path, "inviter", INVITER_STYLE, moment, list(INVITER_COLUMNS), rows, records)
        )
    return files


def _serialize(f: _File) -> tuple[bytes, list[int]]:
    """Bytes of the file and, per row, the row number a reader reports."""
    if f.raw is not None:
        return f.raw, []
    numbers = list(range(2, len(f.rows) + 2))
    if f.style.fmt == "xlsx":
        sheet = "Export" if f.source == "one2ten" else "Inzendingen"
        return xlsx_bytes(f.columns, f.rows, f.mtime, sheet), numbers
    if f.style.fmt == "json":
        return json_bytes(f.columns, f.rows), list(range(1, len(f.rows) + 1))
    delimiter = "," if f.source == "openforms" else ";"
    return csv_bytes(f.columns, f.rows, delimiter, f.style)


def write_landing(
    landing_dir: Path,
    dataset: Dataset,
    *,
    seed: int | str = 0,
    quirks: bool = False,
    plain: bool = False,
) -> LandingManifest:
    """Write ``dataset`` as a landing folder; same input, same bytes and mtimes.

    ``seed`` picks the rotation of formats and the spellings of answers.
    With ``quirks`` the folder also holds invalid answers, rows with unusable
    identities, a re-export correcting earlier rows and files to reject;
    ``manifest.truth`` is then the ground truth a correct pipeline sees
    (invalid answers become no answer), and ``manifest.quirks`` lists what
    was done. With ``plain`` every file is UTF-8 CSV or JSON (no XLSX, no Windows-1252).
    """
    landing_dir = Path(landing_dir)
    truth = copy.deepcopy(dataset) if quirks else dataset
    one2ten_styles, openforms_styles = (
        (PLAIN_ONE2TEN_STYLES, PLAIN_OPENFORMS_STYLES)
        if plain
        else (ONE2TEN_STYLES, OPENFORMS_STYLES)
    )
    files = (
        _plan_one2ten(truth, seed, one2ten_styles)
        + _plan_openforms(truth, seed, openforms_styles)
        + _plan_inviter(truth)
    )
    notes: list[str] = []
    if quirks:
        files, notes = _add_quirks(files, truth, random.Random(f"{seed}:quirks"))
    written, issues = [], []
    for f in files:
        data, numbers = _serialize(f)
        write_bytes(landing_dir / f.path, data, f.mtime)
        written.append(
            WrittenFile(f.path, f.source, len(f.rows), f.style, f.mtime, f.quarantined, f.rejected)
        )
        issues += [AnswerIssue(f.path, numbers[i], col, value) for i, col, value in f.issues]
    return LandingManifest(landing_dir, written, issues, truth, notes)


# --- quirks -----------------------------------------------------------------------

_BAD_GRADES = ("11", "0", "8,5", "acht")
_BAD_GRADES_XLSX: tuple[Cell, ...] = (11, 0, 8.5, "acht")
_ONE2TEN_DEFECTS = (
    ("Gemeentecode", "637"),
    ("Respondentnummer", ""),
    ("Einddatum", "31-02-2020 10:00"),
    ("Kanaal", "Loket"),
    ("Respondentnummer", "R-20417"),
    ("Startdatum", "2020-03-02 10:00"),
)
_OPENFORMS_DEFECTS = (
    ("respondentId", ""),
    ("gemeentecode", "Zoetermeer"),
    ("Inzendingdatum", "30-02-2020 12:00:00"),
    ("respondentId", "12345"),
)


def _grade_columns(r: One2TenResponse) -> list[tuple[str, object]]:
    aspects = BALIE_ASPECTS if r.kanaal == "Balie" else TELEFOON_ASPECTS
    out = [("Totaaloordeel", r.totaaloordeel)]
    out += [(a, r.aspecten.get(a)) for a in aspects]
    out += [(i, r.hostmanship.get(i)) for i in HOSTMANSHIP_ITEMS]
    return [(c, v) for c, v in out if isinstance(v, int)]


def _blank(r: One2TenResponse, column: str) -> None:
    """The ground-truth effect of an invalid answer: no answer."""
    if column == "Totaaloordeel":
        r.totaaloordeel = None
    elif column == "Moeite":
        r.moeite = None
    elif column in r.hostmanship:
        r.hostmanship[column] = None
    else:
        r.aspecten[column] = None


def _invalid_answers(f: _File, rng: random.Random, protected: set[int]) -> None:
    """Three invalid grades and one unknown label per file."""
    xlsx = f.style.fmt == "xlsx"
    candidates = [
        i for i, rec in enumerate(f.records) if rec is not None and id(rec) not in protected
    ]
    for k, i in enumerate(rng.sample(candidates, min(4, len(candidates)))):
        rec = f.records[i]
        if isinstance(rec, One2TenResponse):
            grades = _grade_columns(rec)
            if k == 3 or not grades:
                if rec.moeite is None:
                    continue
                column, value = "Moeite", "Best veel moeite"
            else:
                column = rng.choice(grades)[0]
                value = rng.choice(_BAD_GRADES_XLSX if xlsx else _BAD_GRADES)
            _blank(rec, column)
        elif isinstance(rec, OpenFormsSubmission):
            if k < 2 and rec.totaaloordeel is not None:
                column, value = "totaaloordeel", rng.choice(("11", "0"))
                rec.totaaloordeel = None
            elif k == 2 and rec.moeite is not None:
                column, value = "moeite", "beetjeMoeite"
                rec.moeite = None
            else:
                answered = [key for key, v in rec.stellingen.items() if v]
                if not answered:
                    continue
                column, value = rng.choice(answered), "mee eens"
                rec.stellingen[column] = None
        else:
            continue
        f.rows[i][column] = value
        f.issues.append((i, column, str(value)))


def _junk_row(f: _File, rng: random.Random, defect: tuple[str, str], number: int) -> None:
    """A copy of a row with a fresh identity, then broken: must be quarantined."""
    flagged = {j for j, _, _ in f.issues}
    clean = [j for j, rec in enumerate(f.records) if rec is not None and j not in flagged]
    i = rng.choice(clean)
    row = dict(f.rows[i])
    if f.source == "one2ten":
        row["Respondentnummer"] = number if f.style.fmt == "xlsx" else str(number)
    else:
        row["respondentId"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    column, value = defect
    row[column] = None if (value == "" and f.style.fmt == "xlsx") else value
    f.rows.insert(i, row)
    f.records.insert(i, None)
    f.issues = [(j + (j >= i), c, v) for j, c, v in f.issues]
    f.quarantined += 1


def _re_export(f: _File, rng: random.Random) -> tuple[_File, set[int]]:
    """The earlier file had three wrong grades; a newer file corrects them."""
    completed = [
        i
        for i, rec in enumerate(f.records)
        if isinstance(rec, One2TenResponse) and isinstance(rec.totaaloordeel, int)
    ]
    chosen = sorted(rng.sample(completed, 3))
    for i in chosen:
        right = f.records[i].totaaloordeel  # type: ignore[union-attr]
        wrong = right - 5 if right > 5 else right + 4
        f.rows[i]["Totaaloordeel"] = wrong if f.style.fmt == "xlsx" else str(wrong)
    records = [f.records[i] for i in chosen]
    file_rng = random.Random(f"{f.path}:heruitlevering")
    rows = [one2ten_row(r, file_rng, False) for r in records]  # type: ignore[arg-type]
    stem = f.path.rsplit(".", 1)[0]
    style = FileStyle("csv", "utf-8", "\r\n")
    columns = one2ten_columns(records[0].kanaal)  # type: ignore[union-attr]
    later = f.mtime + timedelta(hours=1)
    fix = _File(f"{stem}_heruitlevering.csv", "one2ten", style, later, columns, rows, records)
    return fix, {id(r) for r in records}


def _rejected_files(rng: random.Random, moment: datetime, truth: Dataset) -> list[_File]:
    no_code = _File(
        "one2ten/export_zonder_gemeentecode.csv",
        "one2ten",
        FileStyle("csv", "utf-8", "\r\n"),
        moment,
        ["Respondentnummer", "Gemeente", "Kanaal", "Startdatum", "Einddatum", "Status",
         "Totaaloordeel"],
        [
            {"Respondentnummer": "9900001", "Gemeente": "Zoetermeer", "Kanaal": "Balie",
             "Startdatum": "02-03-2020 10:00", "Einddatum": "02-03-2020 10:05",
             "Status": "Voltooid", "Totaaloordeel": "8"},
            {"Respondentnummer": "9900002", "Gemeente": "Zoetermeer", "Kanaal": "Balie",
             "Startdatum": "03-03-2020 11:00", "Einddatum": "03-03-2020 11:04",
             "Status": "Voltooid", "Totaaloordeel": "7"},
        ],
        [None, None],
        rejected="required column Gemeentecode is missing",
    )  # fmt: skip
    bsn = text.bsn(rng)
    truth.pii_in_text.add(bsn)
    other_form = _File(
        "openforms/melding_openbare_ruimte.csv",
        "openforms",
        FileStyle("csv", "utf-8", "\n"),
        moment,
        ["Formuliernaam", "Inzendingdatum", "omschrijving", "bsn"],
        [{"Formuliernaam": "Melding openbare ruimte", "Inzendingdatum": "2020-05-01 12:00:00",
          "omschrijving": "Losse stoeptegel", "bsn": bsn}],
        [None],
        rejected="not the survey form (Formuliernaam is not 'KTO digitale dienstverlening')",
    )  # fmt: skip
    broken = _File(
        "one2ten/kto_telefoon_export_afgebroken.xlsx",
        "one2ten",
        FileStyle("xlsx"),
        moment,
        [],
        [],
        [],
        rejected="not a readable XLSX (truncated)",
    )
    return [no_code, other_form, broken]


def _add_quirks(
    files: list[_File], truth: Dataset, rng: random.Random
) -> tuple[list[_File], list[str]]:
    """What real deliveries bring, and what each does to the ground truth."""
    notes = []
    balie = [f for f in files if f.source == "one2ten" and "balie" in f.path]
    extra: list[_File] = []
    protected: set[int] = set()
    if balie:
        fix, protected = _re_export(balie[0], rng)
        extra.append(fix)
        notes.append(
            f"{fix.path}: re-export one hour newer than {balie[0].path}, correcting the "
            "totaaloordeel of 3 responses; truth holds the corrected grades (the later "
            "file wins), the earlier version counts nowhere"
        )
    for f in files:
        if f.source != "inviter":
            _invalid_answers(f, rng, protected)
    notes.append(
        "invalid answers (grades 11, 0, 8,5, acht; unknown labels): up to 4 per survey "
        "file, listed in manifest.answer_issues; truth has no answer there, the row counts"
    )
    number = 9_000_001
    for k, f in enumerate(x for x in files if x.source == "one2ten"):
        _junk_row(f, rng, _ONE2TEN_DEFECTS[k % len(_ONE2TEN_DEFECTS)], number)
        number += 1
    for k, f in enumerate(x for x in files if x.source == "openforms"):
        _junk_row(f, rng, _OPENFORMS_DEFECTS[k % len(_OPENFORMS_DEFECTS)], number)
    notes.append(
        "one row with an unusable identity (bad Gemeentecode, key, date or Kanaal) added to "
        "each survey file: quarantined; it is not in truth"
    )
    moment = max(f.mtime for f in files) if files else datetime(2021, 1, 5)
    rejected = _rejected_files(rng, moment, truth)
    source = next((f for f in files if f.style.fmt == "xlsx"), None)
    if source is not None:
        rejected[2].raw = _serialize(source)[0][:700]
    else:
        rejected.pop()
    notes.append(
        "files to reject whole: "
        + ", ".join(f.path for f in rejected)
        + "; nothing of them is in truth"
    )
    return files + extra + rejected, notes
