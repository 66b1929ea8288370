"""Where rca's data folders (patterns/, reports/) live, in a checkout and when installed.

In a git checkout (and an editable install) they sit at the repository root; a wheel
carries a copy under ``rca/_data/`` (see setup.py). Looking in both places keeps one
code path for developers and users.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder holding rca's bundled ``name`` data (``patterns`` or ``reports``)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
