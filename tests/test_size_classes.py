"""The size-class benchmark (KTO_SIZE_CLASSES) on the demo data, held to tests/oracle.py.

One build of the demo without size classes (every size-class column NULL), then the models
downstream of the size classes rebuilt with a classes file written here: a class of seven
municipalities (Zoetermeer among them), a class of three (below the minimum of five, so
never published) and two municipalities the file does not list. The published class BM
must be the oracle's BM over the class's municipalities, withheld exactly where the
disclosure rules say so (applied here from the published flags).
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from kto_devtools.demo import write_demo_landing

from dagster_project.factsheets.render import render_html, render_pdf
from dagster_project.factsheets.view import build_view_models
from dagster_project.ingest import load_landing
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt
from tests import oracle
from tests.marts_compare import MIN_N, records

pytestmark = pytest.mark.slow

ZOETERMEER = "GM0637"
GROOT, KLEIN = "100 000 tot 150 000 inwoners", "20 000 tot 50 000 inwoners"
MIN_GEMEENTEN = 5  # dbt macro size_class_min_gemeenten(), docs/metrics.md


def _settings(warehouse: Path, classes: Path | None = None) -> Settings:
    env = {"KTO_WAREHOUSE": str(warehouse)}
    if classes is not None:
        env["KTO_SIZE_CLASSES"] = str(classes)
    return Settings.from_env(env)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("size_classes")
    manifest = write_demo_landing(root / "landing")
    warehouse = root / "warehouse.duckdb"
    load_landing(manifest.landing_dir, warehouse)
    run = run_dbt(["run"], _settings(warehouse))
    assert run.ok, run.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        default = {
            t: records(con, f"select * from marts.{t}")
            for t in ("kto_cel", "kto_aspect", "kto_stelling")
        }
    codes = sorted({r.gemeentecode for r in manifest.truth.responses} - {ZOETERMEER})
    classes = {ZOETERMEER: GROOT, **dict.fromkeys(codes[:6], GROOT)}
    classes.update(dict.fromkeys(codes[6:9], KLEIN))
    assert len(codes) > 9  # some municipalities stay unlisted
    path = root / "grootteklassen.csv"
    # the documented shape, with an extra column the pipeline ignores
    lines = ["gemeentecode;grootteklasse;inwoners"]
    lines += [f"{code};{klasse};123456" for code, klasse in classes.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = run_dbt(["build", "--select", "int_size_classes+"], _settings(warehouse, path))
    assert run.ok, run.output
    return manifest, warehouse, classes, default, path


def test_without_size_classes_every_class_column_is_null(demo):
    *_, default, _ = demo
    columns = {
        "kto_cel": (
            "grootteklasse",
            "grootteklasse_gemeenten",
            "totaaloordeel_bm_klasse",
            "totaaloordeel_bm_klasse_exact",
            "ces_bm_klasse",
            "ces_bm_klasse_exact",
        ),
        "kto_aspect": ("bm_klasse", "bm_klasse_exact"),
        "kto_stelling": ("bm_klasse", "bm_klasse_exact"),
    }
    for table, names in columns.items():
        assert default[table], table
        for row in default[table]:
            for name in names:
                assert row[name] is None, (table, name, row)


def _published(con) -> dict[tuple, dict]:
    """(gemeentecode, kanaal, periode, figuur) -> the public class BM and what decides it."""
    out = {}
    for r in records(con, "select * from marts.kto_cel"):
        for name, label in (("totaaloordeel", "totaaloordeel"), ("ces", "ces")):
            out[(r["gemeentecode"], r["kanaal"], r["periode"], label)] = {
                "klasse": r["grootteklasse"],
                "klasse_gemeenten": r["grootteklasse_gemeenten"],
                "bm_klasse": r[f"{name}_bm_klasse"],
                "bm_klasse_exact": r[f"{name}_bm_klasse_exact"],
                "n": r[f"{name}_n"],
                "publiceerbaar": r[f"{name}_publiceerbaar"],
            }
    for table, label in (("kto_aspect", "aspect"), ("kto_stelling", "stelling")):
        for r in records(con, f"select * from marts.{table}"):
            out[(r["gemeentecode"], r["kanaal"], r["periode"], r[label])] = {
                "bm_klasse": r["bm_klasse"],
                "bm_klasse_exact": r["bm_klasse_exact"],
                "n": r["n"],
                "publiceerbaar": r["publiceerbaar"],
            }
    return out


def _oracle_class_bm(manifest, classes):
    """(klasse, kanaal, periode, figuur) -> (exact mean, digits, contributing codes)."""
    values: dict[tuple, list[Fraction]] = defaultdict(list)
    members: dict[tuple, list[str]] = defaultdict(list)
    digits: dict[tuple, int] = {}
    for key, cell in oracle.cells(manifest.truth, MIN_N).items():
        code, kanaal, periode = key.split("|")
        if code not in classes:
            continue
        for name, (fig, d) in oracle._figures_of(cell).items():
            group = (classes[code], kanaal, periode, name)
            digits[group] = d
            if fig["n"] >= MIN_N and fig["_exact"] is not None:
                values[group].append(fig["_exact"])
                members[group].append(code)
    return {g: (oracle.mean(values[g]), digits[g], members[g]) for g in digits}


def _value(published, digits):
    if published is None:
        return None
    return Decimal(str(published)) if digits else published


def test_class_bm_equals_the_oracle_within_the_disclosure_rules(demo):
    manifest, warehouse, classes, *_ = demo
    want = _oracle_class_bm(manifest, classes)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        got = _published(con)
    figuur_names = {"Totaaloordeel": "totaaloordeel", "CES": "ces"}
    shown = withheld_for_size = withheld_for_hidden = 0
    for (code, kanaal, periode, figuur), row in got.items():
        if code not in classes:
            assert row["bm_klasse"] is None and row["bm_klasse_exact"] is None, (code, row)
            if "klasse" in row:
                assert row["klasse"] is None
            continue
        name = figuur_names.get(figuur, figuur)
        if name == oracle.IN_EEN_KEER or figuur == oracle.IN_EEN_KEER:
            name = oracle.IN_EEN_KEER
        exact, digits, members = want[(classes[code], kanaal, periode, name)]
        if "klasse" in row:
            assert row["klasse"] == classes[code]
            assert row["klasse_gemeenten"] == sum(1 for c in classes.values() if c == classes[code])
        # the published flags of the class's members decide what the rules allow
        hidden = sum(
            1
            for member in members
            if got[(member, kanaal, periode, figuur)]["publiceerbaar"] is False
        )
        where = (code, kanaal, periode, figuur)
        if len(members) < MIN_GEMEENTEN or exact is None:
            assert row["bm_klasse"] is None and row["bm_klasse_exact"] is None, where
            withheld_for_size += exact is not None
            continue
        if len(members) < 3 * hidden:
            assert row["bm_klasse"] is None, where
            withheld_for_hidden += 1
            continue
        assert _value(row["bm_klasse"], digits) == _value(oracle.publish(exact, digits), digits), (
            where,
            row["bm_klasse"],
            float(exact),
        )
        if hidden:
            assert row["bm_klasse_exact"] is None, where
        else:
            assert abs(row["bm_klasse_exact"] - float(exact)) < 1e-9, where
        shown += 1
    # not vacuous: the large class is published, the small one withheld for its size
    assert shown > 50
    assert withheld_for_size > 0
    assert got[(ZOETERMEER, "balie", "2020", "totaaloordeel")]["bm_klasse"] is not None


def test_the_factsheet_shows_the_class_bm(demo, tmp_path):
    _, warehouse, classes, _, path = demo
    with duckdb.connect(str(warehouse), read_only=True) as con:
        views = build_view_models(con, "2020", _settings(warehouse, path))
        cel = records(
            con,
            "select * from marts.kto_cel where gemeentecode = ? and kanaal = 'balie'"
            " and periode = '2020'",
            ZOETERMEER,
        )[0]
    view = next(v for v in views if v.gemeentecode == ZOETERMEER and v.kanaal == "balie")
    assert view.grootteklasse == classes[ZOETERMEER]
    bm = f"{cel['totaaloordeel_bm_klasse']}".replace(".", ",")
    assert view.totaaloordeel.bm_klasse == bm
    line = f"BM {classes[ZOETERMEER]}: {bm}"
    assert line in render_html(view)
    pdf = tmp_path / "f.pdf"
    pdf.write_bytes(render_pdf(view))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert line in " ".join(text.split())
    # a municipality the file does not list has no class line
    unlisted = next(v for v in views if v.gemeentecode not in classes)
    assert unlisted.grootteklasse == "" and unlisted.totaaloordeel.bm_klasse == ""
    assert "BM " + GROOT not in render_html(unlisted)


def test_the_disclosure_audit_holds_the_class_bm(demo):
    """The audit reads each figure's class and class BM from the public marts and takes the
    class BM as a relation; the class BMs the disclosure rules let through give no hidden
    figure away."""
    from dagster_project.disclosure.audit import audit
    from dagster_project.disclosure.ledger import read_publication

    _, warehouse, classes, _, _ = demo
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publication = read_publication(con, "marts", "candidate")
    with_class = [f for f in publication.figures.values() if f.bm_klasse is not None]
    assert with_class and {f.klasse for f in with_class} == {GROOT}
    assert any(f.bm_klasse_exact is not None for f in with_class)
    for (gemeente, _, _, figuur_type, _), f in publication.figures.items():
        # products have no BM; themes publish no class BM (docs/themes.md), so no class
        # relation holds them
        classless = figuur_type in ("product", "thema")
        assert f.klasse == (None if classless else classes.get(gemeente))
    result = audit([publication])
    assert result.passed, [f.text() for f in result.findings[:5]]
