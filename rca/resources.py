"""The one place rca finds its bundled data: the pattern library and the report templates.

Both live at the repository root (patterns/, reports/) because people edit and review them like
code; ``rca/_data/`` holds symlinks to them, which the wheel build resolves into real copies, so a
checkout, an editable install and an installed wheel all read them through importlib.resources.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path:
    """The folder of rca's bundled ``name`` data (``patterns`` or ``reports``)."""
    return Path(str(resources.files("rca") / "_data" / name))
