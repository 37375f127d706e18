"""Where a `kto run` spent its time, from the Dagster runs it left in its DAGSTER_HOME.

`kto run` executes ``ingest_job`` and then ``refresh_job`` in process; every step's start and
end are in the instance's event log. Steps are grouped into the pipeline's phases by their
keys (ingest, dbt build, quality checks, the quality gate, factsheets, publish); what lies
between the process start and the first run is start-up (imports, Definitions, dbt manifest
check), and what is left of the wall time is Dagster's own overhead (run and step
bookkeeping, between runs).
The dbt step is split further with the ``Execution Duration`` dagster-dbt records for every
model and test, and the factsheet step's metadata gives the pages rendered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..defs import names as n

STARTUP = "start-up"
OVERHEAD = "Dagster overhead"
# Phases in pipeline order; a step whose key fits none keeps its own key as its phase.
PHASES = ("ingest", "dbt build", "quality checks (GX)", "factsheets", "publish")


def phase_of(step_key: str) -> str:
    """The phase of a step, by the names the definitions give it (defs/names.py): a check's
    own step is ``<asset>_<check>``, an asset's ``<group>__<name>``."""
    if step_key.startswith(n.GX_PREFIX) or f"_{n.GX_PREFIX}" in step_key:  # a step per suite
        return "quality checks (GX)"  # or per check
    if step_key.endswith(f"_{n.DISCLOSURE_CHECK}"):
        return "disclosure audit"
    if step_key.endswith(f"_{n.SIGNALS_CHECK}"):
        return "signals"
    if step_key == n.step_key(n.GATE):
        return "quality gate"
    if step_key == n.INGEST_STEP:
        return "ingest"
    if step_key == n.DBT_STEP:
        return "dbt build"
    if step_key.startswith(f"{n.FACTSHEETS_GROUP}__"):
        return "factsheets"
    if step_key.startswith(f"{n.PUBLISH_GROUP}__"):
        return "publish"
    return step_key


@dataclass
class Phase:
    name: str
    seconds: float
    steps: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    spans: list[tuple[float, float]] = field(default_factory=list)  # (start, end), Unix time


@dataclass
class RunPhases:
    """The phases of one `kto run`, in order, adding up to its wall time."""

    phases: list[Phase]
    jobs: list[tuple[str, str]]  # (job name, status) of every run, in order

    def seconds(self, name: str) -> float:
        return sum(p.seconds for p in self.phases if p.name == name)

    def get(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)

    def peak_rss(self, samples: list[tuple[float, int]]) -> dict[str, int]:
        """The largest sample of each phase (bytes): a sample belongs to the phase whose step
        was running at its moment; one outside every step to start-up before the first run,
        else to Dagster's overhead."""
        peaks: dict[str, int] = {}
        stepped = [(start, end, p.name) for p in self.phases for start, end in p.spans]
        first = min((start for start, _, _ in stepped), default=None)
        for moment, rss in samples:
            name = next((n for start, end, n in stepped if start <= moment <= end), None)
            if name is None:
                name = STARTUP if first is None or moment < first else OVERHEAD
            peaks[name] = max(peaks.get(name, 0), rss)
        return peaks


@contextmanager
def _dagster_home(home: Path) -> Iterator[None]:
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved


def _value(metadata: dict[str, Any], key: str) -> Any:
    entry = metadata.get(key)
    return getattr(entry, "value", entry)


def read_phases(home: Path, started: float, seconds: float, since: float = 0.0) -> RunPhases:
    """The phases of the runs in ``home`` that started after ``since`` (a Unix time).

    ``started`` is when the `kto run` process was launched (Unix time) and ``seconds`` its
    wall time.
    """
    import dagster as dg

    with _dagster_home(home):
        instance = dg.DagsterInstance.get()
        try:
            runs = [r for r in reversed(instance.get_runs()) if _start(instance, r) >= since]
            return _phases(instance, runs, started, seconds)
        finally:
            instance.dispose()


