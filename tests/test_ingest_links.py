"""Symbolic links: followed while they stay inside the landing folder (whose own location, and
that of its source folders, may be a share); anything else is refused with a reason."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from dagster_project.ingest import load_landing
from dagster_project.ingest.loader import scan_landing
from tests.bad_inputs import csv_bytes, row


def export(path: Path, number: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(csv_bytes(row(number)))
    return path


def outcomes(landing: Path, warehouse: Path) -> dict[str, tuple[str, int, str | None]]:
    report = load_landing(landing, warehouse)
    return {f.file_path: (f.status, f.rows_accepted, f.reason) for f in report.files}


def test_a_source_folder_and_the_landing_folder_may_be_links_to_a_share(tmp_path, sample_landing):
    share = tmp_path / "share"
    shutil.move(sample_landing / "one2ten", share / "one2ten")
    (sample_landing / "one2ten").symlink_to(share / "one2ten", target_is_directory=True)
    linked_landing = tmp_path / "landing_link"
    linked_landing.symlink_to(sample_landing, target_is_directory=True)

    seen = outcomes(linked_landing, tmp_path / "w.duckdb")
    assert seen["one2ten/export_balie_2020.csv"] == ("ingested", 98, None)
    assert seen["one2ten/export_telefoon_2019.xlsx"][:2] == ("ingested", 96)
    assert len([s for s in seen.values() if s[0] == "ingested"]) == 8


def test_links_inside_the_landing_folder_are_followed(tmp_path):
    landing = tmp_path / "landing"
    target = export(landing / "one2ten" / "archief" / "2020.csv", 1)
    (landing / "one2ten" / "kopie.csv").symlink_to(target)
    (landing / "one2ten" / "map").symlink_to(landing / "one2ten" / "archief")
    (landing / "one2ten" / "archief" / "lus").symlink_to(landing / "one2ten")  # a loop

    seen = outcomes(landing, tmp_path / "w.duckdb")
    assert seen == {
        "one2ten/archief/2020.csv": ("ingested", 1, None),
        "one2ten/kopie.csv": ("ingested", 1, None),
        "one2ten/map/2020.csv": ("ingested", 1, None),
    }


def test_links_leading_out_broken_links_and_pipes_are_refused_with_a_reason(tmp_path):
    landing = tmp_path / "landing"
    export(landing / "one2ten" / "goed.csv", 1)
    outside = export(tmp_path / "elders" / "geheim.csv", 2)
    (landing / "one2ten" / "naar_buiten.csv").symlink_to(outside)
    (landing / "one2ten" / "map_buiten").symlink_to(outside.parent, target_is_directory=True)
    (landing / "one2ten" / "kapot.csv").symlink_to(tmp_path / "bestaat_niet.csv")
    os.mkfifo(landing / "one2ten" / "pijp.csv")

    seen = outcomes(landing, tmp_path / "w.duckdb")
    assert seen["one2ten/goed.csv"] == ("ingested", 1, None)
    assert seen["one2ten/naar_buiten.csv"][0] == "rejected"
    assert seen["one2ten/naar_buiten.csv"][2] == (
        f"symbolic link to {outside.resolve()}, outside the landing folder (not followed)"
    )
    assert seen["one2ten/map_buiten"][0] == "rejected"
    assert "outside the landing folder" in seen["one2ten/map_buiten"][2]
    assert seen["one2ten/kapot.csv"][2] == "broken symbolic link (its target does not exist)"
    assert seen["one2ten/pijp.csv"][2] == "not a regular file (a pipe, socket or device)"
    assert not any(f.file_path.endswith("geheim.csv") for f in scan_landing(landing))

    # Refusals are recorded once; a later run does not repeat or re-read them.
    again = load_landing(landing, tmp_path / "w.duckdb")
    assert again.of("rejected") == [] and again.of("ingested") == []


def test_a_link_swapped_for_one_leading_out_keeps_the_good_rows_held(tmp_path):
    landing = tmp_path / "landing"
    inside = export(landing / "one2ten" / "archief" / "a.csv", 1)
    link = landing / "one2ten" / "export.csv"
    link.symlink_to(inside)
    warehouse = tmp_path / "w.duckdb"
    assert outcomes(landing, warehouse)["one2ten/export.csv"][:2] == ("ingested", 1)

    link.unlink()
    link.symlink_to(export(tmp_path / "elders" / "b.csv", 2))
    report = load_landing(landing, warehouse)
    assert [h.file_path for h in report.held] == ["one2ten/export.csv"]
