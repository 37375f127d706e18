"""The `kto` command: the stable way in for people and scripts.

`kto run` executes the Dagster jobs in this process, so with DAGSTER_HOME set
every run shows in the UI's run history; without it an ephemeral instance is
used. Settings come from the KTO_* environment variables (README).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .settings import Settings


def _instance():
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


# Dagster's console logger prints every event at DEBUG; people want warnings and the summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _failures(result) -> list[str]:
    """Failed steps and failed checks of an in-process run, as lines for people."""
    lines = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            lines.append(f"step {event.step_key} failed: {error.message.strip() if error else ''}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                detail = f": {evaluation.description}" if evaluation.description else ""
                lines.append(f"check {key}:{evaluation.check_name} failed{detail}")
                sample = evaluation.metadata.get("sample_rows")
                if sample is not None:
                    lines.append(str(sample.value))
    return lines


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
    from .runs import process_tags

    tags = process_tags()
    started = time.perf_counter()
    ingest = defs.resolve_job_def("ingest_job").execute_in_process(
        instance=instance, run_config=QUIET, tags=tags, raise_on_error=False
    )
    if not ingest.success:
        print("ingest failed:", *_failures(ingest), sep="\n  ", file=out)
        return False
    print(f"ingest: done in {time.perf_counter() - started:.1f} s", file=out)

    periods = instance.get_dynamic_partitions(PERIODE.name)
    if not periods:
        print("no completed responses in the landing folder: nothing to build", file=out)
        return True
    refresh = defs.resolve_job_def("refresh_job").execute_in_process(
        instance=instance,
        run_config=QUIET,
        tags={**period_range_tags(periods), **tags},
        raise_on_error=False,
    )
    failures = _failures(refresh)
    if not refresh.success or failures:
        print("refresh failed; no factsheets were written for this run:", file=out)
        print(*failures, sep="\n  ", file=out)
        return False
    print(
        f"refresh: {len(periods)} periods ({periods[0]} .. {periods[-1]}) done; "
        f"total {time.perf_counter() - started:.1f} s; output in {settings.output_dir}",
        file=out,
    )
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kto", description="kto-pipeline: KTO survey exports to KPI marts and factsheets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="the whole pipeline on everything in the landing folder")
    sub.add_parser("check", help="the quality rules on the warehouse as it is")
    sub.add_parser("demo", help="write the demo landing data, then run the pipeline on it")
    bench = sub.add_parser("bench", help="time the pipeline on generated national-scale data")
    bench.add_argument(
        "--scale",
        type=float,
        default=0.1,
        help="fraction of the national scale (1.0 = 342 municipalities, about a million "
        "responses a year; default 0.1)",
    )
    args = parser.parse_args(argv)

    settings = Settings.from_env()
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
        from .bench import run_bench

        return run_bench(settings, scale=args.scale)
    return 2


if __name__ == "__main__":
    sys.exit(main())
