"""Landing folders built to attack disclosure control, and running `kto run` per delivery.

- ``bridge_dataset``: one municipality, balie, one year, four products x four quarters,
  whose small (suppressed) product quarters form a "bridge": two closed cycles of hidden
  cells joined by one more. Every year group and every product group has 0 or at least two
  hidden members, so a rule "no relation with exactly one hidden figure" adds nothing, yet
  the joining cell follows from year = sum of quarters and cell = sum of products.
- ``quarters_dataset``: quarters with given sizes (Q1-Q3 12, 15, 11; then five of Q4), for
  the differencing attack across two publications.
- ``deliver_in_date_order``: copy a landing folder in by the dates in its file names, one
  `kto run` (a subprocess, as an operator runs it) per delivery, keeping every publication.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from kto_devtools.demo.model import BALIE_ASPECTS, BALIE_PRODUCTS, Dataset, One2TenResponse

from tests.layers import Figures, public_figures

GEMEENTE = ("GM0637", "Zoetermeer")
PRODUCTS = BALIE_PRODUCTS[:4]
# (product index, quarter) -> n: the hidden ones (n 3) are a 4-cycle A/B x Q1/Q2, a 4-cycle
# C/D x Q3/Q4 and the bridge A x Q3 between them; the others are shown (n 10).
BRIDGE = {(p, q): 10 for p in range(4) for q in range(1, 5)} | {
    (0, 1): 3,
    (0, 2): 3,
    (1, 1): 3,
    (1, 2): 3,
    (2, 3): 3,
    (2, 4): 3,
    (3, 3): 3,
    (3, 4): 3,
    (0, 3): 3,
}
BRIDGE_CELL = ("GM0637", "balie", "2021-Q3", "product", PRODUCTS[0])


def _response(number: int, jaar: int, kwartaal: int, product: str, grade: int) -> One2TenResponse:
    start = datetime(jaar, 3 * kwartaal - 2, 1, 10) + timedelta(hours=number % 500)
    return One2TenResponse(
        respondentnummer=number,
        kanaal="Balie",
        gemeentecode=GEMEENTE[0],
        gemeente=GEMEENTE[1],
        startdatum=start,
        einddatum=start + timedelta(minutes=7),
        status="Voltooid",
        product=product,
        totaaloordeel=grade,
        moeite="Weinig moeite" if number % 3 else "Neutraal",
        aspecten={a: max(1, min(10, grade + (i % 3) - 1)) for i, a in enumerate(BALIE_ASPECTS)},
        verbetertip="Nee",
    )


def bridge_dataset(jaar: int = 2021) -> Dataset:
    responses = []
    for (p, q), n in sorted(BRIDGE.items()):
        for i in range(n):
            number = 1000 * (p + 1) + 100 * q + i
            responses.append(_response(number, jaar, q, PRODUCTS[p], [4, 4, 5, 7, 8, 9][i % 6]))
    return Dataset(gemeenten=dict([GEMEENTE]), responses=responses)


def quarters_dataset(sizes: dict[int, int], jaar: int = 2019) -> Dataset:
    """``sizes``: quarter -> responses; grades low in Q4, so that Q4 stands out."""
    responses = []
    for q, n in sorted(sizes.items()):
        grades = [2, 3, 2, 3, 2] if q == 4 else [6, 7, 8, 9, 7, 8]
        for i in range(n):
            responses.append(_response(100 * q + i, jaar, q, PRODUCTS[0], grades[i % len(grades)]))
    return Dataset(gemeenten=dict([GEMEENTE]), responses=responses)


def kto_env(root: Path, landing: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KTO_LANDING_DIR": str(landing),
        "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(root / "output"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def kto_run(root: Path, landing: Path) -> subprocess.CompletedProcess:
    """`kto run` as a subprocess, as an operator (or cron) starts it."""
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    kto = Path(sys.executable).parent / "kto"
    return subprocess.run(
        [str(kto), "run"], env=kto_env(root, landing), capture_output=True, text=True
    )


def snapshot_figures(snapshot: Path) -> Figures:
    with duckdb.connect(str(snapshot), read_only=True) as con:
        return public_figures(con, "main")


def keep_publication(root: Path, name: str) -> Path:
    """A copy of the current snapshot: what a BI user downloaded after this run."""
    kept = root / "downloaded" / f"{name}.duckdb"
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile((root / "output" / "marts.duckdb").resolve(), kept)
    return kept


def delivery_dates(landing: Path) -> dict[str, list[Path]]:
    """The files of a landing folder by the date in their name (20200405 or 2020-04-05)."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        found = re.search(r"\d{4}-?\d{2}-?\d{2}", path.name)
        assert found, path
        groups[found.group().replace("-", "")].append(path)
    return dict(sorted(groups.items()))


def deliver_in_date_order(source: Path, root: Path) -> list[tuple[str, int, Path | None, str]]:
    """One `kto run` per delivery date; (date, exit code, the publication downloaded after it,
    None when the run published nothing new, what the run printed)."""
    landing = root / "landing"
    landing.mkdir(parents=True)
    runs = []
    seen: set[str] = set()
    for date, files in delivery_dates(source).items():
        for path in files:
            dest = landing / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        run = kto_run(root, landing)
        version = (root / "output" / ".published" / "current").resolve().name
        fresh = version not in seen and (root / "output" / "marts.duckdb").exists()
        seen.add(version)
        kept = keep_publication(root, date) if fresh else None
        runs.append((date, run.returncode, kept, run.stdout))
    return runs
