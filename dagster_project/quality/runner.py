"""Run the GX suites on DataFrames read from the warehouse; Dagster-free.

One ephemeral GX context per process (created on first use, about 2 s to
import GX, then milliseconds per suite): GX suites, data assets and validation
definitions are registered once and reused. The validation results stay in the
context's in-memory store, the latest one per GX suite, for Data Docs.

GX's SQL data source does not work on a DuckDB file (see docs/quality.md), so
every frame is read through a read-only DuckDB connection into pandas.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from ..warehouse import open_warehouse
from .gate import Breach, breach
from .suites import Suite, load_suites
from .warehouse import CELL_KEYS, FRAMES, read_frame

SAMPLE_ROWS = 5  # offending rows kept per failing rule

_lock = threading.RLock()  # GX context and its caches are not thread-safe


@dataclass(frozen=True)
class RuleFailure:
    """One rule that did not hold, with the number of offending rows and a few of them."""

    suite: str
    frame: str
    rule: str
    expectation_type: str
    column: str
    description: str
    failing_rows: int
    sample: tuple[dict[str, Any], ...] = ()
    error: str | None = None  # set when the rule could not be evaluated (missing table/column)
    # the cell and period columns of every failing row, distinct: what the rule withholds
    failing_keys: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "frame": self.frame,
            "rule": self.rule,
            "expectation_type": self.expectation_type,
            "column": self.column,
            "description": self.description,
            "failing_rows": self.failing_rows,
            "sample": list(self.sample),
            "error": self.error,
        }

    def breach(self, asset: Iterable[str]) -> Breach:
        """What this failure withholds (dagster_project/quality/gate.py)."""
        return breach(
            f"gx {self.suite}/{self.rule}",
            "/".join(asset),
            list(self.failing_keys) or list(self.sample),
            self.failing_rows,
            description=self.description,
            rule_columns=self.column,
            evaluated=self.error is None,
        )


@dataclass(frozen=True)
class SuiteResult:
    """The outcome of one suite on the frames that guard one asset."""

    suite: str
    asset: tuple[str, ...]
    frames: tuple[str, ...]
    evaluated: int  # expectations evaluated
    failures: tuple[RuleFailure, ...]
    rows: Mapping[str, int]  # warehouse rows behind each frame
    read_seconds: float
    validate_seconds: float
    startup_seconds: float = 0.0  # importing GX, when this was the first suite of the process
    gx_suites: tuple[str, ...] = field(default=(), repr=False)  # GX suite names, for Data Docs

    @property
    def success(self) -> bool:
        return not self.failures

    @property
    def seconds(self) -> float:
        return self.read_seconds + self.validate_seconds

    @property
    def asset_path(self) -> str:
        return "/".join(self.asset)

    def breaches(self) -> list[Breach]:
        return [f.breach(self.asset) for f in self.failures]


def describe_columns(kwargs: Mapping[str, Any]) -> str:
    """The column(s) an expectation judges, as text."""
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    return ""


def _condition_columns(condition: Any) -> list[str]:
    if not isinstance(condition, Mapping):
        return []
    if "conditions" in condition:
        return [c for sub in condition["conditions"] for c in _condition_columns(sub)]
    column = condition.get("column")
    return [column["name"]] if isinstance(column, Mapping) else []


def _plain(value: Any) -> Any:
    """A JSON- and metadata-friendly scalar."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


