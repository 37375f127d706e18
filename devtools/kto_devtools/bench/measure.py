"""Run a command as a child process: wall time, peak RSS of its process tree, its output.

The peak RSS is the largest sum of the resident set sizes of the process and all its
descendants seen by a sampler (every 100 ms): `kto run` starts dbt and factsheet workers as
child processes, so the process alone would miss most of the memory. A child that lives
shorter than the interval can be missed; the bench's children live seconds.

CPU seconds (user + system) of the tree come from the operating system's accounting of
ended child processes: a process's descendants are added to it when it waits for them, as
`kto run`, dbt and the worker pools do. On a machine that others use too, CPU seconds vary
much less than wall time.
"""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.1  # walking the process table costs about 3% of one core at this rate


@dataclass
class Measured:
    command: list[str]
    returncode: int
    seconds: float
    peak_rss: int  # bytes, process tree
    output: str  # stdout and stderr, interleaved
    cpu_seconds: float = 0.0  # user + system, process tree
    # (Unix time, RSS of the tree in bytes) of every sample, to tell which phase peaked
    samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss / 2**20


def tree_rss(process: psutil.Process) -> int:
    """RSS of a process and all its descendants now; processes that just ended count 0."""
    total = 0
    try:
        family = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += member.memory_info().rss
    return total


def run_measured(
    command: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> Measured:
    """Run ``command`` to its end, sampling the RSS of its process tree meanwhile.

    Run one at a time: the CPU seconds are the growth of this process's ended children.
    """
    samples: list[tuple[float, int]] = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process = psutil.Process(child.pid)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.time(), tree_rss(process)))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = child.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = max((rss for _, rss in samples), default=0)
    return Measured(command, child.returncode, seconds, peak, output, cpu, samples)
