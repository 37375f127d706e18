"""The dbt-core internals the project patches (written for dbt-core 1.11.16).

dbt decides whether its saved parse state (``partial_parse.msgpack``) can be reused by a
state check whose profile hash includes the warehouse path, though parsing depends only on
the database name DuckDB derives from it (the file's stem), which stays in the check; and
whose vars hash includes vars that only the SQL run reads (the warehouse path, the build
key). ``kto-dbt`` (``transform/launch.py``) shares parse state between warehouses and build
keys, so it leaves the path out of the profile hash and those vars out of the vars hash;
dbt has no setting for either, so ``ManifestLoader``'s method is wrapped.

``tests/test_compat.py`` fails when the installed dbt-core is not the version this patch
was written for, or when the method or the credentials' ``connection_info`` is gone.
"""

from __future__ import annotations

import pprint
from collections.abc import Collection

WRITTEN_FOR = "1.11.16"  # the dbt-core version whose ManifestLoader this patch wraps


def hash_without_path(runtime_vars: Collection[str] = ()) -> None:
    """dbt's manifest state check, with the warehouse path left out of the profile hash and
    ``runtime_vars`` out of the vars hash."""
    from dbt.contracts.files import FileHash
    from dbt.parser.manifest import ManifestLoader

    original = ManifestLoader.build_manifest_state_check

    def build_manifest_state_check(self):
        config = self.root_project
        cli_vars = config.cli_vars
        # dbt hashes config.cli_vars here and nowhere else: hash them without the runtime ones
        config.cli_vars = {k: v for k, v in cli_vars.items() if k not in runtime_vars}
        try:
            state = original(self)
        finally:
            config.cli_vars = cli_vars
        info = [kv for kv in config.credentials.connection_info() if kv[0] != "path"]
        info.sort()  # as dbt does, so the order of the settings does not matter
        state.profile_hash = FileHash.from_contents(pprint.pformat(info))
        return state

    ManifestLoader.build_manifest_state_check = build_manifest_state_check
