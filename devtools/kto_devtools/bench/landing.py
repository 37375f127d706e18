"""The bench's landing folders: a year at a fraction of national scale, and a monthly drop.

Both come from the demo generator's ``random_dataset`` and are written ``plain`` (UTF-8 CSV
and JSON only), so DuckDB and pandas read them without extensions: the references of the
bench read the same folder as `kto run`. The drop is January of the next year for the same
municipalities, numbered after the year's respondents so that every response in it is new.
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..demo import Dataset, LandingManifest, random_dataset, write_landing

NATIONAL_MUNICIPALITIES = 342
# Responses per municipality, channel and year that make about a million a year nationally
# (the generator runs balie everywhere, telefoon and digitaal at most municipalities).
NATIONAL_SIZE = 1150
SEED = "bench"


def municipalities_at(scale: float) -> int:
    return max(3, round(NATIONAL_MUNICIPALITIES * scale))


@dataclass
class Landing:
    """A written landing folder and what is in it."""

    path: Path
    manifest: LandingManifest

    @property
    def files(self) -> int:
        return len(self.manifest.files)

    @property
    def rows(self) -> int:
        return self.manifest.rows

    @property
    def responses(self) -> int:
        """Completed questionnaires (what the marts count) in the ground truth."""
        truth = self.manifest.truth
        return sum(1 for r in truth.responses if r.status == "Voltooid") + len(truth.submissions)

    @property
    def invitations(self) -> int:
        return len(self.manifest.truth.invitations)


def write_year(landing_dir: Path, municipalities: int, size: int, year: int) -> Landing:
    data = random_dataset(SEED, municipalities, years=(year,), size=size)
    return Landing(landing_dir, write_landing(landing_dir, data, seed=SEED, plain=True))


def _in_month(moment: datetime | None, year: int, month: int) -> bool:
    return moment is not None and (moment.year, moment.month) == (year, month)


def january_after(year_data: Dataset, size: int, year: int) -> Dataset:
    """January of ``year + 1`` for the municipalities of ``year_data``: new responses only.

    The generator numbers each survey's respondents from the same start, so the drop's
    numbers are moved past the year's: otherwise they would be read as new versions of the
    year's responses instead of new ones.
    """
    following = random_dataset(
        f"{SEED}:drop", sorted(year_data.gemeenten.items()), years=(year + 1,), size=size
    )
    drop = Dataset(gemeenten=dict(year_data.gemeenten), pii_in_text=following.pii_in_text)
    last = {
        kanaal: max((r.respondentnummer for r in year_data.responses if r.kanaal == kanaal),
                    default=0)
        for kanaal in ("Balie", "Telefoon")
    }  # fmt: skip
    for r in following.responses:
        if _in_month(r.einddatum or r.startdatum, year + 1, 1):
            moved = copy.copy(r)
            moved.respondentnummer += last[r.kanaal]
            drop.responses.append(moved)
    drop.submissions = [
        s for s in following.submissions if _in_month(s.inzendingdatum, year + 1, 1)
    ]
    drop.invitations = [i for i in following.invitations if _in_month(i.verzonden_op, year + 1, 1)]
    return drop


def write_drop(staging_dir: Path, year: Landing, size: int, year_number: int) -> Landing:
    """The monthly drop, written to ``staging_dir`` (moved into the landing folder later)."""
    drop = january_after(year.manifest.truth, size, year_number)
    return Landing(staging_dir, write_landing(staging_dir, drop, seed=f"{SEED}:drop", plain=True))


def move_into(drop: Landing, landing_dir: Path) -> list[str]:
    """Move the drop's files into the landing folder, keeping their modification times."""
    moved = []
    for written in drop.manifest.files:
        target = landing_dir / written.path
        if target.exists():
            raise FileExistsError(f"{target}: the drop would overwrite a file of the year")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(drop.path / written.path, target)
        moved.append(written.path)
    return moved
