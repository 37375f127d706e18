"""The `kto` command: the stable way in for people and scripts.

`kto run` executes the Dagster jobs in process (``execute_in_process``), on the Dagster
instance in DAGSTER_HOME (default ``dagster_home`` in the working directory, the instance
that `make dev` opens), so every run shows in the UI's run history. Settings come from
the KTO_* environment variables (README). The jobs run in a worker process, `kto run`
itself supervises it: a signal stops the worker the way Dagster stops a run
(dagster_project/cli/runs.py, ``supervise``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
import warnings
from contextlib import redirect_stdout, suppress
from pathlib import Path
from typing import TextIO

from ..settings import Settings
from . import help as cli_help

DEFAULT_DAGSTER_HOME = "dagster_home"


# An instance `kto` creates sends Dagster no usage statistics (a municipal pipeline sends
# nothing out), and Dagster prints no telemetry banner on kto's output.
NEW_INSTANCE_YAML = """\
# Written by `kto` for a new Dagster instance. The project's own settings for scheduled
# runs (pools, run monitoring) are in dagster_home/dagster.yaml of the checkout.
telemetry:
  enabled: false
"""


def _instance():
    """The project's Dagster instance: DAGSTER_HOME, else ./dagster_home (created if missing,
    with NEW_INSTANCE_YAML as its dagster.yaml)."""
    import dagster as dg

    home = Path(os.environ.get("DAGSTER_HOME") or DEFAULT_DAGSTER_HOME).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(NEW_INSTANCE_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)  # for the processes the run starts, too
    return dg.DagsterInstance.get()


# Dagster's console logger prints every event at DEBUG; people want warnings and the summary.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _failures(result) -> list[str]:
    """Failed steps and failed checks of an in-process run, as lines for people.

    A failing quality rule is printed with its failing rows and what it withholds: the
    cells it concerns, or whole periods (dagster_project/quality/gate.py).
    """
    from ..defs.names import SIGNALS_CHECK, SNAPSHOT_WITHHELD
    from ..quality.gate import BREACHES, Breach

    lines = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            failure = event.step_failure_data.user_failure_data
            if failure is not None and SNAPSHOT_WITHHELD in (failure.metadata or {}):
                lines.append("publish: snapshot not replaced while a quality rule fails")
                continue
            lines.append(f"step {event.step_key} failed: {cause_of(error)}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            if evaluation.check_name == SIGNALS_CHECK:  # news, not a failure: the summary's
                continue
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


def cause_of(error) -> str:
    """The first line of the error that caused a step failure (a SerializableErrorInfo):
    "No space left on device", not Dagster's wrapper "Error occurred while executing"."""
    if error is None:
        return "no error recorded"
    while error.cause is not None:
        error = error.cause
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    if not lines:
        return error.cls_name or "unknown error"
    # dg.Failure's description is the cause itself; other errors keep their class name
    # ("OSError: [Errno 28] No space left on device")
    return lines[0].split(": ", 1)[-1] if error.cls_name == "Failure" else lines[0]


KEEP_LOGS = 30  # run logs kept next to the warehouse; a nightly schedule would pile them up
BENCH_PARTS = ("pandas", "monthly", "tiny")  # parts of `kto bench --scenario year` to --skip-


