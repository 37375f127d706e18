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
from typing import Any

import dagster as dg

from ..settings import DEFAULTS, Settings

RESOURCE_KEY = "kto_settings"

# field -> environment variable
FIELDS = {
    "landing_dir": "KTO_LANDING_DIR",
    "warehouse": "KTO_WAREHOUSE",
    "output_dir": "KTO_OUTPUT_DIR",
    "min_respondents": "KTO_MIN_RESPONDENTS",
    "benchmark_method": "KTO_BENCHMARK_METHOD",
    "size_classes": "KTO_SIZE_CLASSES",
    "gemeentecodes": "KTO_GEMEENTECODES",
    "publicatie": "KTO_PUBLICATIE",
    "significance": "KTO_SIGNIFICANCE",
}


class KtoSettings(dg.ConfigurableResource):
    """The KTO_* settings (README, "Settings"); paths relative to the working directory."""

    landing_dir: str = DEFAULTS["KTO_LANDING_DIR"]
    warehouse: str = DEFAULTS["KTO_WAREHOUSE"]
    output_dir: str = DEFAULTS["KTO_OUTPUT_DIR"]
    min_respondents: int = int(DEFAULTS["KTO_MIN_RESPONDENTS"])
    benchmark_method: str = DEFAULTS["KTO_BENCHMARK_METHOD"]
    size_classes: str = DEFAULTS["KTO_SIZE_CLASSES"]  # empty: no size-class BM
    gemeentecodes: str = DEFAULTS["KTO_GEMEENTECODES"]  # melden or strikt
    publicatie: str = DEFAULTS["KTO_PUBLICATIE"]  # open or eigen
    significance: str = DEFAULTS["KTO_SIGNIFICANCE"]  # bm or fdr

    def settings(self) -> Settings:
        """The domain's Settings, validated and resolved by the same code as ``kto``'s."""
        return Settings.from_env({name: str(getattr(self, f)) for f, name in FIELDS.items()})

    @classmethod
    def from_environment(cls) -> KtoSettings:
        """Each field from its variable (``dg.EnvVar``) when set here, else its default."""
        values: dict[str, Any] = {}
        for field, name in FIELDS.items():
            if name in os.environ:
                values[field] = (
                    dg.EnvVar.int(name) if field == "min_respondents" else dg.EnvVar(name)
                )
        return cls(**values)


def run_config_of(settings: Settings) -> dict[str, Any]:
    """Run config that sets the resource to ``settings`` (what ``kto`` passes to its runs)."""
    env = settings.as_env()
    config: dict[str, Any] = {field: env[name] for field, name in FIELDS.items()}
    config["min_respondents"] = settings.min_respondents
    return {"resources": {RESOURCE_KEY: {"config": config}}}
