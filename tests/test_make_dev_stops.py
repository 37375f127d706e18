"""`make dev` stops on SIGTERM and on SIGINT, also when started in the background.

A shell that starts a job in the background (a script, `nohup`, many service wrappers)
makes it ignore SIGINT; `dagster dev` then ignored SIGTERM as well and had to be killed,
its webserver, daemon and code servers with it. The Makefile restores SIGINT before
`dagster dev` starts. Started here with SIGINT ignored, as such a shell does."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dagster_dev(make: psutil.Process) -> psutil.Process | None:
    for child in make.children(recursive=True):
        try:
            if "dev" in child.cmdline() and any(a.endswith("dagster") for a in child.cmdline()):
                return child
        except psutil.NoSuchProcess:
            continue
    return None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_dev_stops(tmp_path, sig):
    port = _free_port()
    log = (tmp_path / "dev.log").open("w")
    make = subprocess.Popen(
        ["make", "dev", f"DEV_PORT={port}"],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        start_new_session=True,
    )
    tree = psutil.Process(make.pid)
    try:
        deadline = time.monotonic() + 240
        while "Serving dagster-webserver" not in (tmp_path / "dev.log").read_text():
            assert make.poll() is None, (tmp_path / "dev.log").read_text()
            assert time.monotonic() < deadline, "dagster dev did not start"
            time.sleep(1)
        dev = _dagster_dev(tree)
        assert dev is not None
        family = [dev, *dev.children(recursive=True)]
        assert len(family) >= 3  # webserver, daemon, code server
        dev.send_signal(sig)
        _, alive = psutil.wait_procs(family, timeout=60)
        assert not alive, [p.cmdline()[:4] for p in alive]
    finally:
        with contextlib.suppress(psutil.NoSuchProcess):
            left = [tree, *tree.children(recursive=True)]
            for p in left:
                with contextlib.suppress(psutil.NoSuchProcess):
                    p.kill()
        make.wait(timeout=30)
        log.close()