def run_log_path(settings: Settings) -> Path:
    """A new log file for the output of one run's steps (dbt's lines), the oldest pruned."""
    folder = settings.warehouse.parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[: -(KEEP_LOGS - 1) or None]:
        old.unlink(missing_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return folder / f"run-{stamp}.log"


def run_pipeline(
    settings: Settings, out: TextIO | None = None, tags: dict[str, str] | None = None
) -> bool:
    """Ingest, then refresh every period: dbt, checks, factsheets, publish. True on success.

    Prints a line per phase and a closing summary to ``out``; what the steps print
    themselves (dbt's lines) goes to a log file the summary names. The runs carry
    ``tags`` (default: this process's, runs.process_tags; `kto run`'s worker gets its
    supervisor's). Executes in the calling thread: in the main thread Dagster itself turns
    SIGINT and SIGTERM into an interrupt of the running step.
    """
    from ..transform.commands import prepare_manifest
    from .runs import process_tags, release_stale

    out = sys.stdout if out is None else out
    prepare_manifest(settings)
    from ..definitions import defs  # after the dbt manifest exists

    instance = _instance()
    release_stale(instance, log=lambda line: print(line, file=out))
    report = _report(settings, out)
    # Great Expectations is imported by the check step that uses it, in the run's thread:
    # never beside another importing thread (a racing import of sqlalchemy.orm failed the
    # dbt step at random with "partially initialized module").
    # dagster-dbt writes every dbt line to sys.stdout (no switch in DbtCliResource): the
    # whole process's stdout goes to the log while the jobs run, the report to ``out``.
    with report.log_path.open("a", encoding="utf-8") as log, redirect_stdout(log):
        return _execute(defs, instance, report, tags or process_tags())


# `kto run`'s worker: this module run again (tests/import_threads.py records it too)
WORKER_COMMAND = [sys.executable, "-m", "dagster_project.cli"]


def supervised_run(out: TextIO | None = None) -> int:
    """`kto run`: ``run_pipeline`` in a worker process that this process supervises; the
    exit code. On SIGTERM / SIGINT / SIGHUP the runs end canceled (runs.supervise), the
    summary says so, and the exit code is 128 + the signal."""
    from . import runs

    out = sys.stdout if out is None else out
    stopping: dict = {}

    def on_stop(signum: int) -> None:
        stopping["message"] = f"stopped by {signal.Signals(signum).name}"
        stopping["instance"] = _instance()  # Dagster is imported here only on a stop
        runs.mark_own_runs_canceling(stopping["instance"], stopping["message"])

    def while_stopping() -> runs.Action:
        instance = stopping.get("instance")
        if instance is None:
            return None
        if runs.mark_own_runs_canceling(instance, stopping["message"]):
            return "interrupt"  # a run began after the first SIGINT: interrupt it too
        return "kill" if runs.own_runs_waiting_for_a_slot(instance) else None

    command = [*WORKER_COMMAND, "run", "--worker-of", json.dumps(runs.process_tags())]
    try:
        return runs.supervise(command, on_stop, while_stopping)
    except runs.Stopped as stop:
        instance = stopping.get("instance") or _instance()
        canceled = runs.cancel_own_runs(instance, f"stopped by {stop}")
        with suppress(OSError):  # after SIGHUP the terminal may be gone
            print(f"stopped by {stop}; canceled runs: {', '.join(canceled) or 'none'}", file=out)
        return 128 + stop.signum
    finally:
        if "instance" in stopping:
            stopping["instance"].dispose()


def _report(settings: Settings, out: TextIO):
    from ..defs.dbt import kto_dbt_models
    from .run_report import RunReport

    return RunReport(
        settings,
        out,
        run_log_path(settings),
        dbt_models=set(kto_dbt_models.keys),
        dbt_tests=set(kto_dbt_models.check_keys),
    )


def _job(defs, name: str, instance, report, tags: dict[str, str], run_config: dict):
    """One job in process, its events reported as they are stored."""
    run_id = str(uuid.uuid4())
    instance.add_event_listener(run_id, report.on_event)
    try:
        return defs.resolve_job_def(name).execute_in_process(
            instance=instance, run_config=run_config, tags=tags, run_id=run_id, raise_on_error=False
        )
    finally:
        report.end_phase()


def _execute(defs, instance, report, tags: dict[str, str]) -> bool:
    from ..defs import names
    from ..defs.automation import period_range_tags
    from ..defs.ingest import codes_outside_list_of, unused_files_of
    from ..defs.partitions import PERIODE
    from ..defs.settings_resource import run_config_of

    out = report.out
    # the runs use exactly the settings this command read (the kto_settings resource)
    run_config = {**QUIET, **run_config_of(report.settings)}
    started = time.perf_counter()

    def close(ok: bool) -> bool:
        print(*report.summary(time.perf_counter() - started), sep="\n", file=out)
        return ok

    ingest = _job(defs, names.INGEST_JOB, instance, report, tags, run_config)
    if not ingest.success:
        print("ingest failed:", *_failures(ingest), sep="\n  ", file=out)
        return close(False)
    # refused, held or wholly quarantined landing files: the rest is built, the run fails
    unused = unused_files_of(ingest)
    for line in unused:
        print(line, file=out)
    # Gemeentecodes outside the CBS code list, accepted (KTO_GEMEENTECODES=melden): the run
    # builds and publishes them as the format specification asks, and fails
    outside = codes_outside_list_of(ingest)
    for line in outside:
        print(f"warning: Gemeentecode outside the CBS code list: {line}", file=out)
    unused = [*unused, *outside]

    periods = instance.get_dynamic_partitions(PERIODE.name)
    if not periods:
        print("no completed responses in the landing folder: nothing to build", file=out)
        return close(not unused)
    refresh = _job(
        defs,
        names.REFRESH_JOB,
        instance,
        report,
        {**period_range_tags(periods), **tags},
        run_config,
    )
    failures = _failures(refresh)
    if not refresh.success or failures:
        print(
            "refresh: a quality rule or a step failed; what it concerns is withheld:",
            *failures,
            sep="\n  ",
            file=out,
        )
        return close(False)
    print(f"refresh: {len(periods)} periods ({periods[0]} .. {periods[-1]}) done", file=out)
    return close(not unused)


def dagster_home_problem() -> str | None:
    """Why DAGSTER_HOME cannot hold the Dagster instance, before any work; None if it can."""
    value = os.environ.get("DAGSTER_HOME")
    if value is None:
        return None  # the default, ./dagster_home
    if not value.strip():  # not the working directory, as with every path setting
        return "DAGSTER_HOME is set but empty: unset it for ./dagster_home, or name a folder"
    home = Path(value)
    if home.exists() and not home.is_dir():
        return f"DAGSTER_HOME={home}: is a file, expected the folder of the Dagster instance"
    parent = next((p for p in home.absolute().parents if p.exists()), None)
    if not home.exists() and parent is not None and not parent.is_dir():
        return f"DAGSTER_HOME={home}: {parent} is a file, not a folder"
    return None


def landing_problem(settings: Settings, command: str) -> int | None:
    """Exit code 2 with a message when the landing folder is missing; a warning when empty."""
    from ..ingest.loader import scan_landing

    landing = settings.landing_dir
    if not landing.is_dir():
        what = "is not a folder" if landing.exists() else "does not exist"
        print(
            f"kto {command}: the landing folder {landing} {what} "
            "(set KTO_LANDING_DIR, or create it and drop the exports in it)",
            file=sys.stderr,
        )
        return 2
    if not scan_landing(landing):
        then = ""
        if command == "run":  # it goes on: ingest finds nothing new, the rest rebuilds
            then = (
                f"; the marts and factsheets are rebuilt from what the warehouse "
                f"{settings.warehouse} already holds"
                if settings.warehouse.exists()
                else f"; there is no warehouse at {settings.warehouse} yet: nothing to build"
            )
        print(
            f"kto {command}: warning: the landing folder {landing} is empty{then}", file=sys.stderr
        )
    return None


def _parser() -> argparse.ArgumentParser:
    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=cli_help.epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    parser = argparse.ArgumentParser(
        prog="kto",
        description="kto-pipeline: KTO survey exports to KPI marts and factsheets.",
        epilog=cli_help.main_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = command("run", "the whole pipeline on everything in the landing folder")
    # `kto run` starts itself again as its worker, with the tags for the runs (not for people)
    run.add_argument("--worker-of", help=argparse.SUPPRESS)
    command("check", "the quality rules on the warehouse as it is")
    command("files", "each landing file: status, rows, responses it supplies")
    retract = command("retract", "take a landing file's rows out, saying why")
    retract.add_argument("path", help="the file (relative to here, absolute or landing-relative)")
    retract.add_argument("--reason", required=True, help="why (recorded with the retraction)")
    command("demo", "write the demo landing data, then run the pipeline on it")
    bench = command("bench", "time `kto run` beside a DuckDB floor and pandas (bench/README.md)")
    bench.add_argument(
        "--scale",
        type=float,
        default=0.05,
        help="fraction of the national scale (1.0 = 342 municipalities, about a million "
        "responses a year; default 0.05)",
    )
    bench.add_argument(
        "--scenario",
        choices=("year", "history"),
        default="year",
        help="year: a national year beside the floor and pandas, then January (default); "
        "history: two years in every format, then December of the second (bench/README.md)",
    )
    bench.add_argument("--size", type=int, help="responses per municipality, channel and year")
    bench.add_argument(
        "--workdir", type=Path, help="bench folder (default: bench/ next to KTO_OUTPUT_DIR)"
    )
    bench.add_argument("--results", type=Path, help="report folder (default: bench/results)")
    bench.add_argument("--note", default="", help="a line for the report (e.g. the machine)")
    for part in BENCH_PARTS:
        bench.add_argument(f"--skip-{part}", action="store_true", help=f"leave out: {part}")
    return parser


def devtools_problem() -> str | None:
    """Why `kto demo` and `kto bench` cannot run here; None when they can.

    The demo generator and the bench are development tools: they live in the checkout's
    ``devtools/`` (the ``kto-pipeline-devtools`` distribution, installed by ``make setup``),
    not in the wheel that runs in production.
    """
    try:
        import kto_devtools  # noqa: F401
    except ImportError:
        return (
            "the development tools are not installed "
            "(from a checkout: pip install -e devtools/, as make setup does)"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    # Dagster's beta markers (backfill_policy, warned when the definitions are imported) are
    # for Dagster's users, not kto's; matched by message, before anything imports Dagster.
    warnings.filterwarnings("ignore", message=r".* is currently in beta")
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as error:  # an invalid KTO_* value is a usage error
        print(f"kto {args.command}: {error}", file=sys.stderr)
        return 2
    if args.command in ("run", "demo", "bench", "check") and (problem := dagster_home_problem()):
        print(f"kto {args.command}: {problem}", file=sys.stderr)
        return 2
    worker_of = getattr(args, "worker_of", None)
    if worker_of is not None:  # the worker of a `kto run`, which checked all this
        from .runs import follow_supervisor

        follow_supervisor()
        try:
            return 0 if run_pipeline(settings, tags=json.loads(worker_of)) else 1
        except KeyboardInterrupt:  # the supervisor's SIGINT between two jobs
            return 128 + signal.SIGINT
    if args.command in ("run", "files") and (code := landing_problem(settings, args.command)):
        return code
    if args.command in ("demo", "bench") and (problem := devtools_problem()):
        print(f"kto {args.command}: {problem}", file=sys.stderr)
        return 2
    if args.command in ("files", "retract"):
        from ..ingest import files

        if args.command == "files":
            return files.files_command(settings.landing_dir, settings.warehouse, sys.stdout)
        return files.retract_command(
            settings.landing_dir, settings.warehouse, args.path, args.reason, sys.stdout
        )
    if args.command in ("run", "demo"):
        if args.command == "demo":
            from kto_devtools.demo import write_demo_landing

            write_demo_landing(settings.landing_dir)
            print(f"demo data written to {settings.landing_dir}")
        return supervised_run()
    if args.command == "check":
        from ..quality.cli import run_checks
        from ..warehouse.lock import warehouse_lock

        if not settings.warehouse.exists():  # said before the lock: no stray lock file beside it
            return run_checks(settings)
        # Queues behind a running pipeline (and holds it off) instead of failing on
        # DuckDB's lock: dbt test and the suites read the warehouse for a while.
        with warehouse_lock(settings.warehouse, on_wait=print):
            return run_checks(settings)
    if args.command == "bench":
        common = {
            "scale": args.scale,
            "size": args.size,
            "workdir": args.workdir or settings.output_dir.parent / "bench",
            "results_dir": args.results,
            "min_respondents": settings.min_respondents,
            "note": args.note,
        }
        if args.scenario == "history":
            from kto_devtools.bench.history import run_history_bench

            return 0 if run_history_bench(**common).ok else 1
        from kto_devtools.bench.run import run_bench

        skips = {f"skip_{part}": getattr(args, f"skip_{part}") for part in BENCH_PARTS}
        return 0 if run_bench(**common, **skips).agrees else 1
    return 2
