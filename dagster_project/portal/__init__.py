"""The factsheet portal: static HTML pages next to the factsheets, no Dagster inside.

``build_portal`` reads the marts and each period's ``report.json`` and writes
``index.html``, a page per period and a page per gemeente into
``KTO_OUTPUT_DIR/factsheets/`` (docs/factsheets.md, "Portal").
"""

from dagster_project.portal.model import Portal, collect
from dagster_project.portal.pages import PortalResult, build_portal, write_portal

__all__ = ["Portal", "PortalResult", "build_portal", "collect", "write_portal"]