class _Gx:
    """The process's ephemeral GX context and what has been registered in it."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self.gx = gx
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(project_config=config, mode="ephemeral")
        self.datasource = self.context.data_sources.add_pandas("kto_warehouse")
        self._batches: dict[str, Any] = {}
        self._definitions: dict[tuple[str, str, int], Any] = {}

    def _batch_definition(self, frame: str) -> Any:
        if frame not in self._batches:
            asset = self.datasource.add_dataframe_asset(frame)
            self._batches[frame] = asset.add_batch_definition_whole_dataframe("whole")
        return self._batches[frame]

    def validation_definition(self, suite: Suite, frame: str) -> Any:
        """The GX suite ``{suite}.{frame}`` bound to the frame's data asset, made once."""
        from great_expectations.core.expectation_suite import ExpectationSuite

        key = (suite.name, frame, hash(repr(suite.for_frame(frame))))
        if key not in self._definitions:
            name = f"{suite.name}.{frame}"
            expectations = []
            for expectation in suite.for_frame(frame):
                expectation = dict(expectation)
                # Data Docs show notes beside each expectation: the steward reads the why there.
                expectation["notes"] = expectation["meta"]["description"]
                expectations.append(expectation)
            for old in [k for k in self._definitions if k[:2] == key[:2]]:
                # the suite file changed within this process: replace its GX objects
                self.context.validation_definitions.delete(name)
                self.context.suites.delete(name)
                del self._definitions[old]
            gx_suite = self.context.suites.add(
                ExpectationSuite(
                    name=name,
                    expectations=expectations,
                    meta={"description": suite.description, "frame": frame},
                )
            )
            self._definitions[key] = self.context.validation_definitions.add(
                self.gx.ValidationDefinition(
                    name=name, data=self._batch_definition(frame), suite=gx_suite
                )
            )
        return self._definitions[key]

    def keep_latest_result(self, gx_suite: str) -> None:
        """Drop older results of a GX suite from the in-memory store (Data Docs show the last)."""
        store = self.context.validation_results_store
        keys = [k for k in store.list_keys() if k.expectation_suite_identifier.name == gx_suite]
        keys.sort(key=lambda k: k.run_id.run_time)
        for old in keys[:-1]:
            store.remove_key(old)


_gx: _Gx | None = None


def gx_context() -> _Gx:
    global _gx
    with _lock:
        if _gx is None:
            _gx = _Gx()
        return _gx


def _failures(
    suite: Suite, frame: str, df: pd.DataFrame, validation: Any
) -> tuple[int, list[RuleFailure]]:
    keys = [k for k in FRAMES[frame].keys if k in df.columns]
    failures = []
    for result in validation.results:
        if result.success:
            continue
        config = result.expectation_config
        kwargs = config.kwargs
        info = result.exception_info or {}
        error = info.get("exception_message") if info.get("raised_exception") else None
        details = result.result or {}
        involved = [
            c
            for c in [
                kwargs.get("column"),
                kwargs.get("column_A"),
                kwargs.get("column_B"),
                *(kwargs.get("column_list") or []),
                *_condition_columns(kwargs.get("row_condition")),
                *(config.meta.get("show") or []),  # source columns of a derived one
            ]
            if c
        ]
        columns = [c for c in dict.fromkeys([*keys, *involved]) if c in df.columns]
        index = [i for i in details.get("partial_unexpected_index_list") or [] if i in df.index]
        failing_rows = int(details.get("unexpected_count") or 0)
        weight = FRAMES[frame].weight
        if weight and "unexpected_index_list" in details:
            # a frame of groups: count the warehouse rows behind the failing groups
            failing_rows = int(df.loc[details["unexpected_index_list"], weight].sum())
        sample = tuple(
            {c: _plain(v) for c, v in row.items()}
            for row in df.loc[index[:SAMPLE_ROWS], columns].to_dict("records")
        )
        every = [i for i in details.get("unexpected_index_list") or index if i in df.index]
        key_columns = [c for c in (*CELL_KEYS, "jaar") if c in df.columns]
        failing_keys = (
            tuple(
                {c: _plain(v) for c, v in row.items()}
                for row in df.loc[every, key_columns].drop_duplicates().to_dict("records")
            )
            if key_columns
            else ()
        )
        failures.append(
            RuleFailure(
                suite=suite.name,
                frame=frame,
                rule=config.meta.get("rule", config.type),
                expectation_type=config.type,
                column=describe_columns(kwargs),
                description=config.meta.get("description", ""),
                failing_rows=failing_rows,
                sample=sample,
                error=error,
                failing_keys=failing_keys,
            )
        )
    return len(validation.results), failures


