"""The demo landing-data generator (`kto demo`) and ground truth for tests.

- :func:`write_demo_landing`: the calibrated demo (Zoetermeer 2018-2020 and
  eleven benchmark municipalities) as a landing folder.
- :func:`write_landing`: any ground truth as a landing folder, optionally
  with the quirks of real deliveries.
- :func:`random_dataset`: plausible ground truth of any size and seed.
- :func:`demo_dataset`: the demo's ground truth itself.
"""

from __future__ import annotations

from pathlib import Path

from .calibration import DEMO_SEED, demo_dataset
from .landing import AnswerIssue, LandingManifest, WrittenFile, write_landing
from .model import Dataset, Invitation, One2TenResponse, OpenFormsSubmission
from .randomdata import random_dataset

__all__ = [
    "DEMO_SEED",
    "AnswerIssue",
    "Dataset",
    "Invitation",
    "LandingManifest",
    "One2TenResponse",
    "OpenFormsSubmission",
    "WrittenFile",
    "demo_dataset",
    "random_dataset",
    "write_demo_landing",
    "write_landing",
]


def write_demo_landing(landing_dir: Path) -> LandingManifest:
    """Write the demo's landing folder (deterministic: same bytes, same mtimes).

    Files go to ``landing_dir/{one2ten,openforms,inviter}/``; files of an
    earlier demo run with the same names are overwritten, other files are
    left alone. The manifest lists the files and holds the ground truth.
    """
    return write_landing(Path(landing_dir), demo_dataset(), seed=DEMO_SEED)
