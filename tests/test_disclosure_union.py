"""Disclosure against the union of all publications, through `kto run` as an operator runs it.

Three attacks (tests/attack.py), each of which recovered figures exactly on the code before
the ledger and the audit (the numbers are in the commit that added them):

- the bridge: one publication whose hidden product quarters form two cycles joined by one
  cell; exact elimination gives that cell. Now the audit finds it and withholds one more
  product quarter; the attack on the publication finds nothing, and on the publication as
  the relation rule alone left it, the attack and the audit find the same figure.
- differencing: Q1-Q3 published, then five responses of Q4 and a second run. Now the year
  is withheld (its quarters were released before) and nothing comes back from both. An
  earlier release that already gave Q4 away makes the next run publish nothing (exit 1).
- a landing folder delivered in the order of its file names' dates, one run per delivery:
  nothing comes back from the union of every publication downloaded on the way.
- a late re-delivery: one response added to a closed, published quarter. Both versions
  shown gave that response's grades exactly (the difference of the two sums); now the
  revised quarter, its year and the product figures that would give it back are withheld.
"""

from __future__ import annotations

import dataclasses
import math
import shutil

import duckdb
import pytest
from kto_devtools.demo import random_dataset, write_demo_landing, write_landing

from dagster_project.disclosure.audit import audit
from dagster_project.disclosure.ledger import TABLE, audit_candidate
from dagster_project.disclosure.protect import WITHHELD
from tests.attack import recover, recover_earlier, recover_revisions, recover_union
from tests.disclosure_cases import (
    BRIDGE_CELL,
    PRODUCTS,
    bridge_dataset,
    deliver_in_date_order,
    keep_publication,
    kto_run,
    quarters_dataset,
    snapshot_figures,
)
from tests.layers import internal_figures
from tests.test_disclosure_audit import publication as publication_of

pytestmark = pytest.mark.slow
DREMPEL = 10


def test_bridge_is_withheld_further(tmp_path):
    """The relation rule adds nothing to the bridge; the audit finds the joining cell and
    withholds one more product quarter, and the publication gives nothing away."""
    write_landing(tmp_path / "landing", bridge_dataset(), seed=1)
    run = kto_run(tmp_path, tmp_path / "landing")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 withheld on top" in run.stdout
    published = snapshot_figures((tmp_path / "output" / "marts.duckdb").resolve())
    assert published[BRIDGE_CELL]["exact"] is None
    assert not recover(published, DREMPEL)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        [withheld] = con.execute(
            f"select gemeentecode, kanaal, periode, figuur_type, figuur from {WITHHELD}"
        ).fetchall()
        internal = internal_figures(con)
    assert withheld[3] == "product" and published[withheld]["exact"] is None
    assert internal[withheld]["n"] >= DREMPEL  # withheld, not suppressed
    # Shown as the rule alone left it, the attack and the audit find the same figure.
    before = {k: {**f, "exact": f["exact"] if k != withheld else internal[k]["exact"]}
              for k, f in published.items()}  # fmt: skip
    found = recover(before, DREMPEL)
    assert set(found) == {BRIDGE_CELL} and math.isclose(found[BRIDGE_CELL], 13 / 3)
    [finding] = audit([publication_of(before)]).findings
    assert finding.key == BRIDGE_CELL and math.isclose(finding.low, 13 / 3, abs_tol=1e-3)


