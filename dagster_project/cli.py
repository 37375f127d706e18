"""The `kto` command: the stable way in for people and scripts.

`kto run` executes the Dagster jobs in this process, on the Dagster instance in
DAGSTER_HOME (default ``dagster_home`` in the working directory, the instance that
`make dev` opens), so every run shows in the UI's run history. Settings come from
the KTO_* environment variables (README).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .settings import Settings

DEFAULT_DAGSTER_HOME = "dagster_home"


def _instance():
    """The project's Dagster instance: DAGSTER_HOME, else ./dagster_home (created if missing)."""
    import dagster as dg

    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)  # for the processes the run starts, too
    return dg.DagsterInstance.get()


# Dagster's console logger prints every event at DEBUG; people want warnings and the summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _failures(result) -> list[str]:
    """Failed steps and failed checks of an in-process run, as lines for people.

    A failing quality rule is printed with its failing rows and what it withholds: the
    cells it concerns, or whole periods (dagster_project/quality/gate.py).
    """
    from .quality.gate import BREACHES, Breach

    lines = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            message = error.message.strip() if error else ""
            if event.step_key == "publish__marts_snapshot" and "snapshot withheld" in message:
                lines.append("publish: snapshot not replaced while a quality rule fails")
                continue
            lines.append(f"step {event.step_key} failed: {message}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                listed = evaluation.metadata.get(BREACHES)
                if listed is not None and listed.value:
                    lines += [line for b in listed.value for line in Breach.from_dict(b).text()]
                    continue
                detail = f": {evaluation.description}" if evaluation.description else ""
                lines.append(f"check {key}:{evaluation.check_name} failed{detail}")
                sample = evaluation.metadata.get("sample_rows")
                if sample is not None:
                    lines.append(str(sample.value))
    return lines


def _factsheet_summary(result) -> str | None:
    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key == (
            _factsheets_key()
        ):
            meta = event.event_specific_data.materialization.metadata
            written = meta["factsheets"].value
            withheld = meta["cells_withheld"].value if "cells_withheld" in meta else 0
            return (
                f"factsheets: {written} written, {withheld} withheld by failing rules "
                "(each period's report.json lists them under achtergehouden)"
            )
    return None


def _factsheets_key():
    import dagster as dg

    return dg.AssetKey(["factsheets", "pdf_html"])


def run_pipeline(settings: Settings, out=sys.stdout) -> bool:
    """Ingest, then refresh every period: dbt, checks, factsheets, publish. True on success.

    Raises runs.Stopped on SIGTERM / SIGINT, after marking this process's runs canceled.
    """
    from .dbt_commands import prepare_manifest
    from .runs import Stopped, cancel_own_runs, release_stale, run_interruptibly

    prepare_manifest(settings)
    from .definitions import defs  # after the dbt manifest exists

    instance = _instance()
    release_stale(instance, log=lambda line: print(line, file=out))
    try:
        return run_interruptibly(lambda: _execute(defs, instance, settings, out))
    except Stopped as stop:
        canceled = cancel_own_runs(instance, f"stopped by {stop}")
        print(f"stopped by {stop}; canceled runs: {', '.join(canceled) or 'none'}", file=out)
        raise


def _execute(defs, instance, settings: Settings, out) -> bool:
    from .defs.automation import period_range_tags
    from .defs.partitions import PERIODE
    from .defs.settings_resource import run_config_of
    from .runs import process_tags

    tags = process_tags()
    # the runs use exactly the settings this command read (the kto_settings resource)
    run_config = {**QUIET, **run_config_of(settings)}
    started = time.perf_counter()
    ingest = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, run_config=run_config, tags=tags, raise_on_error=False
    )
    if not ingest.success:
        print("ingest failed:", *_failures(ingest), sep="\n  ", file=out)
        return False
    print(f"ingest: done in {time.perf_counter() - started:.1f} s", file=out)
    from .defs.ingest import held_files_of

    held = held_files_of(ingest)  # changed files that could not be read: the run fails on them
    for line in held:
        print(f"held: {line}", file=out)

    periods = instance.get_dynamic_partitions(PERIODE.name)
    if not periods:
        print("no completed responses in the landing folder: nothing to build", file=out)
        return not held
    refresh = defs.resolve_job_def("refresh_job").execute_in_process(
        instance=instance,
        run_config=run_config,
        tags={**period_range_tags(periods), **tags},
        raise_on_error=False,
    )
    failures = _failures(refresh)
    if not refresh.success or failures:
        print("refresh: a quality rule or a step failed; what it concerns is withheld:", file=out)
        print(*failures, sep="\n  ", file=out)
        summary = _factsheet_summary(refresh)
        print(summary or "factsheets: none written in this run", file=out)
        return False
    print(
        f"refresh: {len(periods)} periods ({periods[0]} .. {periods[-1]}) done; "
        f"total {time.perf_counter() - started:.1f} s; output in {settings.output_dir}",
        file=out,
    )
    return not held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kto", description="kto-pipeline: KTO survey exports to KPI marts and factsheets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="the whole pipeline on everything in the landing folder")
    sub.add_parser("check", help="the quality rules on the warehouse as it is")
    sub.add_parser("files", help="each landing file: status, rows, responses it supplies")
    retract = sub.add_parser("retract", help="take a landing file's rows out, saying why")
    retract.add_argument("path", help="the file (relative to here, absolute or landing-relative)")
    retract.add_argument("--reason", required=True, help="why (recorded with the retraction)")
    sub.add_parser("demo", help="write the demo landing data, then run the pipeline on it")
    bench = sub.add_parser(
        "bench", help="time `kto run` beside a DuckDB floor and pandas (bench/README.md)"
    )
    bench.add_argument(
        "--scale",
        type=float,
        default=0.05,
        help="fraction of the national scale (1.0 = 342 municipalities, about a million "
        "responses a year; default 0.05)",
    )
    bench.add_argument("--size", type=int, help="responses per municipality, channel and year")
    bench.add_argument("--workdir", type=Path, help="bench folder (default: data/bench)")
    bench.add_argument("--results", type=Path, help="report folder (default: bench/results)")
    bench.add_argument("--note", default="", help="a line for the report (e.g. the machine)")
    for part in ("pandas", "monthly", "tiny"):
        bench.add_argument(f"--skip-{part}", action="store_true", help=f"leave out: {part}")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command in ("files", "retract"):
        from .ingest import files

        if args.command == "files":
            return files.files_command(settings.landing_dir, settings.warehouse, sys.stdout)
        return files.retract_command(
            settings.landing_dir, settings.warehouse, args.path, args.reason, sys.stdout
        )
    if args.command in ("run", "demo"):
        from .runs import Stopped

        try:
            if args.command == "demo":
                from .demo import write_demo_landing

                write_demo_landing(settings.landing_dir)
                print(f"demo data written to {settings.landing_dir}")
            return 0 if run_pipeline(settings) else 1
        except Stopped as stop:
            if stop.abandoned:  # a step that would not stop: leave without waiting for it
                sys.stdout.flush()
                os._exit(128 + stop.signum)
            return 128 + stop.signum
    if args.command == "check":
        from .quality.cli import run_checks
        from .warehouse_lock import warehouse_lock

        # Queues behind a running pipeline (and holds it off) instead of failing on
        # DuckDB's lock: dbt test and the suites read the warehouse for a while.
        with warehouse_lock(settings.warehouse, on_wait=print):
            return run_checks(settings)
    if args.command == "bench":
        from .bench.run import run_bench

        result = run_bench(
            scale=args.scale,
            size=args.size,
            workdir=args.workdir or settings.output_dir.parent / "bench",
            results_dir=args.results,
            min_respondents=settings.min_respondents,
            skip_pandas=args.skip_pandas,
            skip_monthly=args.skip_monthly,
            skip_tiny=args.skip_tiny,
            note=args.note,
        )
        return 0 if result.agrees else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