def validate_frames(
    suite: Suite,
    frames: Mapping[str, pd.DataFrame],
    parameters: Mapping[str, Any],
    *,
    run_name: str = "kto-check",
) -> tuple[int, list[RuleFailure]]:
    """Validate the given frames against the suite's expectations for them."""
    from great_expectations.core.run_identifier import RunIdentifier

    run_id = RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC))
    evaluated, failures = 0, []
    with _lock:
        gx = gx_context()
        for frame, df in frames.items():
            definition = gx.validation_definition(suite, frame)
            validation = definition.run(
                batch_parameters={"dataframe": df},
                expectation_parameters=dict(parameters),
                result_format={
                    # every failing row: its cells are what the rule withholds
                    "result_format": "COMPLETE",
                    "partial_unexpected_count": SAMPLE_ROWS,
                    "return_unexpected_index_query": False,
                },
                run_id=run_id,
            )
            gx.keep_latest_result(definition.suite.name)
            n, found = _failures(suite, frame, df, validation)
            evaluated += n
            failures.extend(found)
    return evaluated, failures


def _rows_behind(frame: str, df: pd.DataFrame) -> int:
    """The warehouse rows a frame stands for: its rows, or the rows of its groups."""
    weight = FRAMES[frame].weight
    return int(df[weight].sum()) if weight and weight in df.columns else len(df)


def run_suite(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    asset: Iterable[str],
    parameters: Mapping[str, Any],
    *,
    run_name: str = "kto-check",
) -> SuiteResult:
    """One suite on the frames that guard one asset, read through ``con``."""
    asset = tuple(asset)
    names = suite.frames_of_asset(asset)
    frames: dict[str, pd.DataFrame] = {}
    failures: list[RuleFailure] = []
    start = time.perf_counter()
    for name in names:
        try:
            frames[name] = read_frame(con, name)
        except duckdb.Error as exc:
            # A model that is missing or lacks a column fails its rules rather than the run.
            failures.extend(
                RuleFailure(
                    suite=suite.name,
                    frame=name,
                    rule=e["meta"]["rule"],
                    expectation_type=e["type"],
                    column=describe_columns(e["kwargs"]),
                    description=e["meta"]["description"],
                    failing_rows=0,
                    error=f"frame {name} could not be read: {str(exc).splitlines()[0]}",
                )
                for e in suite.for_frame(name)
            )
    read_seconds = time.perf_counter() - start
    start = time.perf_counter()
    gx_context()  # the first call in a process imports GX: timed apart from validating
    startup_seconds = time.perf_counter() - start
    start = time.perf_counter()
    evaluated, found = validate_frames(suite, frames, parameters, run_name=run_name)
    validate_seconds = time.perf_counter() - start
    return SuiteResult(
        suite=suite.name,
        asset=asset,
        frames=tuple(names),
        evaluated=evaluated + sum(len(suite.for_frame(n)) for n in names if n not in frames),
        failures=tuple(failures + found),
        rows={name: _rows_behind(name, df) for name, df in frames.items()},
        read_seconds=read_seconds,
        validate_seconds=validate_seconds,
        startup_seconds=startup_seconds,
        gx_suites=tuple(f"{suite.name}.{name}" for name in frames),
    )


def suite_parameters(min_respondents: int) -> dict[str, Any]:
    """The values of the suites' ``{"$PARAMETER": ...}`` placeholders."""
    return {"min_respondents": min_respondents}


def run_all(
    warehouse: Path,
    min_respondents: int,
    *,
    suites: Mapping[str, Suite] | None = None,
    run_name: str = "kto-check",
    on_wait: Callable[[str], object] | None = None,
) -> list[SuiteResult]:
    """Every suite on every asset it guards, through one read-only connection. ``on_wait``
    hears once whom the connection waits for (a writer such as an orphaned dbt build)."""
    suites = load_suites() if suites is None else suites
    parameters = suite_parameters(min_respondents)
    with open_warehouse(warehouse, read_only=True, on_wait=on_wait) as con:
        return [
            run_suite(con, suite, asset, parameters, run_name=run_name)
            for suite in suites.values()
            for asset in suite.assets()
        ]
