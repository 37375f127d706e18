"""The README's pictures (docs/screenshots/) are taken from the current templates.

`make screenshots` (tools/screenshots.py) records beside the pictures the digest of what
they show (the templates of the factsheets and the portal, the fixed wording) and the hash
of each picture. A template changed since, or a picture replaced by hand, fails here: take
them again with `make demo && make screenshots`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("screenshots", ROOT / "tools" / "screenshots.py")
screenshots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(screenshots)

RECORD = json.loads(screenshots.RECORD.read_text(encoding="utf-8"))


def test_screenshots_are_not_older_than_the_templates():
    assert RECORD["sources"] == screenshots.sources_digest(), (
        "a template or texts.py changed after docs/screenshots were taken: "
        "run `make demo && make screenshots`"
    )


def test_the_pictures_are_the_ones_taken_with_the_record():
    assert RECORD["pictures"] == screenshots.png_hashes()


def test_every_picture_the_docs_show_is_taken():
    shown = set()
    for doc in (ROOT / "README.md", ROOT / "docs" / "factsheets.md"):
        shown |= set(re.findall(r"screenshots/([\w.-]+\.png)", doc.read_text(encoding="utf-8")))
    assert shown and shown <= set(RECORD["pictures"]), shown - set(RECORD["pictures"])


def test_the_digest_sees_a_template_change(tmp_path):
    """The digest covers the templates' bytes: one changed character changes it."""
    for source in screenshots.SOURCES:
        src = ROOT / source
        files = [f for f in src.rglob("*") if f.is_file()] if src.is_dir() else [src]
        for f in files:
            target = tmp_path / f.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.read_bytes())
    before = screenshots.sources_digest(tmp_path)
    assert before == screenshots.sources_digest()
    template = tmp_path / "dagster_project/factsheets/templates/factsheet.html.j2"
    template.write_bytes(template.read_bytes() + b" ")
    assert screenshots.sources_digest(tmp_path) != before
