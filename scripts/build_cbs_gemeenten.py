"""Build dbt/codelists/cbs_gemeenten.csv from a CBS "Gemeentelijke indeling" per year, and
cross-check it and dbt/codelists/cbs_herindelingen.csv against a second source.

    python scripts/build_cbs_gemeenten.py INDELING.xml [--check LIST.txt]

INDELING.xml is a file in the layout of NLExtract's ``bag/db/data/gemeentelijke-indeling.xml``
(one ``<indeling jaar="...">`` per year, a ``<gemeente code= naam= begindatum= [einddatum=]>``
per municipality; einddatum is the first day it no longer exists), which its maintainers fill
from CBS's yearly spreadsheet. Only the facts are taken: code, name, first and last day.
Every municipality that existed on or after the day before FIRST_DAY is written, one row per
code and first day, with the name of the latest list that has it.

--check LIST.txt: a second, independent list of ``GMnnnn Name`` entries separated by ``|``
valid on the day given with --on (default 2022-01-01); the script reports every code or name
the two disagree on. The herindelingen file is checked against the built list whatever the
options: each ceased code must end the day before its herindeling and each successor must be
valid on the day of it. docs/formats.md says which sources were used and what they confirm.
"""

from __future__ import annotations

import argparse
import csv
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GEMEENTEN = ROOT / "dbt" / "codelists" / "cbs_gemeenten.csv"
HERINDELINGEN = ROOT / "dbt" / "codelists" / "cbs_herindelingen.csv"
FIRST_DAY = date(2015, 1, 1)
NS = {"n": "http://nlextract.nl"}


def read_indeling(path: Path) -> list[tuple[str, str, date, date | None]]:
    """(code, name, valid_from, valid_to inclusive or None) of every municipality."""
    ends: dict[tuple[str, date], set[date]] = {}
    years: dict[tuple[str, date], set[int]] = {}
    names: dict[tuple[str, date], str] = {}
    indelingen = ET.parse(path).getroot().findall("n:indeling", NS)
    last_year = max(int(i.get("jaar")) for i in indelingen)
    for indeling in indelingen:
        for g in indeling.iter(f"{{{NS['n']}}}gemeente"):
            key = (f"GM{int(g.get('code')):04d}", date.fromisoformat(g.get("begindatum")))
            year = int(indeling.get("jaar"))
            years.setdefault(key, set()).add(year)
            # the name of the latest list: CBS writes "Hengelo (O.)" where older lists of
            # the source wrote "Hengelo", for the same municipality since the same day
            if year >= max(years[key]):
                names[key] = g.get("naam")
            if g.get("einddatum"):
                ends.setdefault(key, set()).add(date.fromisoformat(g.get("einddatum")))
    rows = []
    for key, listed in years.items():
        if key in ends:  # einddatum: the first day it no longer exists
            last = max(ends[key]) - timedelta(days=1)
        elif last_year in listed:
            last = None
        else:  # no longer listed, without an end: gone by the next year's list
            last = date(max(listed) + 1, 1, 1) - timedelta(days=1)
        # also those that ceased on FIRST_DAY: a later row naming one is quarantined with
        # its successor, not as an unknown code
        if last is None or last >= FIRST_DAY - timedelta(days=1):
            rows.append((key[0], names[key], key[1], last))
    return sorted(rows, key=lambda r: (r[0], r[2]))


def valid_on(rows, day: date) -> dict[str, str]:
    return {c: n for c, n, b, e in rows if b <= day and (e is None or day <= e)}


def check_herindelingen(rows) -> list[str]:
    problems = []
    with HERINDELINGEN.open(encoding="utf-8") as f:
        for h in csv.DictReader(f):
            day = date.fromisoformat(h["date"])
            ends = [e for c, _, _, e in rows if c == h["code"]]
            if not ends or max(e or date.max for e in ends) != day - timedelta(days=1):
                problems.append(f"{h['code']}: does not end the day before {day}")
            if h["successor"] not in valid_on(rows, day):
                problems.append(f"{h['code']}: successor {h['successor']} not valid on {day}")
    ceased = {c for c, _, _, e in rows if e is not None} - {c for c, _, _, e in rows if e is None}
    with HERINDELINGEN.open(encoding="utf-8") as f:
        mapped = {h["code"] for h in csv.DictReader(f)}
    problems += [f"{c}: ceased without a herindeling" for c in sorted(ceased - mapped)]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("indeling", type=Path)
    parser.add_argument("--check", type=Path)
    parser.add_argument("--on", type=date.fromisoformat, default=date(2022, 1, 1))
    args = parser.parse_args()
    rows = read_indeling(args.indeling)
    with GEMEENTEN.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["code", "name", "valid_from", "valid_to"])
        for c, n, b, e in rows:
            out.writerow([c, n, b.isoformat(), e.isoformat() if e else ""])
    print(f"{GEMEENTEN.relative_to(ROOT)}: {len(rows)} rows")
    for year in range(FIRST_DAY.year, date.today().year + 1):
        print(f"  valid on {year}-01-01: {len(valid_on(rows, date(year, 1, 1)))}")
    problems = check_herindelingen(rows)
    if args.check:
        ours = valid_on(rows, args.on)
        theirs = dict(
            e.strip().split(" ", 1) for e in args.check.read_text(encoding="utf-8").split("|")
        )
        for code in sorted(ours.keys() | theirs.keys()):
            if ours.get(code) != theirs.get(code):
                problems.append(f"{args.on}: {code} {ours.get(code)!r} / {theirs.get(code)!r}")
        print(f"  compared with {args.check.name} on {args.on}: {len(theirs)} entries")
    for p in problems:
        print("  DIFF", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