def _start(instance, run) -> float:
    record = instance.get_run_record_by_id(run.run_id)
    return record.start_time or record.create_timestamp.timestamp()


def _phases(instance, runs, started: float, seconds: float) -> RunPhases:
    steps: dict[str, Phase] = {}
    first_start: float | None = None
    dbt_models = dbt_tests = 0.0
    dbt_counts = {"models": 0, "tests": 0}
    factsheets: dict[str, Any] = {}
    spans: list[tuple[float, float]] = []  # (start, end) of every run
    for run in runs:
        opened: dict[str, float] = {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            kind = event.event_type_value
            if kind == "PIPELINE_START":
                first_start = entry.timestamp if first_start is None else first_start
                spans.append((entry.timestamp, entry.timestamp))
            elif kind in ("PIPELINE_SUCCESS", "PIPELINE_FAILURE") and spans:
                spans[-1] = (spans[-1][0], entry.timestamp)
            elif kind == "STEP_START":
                opened[event.step_key] = entry.timestamp
            elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in opened:
                name = phase_of(event.step_key)
                phase = steps.setdefault(name, Phase(name, 0.0))
                start = opened.pop(event.step_key)
                phase.seconds += entry.timestamp - start
                phase.steps += 1
                phase.spans.append((start, entry.timestamp))
            elif kind == "ASSET_MATERIALIZATION":
                metadata = event.event_specific_data.materialization.metadata
                duration = _value(metadata, "Execution Duration")
                if duration is not None and phase_of(event.step_key) == "dbt build":
                    dbt_models += float(duration)
                    dbt_counts["models"] += 1
                if phase_of(event.step_key) == "factsheets" and "render_seconds" in metadata:
                    # the rendering step's: the portal step of the same phase counts pages
                    # too (its HTML pages) and comes later, so "pages" cannot tell them apart
                    factsheets = {k: _value(metadata, k) for k in metadata}
            elif kind == "ASSET_CHECK_EVALUATION":
                duration = _value(event.event_specific_data.metadata, "Execution Duration")
                if duration is not None and phase_of(event.step_key) == "dbt build":
                    dbt_tests += float(duration)
                    dbt_counts["tests"] += 1
    if "dbt build" in steps:
        steps["dbt build"].detail = {
            "models": dbt_counts["models"],
            "models_seconds": round(dbt_models, 2),
            "tests": dbt_counts["tests"],
            "tests_seconds": round(dbt_tests, 2),
        }
    if "factsheets" in steps and factsheets:
        steps["factsheets"].detail = _factsheet_detail(factsheets)
    ordered = [steps.pop(name) for name in PHASES if name in steps] + list(steps.values())
    startup = (first_start - started) if first_start is not None else seconds
    overhead = seconds - startup - sum(p.seconds for p in ordered)
    in_runs = sum(end - start for start, end in spans) - sum(p.seconds for p in ordered)
    between = sum(b[0] - a[1] for a, b in pairwise(spans))
    detail = {
        "in_runs": round(in_runs, 2),
        "between_runs": round(between, 2),
        "after_last_run": round(overhead - in_runs - between, 2),
    }
    return RunPhases(
        [Phase(STARTUP, startup), *ordered, Phase(OVERHEAD, overhead, detail=detail)],
        [(r.job_name, r.status.value) for r in runs],
    )


def _factsheet_detail(metadata: dict[str, Any]) -> dict[str, Any]:
    """Factsheets and pages; pages per second per core from the render time and workers."""
    detail = {k: metadata.get(k) for k in ("factsheets", "rendered", "pages", "workers")}
    render_seconds, workers = metadata.get("render_seconds"), metadata.get("workers")
    factsheets, rendered, pages = (metadata.get(k) for k in ("factsheets", "rendered", "pages"))
    if render_seconds and workers and factsheets and rendered:
        pages_rendered = pages * rendered / factsheets
        detail["render_seconds"] = render_seconds
        detail["pages_per_second_per_core"] = round(pages_rendered / render_seconds / workers, 1)
    return detail
