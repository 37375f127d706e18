"""The pipeline's settings as a Dagster resource, ``kto_settings``.

Every asset, check and sensor that needs a setting takes this resource and hands the
domain code a plain ``Settings`` (``KtoSettings.settings()``), so the rules live in
dagster_project/settings/__init__.py alone and the UI shows the configuration of each run.

Where the values come from:

- ``dagster dev`` and the daemon: ``KtoSettings.from_environment()`` in
  definitions.py: each field is ``dg.EnvVar("KTO_...")``, read when a run starts, for a
  variable set in the code location's environment, and the documented default
  otherwise (Dagster fails a run on an ``EnvVar`` that is not set, and has no default
  for one).
- ``kto``: the command builds ``Settings`` from its environment and passes them as this
  resource's run config (``run_config_of``), so a run of ``kto`` uses exactly the
  settings the command reports, whatever the environment was when the definitions were
  first imported.
"""

from __future__ import annotations

import os
import typing
from typing import Any

import dagster as dg
from pydantic import Field

from ..settings import SETTINGS, Settings

RESOURCE_KEY = "kto_settings"

# field -> environment variable: the settings of the table that ``Settings`` holds
FIELDS = {s.field: s.variable for s in SETTINGS if s.field}
# the fields that are whole numbers (the threshold); every other is given as text
_INT_FIELDS = {f for f in FIELDS if typing.get_type_hints(Settings)[f] is int}


class _KtoSettingsBase(dg.ConfigurableResource):
    def settings(self) -> Settings:
        """The domain's Settings, validated and resolved by the same code as ``kto``'s."""
        return Settings.from_env({name: str(getattr(self, f)) for f, name in FIELDS.items()})

    @classmethod
    def from_environment(cls) -> KtoSettings:
        """Each field from its variable (``dg.EnvVar``) when set here, else its default."""
        values: dict[str, Any] = {}
        for field, name in FIELDS.items():
            if name in os.environ:
                values[field] = dg.EnvVar.int(name) if field in _INT_FIELDS else dg.EnvVar(name)
        return cls(**values)  # type: ignore[return-value]


# The KTO_* settings (README, "Settings"); paths relative to the working directory. One
# field per setting of the table, with its default and meaning (shown in the UI).
KtoSettings = type(
    "KtoSettings",
    (_KtoSettingsBase,),
    {
        "__module__": __name__,
        "__doc__": 'The KTO_* settings (README, "Settings"), one field per setting.',
        "__annotations__": {f: int if f in _INT_FIELDS else str for f in FIELDS},
        **{
            s.field: Field(
                default=int(s.default) if s.field in _INT_FIELDS else s.default,
                description=f"{s.variable}: {s.meaning}",
            )
            for s in SETTINGS
            if s.field
        },
    },
)


def run_config_of(settings: Settings) -> dict[str, Any]:
    """Run config that sets the resource to ``settings`` (what ``kto`` passes to its runs),
    and the warehouse resource to the same warehouse."""
    from .warehouse_resource import RESOURCE_KEY as WAREHOUSE_KEY

    env = settings.as_env()
    config: dict[str, Any] = {field: env[name] for field, name in FIELDS.items()}
    for field in _INT_FIELDS:
        config[field] = getattr(settings, field)
    return {
        "resources": {
            RESOURCE_KEY: {"config": config},
            WAREHOUSE_KEY: {"config": {"path": env["KTO_WAREHOUSE"]}},
        }
    }
