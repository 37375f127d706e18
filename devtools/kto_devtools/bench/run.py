"""`kto bench`: `kto run` side by side with its floor and a pandas script, on one landing folder.

In one run, in its own folder (never the configured warehouse):

1. a plain landing folder (UTF-8 CSV and JSON) with a year at ``scale`` x national size;
2. the floor, ``floor.sql`` in DuckDB, and 3. the pandas script, each in its own
   process, each computing kto_cel's figures from the landing files;
4. `kto run` on it as users run it (a child process, its own DAGSTER_HOME), every phase
   timed from the runs' event logs, the peak RSS of its process tree sampled;
5. the agreement of floor and pandas with the published kto_cel, cell by cell;
6. a monthly drop (January of the next year) moved into the landing folder, `kto run`
   again on the warehouse that holds the year, and the floor again on the grown folder;
7. the tiny case: the samples (tests/fixtures/samples) end to end through `kto run`.

The report (Markdown) goes to ``results_dir``; bench/README.md explains the method.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.cli.phases import RunPhases, read_phases
from dagster_project.settings import Settings

from . import landing as bench_landing
from .agreement import Agreement, compare
from .ingest_account import IngestAccount, account
from .measure import Measured, run_measured

REPO = Path(__file__).resolve().parents[3]  # the checkout (devtools/kto_devtools/bench/)
RESULTS_DIR = REPO / "bench" / "results"
SAMPLES = REPO / "tests" / "fixtures" / "samples"
DAGSTER_YAML = REPO / "dagster_home" / "dagster.yaml"


@dataclass
class Reference:
    """The floor or the pandas script: its process, its own compute time, its agreement."""

    name: str
    measured: Measured
    seconds: float  # the computation, without the process start
    cells: int
    agreement: Agreement | None = None


@dataclass
class PipelineRun:
    """One `kto run`: its process and its phases."""

    name: str
    measured: Measured
    phases: RunPhases
    detail: dict = field(default_factory=dict)


@dataclass
class BenchResult:
    scale: float
    size: int
    year: int
    municipalities: int
    min_respondents: int
    landing: dict
    machine: dict
    note: str = ""
    floor: Reference | None = None
    pandas: Reference | None = None
    full: PipelineRun | None = None
    drop: PipelineRun | None = None
    drop_floor: Reference | None = None
    tiny: PipelineRun | None = None
    ingest: IngestAccount | None = None
    started_at: str = ""
    seconds: float = 0.0
    report: Path | None = None

    @property
    def agreements(self) -> list[Agreement]:
        refs = (self.floor, self.pandas, self.drop_floor)
        return [r.agreement for r in refs if r is not None and r.agreement is not None]

    @property
    def agrees(self) -> bool:
        ingest_clean = self.ingest is None or self.ingest.clean
        return bool(self.agreements) and all(a.agrees for a in self.agreements) and ingest_clean


SAMPLES_EXIT = 1  # the samples' refused files and codes outside the CBS code list


def _kto() -> list[str]:
    """The `kto` next to this interpreter (a venv need not be activated)."""
    beside = Path(sys.executable).parent / "kto"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "dagster_project.cli"]


def _say(line: str) -> None:
    print(line, flush=True)


def _reference(name: str, module: str, landing: Path, out: Path, min_n: int) -> Reference:
    command = [sys.executable, "-m", module, str(landing), str(out), str(min_n)]
    measured = run_measured(command)
    if not measured.ok:
        raise RuntimeError(f"{name} failed:\n{measured.output[-4000:]}")
    reported = json.loads(measured.output.strip().splitlines()[-1])
    ref = Reference(name, measured, reported["seconds"], reported["cells"])
    _say(
        f"{name:<10} {ref.seconds:8.2f} s compute, {measured.seconds:6.2f} s process, "
        f"peak RSS {measured.peak_rss_mib:,.0f} MiB, {ref.cells} cells"
    )
    return ref


def _kto_run(name: str, settings: Settings, home: Path, expect: int | None = 0) -> PipelineRun:
    """`kto run` as a child process on ``settings``, phases from the runs it adds to ``home``;
    a run that exits other than ``expect`` raises (None: any exit status, in ``measured``)."""
    home.mkdir(parents=True, exist_ok=True)
    if DAGSTER_YAML.exists() and not (home / "dagster.yaml").exists():
        shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    env = {**settings.as_env(), "DAGSTER_HOME": str(home)}
    started = time.time()
    measured = run_measured([*_kto(), "run"], env=env)
    if expect is not None and measured.returncode != expect:
        raise RuntimeError(
            f"kto run ({name}) exited {measured.returncode}, not {expect}:\n"
            f"{measured.output[-6000:]}"
        )
    phases = read_phases(home, started, measured.seconds, since=started)
    run = PipelineRun(name, measured, phases)
    shown = ", ".join(f"{p.name} {p.seconds:.1f}" for p in phases.phases)
    _say(
        f"kto run ({name}): {measured.seconds:.1f} s, peak RSS "
        f"{measured.peak_rss_mib:,.0f} MiB; {shown}"
    )
    return run


def _settings(root: Path, landing_dir: Path, min_respondents: int) -> Settings:
    return Settings(
        landing_dir=landing_dir,
        warehouse=root / "warehouse.duckdb",
        output_dir=root / "output",
        min_respondents=min_respondents,
        benchmark_method="gemeenten",  # the references compute this method
    )


def copy_samples(dest: Path) -> Path:
    """The samples as a landing folder, the re-export one hour newer (git keeps no mtimes)."""
    for folder in ("one2ten", "openforms", "inviter"):
        shutil.copytree(SAMPLES / folder, dest / folder)
    base = (dest / "one2ten" / "export_balie_2020.csv").stat().st_mtime
    os.utime(dest / "one2ten" / "heruitlevering_balie.csv", (base + 3600, base + 3600))
    return dest


def _machine() -> dict:
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = None
    return {
        "host": platform.node(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1) if memory else None,
        "python": platform.python_version(),
        "load_before": [round(x, 1) for x in os.getloadavg()],
    }


def run_bench(
    *,
    scale: float = 0.05,
    size: int | None = None,
    year: int = 2020,
    workdir: Path,
    results_dir: Path | None = None,
    min_respondents: int = 10,
    skip_pandas: bool = False,
    skip_monthly: bool = False,
    skip_tiny: bool = False,
    note: str = "",
) -> BenchResult:
    """Run the bench in ``workdir`` (emptied first); the report goes to ``results_dir``.

    ``size`` is the typical number of responses of a municipality, channel and year
    (default: the national mean).
    """
    from dagster_project.transform.commands import prepare_manifest

    from .report import ratios, write_report

    size = size or bench_landing.NATIONAL_SIZE
    results_dir = results_dir or RESULTS_DIR
    began = time.perf_counter()
    root = Path(workdir).resolve()
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    municipalities = bench_landing.municipalities_at(scale)
    result = BenchResult(
        scale=scale,
        size=size,
        year=year,
        municipalities=municipalities,
        min_respondents=min_respondents,
        landing={},
        machine=_machine(),
        note=note,
        started_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    _say(f"kto bench: scale {scale} ({municipalities} municipalities), {year}, in {root}")
    # A stale dbt manifest would be parsed inside the first run and count as its start-up.
    prepare_manifest()

    landing_dir = root / "landing"
    generated = time.perf_counter()
    year_landing = bench_landing.write_year(landing_dir, municipalities, size, year)
    drop = None
    if not skip_monthly:
        drop = bench_landing.write_drop(root / "drop", year_landing, size, year)
    result.landing = {
        "files": year_landing.files,
        "rows": year_landing.rows,
        "responses": year_landing.responses,
        "invitations": year_landing.invitations,
        "generate_seconds": round(time.perf_counter() - generated, 1),
    }
    _say(
        f"landing: {year_landing.files} files, {year_landing.rows:,} rows "
        f"({year_landing.responses:,} responses, {year_landing.invitations:,} invitations)"
    )

    result.floor = _reference(
        "floor", "kto_devtools.bench.floor", landing_dir, root / "floor.parquet",
        min_respondents,
    )  # fmt: skip
    if not skip_pandas:
        result.pandas = _reference(
            "pandas", "kto_devtools.bench.pandas_figures", landing_dir,
            root / "pandas.parquet", min_respondents,
        )  # fmt: skip

    settings = _settings(root, landing_dir, min_respondents)
    home = root / "dagster_home"
    result.full = _kto_run("full year", settings, home)
    result.ingest = account(
        settings.warehouse, year_landing.files, year_landing.rows,
        faults_injected=len(year_landing.manifest.quirks),
    )  # fmt: skip
    _say(result.ingest.summary())
    snapshot = settings.output_dir / "marts.duckdb"
    for ref, cells in ((result.floor, "floor"), (result.pandas, "pandas")):
        if ref is not None:
            ref.agreement = compare(ref.name, root / f"{cells}.parquet", snapshot)
            _say(ref.agreement.summary())

    if drop is not None:
        moved = bench_landing.move_into(drop, landing_dir)
        result.drop = _kto_run("monthly drop", settings, home)
        result.drop.detail = {
            "files": len(moved),
            "rows": drop.rows,
            "responses": drop.responses,
            "invitations": drop.invitations,
        }
        result.drop_floor = _reference(
            "floor", "kto_devtools.bench.floor", landing_dir,
            root / "floor_after_drop.parquet", min_respondents,
        )  # fmt: skip
        result.drop_floor.agreement = compare(
            "floor (after the drop)", root / "floor_after_drop.parquet", snapshot
        )
        _say(result.drop_floor.agreement.summary())

    if not skip_tiny:
        tiny_root = root / "tiny"
        tiny_landing = copy_samples(tiny_root / "landing")
        # The samples hold files refused on purpose and codes outside the CBS code list:
        # `kto run` reports them and exits 1 (README, exit codes). Any other status is a fault.
        result.tiny = _kto_run(
            "samples",
            _settings(tiny_root, tiny_landing, min_respondents),
            tiny_root / "home",
            expect=SAMPLES_EXIT,
        )

    result.machine["load_after"] = [round(x, 1) for x in os.getloadavg()]
    result.seconds = time.perf_counter() - began
    for line in ratios(result):
        _say(line)
    result.report = write_report(result, Path(results_dir))
    _say(f"report: {result.report}")
    return result
