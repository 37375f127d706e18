"""`kto run` imports in one thread at a time (issue 21: a dbt step failed at random with
"partially initialized module 'sqlalchemy.orm.exc'" while a thread imported Great
Expectations beside the run's thread). Great Expectations is now imported by the check step
that uses it, and the jobs run in the main thread of `kto run`'s worker process; no other
thread of that process imports.

The import race itself is rare (1 in 6 runs on a busy machine), so the tests check the
condition that rules it out, in every run: tests/import_threads.py records each import with
its thread. The whole pipeline under the same recorder: tests/test_unused_files.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# `make test` starts it 6 times (the recorder rules the race out in each); `make test-deep` 50.
RUNS = int(os.environ.get("KTO_STARTUP_RUNS", "6"))
AT_ONCE = 2  # the machine's cores
BUDGET_SECONDS = 1200  # all runs; one start-up takes 10-30 s on a busy 2-core machine


def recorded(root: Path, *args: str) -> subprocess.Popen:
    """`kto ARGS` under tests/import_threads.py, with a landing folder and instance of its own."""
    (root / "landing").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KTO_")}
    env.update(
        KTO_LANDING_DIR=str(root / "landing"),
        KTO_WAREHOUSE=str(root / "warehouse.duckdb"),
        KTO_OUTPUT_DIR=str(root / "output"),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "tests" / "import_threads.py"),
            str(root / "imports.json"),
            *args,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_recorder_sees_an_import_beside_the_worker(tmp_path):
    """The recorder catches what kto run did before: a thread importing beside the thread
    that runs the jobs (so a clean report below means something)."""
    script = """
import json, threading
import tests.import_threads as recorder
recorder.install()

def load():
    import xml.dom.minidom  # noqa: F401

beside = threading.Thread(target=load)
beside.start()
beside.join()
import xml.sax  # noqa: F401
print(json.dumps(recorder.summary()))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert "xml.dom.minidom" in {i["module"] for i in found["beside_worker"]}
    assert "xml.sax" not in {i["module"] for i in found["beside_worker"]}
    assert found["by_worker"] > 0


@pytest.mark.slow
def test_kto_run_start_up_imports_in_one_thread_every_time(tmp_path):
    """RUNS start-ups of `kto run` (supervisor, worker, definitions, instance, the ingest
    job), AT_ONCE at a time: each exits 0, and in none did a thread of the worker import
    beside the main thread that runs the jobs."""
    started = time.monotonic()
    pending = list(range(RUNS))
    running: list[tuple[int, subprocess.Popen]] = []
    results: dict[int, tuple[int, str]] = {}
    while pending or running:
        while pending and len(running) < AT_ONCE:
            n = pending.pop(0)
            running.append((n, recorded(tmp_path / f"run{n}", "run")))
        n, proc = running.pop(0)
        remaining = BUDGET_SECONDS - (time.monotonic() - started)
        try:
            output, _ = proc.communicate(timeout=max(remaining, 1))
        except subprocess.TimeoutExpired:
            for _, other in [(n, proc), *running]:
                other.kill()
            pytest.fail(f"{len(results)} of {RUNS} start-ups in {BUDGET_SECONDS} s")
        results[n] = (proc.returncode, output)
    for n, (code, output) in sorted(results.items()):
        assert code == 0, f"run {n}:\n{output[-3000:]}"
        report = json.loads((tmp_path / f"run{n}" / "imports.json").read_text())
        assert report["beside_worker"] == [], f"run {n}"
        assert report["by_worker"] > 0  # the run's thread did import (the recorder works)
        assert set(report["threads"]) == {"MainThread"}, f"run {n}"
