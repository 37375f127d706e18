"""Shared fixtures: the sample landing folder (a copy, with the re-export's mtime set)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from multiprocessing import forkserver
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLES = FIXTURES / "samples"

# Property-based tests (tests/test_properties.py) build a warehouse per example: seconds each.
# `default` is the bounded run of `make test` (the same examples every run, so the suite
# stays reproducible); `deep` is `make test-deep`, random and long.
_SLOW_EXAMPLES = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("default", max_examples=2, derandomize=True, **_SLOW_EXAMPLES)
settings.register_profile(
    "deep", max_examples=int(os.environ.get("DEEP_EXAMPLES", "1000")), **_SLOW_EXAMPLES
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_collection_modifyitems(config, items):
    """Tests marked ``deep`` (a whole pipeline run each, many of them) run in `make test-deep`."""
    if os.environ.get("KTO_DEEP_TESTS"):
        return
    skip = pytest.mark.skip(reason="long: runs in `make test-deep`")
    for item in items:
        if "deep" in item.keywords:
            item.add_marker(skip)


# The samples hold two files refused on purpose (no Gemeentecode column; another form's
# export): a `kto run` on them builds everything else and exits 1 naming them, and only
# them, first in its summary.
REFUSED_ON_PURPOSE = (
    "one2ten/export_zonder_gemeentecode.csv",
    "openforms/melding_openbare_ruimte.csv",
)
# The samples' municipality codes are well-formed (GM + 4 digits, what the format
# specification asks) but three are not in the CBS code list on their rows' days: GM0644
# (Ouderkerk, ceased 2014) and GM0651, GM0658 (never existed). Under KTO_GEMEENTECODES=melden
# (the default) their rows are accepted and counted, as expected.json expects, and the run
# exits 1 naming each code in its summary, after the refused files; these, and only these.
OUTSIDE_THE_CODE_LIST = ("GM0644", "GM0651", "GM0658")


def files_not_used(output: str) -> list[tuple[str, str]]:
    """(kind, landing path) of each file `kto run`'s summary opens with as not used."""
    summary = output[output.index("\nsummary:\n") + 1 :].splitlines()[1:]
    if not summary or "landing file(s) not used" not in summary[0]:
        return []
    found = []
    for line in summary[1:]:
        if not line.startswith("    "):
            break
        kind, path = line.strip().split(": ")[:2]
        found.append((kind, path))
    return found


def codes_outside_the_list(output: str) -> list[str]:
    """The Gemeentecodes `kto run`'s summary names as outside the CBS code list (accepted
    under KTO_GEMEENTECODES=melden), each also warned about before the summary."""
    start = output.index("\nsummary:\n")
    summary = output[start + 1 :].splitlines()[1:]
    found: list[str] = []
    listed = False
    for line in summary:
        if not listed:
            listed = "Gemeentecode(s) not valid in the CBS code list" in line
            continue
        if not line.startswith("    "):
            break
        found.append(line.strip().split(":")[0])
    prefix = "warning: Gemeentecode outside the CBS code list: "
    warned = [
        line.removeprefix(prefix).split(":")[0]
        for line in output[:start].splitlines()
        if line.startswith(prefix)
    ]
    assert warned == found, (warned, found)
    return found


def assert_done_but_for(
    code: int,
    output: str,
    refused=REFUSED_ON_PURPOSE,
    outside=OUTSIDE_THE_CODE_LIST,
    **other,
) -> None:
    """A `kto run` that built everything and exits 1 only for the landing files refused on
    purpose (``refused``; ``other`` kinds: held=..., quarantined=...) and the Gemeentecodes
    outside the CBS code list (``outside``)."""
    want = sorted([("refused", p) for p in refused])
    want += sorted((kind, p) for kind, paths in other.items() for p in paths)
    assert code == 1, output[-3000:]
    assert sorted(files_not_used(output)) == sorted(want), output[-3000:]
    assert codes_outside_the_list(output) == sorted(outside), output[-3000:]
    assert "refresh: " in output and " done" in output, output[-3000:]


