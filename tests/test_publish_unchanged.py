"""A drop that changes no data publishes no new version (through `kto run`).

The publication a run would write is compared with the current one by its content
fingerprint (dagster_project/publish/fingerprint.py): the same landing folder again, an
identical copy of a loaded file or a file refused whole leave the current version in place
and add nothing to the ledger; one changed answer publishes a new version. The exit code
stays what it would be: 0 when every file is used, 1 while a file is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import PUBLISHED, current_version
from dagster_project.publish.fingerprint import (
    FILE,
    version_fingerprint,
    warehouse_fingerprint,
)
from tests.conftest import REFUSED_ON_PURPOSE, copy_samples, files_not_used, kto

BALIE_2020 = "one2ten/export_balie_2020.csv"
COPY = "one2ten/kopie_export_balie_2020.csv"
NOT_XLSX = "openforms/kto_digitaal_2021.xlsx"
DIGITAAL_2020 = "openforms/kto_digitaal_2020.json"


def summary_line(stdout: str, key: str) -> str:
    block = stdout[stdout.index("\nsummary:\n") :].splitlines()[2:]
    return next(line[14:] for line in block if line[2:14].strip() == key)


def versions(root: Path) -> list[str]:
    folder = root / "output" / PUBLISHED
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("v") and p.is_dir())


def ledger(root: Path) -> dict[str, int]:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT version, count(*) FROM ledger.released_figures GROUP BY version"
        ).fetchall()
    return dict(rows)


def totaaloordeel(root: Path) -> float:
    with duckdb.connect(str(root / "output" / "marts.duckdb"), read_only=True) as con:
        (value,) = con.execute(
            "SELECT totaaloordeel_exact FROM kto_cel WHERE gemeentecode = 'GM0637' "
            "AND kanaal = 'digitaal' AND periode = '2020'"
        ).fetchone()
    return value


# The samples' codes outside the CBS code list make a run under the default setting exit 1
# (KTO_GEMEENTECODES=melden); quarantined instead, every file used is a green run.
STRIKT = {"KTO_GEMEENTECODES": "strikt"}


@pytest.mark.slow
def test_a_drop_that_changes_no_data_publishes_no_new_version(tmp_path):
    landing = copy_samples(tmp_path / "landing")
    for path in REFUSED_ON_PURPOSE:
        (landing / path).unlink()  # every file used: a green run

    first = kto(tmp_path, landing, "run", env=STRIKT)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    (v1,) = versions(tmp_path)
    assert summary_line(first.stdout, "published") == f"version {v1}"
    released = ledger(tmp_path)
    assert list(released) == [v1] and released[v1] > 0
    folder = tmp_path / "output" / PUBLISHED / v1
    stored = (folder / FILE).read_text().strip()
    assert stored == warehouse_fingerprint(tmp_path / "warehouse.duckdb")
    (folder / FILE).unlink()  # a version published before fingerprints: read from its snapshot
    assert version_fingerprint(folder) == stored
    grade = totaaloordeel(tmp_path)

    # the same landing folder again: nothing new, green, no version, no release
    second = kto(tmp_path, landing, "run", env=STRIKT)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    unchanged = f"nothing changed: version {v1} stays current"
    assert summary_line(second.stdout, "published") == unchanged
    assert any(line.startswith(f"publish: {unchanged}") for line in second.stdout.splitlines())
    assert summary_line(second.stdout, "factsheets").startswith("0 written, ")
    assert versions(tmp_path) == [v1] and current_version(tmp_path / "output").name == v1
    assert ledger(tmp_path) == released

    # an identical copy of a loaded file and a file refused whole: still no new version,
    # but a refused file is never green
    shutil.copy2(landing / BALIE_2020, landing / COPY)
    (landing / NOT_XLSX).write_text("not a workbook\n", encoding="utf-8")
    third = kto(tmp_path, landing, "run", env=STRIKT)
    assert third.returncode == 1, third.stdout[-3000:] + third.stderr[-3000:]
    assert files_not_used(third.stdout) == [("refused", NOT_XLSX)]
    assert summary_line(third.stdout, "published") == unchanged
    assert versions(tmp_path) == [v1] and ledger(tmp_path) == released

    # one answer changed (a 10 corrected into a 1, the same n): a new version, released in
    # the ledger. (A grade taken back instead would make the two versions differ by one
    # response, and the figure would be withheld: docs/metrics.md, "Revisions".)
    submissions = json.loads((landing / DIGITAAL_2020).read_text(encoding="utf-8"))
    assert submissions[0]["gemeentecode"] == "GM0637" and submissions[0]["totaaloordeel"] == "10"
    submissions[0]["totaaloordeel"] = "1"
    (landing / DIGITAAL_2020).write_text(json.dumps(submissions), encoding="utf-8")
    fourth = kto(tmp_path, landing, "run", env=STRIKT)
    assert fourth.returncode == 1, fourth.stdout[-3000:] + fourth.stderr[-3000:]
    v2 = current_version(tmp_path / "output").name
    assert versions(tmp_path) == [v1, v2] and v2 > v1
    assert summary_line(fourth.stdout, "published") == f"version {v2}"
    assert set(ledger(tmp_path)) == {v1, v2}
    assert totaaloordeel(tmp_path) < grade  # a 10 became a 1
