"""What `kto run` tells people while it runs and when it ends: a line per phase, a summary.

It listens to the events the in-process runs store in the Dagster instance (the same events
the UI shows): step starts and ends for the time per phase, the ingest's counts, each dbt
model and test, each GX check, the quality gate's verdict, the factsheet and publish steps'
metadata. Nothing in the
assets prints for it, so the steps stay as they are under `dagster dev`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..defs import names
from ..factsheets.output import REPORT_NAME
from ..quality.data_docs import data_docs_dir
from ..settings import EIGEN, Settings
from .phases import phase_of

# cli/phases.py's phase names, shortened; the portal gets a line of its own
SHORT = {
    "dbt build": "dbt",
    "quality checks (GX)": "checks",
    "disclosure audit": "disclosure",
    "quality gate": "gate",
}
ORDER = (
    "ingest",
    "dbt",
    "checks",
    "disclosure",
    "gate",
    "factsheets",
    "publish",
    "portal",
    "signals",
)
# defs/ingest.py's metadata keys (not imported: no Dagster)
LANDING_TOTALS = "landing_totals"
UNUSED_FILES = "unused_files"
CODES_OUTSIDE_LIST = "gemeentecodes_outside_cbs_list"


def phase(step_key: str) -> str:
    name = phase_of(step_key)
    if step_key == names.step_key(names.PORTAL):
        return "portal"
    return SHORT.get(name, name)


def _value(metadata: dict[str, Any], key: str, default: Any = None) -> Any:
    entry = metadata.get(key)
    return default if entry is None else getattr(entry, "value", entry)


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


@dataclass
class RunReport:
    """Counts and times of one `kto run` (both jobs), filled from the runs' events."""

    settings: Settings
    out: TextIO
    log_path: Path
    dbt_models: set = field(default_factory=set)  # asset keys of the dbt models
    dbt_tests: set = field(default_factory=set)  # asset check keys of the dbt tests
    seconds: dict[str, float] = field(default_factory=dict)
    landing: dict[str, int] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)  # landing files not used: the run fails
    # Gemeentecodes outside the CBS code list, accepted (KTO_GEMEENTECODES=melden): exit 1
    codes_outside: list[str] = field(default_factory=list)
    models_built: int = 0
    tests: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    gx: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    gx_rules: int = 0
    cells: int | None = None
    texts_withheld: int | None = None
    factsheets: dict[str, Any] | None = None
    snapshot: str | None = None
    version: str | None = None  # the published version after the run
    unchanged: bool = False  # nothing changed: no new version, the current one stays
    portal_pages: int | None = None
    portal_funnels: tuple[int, int] | None = None  # funnel plots drawn, of which written
    signals: dict[str, Any] | None = None  # the signals check's counts (defs/signals.py)
    disclosure: tuple[bool, dict[str, Any]] | None = None  # the audit: passed, its metadata
    gate: dict[str, Any] | None = None  # quality/gate's metadata: what is withheld
    _started: dict[str, float] = field(default_factory=dict)
    _current: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    # -- events -----------------------------------------------------------------------

    def on_event(self, entry) -> None:
        """An instance event listener (``DagsterInstance.add_event_listener``)."""
        event = entry.dagster_event
        if event is None:
            return
        with self._lock:
            try:
                self._on_event(entry.timestamp, event)
            except Exception as error:  # called inside Dagster's event handling: never fail a run
                self.say(f"(progress not reported for {event.event_type_value}: {error!r})")

    def _on_event(self, timestamp: float, event) -> None:
        kind = event.event_type_value
        if kind == "STEP_START":
            name = phase(event.step_key)
            if name != self._current:
                self.end_phase()
                self._current = name
                if name == "dbt":
                    self.say(
                        f"dbt: running {len(self.dbt_models)} models and "
                        f"{len(self.dbt_tests)} tests; dbt's output goes to {self.log_path}"
                    )
            self._started[event.step_key] = timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in self._started:
            name = phase(event.step_key)
            took = timestamp - self._started.pop(event.step_key)
            self.seconds[name] = self.seconds.get(name, 0.0) + took
        elif kind == "ASSET_MATERIALIZATION":
            self._materialized(event.asset_key, event.event_specific_data.materialization.metadata)
        elif kind == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.check_name == names.DISCLOSURE_CHECK:
                meta = {k: _value(evaluation.metadata, k) for k in evaluation.metadata}
                self.disclosure = (evaluation.passed, meta)
            elif evaluation.check_name == names.SIGNALS_CHECK:
                self.signals = {
                    k: _value(evaluation.metadata, k, 0)
                    for k in ("signals_count", "drops", "outside_funnel", "periods")
                }
            elif evaluation.check_name.startswith(names.GX_PREFIX):
                self.gx[evaluation.passed] += 1
                self.gx_rules += _value(evaluation.metadata, "rules_evaluated", 0)
            elif evaluation.asset_check_key in self.dbt_tests:
                self.tests[evaluation.passed] += 1

    def _materialized(self, key, metadata: dict[str, Any]) -> None:
        path = tuple(key.path)
        if path[0] == "raw" and LANDING_TOTALS in metadata:
            self.landing = dict(_value(metadata, LANDING_TOTALS))  # the same on every source
            self.unused = list(_value(metadata, UNUSED_FILES, []))
            self.codes_outside = list(_value(metadata, CODES_OUTSIDE_LIST, []))
        elif key in self.dbt_models:
            self.models_built += 1
            if path == ("marts", "kto_cel"):
                self.cells = _value(metadata, "dagster/row_count")
            elif path == ("intermediate", "int_withheld_texts"):
                self.texts_withheld = _value(metadata, "dagster/row_count")
        elif path == names.GATE:
            self.gate = {name: _value(metadata, name) for name in metadata}
        elif path == names.FACTSHEETS:
            self.factsheets = {name: _value(metadata, name) for name in metadata}
        elif path == names.SNAPSHOT:
            self.snapshot = _value(metadata, "snapshot")
            self.version = _value(metadata, "version")
            self.unchanged = bool(_value(metadata, "unchanged", False))
        elif path == names.PORTAL:
            self.portal_pages = _value(metadata, "pages")
            if "funnel_plots" in metadata:
                self.portal_funnels = (
                    _value(metadata, "funnel_plots"),
                    _value(metadata, "funnel_plots_written"),
                )

    # -- lines ------------------------------------------------------------------------

    def _took(self, name: str) -> str:
        return f"{self.seconds.get(name, 0.0):.1f} s"

    def end_phase(self) -> None:
        """The line of the phase that just ended (when the next starts, or the run ends)."""
        name, self._current = self._current, None
        line = {
            "ingest": self._ingest_line,
            "dbt": self._dbt_line,
            "checks": self._checks_line,
            "factsheets": self._factsheets_line,
            "disclosure": self._disclosure_line,
            "gate": self._gate_line,
            "publish": self._publish_line,
            "portal": self._portal_line,
            "signals": self._signals_step_line,
        }.get(name or "")
        if line is not None:
            self.say(line())

    def _ingest_line(self) -> str:
        t = self.landing
        return (
            f"ingest: done in {self._took('ingest')}: {_n(t.get('files_seen'))} files "
            f"({_n(t.get('files_ingested'))} read, {_n(t.get('files_unchanged'))} unchanged, "
            f"{_n(t.get('files_rejected'))} rejected, {_n(t.get('files_held'))} held); rows: "
            f"{_n(t.get('rows_read'))} read, {_n(t.get('rows_accepted'))} accepted, "
            f"{_n(t.get('rows_quarantined'))} quarantined; "
            f"{_n(t.get('answer_issues'))} answers blanked"
        )

    def _dbt_line(self) -> str:
        failed = f" ({self.tests[False]} fail)" if self.tests[False] else ""
        return (
            f"dbt: {self.models_built} of {len(self.dbt_models)} models built, "
            f"{self.tests[True]} of {len(self.dbt_tests)} tests pass{failed} "
            f"in {self._took('dbt')}"
        )

    def _checks_line(self) -> str:
        total = self.gx[True] + self.gx[False]
        failed = f" ({self.gx[False]} fail)" if self.gx[False] else ""
        return (
            f"checks: {self.gx[True]} of {total} GX checks pass{failed} "
            f"({self.gx_rules:,} rules) in {self._took('checks')}"
        )

    def _factsheets_line(self) -> str:
        f = self.factsheets
        if f is None:
            return f"factsheets: none written (the step failed) in {self._took('factsheets')}"
        done, withheld = f["factsheets"], f.get("cells_withheld") or 0
        rendered = f["rendered"]
        return (
            f"factsheets: {done} of {done + withheld} done ({rendered} written, "
            f"{done - rendered} unchanged, {withheld} withheld; {f['cells_skipped']} cells "
            f"below the threshold) in {self._took('factsheets')}, "
            f"{f['pages_per_second']} pages/s"
        )

    def _disclosure_line(self) -> str:
        if self.disclosure is None:
            return f"disclosure: not audited ({self._took('disclosure')})"
        passed, meta = self.disclosure
        earlier = meta.get("earlier_publications", 0)
        withheld = meta.get("withheld") or []
        if passed:
            extra = f", {len(withheld)} withheld on top" if withheld else ""
            return (
                f"disclosure: {meta.get('hidden', 0)} hidden figures protected against this "
                f"and {earlier} earlier publications{extra} in {self._took('disclosure')}"
            )
        findings = meta.get("findings") or []
        return (
            f"disclosure: FAIL, {len(findings)} hidden figure(s) not protected against this and "
            f"{earlier} earlier publications; nothing is published:\n"
            + "\n".join(f"  {line}" for line in findings[:10])
        )

    def _gate_line(self) -> str:
        """What the quality gate withholds; the failing rules themselves close the run."""
        g, took = self.gate, self._took("gate")
        if g is None:
            return f"gate: no verdict (the step failed), nothing is published ({took})"
        if g.get("open"):
            return f"gate: open, {g.get('checks_judged')} checks judged, nothing withheld in {took}"
        periods, cells = g.get("periods_withheld"), g.get("cells_withheld") or 0
        held = []
        if periods == "every period":
            held.append(periods)
        elif periods and periods != "none":
            held.append(f"period(s) {periods}")
        if cells:
            held.append(f"{cells} cell(s)")
        return (
            f"gate: {g.get('rules_failing')} rule(s) fail, withholding {' and '.join(held)} "
            f"and the snapshot (the rules below) in {took}"
        )

    def _publish_line(self) -> str:
        if self.snapshot is None:
            return f"publish: snapshot not replaced ({self._took('publish')})"
        if self.unchanged:
            return f"publish: {self._published_text()} ({self._took('publish')})"
        return f"publish: {self.snapshot} and marts/*.parquet replaced in {self._took('publish')}"

    def _published_text(self) -> str:
        if self.version is None:
            return "no new version"
        if self.unchanged:
            return f"nothing changed: version {self.version} stays current"
        return f"version {self.version}"

    def _portal_line(self) -> str:
        funnels = ""
        if self.portal_funnels is not None:
            drawn, written = self.portal_funnels
            funnels = f", {_n(drawn)} funnel plots ({_n(written)} written, the rest unchanged)"
        return f"portal: {_n(self.portal_pages)} pages{funnels} in {self._took('portal')}"

    def _signals_text(self) -> str:
        s = self.signals
        if s is None:
            return "not computed (the check did not run)"
        if not s["signals_count"]:
            return "none: no significant drop, no municipality outside the 99.8% funnel limits"
        return (
            f"{s['signals_count']:,} in {s['periods']} period(s): {s['drops']:,} significant "
            f"drop(s) (q < 0.05), {s['outside_funnel']:,} outside the 99.8% funnel limits"
        )

    def _signals_step_line(self) -> str:
        return f"signals: {self._signals_text()} in {self._took('signals')}"

    def _signals_line(self, factsheets_dir: Path) -> str:
        """The summary's line: the counts, and where they are listed."""
        where = f"{factsheets_dir}/<periode>/signalen.csv"
        if self.settings.publicatie != EIGEN:
            where += f" and {factsheets_dir}/signalen-<periode>.html"
        return f"  signals     {self._signals_text()}" + (
            f"; {where}" if self.signals and self.signals["signals_count"] else ""
        )

    def _snapshot_line(self, snapshot: Path) -> str:
        if self.settings.publicatie == EIGEN:
            # no complete snapshot at a public path: one per municipality (README, "Settings")
            own = self.settings.output_dir / "gemeenten"  # publish/per_gemeente.py
            n = sum(1 for p in own.iterdir() if p.is_dir()) if own.is_dir() else 0
            return f"  snapshot    {own}/<gemeentecode>/marts.duckdb ({n} municipalities)"
        return (
            f"  snapshot    {snapshot}"
            + ("" if self.snapshot or not snapshot.exists() else " (not replaced by this run)")
            + ("" if snapshot.exists() else " (none yet)")
        )

    def summary(self, total_seconds: float) -> list[str]:
        """The closing lines: counts, time per phase, where everything is."""
        t, f = self.landing, self.factsheets or {}
        out = self.settings.output_dir
        factsheets_dir = out / "factsheets"
        reports = sorted(factsheets_dir.glob(f"*/{REPORT_NAME}")) if factsheets_dir.is_dir() else []
        snapshot = out / "marts.duckdb"
        quality = data_docs_dir(out) / "last_check.html"
        times = ", ".join(f"{name} {self._took(name)}" for name in ORDER if name in self.seconds)
        written = f.get("rendered")
        unchanged = None if written is None else f["factsheets"] - written
        lines = ["summary:"]
        if self.unused:  # first: the reason the run fails although everything else was built
            lines.append(
                f"  {len(self.unused)} landing file(s) not used, so `kto run` fails "
                "(replace, remove or `kto retract` them):"
            )
            lines += [f"    {line}" for line in self.unused]
        if self.codes_outside:  # the other reason a run that built everything fails
            lines.append(
                f"  {len(self.codes_outside)} Gemeentecode(s) not valid in the CBS code list on "
                "their rows' days, rows accepted and counted as the format specification "
                f"allows (KTO_GEMEENTECODES={self.settings.gemeentecodes}), so `kto run` fails "
                "(correct the exports, or set KTO_GEMEENTECODES=strikt to quarantine them):"
            )
            lines += [f"    {line}" for line in self.codes_outside]
        lines += [
            f"  files       {_n(t.get('files_seen'))} in the landing folder: "
            f"{_n(t.get('files_ingested'))} read, {_n(t.get('files_unchanged'))} unchanged, "
            f"{_n(t.get('files_rejected'))} rejected, {_n(t.get('files_held'))} held",
            f"  rows        {_n(t.get('rows_read'))} read: {_n(t.get('rows_accepted'))} accepted, "
            f"{_n(t.get('rows_quarantined'))} quarantined (rejected files are refused whole, "
            "their rows not counted)",
            f"  cells       {_n(self.cells)} (gemeente x kanaal x periode in marts.kto_cel)",
            f"  free text   {_n(self.texts_withheld)} withheld: still looked personal after "
            "redaction, shown nowhere (intermediate.int_withheld_texts)",
            f"  factsheets  {_n(written)} written, {_n(unchanged)} unchanged, "
            f"{_n(f.get('cells_withheld'))} withheld",
            f"  published   {self._published_text()}",
            self._signals_line(factsheets_dir),
            f"  time        {times or '-'}; total {total_seconds:.1f} s",
            f"  warehouse   {self.settings.warehouse}",
            self._snapshot_line(snapshot),
            f"  folder      {factsheets_dir}",
            f"  reports     {factsheets_dir}/<periode>/{REPORT_NAME} ({len(reports)} periods)",
            f"  quality     {quality}" + ("" if quality.exists() else " (none yet)"),
            f"  dbt log     {self.log_path}",
        ]
        return lines
