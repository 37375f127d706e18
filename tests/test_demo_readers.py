"""The project's readers see in a quirky folder exactly what the manifest says:
the planned quarantines, answer issues and rejected files. (That they accept
every demo row is tested with the demo folder in test_demo_writers.py.)"""

from __future__ import annotations

import pytest
from kto_devtools.demo import random_dataset, write_landing

from dagster_project.ingest.readers.model import FileRejected
from dagster_project.ingest.readers.registry import read_file


def read_all(manifest):
    results, rejected = {}, {}
    for f in manifest.files:
        try:
            results[f.path] = read_file(manifest.landing_dir, f.path)
        except FileRejected as exc:
            rejected[f.path] = exc.reason
    return results, rejected


@pytest.mark.parametrize("seed", [21, 22])
def test_readers_see_exactly_the_planned_quirks(tmp_path, seed):
    data = random_dataset(seed, municipalities=3, years=(2020,), size=30)
    manifest = write_landing(tmp_path / "landing", data, seed=seed, quirks=True)
    results, rejected = read_all(manifest)
    assert set(rejected) == {f.path for f in manifest.files if f.rejected}
    for f in manifest.files:
        if f.rejected:
            continue
        assert results[f.path].rows_read == f.rows, f.path
        assert results[f.path].rows_quarantined == f.quarantined, f.path
    seen = {
        (p.file_path, p.row_number, p.column_name)
        for r in results.values()
        for p in r.answer_issues
    }
    assert seen == {(a.path, a.row, a.column) for a in manifest.answer_issues}
