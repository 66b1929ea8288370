"""The one place rca finds its bundled data (the pattern library, the report templates) and keeps
its cache.

Both data folders live at the repository root (patterns/, reports/) because people edit and
review them like code; ``rca/_data/`` holds symlinks to them, which the wheel build resolves into
real copies, so a checkout, an editable install and an installed wheel all read them through
importlib.resources. The cache (fetched windows, the checked pattern library) is one directory
per user, written file by file with `write_atomic`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import IO

CACHE_ENV = "RCA_CACHE_DIR"


def data_dir(name: str) -> Path:
    """The folder of rca's bundled ``name`` data (``patterns`` or ``reports``)."""
    return Path(str(resources.files("rca") / "_data" / name))


def cache_dir() -> Path:
    """``$RCA_CACHE_DIR``, else ``$XDG_CACHE_HOME/rca``, else ``~/.cache/rca``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "rca"


def write_atomic(path: Path, write: Callable[[IO[str]], object]) -> None:
    """Write via a temporary file in the same directory, fsync, then ``os.replace`` into place.

    On any failure the temporary file is removed and the previous file (if any) is left intact.
    The directory is created with mode 0700 (a cache can hold log lines).
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
