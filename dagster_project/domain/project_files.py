"""Where the project's files that are not Python live: the dbt project and the GX suites.

In a source checkout (and an editable install) they are the folders ``dbt/`` and
``expectations/`` next to the package. A built wheel carries copies inside the package,
``dagster_project/_data/`` (put there by setup.py's build step), since an installed
package has no checkout beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # dagster_project/
BUNDLED = _PACKAGE / "_data"
CHECKOUT = _PACKAGE.parent


def project_dir(name: str) -> Path:
    """``dbt`` or ``expectations``: the installed copy when there is one, else the checkout's."""
    bundled = BUNDLED / name
    return bundled if bundled.is_dir() else CHECKOUT / name


def files_in(root: Path, names: tuple[str, ...]) -> list[Path]:
    """The files ``names`` name under ``root``: a file itself, a folder's files at any depth
    (sorted, so that a hash over them does not depend on the file system's order)."""
    found: list[Path] = []
    for name in names:
        path = root / name
        found += [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return found
