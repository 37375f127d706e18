"""Generated adversarial ground truths through ingest and the dbt build, held to the oracle.

On any valid input every dbt test and every GX suite passes, and every mart
figure, n, interval and BM equals tests/oracle.py. Hypothesis draws the
ground truths (tests/groundtruth.py); they are written as landing folders by
the demo writers (any rotation of formats, encodings and spellings).

Profiles (tests/conftest.py): ``default`` is the bounded run inside
``make test``; ``make test-deep`` runs the ``deep`` profile. No run of this test
has found a counter-example yet (the deepest: 25 examples); a new one is kept here
as an ``@example``. The cells that first broke the pipeline (every respondent
agreeing, none agreeing) are whole-pipeline tests in tests/test_gate.py, and the
readers' counter-examples are ``@example``s in tests/test_readers_properties.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from kto_devtools.demo import write_landing

from dagster_project.ingest import load_landing
from dagster_project.quality.report import check_warehouse
from dagster_project.settings import Settings
from dagster_project.transform.commands import failing_tests, run_dbt
from tests import oracle
from tests.groundtruth import Case, cases
from tests.marts_compare import compare

pytestmark = pytest.mark.slow


def run_case(case: Case, root: Path) -> list[str]:
    """Write, ingest, build and check ``case``; every problem as a line (none: all good)."""
    data = case.dataset
    manifest = write_landing(root / "landing", data, seed=case.format_seed)
    settings = Settings.from_env(
        {
            "KTO_WAREHOUSE": str(root / "warehouse.duckdb"),
            "KTO_OUTPUT_DIR": str(root / "output"),
            "KTO_MIN_RESPONDENTS": str(case.min_n),
        }
    )
    load_landing(manifest.landing_dir, settings.warehouse)
    run = run_dbt(["build"], settings)
    problems = [
        f"dbt {f.test} {f.status}: {f.message} {f.rows[:3]}"
        for f in failing_tests(run, settings, limit=3)
    ]
    if not run.ok and not problems:
        return [f"dbt build failed:\n{run.output[-3000:]}"]
    report = check_warehouse(settings, data_docs=False)
    problems += [
        f"GX {f.suite}/{f.rule} on {f.frame}: {f.failing_rows} rows {list(f.sample)[:3]}"
        f"{f' ({f.error})' if f.error else ''}"
        for f in report.failures
    ]
    want = oracle.expected(manifest.truth, case.min_n, intervals=True)
    return problems + compare(settings.warehouse, want)


@given(case=cases())
def test_any_valid_input_passes_every_rule_and_equals_the_oracle(case: Case):
    with tempfile.TemporaryDirectory(prefix="kto-prop-") as tmp:
        problems = run_case(case, Path(tmp))
    assert not problems, "\n".join(problems[:30])
