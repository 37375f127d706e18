"""The help texts of `kto`: for each command the settings it reads, its exit codes, its outputs.

The settings come from settings.SETTINGS, so the help lists what the code reads.
"""

from __future__ import annotations

import textwrap

from ..settings import SETTINGS

WIDTH = 96  # of a help line

DAGSTER_HOME = ("DAGSTER_HOME", "dagster_home", "the Dagster instance every run is recorded in")
STOPPED = (
    "129/130/143",
    "stopped by SIGHUP (the terminal closed) / SIGINT (Ctrl-C) / SIGTERM (128 + the signal); "
    "the runs are marked canceled",
)
USAGE = "2", "usage: a wrong argument or an invalid setting"
RUN_LOG = "<folder of KTO_WAREHOUSE>/logs/run-<UTC time>.log"

RUN_EXIT = (
    (
        "0",
        "every asset and blocking check succeeded, every landing file was used and every "
        "Gemeentecode is valid in the CBS code list",
    ),
    (
        "1",
        "a quality rule failed (what it concerns is withheld), a step failed (its cause "
        "printed), or a landing file is refused, held at its previous version or quarantined "
        "whole, or a Gemeentecode is outside the CBS code list (KTO_GEMEENTECODES=melden) "
        "(named first in the summary; the rest is built and published)",
    ),
    (
        "2",
        "usage, an invalid setting (KTO_*, DAGSTER_HOME; before any work), or the landing "
        "folder KTO_LANDING_DIR is missing",
    ),
    STOPPED,
)
RUN_OUTPUTS = (
    "KTO_WAREHOUSE                       raw.*, staging.*, intermediate.*, marts.*",
    "KTO_OUTPUT_DIR/factsheets/{periode}/{gemeentecode}_{kanaal}.pdf and .html",
    "KTO_OUTPUT_DIR/factsheets/{periode}/report.json   what was written, skipped, withheld",
    "KTO_OUTPUT_DIR/factsheets/{periode}/signalen.csv   the period's signals (drops, funnels)",
    "KTO_OUTPUT_DIR/factsheets/index.html   the portal, its funnel plots and signal pages"
    " (KTO_PUBLICATIE=open)",
    "KTO_OUTPUT_DIR/marts.duckdb, marts/{table}.parquet   the published snapshot (open)",
    "KTO_OUTPUT_DIR/gemeenten/{gemeentecode}/   KTO_PUBLICATIE=eigen: instead of those two, per",
    "    municipality its portal, factsheets, snapshot, Parquet and CSV, with its own figures",
    "    and the BM only; the complete snapshot in KTO_OUTPUT_DIR/.published/current/",
    "KTO_OUTPUT_DIR/quality/data_docs/last_check.html   the last quality validation",
    f"{RUN_LOG}   dbt's output (the last 30 runs kept)",
    "stdout: a line per phase, then a summary with counts, times and these paths",
)

# command -> (settings it reads, extra variables, exit codes, outputs)
COMMANDS: dict[str, tuple[tuple[str, ...], tuple, tuple, tuple]] = {
    "run": (tuple(s.variable for s in SETTINGS), (DAGSTER_HOME,), RUN_EXIT, RUN_OUTPUTS),
    "demo": (
        tuple(s.variable for s in SETTINGS),
        (DAGSTER_HOME,),
        (*RUN_EXIT[:2], USAGE, STOPPED),
        ("KTO_LANDING_DIR   the demo exports (written first)", *RUN_OUTPUTS),
    ),
    "check": (
        ("KTO_WAREHOUSE", "KTO_OUTPUT_DIR", "KTO_MIN_RESPONDENTS", "KTO_BENCHMARK_METHOD"),
        (),
        (
            ("0", "every rule holds"),
            ("1", "a dbt test or a GX rule fails (printed with its failing rows)"),
            ("2", "no warehouse, another process holds it, or usage"),
        ),
        (
            "stdout: the dbt tests and GX suites with the failing rules and rows",
            "KTO_OUTPUT_DIR/quality/data_docs/last_check.html",
        ),
    ),
    "files": (
        ("KTO_LANDING_DIR", "KTO_WAREHOUSE"),
        (),
        (
            ("0", "listed"),
            ("2", "the landing folder is missing, the warehouse is in use, or usage"),
        ),
        ("stdout: every landing file with its status, rows and the responses it supplies",),
    ),
    "retract": (
        ("KTO_LANDING_DIR", "KTO_WAREHOUSE"),
        (),
        (
            ("0", "retracted"),
            ("2", "not a file of the landing folder, the warehouse is in use, or usage"),
        ),
        ("KTO_WAREHOUSE raw.retracted_files: the file, the reason; its rows out of raw.*",),
    ),
    "bench": (
        ("KTO_OUTPUT_DIR", "KTO_MIN_RESPONDENTS"),
        (),
        (
            (
                "0",
                "every phase ran and the three ways agree with the marts (--scenario history: "
                "every row accepted and both runs published)",
            ),
            ("1", "they disagree, a row was not accepted, or a run failed"),
            USAGE,
        ),
        (
            "--workdir (default: the folder next to KTO_OUTPUT_DIR, bench/): the generated data",
            "--results (default: bench/results): the report",
        ),
    ),
}


def _settings_lines(names: tuple[str, ...], extra: tuple) -> list[str]:
    rows = [(s.variable, s.default, s.meaning) for s in SETTINGS if s.variable in names]
    rows += list(extra)
    width = max(len(name) for name, _, _ in rows)
    return [
        f"  {name:<{width}}  {meaning} (default: {default or 'none'})"
        for name, default, meaning in rows
    ]


def _exit_lines(codes: tuple) -> list[str]:
    width = max(len(code) for code, _ in codes)
    lines = []
    for code, meaning in codes:
        wrapped = textwrap.wrap(meaning, WIDTH - width - 4)
        lines.append(f"  {code:<{width}}  {wrapped[0]}")
        lines += [" " * (width + 4) + more for more in wrapped[1:]]
    return lines


def epilog(command: str) -> str:
    names, extra, codes, outputs = COMMANDS[command]
    return "\n".join(
        [
            "settings (environment variables):",
            *_settings_lines(names, extra),
            "",
            "exit codes:",
            *_exit_lines(codes),
            "",
            "outputs:",
            *(f"  {line}" for line in outputs),
        ]
    )


def main_epilog() -> str:
    return "\n".join(
        [
            "settings (environment variables; each command's help says which it reads):",
            *_settings_lines(tuple(s.variable for s in SETTINGS), (DAGSTER_HOME,)),
            "",
            "exit codes:",
            *_exit_lines(
                (
                    ("0", "done"),
                    (
                        "1",
                        "run, demo: a quality rule failed, a step failed or a landing file is "
                        "refused, held or quarantined whole; check: a rule fails; bench: the "
                        "results disagree",
                    ),
                    (
                        "2",
                        "usage, an invalid setting, a missing landing folder (run, files), no "
                        "warehouse (check), a warehouse in use by another process",
                    ),
                    (
                        "129/130/143",
                        "stopped by SIGHUP / SIGINT (Ctrl-C) / SIGTERM (128 + the signal)",
                    ),
                )
            ),
            "",
            "outputs: see `kto run --help`; paths relative to the working directory",
        ]
    )
