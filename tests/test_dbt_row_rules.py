"""Every model's row rules are one dbt test (one scan, dbt/tests/generic/row_rules.sql), and
each rule is still its own result: a failing row names the rules it breaks and the column
each judges, and the check lists every rule with its failing row count (docs/quality.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.dbt import rules_metadata
from dagster_project.quality.dbt_breaches import dbt_breaches, row_rule_counts, row_rules_of
from dagster_project.settings import Settings
from dagster_project.transform.commands import run_dbt


def _row_rules_nodes(manifest: dict) -> list[dict]:
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and (n.get("test_metadata") or {}).get("name") == "row_rules"
    ]


@pytest.mark.parametrize("gemeentecodes", ["melden", "strikt"])
def test_the_rules_listed_are_the_rules_the_test_judges(tmp_path, gemeentecodes):
    """row_rules_of names every rule of every row_rules test as its compiled SQL does, no
    more and no fewer, under either KTO_GEMEENTECODES (cbs_code is a rule only under strikt)."""
    settings = Settings.from_env(
        {"KTO_WAREHOUSE": str(tmp_path / "w.duckdb"), "KTO_GEMEENTECODES": gemeentecodes}
    )
    target = tmp_path / "target"
    run = run_dbt(["compile", "--select", "test_name:row_rules"], settings, target_path=target)
    assert run.ok, run.output[-3000:]
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    nodes = _row_rules_nodes(manifest)
    assert len(nodes) >= 20
    cbs = 0
    for node in nodes:
        sql = node["compiled_code"]
        rules = row_rules_of(node["test_metadata"]["kwargs"], gemeentecodes)
        assert rules, node["name"]
        assert sql.count("{'regel': ") == len(rules), node["name"]
        for rule in rules:
            quoted = rule.name.replace("'", "''")
            column = rule.column.replace("'", "''")
            assert f"{{'regel': '{quoted}', 'kolom': '{column}'}}" in sql, (node["name"], rule)
        cbs += sum(r.name.startswith("cbs_code(") for r in rules)
    assert cbs == (3 if gemeentecodes == "strikt" else 0)


def test_a_failing_check_lists_every_rule_with_its_failing_rows(built_sample_warehouse, tmp_path):
    """Two rules broken on kto_cel, one of them on two rows: one breach per rule, with the
    column it judges (a benchmark column withholds its period, a cell's value the cell), and
    the check's rules list every rule of the test with its count."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_sample_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        cells = con.execute(
            "select gemeentecode, kanaal, periode from marts.kto_cel "
            "where ces is not null and ces_bm is not null order by all limit 2"
        ).fetchall()
        for code, kanaal, periode in cells:
            con.execute(
                "update marts.kto_cel set ces = 101 "
                "where gemeentecode = ? and kanaal = ? and periode = ?",
                [code, kanaal, periode],
            )
        code, kanaal, periode = cells[0]
        con.execute(
            "update marts.kto_cel set ces_bm = -101 "
            "where gemeentecode = ? and kanaal = ? and periode = ?",
            [code, kanaal, periode],
        )
    settings = Settings.from_env({"KTO_WAREHOUSE": str(warehouse)})
    target = tmp_path / "target"
    run = run_dbt(["test", "--select", "row_rules_kto_cel"], settings, target_path=target)
    assert not run.ok
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))

    breaches = dbt_breaches(run.run_results, manifest, warehouse)

    by_rule = {b.rule: b for b in breaches["row_rules_kto_cel"]}
    ranged = by_rule["dbt row_rules_kto_cel: accepted_range(ces, -100, 100)"]
    assert ranged.failing_rows == 2 and ranged.scope == "cel"
    assert set(ranged.cells) == {tuple(c) for c in cells}
    bm = by_rule["dbt row_rules_kto_cel: accepted_range(ces_bm, -100, 100)"]
    assert bm.failing_rows == 1 and bm.scope == "periode" and bm.periods == (periode,)

    counts = dict(row_rule_counts(manifest, breaches, "melden")["row_rules_kto_cel"])
    (node,) = [n for n in _row_rules_nodes(manifest) if n["name"] == "row_rules_kto_cel"]
    assert list(counts) == [r.name for r in row_rules_of(node["test_metadata"]["kwargs"], "melden")]
    failing = {rule: n for rule, n in counts.items() if n}
    assert failing["accepted_range(ces, -100, 100)"] == 2
    assert failing["accepted_range(ces_bm, -100, 100)"] == 1
    # every rule the failing rows break is counted; a rule that breaks none counts 0
    prefix = "dbt row_rules_kto_cel: "
    assert set(failing) == {rule.removeprefix(prefix) for rule in by_rule}

    metadata = rules_metadata(list(counts.items()))
    assert metadata["rules_evaluated"] == len(counts) and metadata["rules_failing"] == len(failing)
    records = metadata["rules"].records
    assert [(r.data["rule"], r.data["failing_rows"]) for r in records] == list(counts.items())


def test_a_rule_the_manifest_does_not_list_is_counted_not_dropped():
    """Should the macro and row_rules_of ever disagree, a failing rule still shows."""
    from dagster_project.quality.gate import breach

    manifest = {
        "nodes": {
            "test.kto.row_rules_m.1": {
                "resource_type": "test",
                "name": "row_rules_m",
                "test_metadata": {"name": "row_rules", "kwargs": {"not_null": ["a"]}},
            }
        }
    }
    unknown = breach("dbt row_rules_m: something_else(b)", "marts/m", [], 3)
    counts = row_rule_counts(manifest, {"row_rules_m": [unknown]}, "melden")
    assert counts == {"row_rules_m": [("not_null(a)", 0), ("something_else(b)", 3)]}
    assert rules_metadata(None) == {}


def test_the_published_keys_are_not_null_by_the_contract_alone():
    """Every key of every public mart is NOT NULL by its contract's constraint (enforced
    when the table is written, declared in the snapshot), and no row_rules test repeats it."""
    from dagster_project.publish.public_marts import PUBLIC_MARTS
    from dagster_project.transform.commands import prepare_manifest

    manifest = json.loads(Path(prepare_manifest()).read_text(encoding="utf-8"))
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    checked = set()
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        attached = (node.get("attached_node") or "").rpartition(".")[2]
        if metadata.get("name") != "unique_combination" or attached not in PUBLIC_MARTS:
            continue
        columns = models[attached]["columns"]
        keys = metadata["kwargs"]["combination_of_columns"]
        for key in keys:
            constraints = columns[key].get("constraints", [])
            assert any(c["type"] == "not_null" for c in constraints), (attached, key)
        (rules,) = [
            n
            for n in _row_rules_nodes(manifest)
            if (n.get("attached_node") or "").endswith(f".{attached}")
        ]
        assert not set(keys) & set(rules["test_metadata"]["kwargs"].get("not_null") or []), attached
        checked.add(attached)
    assert checked == set(PUBLIC_MARTS)
