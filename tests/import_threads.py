"""`kto` with every module import recorded by the thread that made it (a test harness).

    python tests/import_threads.py REPORT.json run

Imports are not safe to race: two threads importing modules that import each other can
see a module half initialised ("partially initialized module ... (most likely due to a
circular import)"). The report lists each import made by any thread while another thread
than the importing one was also importing, i.e. every import that ran beside `kto run`'s
worker thread ("kto-run") in another thread.
"""

from __future__ import annotations

import json
import sys
import threading

WORKER = "kto-run"  # dagster_project/runs.py's thread
imports: list[tuple[str, str, bool]] = []  # (thread, module, the worker was alive)


def _on_audit(event: str, args: tuple) -> None:
    if event != "import":
        return
    current = threading.current_thread().name
    worker_alive = any(t.name == WORKER and t.is_alive() for t in threading.enumerate())
    imports.append((current, str(args[0]), worker_alive))


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    sys.addaudithook(_on_audit)
    from dagster_project.cli import main as kto

    try:
        return kto(argv)
    finally:
        beside = [
            {"thread": thread, "module": module}
            for thread, module, worker_alive in imports
            if worker_alive and thread != WORKER
        ]
        threads = sorted({thread for thread, _, _ in imports})
        with open(report, "w", encoding="utf-8") as out:
            json.dump({"threads": threads, "beside_worker": beside, "imports": len(imports)}, out)


if __name__ == "__main__":
    sys.exit(main())
