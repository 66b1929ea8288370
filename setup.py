"""Copy the repository-root data folders (patterns/, reports/) into the wheel as rca/_data/.

They live at the root because they are data that people edit and review like code; the wheel
needs them inside the package so an installed rca finds them (rca/paths.py looks in both).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("patterns", "reports")


class BuildPyWithData(build_py):
    """build_py that also copies the data folders into rca/_data in the build tree."""

    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        for name in DATA:
            target = Path(self.build_lib) / "rca" / "_data" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(root / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildPyWithData})
