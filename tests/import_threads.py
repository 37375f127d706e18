"""`kto` with every module import recorded with the thread that made it (a test harness).

    python tests/import_threads.py REPORT.json run

Imports are not safe to race: two threads importing modules that import each other can
see a module half initialised ("partially initialized module 'sqlalchemy.orm.exc' has no
attribute ... (most likely due to a circular import)"). The report lists every import a
thread made while `kto run`'s worker thread ("kto-run", dagster_project/cli/runs.py) was
running, other than the worker itself: there must be none.
"""

from __future__ import annotations

import json
import sys
import threading

WORKER = "kto-run"
_imports: list[tuple[str, str, bool]] = []  # (thread, module, the worker was running)


def _on_audit(event: str, args: tuple) -> None:
    if event == "import":  # raised for a module not yet in sys.modules
        running = any(t.name == WORKER and t.is_alive() for t in threading.enumerate())
        _imports.append((threading.current_thread().name, str(args[0]), running))


def install() -> None:
    sys.addaudithook(_on_audit)


def summary() -> dict:
    return {
        "threads": sorted({thread for thread, _, _ in _imports}),
        "beside_worker": [
            {"thread": thread, "module": module}
            for thread, module, running in _imports
            if running and thread != WORKER
        ],
        "imports": len(_imports),
        "by_worker": sum(thread == WORKER for thread, _, _ in _imports),
    }


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    install()
    from dagster_project.cli import main as kto

    try:
        return kto(argv)
    finally:
        with open(report, "w", encoding="utf-8") as out:
            json.dump(summary(), out)


if __name__ == "__main__":
    sys.exit(main())