def kto(
    root: Path,
    landing: Path,
    *args: str | bytes,
    text: bool = True,
    env: dict[str, str] | None = None,
):
    """`kto ARGS` as the operator runs it (a process), with a warehouse, output folder and
    Dagster instance of its own under ``root``; ``text=False`` keeps stdout as bytes; ``env``:
    other settings."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "KTO_LANDING_DIR": str(landing),
        "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
        "KTO_OUTPUT_DIR": str(root / "output"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", *args],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=text,
        timeout=900,
    )


def copy_samples(dest: Path) -> Path:
    """A landing folder with the samples, as the samples' README asks.

    Git does not keep modification times, so the re-export is made one hour
    newer than the export it corrects, as it was when it was exported.
    """
    for folder in ("one2ten", "openforms", "inviter"):
        shutil.copytree(SAMPLES / folder, dest / folder)
    for path in dest.rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    base = (dest / "one2ten" / "export_balie_2020.csv").stat().st_mtime
    os.utime(dest / "one2ten" / "heruitlevering_balie.csv", (base + 3600, base + 3600))
    return dest


@pytest.fixture(scope="session", autouse=True)
def dagster_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs of the tests go to an instance of their own, never to the project's dagster_home/."""
    home = tmp_path_factory.mktemp("dagster_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        yield home


@pytest.fixture(autouse=True)
def fresh_forkserver() -> Iterator[None]:
    """A test's multiprocess runs fork their steps from a forkserver of their own.

    The executor forks steps from a forkserver (dagster_project/defs/executor.py), and
    multiprocessing keeps one per process, with the environment of the moment it started.
    A later test in the same worker with other settings in its environment (KTO_OUTPUT_DIR,
    KTO_EXPECTATIONS_DIR) would run its steps with the earlier test's. A run worker of the
    daemon or the UI is a process per run, so this concerns only tests.
    """
    yield
    server = forkserver._forkserver
    if server._forkserver_pid is not None:
        server._stop()


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads((SAMPLES / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def sample_landing(tmp_path: Path) -> Path:
    return copy_samples(tmp_path / "landing")


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with the samples ingested into raw.* (shared: do not write to it)."""
    from dagster_project.ingest import load_landing

    root = tmp_path_factory.mktemp("samples")
    warehouse = root / "warehouse.duckdb"
    load_landing(copy_samples(root / "landing"), warehouse)
    return warehouse


@pytest.fixture(scope="session")
def built_sample_warehouse(
    sample_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The samples ingested and built by dbt (staging, intermediate, marts); read only."""
    from dagster_project.settings import Settings
    from dagster_project.transform.commands import run_dbt

    warehouse = tmp_path_factory.mktemp("built_samples") / "warehouse.duckdb"
    shutil.copyfile(sample_warehouse, warehouse)
    run = run_dbt(["build"], Settings.from_env({"KTO_WAREHOUSE": str(warehouse)}))
    assert run.ok, run.output
    return warehouse


@pytest.fixture(scope="session")
def definitions():
    """The project's Definitions; importing them needs dbt's manifest, as under `kto`."""
    from dagster_project.transform.commands import prepare_manifest

    prepare_manifest()
    from dagster_project.definitions import defs

    return defs


def settings_resources(**others) -> dict:
    """The resources an asset of the project needs outside Definitions (``dg.materialize``):
    ``kto_settings`` and ``kto_warehouse`` from the environment as it is now, as
    definitions.py provides them."""
    from dagster_project.defs.settings_resource import RESOURCE_KEY, KtoSettings
    from dagster_project.defs.warehouse_resource import RESOURCE_KEY as WAREHOUSE_KEY
    from dagster_project.defs.warehouse_resource import WarehouseResource

    return {
        RESOURCE_KEY: KtoSettings.from_environment(),
        WAREHOUSE_KEY: WarehouseResource.from_environment(),
        **others,
    }
