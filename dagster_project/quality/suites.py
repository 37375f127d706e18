"""The rule sets in expectations/*.json and what each guards.

Each file is a Great Expectations 1.x suite as JSON. An expectation's ``meta``
holds ``rule`` (a stable name), ``description`` (one sentence on what and why)
and ``frame`` (the frame of ``warehouse.FRAMES`` it judges, or a list of
them); optionally ``show``, more columns for the failure sample (the source
columns of a derived one). GX validates one batch per suite, so at run time a suite is split into
one GX suite per frame, named ``{suite}.{frame}``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..domain.project_files import project_dir
from .warehouse import FRAMES

# The repository's expectations/ folder (the package is installed editable).
EXPECTATIONS_DIR = project_dir("expectations")


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    expectations: tuple[dict, ...]  # as in the JSON file

    def frames(self) -> list[str]:
        """The frames this suite judges, in the order they first appear."""
        seen: dict[str, None] = {}
        for expectation in self.expectations:
            for frame in frames_of(expectation):
                seen[frame] = None
        return list(seen)

    def for_frame(self, frame: str) -> list[dict]:
        return [e for e in self.expectations if frame in frames_of(e)]

    def assets(self) -> list[tuple[str, ...]]:
        """The asset keys this suite guards: one asset check each."""
        seen: dict[tuple[str, ...], None] = {}
        for frame in self.frames():
            seen[FRAMES[frame].asset] = None
        return list(seen)

    def frames_of_asset(self, asset: tuple[str, ...]) -> list[str]:
        return [f for f in self.frames() if FRAMES[f].asset == tuple(asset)]


def frames_of(expectation: dict) -> list[str]:
    frame = expectation["meta"]["frame"]
    return [frame] if isinstance(frame, str) else list(frame)


def load_suites(directory: Path | None = None) -> dict[str, Suite]:
    """Every suite in the folder by name, checked for what the runner relies on.

    The folder: ``directory``, else ``KTO_EXPECTATIONS_DIR`` (to try changed rules on a
    warehouse before committing them), else the project's ``expectations/``.
    """
    if directory is None:
        directory = Path(os.environ.get("KTO_EXPECTATIONS_DIR") or EXPECTATIONS_DIR)
    directory = Path(directory)
    suites: dict[str, Suite] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        suite = Suite(
            name=data["name"],
            description=data.get("meta", {}).get("description", ""),
            expectations=tuple(data["expectations"]),
        )
        rules = set()
        for expectation in suite.expectations:
            meta = expectation.get("meta") or {}
            missing = {"rule", "description", "frame"} - meta.keys()
            if missing:
                raise ValueError(f"{path.name}: an expectation's meta lacks {sorted(missing)}")
            unknown = [f for f in frames_of(expectation) if f not in FRAMES]
            if unknown:
                raise ValueError(f"{path.name}: rule {meta['rule']}: unknown frame {unknown}")
            if meta["rule"] in rules:
                raise ValueError(f"{path.name}: rule {meta['rule']} appears twice")
            rules.add(meta["rule"])
        if suite.name in suites:
            raise ValueError(f"{path.name}: suite {suite.name} defined twice")
        suites[suite.name] = suite
    if not suites:
        raise FileNotFoundError(f"no expectation suites (*.json) in {directory}")
    return suites
