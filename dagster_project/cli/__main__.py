"""``python -m dagster_project.cli``: the same as ``kto``."""

import sys

from . import main

sys.exit(main())
