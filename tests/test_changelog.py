"""CHANGELOG.md's "Current columns" is the published marts' contract: a column changes only
with a note there. Reads dbt's manifest only (no warehouse)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dagster_project.publish.public_marts import PUBLIC_MARTS
from dagster_project.transform.commands import prepare_manifest

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
SECTION = "## Current columns"


def contract_section() -> str:
    """The section as the contracts say it is (what to paste after writing the note)."""
    manifest = json.loads(prepare_manifest().read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    lines = []
    for table in PUBLIC_MARTS:
        lines += [f"### {table}", "", "| column | type | NULL allowed |", "|---|---|---|"]
        for name, column in models[table]["columns"].items():
            not_null = any(c["type"] == "not_null" for c in column.get("constraints", []))
            lines.append(f"| `{name}` | `{column['data_type']}` | {'no' if not_null else 'yes'} |")
        lines.append("")
    return "\n".join(lines)


def parse(section: str) -> dict[str, list[tuple[str, str, str]]]:
    tables: dict[str, list[tuple[str, str, str]]] = {}
    current = None
    for line in section.splitlines():
        if line.startswith("### "):
            current = tables.setdefault(line[4:].strip(), [])
        elif match := re.fullmatch(r"\| `([^`]+)` \| `([^`]+)` \| (yes|no) \|", line.strip()):
            assert current is not None, line
            current.append(match.groups())
    return tables


def test_the_changelog_lists_the_current_columns_of_every_published_table():
    text = CHANGELOG.read_text(encoding="utf-8")
    assert SECTION in text
    written = parse(text.split(SECTION, 1)[1])
    want = parse(contract_section())
    assert set(want) == set(PUBLIC_MARTS)
    assert written == want, (
        "the published columns changed: add a note to CHANGELOG.md and replace its "
        f"'{SECTION}' with:\n\n{contract_section()}"
    )


def test_a_changed_type_or_nullability_in_the_changelog_is_seen():
    section = CHANGELOG.read_text(encoding="utf-8").split(SECTION, 1)[1]
    want = parse(contract_section())
    retyped = section.replace("| `respons` | `integer` |", "| `respons` | `bigint` |", 1)
    key = "| `periode` | `varchar` |"
    renulled = section.replace(f"{key} no |", f"{key} yes |", 1)
    for changed in (retyped, renulled):
        assert changed != section
        assert parse(changed) != want
