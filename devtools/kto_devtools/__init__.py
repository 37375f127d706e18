"""kto-pipeline's development tools: the demo landing-data generator (``demo``) and the
benchmark (``bench``). Not part of the production wheel (devtools/pyproject.toml)."""
