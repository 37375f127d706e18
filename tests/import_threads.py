"""`kto` with every module import recorded with the thread that made it (a test harness).

    python tests/import_threads.py REPORT.json run

Imports are not safe to race: two threads importing modules that import each other can
see a module half initialised ("partially initialized module 'sqlalchemy.orm.exc' has no
attribute ... (most likely due to a circular import)"). `kto run` executes its jobs in the
main thread of a worker process (dagster_project/cli/runs.py, ``supervise``); the worker is
started under this recorder too, and the report, written by the worker, lists every import
a thread other than its main thread made: there must be none.
"""

from __future__ import annotations

import json
import sys
import threading

WORKER = "MainThread"  # the thread that runs the jobs in `kto run`'s worker process
_imports: list[tuple[str, str]] = []  # (thread, module)


def _on_audit(event: str, args: tuple) -> None:
    if event == "import":  # raised for a module not yet in sys.modules
        _imports.append((threading.current_thread().name, str(args[0])))


def install() -> None:
    sys.addaudithook(_on_audit)


def summary() -> dict:
    return {
        "threads": sorted({thread for thread, _ in _imports}),
        "beside_worker": [
            {"thread": thread, "module": module} for thread, module in _imports if thread != WORKER
        ],
        "imports": len(_imports),
        "by_worker": sum(thread == WORKER for thread, _ in _imports),
    }


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    install()
    from dagster_project import cli

    # `kto run` starts its worker under this recorder; the worker writes the report
    cli.WORKER_COMMAND = [sys.executable, __file__, report]
    supervisor = argv[:1] in (["run"], ["demo"]) and "--worker-of" not in argv
    try:
        return cli.main(argv)
    finally:
        if not supervisor:
            with open(report, "w", encoding="utf-8") as out:
                json.dump(summary(), out)


if __name__ == "__main__":
    sys.exit(main())
