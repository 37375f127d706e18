"""Where the project's files that are not Python live: the dbt project and the GX suites.

In a source checkout (and an editable install) they are the folders ``dbt/`` and
``expectations/`` next to the package. A built wheel carries copies inside the package,
``dagster_project/_data/`` (put there by setup.py's build step), since an installed
package has no checkout beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
BUNDLED = _PACKAGE / "_data"
CHECKOUT = _PACKAGE.parent


def project_dir(name: str) -> Path:
    """``dbt`` or ``expectations``: the installed copy when there is one, else the checkout's."""
    bundled = BUNDLED / name
    return bundled if bundled.is_dir() else CHECKOUT / name