def test_differencing_across_two_publications(tmp_path):
    source = tmp_path / "source"
    write_landing(source, quarters_dataset({1: 12, 2: 15, 3: 11, 4: 5}), seed=1)
    files = sorted((source / "one2ten").iterdir())
    landing = tmp_path / "landing" / "one2ten"
    landing.mkdir(parents=True)
    for path in files[:3]:  # Q1-Q3
        shutil.copy2(path, landing / path.name)
    assert kto_run(tmp_path, tmp_path / "landing").returncode == 0
    first = snapshot_figures(keep_publication(tmp_path, "1"))
    shutil.copy2(files[3], landing / files[3].name)  # the first five of Q4
    run = kto_run(tmp_path, tmp_path / "landing")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "disclosure: " in run.stdout and "1 earlier publications" in run.stdout
    second = snapshot_figures(keep_publication(tmp_path, "2"))
    assert not recover_union([first, second], DREMPEL)
    # The retained previous version and the new one are what the audit saw, and pass.
    assert not recover_union(
        [
            snapshot_figures(p / "marts.duckdb")
            for p in sorted((tmp_path / "output" / ".published").glob("v*"))
        ],
        DREMPEL,
    )
    q4 = ("GM0637", "balie", "2019-Q4", "totaaloordeel", "Totaaloordeel")
    year = ("GM0637", "balie", "2019", "totaaloordeel", "Totaaloordeel")
    assert second[q4]["exact"] is None and second[q4]["n"] == 5
    # the price: the year is withheld while its new quarter is below the threshold
    assert second[year]["exact"] is None and second[year]["n"] == 43
    for q in (1, 2, 3):
        key = ("GM0637", "balie", f"2019-Q{q}", "totaaloordeel", "Totaaloordeel")
        assert second[key]["exact"] == first[key]["exact"] is not None
    result, earlier = audit_candidate(tmp_path / "warehouse.duckdb", tmp_path / "output")
    assert result.passed and earlier == 2
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        versions = con.execute(f"select count(distinct version) from {TABLE}").fetchone()[0]
    assert versions == 2
    # A release that already gave Q4 away (its year shown with its quarters) cannot be
    # repaired by withholding now: the next run publishes nothing and says why.
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            f"""insert into {TABLE}
            select 'v0-leak', l.released_at, l.gemeentecode, l.kanaal, l.periode, l.jaar,
                l.figuur_type, l.figuur, l.decimalen, l.n,
                coalesce(l.exact, case when l.n >= 10 then i.teller / i.noemer end),
                l.bm, l.bm_exact, l.bm_method, l.drempel, l.fingerprint, l.grootteklasse,
                l.bm_klasse, l.bm_klasse_exact
            from {TABLE} as l
            inner join intermediate.int_cell_figures as i
                using (gemeentecode, kanaal, periode, figuur_type, figuur)
            where l.version = (select max(version) from {TABLE})"""
        )
    current = (tmp_path / "output" / ".published" / "current").resolve()
    run = kto_run(tmp_path, tmp_path / "landing")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "disclosure: FAIL" in run.stdout and "GM0637 balie 2019-Q4" in run.stdout
    assert (tmp_path / "output" / ".published" / "current").resolve() == current


def test_late_response_to_a_published_quarter(tmp_path):
    source = tmp_path / "source"
    write_landing(source, quarters_dataset({1: 12, 2: 15, 3: 11}), seed=1)
    landing = tmp_path / "landing"
    shutil.copytree(source, landing)
    assert kto_run(tmp_path, landing).returncode == 0
    first = snapshot_figures(keep_publication(tmp_path, "1"))
    # a re-delivery of Q2 holding one more response: an export of all 16, under a new name
    late = tmp_path / "late"
    write_landing(late, quarters_dataset({2: 16}), seed=2)
    [export] = (late / "one2ten").iterdir()
    shutil.copy2(export, landing / "one2ten" / f"herlevering_{export.name}")
    run = kto_run(tmp_path, landing)
    assert run.returncode == 0, run.stdout + run.stderr
    second = snapshot_figures(keep_publication(tmp_path, "2"))
    q2 = ("GM0637", "balie", "2019-Q2", "totaaloordeel", "Totaaloordeel")
    assert (first[q2]["n"], second[q2]["n"]) == (15, 16)
    assert first[q2]["exact"] is not None and second[q2]["exact"] is None
    assert not recover_revisions([first, second], DREMPEL)
    assert not recover_union([first, second], DREMPEL)
    # the other quarters stay shown as they were
    for q in (1, 3):
        key = ("GM0637", "balie", f"2019-Q{q}", "totaaloordeel", "Totaaloordeel")
        assert second[key]["exact"] == first[key]["exact"] is not None


