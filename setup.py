"""Build step beyond pyproject.toml: the wheel carries the dbt project and the GX suites.

They live next to the package in the checkout (dbt/, expectations/), where dbt and the
people editing them expect them; a wheel gets copies in dagster_project/_data/, which
dagster_project/domain/project_files.py finds. Editable installs read the checkout directly.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PROJECT_FOLDERS = ("dbt", "expectations")
# dbt's own output and local state: never part of the project
SKIP = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml", "__pycache__")


class BuildWithProjectFiles(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in PROJECT_FOLDERS:
            dest = Path(self.build_lib) / "dagster_project" / "_data" / name
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(Path(__file__).parent / name, dest, ignore=SKIP)


setup(cmdclass={"build_py": BuildWithProjectFiles})
