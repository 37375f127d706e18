"""The dbt-core internals the project patches (written for dbt-core 1.11.16).

dbt decides whether its saved parse state (``partial_parse.msgpack``) can be reused by a
state check whose profile hash includes the warehouse path, though parsing depends only on
the database name DuckDB derives from it (the file's stem), which stays in the check.
``kto-dbt`` (``transform/launch.py``) shares parse state between warehouses, so it leaves
the path out of that hash; dbt has no setting for it, so ``ManifestLoader``'s method is
wrapped.

``tests/test_compat.py`` fails when the installed dbt-core is not the version this patch
was written for, or when the method or the credentials' ``connection_info`` is gone.
"""

from __future__ import annotations

import pprint

WRITTEN_FOR = "1.11.16"  # the dbt-core version whose ManifestLoader this patch wraps


def hash_without_path() -> None:
    """dbt's manifest state check, with the warehouse path left out of the profile hash."""
    from dbt.contracts.files import FileHash
    from dbt.parser.manifest import ManifestLoader

    original = ManifestLoader.build_manifest_state_check

    def build_manifest_state_check(self):
        state = original(self)
        info = [kv for kv in self.root_project.credentials.connection_info() if kv[0] != "path"]
        info.sort()  # as dbt does, so the order of the settings does not matter
        state.profile_hash = FileHash.from_contents(pprint.pformat(info))
        return state

    ManifestLoader.build_manifest_state_check = build_manifest_state_check