def _with_small_product(data):
    """Four responses of Q2 for a second product: a product quarter of n 4, suppressed."""
    for i, r in enumerate(data.responses):
        if r.startdatum.month in (4, 5, 6) and i % 15 < 4:
            data.responses[i] = dataclasses.replace(r, product=PRODUCTS[1])
    return data


def test_corrected_grade_with_the_same_count(tmp_path):
    """A re-delivery that corrects one grade of a suppressed product quarter (the same n,
    other data). Taken for one quantity, the two versions' relations contradict each
    other and the run published nothing ("the released figures contradict each other");
    the fingerprints in the ledger and the warehouse make them two."""
    source = tmp_path / "source"
    write_landing(source, _with_small_product(quarters_dataset({1: 12, 2: 15, 3: 11})), seed=1)
    landing = tmp_path / "landing"
    shutil.copytree(source, landing)
    assert kto_run(tmp_path, landing).returncode == 0
    first = snapshot_figures(keep_publication(tmp_path, "1"))
    corrected = _with_small_product(quarters_dataset({2: 15}))
    [small] = [i for i, r in enumerate(corrected.responses) if r.product == PRODUCTS[1]][:1]
    grade = corrected.responses[small].totaaloordeel
    corrected.responses[small] = dataclasses.replace(
        corrected.responses[small], totaaloordeel=1 if grade > 1 else 10
    )
    late = tmp_path / "late"
    write_landing(late, corrected, seed=2)
    [export] = (late / "one2ten").iterdir()
    shutil.copy2(export, landing / "one2ten" / f"herlevering_{export.name}")
    run = kto_run(tmp_path, landing)
    assert run.returncode == 0, run.stdout + run.stderr
    second = snapshot_figures(keep_publication(tmp_path, "2"))
    b = ("GM0637", "balie", "2019-Q2", "product", PRODUCTS[1])
    assert first[b]["n"] == second[b]["n"] == 4
    assert first[b]["exact"] is None and second[b]["exact"] is None
    assert not recover_union([first, second], DREMPEL)


def _attack_deliveries(source, root) -> None:
    """Every run publishes, or publishes nothing and names the figures (the withholding may
    need more rounds than one run gives it: the next run goes on from there); the last run
    publishes; the union of everything published gives nothing away."""
    runs = deliver_in_date_order(source, root)
    for date, code, kept, printed in runs:
        assert code == 0 or ("disclosure: FAIL" in printed and kept is None), (date, printed)
    assert runs[-1][1] == 0
    downloaded = [snapshot_figures(kept) for _, code, kept, _ in runs if code == 0]
    assert len(downloaded) >= len(runs) - 2
    for upto in range(2, len(downloaded) + 1):
        found = recover_union(downloaded[:upto], DREMPEL)
        assert not found, f"after publication {upto}: {sorted(found.items())[:5]}"
        # nor a figure an earlier publication hid (the new one shows it with another n)
        earlier = recover_earlier(downloaded[:upto], DREMPEL)
        assert not earlier, f"after publication {upto}: {sorted(earlier.items())[:5]}"
        differences = recover_revisions(downloaded[:upto], DREMPEL)
        assert not differences, f"after publication {upto}: {sorted(differences.items())[:5]}"


def test_generated_folder_delivered_in_date_order(tmp_path):
    data = random_dataset(7, municipalities=4, years=(2020,), size=40)
    write_landing(tmp_path / "source", data, seed=7)
    _attack_deliveries(tmp_path / "source", tmp_path / "root")


@pytest.mark.deep
def test_demo_delivered_in_date_order(tmp_path):
    write_demo_landing(tmp_path / "source")
    _attack_deliveries(tmp_path / "source", tmp_path / "root")
